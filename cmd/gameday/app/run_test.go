package app

import (
	"strings"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

func TestProgressLine(t *testing.T) {
	max := func(v float64) scenarios.Bound { return scenarios.Bound{Max: &v} }
	plan := &scenarios.Plan{SteadyState: map[scenarios.Metric]scenarios.Bound{scenarios.P95: max(200), scenarios.ErrorRate: max(0.01)}}
	t0 := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	snap := engine.Snapshot{
		Plan: plan, Phase: engine.Observing, Group: engine.GroupFault, Holding: false,
		Breaches: []string{"p95 312 ms > 200 ms during fault"},
		Samples:  []providers.Sample{{At: t0, Source: providers.SourceLoadgen, P95: 312, ErrorRate: 0.002, Requests: 100}},
	}
	got := progressLine(snap, t0, t0.Add(70*time.Second))
	want := "T+01:10 progress observing · p95 312 ms (≤ 200 ms) · error rate 0.2% (≤ 1%) · fault so far: BREACHED p95 312 ms > 200 ms during fault"
	if got != want {
		t.Errorf("progress line\n got %q\nwant %q", got, want)
	}
	snap.Phase = engine.Done
	if got := progressLine(snap, t0, t0); got != "" {
		t.Errorf("after the run: %q, want nothing", got)
	}
	if strings.Contains(want, "_") {
		t.Error("raw metric keys in a progress line")
	}
}
