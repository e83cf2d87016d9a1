package scenarios_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// Each bound, each kind of hostile text and each path trick is refused at
// the line and column of the value, naming the problem. The line and
// column numbers refer to the valid scenario of parse_test.go.
func TestParseBounds(t *testing.T) {
	t.Parallel()
	latency := func(params string) string {
		return edit(t, "kind: instance-stop\n    selection: { percent: 10 }", "kind: latency\n    params: "+params)
	}
	cpu := func(params string) string {
		return edit(t, "kind: instance-stop\n    selection: { percent: 10 }", "kind: cpu-stress\n    params: "+params)
	}
	many := func(item string, n int) string { return strings.Repeat(item, n) }
	tests := map[string]struct {
		src       string
		line, col int
		contains  []string
	}{
		"a 9999h fault phase": {
			src: edit(t, "fault: 2m", "fault: 9999h"), line: 10, col: 33,
			contains: []string{"the fault phase lasts 9999h0m0s; a phase lasts at most 12h"},
		},
		"phases longer than a day together": {
			src: edit(t, "baseline: 30s, fault: 2m, recovery: 60s", "baseline: 12h, fault: 2m, recovery: 12h"), line: 10, col: 9,
			contains: []string{"the phases last 24h2m0s together; a run lasts at most 24h"},
		},
		"rate 1e9": {
			src: edit(t, "rate: 200", "rate: 1e9"), line: 6, col: 15,
			contains: []string{"load rate of 1e+09 requests per second is beyond the built-in load generator's 100000"},
		},
		"a 9999h load timeout": {
			src: edit(t, "timeout: 2s", "timeout: 9999h"), line: 6, col: 49,
			contains: []string{"load timeout of 9999h0m0s is beyond 1m0s"},
		},
		"a 9999h delay": {
			src: latency("{ delay: 9999h }"), line: 13, col: 22,
			contains: []string{"a delay of 9999h0m0s is beyond 1h"},
		},
		"a 9999h jitter": {
			src: latency("{ delay: 1s, jitter: 9999h }"), line: 13, col: 34,
			contains: []string{"a jitter of 9999h0m0s is beyond 1h"},
		},
		"100000 workers": {
			src: cpu("{ workers: 100000 }"), line: 13, col: 24,
			contains: []string{"100000 workers is beyond 64 per target"},
		},
		"memory_mb 99999999": {
			src:  edit(t, "kind: instance-stop\n    selection: { percent: 10 }", "kind: memory-stress\n    params: { memory_mb: 99999999 }"),
			line: 13, col: 26, contains: []string{"memory_mb of 99999999 is beyond 65536 (64 GiB) per target"},
		},
		"a selection count of 100000": {
			src: edit(t, "{ percent: 10 }", "{ count: 100000 }"), line: 13, col: 25,
			contains: []string{"a selection count of 100000 is beyond 10000"},
		},
		"51 faults": {
			src:  edit(t, faultsBlock(), "faults:\n"+many("  - { kind: latency, params: { delay: 1s } }\n", 51)),
			line: 12, col: 3, contains: []string{"the plan has 51 faults; at most 50"},
		},
		"21 stop conditions": {
			src:  edit(t, "  - { metric: error_rate, above: 0.05, for: 10s }\n", many("  - { metric: error_rate, above: 0.05, for: 10s }\n", 21)),
			line: 17, col: 3, contains: []string{"the plan has 21 stop conditions; at most 20"},
		},
		"a stop condition that could never trip": {
			src: edit(t, "for: 10s", "for: 9999h"), line: 17, col: 45,
			contains: []string{"for 9999h0m0s is longer than a run may last (24h)"},
		},
		"a 201-character title": {
			src: edit(t, "title: Random task stop", "title: "+strings.Repeat("é", 201)), line: 1, col: 8,
			contains: []string{"title is 201 characters long; at most 200"},
		},
		"a 4001-character hypothesis": {
			src: edit(t, "hypothesis: Stopping", "hypothesis: "+strings.Repeat("x", 4001)+" Stopping"), line: 2, col: 13,
			contains: []string{"hypothesis is 4055 characters long; at most 4000"},
		},
		"a title with terminal escape codes": {
			src: edit(t, "title: Random task stop", `title: "\e[2J\e[31mRandom task stop\e[0m"`), line: 1, col: 8,
			contains: []string{"title holds an escape character (ESC, U+001B: the start of a terminal escape code) at character 1"},
		},
		"a title with a C1 CSI": {
			src: edit(t, "title: Random task stop", `title: "Random \x9b31m task stop"`), line: 1, col: 8,
			contains: []string{"title holds a CSI character (U+009B", "at character 8"},
		},
		"a title with a line break": {
			src: edit(t, "title: Random task stop", `title: "Random\ntask stop"`), line: 1, col: 8,
			contains: []string{"title holds a line break at character 7"},
		},
		"a target name hiding a link (OSC 8)": {
			src: edit(t, "name: demo", `name: "\e]8;;https://evil.example\e\\demo\e]8;;\e\\"`), line: 5, col: 36,
			contains: []string{"name holds an escape character"},
		},
		"a bell in the blast radius": {
			src: edit(t, "blast_radius: 10% of the service's tasks", `blast_radius: "\a10% of the service's tasks"`), line: 3, col: 15,
			contains: []string{"blast_radius holds the control character U+0007 at character 1"},
		},
		"a carriage return in the rollback": {
			src: edit(t, "rollback: abort when the error rate exceeds 5% for 10 s", `rollback: "all good\rabort when the error rate exceeds 5%"`), line: 4, col: 11,
			contains: []string{"rollback holds a carriage return (U+000D) at character 9"},
		},
		"an escape in a load command argument": {
			src: edit(t, "rate: 200, path: /api/users/7, timeout: 2s", `command: [k6, "\e[2Jrun"]`), line: 6, col: 23,
			contains: []string{"command holds an escape character"},
		},
		"load.path climbing out": {
			src: edit(t, "path: /api/users/7", "path: /../../etc/passwd"), line: 6, col: 26,
			contains: []string{`load path "/../../etc/passwd" holds a . or .. segment`},
		},
		"load.path climbing out, percent-encoded": {
			src: edit(t, "path: /api/users/7", "path: /api/%2e%2E/%2e%2e/etc/passwd"), line: 6, col: 26,
			contains: []string{"holds a percent-encoded . or .. segment"},
		},
		"load.path climbing out, encoded twice": {
			src: edit(t, "path: /api/users/7", "path: /api/%252e%252e/x"), line: 6, col: 26,
			contains: []string{"holds a percent-encoded . or .. segment"},
		},
		"load.path naming another host": {
			src: edit(t, "path: /api/users/7", "path: //evil.example.com/x"), line: 6, col: 26,
			contains: []string{"holds an empty segment (//); at the start it names another host"},
		},
		"load.path with a backslash": {
			src: edit(t, "path: /api/users/7", `path: /api\..\secret`), line: 6, col: 26,
			contains: []string{"holds a backslash"},
		},
		"load.path with an encoded backslash": {
			src: edit(t, "path: /api/users/7", "path: /api/%5c..%5csecret"), line: 6, col: 26,
			contains: []string{"holds a percent-encoded backslash"},
		},
		"load.path with an encoded NUL": {
			src: edit(t, "path: /api/users/7", "path: /api/users/7%00.json"), line: 6, col: 26,
			contains: []string{"holds a percent-encoded control character"},
		},
		"load.path with a malformed escape": {
			src: edit(t, "path: /api/users/7", "path: /api/%zz"), line: 6, col: 26,
			contains: []string{"malformed percent-encoding"},
		},
		"load.url climbing out": {
			src: edit(t, "rate: 200, path: /api/users/7", "rate: 200, url: http://shop.example/api/../../admin"), line: 6, col: 25,
			contains: []string{"its path holds a . or .. segment"},
		},
		"accept_redirects on an external command": {
			src:  edit(t, "rate: 200, path: /api/users/7, timeout: 2s", "command: [k6, run, x.js], accept_redirects: true"),
			line: 6, col: 53, contains: []string{"accept_redirects is about the built-in load generator's answers"},
		},
		"memory beyond the plan's limit": {
			src: edit(t, faultsBlock(), `limits: { memory_mb: 1000 }
faults:
  - kind: memory-stress
    selection: { count: 2 }
    params: { memory_mb: 300 }
  - kind: memory-stress
    params: { memory_mb: 500 }
`), line: 17, col: 26,
			contains: []string{"the memory-stress faults up to this one hold 1100 MB together", "beyond the plan's limits.memory_mb of 1000"},
		},
		"CPU beyond the plan's limit": {
			src: edit(t, faultsBlock(), `limits: { cpu_cores: 1 }
faults:
  - kind: cpu-stress
    params: { workers: 2, load: 60 }
`), line: 14, col: 24,
			contains: []string{"the cpu-stress faults up to this one burn 1.2 cores together", "beyond the plan's limits.cpu_cores of 1"},
		},
		"a limit of zero": {
			src: edit(t, "faults:\n", "limits: { memory_mb: 0 }\nfaults:\n"), line: 11, col: 22,
			contains: []string{"limits.memory_mb must be at least 1, got 0"},
		},
		"an unknown limit": {
			src: edit(t, "faults:\n", "limits: { disk_mb: 10 }\nfaults:\n"), line: 11, col: 11,
			contains: []string{`unknown field "disk_mb" in limits`},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			errs := parseErrors(t, tc.src)
			for _, e := range errs {
				if e.Line == tc.line && e.Column == tc.col && containsAll(e.Msg, tc.contains) {
					return
				}
			}
			t.Errorf("no error at %d:%d containing %q; got:\n%v", tc.line, tc.col, tc.contains, errs)
		})
	}
}

// Text that is meant to hold line breaks may, as a YAML block scalar
// writes them, and every bound is inclusive: the loader takes a plan at
// each of them.
func TestParseWithinBounds(t *testing.T) {
	t.Parallel()
	src := edit(t, "hypothesis: Stopping 10% of tasks keeps the error rate under 0.1%", "hypothesis: |\n  Stopping 10% of tasks\n  \tkeeps the error rate under 0.1%\ndescription: \"line one\\nline\\ttwo\"")
	src = strings.Replace(src, "phases: { baseline: 30s, fault: 2m, recovery: 60s }", "phases: { baseline: 6h, fault: 12h, recovery: 6h }", 1)
	src = strings.Replace(src, "rate: 200, path: /api/users/7, timeout: 2s", "rate: 100000, path: \"/api/v4/projects/group%2Fproject?next=/a/../b\", timeout: 1m, accept_redirects: true", 1)
	src = strings.Replace(src, faultsBlock(), `limits: { memory_mb: 65536, cpu_cores: 64 }
faults:
  - { kind: memory-stress, params: { memory_mb: 65536 } }
  - { kind: cpu-stress, params: { workers: 64, load: 100 } }
  - { kind: latency, params: { delay: 1h, jitter: 1h } }
  - { kind: instance-stop, selection: { count: 10000 } }
`, 1)
	src = strings.Replace(src, "title: Random task stop", "title: "+strings.Repeat("é", 200), 1)
	// The test provider adds no limits of its own (the sandbox does).
	src = strings.Replace(src, "target: { provider: sandbox, name: demo }", "target: { provider: kube, name: demo, namespace: shop }", 1)
	p, err := scenarios.Parse("s.yaml", []byte(src), testOptions())
	if err != nil {
		t.Fatalf("a plan within every bound is refused:\n%v\n%s", err, src)
	}
	if p.Hypothesis != "Stopping 10% of tasks\n\tkeeps the error rate under 0.1%" || p.Description != "line one\nline\ttwo" {
		t.Errorf("hypothesis %q, description %q", p.Hypothesis, p.Description)
	}
	if !p.Load.AcceptRedirects || p.Limits != (scenarios.Limits{MemoryMB: 65536, CPUCores: 64}) {
		t.Errorf("load %+v, limits %+v", p.Load, p.Limits)
	}
}

// A plan built in code meets the same bounds, each mistake naming its
// field.
func TestValidateBounds(t *testing.T) {
	t.Parallel()
	p, err := scenarios.Parse("s.yaml", []byte(valid), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	p.Title = "\x1b]0;owned\x07Random task stop"
	p.Target.Name = "demo\u009b2J"
	p.Load.Rate = 1e9
	p.Load.Path = "/../../etc/passwd"
	p.Phases.Fault = 9999 * time.Hour
	p.Limits = scenarios.Limits{MemoryMB: 100}
	p.Faults = append(p.Faults, scenarios.Fault{Fault: providers.Fault{ID: "mem", Kind: providers.MemoryStress, Params: providers.Params{MemoryMB: 99999999}}})
	err = p.Validate(testOptions())
	var errs scenarios.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Validate = %v", err)
	}
	for _, want := range []string{
		"s.yaml: title: title holds an escape character",
		"s.yaml: target.name: name holds a CSI character",
		"s.yaml: load.rate: load rate of 1e+09 requests per second is beyond",
		`s.yaml: load.path: load path "/../../etc/passwd" holds a . or .. segment`,
		"s.yaml: phases.fault: the fault phase lasts 9999h0m0s",
		"s.yaml: faults[1].params.memory_mb: memory_mb of 99999999 is beyond 65536",
		"s.yaml: faults[1].params.memory_mb: the memory-stress faults up to this one hold 9.9999999e+07 MB together",
	} {
		if !strings.Contains(errs.Error(), want) {
			t.Errorf("Validate errors lack %q:\n%v", want, errs)
		}
	}
	// The rendered errors hold no raw control character.
	if strings.ContainsAny(errs.Error(), "\x1b\x07\u009b") {
		t.Errorf("Validate's message carries the raw control characters:\n%q", errs.Error())
	}
}

// An error message never carries a control character raw, even where it
// quotes a name from the file without %q.
func TestErrorEscapesControls(t *testing.T) {
	t.Parallel()
	src := edit(t, "  p95_ms: { max: 200 }", "  \"\\e[2Jp95\": {}")
	errs := parseErrors(t, src)
	text := errs.Error()
	if strings.ContainsAny(text, "\x1b") || !strings.Contains(text, `\x1b[2Jp95`) {
		t.Errorf("errors = %q; want the ESC shown as \\x1b", text)
	}
	e := &scenarios.Error{Path: "a\x1b[31m.yaml", Line: 1, Column: 2, Msg: "bad \u009b1m\xff"}
	if got, want := e.Error(), `a\x1b[31m.yaml:1:2: bad \u009b1m\xff`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// A provider's own text is checked like the plan's, however deep.
func TestParseProviderTextControls(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		old, new  string
		line, col int
	}{
		"target field": {"namespace: shop", `namespace: "shop\e[2J"`, 5, 38},
		"label value":  {"selector: { app: checkout }", `selector: { app: "check\u0085out" }`, 5, 54},
		"label key":    {"selector: { app: checkout }", `selector: { "a\x7fpp": checkout }`, 5, 54},
		"manifest":     {"spec: { action: pod-failure", `spec: { action: "pod\e]0;x\afailure"`, 19, 17},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if strings.Count(kube, tc.old) != 1 {
				t.Fatalf("%q is not once in the kube scenario", tc.old)
			}
			errs := parseErrors(t, strings.Replace(kube, tc.old, tc.new, 1))
			for _, e := range errs {
				if e.Line == tc.line && e.Column == tc.col && strings.Contains(e.Msg, "control characters and terminal escape codes are not allowed") {
					return
				}
			}
			t.Errorf("no error at %d:%d about control characters; got:\n%v", tc.line, tc.col, errs)
		})
	}
}

// A provider's CheckPlan sees every fault as it is handed them, and its
// findings land on the fault they name.
func TestParseCheckPlan(t *testing.T) {
	t.Parallel()
	opts := testOptions()
	spec := opts.Providers["sandbox"]
	var seen []providers.Fault
	spec.CheckPlan = func(_ providers.Fields, faults []providers.Fault) []providers.FieldError {
		seen = slices.Clone(faults)
		var mem float64
		for i, f := range faults {
			m, _ := f.Stress()
			if mem += m; mem > 256 {
				return []providers.FieldError{providers.NewFieldError(fmt.Sprintf("faults[%d].params.memory_mb", i), "%g MB is more than this machine can give", mem)}
			}
		}
		return nil
	}
	opts.Providers["sandbox"] = spec
	src := edit(t, faultsBlock(), `faults:
  - { kind: memory-stress, params: { memory_mb: 200 } }
  - { kind: latency, params: { delay: 1s } }
  - { kind: memory-stress, params: { memory_mb: 100 } }
`)
	_, err := scenarios.Parse("s.yaml", []byte(src), opts)
	var errs scenarios.Errors
	if !errors.As(err, &errs) || len(errs) != 1 {
		t.Fatalf("Parse = %v; want one error", err)
	}
	if e := errs[0]; e.Line != 14 || e.Column != 49 || e.Msg != "300 MB is more than this machine can give" {
		t.Errorf("error = %v; want it at 14:49", e)
	}
	if len(seen) != 3 || seen[2].ID != "f3" || seen[2].Params.MemoryMB != 100 {
		t.Errorf("CheckPlan saw %+v", seen)
	}
}

// Where points a refusal at run time to the line validate would.
func TestPlanWhere(t *testing.T) {
	t.Parallel()
	p, err := scenarios.Parse("s.yaml", []byte(valid), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	for at, want := range map[string]string{
		"faults[0]":                   "s.yaml:12:5",
		"faults[0].selection.percent": "s.yaml:13:27",
		"faults[0].params":            "s.yaml:12:5", // none: the fault that would hold them
		"max_count":                   "s.yaml:1:1",  // none: the scenario
	} {
		if got := p.Where(at); got != want {
			t.Errorf("Where(%q) = %q, want %q", at, got, want)
		}
	}
	if got := p.Target.Where(); got != "s.yaml:5:36" {
		t.Errorf("Target.Where() = %q", got)
	}
	built := &scenarios.Plan{Path: "code"}
	if built.Where("faults[0]") != "code" || built.Target.Where() != "" {
		t.Errorf("a plan built in code: Where = %q, Target.Where = %q", built.Where("faults[0]"), built.Target.Where())
	}
}
