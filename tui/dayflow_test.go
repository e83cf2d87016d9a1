package tui

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/gameday-tui/gameday/engine"
)

// Flow tests of the day screen: the whole program through teatest, over
// a fakeDay (a real engine.DayJournal in memory) and fake runs.

var space = tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}

// startDay starts a program on fd's day at w×h and waits for want.
func startDay(t *testing.T, fd *fakeDay, w, h int, want string) *teatest.TestModel {
	t.Helper()
	tm := teatest.NewTestModel(t, New(dayConfig(fd, w, h, t0.Add(3*time.Hour))), teatest.WithInitialTermSize(w, h))
	t.Cleanup(func() { _ = tm.Quit() })
	teatest.WaitFor(t, tm.Output(), contains(want), teatest.WithDuration(waitLong))
	return tm
}

// tickAll ticks every item of fd's checklist, as if done before.
func tickAll(t *testing.T, fd *fakeDay) {
	t.Helper()
	for i := range fd.Status().Checks {
		if err := fd.Tick(i); err != nil {
			t.Fatal(err)
		}
	}
}

// noStart fails if Start was called.
func noDayStart(t *testing.T, fd *fakeDay, when string) {
	t.Helper()
	select {
	case i := <-fd.startCh:
		t.Fatalf("%s: experiment %d was started", when, i+1)
	default:
	}
}

// TestDayFlowChecklistFirst: no experiment starts before every item of
// the checklist is ticked — enter on the next experiment says so on the
// status line and starts nothing; space ticks the item under the
// cursor, journaled at once by the day's facilitator, and moves on to
// the next; then enter starts the first experiment on the console.
func TestDayFlowChecklistFirst(t *testing.T) {
	fd := newFakeDay(t)
	run := newFakeRun(t, baselineSnap(latencyPlan()))
	run.finishOnAbort = true
	fd.runs <- run
	tm := startDay(t, fd, 100, 30, "Tick the checklist first: 4 of 4 items left")

	tm.Type("jjjj") // past the four items, to the first experiment
	tm.Send(keyMsg("enter"))
	teatest.WaitFor(t, tm.Output(), contains("Tick the checklist first: 4 of 4 items are not ticked (item 1 is the first)."), teatest.WithDuration(waitLong))
	tm.Type("s") // skipping is not starting, but nothing has started either
	tm.Send(keyMsg("esc"))
	noDayStart(t, fd, "enter with the checklist not ticked")

	tm.Type("kkkk")
	for range 3 {
		tm.Send(space)
	}
	teatest.WaitFor(t, tm.Output(), contains("3 of 4 ticked"), teatest.WithDuration(waitLong))
	tm.Send(keyMsg("enter")) // the cursor moved on to the last item: enter ticks too
	teatest.WaitFor(t, tm.Output(), contains("Experiment 1 of 3: Latency injection — enter starts it"), teatest.WithDuration(waitLong))
	st := fd.Status()
	for i, c := range st.Checks {
		if !c.Done || c.By != "Sato" || c.At.IsZero() {
			t.Errorf("checklist item %d in the day's index: %+v, want ticked by Sato", i+1, c)
		}
	}
	noDayStart(t, fd, "ticking the checklist")

	tm.Send(keyMsg("enter"))
	if got := recv(t, fd.startCh, "Start"); got != 0 {
		t.Fatalf("Start(%d), want the first experiment", got)
	}
	teatest.WaitFor(t, tm.Output(), contains("BASELINE"), teatest.WithDuration(waitLong))
	tm.Send(keyMsg("ctrl+c"))
	fm := finalModel(t, tm)
	if fm.run == nil || fm.screen != screenConsole {
		t.Errorf("the final model is on screen %d, want the console of the run", fm.screen)
	}
}

// TestDayFlowRunBackNoteSkipEnd walks a day: the first experiment runs on
// the console and esc comes back to the day screen once it has ended,
// which shows its verdict and what comes next; a note between
// experiments reaches the day's index; the second is skipped (asked
// first); the day is ended (asked first, one experiment left) and its
// report is on show with r, and esc returns to the day.
func TestDayFlowRunBackNoteSkipEnd(t *testing.T) {
	fd := newFakeDay(t)
	tickAll(t, fd)
	run := newFakeRun(t, heldSnap(latencyPlan()))
	fd.runs <- run
	tm := startDay(t, fd, 100, 30, "Experiment 1 of 3: Latency injection — enter starts it")

	tm.Send(keyMsg("enter"))
	recv(t, fd.startCh, "Start")
	teatest.WaitFor(t, tm.Output(), contains("Timeline"), teatest.WithDuration(waitLong))
	tm.Send(keyMsg("esc")) // the run goes on: esc does not leave it
	run.finish()
	teatest.WaitFor(t, tm.Output(), contains("esc: the day"), teatest.WithDuration(waitLong))
	tm.Send(keyMsg("esc"))
	out := teatest.WaitFor
	out(t, tm.Output(), func(b []byte) bool {
		s := ansi.Strip(string(b))
		return strings.Contains(s, "Experiment 2 of 3: CPU spike — enter starts it") && strings.Contains(s, "✔ HELD")
	}, teatest.WithDuration(waitLong))
	if st := fd.Status(); st.Experiments[0].State != engine.ExperimentEnded {
		t.Errorf("experiment 1 in the day's index: %+v, want ended", st.Experiments[0])
	}

	tm.Type("n")
	teatest.WaitFor(t, tm.Output(), contains("note ›"), teatest.WithDuration(waitLong))
	tm.Type("-@kato 2026-12-20 page the database team earlier")
	teatest.WaitFor(t, tm.Output(), contains("note (improvement) ›"), teatest.WithDuration(waitLong))
	tm.Send(keyMsg("enter"))
	teatest.WaitFor(t, tm.Output(), contains("Note saved to the day's index."), teatest.WithDuration(waitLong))
	notes := fd.Status().Notes
	if len(notes) != 1 || notes[0].Note != (engine.Note{Kind: engine.Improvement, Text: "@kato 2026-12-20 page the database team earlier"}) || notes[0].After != 0 {
		t.Fatalf("the day's notes %+v, want the improvement after experiment 1", notes)
	}

	tm.Type("s")
	teatest.WaitFor(t, tm.Output(), contains("Skip experiment 2, CPU spike?"), teatest.WithDuration(waitLong))
	tm.Type("y")
	// The cursor follows the day to experiment 3: its plan card is on show.
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return contains("Experiment 3 of 3: データベース障害")(b) && contains("Experiment 3 of 3 · ○ next")(b)
	}, teatest.WithDuration(waitLong))
	if e := fd.Status().Experiments[1]; e.State != engine.ExperimentSkipped || e.Reason != "Sato" {
		t.Errorf("experiment 2 in the day's index: %+v, want skipped by Sato", e)
	}

	tm.Type("e")
	teatest.WaitFor(t, tm.Output(), contains("End the day now? 1 experiment has not run"), teatest.WithDuration(waitLong))
	tm.Type("y")
	teatest.WaitFor(t, tm.Output(), contains("The day is over; its report is saved to /tmp/gameday/"), teatest.WithDuration(waitLong))
	if _, ends := fd.calls(); !slices.Equal(ends, []engine.DayStop{engine.DayStopInterrupted}) {
		t.Errorf("End(%v), want the day ended early once", ends)
	}
	tm.Type("r")
	teatest.WaitFor(t, tm.Output(), contains("Game day: Sandbox game day"), teatest.WithDuration(waitLong))
	tm.Send(keyMsg("esc"))
	teatest.WaitFor(t, tm.Output(), contains("The day is over — r: its report · q: quit"), teatest.WithDuration(waitLong))
	tm.Type("n") // the day is over: it takes no more notes, and says so
	teatest.WaitFor(t, tm.Output(), contains("its index takes no more notes"), teatest.WithDuration(waitLong))
	tm.Type("q")
	fm := finalModel(t, tm)
	if fm.screen != screenDay {
		t.Errorf("the final model is on screen %d, want the day", fm.screen)
	}
	if starts, _ := fd.calls(); !slices.Equal(starts, []int{0}) {
		t.Errorf("Start(%v), want only the first experiment", starts)
	}
}

// TestDayFlowRollbackStops: after an experiment whose rollback was not
// confirmed, esc still comes back to the day (which keeps the manual
// command on show), no experiment starts — enter and s say why — and e
// ends the day at once, stopped by the rollback.
func TestDayFlowRollbackStops(t *testing.T) {
	fd := newFakeDay(t)
	tickAll(t, fd)
	run := newFakeRun(t, abortedSnap(latencyPlan()))
	fd.runs <- run
	fd.runs <- newFakeRun(t, baselineSnap(latencyPlan())) // never to be started
	tm := startDay(t, fd, 100, 30, "enter starts it")
	tm.Send(keyMsg("enter"))
	recv(t, fd.startCh, "Start")
	run.finish()
	teatest.WaitFor(t, tm.Output(), contains("esc: the day"), teatest.WithDuration(waitLong))
	tm.Send(keyMsg("esc"))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		s := ansi.Strip(string(b))
		return strings.Contains(s, "The day stops: the rollback of experiment 1") &&
			strings.Contains(s, "Finish it by hand: gameday sandbox restart replica-1 --addr 127.0.0.1:7070")
	}, teatest.WithDuration(waitLong))

	tm.Send(keyMsg("enter"))
	teatest.WaitFor(t, tm.Output(), contains("No experiment starts: the rollback of experiment 1 was not confirmed"), teatest.WithDuration(waitLong))
	noDayStart(t, fd, "after a rollback not confirmed")
	// The same day on a model of its own: s (skip) answers the same, and
	// neither key starts anything.
	m := dayModel(t, fd, 100, 30, engine.English)
	m, _ = step(t, m, keyMsg("j"))
	for _, k := range []string{"s", "enter", " "} {
		_, cmd := step(t, m, keyMsg(k))
		if cmd == nil {
			t.Fatalf("%q answered nothing", k)
		}
		if b, ok := cmd().(bannerMsg); !ok || !strings.HasPrefix(string(b), "No experiment starts: the rollback of experiment 1 was not confirmed") {
			t.Errorf("%q answered %v", k, b)
		}
	}
	if m.day.keys.Start.Enabled() || m.day.keys.Skip.Enabled() {
		t.Error("start or skip is offered after a rollback not confirmed")
	}

	tm.Type("e") // nothing can run any more: no question
	teatest.WaitFor(t, tm.Output(), contains("The day is over: it stopped after experiment 1, whose rollback was not confirmed."), teatest.WithDuration(waitLong))
	if _, ends := fd.calls(); !slices.Equal(ends, []engine.DayStop{engine.DayStopRollback}) {
		t.Errorf("End(%v), want the day stopped by the rollback", ends)
	}
	tm.Type("q")
	finalModel(t, tm)
}

// TestDayFlowStartRefused: an experiment refused at start says why, the
// day records it, and the next one is next.
func TestDayFlowStartRefused(t *testing.T) {
	fd := newFakeDay(t)
	tickAll(t, fd)
	fd.startErr = errors.New("blast radius refused: f1 latency would hit 4 targets, beyond the plan's max_count of 2")
	tm := startDay(t, fd, 100, 30, "enter starts it")
	tm.Send(keyMsg("enter"))
	recv(t, fd.startCh, "Start")
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		s := ansi.Strip(string(b))
		return strings.Contains(s, `✘ start "Latency injection": blast radius refused`) &&
			strings.Contains(s, "Experiment 2 of 3: CPU spike — enter starts it")
	}, teatest.WithDuration(waitLong))
	if e := fd.Status().Experiments[0]; e.State != engine.ExperimentRefused || !strings.HasPrefix(e.Reason, "blast radius refused") {
		t.Errorf("experiment 1 in the day's index: %+v, want refused with the reason", e)
	}
	tm.Type("q")
	finalModel(t, tm)
}

// TestDayFlowProductionGuard: an experiment against production asks for
// its target's name before it starts, unless the command line confirmed
// it (--confirm).
func TestDayFlowProductionGuard(t *testing.T) {
	for _, confirmed := range []bool{false, true} {
		fd := newFakeDay(t, productionPlan(), latencyPlan())
		fd.confirmed[0] = confirmed
		tickAll(t, fd)
		run := newFakeRun(t, baselineSnap(productionPlan()))
		run.finishOnAbort = true
		fd.runs <- run
		want := "starting asks you to type payments-prod"
		if confirmed {
			want = "⚠ production: confirmed by --confirm payments-prod"
		}
		tm := startDay(t, fd, 160, 48, want)
		tm.Send(keyMsg("enter"))
		if !confirmed {
			teatest.WaitFor(t, tm.Output(), contains("type payments-prod to start against production"), teatest.WithDuration(waitLong))
			tm.Type("payments")
			tm.Send(keyMsg("enter"))
			teatest.WaitFor(t, tm.Output(), contains(`"payments" is not payments-prod`), teatest.WithDuration(waitLong))
			noDayStart(t, fd, "a wrong name")
			tm.Type("-prod")
			tm.Send(keyMsg("enter"))
		}
		recv(t, fd.startCh, "Start")
		teatest.WaitFor(t, tm.Output(), contains("BASELINE"), teatest.WithDuration(waitLong))
		tm.Send(keyMsg("ctrl+c"))
		finalModel(t, tm)
	}
}

// TestDayKeysAreRequests: the day screen's enter and r are requests the
// root acts on; enter on an item ticks it in a command.
func TestDayKeysAreRequests(t *testing.T) {
	fd := newFakeDay(t)
	tickAll(t, fd)
	m := dayModel(t, fd, 80, 24, engine.English)
	for k, want := range map[string]tea.Msg{"enter": startExperimentMsg{}, "r": openDayReportMsg{}} {
		_, cmd := step(t, m, keyMsg(k))
		if cmd == nil {
			t.Fatalf("%s: no command", k)
		}
		if msg := cmd(); reflect.TypeOf(msg) != reflect.TypeOf(want) {
			t.Errorf("%s sent %T, want %T", k, msg, want)
		}
	}
	m2, cmd := step(t, m, openDayReportMsg{origin{m.gen, screenDay}})
	if m2.screen != screenReport || m2.report.back != screenDay || cmd == nil {
		t.Fatalf("openDayReportMsg: screen %d, back to %d", m2.screen, m2.report.back)
	}
	m2, _ = step(t, m2, cmd())
	if v := ansi.Strip(m2.View()); !strings.Contains(v, "IN PROGRESS") || !strings.Contains(v, "Report — Sandbox game day") {
		t.Errorf("the day report mid-day:\n%s", v)
	}
	m2, cmd = step(t, m2, keyMsg("esc"))
	if m2, _ = through[backMsg](t, m2, cmd); m2.screen != screenDay {
		t.Errorf("esc on the day report went to screen %d, want the day", m2.screen)
	}
}

// TestDayStatusRules: when the day stops, and why it ends.
func TestDayStatusRules(t *testing.T) {
	held := &engine.Outcome{Verdict: engine.VerdictHeld}
	for name, tc := range map[string]struct {
		results []DayResult
		state   []engine.ExperimentState
		next    int
		stopped int
		reason  engine.DayStop
	}{
		"before the first":      {state: []engine.ExperimentState{"", ""}, stopped: -1, reason: engine.DayStopInterrupted},
		"all had their turn":    {results: []DayResult{{Outcome: held}, {}}, state: []engine.ExperimentState{engine.ExperimentEnded, engine.ExperimentRefused}, next: 2, stopped: -1, reason: ""},
		"a violation goes on":   {results: []DayResult{{Outcome: &engine.Outcome{Verdict: engine.VerdictViolated}}}, state: []engine.ExperimentState{engine.ExperimentEnded, ""}, next: 1, stopped: -1, reason: engine.DayStopInterrupted},
		"a rollback failed":     {results: []DayResult{{Outcome: &engine.Outcome{Verdict: engine.VerdictRollbackFailed}}}, state: []engine.ExperimentState{engine.ExperimentEnded, ""}, next: 1, stopped: 0, reason: engine.DayStopRollback},
		"a fault may be active": {results: []DayResult{{Outcome: held}, {Manual: []string{"gameday recover x.jsonl"}}}, state: []engine.ExperimentState{engine.ExperimentEnded, engine.ExperimentEnded}, next: 2, stopped: 1, reason: engine.DayStopRollback},
	} {
		t.Run(name, func(t *testing.T) {
			s := DayStatus{Results: tc.results}
			s.Running, s.Next = -1, tc.next
			for _, st := range tc.state {
				s.Experiments = append(s.Experiments, engine.ExperimentStatus{State: st})
			}
			if got := s.Stopped(); got != tc.stopped {
				t.Errorf("Stopped() = %d, want %d", got, tc.stopped)
			}
			if got := s.EndReason(); got != tc.reason {
				t.Errorf("EndReason() = %q, want %q", got, tc.reason)
			}
		})
	}
}

// TestDayOlderStatusIgnored: answers arrive from concurrent commands; an
// older status never replaces a newer one.
func TestDayOlderStatusIgnored(t *testing.T) {
	fd := newFakeDay(t)
	old := fd.Status()
	tickAll(t, fd)
	m := dayModel(t, fd, 80, 24, engine.English)
	m, _ = step(t, m, dayResultMsg{gen: m.gen, status: old})
	if !m.day.status.checklistDone() {
		t.Error("an older status replaced the newer one")
	}
	// And a status of another generation is stale.
	m.gen++
	m, _ = step(t, m, dayResultMsg{gen: m.gen - 1, status: fd.Status(), text: "stale"})
	if m.banner != "" {
		t.Error("a stale day message reached the day")
	}
}
