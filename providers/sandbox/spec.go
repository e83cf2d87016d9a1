package sandbox

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
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
		CheckPlan:    checkPlan,
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

// machine returns the memory (in MB) and the CPU cores of the machine the
// sandbox runs on — this one, its processes being local — read when it is
// called; ok is false where they cannot be told. A variable so tests can
// fake the machine.
var machine = func() (memoryMB float64, cores int, ok bool) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, 0, false
	}
	for line := range strings.Lines(string(b)) {
		if rest, found := strings.CutPrefix(line, "MemTotal:"); found {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil || kb <= 0 {
				return 0, 0, false
			}
			return kb / 1024, runtime.NumCPU(), true
		}
	}
	return 0, 0, false
}

// checkPlan holds each fault to what the sandbox's hooks accept (a delay
// or jitter up to maxDelay, memory_mb up to maxMemoryMB per replica,
// workers up to maxWorkers), and the faults together to the machine: the
// memory-stress faults may hold at most half its memory — the other half
// is for the sandbox's own processes, the console and the load generator
// that measure it — and the cpu-stress faults may burn at most its cores,
// since burners beyond them starve what measures them rather than stress
// the replicas more. Every fault counts as if all were in force at once
// (the console can inject any fault early), each times the replicas it
// hits at the least: the replicas it names, its selection count, else one.
func checkPlan(_ providers.Fields, faults []providers.Fault) []providers.FieldError {
	var errs []providers.FieldError
	for i, f := range faults {
		at := fmt.Sprintf("faults[%d].params.", i)
		p := f.Params
		switch f.Kind {
		case providers.Latency:
			if p.Delay > maxDelay {
				errs = append(errs, providers.NewFieldError(at+"delay", "the sandbox delays a request by at most %s; got %s", maxDelay, p.Delay))
			}
			if p.Jitter > maxDelay {
				errs = append(errs, providers.NewFieldError(at+"jitter", "the sandbox's jitter is at most %s; got %s", maxDelay, p.Jitter))
			}
		case providers.MemoryStress:
			if p.MemoryMB > maxMemoryMB {
				errs = append(errs, providers.NewFieldError(at+"memory_mb", "a sandbox replica holds at most %d MB; got %d", maxMemoryMB, p.MemoryMB))
			}
		case providers.CPUStress:
			if p.Workers > maxWorkers {
				errs = append(errs, providers.NewFieldError(at+"workers", "a sandbox replica runs at most %d workers; got %d", maxWorkers, p.Workers))
			}
		}
	}
	if len(errs) > 0 {
		return errs
	}
	memMB, cores, ok := machine()
	if !ok {
		return nil
	}
	var mem, cpu float64
	memOver, cpuOver := false, false
	for i, f := range faults {
		m, c := f.Stress()
		n := float64(max(len(f.Target.Strings(SelectorNames)), f.Selection.Count, 1))
		mem, cpu = mem+m*n, cpu+c*n
		if !memOver && m > 0 && mem > memMB/2 {
			memOver = true
			errs = append(errs, providers.NewFieldError(fmt.Sprintf("faults[%d].params.memory_mb", i), "the memory-stress faults up to this one hold %g MB together (memory_mb × the replicas each hits), beyond half of this machine's %.0f MB", mem, memMB))
		}
		if !cpuOver && c > 0 && cpu > float64(cores) {
			cpuOver = true
			errs = append(errs, providers.NewFieldError(fmt.Sprintf("faults[%d].params.workers", i), "the cpu-stress faults up to this one burn %g cores together (workers × load%% × the replicas each hits), beyond this machine's %d", cpu, cores))
		}
	}
	return errs
}
