package tui

import (
	"errors"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/gameday-tui/gameday/engine"
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
