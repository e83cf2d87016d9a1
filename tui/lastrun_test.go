package tui

import (
	"fmt"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/gameday-tui/gameday/scenarios"
)

// collectMsgs runs cmd and every command a batch holds, and returns their
// messages.
func collectMsgs(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := cmd()
	if b, ok := msg.(tea.BatchMsg); ok {
		var out []tea.Msg
		for _, c := range b {
			out = append(out, collectMsgs(c)...)
		}
		return out
	}
	return []tea.Msg{msg}
}

// lastRunBadges is what the command line's history index would say of
// the test plans.
func lastRunBadges(p *scenarios.Plan) string {
	switch p.Title {
	case latencyPlan().Title:
		return "✅ held 7 days ago"
	case cpuPlan().Title:
		return "❌ violated 35 days ago"
	}
	return "never run"
}

// The picker shows beside each scenario when it last ran and how: on the
// row when it fits (80 columns, the list full width), on a line under
// the row when the list is a narrow column beside the plan card.
func TestPickerLastRun(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			cfg := testConfig(nil, sz.w, sz.h, t0)
			cfg.LastRun = lastRunBadges
			m := New(cfg)
			msgs := collectMsgs(m.Init())
			if len(msgs) != 2 {
				t.Fatalf("Init sent %d messages, want a preview and the last runs: %#v", len(msgs), msgs)
			}
			for _, msg := range msgs {
				m, _ = step(t, m, msg)
			}
			view := ansi.Strip(m.View())
			for _, want := range []string{"✅ held 7 days ago", "❌ violated 35 days ago", "never run"} {
				if !strings.Contains(view, want) {
					t.Errorf("the picker lacks %q", want)
				}
			}
			requireView(t, m.View(), sz.w, sz.h)
		})
	}
}

// The picker asks again each time it is shown (a run just ended is the
// latest), in a command of its new generation; without LastRun it asks
// nothing and shows nothing.
func TestPickerLastRunRefreshed(t *testing.T) {
	calls := 0
	cfg := testConfig(nil, 80, 24, t0)
	cfg.LastRun = func(p *scenarios.Plan) string { calls++; return lastRunBadges(p) }
	p := newPicker(cfg, DefaultStyles(), newPrinter(cfg.Lang))
	p.SetSize(80, 23)
	collectMsgs(p.Init())
	if calls != len(cfg.Plans) {
		t.Fatalf("LastRun called %d times at start, want once per plan (%d)", calls, len(cfg.Plans))
	}
	p, cmd := p.reopen(3)
	var got *lastRunMsg
	for _, msg := range collectMsgs(cmd) {
		if m, ok := msg.(lastRunMsg); ok {
			got = &m
		}
	}
	if got == nil || got.gen != 3 || calls != 2*len(cfg.Plans) {
		t.Fatalf("reopen: message %+v, %d calls", got, calls)
	}
	p, _ = p.Update(*got)
	if !strings.Contains(ansi.Strip(p.View()), "❌ violated 35 days ago") {
		t.Error("the badges are not shown after reopening")
	}

	cfg.LastRun = nil
	q := newPicker(cfg, DefaultStyles(), newPrinter(cfg.Lang))
	q.SetSize(80, 23)
	for _, msg := range collectMsgs(q.Init()) {
		if _, ok := msg.(lastRunMsg); ok {
			t.Error("asked for the last runs without a LastRun")
		}
	}
	if strings.Contains(ansi.Strip(q.View()), "never run") {
		t.Error("a badge without a LastRun")
	}
}
