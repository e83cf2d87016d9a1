package scenarios_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// valid is a correct scenario; each malformed case changes one thing in
// it, so the line and column numbers below refer to this text.
const valid = `title: Random task stop
hypothesis: Stopping 10% of tasks keeps the error rate under 0.1%
blast_radius: 10% of the service's tasks
rollback: abort when the error rate exceeds 5% for 10 s
target: { provider: sandbox, name: demo }
load: { rate: 200, path: /api/users/7, timeout: 2s }
steady_state:
  p95_ms: { max: 200 }
  error_rate: { max: 0.001 }
phases: { baseline: 30s, fault: 2m, recovery: 60s }
faults:
  - kind: instance-stop
    selection: { percent: 10 }
    start_after: 10s
    duration: 60s
stop_conditions:
  - { metric: error_rate, above: 0.05, for: 10s }
`

// edit replaces old, which must occur exactly once in valid, with new.
func edit(t *testing.T, old, new string) string {
	t.Helper()
	if n := strings.Count(valid, old); n != 1 {
		t.Fatalf("edit: %q occurs %d times in the valid scenario", old, n)
	}
	return strings.Replace(valid, old, new, 1)
}

func parseErrors(t *testing.T, src string) scenarios.Errors {
	t.Helper()
	p, err := scenarios.Parse("s.yaml", []byte(src), testOptions())
	if err == nil {
		t.Fatalf("Parse accepted the scenario:\n%s", src)
	}
	if p != nil {
		t.Errorf("Parse returned a plan along with errors")
	}
	var errs scenarios.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Parse error is %T, want scenarios.Errors: %v", err, err)
	}
	for _, e := range errs {
		if e.Path != "s.yaml" {
			t.Errorf("error path = %q, want s.yaml", e.Path)
		}
	}
	return errs
}

func TestParseValid(t *testing.T) {
	p, err := scenarios.Parse("s.yaml", []byte(valid), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if p.Path != "s.yaml" || p.Title != "Random task stop" || p.Rollback == "" || p.BlastRadius == "" {
		t.Errorf("plan header = %q %q %q %q", p.Path, p.Title, p.BlastRadius, p.Rollback)
	}
	if p.Target.Provider != "sandbox" || p.Target.Name != "demo" {
		t.Errorf("target = %+v", p.Target)
	}
	if p.Load == nil || p.Load.Rate != 200 || p.Load.Path != "/api/users/7" || p.Load.Timeout != 2*time.Second {
		t.Errorf("load = %+v", p.Load)
	}
	if b := p.SteadyState[scenarios.P95]; b.Max == nil || *b.Max != 200 || b.Min != nil {
		t.Errorf("p95 bound = %+v", b)
	}
	if b := p.SteadyState[scenarios.ErrorRate]; b.Max == nil || *b.Max != 0.001 {
		t.Errorf("error_rate bound = %+v", b)
	}
	if len(p.SteadyState) != 2 {
		t.Errorf("steady state has %d metrics, want 2", len(p.SteadyState))
	}
	if want := (scenarios.Phases{Baseline: 30 * time.Second, Fault: 2 * time.Minute, Recovery: time.Minute}); p.Phases != want {
		t.Errorf("phases = %+v, want %+v", p.Phases, want)
	}
	if len(p.Faults) != 1 {
		t.Fatalf("faults = %+v", p.Faults)
	}
	f := p.Faults[0]
	if f.ID != "f1" || f.Kind != providers.InstanceStop || f.Selection.Percent != 10 || f.StartAfter != 10*time.Second || f.Duration != time.Minute || f.Manual {
		t.Errorf("fault = %+v", f)
	}
	if len(p.StopConditions) != 1 {
		t.Fatalf("stop conditions = %+v", p.StopConditions)
	}
	sc := p.StopConditions[0]
	if sc.Metric != scenarios.ErrorRate || sc.Above == nil || *sc.Above != 0.05 || sc.Below != nil || sc.For != 10*time.Second {
		t.Errorf("stop condition = %+v", sc)
	}
	if err := p.Validate(testOptions()); err != nil {
		t.Errorf("a parsed plan does not validate: %v", err)
	}
}

func TestParseEveryField(t *testing.T) {
	src := `title: Everything
description: |
  説明: 日本語の説明
hypothesis: h
blast_radius: b
rollback: r
target: { provider: kube, name: shop, environment: production, namespace: web }
steady_state:
  p95_ms: { min: 1, max: 200 }
  throughput_rps: { min: 180 }
  running: { min: 3 }
phases: { baseline: 500ms, fault: 1m30s, recovery: 1m }
max_percent: 50
max_count: 2
faults:
  - kind: latency
    params: { delay: 500ms, jitter: 50ms }
  - id: burn
    kind: cpu-stress
    selection: { count: 2 }
    manual: true
    params: { workers: 2, load: 80 }
  - kind: memory-stress
    selection: { percent: 50 }
    params: { memory_mb: 128 }
  - { kind: dependency-outage, params: { mode: error } }
  - { kind: db-failure, params: { mode: stop } }
  - { kind: instance-stop, selection: { count: 1 }, params: { mode: pause } }
stop_conditions:
  - { metric: running, below: 2 }
`
	opts := testOptions()
	p, err := scenarios.Parse("e.yaml", []byte(src), opts)
	if err != nil {
		t.Fatal(err)
	}
	if p.Load != nil {
		t.Errorf("load = %+v, want nil (real traffic)", p.Load)
	}
	if p.Description != "説明: 日本語の説明" {
		t.Errorf("description = %q", p.Description)
	}
	if !p.Target.Production() || p.Target.Fields["namespace"] != "web" {
		t.Errorf("target = %+v", p.Target)
	}
	if p.Phases.Baseline != 500*time.Millisecond || p.Phases.Fault != 90*time.Second {
		t.Errorf("phases = %+v", p.Phases)
	}
	if p.MaxPercent != 50 || p.MaxCount != 2 {
		t.Errorf("caps = %g %d", p.MaxPercent, p.MaxCount)
	}
	var ids []string
	for _, f := range p.Faults {
		ids = append(ids, f.ID)
	}
	if got := strings.Join(ids, ","); got != "f1,burn,f3,f4,f5,f6" {
		t.Errorf("fault ids = %s", got)
	}
	if f := p.Faults[0]; f.Params.Delay != 500*time.Millisecond || f.Params.Jitter != 50*time.Millisecond || (f.Selection != providers.Selection{}) {
		t.Errorf("latency fault = %+v", f)
	}
	if f := p.Faults[1]; !f.Manual || f.Params.Workers != 2 || f.Params.Load != 80 || f.Selection.Count != 2 {
		t.Errorf("cpu fault = %+v", f)
	}
	if f := p.Faults[2]; f.Params.MemoryMB != 128 || f.Selection.Percent != 50 {
		t.Errorf("memory fault = %+v", f)
	}
	if p.Faults[3].Params.Mode != "error" || p.Faults[5].Params.Mode != "pause" {
		t.Errorf("modes = %q %q", p.Faults[3].Params.Mode, p.Faults[5].Params.Mode)
	}
	if sc := p.StopConditions[0]; sc.Below == nil || *sc.Below != 2 || sc.For != 0 {
		t.Errorf("stop condition = %+v", sc)
	}
	if b := p.SteadyState[scenarios.P95]; b.Min == nil || *b.Min != 1 {
		t.Errorf("p95 = %+v", b)
	}
	if got := p.Kinds(); len(got) != 6 || got[0] != providers.Latency {
		t.Errorf("Kinds() = %v", got)
	}
}

func TestParseMalformed(t *testing.T) {
	faultsBlock := `faults:
  - kind: instance-stop
    selection: { percent: 10 }
    start_after: 10s
    duration: 60s
`
	tests := map[string]struct {
		src      string
		line     int
		col      int // 0: not checked (YAML syntax errors have no column)
		contains []string
	}{
		"unknown field with a suggestion": {
			src:  edit(t, "hypothesis: Stopping", "hypotesis: Stopping"),
			line: 2, col: 1, contains: []string{`unknown field "hypotesis"`, `did you mean "hypothesis"?`},
		},
		"unknown field without a close one": {
			src:  edit(t, "rollback: abort", "owner: sre\nrollback: abort"),
			line: 4, col: 1, contains: []string{`unknown field "owner"`, "expected one of: title, description, hypothesis"},
		},
		"wrong type for a duration": {
			src:  edit(t, "baseline: 30s", "baseline: thirty"),
			line: 10, col: 21, contains: []string{"expected a duration like 30s", `"thirty"`},
		},
		"duration without a unit": {
			src:  edit(t, "fault: 2m", "fault: 120"),
			line: 10, col: 33, contains: []string{"expected a duration like 30s", "120 without a unit"},
		},
		"malformed duration": {
			src:  edit(t, "duration: 60s", "duration: 1h2x"),
			line: 15, col: 15, contains: []string{"duration: expected a duration", `"1h2x"`},
		},
		"percent above 100": {
			src:  edit(t, "percent: 10", "percent: 150"),
			line: 13, col: 27, contains: []string{"percent must be in (0, 100], got 150"},
		},
		"percent of zero": {
			src:  edit(t, "percent: 10", "percent: 0"),
			line: 13, col: 27, contains: []string{"percent must be in (0, 100], got 0"},
		},
		"count below one": {
			src:  edit(t, "{ percent: 10 }", "{ count: 0 }"),
			line: 13, col: 25, contains: []string{"count must be at least 1, got 0"},
		},
		"count not a whole number": {
			src:  edit(t, "{ percent: 10 }", "{ count: 1.5 }"),
			line: 13, col: 25, contains: []string{"count: expected a whole number, got the number 1.5"},
		},
		"percent and count": {
			src:  edit(t, "{ percent: 10 }", "{ percent: 10, count: 1 }"),
			line: 13, col: 16, contains: []string{"percent or count, not both"},
		},
		"empty selection": {
			src:  edit(t, "{ percent: 10 }", "{}"),
			line: 13, col: 16, contains: []string{"selection needs percent", "or count"},
		},
		"instance-stop without a selection": {
			src:  edit(t, "    selection: { percent: 10 }\n", ""),
			line: 12, col: 5, contains: []string{"instance-stop needs a selection"},
		},
		"fault kind the provider does not have": {
			src:  edit(t, "kind: instance-stop", "kind: cpu-spike"),
			line: 12, col: 11, contains: []string{`fault kind "cpu-spike" is not supported by provider sandbox`, "it has: instance-stop, latency, cpu-stress, memory-stress, db-failure, dependency-outage"},
		},
		"fault kind with a typo": {
			src:  edit(t, "kind: instance-stop", "kind: instance-stp"),
			line: 12, col: 11, contains: []string{`did you mean "instance-stop"?`},
		},
		"stop condition on an unknown metric": {
			src:  edit(t, "metric: error_rate", "metric: errors"),
			line: 17, col: 15, contains: []string{`unknown metric "errors"`, "metrics: p95_ms, error_rate, throughput_rps, running"},
		},
		"missing required field": {
			src:  edit(t, "rollback: abort when the error rate exceeds 5% for 10 s\n", ""),
			line: 1, col: 1, contains: []string{`missing required field "rollback"`},
		},
		"missing phase": {
			src:  edit(t, ", recovery: 60s }", " }"),
			line: 10, col: 9, contains: []string{`missing required field "recovery" in phases`},
		},
		"empty faults": {
			src:  edit(t, faultsBlock, "faults: []\n"),
			line: 11, col: 9, contains: []string{"at least one fault"},
		},
		"duplicate key": {
			src:  edit(t, "hypothesis: Stopping", "title: Again\nhypothesis: Stopping"),
			line: 2, col: 1, contains: []string{`duplicate key "title" (first at line 1)`},
		},
		"duplicate fault ids": {
			src: edit(t, faultsBlock, `faults:
  - id: stop
    kind: instance-stop
    selection: { count: 1 }
  - id: stop
    kind: latency
    params: { delay: 1s }
`),
			line: 15, col: 9, contains: []string{`duplicate fault id "stop": fault 1 has it too`},
		},
		"explicit id clashing with an automatic one": {
			src: edit(t, faultsBlock, `faults:
  - id: f2
    kind: instance-stop
    selection: { count: 1 }
  - kind: latency
    params: { delay: 1s }
`),
			line: 12, col: 9, contains: []string{`fault id "f2" is also the automatic id of fault 2`},
		},
		"min above max": {
			src:  edit(t, "p95_ms: { max: 200 }", "p95_ms: { min: 300, max: 200 }"),
			line: 8, col: 11, contains: []string{"min 300 is greater than its max 200"},
		},
		"start_after beyond the fault phase": {
			src:  edit(t, "start_after: 10s", "start_after: 3m"),
			line: 14, col: 18, contains: []string{"start_after 3m0s is not within the fault phase, which lasts 2m0s"},
		},
		"fault window past the phase end": {
			src:  edit(t, "duration: 60s", "duration: 115s"),
			line: 15, col: 15, contains: []string{"runs past the end of the fault phase (2m0s)"},
		},
		"stop condition with above and below": {
			src:  edit(t, "above: 0.05,", "above: 0.05, below: 0.01,"),
			line: 17, col: 5, contains: []string{"above or below, not both"},
		},
		"stop condition with neither above nor below": {
			src:  edit(t, "above: 0.05, ", ""),
			line: 17, col: 5, contains: []string{"needs above or below"},
		},
		"negative stop condition time": {
			src:  edit(t, "for: 10s", "for: -1s"),
			line: 17, col: 45, contains: []string{"for must not be negative"},
		},
		"YAML syntax error": {
			src:  edit(t, "  p95_ms: { max: 200 }", "\tp95_ms: { max: 200 }"),
			line: 8, contains: []string{"invalid YAML"},
		},
		"unclosed flow mapping": {
			src:  edit(t, "load: { rate: 200, path: /api/users/7, timeout: 2s }", "load: { rate: 200"),
			line: 6, contains: []string{"invalid YAML", "did not find expected ',' or '}'"},
		},
		"unknown anchor": {
			src:  edit(t, "name: demo", "name: *demo"),
			line: 5, col: 36, contains: []string{"invalid YAML: unknown anchor 'demo'"},
		},
		"control character": {
			src:  edit(t, "blast_radius: 10%", "blast_radius: 10\x01%"),
			line: 3, col: 17, contains: []string{"invalid YAML: control characters are not allowed"},
		},
		"unknown provider": {
			src:  edit(t, "provider: sandbox", "provider: azure"),
			line: 5, col: 21, contains: []string{`unknown provider "azure"`, "known providers: aws, kube, kubernetes, sandbox"},
		},
		"missing provider": {
			src:  edit(t, "{ provider: sandbox, name: demo }", "{ name: demo }"),
			line: 5, col: 9, contains: []string{`missing required field "provider" in target`},
		},
		"unknown target field": {
			src:  edit(t, "name: demo", "nmae: demo"),
			line: 5, col: 30, contains: []string{`unknown field "nmae" in target of provider sandbox`, `did you mean "name"?`},
		},
		"production target without a name": {
			src:  edit(t, "name: demo", "environment: production"),
			line: 5, col: 43, contains: []string{"production target needs a name"},
		},
		"params of another kind": {
			src:  edit(t, "    start_after: 10s\n", "    params: { delay: 1s }\n    start_after: 10s\n"),
			line: 14, col: 15, contains: []string{`params field "delay" does not apply to instance-stop; instance-stop takes: mode`},
		},
		"unknown param": {
			src:  edit(t, "    start_after: 10s\n", "    params: { signal: 9 }\n    start_after: 10s\n"),
			line: 14, col: 15, contains: []string{`unknown field "signal" in params`},
		},
		"invalid mode": {
			src:  edit(t, "    start_after: 10s\n", "    params: { mode: explode }\n    start_after: 10s\n"),
			line: 14, col: 21, contains: []string{`mode "explode" is not one instance-stop has; use kill or pause`},
		},
		"latency without a delay": {
			src:  edit(t, "kind: instance-stop", "kind: latency"),
			line: 12, col: 5, contains: []string{"latency needs params.delay"},
		},
		"cpu load out of range": {
			src:  edit(t, "kind: instance-stop\n    selection: { percent: 10 }", "kind: cpu-stress\n    selection: { percent: 10 }\n    params: { load: 150 }"),
			line: 14, col: 21, contains: []string{"1 to 100, got 150"},
		},
		"memory-stress without memory_mb": {
			src:  edit(t, "kind: instance-stop", "kind: memory-stress"),
			line: 12, col: 5, contains: []string{"memory-stress needs params.memory_mb"},
		},
		"manual not a boolean": {
			src:  edit(t, "    start_after: 10s\n", "    manual: sometimes\n    start_after: 10s\n"),
			line: 14, col: 13, contains: []string{`manual: expected true or false, got "sometimes"`},
		},
		"load rate of zero": {
			src:  edit(t, "rate: 200", "rate: 0"),
			line: 6, col: 15, contains: []string{"load rate must be more than 0"},
		},
		"load rate not a number": {
			src:  edit(t, "rate: 200", "rate: fast"),
			line: 6, col: 15, contains: []string{`rate: expected a number, got "fast"`},
		},
		"load path as a URL": {
			src:  edit(t, "path: /api/users/7", "path: http://127.0.0.1/x"),
			line: 6, col: 26, contains: []string{"load path is relative to the target"},
		},
		"error rate as a percentage": {
			src:  edit(t, "error_rate: { max: 0.001 }", "error_rate: { max: 5 }"),
			line: 9, col: 22, contains: []string{"error_rate is a fraction: 0.1% is 0.001"},
		},
		"unknown steady-state metric": {
			src:  edit(t, "p95_ms: { max: 200 }", "p99_ms: { max: 200 }"),
			line: 8, col: 3, contains: []string{`unknown metric "p99_ms" in steady_state`, `did you mean "p95_ms"?`},
		},
		"bound without min or max": {
			src:  edit(t, "p95_ms: { max: 200 }", "p95_ms: {}"),
			line: 8, col: 11, contains: []string{"p95_ms needs min and/or max"},
		},
		"empty steady state": {
			src:  edit(t, "steady_state:\n  p95_ms: { max: 200 }\n  error_rate: { max: 0.001 }\n", "steady_state: {}\n"),
			line: 7, col: 15, contains: []string{"steady_state needs at least one metric"},
		},
		"mapping expected": {
			src:  edit(t, "phases: { baseline: 30s, fault: 2m, recovery: 60s }", "phases: 30s"),
			line: 10, col: 9, contains: []string{`expected a mapping for phases, got "30s"`},
		},
		"list expected": {
			src:  edit(t, faultsBlock, "faults: { kind: latency }\n"),
			line: 11, col: 9, contains: []string{"expected a list of faults, got a mapping"},
		},
		"required field without a value": {
			src:  edit(t, "title: Random task stop", "title:"),
			line: 1, col: 7, contains: []string{"title needs a value"},
		},
		"empty title": {
			src:  edit(t, "title: Random task stop", `title: ""`),
			line: 1, col: 8, contains: []string{"title must not be empty"},
		},
		"selection beyond max_percent": {
			src:  edit(t, "faults:\n", "max_percent: 5\nfaults:\n"),
			line: 14, col: 27, contains: []string{"selection of 10% is beyond the plan's max_percent of 5"},
		},
		"max_percent out of range": {
			src:  edit(t, "faults:\n", "max_percent: 0\nfaults:\n"),
			line: 11, col: 14, contains: []string{"max_percent must be in (0, 100]"},
		},
		"multiple documents": {
			src:  valid + "---\ntitle: second\n",
			line: 19, col: 1, contains: []string{"second YAML document", "exactly one"},
		},
		"not a mapping": {
			src:  "- just\n- a list\n",
			line: 1, col: 1, contains: []string{"expected a mapping of scenario fields", "got a list"},
		},
		"empty file": {
			src:  "",
			line: 1, col: 1, contains: []string{"the file is empty;"},
		},
		"file of comments": {
			src:  "# only a comment\n",
			line: 1, col: 1, contains: []string{"the file is empty but for comments"},
		},
		"tab-indented": {
			src:  edit(t, "    selection: { percent: 10 }", "  \tselection: { percent: 10 }"),
			line: 13, col: 3, contains: []string{"a tab indents this line"},
		},
		"bad fault id": {
			src:  edit(t, "  - kind: instance-stop", "  - id: kill it\n    kind: instance-stop"),
			line: 12, col: 9, contains: []string{`fault id "kill it" may hold only letters`},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			errs := parseErrors(t, tc.src)
			for _, e := range errs {
				if e.Line != tc.line || (tc.col != 0 && e.Column != tc.col) {
					continue
				}
				if containsAll(e.Msg, tc.contains) {
					return
				}
			}
			t.Errorf("no error at line %d col %d containing %q; got:\n%v", tc.line, tc.col, tc.contains, errs)
		})
	}
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

func TestParseReportsEveryMistake(t *testing.T) {
	src := valid
	for _, e := range [][2]string{
		{"baseline: 30s", "baseline: thirty"},
		{"percent: 10", "percent: 150"},
		{"metric: error_rate", "metric: errors"},
	} {
		src = strings.Replace(src, e[0], e[1], 1)
	}
	errs := parseErrors(t, src)
	if len(errs) != 3 {
		t.Fatalf("got %d errors, want 3:\n%v", len(errs), errs)
	}
	for i, line := range []int{10, 13, 17} {
		if errs[i].Line != line {
			t.Errorf("error %d is on line %d, want %d: %v", i, errs[i].Line, line, errs[i])
		}
	}
	want := "s.yaml:10:21: baseline: expected a duration like 30s, 500ms or 1m30s, got \"thirty\"\n"
	if !strings.HasPrefix(errs.Error(), want) {
		t.Errorf("Errors.Error() = %q, want it to start with %q", errs.Error(), want)
	}
	if n := strings.Count(errs.Error(), "\n"); n != 2 {
		t.Errorf("Errors.Error() has %d newlines, want one error per line", n)
	}
}

func TestParseErrorTypes(t *testing.T) {
	_, err := scenarios.Parse("s.yaml", []byte("title: [x"), testOptions())
	var ptr *scenarios.Errors
	if !errors.As(err, &ptr) || len(*ptr) == 0 {
		t.Fatalf("errors.As(*Errors) failed on %v", err)
	}
	var one *scenarios.Error
	if !errors.As(err, &one) || one.Line != 1 {
		t.Fatalf("errors.As(*Error) = %v", one)
	}
	for e, want := range map[*scenarios.Error]string{
		{Path: "a.yaml", Line: 3, Column: 7, Msg: "m"}: "a.yaml:3:7: m",
		{Path: "a.yaml", Line: 3, Msg: "m"}:            "a.yaml:3: m",
		{Path: "a.yaml", Msg: "m"}:                     "a.yaml: m",
	} {
		if e.Error() != want {
			t.Errorf("Error() = %q, want %q", e.Error(), want)
		}
	}
}

func TestParseAliasesAndMerges(t *testing.T) {
	src := edit(t, faultsBlock(), `faults:
  - &stop
    kind: instance-stop
    selection: { count: 1 }
  - <<: *stop
    id: second
    selection: { count: 2 }
`)
	p, err := scenarios.Parse("s.yaml", []byte(src), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Faults) != 2 || p.Faults[1].Kind != providers.InstanceStop || p.Faults[1].Selection.Count != 2 || p.Faults[1].ID != "second" {
		t.Errorf("faults = %+v", p.Faults)
	}
}

func faultsBlock() string {
	return "faults:\n  - kind: instance-stop\n    selection: { percent: 10 }\n    start_after: 10s\n    duration: 60s\n"
}

// A file over the limit is refused at the line and column where it goes
// past it.
func TestParseRejectsHugeFile(t *testing.T) {
	big := valid + "# " + strings.Repeat("x", scenarios.MaxFileSize) + "\n"
	errs := parseErrors(t, big)
	want := scenarios.Error{Path: "s.yaml", Line: 18, Column: scenarios.MaxFileSize - len(valid) + 1}
	if len(errs) != 1 || errs[0].Line != want.Line || errs[0].Column != want.Column || !strings.Contains(errs[0].Msg, "goes past 1048576 bytes here") {
		t.Errorf("errors = %v, want one at %d:%d", errs, want.Line, want.Column)
	}
}

func TestValidateNamesFields(t *testing.T) {
	p, err := scenarios.Parse("s.yaml", []byte(valid), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	p.Faults[0].Selection.Percent = 0
	p.Faults[0].Selection.Count = 0
	p.Faults[0].Params.Delay = time.Second
	p.StopConditions[0].Above = nil
	p.Phases.Recovery = 0
	err = p.Validate(testOptions())
	var errs scenarios.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Validate = %v", err)
	}
	for _, want := range []string{
		"s.yaml: phases.recovery: the recovery phase must last longer than 0",
		"s.yaml: faults[0]: instance-stop needs a selection",
		`s.yaml: faults[0].params.delay: params field "delay" does not apply to instance-stop`,
		"s.yaml: stop_conditions[0]: a stop condition needs above or below",
	} {
		if !strings.Contains(errs.Error(), want) {
			t.Errorf("Validate errors lack %q:\n%v", want, errs)
		}
	}
	if len(errs) != 4 {
		t.Errorf("got %d errors, want 4:\n%v", len(errs), errs)
	}
}

func TestWithPhases(t *testing.T) {
	p, err := scenarios.Parse("s.yaml", []byte(valid), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	q := p.WithPhases(scenarios.Phases{Baseline: 2 * time.Second, Fault: 12 * time.Second})
	if q.Phases != (scenarios.Phases{Baseline: 2 * time.Second, Fault: 12 * time.Second, Recovery: time.Minute}) {
		t.Errorf("phases = %+v", q.Phases)
	}
	// 10s + 60s in a 2m phase scales by 12s/2m to 1s + 6s.
	if f := q.Faults[0]; f.StartAfter != time.Second || f.Duration != 6*time.Second {
		t.Errorf("fault window = %s + %s, want 1s + 6s", f.StartAfter, f.Duration)
	}
	if err := q.Validate(testOptions()); err != nil {
		t.Errorf("shortened plan is invalid: %v", err)
	}
	if p.Faults[0].Duration != time.Minute || p.Phases.Fault != 2*time.Minute {
		t.Errorf("WithPhases changed the original: %+v %+v", p.Phases, p.Faults[0])
	}
	// A window that still fits is kept.
	r := p.WithPhases(scenarios.Phases{Fault: 100 * time.Second})
	if f := r.Faults[0]; f.StartAfter != 10*time.Second || f.Duration != time.Minute {
		t.Errorf("fitting window changed to %s + %s", f.StartAfter, f.Duration)
	}
}

// Participants, links and translations: the parts of a plan the report
// reads.
func TestParseReportFields(t *testing.T) {
	src := valid + `participants:
  - { name: Sato, role: facilitator }
  - { name: Tanaka, role: tech lead }
links:
  - { title: API dashboard, url: "https://grafana.example.com/d/api?from=now-1h" }
  - { url: "https://tickets.example.com/GD-12" }
translations:
  ja:
    title: ランダムなタスク停止
    hypothesis: タスクの 10% が停止してもエラー率は 0.1% 未満を保つ
`
	p, err := scenarios.Parse("s.yaml", []byte(src), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Participants) != 2 || p.Participants[1] != (scenarios.Participant{Name: "Tanaka", Role: "tech lead"}) {
		t.Errorf("participants = %+v", p.Participants)
	}
	if len(p.Links) != 2 || p.Links[1].URL != "https://tickets.example.com/GD-12" || p.Links[0].Title != "API dashboard" {
		t.Errorf("links = %+v", p.Links)
	}
	ja := p.Localized("ja")
	if ja.Title != "ランダムなタスク停止" || ja.Hypothesis == p.Hypothesis || ja.BlastRadius != p.BlastRadius {
		t.Errorf("Localized(ja) = %q / %q / %q: want the translated title and hypothesis, the English blast radius", ja.Title, ja.Hypothesis, ja.BlastRadius)
	}
	if p.Localized("en") != p || p.Title != "Random task stop" {
		t.Error("Localized without a translation must return the plan itself, unchanged")
	}

	tests := map[string]struct {
		add       string
		line, col int
		contains  string
	}{
		"participant without a name": {"participants:\n  - { role: scribe }\n", 19, 5, `missing required field "name" in a participant`},
		"participant as text":        {"participants: [Sato]\n", 18, 16, "expected a mapping for a participant"},
		"link that is not http":      {"links:\n  - { url: \"javascript:alert(1)\" }\n", 19, 12, "expected an absolute http or https URL"},
		"link with a space":          {"links:\n  - { url: \"https://x.example/a b\" }\n", 19, 12, "spaces or characters a link cannot hold"},
		"unknown language":           {"translations:\n  jp: { title: x }\n", 19, 3, `unknown language "jp" in translations; did you mean "ja"?`},
		"unknown translated field":   {"translations:\n  ja: { titel: x }\n", 19, 9, `unknown field "titel" in translations.ja; did you mean "title"?`},
		"empty translation":          {"translations:\n  ja: {}\n", 19, 3, "translations.ja is empty"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			errs := parseErrors(t, valid+tc.add)
			if len(errs) != 1 || errs[0].Line != tc.line || errs[0].Column != tc.col || !strings.Contains(errs[0].Msg, tc.contains) {
				t.Errorf("errors = %v; want one at %d:%d containing %q", errs, tc.line, tc.col, tc.contains)
			}
		})
	}

	// A plan built in code is held to the same rules.
	p.Links = append(p.Links, scenarios.Link{URL: "ftp://x"})
	p.Translations["fr"] = scenarios.Text{Title: "x"}
	err = p.Validate(testOptions())
	if err == nil || !strings.Contains(err.Error(), "links[2].url: url: expected an absolute http or https URL") || !strings.Contains(err.Error(), `translations.fr: unknown language "fr"`) {
		t.Errorf("Validate = %v", err)
	}
}

// The report's fields are held to the bounds of the other text: one line
// and no control character in a name, a role, a title; prose in a
// translated hypothesis.
func TestParseReportFieldBounds(t *testing.T) {
	tests := map[string]struct {
		add      string
		contains string
	}{
		"escape code in a name":          {"participants:\n  - { name: \"Sato\\e[2J\", role: scribe }\n", "name holds an escape character"},
		"line break in a role":           {"participants:\n  - { name: Sato, role: \"a\\nb\" }\n", "role holds a line break"},
		"title too long":                 {"links:\n  - { title: " + strings.Repeat("x", 300) + ", url: \"https://x.example\" }\n", "title is 300 characters"},
		"CSI in a translated hypothesis": {"translations:\n  ja: { hypothesis: \"仮説\\x9b2J\" }\n", "hypothesis holds a CSI character"},
		"two-line translated title":      {"translations:\n  ja: { title: \"a\\nb\" }\n", "title holds a line break"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			errs := parseErrors(t, valid+tc.add)
			if len(errs) != 1 || !strings.Contains(errs[0].Msg, tc.contains) {
				t.Errorf("errors = %v; want one containing %q", errs, tc.contains)
			}
		})
	}
}
