package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/gameday-tui/gameday/engine"
)

// sizes are the terminal sizes every screen is golden-tested at.
var sizes = []struct{ w, h int }{{80, 24}, {160, 48}}

func step(t *testing.T, m Model, msg tea.Msg) (Model, tea.Cmd) {
	t.Helper()
	nm, cmd := m.Update(msg)
	out, ok := nm.(Model)
	if !ok {
		t.Fatalf("Update returned %T, want Model", nm)
	}
	return out, cmd
}

// through runs cmd, checks that it sends a T (a screen's request to the
// root), and steps that into m.
func through[T tea.Msg](t *testing.T, m Model, cmd tea.Cmd) (Model, tea.Cmd) {
	t.Helper()
	var want T
	if cmd == nil {
		t.Fatalf("no command; want one that sends %T", want)
	}
	msg := cmd()
	if _, ok := msg.(T); !ok {
		t.Fatalf("the command sent %T (%v); want %T", msg, msg, want)
	}
	return step(t, m, msg)
}

func keyMsg(s string) tea.KeyMsg {
	switch s {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "ctrl+x":
		return tea.KeyMsg{Type: tea.KeyCtrlX}
	case "ctrl+c":
		return tea.KeyMsg{Type: tea.KeyCtrlC}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

// requireView checks a view against its golden file, ANSI stripped, and
// that it fills exactly w×h cells.
func requireView(t *testing.T, view string, w, h int) {
	t.Helper()
	plain := ansi.Strip(view)
	lines := strings.Split(plain, "\n")
	if len(lines) != h {
		t.Errorf("view has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if got := ansi.StringWidth(l); got != w {
			t.Errorf("line %d is %d cells wide, want %d: %q", i+1, got, w, l)
		}
	}
	golden.RequireEqual(t, []byte(plain))
}

// consoleAt returns a model watching a fake run in state s, at time now.
func consoleAt(t *testing.T, s engine.Snapshot, w, h int, now time.Time) (Model, *fakeRun) {
	t.Helper()
	run := newFakeRun(t, s)
	m := New(testConfig(run, w, h, now))
	m, _ = step(t, m, startedMsg{plan: s.Plan, run: run})
	m, _ = step(t, m, snapshotMsg{gen: m.gen, snap: s})
	return m, run
}

func TestPicker(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			cfg := testConfig(nil, sz.w, sz.h, t0)
			m := New(cfg)
			m, _ = step(t, m, previewMsg{plan: cfg.Plans[0], previews: []FaultPreview{
				{FaultID: "f1", Summary: "will delay 1 of 4 replicas: replica-3"},
				{FaultID: "f2", Summary: "will stop 1 of 4 replicas: replica-1"},
			}})
			requireView(t, m.View(), sz.w, sz.h)
		})
	}
}

func TestConsoleBaseline(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			m, _ := consoleAt(t, baselineSnap(latencyPlan()), sz.w, sz.h, t0.Add(20*time.Second))
			requireView(t, m.View(), sz.w, sz.h)
		})
	}
}

func TestConsoleFaultActive(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			m, _ := consoleAt(t, activeSnap(latencyPlan()), sz.w, sz.h, t0.Add(75*time.Second))
			requireView(t, m.View(), sz.w, sz.h)
		})
	}
}

// abortedModel is a console after ctrl+x, the rollback and the end of the
// run.
func abortedModel(t *testing.T, w, h int) (Model, *fakeRun) {
	t.Helper()
	p := latencyPlan()
	m, run := consoleAt(t, activeSnap(p), w, h, t0.Add(83*time.Second))
	m, _ = step(t, m, keyMsg("ctrl+x"))
	m, _ = step(t, m, keyMsg("esc")) // no reason given
	m, _ = step(t, m, snapshotMsg{gen: m.gen, snap: abortedSnap(p)})
	run.finish()
	m, _ = step(t, m, runDoneMsg{gen: m.gen})
	return m, run
}

func TestConsoleAborted(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			m, _ := abortedModel(t, sz.w, sz.h)
			requireView(t, m.View(), sz.w, sz.h)
		})
	}
}

func TestReportView(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			m, _ := abortedModel(t, sz.w, sz.h)
			m, cmd := step(t, m, keyMsg("r"))
			m, cmd = through[openReportMsg](t, m, cmd)
			if cmd == nil {
				t.Fatal("opening the report returned no command to load it")
			}
			msg := cmd()
			if _, ok := msg.(reportMsg); !ok {
				t.Fatalf("report command returned %T (%v), want reportMsg", msg, msg)
			}
			m, _ = step(t, m, msg)
			requireView(t, m.View(), sz.w, sz.h)
		})
	}
}
