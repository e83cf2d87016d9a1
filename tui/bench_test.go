package tui

import (
	"testing"
	"time"
)

// benchModel is a console at 200×50 with four 300-point graphs.
func benchModel(b *testing.B) Model {
	b.Helper()
	s := activeSnap(latencyPlan())
	s.Samples = samples(300, true)
	run := newFakeRun(b, s)
	now := t0.Add(300 * time.Second)
	m := New(testConfig(run, 200, 50, now))
	nm, _ := m.Update(startedMsg{plan: s.Plan, run: run})
	nm, _ = nm.Update(snapshotMsg{gen: 1, snap: s})
	return nm.(Model)
}

// BenchmarkConsoleView renders a frame as the 4 Hz refresh does: the data
// did not change since the last frame, so the graphs come from the cache.
func BenchmarkConsoleView(b *testing.B) {
	m := benchModel(b)
	_ = m.View()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_ = m.View()
	}
}

// BenchmarkConsoleViewUncached renders a frame after new data: all four
// graphs are plotted again.
func BenchmarkConsoleViewUncached(b *testing.B) {
	m := benchModel(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		m.console.cache = newGraphCache()
		_ = m.View()
	}
}
