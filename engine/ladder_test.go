package engine

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// A ladder of 1, 2, 3 targets of latency against a system whose p95
// breaches its bound only with 3 slow targets: the run widens from 1 to 2
// while steady, breaks off at 3, rolls it back, and (on_breach: stop) goes
// on to recovery; the journal names the widest step that held and the one
// that broke. With on_breach: hold, step 2 is applied again.
func TestLadderStopsAtTheStepThatBreaches(t *testing.T) {
	t.Parallel()
	for _, onBreach := range []string{scenarios.OnBreachStop, scenarios.OnBreachHold} {
		t.Run(onBreach, func(t *testing.T) {
			t.Parallel()
			prov := newFakeProvider(t)
			f := fault("f1", providers.Latency)
			f.Selection = providers.Selection{Count: 1}
			f.Ladder = &scenarios.Ladder{Steps: []providers.Selection{{Count: 1}, {Count: 2}, {Count: 3}}, Hold: 400 * time.Millisecond, OnBreach: onBreach}
			plan := testPlan(f)
			plan.Phases = scenarios.Phases{Baseline: 200 * time.Millisecond, Fault: 8 * time.Second, Recovery: 300 * time.Millisecond}
			h := start(t, plan, prov, prov, metricsFor(func(s *providers.Sample) bool {
				if prov.activeSelection("f1").Count >= 3 {
					s.P50, s.P95, s.P99 = 500, 900, 950
				}
				return true
			}))
			out := h.wait(t)
			recs := h.records(t)
			var steps []string
			for _, r := range recs {
				if r.Type == RecStep {
					steps = append(steps, r.Step.What+" "+r.Step.Selection.String())
				}
			}
			want := []string{"started count 1", "held count 1", "started count 2", "held count 2", "started count 3", "breached count 3"}
			if onBreach == scenarios.OnBreachHold {
				want = append(want, "started count 2")
			}
			if !slices.Equal(steps, want) {
				t.Errorf("steps %q, want %q", steps, want)
			}
			got := prov.selections["f1"]
			if len(got) < 3 || got[0].Count != 1 || got[1].Count != 2 || got[2].Count != 3 {
				t.Errorf("injections %v, want 1, 2, 3", got)
			}
			// Every step had its own owner label, so verifying one never
			// sees the next.
			if o := prov.owners["f1"]; !strings.HasSuffix(o, "f1-s3") && !strings.HasSuffix(o, "f1-s2") {
				t.Errorf("last owner %q, want a step's own label", o)
			}
			if prov.isActive("f1") {
				t.Error("f1 still active after the run")
			}
			// After the breach, stop goes on to recovery at once; hold keeps
			// step 2 to the end of the fault phase.
			var faultAt, recoveryAt time.Time
			for _, r := range recs {
				if r.Type == RecPhase && r.Phase == Observing.String() && faultAt.IsZero() {
					faultAt = r.At
				}
				if r.Type == RecPhase && r.Phase == Recovering.String() {
					recoveryAt = r.At
				}
			}
			early := recoveryAt.Sub(faultAt) < plan.Phases.Fault-time.Second
			if early != (onBreach == scenarios.OnBreachStop) {
				t.Errorf("the fault phase lasted %s of its %s; on_breach %s", recoveryAt.Sub(faultAt), plan.Phases.Fault, onBreach)
			}
			if out.Verdict != VerdictViolated {
				t.Errorf("verdict %s (%s), want violated (the fault phase held a breaching step)", out.Verdict, out.Reason)
			}
		})
	}
}

// The facilitator widens now, then holds: the ladder moves on at the key,
// not at the hold, and stays where it was kept to the fault's end.
func TestLadderKeys(t *testing.T) {
	t.Parallel()
	prov := newFakeProvider(t)
	f := fault("f1", providers.Latency)
	f.Ladder = &scenarios.Ladder{Steps: []providers.Selection{{Count: 1}, {Count: 2}, {Count: 3}}, Hold: time.Hour}
	plan := testPlan(f)
	plan.Phases = scenarios.Phases{Baseline: 200 * time.Millisecond, Fault: 3 * time.Second, Recovery: 200 * time.Millisecond}
	h := start(t, plan, prov, prov, metricsFor(nil))
	waitFor(t, "step 1 active", func() bool { return prov.activeSelection("f1").Count == 1 })
	if err := h.run.HoldLadder("f2"); err == nil {
		t.Error("holding an unknown fault's ladder succeeded")
	}
	time.Sleep(100 * time.Millisecond) // a few samples of step 1
	if err := h.run.WidenNow("f1"); err != nil {
		t.Fatalf("widen now: %v", err)
	}
	// The provider has step 2 before the engine has its answer (until
	// then the step is injecting, and the ladder cannot be held).
	var holdErr error
	waitFor(t, "hold at step 2", func() bool {
		holdErr = h.run.HoldLadder("f1")
		return holdErr == nil
	})
	if n := prov.activeSelection("f1").Count; n != 2 {
		t.Fatalf("held at a selection of %d, want step 2 (last refusal: %v)", n, holdErr)
	}
	if err := h.run.WidenNow("f1"); err == nil {
		t.Error("widening a ladder kept by the facilitator succeeded")
	}
	h.wait(t)
	var whats []string
	for _, r := range h.records(t) {
		if r.Type == RecStep {
			whats = append(whats, r.Step.What)
		}
	}
	want := []string{StepStarted, StepHeld, StepStarted, StepHeldByFacilitator}
	if !slices.Equal(whats, want) {
		t.Errorf("steps %q, want %q", whats, want)
	}
	if n := len(prov.selections["f1"]); n != 2 {
		t.Errorf("%d injections, want 2 (step 3 never)", n)
	}
}
