package scenarios_test

import (
	"slices"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/providers/aws"
	"github.com/gameday-tui/gameday/providers/kubernetes"
	"github.com/gameday-tui/gameday/providers/sandbox"
	"github.com/gameday-tui/gameday/scenarios"
)

// testOptions is a loader that knows the real sandbox and aws providers
// (so the shipped scenarios parse), "kube", a test provider with fields of
// every type, a selector and a native kind, and a metric source "prom"
// whose queries become series. The command line's tests parse the shipped
// scenarios with its whole registry.
func testOptions() scenarios.Options {
	return scenarios.Options{
		Providers: map[string]providers.Spec{
			"sandbox":    sandbox.Spec(),
			"aws":        aws.Spec(),
			"kubernetes": kubernetes.Spec(),
			"kube":       kubeSpec(),
		},
		Sources: map[string]providers.SourceSpec{
			"cloudwatch": aws.CloudWatchSourceSpec(),
			"prom": {
				Name: "prom",
				Fields: []providers.FieldSpec{
					{Name: "url", Type: providers.FieldString, Required: true},
					{Name: "queries", Type: providers.FieldStringMap},
					{Name: "step", Type: providers.FieldDuration, Min: providers.Ptr(1)},
				},
				Series: func(f providers.Fields) []string {
					var out []string
					for k := range f.StringMap("queries") {
						out = append(out, k)
					}
					return out
				},
			},
		},
	}
}

func kubeSpec() providers.Spec {
	return providers.Spec{
		Name:         "kube",
		Kinds:        append(slices.Clone(providers.Kinds), "chaos-mesh"),
		NoLoadNeeded: true,
		Target: []providers.FieldSpec{
			{Name: "namespace", Type: providers.FieldString, Required: true, Doc: "the namespace of the workload"},
			{Name: "selector", Type: providers.FieldStringMap},
			{Name: "allow_system", Type: providers.FieldBool},
		},
		Selector: []providers.FieldSpec{
			{Name: "labels", Type: providers.FieldStringMap},
			{Name: "names", Type: providers.FieldStrings},
		},
		Params: map[providers.Kind][]providers.FieldSpec{
			providers.Latency:      {{Name: "correlation", Type: providers.FieldNumber, Min: providers.Ptr(0), Max: providers.Ptr(100)}},
			providers.InstanceStop: {{Name: "grace_period", Type: providers.FieldDuration}},
			"chaos-mesh":           {{Name: "manifest", Type: providers.FieldMapping, Required: true}},
		},
		Modes: map[providers.Kind][]string{
			providers.InstanceStop: {"kill", "pause", "pod-kill"},
		},
		CheckTarget: func(t providers.Fields) []providers.FieldError {
			if t.String("namespace") == "kube-system" && !t.Bool("allow_system") {
				return []providers.FieldError{providers.NewFieldError("namespace", "kube-system is a system namespace; set allow_system: true to run there")}
			}
			return nil
		},
		CheckFault: func(_ providers.Fields, f providers.Fault) []providers.FieldError {
			if f.Kind == "chaos-mesh" && f.Params.Extra.Map("manifest")["kind"] == nil {
				return []providers.FieldError{providers.NewFieldError("params.manifest", "a Chaos Mesh manifest needs a kind")}
			}
			if f.Target.Has("names") && f.Selection.Percent > 0 {
				return []providers.FieldError{{Path: "selection", Msg: "names pick the pods; a percent of them needs no names"}}
			}
			return nil
		},
	}
}
