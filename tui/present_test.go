package tui

import (
	"fmt"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/engine"
)

// TestConsolePresenter is the fault-active console switched to the
// presenter view (p), in English and in Japanese.
func TestConsolePresenter(t *testing.T) {
	for _, lang := range []engine.Lang{engine.English, engine.Japanese} {
		for _, sz := range sizes {
			t.Run(fmt.Sprintf("%s/%dx%d", lang, sz.w, sz.h), func(t *testing.T) {
				s := activeSnap(latencyPlan())
				run := newFakeRun(t, s)
				cfg := testConfig(run, sz.w, sz.h, t0.Add(75*time.Second))
				cfg.Lang = lang
				m := New(cfg)
				m, _ = step(t, m, startedMsg{plan: s.Plan, run: run})
				m, _ = step(t, m, snapshotMsg{gen: m.gen, snap: s})
				m, _ = step(t, m, keyMsg("p"))
				requireView(t, m.View(), sz.w, sz.h)
			})
		}
	}
}
