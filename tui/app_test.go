package tui

import (
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// Tests of the root model: staleness is checked once, in Update, and
// screens' keys are handled by the screens.

// secondRun returns a model watching a second run (in its baseline) after
// a first one ended, and the generation of the first.
func secondRun(t *testing.T) (Model, gen) {
	t.Helper()
	p := latencyPlan()
	m, _ := abortedModel(t, 80, 24)
	first := m.gen
	run := newFakeRun(t, baselineSnap(p))
	m, _ = step(t, m, startedMsg{plan: p, run: run})
	m, _ = step(t, m, snapshotMsg{gen: m.gen, snap: baselineSnap(p)})
	if m.gen == first {
		t.Fatal("starting a second run did not begin a new generation")
	}
	return m, first
}

// TestStaleMessagesAreDropped delivers every kind of scoped message of the
// first run to a model watching a second one: none may change it or
// schedule work.
func TestStaleMessagesAreDropped(t *testing.T) {
	m, old := secondRun(t)
	p := m.picker.plans[0]
	tests := map[string]tea.Msg{
		"snapshot":      snapshotMsg{gen: old, snap: abortedSnap(p)},
		"event":         eventMsg{gen: old, rec: engine.Record{Seq: 99, Type: engine.RecPhase, Phase: "aborted"}},
		"events closed": eventsClosedMsg{gen: old},
		"run done":      runDoneMsg{gen: old},
		"tick":          tickMsg{gen: old, tag: m.tickTag},
		"injected":      injectedMsg{gen: old, faultID: "f1"},
		"ladder done":   ladderDoneMsg{gen: old, text: "f1 latency: held at step 2 of 3 (50%) until the fault ends."},
		"note saved":    noteSavedMsg{gen: old},
		"note failed":   noteFailedMsg{gen: old, text: "from the first run", err: errClosed},
		"report":        reportMsg{gen: old, markdown: "# old", rendered: "old report", width: 80},
		"saved":         savedMsg{gen: old, path: "/tmp/old.md"},
		"preview":       previewMsg{gen: old, plan: p, err: errors.New("old preview")},
	}
	before := ansi.Strip(m.View())
	for name, msg := range tests {
		t.Run(name, func(t *testing.T) {
			if _, ok := msg.(scoped); !ok {
				t.Fatalf("%T is not scoped", msg)
			}
			got, cmd := step(t, m, msg)
			if cmd != nil {
				t.Errorf("a stale %T scheduled work", msg)
			}
			if v := ansi.Strip(got.View()); v != before {
				t.Errorf("a stale %T changed the screen:\n%s\nwas:\n%s", msg, v, before)
			}
			if got.ended || got.console.ended || got.console.noting || got.banner != "" ||
				got.console.snap.Phase != engine.Baseline || got.report.markdown != "" || got.console.saved != "" {
				t.Errorf("a stale %T changed the model", msg)
			}
			if pv := got.picker.previews[p]; pv.err != nil {
				t.Errorf("a stale %T reached the picker", msg)
			}
		})
	}
}

// TestStaleTickOfCurrentRunIsDropped: a tick of the current generation
// whose refresh loop was replaced is stale too.
func TestStaleTickOfCurrentRunIsDropped(t *testing.T) {
	m, _ := secondRun(t)
	if _, cmd := step(t, m, tickMsg{gen: m.gen, tag: m.tickTag + 1}); cmd != nil {
		t.Error("a tick of another refresh loop scheduled work")
	}
	if _, cmd := step(t, m, tickMsg{gen: m.gen, tag: m.tickTag}); cmd == nil {
		t.Error("the current tick scheduled nothing")
	}
}

// TestCurrentMessagesAreApplied is the other half of the test above: the
// same messages, of the current generation, are not dropped.
func TestCurrentMessagesAreApplied(t *testing.T) {
	m, _ := secondRun(t)
	p := latencyPlan()
	got, _ := step(t, m, snapshotMsg{gen: m.gen, snap: abortedSnap(p)})
	if got.console.snap.Phase != engine.Aborted {
		t.Error("a current snapshot was dropped")
	}
	got, _ = step(t, m, savedMsg{gen: m.gen, path: "/tmp/new.md"})
	if got.console.saved != "/tmp/new.md" {
		t.Error("a current savedMsg was dropped")
	}
	got, _ = step(t, m, runDoneMsg{gen: m.gen})
	if !got.ended {
		t.Error("the current run's end was dropped")
	}
	if _, cmd := step(t, m, eventMsg{gen: m.gen, rec: engine.Record{Seq: 3}}); cmd == nil {
		t.Error("a current event did not re-arm the wait")
	}
}

// TestScreenKeysAreRequests: a screen's key is handled by the screen,
// which sends a request; the root does not act on the key itself (the
// screen on show is the same after it), only on the request.
func TestScreenKeysAreRequests(t *testing.T) {
	onConsole := func(t *testing.T) Model {
		m, _ := consoleAt(t, activeSnap(latencyPlan()), 80, 24, t0.Add(75*time.Second))
		return m
	}
	ended := func(t *testing.T) Model {
		m, _ := abortedModel(t, 80, 24)
		return m
	}
	onReport := func(t *testing.T) Model {
		m := ended(t)
		m, _ = step(t, m, openReportMsg{origin{m.gen, screenConsole}})
		return m
	}
	onPicker := func(t *testing.T) Model { return New(testConfig(nil, 80, 24, t0)) }
	tests := map[string]struct {
		model func(*testing.T) Model
		key   string
		want  tea.Msg // compared by type
		then  screen  // the screen on show once the request is delivered
	}{
		"console r":    {model: onConsole, key: "r", want: openReportMsg{}, then: screenReport},
		"console s":    {model: ended, key: "s", want: saveReportMsg{}, then: screenConsole},
		"report esc":   {model: onReport, key: "esc", want: backMsg{}, then: screenConsole},
		"report r":     {model: onReport, key: "r", want: backMsg{}, then: screenConsole},
		"report s":     {model: onReport, key: "s", want: saveReportMsg{}, then: screenReport},
		"picker enter": {model: onPicker, key: "enter", want: startRunMsg{}, then: screenPicker},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			m := tc.model(t)
			before := m.screen
			m, cmd := step(t, m, keyMsg(tc.key))
			if m.screen != before {
				t.Fatalf("the root switched screens on the key itself (%d → %d)", before, m.screen)
			}
			if cmd == nil {
				t.Fatalf("%s returned no command; want one that sends %T", tc.key, tc.want)
			}
			msg := cmd()
			if reflect.TypeOf(msg) != reflect.TypeOf(tc.want) {
				t.Fatalf("%s sent %T (%v); want %T", tc.key, msg, msg, tc.want)
			}
			m, _ = step(t, m, msg)
			if m.screen != tc.then {
				t.Errorf("after %T the screen is %d, want %d", msg, m.screen, tc.then)
			}
		})
	}
}

// TestScreensHandleTheirOwnKeys sends keys to the screens alone, without
// the root: each answers with its request.
func TestScreensHandleTheirOwnKeys(t *testing.T) {
	m, _ := abortedModel(t, 80, 24)
	if _, cmd := m.console.Update(keyMsg("r")); cmd == nil || reflect.TypeOf(cmd()) != reflect.TypeFor[openReportMsg]() {
		t.Error("the console does not answer r with openReportMsg")
	}
	if _, cmd := m.console.Update(keyMsg("s")); cmd == nil || reflect.TypeOf(cmd()) != reflect.TypeFor[saveReportMsg]() {
		t.Error("the console does not answer s with saveReportMsg")
	}
	for _, k := range []string{"esc", "r"} {
		if _, cmd := m.report.Update(keyMsg(k)); cmd == nil || reflect.TypeOf(cmd()) != reflect.TypeFor[backMsg]() {
			t.Errorf("the report does not answer %s with backMsg", k)
		}
	}
	if _, cmd := m.report.Update(keyMsg("s")); cmd == nil || reflect.TypeOf(cmd()) != reflect.TypeFor[saveReportMsg]() {
		t.Error("the report does not answer s with saveReportMsg")
	}
}

// TestRequestFromHiddenScreenIsDropped: a request whose screen is no
// longer on show (a second key reached the screen before the first
// request reached the root) is stale.
func TestRequestFromHiddenScreenIsDropped(t *testing.T) {
	m, _ := abortedModel(t, 80, 24)
	open := openReportMsg{origin{m.gen, screenConsole}}
	m, _ = step(t, m, open)
	if m.screen != screenReport {
		t.Fatal("openReportMsg did not open the report")
	}
	if _, cmd := step(t, m, open); cmd != nil {
		t.Error("a second openReportMsg from the console, now hidden, loaded the report again")
	}
	m, _ = step(t, m, backMsg{origin{m.gen, screenReport}})
	if m.screen != screenConsole {
		t.Fatal("backMsg did not go back to the console")
	}
	if got, _ := step(t, m, backMsg{origin{m.gen, screenReport}}); got.screen != screenConsole {
		t.Errorf("a backMsg from the report, now hidden, moved to screen %d", got.screen)
	}
}

// TestRootKnowsNoScreensKeys reads app.go: the root model may use its own
// (global) keys, never a screen's keymap, and it is the only tea.Model.
func TestRootKnowsNoScreensKeys(t *testing.T) {
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.SelectorExpr:
				// m.keys is the root's; m.console.keys is not.
				if inner, ok := n.X.(*ast.SelectorExpr); ok && name == "app.go" && n.Sel.Name == "keys" {
					t.Errorf("%s: the root uses the keys of %s", fset.Position(n.Pos()), inner.Sel.Name)
				}
			case *ast.FuncDecl:
				if n.Recv != nil && n.Name.Name == "Update" && n.Type.Results != nil && name != "app.go" {
					if sel, ok := n.Type.Results.List[0].Type.(*ast.SelectorExpr); ok && sel.Sel.Name == "Model" {
						t.Errorf("%s: a tea.Model outside app.go", fset.Position(n.Pos()))
					}
				}
			}
			return true
		})
	}
}

// settledSnap is abortedSnap with every fault rolled back: nothing is
// left to do by hand.
func settledSnap(p *scenarios.Plan) engine.Snapshot {
	s := abortedSnap(p)
	s.Faults[1].State = engine.FaultRolledBack
	s.Faults[1].Manual, s.Faults[1].Err = "", ""
	s.Faults[1].Verification = &providers.Verification{Clean: true}
	s.Outcome = &engine.Outcome{Verdict: engine.VerdictAborted, Reason: "abort key (ctrl+x)"}
	// The journal says the same: f2 rolled back, the run aborted.
	s.Timeline = append([]engine.Record(nil), s.Timeline...)
	for i, r := range s.Timeline {
		switch {
		case r.Type == engine.RecFault && r.Fault.Fault.ID == "f2" && r.Fault.State == engine.FaultRollbackFailed:
			f2 := s.Faults[1]
			s.Timeline[i].Fault = &f2
		case r.Type == engine.RecVerdict:
			s.Timeline[i].Outcome = s.Outcome
		}
	}
	return s
}

// endedModel is a console whose run ended in state s.
func endedModel(t *testing.T, cfg Config, s engine.Snapshot) Model {
	t.Helper()
	run := newFakeRun(t, s)
	m := New(cfg)
	m, _ = step(t, m, startedMsg{plan: s.Plan, run: run})
	m, _ = step(t, m, snapshotMsg{gen: m.gen, snap: s})
	run.finish()
	m, _ = step(t, m, runDoneMsg{gen: m.gen})
	return m
}

// TestBackToPickerOnlyWhenSettled: esc leaves the console for the picker
// only once the run has ended with nothing left to roll back; the picker
// then resolves targets anew, in a new generation.
func TestBackToPickerOnlyWhenSettled(t *testing.T) {
	cfg := testConfig(nil, 80, 24, t0.Add(90*time.Second))
	running, _ := consoleAt(t, activeSnap(latencyPlan()), 80, 24, t0.Add(75*time.Second))
	failed := endedModel(t, cfg, abortedSnap(latencyPlan()))
	for name, m := range map[string]Model{"running": running, "rollback failed": failed} {
		if got, cmd := step(t, m, keyMsg("esc")); cmd != nil || got.screen != screenConsole {
			t.Errorf("%s: esc left the console", name)
		}
		if strings.Contains(helpText(m), "scenarios") || strings.Contains(ansi.Strip(m.View()), "esc: scenarios") {
			t.Errorf("%s: the console offers esc", name)
		}
	}

	m := endedModel(t, cfg, settledSnap(latencyPlan()))
	if !strings.Contains(helpText(m), "esc scenarios") || !strings.Contains(ansi.Strip(m.View()), "esc: scenarios") {
		t.Errorf("a settled run does not offer esc:\n%s", ansi.Strip(m.View()))
	}
	old := m.gen
	m, cmd := step(t, m, keyMsg("esc"))
	m, cmd = through[backMsg](t, m, cmd)
	if m.screen != screenPicker || m.gen == old || m.run != nil {
		t.Fatalf("after esc: screen %d, generation %d (was %d); want the picker in a new generation", m.screen, m.gen, old)
	}
	if cmd == nil {
		t.Fatal("the picker did not resolve the targets again")
	}
	pv, ok := cmd().(previewMsg)
	if !ok || pv.gen != m.gen {
		t.Fatalf("the picker's command sent %T of generation %d; want a previewMsg of %d", pv, pv.gen, m.gen)
	}
	m, _ = step(t, m, pv)
	if got := m.picker.previews[pv.plan]; got.loading || len(got.previews) == 0 {
		t.Errorf("the new preview was not applied: %+v", got)
	}
	if !m.picker.keys.Start.Enabled() {
		t.Error("the picker cannot start a run after coming back")
	}
}

// TestStaleAfterBackToPicker: once esc went back to the picker, messages
// of the run before (a snapshot, its end, a failed note, …) and the
// picker's own earlier preview are dropped.
func TestStaleAfterBackToPicker(t *testing.T) {
	cfg := testConfig(nil, 80, 24, t0.Add(90*time.Second))
	m := New(cfg)
	earlier, ok := m.Init()().(previewMsg) // still under way when the run starts
	if !ok {
		t.Fatal("Init did not resolve the first plan's targets")
	}
	earlier.err = errors.New("resolved before the run")
	p := latencyPlan()
	run := newFakeRun(t, settledSnap(p))
	m, _ = step(t, m, startedMsg{plan: p, run: run})
	runGen := m.gen
	m, _ = step(t, m, snapshotMsg{gen: runGen, snap: settledSnap(p)})
	m, _ = step(t, m, runDoneMsg{gen: runGen})
	m, cmd := step(t, m, keyMsg("esc"))
	m, _ = through[backMsg](t, m, cmd)
	if m.screen != screenPicker {
		t.Fatal("esc did not go back to the picker")
	}
	before := ansi.Strip(m.View())
	tests := map[string]tea.Msg{
		"earlier preview": earlier,
		"snapshot":        snapshotMsg{gen: runGen, snap: activeSnap(p)},
		"event":           eventMsg{gen: runGen, rec: engine.Record{Seq: 99}},
		"tick":            tickMsg{gen: runGen, tag: m.tickTag},
		"run done":        runDoneMsg{gen: runGen},
		"injected":        injectedMsg{gen: runGen, faultID: "f1"},
		"ladder done":     ladderDoneMsg{gen: runGen, text: "held"},
		"note failed":     noteFailedMsg{gen: runGen, text: "late", err: errClosed},
		"report":          reportMsg{gen: runGen, markdown: "# old", rendered: "old", width: 80},
		"saved":           savedMsg{gen: runGen, path: "/tmp/old.md"},
		"save report":     saveReportMsg{gen: runGen},
		"open report":     openReportMsg{origin{runGen, screenConsole}},
		"back":            backMsg{origin{runGen, screenConsole}},
	}
	for name, msg := range tests {
		t.Run(name, func(t *testing.T) {
			got, cmd := step(t, m, msg)
			if cmd != nil {
				t.Errorf("a stale %T scheduled work", msg)
			}
			if got.screen != screenPicker || got.gen != m.gen || got.banner != "" {
				t.Errorf("a stale %T changed the model: screen %d, generation %d, banner %q", msg, got.screen, got.gen, got.banner)
			}
			if pv := got.picker.previews[earlier.plan]; !pv.loading {
				t.Errorf("a stale %T reached the picker's preview: %+v", msg, pv)
			}
			if v := ansi.Strip(got.View()); v != before {
				t.Errorf("a stale %T changed the screen:\n%s", msg, v)
			}
		})
	}
}

// TestFlowSecondRunAfterBack drives two runs in one program: the first
// aborted, esc back to the picker, the second started and watched.
func TestFlowSecondRunAfterBack(t *testing.T) {
	first := newFakeRun(t, faultPhaseSnap(latencyPlan()))
	first.finishOnAbort = true
	cpu := baselineSnap(latencyPlan())
	cpu.Plan = cpuPlan()
	cpu.Faults = []engine.FaultStatus{{Fault: cpu.Plan.Faults[0]}}
	second := newFakeRun(t, cpu)
	second.finishOnAbort = true
	runs := make(chan *fakeRun, 2)
	runs <- first
	runs <- second
	cfg := testConfig(nil, 100, 30, t0.Add(40*time.Second))
	cfg.Start = func(context.Context, *scenarios.Plan) (Run, error) { return <-runs, nil }
	tm := startConsole(t, cfg)

	tm.Type("X")
	recv(t, first.abortCh, "Abort")
	teatest.WaitFor(t, tm.Output(), contains("why? (enter to skip)"), teatest.WithDuration(waitLong))
	tm.Send(keyMsg("esc")) // no reason
	teatest.WaitFor(t, tm.Output(), contains("esc: scenarios"), teatest.WithDuration(waitLong))
	tm.Send(keyMsg("esc"))
	teatest.WaitFor(t, tm.Output(), contains("pick a scenario"), teatest.WithDuration(waitLong))
	tm.Type("j") // the CPU plan
	tm.Send(keyMsg("enter"))
	teatest.WaitFor(t, tm.Output(), contains("CPU spike │ BASELINE"), teatest.WithDuration(waitLong))
	tm.Send(keyMsg("ctrl+c"))
	recv(t, second.abortCh, "Abort")
	fm := finalModel(t, tm)
	if fm.run != Run(second) || fm.console.plan.Title != "CPU spike" {
		t.Errorf("the final model watches %q, want the second run", fm.console.plan.Title)
	}
	if _, aborts, _ := first.calls(); len(aborts) != 1 {
		t.Errorf("the first run was aborted %d times, want once", len(aborts))
	}
}

// recoveringSnap is activeSnap after an abort's rollback: every fault
// rolled back, the run watching the system recover.
func recoveringSnap(p *scenarios.Plan) engine.Snapshot {
	s := activeSnap(p)
	s.Phase = engine.Recovering
	s.PhaseStarted = t0.Add(82 * time.Second)
	s.PhaseEnds = t0.Add(142 * time.Second)
	s.Samples = samples(84, false)
	s.Faults[0].State = engine.FaultRolledBack
	s.Holding = true
	s.Timeline = append(s.Timeline,
		engine.Record{Seq: 8, At: t0.Add(80 * time.Second), Type: engine.RecAbort, Reason: "abort key (ctrl+x)"},
		phaseRec(9, t0.Add(80*time.Second), "rolling back"),
		phaseRec(10, t0.Add(82*time.Second), "recovering"))
	return s
}

// TestAbortWatchesRecoveryLeavingDoesNot: the abort keys let the run
// watch the system recover after the rollback (Run.Abort), and the
// console says so once the rollback is over instead of "rolling back";
// leaving (q, ctrl+c) ends the run as soon as the faults are rolled back
// (Run.AbortNow), also during that watch.
func TestAbortWatchesRecoveryLeavingDoesNot(t *testing.T) {
	p := latencyPlan()
	m, run := consoleAt(t, activeSnap(p), 100, 30, t0.Add(84*time.Second))
	m, cmd := step(t, m, keyMsg("ctrl+x"))
	runCmd(cmd)
	if _, aborts, _ := run.calls(); len(aborts) != 1 || len(run.abortedNow()) != 0 {
		t.Fatalf("ctrl+x: aborts %v, of them AbortNow %v; want one Abort", aborts, run.abortedNow())
	}
	m, cmd = step(t, m, snapshotMsg{gen: m.gen, snap: recoveringSnap(p)})
	m, _ = through[bannerMsg](t, m, cmd)
	v := ansi.Strip(m.View())
	if strings.Contains(v, "rolling back every fault") || !strings.Contains(v, "watching the recovery after the abort · 0:58 left · q ends it") ||
		!strings.Contains(v, "Rollback finished") {
		t.Errorf("after the rollback, the console does not say it watches the recovery:\n%s", v)
	}
	if _, cmd := step(t, m, snapshotMsg{gen: m.gen, snap: recoveringSnap(p)}); cmd != nil {
		t.Error("the console said twice that it watches the recovery")
	}
	// The reason prompt is still open: q is text there. esc skips it.
	if got, _ := step(t, m, keyMsg("q")); got.quitting || got.console.reason.Value() != "q" {
		t.Errorf("q in the reason prompt was not text: quitting %v, reason %q", got.quitting, got.console.reason.Value())
	}
	m, _ = step(t, m, keyMsg("esc"))
	_, cmd = step(t, m, keyMsg("q"))
	runCmd(cmd)
	if now := run.abortedNow(); len(now) != 1 || now[0] != "quit" {
		t.Errorf("q during the watch: AbortNow %v, want [quit]", now)
	}
}

// Keys typed faster than the terminal is read arrive as one message of
// several runes (tmux send-keys, SSH, a held key); each is a key of its
// own. Before, "jj" matched no binding and the picker did not move.
func TestBurstOfKeysIsEachKey(t *testing.T) {
	one := New(testConfig(nil, 120, 40, t0))
	one, _ = step(t, one, keyMsg("j"))
	one, _ = step(t, one, keyMsg("j"))
	burst := New(testConfig(nil, 120, 40, t0))
	burst, _ = step(t, burst, keyMsg("jj"))
	if got, want := burst.picker.selected().Title, one.picker.selected().Title; got != want || want == latencyPlan().Title {
		t.Errorf(`after "jj" the picker is on %q; after j, j on %q (and not the first plan)`, got, want)
	}
	// A burst into the filter is typed, not run as keys.
	f := New(testConfig(nil, 120, 40, t0))
	f, _ = step(t, f, keyMsg("/"))
	f, _ = step(t, f, keyMsg("cpu"))
	if n := len(f.picker.visible); n != 1 || f.picker.selected().Title != cpuPlan().Title {
		t.Errorf(`filter "cpu" typed as a burst shows %d plan(s), selected %v`, n, f.picker.selected())
	}
	// A bracketed paste stays whole: one message, as the terminal sent it.
	p := New(testConfig(nil, 120, 40, t0))
	p, _ = step(t, p, keyMsg("/"))
	p, _ = step(t, p, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("cpu"), Paste: true})
	if n := len(p.picker.visible); n != 1 {
		t.Errorf(`a pasted "cpu" in the filter shows %d plan(s)`, n)
	}
}
