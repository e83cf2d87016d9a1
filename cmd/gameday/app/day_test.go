package app

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// stuckSystem is a fake system whose rollbacks never succeed, quickly.
type stuckSystem struct{ *fakeSystem }

func (stuckSystem) Rollback(context.Context, providers.Injection) error {
	return errors.New("the system does not answer")
}

func (stuckSystem) Timeouts() providers.Timeouts {
	return providers.Timeouts{Call: 100 * time.Millisecond, RollbackDeadline: 300 * time.Millisecond}
}

// dayRegistry is a registry of fake systems for whole days in process:
// fakesys holds, fakestuck cannot roll back, fakedown cannot be reached;
// each is measured by a source that ticks an error rate of 0.
func dayRegistry(sys *fakeSystem) (*registry, *int) {
	reg := fakeRegistry(sys, nil)
	opened := new(int)
	b := reg.backends["fakesys"]
	b.open = func(context.Context, *scenarios.Plan, connectOptions) (*conn, error) {
		*opened++
		return &conn{provider: sys, sources: []providers.MetricSource{tickSource{}}, identity: providers.Identity{Provider: "fakesys", ID: sys.id}}, nil
	}
	reg.add(b)
	stuck := b
	stuck.spec.Name = "fakestuck"
	stuck.open = func(context.Context, *scenarios.Plan, connectOptions) (*conn, error) {
		return &conn{provider: stuckSystem{&fakeSystem{id: "stuck", applied: map[string]bool{}}}, sources: []providers.MetricSource{tickSource{}}, identity: providers.Identity{Provider: "fakestuck", ID: "stuck"}}, nil
	}
	reg.add(stuck)
	down := b
	down.spec.Name = "fakedown"
	down.open = func(context.Context, *scenarios.Plan, connectOptions) (*conn, error) {
		return nil, errors.New("cannot reach the system: connection refused")
	}
	reg.add(down)
	reg.addSource(sourceBackend{spec: providers.SourceSpec{Name: "none"}, open: func(context.Context, *scenarios.Plan, connectOptions) (providers.MetricSource, error) {
		return tickSource{}, nil
	}})
	return reg, opened
}

// fakeScenario is a scenario on provider with a goal on the error rate
// (the fake source says 0).
func fakeScenario(title, provider, goal, fault string) string {
	return fmt.Sprintf(`title: %s
hypothesis: the error rate stays where it should
blast_radius: one fake target
rollback: abort
target: { provider: %s }
metrics: { source: none }
steady_state:
  error_rate: %s
phases: { baseline: 300ms, fault: %s, recovery: 300ms }
faults:
  - kind: latency
    params: { delay: 10ms }
`, title, provider, goal, fault)
}

// writeDay writes the scenarios and a day of the experiments named in
// refs into a fresh directory, and returns the day file's path.
func writeDay(t *testing.T, refs ...string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range map[string]string{
		"held.yaml":      fakeScenario("Holds", "fakesys", "{ max: 0.5 }", "1s"),
		"long.yaml":      fakeScenario("Holds for long", "fakesys", "{ max: 0.5 }", "1m"),
		"notsteady.yaml": fakeScenario("Never steady", "fakesys", "{ min: 0.5 }", "1s"),
		"stuck.yaml":     fakeScenario("Cannot roll back", "fakestuck", "{ max: 0.5 }", "1s"),
		"down.yaml":      fakeScenario("Unreachable", "fakedown", "{ max: 0.5 }", "1s"),
	} {
		writeScenario(t, filepath.Join(dir, name), src)
	}
	var b strings.Builder
	b.WriteString("day:\n  title: Fake day\n  participants: [{ name: Sato, role: facilitator }]\n  checklist: [Dashboards open, On-call told]\n  experiments:\n")
	for _, r := range refs {
		b.WriteString("    - " + r + "\n")
	}
	p := filepath.Join(dir, "day.yaml")
	writeScenario(t, p, b.String())
	return p
}

type dayResult struct {
	code          int
	stdout        string
	stderr        string
	index, report string
	recs          []engine.DayRecord
}

// runFakeDay runs a whole day in process against reg, with its output in
// a fresh directory.
func runFakeDay(t *testing.T, reg *registry, day string, f dayFlags) dayResult {
	t.Helper()
	t.Setenv("GAMEDAY_STATE_DIR", t.TempDir())
	if f.out == "" {
		f.out = t.TempDir()
	}
	f.reg, f.headless, f.lang = reg, true, "en"
	if f.sigs == nil {
		f.sigs = make(chan os.Signal, 4)
	}
	var out, errOut bytes.Buffer
	err := runDay(context.Background(), &lockedWriter{w: &out}, &lockedWriter{w: &errOut}, day, f)
	r := dayResult{code: codeOf(err), stdout: out.String(), stderr: errOut.String()}
	if err != nil && err.Error() != "" {
		r.stderr += "gameday: " + err.Error() + "\n"
	}
	idx, _ := filepath.Glob(filepath.Join(f.out, "*"+dayIndexSuffix))
	if len(idx) == 1 {
		r.index, r.report = idx[0], defaultDayReport(idx[0])
		recs, err := readDayFile(r.index)
		if err != nil {
			t.Fatal(err)
		}
		r.recs = recs
	}
	return r
}

// A day of two experiments that hold: one index, one journal each, one
// day report that `gameday report INDEX` reproduces byte for byte, one
// JUnit with a suite per experiment, and the system opened once.
func TestDayHeadless(t *testing.T) {
	sys := &fakeSystem{id: "sys-day", applied: map[string]bool{}}
	reg, opened := dayRegistry(sys)
	junit := filepath.Join(t.TempDir(), "day.xml")
	r := runFakeDay(t, reg, writeDay(t, "held.yaml", "./held.yaml"), dayFlags{checklistDone: true, junit: junit})
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if *opened != 1 {
		t.Errorf("the system was opened %d times, want once for the day", *opened)
	}
	st := engine.ReplayDay(r.recs)
	if st.End == nil || st.End.Stopped != "" || len(st.Unticked()) != 0 {
		t.Errorf("day state: end %+v, unticked %v", st.End, st.Unticked())
	}
	for i, e := range st.Experiments {
		if e.State != engine.ExperimentEnded || e.Journal == "" {
			t.Errorf("experiment %d: %+v", i+1, e)
			continue
		}
		recs, _, err := readJournalFile(filepath.Join(filepath.Dir(r.index), e.Journal))
		if err != nil {
			t.Fatal(err)
		}
		if o := recs[len(recs)-1].Outcome; o == nil || o.Verdict != engine.VerdictHeld {
			t.Errorf("experiment %d: last record %+v, want a held verdict", i+1, recs[len(recs)-1])
		}
	}
	want, err := os.ReadFile(r.report)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"# Game day: Fake day", "**Day: ✅ HELD** — 2 experiments: ✅ HELD × 2", "## Experiment 2: Holds", "- [x] On-call told — ticked at "} {
		if !bytes.Contains(want, []byte(s)) {
			t.Errorf("the day report lacks %q", s)
		}
	}
	out, errOut, code := execScenarioCmd(t, "", "report", r.index)
	if code != ExitOK || out != string(want) {
		t.Errorf("gameday report INDEX (exit %d, %s) differs from the day's report", code, errOut)
	}
	// Beside the index, -o writes the same bytes (its chart links are
	// relative to where it is written).
	other := filepath.Join(filepath.Dir(r.index), "again.md")
	if _, errOut, code := execScenarioCmd(t, "", "report", r.index, "-o", other, "--junit", other+".xml"); code != ExitOK {
		t.Fatalf("report -o: exit %d %s", code, errOut)
	}
	if got, _ := os.ReadFile(other); !bytes.Equal(got, want) {
		t.Error("gameday report INDEX -o FILE differs from the day's report")
	}
	b, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(other + ".xml"); !bytes.Equal(again, b) {
		t.Error("gameday report INDEX --junit differs from the day's JUnit")
	}
	var suites struct {
		Name   string `xml:"name,attr"`
		Suites []struct {
			Name string `xml:"name,attr"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b, &suites); err != nil || suites.Name != "Fake day" || len(suites.Suites) != 2 {
		t.Errorf("JUnit: %v %+v\n%s", err, suites, b)
	}
	if !strings.Contains(r.stdout, "== experiment 2 of 2: Holds") || !strings.Contains(r.stdout, "day: exit 0") {
		t.Errorf("stdout:\n%s", r.stdout)
	}
}

// Nothing runs, and nothing is written, without the checklist confirmed,
// with a scenario that cannot be found, or with phases beyond the bounds.
func TestDayRefusesBeforeAnything(t *testing.T) {
	sys := &fakeSystem{id: "sys-refuse", applied: map[string]bool{}}
	reg, opened := dayRegistry(sys)
	for name, tc := range map[string]struct {
		day   string
		flags dayFlags
		want  []string
	}{
		"the checklist unconfirmed": {writeDay(t, "held.yaml"), dayFlags{}, []string{"the preparation checklist is not confirmed", "[ ] 1. Dashboards open", "[ ] 2. On-call told", "--checklist-done"}},
		"a scenario not found":      {writeDay(t, "held.yaml", "nosuch"), dayFlags{checklistDone: true}, []string{"day.yaml:7:7: scenario \"nosuch\": no such file or scenario"}},
		"a missing file":            {writeDay(t, "held.yaml", "gone.yaml"), dayFlags{checklistDone: true}, []string{"day.yaml:7:7: read scenario: stat ", "gone.yaml: no such file"}},
		"a negative phase":          {writeDay(t, "held.yaml"), dayFlags{checklistDone: true, fault: -time.Second}, []string{"--fault must be positive"}},
		"a phase beyond the bounds": {writeDay(t, "held.yaml"), dayFlags{checklistDone: true, recovery: 13 * time.Hour}, []string{"with the phases this day gives it", "recovery phase lasts 13h0m0s"}},
		"no such day":               {"no-such-day", dayFlags{checklistDone: true}, []string{`game day "no-such-day": no such file or day (known: sandbox-day`}},
	} {
		t.Run(name, func(t *testing.T) {
			r := runFakeDay(t, reg, tc.day, tc.flags)
			if r.code != ExitInvalid {
				t.Errorf("exit %d, want %d", r.code, ExitInvalid)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			if r.index != "" {
				t.Error("a day index was written")
			}
		})
	}
	if *opened != 0 || len(sys.rollback) != 0 {
		t.Errorf("the system was touched: opened %d times, rolled back %v", *opened, sys.rollback)
	}
}

// A production target runs only confirmed by its name; every experiment's
// is checked before the first starts.
func TestDayConfirmsProduction(t *testing.T) {
	sys := &fakeSystem{id: "sys-prod", applied: map[string]bool{}}
	reg, _ := dayRegistry(sys)
	day := writeDay(t, "held.yaml", "prod.yaml")
	writeScenario(t, filepath.Join(filepath.Dir(day), "prod.yaml"), strings.Replace(fakeScenario("Production", "fakesys", "{ max: 0.5 }", "1s"), "{ provider: fakesys }", "{ provider: fakesys, name: shop-prod, environment: production }", 1))
	r := runFakeDay(t, reg, day, dayFlags{checklistDone: true})
	if r.code != ExitInvalid || !strings.Contains(r.stderr, "experiment 2 (") || !strings.Contains(r.stderr, "pass --confirm shop-prod") || r.index != "" {
		t.Errorf("unconfirmed: exit %d, index %q\n%s", r.code, r.index, r.stderr)
	}
	r = runFakeDay(t, reg, day, dayFlags{checklistDone: true, confirm: []string{"shop-prod"}})
	if r.code != ExitOK {
		t.Errorf("confirmed: exit %d\n%s", r.code, r.stderr)
	}
}

// How a day ends: a rollback not confirmed stops it (exit 4); a violation
// does not, unless --stop-on-violation; an experiment refused at start is
// recorded and the day goes on; the exit code is the highest.
func TestDayStopsAndGoesOn(t *testing.T) {
	sys := &fakeSystem{id: "sys-stops", applied: map[string]bool{}}
	reg, _ := dayRegistry(sys)
	states := func(r dayResult) string {
		var out []string
		for _, e := range engine.ReplayDay(r.recs).Experiments {
			out = append(out, cmpOr(string(e.State), "-"))
		}
		return strings.Join(out, " ")
	}
	for name, tc := range map[string]struct {
		refs   []string
		flags  dayFlags
		code   int
		states string
		stop   engine.DayStop
		report []string
	}{
		"a rollback not confirmed": {
			refs: []string{"stuck.yaml", "held.yaml"}, code: ExitRollbackFailed, states: "ended -", stop: engine.DayStopRollback,
			report: []string{"**Day: 🚨 ROLLBACK FAILED**", "🚨 The day stopped after experiment 1", "⏭️ NOT RUN"},
		},
		"a violation, and on": {
			refs: []string{"notsteady.yaml", "held.yaml"}, code: ExitViolated, states: "ended ended",
			report: []string{"**Day: ❌ NOT STEADY** — 2 experiments: ✅ HELD × 1, ❌ NOT STEADY × 1"},
		},
		"a violation, and stop": {
			refs: []string{"notsteady.yaml", "held.yaml"}, flags: dayFlags{stopOnViolation: true}, code: ExitViolated, states: "ended -", stop: engine.DayStopViolation,
			report: []string{"⛔ The day stopped after experiment 1, which did not hold"},
		},
		"a refusal, and on": {
			refs: []string{"down.yaml", "held.yaml"}, code: ExitInvalid, states: "refused ended",
			report: []string{"| 1 | Unreachable | the error rate stays where it should | 🚫 REFUSED: cannot reach the system: connection refused | — |"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			tc.flags.checklistDone = true
			r := runFakeDay(t, reg, writeDay(t, tc.refs...), tc.flags)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d\n%s", r.code, tc.code, r.stderr)
			}
			if got := states(r); got != tc.states {
				t.Errorf("experiments %q, want %q", got, tc.states)
			}
			if end := engine.ReplayDay(r.recs).End; end == nil || end.Stopped != tc.stop {
				t.Errorf("end %+v, want stopped %q", end, tc.stop)
			}
			report, err := os.ReadFile(r.report)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.report {
				if !strings.Contains(string(report), w) {
					t.Errorf("the day report lacks %q", w)
				}
			}
			for i, e := range engine.ReplayDay(r.recs).Experiments {
				if listed := strings.Contains(string(report), fmt.Sprintf("- **Journal of experiment %d:**", i+1)); listed != (e.State == engine.ExperimentEnded) {
					t.Errorf("experiment %d (%s): its journal listed: %t", i+1, e.State, listed)
				}
			}
		})
	}
}

func cmpOr(s, or string) string {
	if s == "" {
		return or
	}
	return s
}

// A signal during an experiment aborts it, with its rollback, and stops
// the day: exit 2, the rest not run.
func TestDayInterrupted(t *testing.T) {
	sys := &fakeSystem{id: "sys-int", applied: map[string]bool{}}
	reg, _ := dayRegistry(sys)
	sigs := make(chan os.Signal, 4)
	go func() {
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			sys.mu.Lock()
			n := len(sys.applied)
			sys.mu.Unlock()
			if n > 0 {
				sigs <- syscall.SIGINT
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	r := runFakeDay(t, reg, writeDay(t, "long.yaml", "held.yaml"), dayFlags{checklistDone: true, sigs: sigs})
	if r.code != ExitAborted {
		t.Errorf("exit %d, want %d\n%s", r.code, ExitAborted, r.stderr)
	}
	st := engine.ReplayDay(r.recs)
	if st.End == nil || st.End.Stopped != engine.DayStopInterrupted || st.Experiments[1].State != "" {
		t.Errorf("end %+v, experiments %+v", st.End, st.Experiments)
	}
	if len(sys.applied) != 0 || !slices.Contains(sys.rollback, "f1") {
		t.Errorf("the fault was not rolled back: applied %v, rollbacks %v", sys.applied, sys.rollback)
	}
}

// A day file is not a scenario: list leaves it out (and --days lists it),
// validate checks it as a day, run refuses it.
func TestDayFilesAmongScenarios(t *testing.T) {
	cwd, _ := listEnv(t)
	day := writeDay(t, "../sandbox/latency.yaml")
	data, err := os.ReadFile(day)
	if err != nil {
		t.Fatal(err)
	}
	good := strings.Replace(string(data), "../sandbox/latency.yaml", "latency", 1)
	writeScenario(t, filepath.Join(cwd, "scenarios", "a-day.yaml"), good)
	writeScenario(t, filepath.Join(cwd, "scenarios", "latency-copy.yaml"), shippedSource(t, "latency.yaml"))

	out, errOut, code := execScenarioCmd(t, "", "list")
	if code != ExitOK || errOut != "" || strings.Contains(out, "a-day") || !strings.Contains(out, "latency-copy") {
		t.Errorf("list: exit %d\n%s\n%s", code, out, errOut)
	}
	out, _, code = execScenarioCmd(t, "", "list", "--days")
	if code != ExitOK || !strings.Contains(out, "\na-day ") || !strings.Contains(out, "\nsandbox-day ") || !strings.HasPrefix(out, "NAME ") {
		t.Errorf("list --days: exit %d\n%s", code, out)
	}
	dayPath := filepath.Join("scenarios", "a-day.yaml")
	out, errOut, code = execScenarioCmd(t, "", "validate", dayPath)
	if code != ExitOK || out != "ok  "+dayPath+"  (Fake day: a game day of 1 experiment)\n" {
		t.Errorf("validate a day: exit %d %q %q", code, out, errOut)
	}
	out, _, code = execScenarioCmd(t, good, "validate", "-")
	if code != ExitOK || !strings.Contains(out, "Fake day") {
		t.Errorf("validate - of a day: exit %d %q", code, out)
	}
	_, errOut, code = execScenarioCmd(t, "", "validate", day)
	if code != ExitInvalid || !strings.Contains(errOut, "day.yaml:6:7: read scenario") {
		t.Errorf("validate a day whose scenario is missing: exit %d %q", code, errOut)
	}
	_, errOut, code = execScenarioCmd(t, "", "run", dayPath, "--headless")
	if code != ExitInvalid || !strings.Contains(errOut, "a-day.yaml:1:1: this is a game-day file") {
		t.Errorf("run of a day file: exit %d %q", code, errOut)
	}
	// Without --headless the day opens the console, which needs a
	// terminal; the flags that only the headless day reads say so.
	_, errOut, code = execScenarioCmd(t, "", "day", dayPath)
	if code != ExitInvalid || !strings.Contains(errOut, "the console needs a terminal; to run the day without one: gameday day DAY --headless --checklist-done") {
		t.Errorf("day without --headless nor a terminal: exit %d %q", code, errOut)
	}
	for flag, want := range map[string]string{
		"--checklist-done":    "--checklist-done is for --headless: the console ticks the checklist item by item",
		"--stop-on-violation": "--stop-on-violation is for --headless",
		"--verbose":           "--verbose is for --headless",
	} {
		_, errOut, code = execScenarioCmd(t, "", "day", dayPath, flag)
		if code != ExitInvalid || !strings.Contains(errOut, want) {
			t.Errorf("day %s without --headless: exit %d %q", flag, code, errOut)
		}
	}
	// --share serves the console's walk, not a headless day.
	_, errOut, code = execScenarioCmd(t, "", "day", dayPath, "--headless", "--checklist-done", "--share")
	if code != ExitInvalid || !strings.Contains(errOut, "--share serves the day on the console") {
		t.Errorf("day --headless --share: exit %d %q", code, errOut)
	}
}

// The day's index is not a journal: the notice at start looks past it.
func TestLatestJournalSkipsDayIndex(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("GAMEDAY_STATE_DIR", dir)
	for _, name := range []string{"20261129T100000.000Z-run.jsonl", "20261129T110000.000Z-day.day.jsonl"} {
		writeScenario(t, filepath.Join(dir, "journals", name), "{}\n")
	}
	got, err := latestJournal()
	if err != nil || filepath.Base(got) != "20261129T100000.000Z-run.jsonl" {
		t.Errorf("latestJournal = %q, %v", got, err)
	}
}

// Charts of an experiment are linked from the day report wherever it is.
func TestChartsFrom(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	run := filepath.Join(dir, "j", "run (1).md")
	writeScenario(t, chartPath(run, "p95"), "<svg/>")
	if got := chartsFrom(run, filepath.Join(dir, "j", "day.md"))[scenarios.P95]; got != "./run%20%281%29-p95.svg" {
		t.Errorf("beside: %q", got)
	}
	if got := chartsFrom(run, filepath.Join(dir, "reports", "day.md"))[scenarios.P95]; got != "../j/run%20%281%29-p95.svg" {
		t.Errorf("elsewhere: %q", got)
	}
}

// The game-day file in the README is valid, scenarios and all, read as a
// file beside the shipped ones.
func TestREADMEDayExample(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "```yaml\nday:\n")
	src, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("the README has no game-day example")
	}
	d, err := scenarios.ParseDay(scenarios.EmbeddedPrefix+"days/readme.yaml", []byte("day:\n"+src))
	if err != nil {
		t.Fatalf("the README's game day does not parse: %v", err)
	}
	plans, err := resolveDay(d, nil, scenarioOptions(), scenarios.Phases{})
	if err != nil || len(plans) != 2 || plans[1].Phases.Baseline != 20*time.Second {
		t.Errorf("the README's game day does not resolve: %v", err)
	}
}
