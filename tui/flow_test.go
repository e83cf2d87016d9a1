package tui

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/gameday-tui/gameday/engine"
)

// Flow tests drive the whole program through teatest, with a fake run.

const waitLong = 10 * time.Second

func contains(s string) func([]byte) bool {
	return func(b []byte) bool { return bytes.Contains(b, []byte(s)) }
}

// startConsole starts a program over cfg, presses enter in the picker and
// waits for the console.
func startConsole(t *testing.T, cfg Config) *teatest.TestModel {
	t.Helper()
	tm := teatest.NewTestModel(t, New(cfg), teatest.WithInitialTermSize(cfg.Width, cfg.Height))
	t.Cleanup(func() { _ = tm.Quit() })
	teatest.WaitFor(t, tm.Output(), contains("pick a scenario"), teatest.WithDuration(waitLong))
	tm.Send(keyMsg("enter"))
	teatest.WaitFor(t, tm.Output(), contains("Timeline"), teatest.WithDuration(waitLong))
	return tm
}

func finalModel(t *testing.T, tm *teatest.TestModel) Model {
	t.Helper()
	fm, ok := tm.FinalModel(t, teatest.WithFinalTimeout(waitLong)).(Model)
	if !ok {
		t.Fatal("final model is not a Model")
	}
	return fm
}

func TestFlowTriggerFaultByNumberKey(t *testing.T) {
	run := newFakeRun(t, faultPhaseSnap(latencyPlan()))
	run.finishOnAbort = true
	tm := startConsole(t, testConfig(run, 80, 24, t0.Add(40*time.Second)))

	tm.Type("2")
	if got := recv(t, run.injectCh, "Inject"); got != "f2" {
		t.Fatalf("key 2 injected %q, want f2 (the second fault)", got)
	}
	teatest.WaitFor(t, tm.Output(), contains("Fault f2 requested"), teatest.WithDuration(waitLong))
	tm.Type("1")
	if got := recv(t, run.injectCh, "Inject"); got != "f1" {
		t.Fatalf("key 1 injected %q, want f1", got)
	}

	// One ctrl+c aborts (rolling back) and exits when the run is done.
	tm.Send(keyMsg("ctrl+c"))
	fm := finalModel(t, tm)
	injected, aborts, _ := run.calls()
	if !slices.Equal(injected, []string{"f2", "f1"}) {
		t.Errorf("injected %v, want [f2 f1]", injected)
	}
	if len(aborts) != 1 {
		t.Errorf("Abort called %d times, want 1", len(aborts))
	}
	if !fm.Aborted() {
		t.Error("final model does not record the abort")
	}
}

func TestFlowAbortWhileTypingNoteKeepsNote(t *testing.T) {
	run := newFakeRun(t, activeSnap(latencyPlan()))
	run.finishOnAbort = true
	tm := startConsole(t, testConfig(run, 80, 24, t0.Add(75*time.Second)))

	tm.Type("n")
	teatest.WaitFor(t, tm.Output(), contains("note ›"), teatest.WithDuration(waitLong))
	tm.Type("- p95 doubled but X") // "X" is text here, not the abort key
	teatest.WaitFor(t, tm.Output(), contains("doubled but X"), teatest.WithDuration(waitLong))
	select {
	case r := <-run.abortCh:
		t.Fatalf("typing X in a note aborted the run (%q)", r)
	default:
	}
	tm.Send(keyMsg("ctrl+x"))
	if r := recv(t, run.abortCh, "Abort"); r == "" {
		t.Error("Abort got an empty reason")
	}
	// The half-typed note is journaled as it stands, not lost.
	if got := recv(t, run.noteCh, "Note"); got != "- p95 doubled but X" {
		t.Fatalf("note saved as %q, want the text typed before the abort", got)
	}
	teatest.WaitFor(t, tm.Output(), contains("ABORTED"), teatest.WithDuration(waitLong))
	tm.Send(keyMsg("ctrl+c"))
	fm := finalModel(t, tm)
	_, aborts, notes := run.calls()
	if len(aborts) != 1 {
		t.Errorf("Abort called %d times, want 1", len(aborts))
	}
	if len(notes) != 1 {
		t.Errorf("Note called %d times, want 1: %v", len(notes), notes)
	}
	if !fm.Aborted() {
		t.Error("final model does not record the abort")
	}
}

func TestFlowSavedNoteGoesToJournal(t *testing.T) {
	run := newFakeRun(t, activeSnap(latencyPlan()))
	run.finishOnAbort = true
	tm := startConsole(t, testConfig(run, 80, 24, t0.Add(75*time.Second)))

	tm.Type("n")
	teatest.WaitFor(t, tm.Output(), contains("note ›"), teatest.WithDuration(waitLong))
	tm.Type("+ cache fallback kept errors at zero")
	teatest.WaitFor(t, tm.Output(), contains("note (success) ›"), teatest.WithDuration(waitLong))
	tm.Send(keyMsg("enter"))
	if got := recv(t, run.noteCh, "Note"); got != "+ cache fallback kept errors at zero" {
		t.Fatalf("Note(%q), want the typed text with its + prefix", got)
	}
	teatest.WaitFor(t, tm.Output(), contains("Note saved"), teatest.WithDuration(waitLong))
	tm.Send(keyMsg("ctrl+c"))
	finalModel(t, tm)
}

func TestFlowEscCancelsNote(t *testing.T) {
	run := newFakeRun(t, activeSnap(latencyPlan()))
	run.finishOnAbort = true
	tm := startConsole(t, testConfig(run, 80, 24, t0.Add(75*time.Second)))
	tm.Type("n")
	teatest.WaitFor(t, tm.Output(), contains("note ›"), teatest.WithDuration(waitLong))
	tm.Type("never mind")
	tm.Send(keyMsg("esc"))
	tm.Type("n")
	tm.Type("second")
	tm.Send(keyMsg("enter"))
	if got := recv(t, run.noteCh, "Note"); got != "second" {
		t.Fatalf("Note(%q), want only the note confirmed with enter", got)
	}
	tm.Send(keyMsg("ctrl+c"))
	finalModel(t, tm)
}

func TestFlowCtrlCTwiceExitsAtOnce(t *testing.T) {
	run := newFakeRun(t, activeSnap(latencyPlan())) // Abort never finishes
	tm := startConsole(t, testConfig(run, 80, 24, t0.Add(75*time.Second)))

	tm.Send(keyMsg("ctrl+c"))
	recv(t, run.abortCh, "Abort")
	teatest.WaitFor(t, tm.Output(), contains("press ctrl+c again"), teatest.WithDuration(waitLong))
	tm.Send(keyMsg("ctrl+c"))
	fm := finalModel(t, tm)
	select {
	case <-run.Done():
		t.Fatal("the run finished; the test needs a rollback that hangs")
	default:
	}
	if _, aborts, _ := run.calls(); len(aborts) != 1 || len(run.abortedNow()) != 1 {
		t.Errorf("Abort called %d times (AbortNow %d), want AbortNow once", len(aborts), len(run.abortedNow()))
	}
	if !fm.interrupted {
		t.Error("final model was not interrupted")
	}
}

func TestFlowCtrlCWaitsForRollback(t *testing.T) {
	run := newFakeRun(t, activeSnap(latencyPlan()))
	tm := startConsole(t, testConfig(run, 80, 24, t0.Add(75*time.Second)))

	tm.Send(keyMsg("ctrl+c"))
	recv(t, run.abortCh, "Abort")
	teatest.WaitFor(t, tm.Output(), contains("Rolling back before exit"), teatest.WithDuration(waitLong))
	// Still running while the rollback is not done: it answers keys.
	tm.Type("?")
	teatest.WaitFor(t, tm.Output(), contains("press ? or esc to close"), teatest.WithDuration(waitLong))
	run.finish()
	fm := finalModel(t, tm)
	if !fm.ended {
		t.Error("program exited before the run was done")
	}
}

func TestFlowQuitRollsBackFirst(t *testing.T) {
	run := newFakeRun(t, activeSnap(latencyPlan()))
	tm := startConsole(t, testConfig(run, 80, 24, t0.Add(75*time.Second)))
	tm.Type("q")
	if r := recv(t, run.abortCh, "Abort"); r != "quit" {
		t.Errorf("Abort(%q), want quit", r)
	}
	if now := run.abortedNow(); len(now) != 1 {
		t.Errorf("q called Abort, not AbortNow: leaving would wait for the recovery to be watched")
	}
	teatest.WaitFor(t, tm.Output(), contains("Rolling back before quitting"), teatest.WithDuration(waitLong))
	run.finish()
	fm := finalModel(t, tm)
	if !fm.ended {
		t.Error("q exited before the rollback was done")
	}
}

func TestFlowDryRunLeavesFaultKeysUnbound(t *testing.T) {
	run := newFakeRun(t, faultPhaseSnap(latencyPlan()))
	run.finishOnAbort = true
	cfg := testConfig(run, 80, 24, t0.Add(40*time.Second))
	cfg.DryRun = true
	tm := startConsole(t, cfg)
	tm.Type("1")
	tm.Type("2")
	// A note after the keys: once it is saved, the keys were handled.
	tm.Type("n")
	tm.Type("dry")
	tm.Send(keyMsg("enter"))
	recv(t, run.noteCh, "Note")
	tm.Send(keyMsg("ctrl+c"))
	fm := finalModel(t, tm)
	if injected, _, _ := run.calls(); len(injected) != 0 {
		t.Errorf("dry run injected %v", injected)
	}
	if fm.console.keys.Inject.Enabled() {
		t.Error("inject key enabled in dry run")
	}
}

func TestDryRunFaultKeyDoesNothing(t *testing.T) {
	cfg := testConfig(nil, 80, 24, t0.Add(40*time.Second))
	cfg.DryRun = true
	run := newFakeRun(t, faultPhaseSnap(latencyPlan()))
	m := New(cfg)
	m, _ = step(t, m, startedMsg{plan: run.snap.Plan, run: run})
	m, _ = step(t, m, snapshotMsg{gen: m.gen, snap: run.snap})
	// The key answers with a status line, and injects nothing.
	_, cmd := step(t, m, keyMsg("1"))
	if cmd == nil {
		t.Fatal("key 1 in dry run did not answer")
	}
	if msg, ok := cmd().(bannerMsg); !ok || !strings.Contains(string(msg), "Dry run: f1 latency is not injected") {
		t.Errorf("key 1 in dry run sent %T %q, want a status line saying it is a dry run", msg, msg)
	}
	if injected, _, _ := run.calls(); len(injected) != 0 {
		t.Errorf("dry run injected %v", injected)
	}
	if v := m.View(); bytes.Contains([]byte(v), []byte("trigger")) {
		t.Errorf("dry-run console offers to trigger faults:\n%s", v)
	}
}

// helpText is the footer's help for m.
func helpText(m Model) string {
	return m.help.ShortHelpView(m.shortHelp())
}

func TestKeysDisabledByPhaseDropOutOfHelp(t *testing.T) {
	tests := map[string]struct {
		snap engine.Snapshot
		done bool
		want []string
		not  []string
	}{
		"baseline": {
			snap: baselineSnap(latencyPlan()),
			want: []string{"note", "abort", "report"},
			not:  []string{"trigger fault", "save report"},
		},
		"fault phase": {
			snap: faultPhaseSnap(latencyPlan()),
			want: []string{"trigger fault", "note", "abort", "report"},
			not:  []string{"save report"},
		},
		"all faults active": {
			snap: func() engine.Snapshot {
				s := activeSnap(latencyPlan())
				s.Faults[1].State = engine.FaultActive
				return s
			}(),
			want: []string{"note", "abort"},
			not:  []string{"trigger fault"},
		},
		"rolling back": {
			snap: func() engine.Snapshot { s := activeSnap(latencyPlan()); s.Phase = engine.RollingBack; return s }(),
			want: []string{"note", "abort"},
			not:  []string{"trigger fault", "save report"},
		},
		// Notes go on after the run: the retro goes into the report.
		"ended": {
			snap: abortedSnap(latencyPlan()),
			done: true,
			want: []string{"n note", "report", "save report", "quit"},
			not:  []string{"trigger fault", "abort"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			m, _ := consoleAt(t, tc.snap, 160, 48, t0.Add(90*time.Second))
			if tc.done {
				m, _ = step(t, m, runDoneMsg{gen: m.gen})
			}
			h := helpText(m)
			for _, w := range tc.want {
				if !bytes.Contains([]byte(h), []byte(w)) {
					t.Errorf("help %q lacks %q", h, w)
				}
			}
			for _, w := range tc.not {
				if bytes.Contains([]byte(h), []byte(w)) {
					t.Errorf("help %q has %q", h, w)
				}
			}
		})
	}
}

func TestStaleTickIsDropped(t *testing.T) {
	m, _ := consoleAt(t, baselineSnap(latencyPlan()), 80, 24, t0)
	tag := m.tickTag
	if _, cmd := step(t, m, tickMsg{gen: m.gen, tag: tag - 1}); cmd != nil {
		t.Error("a stale tick scheduled work")
	}
	m2, cmd := step(t, m, tickMsg{gen: m.gen, tag: tag})
	if cmd == nil {
		t.Fatal("the current tick scheduled nothing")
	}
	if m2.tickTag == tag {
		t.Error("the tick tag did not advance")
	}
	if _, cmd := step(t, m2, tickMsg{gen: m.gen, tag: tag}); cmd != nil {
		t.Error("a tick delivered twice was acted on twice")
	}
}

func TestEventsAreReArmed(t *testing.T) {
	run := newFakeRun(t, baselineSnap(latencyPlan()))
	m := New(testConfig(run, 80, 24, t0))
	m, _ = step(t, m, startedMsg{plan: run.snap.Plan, run: run})
	run.events <- engine.Record{Seq: 9, Type: engine.RecPhase, Phase: "injecting"}
	_, cmd := step(t, m, eventMsg{gen: m.gen, rec: engine.Record{Seq: 8}})
	if cmd == nil {
		t.Fatal("an event did not re-arm the wait")
	}
	// The batch holds the re-armed wait; running it must deliver the next
	// record from the channel.
	found := false
	for _, c := range cmd().(tea.BatchMsg) {
		if msg, ok := c().(eventMsg); ok && msg.rec.Seq == 9 {
			found = true
		}
	}
	if !found {
		t.Error("the re-armed command did not read the next event")
	}
}

func TestAbortSavesHalfTypedNote(t *testing.T) {
	m, run := consoleAt(t, activeSnap(latencyPlan()), 80, 24, t0.Add(75*time.Second))
	m, _ = step(t, m, keyMsg("n"))
	for _, r := range "latency is up" {
		m, _ = step(t, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	m, cmd := step(t, m, keyMsg("ctrl+x"))
	if cmd == nil {
		t.Fatal("ctrl+x while typing returned no command")
	}
	runCmd(cmd)
	_, aborts, notes := run.calls()
	if len(aborts) != 1 {
		t.Errorf("Abort called %d times, want 1", len(aborts))
	}
	if len(notes) != 1 || notes[0] != "latency is up" {
		t.Errorf("notes %q, want the half-typed text journaled", notes)
	}
	if m.console.noting {
		t.Error("the note input is still open after its text was saved")
	}
}

func TestFailedNoteGoesBackToInput(t *testing.T) {
	m, run := consoleAt(t, activeSnap(latencyPlan()), 80, 24, t0.Add(75*time.Second))
	run.noteErr = errClosed
	m, _ = step(t, m, keyMsg("n"))
	for _, r := range "hello" {
		m, _ = step(t, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	m, cmd := step(t, m, keyMsg("enter"))
	msg := cmd()
	if _, ok := msg.(noteFailedMsg); !ok {
		t.Fatalf("saving returned %T, want noteFailedMsg", msg)
	}
	m, _ = step(t, m, msg)
	if !m.console.noting || m.console.note.Value() != "hello" {
		t.Errorf("after a failed save: note open=%v value=%q", m.console.noting, m.console.note.Value())
	}
	if m.bannerKind != bannerError {
		t.Error("a failed save shows no error banner")
	}
}

func TestResizeKeepsState(t *testing.T) {
	m, _ := consoleAt(t, activeSnap(latencyPlan()), 160, 48, t0.Add(75*time.Second))
	m, _ = step(t, m, keyMsg("n"))
	for _, r := range "wide" {
		m, _ = step(t, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	m, _ = step(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	if m.console.note.Value() != "wide" || !m.console.noting {
		t.Errorf("resize lost the note: %q", m.console.note.Value())
	}
	lines := bytes.Split([]byte(m.View()), []byte("\n"))
	if len(lines) != 24 {
		t.Errorf("after resize the view has %d lines, want 24", len(lines))
	}
}

// runCmd runs cmd and any batch it returns, ignoring commands that wait
// (ticks, channels) — only used on commands known not to block.
func runCmd(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	if b, ok := cmd().(tea.BatchMsg); ok {
		for _, c := range b {
			runCmd(c)
		}
	}
}

func TestOlderSnapshotIsIgnored(t *testing.T) {
	p := latencyPlan()
	m, _ := consoleAt(t, abortedSnap(p), 80, 24, t0.Add(90*time.Second))
	m, _ = step(t, m, snapshotMsg{gen: m.gen, snap: activeSnap(p)})
	if m.console.snap.Phase != engine.Aborted {
		t.Errorf("a late, older snapshot replaced the newer one: phase %v", m.console.snap.Phase)
	}
	newer := abortedSnap(p)
	newer.Samples = samples(90, false)
	m, _ = step(t, m, snapshotMsg{gen: m.gen, snap: newer})
	if len(m.console.snap.Samples) != 90 {
		t.Errorf("a newer snapshot (more samples) was dropped")
	}
}
