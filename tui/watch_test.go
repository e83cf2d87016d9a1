package tui

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/gameday-tui/gameday/engine"
)

// watchConfig is a watcher's console over run, w×h, at now.
func watchConfig(run *fakeRun, scribe bool, w, h int, now time.Time) Config {
	return Config{
		Watch:  &Watch{Run: run, Plan: run.snap.Plan, Scribe: scribe, Gone: func() string { return "the run's stream ended: the facilitator's console closed" }},
		Width:  w,
		Height: h,
		Now:    func() time.Time { return now },
	}
}

// startWatcher runs a watcher's console and waits for its first frame,
// with footer in it.
func startWatcher(t *testing.T, cfg Config, footer string) *teatest.TestModel {
	t.Helper()
	tm := teatest.NewTestModel(t, New(cfg), teatest.WithInitialTermSize(cfg.Width, cfg.Height))
	t.Cleanup(func() { _ = tm.Quit() })
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return strings.Contains(string(b), "Timeline") && strings.Contains(string(b), footer)
	}, teatest.WithDuration(waitLong))
	return tm
}

// TestWatcherKeysChangeNothing: on a watcher's console no key injects,
// aborts or notes: ctrl+x, X, the fault keys, n, s, q and ctrl+c reach
// none of the run's methods, and help does not offer them. The
// facilitator's console keeps its abort (TestFlowAbortWhileTypingNoteKeepsNote).
func TestWatcherKeysChangeNothing(t *testing.T) {
	for name, quit := range map[string]string{"ctrl+c": "ctrl+c", "q": "q"} {
		t.Run(name, func(t *testing.T) {
			run := newFakeRun(t, faultPhaseSnap(latencyPlan()))
			run.finishOnAbort = true
			tm := startWatcher(t, watchConfig(run, false, 120, 40, t0.Add(40*time.Second)), "WATCHING · read-only")
			for _, k := range []string{"ctrl+x", "X", "1", "2", "h", "W", "n", "x", "enter", "s", "esc", "ctrl+x"} {
				tm.Send(keyMsg(k))
			}
			// Keys are handled in order: once help is on show, every key
			// before it was.
			tm.Send(keyMsg("?"))
			teatest.WaitFor(t, tm.Output(), contains("follows the facilitator's run"), teatest.WithDuration(waitLong))
			tm.Send(keyMsg("esc"))
			tm.Send(keyMsg(quit))
			fm := finalModel(t, tm)
			injected, aborts, notes := run.calls()
			if len(injected)+len(aborts)+len(notes) != 0 {
				t.Errorf("a watcher's keys reached the run: injected %v, aborts %v, notes %v", injected, aborts, notes)
			}
			if fm.Aborted() {
				t.Error("the watcher's console says it aborted")
			}
			for _, k := range []struct {
				name    string
				enabled bool
			}{
				{"abort", fm.keys.Abort.Enabled()}, {"abort X", fm.keys.AbortAlt.Enabled()},
				{"inject", fm.console.keys.Inject.Enabled()}, {"note", fm.console.keys.Note.Enabled()},
				{"save", fm.console.keys.Save.Enabled()}, {"back", fm.console.keys.Back.Enabled()},
			} {
				if k.enabled {
					t.Errorf("the %s key is bound on a watcher's console", k.name)
				}
			}
		})
	}
}

// TestWatcherShowsNoAbort: a watcher's screen and its help offer neither
// the abort nor the fault keys; its footer says it is read-only.
func TestWatcherShowsNoAbort(t *testing.T) {
	run := newFakeRun(t, faultPhaseSnap(latencyPlan()))
	m := New(watchConfig(run, false, 120, 40, t0.Add(40*time.Second)))
	m, _ = step(t, m, snapshotMsg{gen: m.gen, snap: run.snap})
	view := ansi.Strip(m.View())
	for _, bad := range []string{"ABORT", "abort", "trigger fault", "to trigger now", "[1]", "n: add a note"} {
		if strings.Contains(view, bad) {
			t.Errorf("a watcher's console shows %q:\n%s", bad, view)
		}
	}
	for _, want := range []string{"Latency injection", "WATCHING · read-only", "the facilitator triggers them", "watching read-only"} {
		if !strings.Contains(view, want) {
			t.Errorf("a watcher's console lacks %q:\n%s", want, view)
		}
	}
	m, _ = step(t, m, keyMsg("?"))
	help := ansi.Strip(m.View())
	for _, bad := range []string{"ctrl+x", "ABORT", "trigger fault", "n note", "save report"} {
		if strings.Contains(help, bad) {
			t.Errorf("a watcher's help offers %q:\n%s", bad, help)
		}
	}
	// Every line fits the watcher's own terminal.
	for _, sz := range []struct{ w, h int }{{80, 24}, {160, 48}} {
		m, _ = step(t, m, keyMsg("esc"))
		m = resize(t, m, sz.w, sz.h)
		lines := strings.Split(ansi.Strip(m.View()), "\n")
		if len(lines) != sz.h {
			t.Errorf("at %d×%d the view has %d lines", sz.w, sz.h, len(lines))
		}
		for i, l := range lines {
			if ansi.StringWidth(l) > sz.w {
				t.Errorf("at %d×%d line %d is %d cells wide", sz.w, sz.h, i+1, ansi.StringWidth(l))
			}
		}
		if last := lines[len(lines)-1]; !strings.Contains(last, "WATCHING") {
			t.Errorf("at %d×%d the footer does not say read-only: %q", sz.w, sz.h, last)
		}
	}
}

func resize(t *testing.T, m Model, w, h int) Model {
	t.Helper()
	m, _ = step(t, m, teaWindowSize(w, h))
	return m
}

// TestScribeNotes: a scribe's note key works, and the note goes to the
// run (whose Note sends it to the facilitator); the abort keys still do
// nothing.
func TestScribeNotes(t *testing.T) {
	run := newFakeRun(t, activeSnap(latencyPlan()))
	tm := startWatcher(t, watchConfig(run, true, 120, 40, t0.Add(75*time.Second)), "SCRIBE · notes only")
	tm.Send(keyMsg("ctrl+x"))
	tm.Type("n")
	teatest.WaitFor(t, tm.Output(), contains("note ›"), teatest.WithDuration(waitLong))
	tm.Type("-@sato raise the latency alert")
	tm.Send(keyMsg("ctrl+x")) // not text, and no abort either
	tm.Send(keyMsg("enter"))
	if got := recv(t, run.noteCh, "Note"); got != "-@sato raise the latency alert" {
		t.Errorf("note %q", got)
	}
	teatest.WaitFor(t, tm.Output(), contains("Note saved"), teatest.WithDuration(waitLong))
	tm.Send(keyMsg("ctrl+c"))
	finalModel(t, tm)
	if injected, aborts, _ := run.calls(); len(injected)+len(aborts) != 0 {
		t.Errorf("a scribe's keys reached the run: injected %v, aborts %v", injected, aborts)
	}
}

// TestWatcherStreamGone: when the stream ends the console says why and
// stays readable; the banner stays through keys.
func TestWatcherStreamGone(t *testing.T) {
	run := newFakeRun(t, activeSnap(latencyPlan()))
	tm := startWatcher(t, watchConfig(run, false, 120, 40, t0.Add(75*time.Second)), "WATCHING")
	run.closeOnce.Do(func() { close(run.events) })
	teatest.WaitFor(t, tm.Output(), contains("the facilitator's console closed"), teatest.WithDuration(waitLong))
	tm.Type("r") // the report, then back
	teatest.WaitFor(t, tm.Output(), contains("report: Latency injection"), teatest.WithDuration(waitLong))
	tm.Send(keyMsg("esc"))
	tm.Send(keyMsg("q"))
	fm := finalModel(t, tm)
	if !strings.Contains(fm.banner, "the facilitator's console closed") {
		t.Errorf("the banner after keys is %q", fm.banner)
	}
}

// TestJoinLines: the facilitator's console shows the watch line when it
// opens, and both lines on w.
func TestJoinLines(t *testing.T) {
	cfg := testConfig(nil, 120, 40, t0)
	cfg.Team = &Team{Watch: "gameday watch abc@127.0.0.1:4100", Scribe: "gameday watch --scribe NAME def@127.0.0.1:4100", SSH: "ssh -p 4101 127.0.0.1"}
	m := New(cfg)
	if v := ansi.Strip(m.View()); !strings.Contains(v, "Team mode: gameday watch abc@127.0.0.1:4100") || !strings.Contains(v, "w team") {
		t.Errorf("the console does not show the join line when it opens:\n%s", v)
	}
	m, _ = step(t, m, keyMsg("w"))
	v := ansi.Strip(m.View())
	for _, want := range []string{cfg.Team.Watch, cfg.Team.Scribe, cfg.Team.SSH} {
		if !strings.Contains(v, "  "+want) {
			t.Errorf("w does not show %q:\n%s", want, v)
		}
	}
	m, _ = step(t, m, keyMsg("esc"))
	if v := ansi.Strip(m.View()); strings.Contains(v, "Team mode") || !strings.Contains(v, "pick a scenario") {
		t.Errorf("esc does not close the join lines:\n%s", v)
	}
	// Without sharing there is no w.
	if v := ansi.Strip(New(testConfig(nil, 120, 40, t0)).View()); strings.Contains(v, "team") {
		t.Errorf("a console that does not share offers team mode:\n%s", v)
	}
}

// TestTimelineNamesScribe: a scribe's note on the timeline says whose it is.
func TestTimelineNamesScribe(t *testing.T) {
	s := activeSnap(latencyPlan())
	s.Timeline = append(s.Timeline, engine.Record{Seq: 8, At: t0.Add(70 * time.Second), Type: engine.RecNote,
		Note: &engine.Note{Kind: engine.Improvement, Text: "@sato raise the latency alert", Author: "Tanaka"}})
	m, _ := consoleAt(t, s, 120, 40, t0.Add(75*time.Second))
	if v := ansi.Strip(m.View()); !strings.Contains(v, "- improvement: Tanaka: @sato raise the latency alert") {
		t.Errorf("the timeline does not name the scribe:\n%s", v)
	}
}

func teaWindowSize(w, h int) tea.WindowSizeMsg { return tea.WindowSizeMsg{Width: w, Height: h} }
