package engine

import (
	"reflect"
	"testing"
	"time"
)

func TestReplayFaultPhaseKeepsItsClock(t *testing.T) {
	recs := readFixture(t)
	// Cut the journal right after f2 became active (the phase went
	// observing → injecting → observing twice by then).
	cut := findFault(recs, "f2", FaultActive) + 1
	snap := Replay(recs[:cut])
	start := recs[findPhase(recs, Observing)].At
	if snap.Phase != Injecting {
		t.Fatalf("phase = %s, want injecting", snap.Phase)
	}
	if !snap.PhaseStarted.Equal(start) || !snap.PhaseEnds.Equal(start.Add(30*time.Second)) {
		t.Errorf("fault phase clock = %s … %s, want it to start at %s and last 30s", snap.PhaseStarted, snap.PhaseEnds, start)
	}
	// The live verdict is the fault phase's so far, judged as the final
	// verdict judges it: its error rate is over the bound, its p95 (of
	// every request so far) is not.
	if snap.Holding || snap.Group != GroupFault || len(snap.Breaches) != 1 || snap.Breaches[0] != "error rate 1.33% > 0.1% during fault" {
		t.Errorf("group %q holding = %v %q, want the fault phase's error rate breached", snap.Group, snap.Holding, snap.Breaches)
	}
	// At T+00:11 the latest sample breaches p95 (Now), as does the fault
	// phase so far, whose only window it is.
	snap = Replay(recs[:findFault(recs, "f1", FaultActive)+4])
	if len(snap.Now) == 0 || snap.Now[0] != "p95 240 ms > 200 ms" {
		t.Errorf("at the first breach: now %q", snap.Now)
	}
	if snap.Holding || len(snap.Breaches) == 0 || snap.Breaches[0] != "p95 240 ms > 200 ms during fault" {
		t.Errorf("at the first breach: holding %v, breaches %q", snap.Holding, snap.Breaches)
	}
	if len(Unfinished(recs[:cut])) != 2 {
		t.Errorf("Unfinished mid-run = %d faults, want 2", len(Unfinished(recs[:cut])))
	}
	final := Replay(recs)
	if !final.Holding || len(final.Breaches) != 0 {
		t.Errorf("after recovery: holding = %v %q, want holding", final.Holding, final.Breaches)
	}
	if final.Phase != Done || final.Outcome == nil || final.Outcome.Verdict != VerdictViolated {
		t.Errorf("final = %s %+v", final.Phase, final.Outcome)
	}
}

// TestReplayerFollowsRecordByRecord: a Replayer fed one record at a time
// (a watcher's console) shows, after each, what Replay of the records so
// far shows.
func TestReplayerFollowsRecordByRecord(t *testing.T) {
	recs := readFixture(t)
	var r Replayer
	for i, rec := range recs {
		r.Apply(rec)
		if i%7 != 0 && i != len(recs)-1 {
			continue
		}
		got, want := r.Snapshot(), Replay(recs[:i+1])
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("after record %d (%s): the Replayer's snapshot differs from Replay's:\n got %+v\nwant %+v", i+1, rec.Type, got, want)
		}
	}
	// The snapshot's slices are the caller's.
	s := r.Snapshot()
	s.Timeline[0] = Record{}
	if r.Snapshot().Timeline[0].Type != RecPlan {
		t.Error("changing a snapshot's timeline changed the Replayer's")
	}
}

func TestEventQueueDropsOnlySamples(t *testing.T) {
	t.Parallel()
	q := newEventQueue()
	for i := range 2000 {
		typ := RecSample
		if i%100 == 0 {
			typ = RecFault
		}
		q.push(Record{Seq: i + 1, Type: typ})
	}
	q.close()
	var got []Record
	for rec := range q.channel() {
		got = append(got, rec)
	}
	faults, samples, last := 0, 0, 0
	for _, r := range got {
		if r.Seq <= last {
			t.Fatalf("out of order: %d after %d", r.Seq, last)
		}
		last = r.Seq
		if r.Type == RecFault {
			faults++
		} else {
			samples++
		}
	}
	if faults != 20 {
		t.Errorf("%d fault records delivered, want all 20", faults)
	}
	if samples > maxQueuedSamples {
		t.Errorf("%d samples queued, want at most %d", samples, maxQueuedSamples)
	}
}
