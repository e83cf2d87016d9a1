//go:build linux

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/providers/sandbox"
)

// shortPhases make a shipped scenario quick. The fault phase stays under
// the 10 s of the shipped stop conditions; a fault that lasts the whole
// phase lasts the whole shortened phase.
var shortPhases = []string{"--baseline", "3s", "--fault", "8s", "--recovery", "4s"}

// runLimit bounds one headless run: phases, plus rollback retries.
const runLimit = 4 * time.Minute

// shippedCase says how one shipped scenario's fault must show.
type shippedCase struct {
	kind   string   // the fault kind of its only fault, f1
	phases []string // phase flags; shortPhases when nil
	// check looks for the fault in the journal and in what the status
	// watcher saw; f1 is the fault's final status, with its targets.
	check func(t *testing.T, recs []engine.Record, f1 engine.FaultStatus, saw seen, before, after sandbox.Status)
}

var shippedCases = map[string]shippedCase{
	"instance-stop": {kind: "instance-stop", check: func(t *testing.T, recs []engine.Record, f1 engine.FaultStatus, saw seen, before, after sandbox.Status) {
		active, _ := faultTimes(recs, "f1")
		lowest := -1
		for _, s := range samples(recs) {
			if !s.At.Before(active) && (lowest < 0 || s.Running < lowest) {
				lowest = s.Running
			}
		}
		if lowest < 0 || lowest >= before.Configured {
			t.Errorf("no sample after the kill shows fewer than %d replicas running (lowest %d)", before.Configured, lowest)
		}
		for _, name := range targetNames(f1.Targets) {
			if !saw.replicaDown[name] {
				t.Errorf("the status never showed the killed %s down (%d polls)", name, saw.polls)
			}
			if restarts(after, name) <= restarts(before, name) {
				t.Errorf("%s was not restarted: %d restarts before, %d after", name, restarts(before, name), restarts(after, name))
			}
		}
	}},
	"latency": {kind: "latency", check: func(t *testing.T, recs []engine.Record, f1 engine.FaultStatus, saw seen, _, _ sandbox.Status) {
		active, rolledBack := faultTimes(recs, "f1")
		peak := 0.0
		for _, s := range samples(recs) {
			if !s.At.Before(active) && !s.At.After(rolledBack.Add(time.Second)) {
				peak = max(peak, s.P95)
			}
		}
		if peak <= 500 {
			t.Errorf("no sample while the 500 ms delay was active has p95 above 500 ms (peak %.0f ms)", peak)
		}
		for _, name := range targetNames(f1.Targets) {
			if !saw.latency[name] {
				t.Errorf("the status never showed a latency hook on %s (%d polls)", name, saw.polls)
			}
		}
	}},
	"cpu-spike": {kind: "cpu-stress", check: func(t *testing.T, _ []engine.Record, f1 engine.FaultStatus, saw seen, _, _ sandbox.Status) {
		for _, name := range targetNames(f1.Targets) {
			if saw.burners[name] < 1 {
				t.Errorf("the status never showed a CPU burner in %s (%d polls)", name, saw.polls)
			}
		}
	}},
	"memory-exhaustion": {kind: "memory-stress", check: func(t *testing.T, _ []engine.Record, f1 engine.FaultStatus, saw seen, _, _ sandbox.Status) {
		want := f1.Fault.Params.MemoryMB
		for _, name := range targetNames(f1.Targets) {
			if saw.heldMB[name] < want {
				t.Errorf("the status never showed %s holding %d MB (most seen %d MB, %d polls)", name, want, saw.heldMB[name], saw.polls)
			}
		}
	}},
	// A shortened fault phase keeps the 2 s outage (it fits), so with 8 s
	// its errors would be a quarter of the phase's requests, far above the
	// hypothesis's 5 %: this one keeps its 60 s fault phase.
	"database-failure": {kind: "db-failure", phases: []string{"--baseline", "3s", "--recovery", "4s"}, check: func(t *testing.T, recs []engine.Record, _ engine.FaultStatus, saw seen, before, after sandbox.Status) {
		if after.Database.Restarts <= before.Database.Restarts {
			t.Errorf("the database was not stopped and started again: %d restarts before, %d after", before.Database.Restarts, after.Database.Restarts)
		}
		active, rolledBack := faultTimes(recs, "f1")
		var errs int64
		for _, s := range samples(recs) {
			if !s.At.Before(active) && !s.At.After(rolledBack.Add(2*time.Second)) {
				errs += s.Errors
			}
		}
		if errs == 0 && !saw.databaseDown {
			t.Errorf("the outage left no trace: no request failed around it and the status never showed the database down (%d polls)", saw.polls)
		}
	}},
	"dependency-outage": {kind: "dependency-outage", check: func(t *testing.T, _ []engine.Record, _ engine.FaultStatus, saw seen, _, _ sandbox.Status) {
		if !saw.dependencyOut[sandbox.DependencyBlackhole] {
			t.Errorf("the status never showed the dependency blackholed (saw modes %v, %d polls)", saw.dependencyOut, saw.polls)
		}
	}},
}

func restarts(st sandbox.Status, replica string) int {
	for _, r := range st.Replicas {
		if r.Name == replica {
			return r.Restarts
		}
	}
	return -1
}

// consoleOnly are the shipped sandbox scenarios whose faults are only
// fired by key: headless, nothing would fire. TestConsoleInTmux drives
// the drill in the console.
var consoleOnly = map[string]bool{"drill": true}

// TestShippedScenarios runs each shipped sandbox scenario headless, with
// short phases, against one `gameday sandbox`: each holds its hypothesis
// (exit 0), its fault shows in the journal's samples or the sandbox's
// status, it is rolled back verified clean, the sandbox is back to its
// initial state afterwards, `gameday report` reproduces the report byte for
// byte and the JUnit file is valid.
func TestShippedScenarios(t *testing.T) {
	entries, err := filepath.Glob(filepath.Join(moduleDir, "scenarios", "sandbox", "*.yaml"))
	if err != nil || len(entries) == 0 {
		t.Fatalf("list the shipped scenarios: %v (found %d)", err, len(entries))
	}
	var names []string
	for _, e := range entries {
		name := strings.TrimSuffix(filepath.Base(e), ".yaml")
		if consoleOnly[name] {
			continue
		}
		names = append(names, name)
	}
	for _, n := range names {
		if _, ok := shippedCases[n]; !ok {
			t.Errorf("shipped scenario %s has no end-to-end case: add one to shippedCases", n)
		}
	}
	for n := range shippedCases {
		if !slices.Contains(names, n) {
			t.Errorf("shippedCases has %s, which is not shipped", n)
		}
	}

	w := newWorld(t)
	sb := w.startSandbox(t, "--restart-delay", "2s")
	sb.waitInitial(t, time.Minute)
	for _, name := range names {
		tc, ok := shippedCases[name]
		if !ok {
			continue
		}
		t.Run(name, func(t *testing.T) {
			before := sb.waitInitial(t, time.Minute)
			dir := t.TempDir()
			journal, report, junit := filepath.Join(dir, "run.jsonl"), filepath.Join(dir, "run.md"), filepath.Join(dir, "run.xml")
			stop := sb.watch()
			phases := tc.phases
			if phases == nil {
				phases = shortPhases
			}
			args := append([]string{"run", name, "--headless", "--journal", journal, "--report", report, "--junit", junit}, phases...)
			p, code := w.run(t, runLimit, args...)
			saw := stop()
			if code != 0 {
				t.Errorf("exit code %d, want 0 (hypothesis held against the resilient sandbox)\n%s", code, p.output())
			}
			if !strings.Contains(p.stderr.String(), fmt.Sprintf("attached to the running sandbox (pid %d", sb.state.PID)) {
				t.Errorf("the run did not attach to the test's sandbox\n%s", p.output())
			}
			recs := readJournal(t, journal)
			if o := outcome(t, recs); o.Verdict != engine.VerdictHeld {
				t.Errorf("verdict %s (%s), want held", o.Verdict, o.Reason)
			}
			f1 := checkFaultCycle(t, recs, "f1")
			if string(f1.Fault.Kind) != tc.kind {
				t.Errorf("f1 is a %s fault, want %s", f1.Fault.Kind, tc.kind)
			}
			after := sb.waitInitial(t, time.Minute)
			checkHooksRolledBack(t, after, f1)
			tc.check(t, recs, f1, saw, before, after)
			checkReportReproduced(t, w, journal, report)
			checkJUnit(t, junit, recs, 0, false)
		})
	}
}

// checkHooksRolledBack checks that the sandbox hooks of a fault ended by a
// rollback, not by their TTL. A killed replica's hook may instead have
// ended when the supervisor replaced the replica.
func checkHooksRolledBack(t *testing.T, st sandbox.Status, f engine.FaultStatus) {
	t.Helper()
	if f.Injection == nil || len(f.Injection.Handles) == 0 {
		t.Errorf("fault %s: the journal has no sandbox hook for it", f.Fault.ID)
		return
	}
	for _, id := range f.Injection.Handles {
		i := slices.IndexFunc(st.Hooks, func(h sandbox.Hook) bool { return h.ID == id })
		if i < 0 {
			t.Errorf("fault %s: the sandbox does not know its hook %s", f.Fault.ID, id)
			continue
		}
		h := st.Hooks[i]
		replaced := h.Kind == sandbox.HookKill && h.State == sandbox.HookExpired && strings.Contains(h.Note, "replaced")
		if h.State != sandbox.HookRolledBack && !replaced {
			t.Errorf("fault %s: hook %s (%s) ended %s (%s), want rolled back", f.Fault.ID, id, h.Kind, h.State, h.Note)
		}
	}
}

// TestDependencyOutageFragile runs the dependency-outage scenario against
// a fragile sandbox, which the run starts itself since none runs in this
// state directory: the hypothesis fails (exit 1), the fault is still
// rolled back clean, and the sandbox ends with the run. The same scenario
// exits 0 against the resilient sandbox in TestShippedScenarios.
func TestDependencyOutageFragile(t *testing.T) {
	w := newWorld(t)
	dir := t.TempDir()
	journal, report, junit := filepath.Join(dir, "run.jsonl"), filepath.Join(dir, "run.md"), filepath.Join(dir, "run.xml")
	args := append([]string{"run", "dependency-outage", "--headless", "--fragile", "--journal", journal, "--report", report, "--junit", junit}, shortPhases...)
	p, code := w.run(t, runLimit, args...)
	if code != 1 {
		t.Errorf("exit code %d, want 1 (hypothesis violated)\n%s", code, p.output())
	}
	if !strings.Contains(p.stderr.String(), "started a sandbox for this run") {
		t.Errorf("the run did not start its own sandbox\n%s", p.output())
	}
	recs := readJournal(t, journal)
	if o := outcome(t, recs); o.Verdict != engine.VerdictViolated || !strings.Contains(o.Reason, "during fault") {
		t.Errorf("verdict %s (%s), want violated during the fault", o.Verdict, o.Reason)
	}
	checkFaultCycle(t, recs, "f1")
	active, rolledBack := faultTimes(recs, "f1")
	worst := 0.0
	for _, s := range samples(recs) {
		if s.At.After(active) && !s.At.After(rolledBack) {
			worst = max(worst, s.ErrorRate)
		}
	}
	if worst <= 0.01 {
		t.Errorf("no sample during the outage has an error rate above 1%% (worst %.4f): the fragile sandbox should fail", worst)
	}
	checkJUnit(t, junit, recs, -1, false)
	checkReportReproduced(t, w, journal, report)
	waitNoChildren(t, w.state, 30*time.Second)
}

// stopScenario delays every request by 800 ms and fails the dependency;
// its stop condition (p95 above 300 ms for 2 s) must abort the run long
// before the fault phase ends.
const stopScenario = `title: Stop condition e2e
hypothesis: 800 ms of latency everywhere is caught by the stop condition
blast_radius: every sandbox replica and the dependency
rollback: the stop condition aborts the run
target: { provider: sandbox }
load: { rate: 50, path: /api/users/7, timeout: 2s }
steady_state:
  p95_ms: { max: 2000 }
  error_rate: { max: 0.5 }
phases: { baseline: 3s, fault: 60s, recovery: 3s }
faults:
  - kind: latency
    selection: { percent: 100 }
    params: { delay: 800ms }
  - kind: dependency-outage
    params: { mode: error }
stop_conditions:
  - { metric: p95_ms, above: 300, for: 2s }
`

// TestStopConditionAborts checks that a stop condition aborts a run with
// exit 2, the abort and its reason journaled, and every fault rolled back,
// in the journal and in the sandbox.
func TestStopConditionAborts(t *testing.T) {
	w := newWorld(t)
	sb := w.startSandbox(t)
	sb.waitInitial(t, time.Minute)
	dir := t.TempDir()
	file := writeFile(t, filepath.Join(dir, "stop.yaml"), stopScenario)
	journal, report, junit := filepath.Join(dir, "run.jsonl"), filepath.Join(dir, "run.md"), filepath.Join(dir, "run.xml")
	p, code := w.run(t, runLimit, "run", file, "--headless", "--journal", journal, "--report", report, "--junit", junit)
	if code != 2 {
		t.Errorf("exit code %d, want 2 (aborted)\n%s", code, p.output())
	}
	recs := readJournal(t, journal)
	var abort *engine.Record
	for i := range recs {
		if recs[i].Type == engine.RecAbort {
			abort = &recs[i]
			break
		}
	}
	if abort == nil {
		t.Fatal("the journal has no abort record")
	}
	if !strings.HasPrefix(abort.Reason, "stop condition: p95 ") {
		t.Errorf("abort reason %q, want the p95 stop condition", abort.Reason)
	}
	if o := outcome(t, recs); o.Verdict != engine.VerdictAborted {
		t.Errorf("verdict %s (%s), want aborted", o.Verdict, o.Reason)
	}
	after := sb.waitInitial(t, time.Minute)
	for _, id := range []string{"f1", "f2"} {
		f := checkFaultCycle(t, recs, id)
		checkHooksRolledBack(t, after, f)
		active, rolledBack := faultTimes(recs, id)
		if rolledBack.Before(abort.At) {
			t.Errorf("%s was rolled back at %s, before the abort at %s", id, rolledBack, abort.At)
		}
		if d := abort.At.Sub(active); d > 30*time.Second {
			t.Errorf("the stop condition fired %s after %s went active; want it within seconds, long before the 60 s fault phase ends", d, id)
		}
	}
	checkReportReproduced(t, w, journal, report)
	checkJUnit(t, junit, recs, 0, true)
}

// badScenario has four mistakes; each is named with its file, line and
// column. The tokens are where the mistakes are.
const badScenario = `title: Broken on purpose
hypothesis: nothing may run
blast_radius: none
rollback: none
target: { provider: sandbox }
load: { rate: 100 }
steady_state:
  p95_ms: { max: fast }
phases: { baseline: 3s, fault: 5 parsecs, recovery: 3s }
faults:
  - kind: latency
    selection: { percent: 150 }
    params: { delay: 500ms }
    colour: red
`

var badScenarioMistakes = []struct{ token, what string }{
	{"fast", "expected a number"},
	{"5 parsecs", "duration"},
	{"150", "percent"},
	{"colour", `unknown field "colour"`},
}

// TestInvalidScenarioRunsNothing checks that a bad scenario file exits 3
// naming each mistake's file:line:col, writes no journal and leaves the
// sandbox untouched.
func TestInvalidScenarioRunsNothing(t *testing.T) {
	w := newWorld(t)
	sb := w.startSandbox(t)
	before := sb.waitInitial(t, time.Minute)
	dir := t.TempDir()
	file := writeFile(t, filepath.Join(dir, "bad.yaml"), badScenario)
	journal := filepath.Join(dir, "run.jsonl")

	for _, args := range [][]string{
		{"run", file, "--headless", "--journal", journal},
		{"run", file, "--headless"}, // the default journal directory
	} {
		p, code := w.run(t, time.Minute, args...)
		if code != 3 {
			t.Errorf("exit code %d, want 3 (invalid scenario)\n%s", code, p.output())
		}
		stderr := p.stderr.String()
		for _, m := range badScenarioMistakes {
			line, col := position(t, badScenario, m.token)
			re := regexp.MustCompile(`(?m)^.*` + regexp.QuoteMeta(fmt.Sprintf("%s:%d:%d:", file, line, col)) + `.*` + regexp.QuoteMeta(m.what) + `.*$`)
			if !re.MatchString(stderr) {
				t.Errorf("stderr does not name %s:%d:%d (%q) with %q:\n%s", file, line, col, m.token, m.what, stderr)
			}
		}
		if p.stdout.String() != "" {
			t.Errorf("an invalid scenario printed a run on stdout:\n%s", p.stdout.String())
		}
	}
	if _, err := os.Stat(journal); !os.IsNotExist(err) {
		t.Errorf("a journal was written for an invalid scenario (stat: %v)", err)
	}
	if _, err := os.Stat(filepath.Join(w.state, "journals")); !os.IsNotExist(err) {
		t.Errorf("the default journal directory was created for an invalid scenario (stat: %v)", err)
	}
	after := sb.status(t)
	if len(after.Hooks) != 0 {
		t.Errorf("the sandbox got %d fault hooks from an invalid scenario: %+v", len(after.Hooks), after.Hooks)
	}
	if bad := notInitial(after, sb.replicas); len(bad) > 0 {
		t.Errorf("the sandbox changed:\n  %s", strings.Join(bad, "\n  "))
	}
	for i, r := range after.Replicas {
		if r.PID != before.Replicas[i].PID || r.Restarts != before.Replicas[i].Restarts {
			t.Errorf("%s changed: pid %d→%d, restarts %d→%d", r.Name, before.Replicas[i].PID, r.PID, before.Replicas[i].Restarts, r.Restarts)
		}
	}
}

// position returns the 1-based line and column of the only occurrence of
// token in text.
func position(t *testing.T, text, token string) (int, int) {
	t.Helper()
	i := strings.Index(text, token)
	if i < 0 || strings.Count(text, token) != 1 {
		t.Fatalf("token %q must occur exactly once in the scenario", token)
	}
	line := strings.Count(text[:i], "\n") + 1
	col := i - (strings.LastIndex(text[:i], "\n") + 1) + 1
	return line, col
}

// TestInterruptRollsBack sends SIGINT to a headless run during the fault
// phase: it exits 2 and the fault is rolled back, in the journal and in
// the sandbox.
func TestInterruptRollsBack(t *testing.T) {
	w := newWorld(t)
	sb := w.startSandbox(t)
	sb.waitInitial(t, time.Minute)
	dir := t.TempDir()
	journal := filepath.Join(dir, "run.jsonl")
	p := w.start(t, runLimit, "run", "latency", "--headless", "--journal", journal,
		"--baseline", "3s", "--fault", "2m", "--recovery", "3s")
	p.waitOutput(t, "f1 latency: active", 2*time.Minute)
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatalf("send SIGINT: %v", err)
	}
	if code := p.wait(t, 2*time.Minute); code != 2 {
		t.Errorf("exit code %d after SIGINT, want 2 (aborted)\n%s", code, p.output())
	}
	if !strings.Contains(p.stderr.String(), "aborting, rolling back every fault") {
		t.Errorf("stderr does not say it is rolling back\n%s", p.output())
	}
	recs := readJournal(t, journal)
	aborted := slices.ContainsFunc(recs, func(r engine.Record) bool {
		return r.Type == engine.RecAbort && strings.Contains(r.Reason, "interrupt")
	})
	if !aborted {
		t.Error("the journal has no abort record for the interrupt")
	}
	if o := outcome(t, recs); o.Verdict != engine.VerdictAborted {
		t.Errorf("verdict %s (%s), want aborted", o.Verdict, o.Reason)
	}
	f1 := checkFaultCycle(t, recs, "f1")
	after := sb.waitInitial(t, time.Minute)
	checkHooksRolledBack(t, after, f1)
}
