package engine

import (
	"testing"
	"time"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// A system that heals itself while the fault is still in place (a
// supervisor replacing a killed replica) recovers before the rollback: time
// to recover is measured from the detection, not from the rollback.
func TestRecoveryFromDetection(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	three := 3.0
	plan := &scenarios.Plan{
		Title:       "self-healing",
		SteadyState: map[scenarios.Metric]scenarios.Bound{scenarios.Running: {Min: &three}},
		Phases:      scenarios.Phases{Baseline: 3 * time.Second, Fault: 10 * time.Second, Recovery: 5 * time.Second},
		Faults:      []scenarios.Fault{{Fault: providers.Fault{ID: "f1", Kind: providers.InstanceStop}}},
	}
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	recs := []Record{{Type: RecPlan, At: at(0), Plan: plan}, {Type: RecPhase, At: at(0), Phase: Baseline.String()}}
	sample := func(s, running int) Record {
		return Record{Type: RecSample, At: at(s), Sample: &providers.Sample{At: at(s), Requests: 100, Throughput: 100, Running: running}}
	}
	fault := func(s int, st FaultState) Record {
		return Record{Type: RecFault, At: at(s), Fault: &FaultStatus{Fault: plan.Faults[0], State: st}}
	}
	recs = append(recs, sample(1, 4), sample(2, 4), sample(3, 4),
		Record{Type: RecPhase, At: at(3), Phase: Observing.String()}, fault(3, FaultInjecting), fault(3, FaultActive),
		sample(4, 3), sample(5, 3), sample(6, 4), sample(7, 4), sample(8, 4), sample(9, 4), sample(10, 4), sample(11, 4), sample(12, 4),
		fault(13, FaultRollingBack), fault(13, FaultRolledBack), Record{Type: RecPhase, At: at(13), Phase: Recovering.String()},
		sample(14, 4), sample(15, 4), sample(16, 4))
	s, err := derive(recs, false)
	if err != nil {
		t.Fatal(err)
	}
	r := s.recover
	if r.state != recovered || r.after != 2*time.Second || !r.at.Equal(at(6)) {
		t.Fatalf("recovery = %+v; want recovered 2s after detection, at T+6", r)
	}

	// Without a detection — nothing ever left its bounds — there is
	// nothing to recover from, and the report says no "recovered".
	for i := range recs {
		if recs[i].Sample != nil {
			recs[i].Sample.Running = 4
		}
	}
	s, err = derive(recs, false)
	if err != nil {
		t.Fatal(err)
	}
	if s.recover.state != noImpact {
		t.Fatalf("without detection: recovery = %+v; want no impact", s.recover)
	}
}
