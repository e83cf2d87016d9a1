package sandbox

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gameday-tui/gameday/providers"
)

// SelectorNames is the key of a fault's own target selector that picks
// replicas by name: faults[i].target: { names: [replica-1] }.
const SelectorNames = "names"

// isReplicaName reports whether n looks like a replica's name,
// replica-N. How many replicas there are is known only at run time; a name
// beyond them is refused then.
func isReplicaName(n string) bool {
	num, ok := strings.CutPrefix(n, "replica-")
	return ok && num != "" && num[0] != '0' && len(num) <= 4 && strings.Trim(num, "0123456789") == ""
}

// Spec is what the sandbox accepts in a scenario file: the six classic
// kinds, their modes (instance-stop kill|pause, db-failure stop|pause,
// dependency-outage blackhole|error; the first is the default), and one
// per-fault selector, names, a list of replica names for the kinds that
// hit replicas. The scenario's target takes no fields of the sandbox's
// own. It has no traffic of its own, so a scenario gives built-in load or
// a metric source (NoLoadNeeded false).
//
// It is plain data and pure functions: validating a scenario needs no
// running sandbox.
func Spec() providers.Spec {
	return providers.Spec{
		Name:  ProviderName,
		Kinds: slices.Clone(providers.Kinds),
		Selector: []providers.FieldSpec{{
			Name:  SelectorNames,
			Type:  providers.FieldStrings,
			Doc:   "the replicas to hit, by name, e.g. [replica-1]",
			Check: checkNames,
		}},
		Modes: map[providers.Kind][]string{
			providers.InstanceStop:     instanceStopModes,
			providers.DBFailure:        dbModes,
			providers.DependencyOutage: dependencyModes,
		},
		CheckFault:   checkFault,
		NoLoadNeeded: false,
	}
}

// checkNames checks a names value: a non-empty list of replica names
// without repeats.
func checkNames(v any) error {
	names := providers.Fields{SelectorNames: v}.Strings(SelectorNames)
	if len(names) == 0 {
		return fmt.Errorf("want at least one replica name, like replica-1")
	}
	seen := map[string]bool{}
	for _, n := range names {
		if !isReplicaName(n) {
			return fmt.Errorf("%q is not a replica name (replica-1, replica-2, …)", n)
		}
		if seen[n] {
			return fmt.Errorf("%s is named twice", n)
		}
		seen[n] = true
	}
	return nil
}

// checkFault refuses names where they cannot apply: on the database or the
// dependency, and together with a selection (names already say which
// replicas, and how many).
func checkFault(_ providers.Fields, f providers.Fault) []providers.FieldError {
	if len(f.Target.Strings(SelectorNames)) == 0 {
		return nil
	}
	var errs []providers.FieldError
	switch f.Kind {
	case providers.DBFailure:
		errs = append(errs, providers.NewFieldError("target."+SelectorNames, "a db-failure acts on the sandbox's one database; it takes no replica names"))
	case providers.DependencyOutage:
		errs = append(errs, providers.NewFieldError("target."+SelectorNames, "a dependency-outage acts on the sandbox's one dependency; it takes no replica names"))
	}
	if f.Selection.Count > 0 || f.Selection.Percent > 0 {
		errs = append(errs, providers.NewFieldError("selection", "the fault names its replicas in target.%s; drop the selection", SelectorNames))
	}
	return errs
}
