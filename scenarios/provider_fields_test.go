package scenarios_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// kube is a scenario of the "kube" test provider (options_test.go): its
// target fields, a fault's own target, provider params, a native kind and
// a metric source with a named series.
const kube = `title: Pod kill
hypothesis: Killing a pod keeps errors under 1%
blast_radius: one pod of checkout
rollback: abort deletes the chaos object
target: { provider: kube, namespace: shop, selector: { app: checkout } }
metrics: { source: prom, url: "http://127.0.0.1:9090", queries: { queue_depth: "sum(queue)" } }
steady_state:
  error_rate: { max: 0.01 }
  queue_depth: { max: 100 }
phases: { baseline: 30s, fault: 60s, recovery: 30s }
faults:
  - kind: instance-stop
    target: { labels: { tier: web }, names: [checkout-1, checkout-2] }
    params: { mode: pod-kill, grace_period: 5s }
  - kind: latency
    params: { delay: 200ms, correlation: 50 }
  - kind: chaos-mesh
    params:
      manifest: { kind: PodChaos, spec: { action: pod-failure, duration: 30s } }
stop_conditions:
  - { metric: queue_depth, above: 500, for: 10s }
`

func TestParseProviderOwnedFields(t *testing.T) {
	p, err := scenarios.Parse("k.yaml", []byte(kube), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Target.Fields.String("namespace"); got != "shop" {
		t.Errorf("namespace = %q", got)
	}
	if got := p.Target.Fields.StringMap("selector"); got["app"] != "checkout" {
		t.Errorf("selector = %v", got)
	}
	f := p.Faults[0]
	if got := f.Target.Strings("names"); strings.Join(got, ",") != "checkout-1,checkout-2" || f.Target.StringMap("labels")["tier"] != "web" {
		t.Errorf("fault target = %v", f.Target)
	}
	if f.Params.Mode != "pod-kill" || f.Params.Extra.Duration("grace_period") != 5*time.Second {
		t.Errorf("fault params = %+v", f.Params)
	}
	if v, ok := p.Faults[1].Params.Extra.Number("correlation"); !ok || v != 50 || p.Faults[1].Params.Delay != 200*time.Millisecond {
		t.Errorf("latency params = %+v", p.Faults[1].Params)
	}
	m := p.Faults[2].Params.Extra.Map("manifest")
	if m["kind"] != "PodChaos" || m["spec"].(map[string]any)["action"] != "pod-failure" {
		t.Errorf("manifest = %v", m)
	}
	if p.Load != nil || p.Metrics == nil || p.Metrics.Source != "prom" || p.Metrics.Fields.StringMap("queries")["queue_depth"] != "sum(queue)" {
		t.Errorf("load %+v, metrics %+v", p.Load, p.Metrics)
	}
	if b, ok := p.SteadyState["queue_depth"]; !ok || *b.Max != 100 {
		t.Errorf("queue_depth bound = %+v", b)
	}
	// The provider gets the scenario's target fields with every fault.
	if cf := p.CallFault(f); cf.Scope.String("namespace") != "shop" || cf.Owner != "" {
		t.Errorf("CallFault = %+v", cf)
	}
	// Validate agrees with Parse on a plan read back.
	if err := p.Validate(testOptions()); err != nil {
		t.Errorf("Validate of a parsed plan: %v", err)
	}
}

func TestParseProviderOwnedMistakes(t *testing.T) {
	ed := func(old, new string) string {
		t.Helper()
		if strings.Count(kube, old) != 1 {
			t.Fatalf("%q is not once in the kube scenario", old)
		}
		return strings.Replace(kube, old, new, 1)
	}
	tests := map[string]struct {
		src       string
		line, col int
		contains  []string
	}{
		"unknown target field with a suggestion": {
			src: ed("namespace: shop", "namespce: shop"), line: 5, col: 27,
			contains: []string{`unknown field "namespce" in target of provider kube`, `did you mean "namespace"?`},
		},
		"required target field missing": {
			src: ed("namespace: shop, ", ""), line: 5, col: 9,
			contains: []string{`missing required field "namespace" in target of provider kube (the namespace of the workload)`},
		},
		"target field of the wrong type": {
			src: ed("selector: { app: checkout }", "selector: app=checkout"), line: 5, col: 54,
			contains: []string{"expected a mapping for selector"},
		},
		"the provider's own rule on its target": {
			src: ed("namespace: shop", "namespace: kube-system"), line: 5, col: 38,
			contains: []string{"kube-system is a system namespace; set allow_system: true"},
		},
		"unknown selector field": {
			src: ed("labels: { tier: web }", "label: { tier: web }"), line: 13, col: 15,
			contains: []string{`unknown field "label" in a fault's target (provider kube)`, `did you mean "labels"?`},
		},
		"provider param out of range": {
			src: ed("correlation: 50", "correlation: 150"), line: 16, col: 42,
			contains: []string{"correlation: must be at most 100, got 150"},
		},
		"mode the provider does not have": {
			src: ed("mode: pod-kill", "mode: delete"), line: 14, col: 21,
			contains: []string{`mode "delete" is not one instance-stop has; use kill or pause or pod-kill`},
		},
		"param of another kind": {
			src: ed("correlation: 50", "grace_period: 5s"), line: 16, col: 29,
			contains: []string{`unknown field "grace_period" in params`},
		},
		"native kind without its required param": {
			src: ed("    params:\n      manifest: { kind: PodChaos, spec: { action: pod-failure, duration: 30s } }\n", ""), line: 17, col: 5,
			contains: []string{`missing required field "manifest" in params of chaos-mesh`},
		},
		"native kind with a classic param": {
			src: ed("manifest: { kind", "delay: 1s\n      manifest: { kind"), line: 19, col: 7,
			contains: []string{`params field "delay" does not apply to chaos-mesh; chaos-mesh takes: manifest`},
		},
		"the provider's own rule on a fault": {
			src: ed("manifest: { kind: PodChaos, spec", "manifest: { spec"), line: 19, col: 17,
			contains: []string{"a Chaos Mesh manifest needs a kind"},
		},
		"unknown metric source": {
			src: ed("source: prom,", "source: prometheus,"), line: 6, col: 20,
			contains: []string{`unknown metric source "prometheus"`, "known sources: cloudwatch, prom"},
		},
		"series no source delivers": {
			src: ed("queue_depth: { max: 100 }", "queue_size: { max: 100 }"), line: 9, col: 3,
			contains: []string{`unknown metric "queue_size" in steady_state`, "queue_depth"},
		},
		"stop condition on an unknown series": {
			src: ed("metric: queue_depth,", "metric: backlog,"), line: 21, col: 15,
			contains: []string{`unknown metric "backlog" in a stop condition`},
		},
		"load of the sandbox is needed": {
			src: strings.Replace(strings.Replace(valid, "load: { rate: 200, path: /api/users/7, timeout: 2s }\n", "", 1), "", "", 1), line: 1, col: 1,
			contains: []string{"provider sandbox has no traffic of its own to measure"},
		},
		"load path and url": {
			src: edit(t, "path: /api/users/7", "path: /x, url: http://shop/"), line: 6, col: 26,
			contains: []string{"load takes a path on the target or a url, not both"},
		},
		"load rate and command": {
			src: edit(t, "rate: 200, path: /api/users/7, timeout: 2s", "rate: 200, command: [k6, run, x.js]"), line: 6, col: 15,
			contains: []string{"load takes a rate (the built-in load generator) or a command (external load), not both"},
		},
		"near margin out of range": {
			src: edit(t, "phases:", "near_margin: 2\nphases:"), line: 10, col: 14,
			contains: []string{"near_margin is a fraction of a bound in (0, 1)"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			errs := parseErrors(t, tc.src)
			for _, e := range errs {
				ok := e.Line == tc.line && (tc.col == 0 || e.Column == tc.col)
				for _, c := range tc.contains {
					ok = ok && strings.Contains(e.Msg, c)
				}
				if ok {
					return
				}
			}
			t.Errorf("no error at %d:%d containing %q; got:\n%v", tc.line, tc.col, tc.contains, errs)
		})
	}
}

// A plan built in code is checked by the same rules, each mistake naming
// its field.
func TestValidateProviderOwnedFields(t *testing.T) {
	p, err := scenarios.Parse("k.yaml", []byte(kube), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	p.Target.Fields = providers.Fields{"namespace": 7, "nope": "x"}
	p.Faults[1].Params.Extra = providers.Fields{"correlation": "high"}
	err = p.Validate(testOptions())
	for _, want := range []string{
		"target.namespace: namespace: expected text",
		`target.nope: unknown field "nope" in target of provider kube`,
		"faults[1].params.correlation: correlation: expected a number",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v; want %q", err, want)
		}
	}
}

func TestParseLadder(t *testing.T) {
	src := edit(t, "selection: { percent: 10 }", "selection: { steps: [10%, 25%, 50%], hold: 20s, on_breach: hold }")
	p, err := scenarios.Parse("l.yaml", []byte(src), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	l := p.Faults[0].Ladder
	if l == nil || len(l.Steps) != 3 || l.Steps[1].Percent != 25 || l.Hold != 20*time.Second || l.OnBreach != "hold" || p.Faults[0].Selection.Percent != 10 {
		t.Errorf("ladder = %+v, selection %v", l, p.Faults[0].Selection)
	}
	counts := edit(t, "selection: { percent: 10 }", "selection: { steps: [1, 2, 3], hold: 20s }")
	if p, err := scenarios.Parse("l.yaml", []byte(counts), testOptions()); err != nil || p.Faults[0].Ladder.Steps[2].Count != 3 {
		t.Errorf("count steps: %v", err)
	}
	for name, tc := range map[string]struct {
		sel, want string
	}{
		"one step":       {"{ steps: [10%], hold: 30s }", "a ladder needs at least two steps"},
		"no hold":        {"{ steps: [10%, 20%] }", "a ladder needs hold"},
		"mixed":          {"{ steps: [10%, 2], hold: 30s }", "steps are all percentages or all counts"},
		"narrower":       {"{ steps: [20%, 10%], hold: 30s }", "each step must be wider than the one before"},
		"bad step":       {"{ steps: [ten, 20%], hold: 30s }", "a step is a percentage like 10% or a count like 2"},
		"beyond the cap": {"{ steps: [10%, 50%], hold: 30s }\nmax_percent: 25", "the widest step, 50%, is beyond the plan's max_percent of 25"},
		"too long":       {"{ steps: [1, 2, 3], hold: 40s }", "3 steps held 40s each need more than 1m20s before the widest; the fault lasts 1m0s"},
		"with a percent": {"{ percent: 10, steps: [1, 2], hold: 10s }", "selection takes steps or a percent or a count, not both"},
		"unknown breach": {"{ steps: [1, 2], hold: 10s, on_breach: retry }", `on_breach is "stop"`},
	} {
		t.Run(name, func(t *testing.T) {
			src := strings.Replace(valid, "selection: { percent: 10 }", "selection: "+tc.sel, 1)
			if strings.Contains(tc.sel, "max_percent") {
				parts := strings.SplitN(tc.sel, "\n", 2)
				src = strings.Replace(strings.Replace(valid, "selection: { percent: 10 }", "selection: "+parts[0], 1), "faults:", parts[1]+"\nfaults:", 1)
			}
			errs := parseErrors(t, src)
			if !strings.Contains(errs.Error(), tc.want) {
				t.Errorf("errors %v, want %q", errs, tc.want)
			}
		})
	}
}
