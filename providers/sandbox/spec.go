package sandbox

import (
	"slices"

	"github.com/gameday-tui/gameday/providers"
)

// Spec is what the sandbox accepts in a scenario file: the six classic
// kinds with their modes, and a fault may name the replicas it hits
// (target: { names: [replica-2] }). It has no traffic of its own, so a
// scenario gives built-in load or a metric source.
func Spec() providers.Spec {
	return providers.Spec{
		Name:  ProviderName,
		Kinds: slices.Clone(providers.Kinds),
		Selector: []providers.FieldSpec{
			{Name: "names", Type: providers.FieldStrings, Doc: "the replicas to hit, e.g. [replica-2]"},
		},
		Modes: map[providers.Kind][]string{
			providers.InstanceStop:     {"kill", "pause"},
			providers.DBFailure:        {"stop", "pause"},
			providers.DependencyOutage: {"blackhole", "error"},
		},
		CheckFault: func(_ providers.Fields, f providers.Fault) []providers.FieldError {
			names := f.Target.Strings("names")
			if len(names) == 0 {
				return nil
			}
			var errs []providers.FieldError
			if f.Kind == providers.DBFailure || f.Kind == providers.DependencyOutage {
				errs = append(errs, providers.NewFieldError("target.names", "%s acts on the sandbox's one %s; it takes no replica names", f.Kind, map[providers.Kind]string{providers.DBFailure: "database", providers.DependencyOutage: "dependency"}[f.Kind]))
			}
			if f.Selection.Count > 0 || f.Selection.Percent > 0 {
				errs = append(errs, providers.NewFieldError("selection", "the fault names its replicas in target.names; drop the selection"))
			}
			return errs
		},
	}
}
