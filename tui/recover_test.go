package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest"
)

const unfinishedText = "The journal 20261127T101500Z-latency-injection-500-ms.jsonl has 1 fault(s) not confirmed rolled back (f1 latency)."

// TestPickerUnfinished is the picker offering to recover an earlier run's
// journal.
func TestPickerUnfinished(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			cfg := testConfig(nil, sz.w, sz.h, t0)
			cfg.Unfinished = unfinishedText
			cfg.Recover = func(context.Context) (string, error) { return "", nil }
			m := New(cfg)
			m, _ = step(t, m, previewMsg{plan: cfg.Plans[0], previews: []FaultPreview{
				{FaultID: "f1", Summary: "will delay 1 of 4 replicas: replica-3"},
			}})
			requireView(t, m.View(), sz.w, sz.h)
		})
	}
}

// TestPickerRecoverKey checks the recover key's life: bound only with a
// notice and a Recover function, busy while it runs, the notice kept (and
// the key bound again) when recovery fails, gone when it succeeds.
func TestPickerRecoverKey(t *testing.T) {
	cfg := testConfig(nil, 80, 24, t0)
	if m := New(cfg); m.picker.keys.Recover.Enabled() {
		t.Fatal("recover key bound without an unfinished journal")
	}
	cfg.Unfinished = unfinishedText
	if m := New(cfg); m.picker.keys.Recover.Enabled() || !strings.Contains(ansi.Strip(m.View()), "Run gameday recover") {
		t.Fatal("without a Recover function: want the key unbound and the command shown")
	}
	calls := 0
	fail := true
	cfg.Recover = func(context.Context) (string, error) {
		calls++
		if fail {
			return "", errors.New("f1 latency: NOT confirmed rolled back")
		}
		return "Recovered 1 fault(s): all clean.", nil
	}
	m := New(cfg)
	if !m.picker.keys.Recover.Enabled() || !strings.Contains(ansi.Strip(m.View()), "R recover now") {
		t.Fatalf("recover key not offered:\n%s", ansi.Strip(m.View()))
	}
	m, cmd := step(t, m, keyMsg("R"))
	if cmd == nil || m.picker.keys.Recover.Enabled() || !strings.Contains(ansi.Strip(m.View()), "Recovering") {
		t.Fatalf("after R: cmd %v, key enabled %v; want a command, the key unbound and 'Recovering':\n%s", cmd != nil, m.picker.keys.Recover.Enabled(), ansi.Strip(m.View()))
	}
	m, _ = step(t, m, cmd())
	view := ansi.Strip(m.View())
	if calls != 1 || !strings.Contains(view, "NOT confirmed") || !strings.Contains(view, "(f1 latency)") || !m.picker.keys.Recover.Enabled() {
		t.Fatalf("after a failed recovery: want the error banner, the notice kept and R bound again:\n%s", view)
	}
	fail = false
	m, cmd = step(t, m, keyMsg("R"))
	m, _ = step(t, m, cmd())
	view = ansi.Strip(m.View())
	if calls != 2 || !strings.Contains(view, "Recovered 1 fault(s): all clean.") || strings.Contains(view, "(f1 latency)") || m.picker.keys.Recover.Enabled() {
		t.Fatalf("after recovery: want the outcome banner, no notice and R unbound:\n%s", view)
	}
}

// TestFlowRecover drives the recover key through the whole program.
func TestFlowRecover(t *testing.T) {
	cfg := testConfig(nil, 80, 24, t0)
	cfg.Unfinished = unfinishedText
	called := make(chan struct{}, 1)
	cfg.Recover = func(context.Context) (string, error) {
		called <- struct{}{}
		return "Recovered 1 fault(s) of the journal: all clean.", nil
	}
	tm := teatest.NewTestModel(t, New(cfg), teatest.WithInitialTermSize(cfg.Width, cfg.Height))
	t.Cleanup(func() { _ = tm.Quit() })
	teatest.WaitFor(t, tm.Output(), contains("Press R to recover now"), teatest.WithDuration(waitLong))
	tm.Type("R")
	recv(t, called, "Recover")
	teatest.WaitFor(t, tm.Output(), contains("all clean."), teatest.WithDuration(waitLong))
	tm.Type("q")
	if fm := finalModel(t, tm); fm.picker.unfinished != "" {
		t.Errorf("notice still set after recovery: %q", fm.picker.unfinished)
	}
}
