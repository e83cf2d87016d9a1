package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// Tests of what the console says: the header, the number keys, the abort
// reason, notes after the run, the report mid-run, manual action.

// journaledRun is a fakeRun that knows its journal (Journaled).
type journaledRun struct {
	*fakeRun
	path string
}

func (j journaledRun) JournalPath() string { return j.path }

// batchMsgs runs cmd and the commands of a batch it returns, and returns
// their messages — only for commands known not to block.
func batchMsgs(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := cmd()
	b, ok := msg.(tea.BatchMsg)
	if !ok {
		return []tea.Msg{msg}
	}
	var out []tea.Msg
	for _, c := range b {
		out = append(out, batchMsgs(c)...)
	}
	return out
}

// view is m's screen without colour codes.
func view(m Model) string { return ansi.Strip(m.View()) }

// answer presses key in m and returns the status line it answers with,
// failing when the key injected a fault instead.
func answer(t *testing.T, m Model, k string) string {
	t.Helper()
	_, cmd := step(t, m, keyMsg(k))
	if cmd == nil {
		t.Fatalf("key %s did not answer", k)
	}
	msg := cmd()
	b, ok := msg.(bannerMsg)
	if !ok {
		t.Fatalf("key %s sent %T, want a status line", k, msg)
	}
	return string(b)
}

// TestFaultKeysAlwaysAnswer: every number key answers, whatever the phase
// and the fault's state; only a fault that can be fired now is injected.
func TestFaultKeysAlwaysAnswer(t *testing.T) {
	p := latencyPlan()
	withState := func(s engine.Snapshot, st engine.FaultState) engine.Snapshot {
		s.Faults = append([]engine.FaultStatus(nil), s.Faults...)
		s.Faults[0].State = st
		return s
	}
	ended := func(s engine.Snapshot) engine.Snapshot {
		s.Faults = append([]engine.FaultStatus(nil), s.Faults...)
		s.Faults[0].State = engine.FaultRolledBack
		s.Faults[0].InjectedAt = t0.Add(31 * time.Second)
		return s
	}
	recovering := ended(faultPhaseSnap(p))
	recovering.Phase = engine.Recovering
	tests := map[string]struct {
		snap engine.Snapshot
		key  string
		now  time.Duration
		want string
	}{
		"baseline":          {baselineSnap(p), "1", 20 * time.Second, "Faults start in the fault phase, in 0:10: f1 latency is pending."},
		"already active":    {activeSnap(p), "1", 75 * time.Second, "f1 latency is already active · ends in 0:16."},
		"being injected":    {withState(faultPhaseSnap(p), engine.FaultInjecting), "1", 40 * time.Second, "f1 latency is being injected…"},
		"rolling back":      {withState(faultPhaseSnap(p), engine.FaultRollingBack), "1", 40 * time.Second, "f1 latency is being rolled back…"},
		"rollback failed":   {withState(faultPhaseSnap(p), engine.FaultRollbackFailed), "1", 40 * time.Second, "f1 latency could not be rolled back"},
		"ended in recovery": {recovering, "1", 100 * time.Second, "f1 latency has ended: the fault phase is over."},
		"never fired":       {recovering, "2", 100 * time.Second, "The fault phase is over: f2 instance-stop was not fired."},
		"no such fault":     {faultPhaseSnap(p), "7", 40 * time.Second, "Key 7: no such fault; this plan has f1 to f2."},
		"key 9":             {activeSnap(p), "9", 75 * time.Second, "Key 9: no such fault"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			m, run := consoleAt(t, tc.snap, 80, 24, t0.Add(tc.now))
			if got := answer(t, m, tc.key); !strings.Contains(got, tc.want) {
				t.Errorf("key %s says %q, want %q", tc.key, got, tc.want)
			}
			if injected, _, _ := run.calls(); len(injected) != 0 {
				t.Errorf("injected %v", injected)
			}
		})
	}
	t.Run("after the run", func(t *testing.T) {
		m := endedModel(t, testConfig(nil, 80, 24, t0.Add(90*time.Second)), settledSnap(p))
		if got := answer(t, m, "1"); got != "f1 latency has ended: the run is over." {
			t.Errorf("key 1 after the run says %q", got)
		}
	})
	t.Run("aborting", func(t *testing.T) {
		m, _ := consoleAt(t, faultPhaseSnap(p), 80, 24, t0.Add(40*time.Second))
		m, _ = step(t, m, keyMsg("ctrl+x"))
		m, _ = step(t, m, keyMsg("esc"))
		if got := answer(t, m, "2"); got != "The run was aborted: f2 instance-stop is not fired." {
			t.Errorf("key 2 while aborting says %q", got)
		}
	})
	// A fault that can be fired is fired, and says so.
	m, run := consoleAt(t, faultPhaseSnap(p), 80, 24, t0.Add(40*time.Second))
	_, cmd := step(t, m, keyMsg("2"))
	if msg, ok := cmd().(injectedMsg); !ok || msg.faultID != "f2" {
		t.Fatalf("key 2 in the fault phase sent %T %+v, want f2 injected", msg, msg)
	}
	if injected, _, _ := run.calls(); len(injected) != 1 || injected[0] != "f2" {
		t.Errorf("injected %v, want [f2]", injected)
	}
}

// TestAbortAsksWhyWithoutWaiting: ctrl+x aborts at once and then asks for
// a reason in one line; enter journals it as a note, esc or an empty enter
// skips it; X does the same; leaving (q) does not ask.
func TestAbortAsksWhyWithoutWaiting(t *testing.T) {
	p := latencyPlan()
	m, run := consoleAt(t, activeSnap(p), 80, 24, t0.Add(75*time.Second))
	m, cmd := step(t, m, keyMsg("ctrl+x"))
	runCmd(cmd)
	if _, aborts, _ := run.calls(); len(aborts) != 1 || aborts[0] != "abort key (ctrl+x)" {
		t.Fatalf("ctrl+x: aborts %v before any reason was typed, want one", aborts)
	}
	if !m.console.reasoning || !strings.Contains(view(m), "why? (enter to skip) › ") {
		t.Fatalf("no reason prompt after ctrl+x:\n%s", view(m))
	}
	for _, r := range "db team asked us to stop" {
		m, _ = step(t, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	m, cmd = step(t, m, keyMsg("enter"))
	msg := cmd()
	if _, ok := msg.(noteSavedMsg); !ok {
		t.Fatalf("enter sent %T, want the reason saved", msg)
	}
	if _, _, notes := run.calls(); len(notes) != 1 || notes[0] != "abort reason: db team asked us to stop" {
		t.Errorf("notes %q, want the reason journaled as a note", notes)
	}
	m, _ = step(t, m, msg)
	if m.console.reasoning || !strings.Contains(view(m), "Abort reason saved to the journal.") {
		t.Errorf("after enter the prompt is open or nothing says the reason was saved:\n%s", view(m))
	}

	for name, keys := range map[string][]string{"esc": {"ctrl+x", "esc"}, "empty enter": {"X", "enter"}} {
		t.Run(name, func(t *testing.T) {
			m, run := consoleAt(t, activeSnap(p), 80, 24, t0.Add(75*time.Second))
			var cmd tea.Cmd
			for _, k := range keys {
				m, cmd = step(t, m, keyMsg(k))
				runCmd(cmd)
			}
			if _, aborts, notes := run.calls(); len(aborts) != 1 || len(notes) != 0 || m.console.reasoning {
				t.Errorf("aborts %v notes %v prompt open %v; want one abort, no note, the prompt closed", aborts, notes, m.console.reasoning)
			}
		})
	}
	m, _ = consoleAt(t, activeSnap(p), 80, 24, t0.Add(75*time.Second))
	if m, _ = step(t, m, keyMsg("q")); m.console.reasoning {
		t.Error("q (leaving) asked for a reason")
	}
}

// TestNotesAfterTheRun: n works once the run has ended — the retro right
// after the drill goes into the same journal and report.
func TestNotesAfterTheRun(t *testing.T) {
	cfg := testConfig(nil, 80, 24, t0.Add(90*time.Second))
	run := newFakeRun(t, settledSnap(latencyPlan()))
	m := New(cfg)
	m, _ = step(t, m, startedMsg{plan: run.snap.Plan, run: run})
	m, _ = step(t, m, snapshotMsg{gen: m.gen, snap: run.snap})
	m, _ = step(t, m, runDoneMsg{gen: m.gen})
	if !strings.Contains(view(m), "n: note (the retro goes in the report)") {
		t.Errorf("the ended console does not offer notes:\n%s", view(m))
	}
	m, _ = step(t, m, keyMsg("n"))
	for _, r := range "-the alert fired late" {
		m, _ = step(t, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	_, cmd := step(t, m, keyMsg("enter"))
	if _, ok := cmd().(noteSavedMsg); !ok {
		t.Fatal("the note after the run was not saved")
	}
	if _, _, notes := run.calls(); len(notes) != 1 || notes[0] != "-the alert fired late" {
		t.Errorf("notes %q", notes)
	}
}

// TestReportMidRunSaysInProgress: r during a live run shows the report
// as the journal so far, and says so; once the run ends the report is
// built again and says it no more.
func TestReportMidRunSaysInProgress(t *testing.T) {
	m, run := consoleAt(t, activeSnap(latencyPlan()), 80, 24, t0.Add(75*time.Second))
	m, cmd := step(t, m, keyMsg("r"))
	m, cmd = through[openReportMsg](t, m, cmd)
	m, _ = step(t, m, cmd())
	v := view(m)
	if !strings.Contains(strings.SplitN(v, "\n", 2)[0], "IN PROGRESS") {
		t.Errorf("the report of a live run does not say it is in progress:\n%s", v)
	}
	if strings.Contains(v, "manual action") || strings.Contains(v, "Manual action") {
		t.Errorf("the report of a live run raises a manual-action alarm:\n%s", v)
	}
	run.finish()
	m, cmd = step(t, m, runDoneMsg{gen: m.gen})
	if cmd == nil {
		t.Fatal("the end of the run did not rebuild the report")
	}
	for _, msg := range batchMsgs(cmd) {
		if r, ok := msg.(reportMsg); ok {
			m, _ = step(t, m, r)
		}
	}
	if v := view(m); strings.Contains(v, "IN PROGRESS") || !strings.Contains(v, "ROLLBACK FAILED") {
		t.Errorf("after the run ended the report is not the final one:\n%s", v)
	}
}

// TestManualActionOnlyWhenNeeded: a live fault is no alarm; "manual action
// needed" shows only for a rollback that failed, or a fault that may still
// be active once the run has ended — with a real command, never a
// placeholder.
func TestManualActionOnlyWhenNeeded(t *testing.T) {
	p := latencyPlan()
	live, _ := consoleAt(t, activeSnap(p), 160, 48, t0.Add(75*time.Second))
	if v := view(live); strings.Contains(v, "MANUAL") || strings.Contains(v, "manual rollback") {
		t.Errorf("a live fault shows a manual-action alarm:\n%s", v)
	}
	failed := endedModel(t, testConfig(nil, 160, 48, t0.Add(90*time.Second)), abortedSnap(p))
	v := view(failed)
	if !strings.Contains(v, "⚠ MANUAL ACTION NEEDED: f2 instance-stop") || !strings.Contains(v, "manual rollback: gameday sandbox restart replica-1 --addr 127.0.0.1:7070") {
		t.Errorf("a failed rollback does not show the manual action with its command:\n%s", v)
	}

	// The run ended with f1 still injecting (its inject call never came
	// back): the command is recover with this run's journal.
	stuck := settledSnap(p)
	stuck.Faults[0].State = engine.FaultInjecting
	for name, tc := range map[string]struct {
		path string
		want string
	}{
		"journal known":   {"/var/lib/gameday/journals/run 1.jsonl", "manual rollback: gameday recover '/var/lib/gameday/journals/run 1.jsonl'"},
		"journal unknown": {"", "manual rollback: run gameday recover with this run's journal"},
	} {
		t.Run(name, func(t *testing.T) {
			var r Run = newFakeRun(t, stuck)
			if tc.path != "" {
				r = journaledRun{r.(*fakeRun), tc.path}
			}
			m := New(testConfig(nil, 160, 48, t0.Add(90*time.Second)))
			m, _ = step(t, m, startedMsg{plan: p, run: r})
			m, _ = step(t, m, snapshotMsg{gen: m.gen, snap: stuck})
			if v := view(m); strings.Contains(v, "MANUAL") {
				t.Errorf("while the run lives, an injecting fault is an alarm:\n%s", v)
			}
			m, _ = step(t, m, runDoneMsg{gen: m.gen})
			v := view(m)
			if !strings.Contains(v, "MANUAL ACTION NEEDED: f1 latency") || !strings.Contains(v, tc.want) {
				t.Errorf("want %q:\n%s", tc.want, v)
			}
			if strings.Contains(v, "JOURNAL") {
				t.Errorf("a placeholder instead of the journal:\n%s", v)
			}
		})
	}
}

// TestHeaderNamesThePlansPhases: the header names the phase as the plan
// does — never the engine's injecting or observing — with its countdown,
// and says what fault is live.
func TestHeaderNamesThePlansPhases(t *testing.T) {
	p := latencyPlan()
	watching := recoveringSnap(p)
	tests := map[string]struct {
		snap engine.Snapshot
		now  time.Duration
		want []string
	}{
		"baseline":  {baselineSnap(p), 20 * time.Second, []string{"│ BASELINE 0:10 left │ T+00:20", "faults start in the fault phase, in 0:10"}},
		"injecting": {faultPhaseSnap(p), 40 * time.Second, []string{"│ FAULT 1:50 left │ T+00:40", "no fault active · press 1–2 to fire one"}},
		"observing": {activeSnap(p), 75 * time.Second, []string{"│ FAULT 1:16 left │ T+01:15", "FAULT ACTIVE f1 latency · 0:16 left → replica-3"}},
		"recovery":  {watching, 90 * time.Second, []string{"│ RECOVERY 0:52 left │ T+01:30", "every fault rolled back · watching the system recover"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			m, _ := consoleAt(t, tc.snap, 80, 24, t0.Add(tc.now))
			head := strings.Join(strings.SplitN(view(m), "\n", 3)[:2], "\n")
			for _, w := range tc.want {
				if !strings.Contains(head, w) {
					t.Errorf("the header lacks %q:\n%s", w, head)
				}
			}
			for _, bad := range []string{"INJECTING", "OBSERVING", "injecting", "observing"} {
				if strings.Contains(head, bad) {
					t.Errorf("the header names the engine's phase %q:\n%s", bad, head)
				}
			}
		})
	}
}

// TestHeaderClockNeverCut: at 80 columns a long title and a long verdict
// give way; the phase, its countdown and the clock never do.
func TestHeaderClockNeverCut(t *testing.T) {
	p := latencyPlan()
	p.Title = "Latency injection on the payments API behind the EU load balancer (drill)"
	s := activeSnap(p)
	s.Checks = []engine.Check{{Phase: "fault", Metric: scenarios.P95}, {Phase: "fault", Metric: scenarios.ErrorRate}, {Phase: "fault", Metric: scenarios.Throughput}}
	s.Holding = false
	for _, w := range []int{80, 100} {
		m, _ := consoleAt(t, s, w, 24, t0.Add(75*time.Second))
		head := strings.SplitN(view(m), "\n", 2)[0]
		for _, want := range []string{"FAULT 1:16 left", "T+01:15", "✘ BREACHED"} {
			if !strings.Contains(head, want) {
				t.Errorf("at %d columns the header lost %q: %q", w, want, head)
			}
		}
	}
}

// TestOutcomeInHumanUnits: an aborted run that had already refuted its
// hypothesis says both, and whether the system came back, in units and
// plain metric names.
func TestOutcomeInHumanUnits(t *testing.T) {
	p := latencyPlan()
	s := settledSnap(p)
	s.Outcome = &engine.Outcome{Verdict: engine.VerdictAborted, Reason: "abort key (ctrl+x); the hypothesis was already refuted: p95 612 ms > 500 ms during fault",
		Checks: []engine.Check{
			{Phase: "fault", Metric: scenarios.P95, Value: 612, Bound: p.SteadyState[scenarios.P95], Samples: 50, Method: engine.MethodAllRequests},
			{Phase: "fault", Metric: scenarios.ErrorRate, Value: 0.0004, Bound: p.SteadyState[scenarios.ErrorRate], Holds: true, Samples: 50},
			{Phase: "recovery", Metric: scenarios.ErrorRate, Value: 0.0001, Bound: p.SteadyState[scenarios.ErrorRate], Holds: true, Samples: 20},
		}}
	m := endedModel(t, testConfig(nil, 160, 48, t0.Add(150*time.Second)), s)
	v := view(m)
	want := "Run ended — aborted: abort key (ctrl+x); the hypothesis was already refuted: p95 latency 612 ms > 500 ms (fault); after the rollback the steady state held again"
	if !strings.Contains(v, want) {
		t.Errorf("the outcome line is not\n%s\n%s", want, v)
	}
	if !strings.Contains(strings.SplitN(v, "\n", 2)[0], "■ ABORTED · ✘ REFUTED") {
		t.Errorf("the header does not say both:\n%s", v)
	}
	for _, raw := range []string{"p95_ms", "error_rate", "0.001", "0.0004"} {
		if strings.Contains(v, raw) {
			t.Errorf("the console shows the raw %q:\n%s", raw, v)
		}
	}
}

// TestTimelineNamesTargetsHit: the timeline says what a fault hit, as the
// fault panel and the report do.
func TestTimelineNamesTargetsHit(t *testing.T) {
	p := latencyPlan()
	s := activeSnap(p)
	f2 := engine.FaultStatus{Fault: p.Faults[1], State: engine.FaultActive, InjectedAt: t0.Add(70 * time.Second),
		Targets: []providers.Target{{ID: "r1", Name: "replica-1"}, {ID: "r4", Name: "replica-4"}}}
	s.Faults[1] = f2
	s.Timeline = append(s.Timeline, engine.Record{Seq: 8, At: t0.Add(70 * time.Second), Type: engine.RecFault, Fault: &f2})
	// f1 rolled back, then verified: one line says both.
	f1 := s.Faults[0]
	f1.State = engine.FaultRolledBack
	f1v := f1
	f1v.Verification = &providers.Verification{Clean: true}
	s.Timeline = append(s.Timeline,
		engine.Record{Seq: 9, At: t0.Add(72 * time.Second), Type: engine.RecFault, Fault: &f1},
		engine.Record{Seq: 10, At: t0.Add(73 * time.Second), Type: engine.RecFault, Fault: &f1v})
	m, _ := consoleAt(t, s, 160, 48, t0.Add(75*time.Second))
	v := view(m)
	if strings.Count(v, "f1 latency: rolled back") != 1 || !strings.Contains(v, "T+01:13  ✔ f1 latency: rolled back, verified clean") {
		t.Errorf("the rollback and its verification are not one line:\n%s", v)
	}
	for _, want := range []string{"T+01:10  ● f2 instance-stop: active on replica-1, replica-4", "f2 instance-stop 25%", "→ replica-1, replica-4"} {
		if !strings.Contains(v, want) {
			t.Errorf("the console lacks %q:\n%s", want, v)
		}
	}
	if !strings.Contains(v, "FAULT ACTIVE f1 latency · 0:16 left → replica-3 · f2 instance-stop → replica-1, replica-4") {
		t.Errorf("the header does not name both live faults:\n%s", strings.SplitN(v, "\n", 3)[1])
	}
}

// drillPlan is scenarios/sandbox/drill.yaml as the console gets it: six
// faults, each fired by key.
func drillPlan() *scenarios.Plan {
	p := latencyPlan()
	p.Path = "embedded:sandbox/drill.yaml"
	p.Title = "Free-form drill (all six faults, fired by key)"
	p.Hypothesis = "Whichever fault is fired, fewer than 5% of requests fail, p95 stays under 1 s, throughput holds at 90 req/s and at least 3 of the 4 replicas keep running"
	p.SteadyState[scenarios.P95] = scenarios.Bound{Max: fp(1000)}
	p.SteadyState[scenarios.ErrorRate] = scenarios.Bound{Max: fp(0.05)}
	p.SteadyState[scenarios.Throughput] = scenarios.Bound{Min: fp(90)}
	p.Load = &scenarios.Load{Rate: 100}
	p.Phases = scenarios.Phases{Baseline: 20 * time.Second, Fault: 15 * time.Minute, Recovery: 30 * time.Second}
	p.Faults = nil
	for i, f := range []providers.Fault{
		{Kind: providers.Latency, Selection: providers.Selection{Percent: 50}, Params: providers.Params{Delay: 300 * time.Millisecond, Jitter: 50 * time.Millisecond}},
		{Kind: providers.InstanceStop, Selection: providers.Selection{Count: 1}, Params: providers.Params{Mode: "kill"}},
		{Kind: providers.CPUStress, Selection: providers.Selection{Count: 1}, Params: providers.Params{Workers: 1, Load: 80}},
		{Kind: providers.MemoryStress, Selection: providers.Selection{Count: 1}, Params: providers.Params{MemoryMB: 256}},
		{Kind: providers.DependencyOutage, Params: providers.Params{Mode: "blackhole"}},
		{Kind: providers.DBFailure, Params: providers.Params{Mode: "stop"}},
	} {
		f.ID = fmt.Sprintf("f%d", i+1)
		d := time.Minute
		if f.Kind == providers.DBFailure {
			d = 2 * time.Second
		}
		p.Faults = append(p.Faults, scenarios.Fault{Fault: f, Manual: true, Duration: d})
	}
	return p
}

// drillSnap is the drill 2 min in: f1 latency fired by key at 1:40 on two
// replicas chosen at inject time, f6 (the database) fired and over.
func drillSnap() engine.Snapshot {
	p := drillPlan()
	s := engine.Snapshot{Plan: p, Phase: engine.Observing, Started: t0, PhaseStarted: t0.Add(20 * time.Second),
		PhaseEnds: t0.Add(920 * time.Second), Samples: samples(120, false), Holding: true}
	for _, f := range p.Faults {
		s.Faults = append(s.Faults, engine.FaultStatus{Fault: f})
	}
	s.Faults[5].State = engine.FaultRolledBack
	s.Faults[5].InjectedAt = t0.Add(60 * time.Second)
	s.Faults[5].Verification = &providers.Verification{Clean: true}
	s.Faults[0].State = engine.FaultActive
	s.Faults[0].InjectedAt = t0.Add(100 * time.Second)
	s.Faults[0].EndsAt = t0.Add(160 * time.Second)
	s.Faults[0].Targets = []providers.Target{{ID: "r2", Name: "replica-2"}, {ID: "r4", Name: "replica-4"}}
	f6, f1 := s.Faults[5], s.Faults[0]
	s.Timeline = []engine.Record{
		{Seq: 1, At: t0, Type: engine.RecPlan, Plan: p},
		phaseRec(2, t0, "baseline"),
		phaseRec(3, t0.Add(20*time.Second), "injecting"),
		{Seq: 4, At: t0.Add(60 * time.Second), Type: engine.RecFault, Fault: &engine.FaultStatus{Fault: p.Faults[5], State: engine.FaultActive, Targets: []providers.Target{{ID: "db", Name: "db"}}}},
		{Seq: 5, At: t0.Add(62 * time.Second), Type: engine.RecFault, Fault: &f6},
		{Seq: 6, At: t0.Add(63 * time.Second), Type: engine.RecSystem, Event: &providers.SystemEvent{Source: "supervisor", Kind: providers.EventRecovered, Text: "started the database again"}},
		{Seq: 7, At: t0.Add(100 * time.Second), Type: engine.RecFault, Fault: &f1},
		{Seq: 8, At: t0.Add(110 * time.Second), Type: engine.RecNote, Note: &engine.Note{Kind: engine.Observation, Text: "p95 doubled, no errors"}},
	}
	return s
}

func TestConsoleDrill(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			m, _ := consoleAt(t, drillSnap(), sz.w, sz.h, t0.Add(120*time.Second))
			requireView(t, m.View(), sz.w, sz.h)
		})
	}
}

// TestConsoleWatchingRecovery is the console after ctrl+x, the reason
// given, the rollback over: the run watches the system come back.
func TestConsoleWatchingRecovery(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			p := latencyPlan()
			m, _ := consoleAt(t, activeSnap(p), sz.w, sz.h, t0.Add(84*time.Second))
			m, _ = step(t, m, keyMsg("ctrl+x"))
			for _, r := range "p95 too high for the demo" {
				m, _ = step(t, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
			}
			m, _ = step(t, m, keyMsg("enter"))
			s := recoveringSnap(p)
			reason := engine.Record{Seq: 11, At: t0.Add(83 * time.Second), Type: engine.RecNote,
				Note: &engine.Note{Kind: engine.Observation, Text: "abort reason: p95 too high for the demo"}}
			s.Timeline = append(s.Timeline, reason)
			m, cmd := step(t, m, snapshotMsg{gen: m.gen, snap: s})
			m, _ = through[bannerMsg](t, m, cmd)
			requireView(t, m.View(), sz.w, sz.h)
		})
	}
}

// TestConsoleAbortReason is the reason prompt right after ctrl+x, while
// the rollback runs.
func TestConsoleAbortReason(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			m, _ := consoleAt(t, activeSnap(latencyPlan()), sz.w, sz.h, t0.Add(80*time.Second))
			m, _ = step(t, m, keyMsg("ctrl+x"))
			for _, r := range "the dashboard went red" {
				m, _ = step(t, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
			}
			requireView(t, m.View(), sz.w, sz.h)
		})
	}
}

// TestConsoleEndedWithNote is a settled run after the retro's first note:
// notes, the report and the way back to the scenarios are offered.
func TestConsoleEndedWithNote(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			s := settledSnap(latencyPlan())
			s.Timeline = append(s.Timeline, engine.Record{Seq: 15, At: t0.Add(95 * time.Second), Type: engine.RecNote,
				Note: &engine.Note{Kind: engine.Improvement, Text: "the replica-down alert took 40 s"}})
			m := endedModel(t, testConfig(nil, sz.w, sz.h, t0.Add(96*time.Second)), s)
			requireView(t, m.View(), sz.w, sz.h)
		})
	}
}

// TestConsoleJapanese is the fault-active console with --lang ja.
func TestConsoleJapanese(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			s := activeSnap(latencyPlan())
			run := newFakeRun(t, s)
			cfg := testConfig(run, sz.w, sz.h, t0.Add(75*time.Second))
			cfg.Lang = engine.Japanese
			m := New(cfg)
			m, _ = step(t, m, startedMsg{plan: s.Plan, run: run})
			m, _ = step(t, m, snapshotMsg{gen: m.gen, snap: s})
			requireView(t, m.View(), sz.w, sz.h)
		})
	}
}

// TestPickerJapanese is the picker and its plan card with --lang ja.
func TestPickerJapanese(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			cfg := testConfig(nil, sz.w, sz.h, t0)
			cfg.Lang = engine.Japanese
			// The scenario's own Japanese (translations.ja) on the card.
			cfg.Plans[0].Translations = map[string]scenarios.Text{"ja": {
				Title:       "レイテンシ注入",
				Hypothesis:  "レプリカ 1 台に 300 ms の遅延を加えても p95 は 500 ms 未満、エラーは 0.1 % 未満に保たれる",
				BlastRadius: "サービスのレプリカ 1 台",
			}}
			m := New(cfg)
			m, _ = step(t, m, previewMsg{plan: cfg.Plans[0], previews: []FaultPreview{
				{FaultID: "f1", Summary: "will delay 1 of 4 replicas, chosen at inject time, e.g. replica-3"},
				{FaultID: "f2", Summary: "will stop 1 of 4 replicas, chosen at inject time, e.g. replica-1"},
			}})
			requireView(t, m.View(), sz.w, sz.h)
		})
	}
}

// TestReportViewLive is the report opened with r during the run.
func TestReportViewLive(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			m, _ := consoleAt(t, activeSnap(latencyPlan()), sz.w, sz.h, t0.Add(75*time.Second))
			m, cmd := step(t, m, keyMsg("r"))
			m, cmd = through[openReportMsg](t, m, cmd)
			m, _ = step(t, m, cmd())
			requireView(t, m.View(), sz.w, sz.h)
		})
	}
}

// TestReportWrapsAtAnyWidth: the report view fits tables and Japanese
// text into every width from 80 columns: no line is wider than the
// screen, and no table header is cut.
func TestReportWrapsAtAnyWidth(t *testing.T) {
	md := fixtureReport + "\n| 指標 | 目標 | ベースライン | 障害フェーズ | 回復フェーズ |\n|---|---|---|---|---|\n" +
		"| p95 レイテンシ | ≤ 500 ms | 121 ms ✅ 維持 | 612 ms ❌ 超過 (30 窓のうち 14 窓で超過、最悪 812 ms) | 130 ms ✅ 維持 |\n"
	for w := 80; w <= 200; w += 7 {
		out, err := renderMarkdown(md, w, DefaultStyles())
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range strings.Split(out, "\n") {
			if lw := ansi.StringWidth(l); lw > w {
				t.Errorf("at %d columns line %d is %d cells: %q", w, i+1, lw, ansi.Strip(l))
			}
		}
		plain := ansi.Strip(out)
		words := strings.Join(strings.Fields(plain), " ")
		for _, header := range []string{"Recovery", "During fault", "回復フェーズ"} {
			if !strings.Contains(words, header) {
				t.Errorf("at %d columns the table header %q is cut:\n%s", w, header, plain)
			}
		}
		if !strings.Contains(strings.Join(strings.Fields(plain), ""), "ダッシュボードの更新") {
			t.Errorf("at %d columns the Japanese note is lost:\n%s", w, plain)
		}
	}
}

// TestLadderInConsole: a fault with a progressive blast radius shows its
// steps on the card and in the fault panel, the step it is at, and each
// step's start, hold and breach on the timeline.
func TestLadderInConsole(t *testing.T) {
	p := latencyPlan()
	p.Faults[0].Ladder = &scenarios.Ladder{Steps: []providers.Selection{{Count: 1}, {Percent: 50}, {Percent: 100}}, Hold: 30 * time.Second}
	p.Faults[0].Selection = providers.Selection{Count: 1}
	s := activeSnap(p)
	s.Faults[0].Fault = p.Faults[0]
	s.Faults[0].Step = 2
	s.Timeline = append(s.Timeline,
		engine.Record{Seq: 8, At: t0.Add(61 * time.Second), Type: engine.RecStep, Step: &engine.StepRecord{FaultID: "f1", Step: 1, Of: 3, Selection: providers.Selection{Count: 1}, What: engine.StepHeld}},
		engine.Record{Seq: 9, At: t0.Add(62 * time.Second), Type: engine.RecStep, Step: &engine.StepRecord{FaultID: "f1", Step: 2, Of: 3, Selection: providers.Selection{Percent: 50}, What: engine.StepStarted,
			Targets: []providers.Target{{Name: "replica-1"}, {Name: "replica-3"}}}},
		engine.Record{Seq: 10, At: t0.Add(74 * time.Second), Type: engine.RecStep, Step: &engine.StepRecord{FaultID: "f1", Step: 2, Of: 3, Selection: providers.Selection{Percent: 50}, What: engine.StepBreached,
			Checks: []engine.Check{{Phase: "fault", Metric: scenarios.P95, Value: 612, Bound: p.SteadyState[scenarios.P95], Samples: 12}}}},
	)
	m, _ := consoleAt(t, s, 160, 48, t0.Add(75*time.Second))
	v := view(m)
	for _, want := range []string{
		"f1 latency 1 target→100%", "● ACTIVE · step 2 of 3",
		"✔ f1 latency step 1 of 3 (1 target): held",
		"● f1 latency step 2 of 3 (50%): started on replica-1, replica-3",
		"✘ f1 latency step 2 of 3 (50%): breached: p95 latency 612 ms > 500 ms (fault)",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("the console lacks %q:\n%s", want, v)
		}
	}
	card := strings.Join(planCard{plan: p, styles: DefaultStyles(), tr: newPrinter(engine.English)}.lines(160), "\n")
	if want := "widened 1 target → 50% → 100%, each step held 30s, stopped at a breach"; !strings.Contains(card, want) {
		t.Errorf("the card lacks %q:\n%s", want, card)
	}
}
