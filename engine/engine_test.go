package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

func TestRunPhaseOrderAndJournal(t *testing.T) {
	t.Parallel()
	prov := newFakeProvider(t)
	h := start(t, testPlan(fault("f1", providers.InstanceStop)), prov, prov, metricsFor(nil))
	events := h.run.Events()
	out := h.wait(t)

	if out.Verdict != VerdictHeld {
		t.Fatalf("verdict = %s (%s), want held", out.Verdict, out.Reason)
	}
	recs := h.records(t)
	want := []string{"baseline", "observing", "injecting", "observing", "rolling back", "recovering", "done"}
	if got := phasesOf(recs); !slices.Equal(got, want) {
		t.Errorf("phases = %q, want %q", got, want)
	}
	if got, want := faultStates(recs, "f1"), []string{"requested", "injecting", "active", "rolling back", "rolled back"}; !slices.Equal(got, want) {
		t.Errorf("f1 states = %q, want %q", got, want)
	}
	if recs[0].Type != RecPlan || recs[0].Plan == nil || recs[0].Env == nil || recs[0].Env.Provider != "fake" || recs[0].Env.Version != "test" {
		t.Errorf("first record = %+v, want the plan with the environment", recs[0])
	}
	if last := recs[len(recs)-1]; last.Type != RecVerdict || last.Outcome == nil || last.Outcome.Verdict != VerdictHeld {
		t.Errorf("last record = %+v, want the verdict", last)
	}
	for i, r := range recs {
		if r.Seq != i+1 {
			t.Fatalf("record %d has seq %d", i, r.Seq)
		}
	}
	samples := 0
	for _, r := range recs {
		if r.Type == RecSample {
			samples++
		}
	}
	if samples == 0 {
		t.Error("no sample records in the journal")
	}
	if got := prov.callList(); !slices.Equal(got, []string{"inject f1", "rollback f1"}) {
		t.Errorf("provider calls = %q", got)
	}
	// The fault ran to the end of the fault phase: TTL = the rest of the
	// phase plus the margin.
	if ttl := prov.ttls["f1"]; ttl <= TTLMargin || ttl > TTLMargin+testPlan().Phases.Fault {
		t.Errorf("TTL = %s, want the fault phase plus %s", ttl, TTLMargin)
	}
	// The outcome carries a check per metric per phase.
	if len(out.Checks) != 12 {
		t.Errorf("outcome has %d checks, want 12: %+v", len(out.Checks), out.Checks)
	}

	// Events delivered every journaled record, in order, then closed.
	var got []Record
	for rec := range events {
		got = append(got, rec)
	}
	if len(got) != len(recs) {
		t.Fatalf("events delivered %d records, journal has %d", len(got), len(recs))
	}
	for i := range got {
		if got[i].Seq != recs[i].Seq || got[i].Type != recs[i].Type {
			t.Fatalf("event %d = %d %s, journal has %d %s", i, got[i].Seq, got[i].Type, recs[i].Seq, recs[i].Type)
		}
	}
	// The final snapshot is what replaying the journal gives.
	snap, replayed := h.run.Snapshot(), Replay(recs)
	if snap.Phase != Done || replayed.Phase != Done {
		t.Errorf("final phase: snapshot %s, replay %s", snap.Phase, replayed.Phase)
	}
	if mustJSON(t, snap.Faults) != mustJSON(t, replayed.Faults) || mustJSON(t, snap.Outcome) != mustJSON(t, replayed.Outcome) {
		t.Errorf("snapshot and replay differ:\n%+v\n%+v", snap.Faults, replayed.Faults)
	}
	if u := Unfinished(recs); len(u) != 0 {
		t.Errorf("Unfinished = %+v, want none", u)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBaselineNotSteadyInjectsNothing(t *testing.T) {
	t.Parallel()
	prov := newFakeProvider(t)
	h := start(t, testPlan(fault("f1", providers.InstanceStop)), prov, prov, metricsFor(func(s *providers.Sample) bool {
		s.P95 = 312
		return true
	}))
	out := h.wait(t)
	if out.Verdict != VerdictNotSteady {
		t.Fatalf("verdict = %s, want not steady", out.Verdict)
	}
	if want := "p95 312 ms > 200 ms during baseline"; out.Reason != want {
		t.Errorf("reason = %q, want %q", out.Reason, want)
	}
	if n := prov.count("inject"); n != 0 {
		t.Errorf("provider got %d inject calls, want none", n)
	}
	recs := h.records(t)
	if got, want := phasesOf(recs), []string{"baseline", "done"}; !slices.Equal(got, want) {
		t.Errorf("phases = %q, want %q", got, want)
	}
	if got := faultStates(recs, "f1"); !slices.Equal(got, []string{"skipped"}) {
		t.Errorf("f1 states = %q, want skipped", got)
	}
}

func TestScheduledFaultTiming(t *testing.T) {
	t.Parallel()
	prov := newFakeProvider(t)
	f := fault("f1", providers.Latency)
	f.StartAfter = 200 * time.Millisecond
	f.Duration = 150 * time.Millisecond
	plan := testPlan(f)
	plan.Phases.Fault = 800 * time.Millisecond
	h := start(t, plan, prov, prov, metricsFor(nil))
	h.wait(t)
	recs := h.records(t)

	faultPhase := findPhase(recs, Observing)
	intent := findFault(recs, "f1", FaultInjecting)
	active := findFault(recs, "f1", FaultActive)
	rolling := findFault(recs, "f1", FaultRollingBack)
	phaseRolling := findPhase(recs, RollingBack)
	if faultPhase < 0 || intent < 0 || active < 0 || rolling < 0 || phaseRolling < 0 {
		t.Fatalf("missing records: phase %d intent %d active %d rolling %d", faultPhase, intent, active, rolling)
	}
	if d := recs[intent].At.Sub(recs[faultPhase].At); d < f.StartAfter {
		t.Errorf("injected %s after the fault phase started, want ≥ %s", d, f.StartAfter)
	}
	if d := recs[rolling].At.Sub(recs[active].At); d < f.Duration {
		t.Errorf("rolled back %s after it became active, want ≥ %s", d, f.Duration)
	}
	if rolling > phaseRolling {
		t.Error("the fault with its own duration was rolled back only at the end of the fault phase")
	}
	if ttl := prov.ttls["f1"]; ttl != f.Duration+TTLMargin {
		t.Errorf("TTL = %s, want %s", ttl, f.Duration+TTLMargin)
	}
	if got := recs[active].Fault.EndsAt.Sub(recs[active].Fault.InjectedAt); got != f.Duration {
		t.Errorf("EndsAt - InjectedAt = %s, want %s", got, f.Duration)
	}
}

func TestOnDemandInject(t *testing.T) {
	t.Parallel()
	prov := newFakeProvider(t)
	manual := fault("f2", providers.Latency)
	manual.Manual = true
	never := fault("f3", providers.CPUStress)
	never.Manual = true
	plan := testPlan(manual, never)
	plan.Phases.Fault = 2 * time.Second
	h := start(t, plan, prov, prov, metricsFor(nil))

	if err := h.run.Inject("f2"); err == nil || !strings.Contains(err.Error(), "fault phase") {
		t.Errorf("Inject during the baseline = %v, want a wrong-phase error", err)
	}
	waitFor(t, "the fault phase", func() bool { return h.run.Snapshot().Phase == Observing })
	if err := h.run.Inject("nope"); err == nil || !strings.Contains(err.Error(), "no such fault") {
		t.Errorf("Inject(unknown) = %v, want an unknown-id error", err)
	}
	if err := h.run.Inject("f2"); err != nil {
		t.Fatalf("Inject(f2) = %v", err)
	}
	// The intent is journaled by the time Inject returns.
	if i := findFault(h.records(t), "f2", FaultInjecting); i < 0 {
		t.Error("Inject returned before the intent was journaled")
	}
	waitFor(t, "f2 active", func() bool { return prov.isActive("f2") })
	waitFor(t, "f2 shown active", func() bool {
		for _, f := range h.run.Snapshot().Faults {
			if f.Fault.ID == "f2" && f.State == FaultActive {
				return true
			}
		}
		return false
	})
	if err := h.run.Inject("f2"); err == nil || !strings.Contains(err.Error(), "already active") {
		t.Errorf("Inject(f2) again = %v, want an already-active error", err)
	}
	h.wait(t)
	recs := h.records(t)
	if got := faultStates(recs, "f2"); !slices.Equal(got, []string{"requested", "injecting", "active", "rolling back", "rolled back"}) {
		t.Errorf("f2 states = %q", got)
	}
	if got := faultStates(recs, "f3"); !slices.Equal(got, []string{"skipped"}) {
		t.Errorf("manual f3, never pressed: states = %q, want skipped", got)
	}
	if n := prov.count("inject f3"); n != 0 {
		t.Error("a manual fault was injected on schedule")
	}
	if err := h.run.Inject("f2"); err == nil {
		t.Error("Inject after the run ended succeeded")
	}
}

func TestIntentJournaledBeforeInject(t *testing.T) {
	t.Parallel()
	prov := newFakeProvider(t)
	var mu sync.Mutex
	var problems []string
	var journal *syncBuffer
	prov.onInject = func(f providers.Fault) {
		mu.Lock()
		defer mu.Unlock()
		recs, err := ReadJournal(bytes.NewReader(journal.Synced()))
		if err != nil {
			problems = append(problems, err.Error())
			return
		}
		i := findFault(recs, f.ID, FaultInjecting)
		if i < 0 {
			problems = append(problems, "no synced intent record for "+f.ID+" when Inject was called")
			return
		}
		want := providers.OwnerLabel(recs[0].Env.RunID, f.ID)
		if inj := recs[i].Fault.Injection; inj == nil || inj.Owner != want || f.Owner != want {
			problems = append(problems, fmt.Sprintf("intent injection %+v, fault owner %q; want owner %q in both", inj, f.Owner, want))
		}
	}
	h := start(t, testPlan(fault("f1", providers.InstanceStop)), prov, prov, metricsFor(nil), func(o *Options) {
		journal = o.Journal.(*syncBuffer)
	})
	h.wait(t)
	mu.Lock()
	defer mu.Unlock()
	if prov.count("inject") != 1 {
		t.Fatal("Inject was not called")
	}
	for _, p := range problems {
		t.Error(p)
	}
}

func TestStopConditionAbortsAndRollsBackInReverseOrder(t *testing.T) {
	t.Parallel()
	prov := newFakeProvider(t)
	shared := []providers.Target{{ID: "replica-1"}}
	prov.targets["f1"], prov.targets["f2"] = shared, shared
	f1, f2 := fault("f1", providers.Latency), fault("f2", providers.CPUStress)
	f2.StartAfter = 50 * time.Millisecond
	plan := testPlan(f1, f2)
	plan.Phases.Fault = 10 * time.Second // the stop condition must end it first
	plan.StopConditions = []scenarios.StopCondition{{Metric: scenarios.ErrorRate, Above: fp(0.05), For: 5 * time.Second}}
	metrics := metricsFor(func(s *providers.Sample) bool {
		if prov.activeAt("f1", s.At) && prov.activeAt("f2", s.At) {
			s.Errors, s.ErrorRate = 500, 0.5
		}
		return true
	})
	h := start(t, plan, prov, prov, metrics)
	out := h.wait(t)

	if out.Verdict != VerdictAborted {
		t.Fatalf("verdict = %s (%s), want aborted", out.Verdict, out.Reason)
	}
	// The reason says why it stopped, that the hypothesis was already
	// refuted, and what the observation after the rollback saw.
	for _, want := range []string{"stop condition: error rate 50% > 5% for 5s", "the hypothesis was already refuted: error rate", "after the rollback the steady state held again"} {
		if !strings.Contains(out.Reason, want) {
			t.Errorf("reason = %q, want it to say %q", out.Reason, want)
		}
	}
	var rollbacks []string
	for _, c := range prov.callList() {
		if strings.HasPrefix(c, "rollback") {
			rollbacks = append(rollbacks, c)
		}
	}
	if want := []string{"rollback f2", "rollback f1"}; !slices.Equal(rollbacks, want) {
		t.Errorf("rollbacks = %q, want %q (reverse order of injection)", rollbacks, want)
	}
	recs := h.records(t)
	if got := phasesOf(recs); got[len(got)-1] != "aborted" || !slices.Contains(got, "rolling back") {
		t.Errorf("phases = %q, want rolling back then aborted", got)
	}
	// The condition held for 5 s of sample time (the samples' own
	// timestamps: a slow reader may have lost some) before it fired.
	var first, last time.Time
	for _, r := range recs {
		if r.Type == RecAbort {
			break
		}
		if r.Type == RecSample && r.Sample.ErrorRate > 0.05 {
			if first.IsZero() {
				first = r.Sample.At
			}
			last = r.Sample.At
		}
	}
	if first.IsZero() || last.Sub(first)+time.Second < 5*time.Second {
		t.Errorf("aborted after a breach from %s to %s, want it to last 5s", first, last)
	}
	for _, id := range []string{"f1", "f2"} {
		if st := Replay(recs).Faults; !slices.ContainsFunc(st, func(f FaultStatus) bool { return f.Fault.ID == id && f.State == FaultRolledBack }) {
			t.Errorf("%s not rolled back: %+v", id, st)
		}
	}
}

func TestInjectErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		err          error
		wantState    FaultState
		wantRollback bool
	}{
		"not applied":    {err: fmt.Errorf("no replica matched: %w", providers.ErrNotApplied), wantState: FaultInjectFailed},
		"may be applied": {err: errors.New("connection reset after the request was sent"), wantState: FaultRolledBack, wantRollback: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			prov := newFakeProvider(t)
			prov.injectErr["f1"] = tc.err
			h := start(t, testPlan(fault("f1", providers.InstanceStop)), prov, prov, metricsFor(nil))
			h.wait(t)
			recs := h.records(t)
			final := Replay(recs).Faults[0]
			if final.State != tc.wantState {
				t.Errorf("final state = %s, want %s", final.State, tc.wantState)
			}
			if !strings.Contains(final.Err, tc.err.Error()) {
				t.Errorf("Err = %q, want it to contain %q", final.Err, tc.err)
			}
			if got := prov.count("rollback f1") > 0; got != tc.wantRollback {
				t.Errorf("rollback called = %v, want %v", got, tc.wantRollback)
			}
			if findFault(recs, "f1", FaultActive) >= 0 {
				t.Error("a failed injection was journaled as active")
			}
		})
	}
}

func TestHungInjectIsRolledBack(t *testing.T) {
	t.Parallel()
	prov := newFakeProvider(t)
	prov.injectBlock["f1"] = true
	h := start(t, testPlan(fault("f1", providers.InstanceStop)), prov, prov, metricsFor(nil), func(o *Options) {
		o.CallTimeout = 100 * time.Millisecond
	})
	out := h.wait(t)
	final := Replay(h.records(t)).Faults[0]
	if final.State != FaultRolledBack || prov.count("rollback f1") == 0 {
		t.Errorf("hung inject: final state %s, rollback calls %d; want rolled back", final.State, prov.count("rollback f1"))
	}
	if !strings.Contains(final.Err, "did not return in time") {
		t.Errorf("Err = %q, want the timeout", final.Err)
	}
	// Inject never returned handles: the rollback finds the fault by its
	// owner label.
	if inj := prov.undone["f1"]; inj.Owner == "" || inj.Owner != prov.owners["f1"] {
		t.Errorf("rollback got owner %q, inject had %q", inj.Owner, prov.owners["f1"])
	}
	if out.Verdict != VerdictHeld {
		t.Errorf("verdict = %s", out.Verdict)
	}
}

func TestAbortWithHungRollback(t *testing.T) {
	t.Parallel()
	prov := newFakeProvider(t)
	ids := []string{"f1", "f2", "f3"}
	var faults []scenarios.Fault
	for _, id := range ids {
		prov.targets[id] = []providers.Target{{ID: "target-" + id}}
		faults = append(faults, fault(id, providers.Latency))
	}
	prov.rollbackBlock["f2"] = true
	plan := testPlan(faults...)
	plan.Phases.Fault = 30 * time.Second
	const deadline = 800 * time.Millisecond
	h := start(t, plan, prov, prov, metricsFor(nil), func(o *Options) {
		o.CallTimeout = 150 * time.Millisecond
		o.RollbackDeadline = deadline
	})
	waitFor(t, "three active faults", func() bool {
		return prov.isActive("f1") && prov.isActive("f2") && prov.isActive("f3")
	})
	waitFor(t, "three faults shown active", func() bool {
		n := 0
		for _, f := range h.run.Snapshot().Faults {
			if f.State == FaultActive {
				n++
			}
		}
		return n == 3
	})
	h.run.Abort("facilitator pressed abort")
	out := h.wait(t)

	if out.Verdict != VerdictRollbackFailed {
		t.Errorf("verdict = %s, want rollback failed", out.Verdict)
	}
	if !strings.Contains(out.Reason, "fakectl undo f2") {
		t.Errorf("reason %q does not name the manual command", out.Reason)
	}
	recs := h.records(t)
	abortIdx := slices.IndexFunc(recs, func(r Record) bool { return r.Type == RecAbort })
	if abortIdx < 0 || recs[abortIdx].Reason != "facilitator pressed abort" {
		t.Fatalf("no abort record with the reason")
	}
	for _, id := range []string{"f1", "f3"} {
		i := findFault(recs, id, FaultRolledBack)
		if i < 0 {
			t.Errorf("%s was not rolled back", id)
			continue
		}
		if d := recs[i].At.Sub(recs[abortIdx].At); d >= deadline {
			t.Errorf("%s rolled back %s after the abort, want within the %s deadline", id, d, deadline)
		}
	}
	final := Replay(recs).Faults
	f2 := final[slices.IndexFunc(final, func(f FaultStatus) bool { return f.Fault.ID == "f2" })]
	if f2.State != FaultRollbackFailed || f2.Manual != "fakectl undo f2" {
		t.Errorf("f2 = %s, manual %q; want rollback failed with the manual command", f2.State, f2.Manual)
	}
	if u := Unfinished(recs); len(u) != 1 || u[0].Fault.ID != "f2" {
		t.Errorf("Unfinished = %+v, want f2", u)
	}
	if got := phasesOf(recs); got[len(got)-1] != "aborted" {
		t.Errorf("last phase = %s, want aborted", got[len(got)-1])
	}
}

func TestRollbackRetries(t *testing.T) {
	t.Parallel()
	prov := newFakeProvider(t)
	prov.rollbackFails["f1"] = 2
	h := start(t, testPlan(fault("f1", providers.InstanceStop)), prov, prov, metricsFor(nil))
	h.wait(t)
	if n := prov.count("rollback f1"); n != 3 {
		t.Errorf("rollback calls = %d, want 3 (two failures, then success)", n)
	}
	if st := Replay(h.records(t)).Faults[0].State; st != FaultRolledBack {
		t.Errorf("state = %s, want rolled back", st)
	}
}

func TestVerifiedRollback(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		dirty       bool
		wantState   FaultState
		wantVerdict Verdict
	}{
		"clean": {wantState: FaultRolledBack, wantVerdict: VerdictHeld},
		"dirty": {dirty: true, wantState: FaultRollbackFailed, wantVerdict: VerdictRollbackFailed},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fake := newFakeProvider(t)
			prov := verifyingProvider{fakeProvider: fake, dirty: map[string]bool{"f1": tc.dirty}}
			h := start(t, testPlan(fault("f1", providers.InstanceStop)), prov, fake, metricsFor(nil), func(o *Options) {
				o.RollbackDeadline = 600 * time.Millisecond
			})
			out := h.wait(t)
			if out.Verdict != tc.wantVerdict {
				t.Errorf("verdict = %s (%s), want %s", out.Verdict, out.Reason, tc.wantVerdict)
			}
			recs := h.records(t)
			final := Replay(recs).Faults[0]
			if final.State != tc.wantState || final.Verification == nil || final.Verification.Clean == tc.dirty {
				t.Fatalf("final = %s, verification %+v", final.State, final.Verification)
			}
			if tc.dirty && (final.Manual != "fakectl undo f1" || !strings.Contains(final.Err, "still installed")) {
				t.Errorf("dirty: manual %q, err %q", final.Manual, final.Err)
			}
			// The verification is in the journal, not only in memory.
			if !bytes.Contains(h.journal.Synced(), []byte(`"verification":{"clean":`)) {
				t.Error("no verification in the journal")
			}
		})
	}
}

// A fault that is still there after its rollback (a hook applied late by an
// Inject that finished after the rollback) is rolled back again until the
// verification comes back clean.
func TestDirtyVerificationRollsBackAgain(t *testing.T) {
	t.Parallel()
	fake := newFakeProvider(t)
	prov := verifyingProvider{fakeProvider: fake, cleanAfter: map[string]int{"f1": 2}}
	h := start(t, testPlan(fault("f1", providers.InstanceStop)), prov, fake, metricsFor(nil), func(o *Options) {
		o.RollbackDeadline = 5 * time.Second
	})
	out := h.wait(t)
	if out.Verdict != VerdictHeld {
		t.Errorf("verdict = %s (%s), want held", out.Verdict, out.Reason)
	}
	if n := fake.count("rollback f1"); n < 2 {
		t.Errorf("rollback calls = %d, want a second rollback after the dirty verification", n)
	}
	final := Replay(h.records(t)).Faults[0]
	if final.State != FaultRolledBack || final.Verification == nil || !final.Verification.Clean {
		t.Fatalf("final = %s, verification %+v; want rolled back and clean", final.State, final.Verification)
	}
}

func TestAbortIsIdempotentAndConcurrent(t *testing.T) {
	t.Parallel()
	prov := newFakeProvider(t)
	plan := testPlan(fault("f1", providers.InstanceStop))
	plan.Phases.Fault = 30 * time.Second
	h := start(t, plan, prov, prov, metricsFor(nil))
	waitFor(t, "f1 active", func() bool { return prov.isActive("f1") })
	var wg sync.WaitGroup
	reasons := map[string]bool{}
	for i := range 50 {
		reason := fmt.Sprintf("abort %d", i)
		reasons[reason] = true
		wg.Go(func() { h.run.Abort(reason) })
	}
	wg.Go(h.cancel)
	wg.Wait()
	out := h.wait(t)
	if out.Verdict != VerdictAborted || !reasons[out.Reason] && !strings.HasPrefix(out.Reason, "interrupted") {
		t.Errorf("outcome = %s %q", out.Verdict, out.Reason)
	}
	h.run.Abort("after the end") // no effect, no panic
	recs := h.records(t)
	aborts := 0
	for _, r := range recs {
		if r.Type == RecAbort {
			aborts++
		}
	}
	if aborts != 1 {
		t.Errorf("%d abort records, want 1", aborts)
	}
	if n := prov.count("rollback f1"); n != 1 {
		t.Errorf("%d rollback calls, want 1", n)
	}
}

func TestAbortDuringBaseline(t *testing.T) {
	t.Parallel()
	prov := newFakeProvider(t)
	plan := testPlan(fault("f1", providers.InstanceStop))
	plan.Phases.Baseline = 30 * time.Second
	h := start(t, plan, prov, prov, metricsFor(nil))
	h.run.Abort("changed our mind")
	out := h.wait(t)
	if out.Verdict != VerdictAborted || out.Reason != "changed our mind" {
		t.Errorf("outcome = %s %q", out.Verdict, out.Reason)
	}
	if len(prov.callList()) != 0 {
		t.Errorf("provider calls = %q, want none", prov.callList())
	}
	recs := h.records(t)
	if got := faultStates(recs, "f1"); !slices.Equal(got, []string{"skipped"}) {
		t.Errorf("f1 states = %q", got)
	}
	if got, want := phasesOf(recs), []string{"baseline", "aborted"}; !slices.Equal(got, want) {
		t.Errorf("phases = %q, want %q", got, want)
	}
}

func TestContextCancelAborts(t *testing.T) {
	t.Parallel()
	prov := newFakeProvider(t)
	plan := testPlan(fault("f1", providers.InstanceStop))
	plan.Phases.Fault = 30 * time.Second
	h := start(t, plan, prov, prov, metricsFor(nil))
	waitFor(t, "f1 active", func() bool { return prov.isActive("f1") })
	h.cancel()
	out := h.wait(t)
	if out.Verdict != VerdictAborted || !strings.HasPrefix(out.Reason, "interrupted") {
		t.Errorf("outcome = %s %q", out.Verdict, out.Reason)
	}
	if prov.isActive("f1") {
		t.Error("f1 still active after the context was cancelled")
	}
}

func TestNotes(t *testing.T) {
	t.Parallel()
	prov := newFakeProvider(t)
	plan := testPlan()
	plan.Phases.Baseline = 30 * time.Second
	journal := &syncBuffer{}
	r, err := New(Options{Plan: plan, Provider: prov, Metrics: metricsFor(nil), Journal: journal})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Note("too early"); err == nil {
		t.Error("Note before Start succeeded")
	}
	r.Start(context.Background())
	tests := map[string]struct {
		in       string
		wantKind NoteKind
		wantText string
		wantErr  bool
	}{
		"success":      {in: "+ LB removed the dead replica", wantKind: Success, wantText: "LB removed the dead replica"},
		"improvement":  {in: "-alert took 40 s  ", wantKind: Improvement, wantText: "alert took 40 s"},
		"observation":  {in: "  dashboards lag ", wantKind: Observation, wantText: "dashboards lag"},
		"empty":        {in: "", wantErr: true},
		"blank":        {in: "   ", wantErr: true},
		"only a plus":  {in: "+", wantErr: true},
		"only a minus": {in: " - ", wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) { // sequential: each looks at the last note
			err := r.Note(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Note(%q) error = %v, want error %v", tc.in, err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			// Journaled at once: the last synced note is this one.
			recs, rerr := ReadJournal(bytes.NewReader(journal.Synced()))
			if rerr != nil {
				t.Fatal(rerr)
			}
			var last *Note
			for _, rec := range recs {
				if rec.Type == RecNote {
					last = rec.Note
				}
			}
			if last == nil || last.Kind != tc.wantKind || last.Text != tc.wantText {
				t.Errorf("journaled note = %+v, want %s %q", last, tc.wantKind, tc.wantText)
			}
		})
	}
	r.Abort("done")
	<-r.Done()
	// After the verdict a note is the retro: still journaled
	// (TestNotesAfterTheRun); an empty one is still refused.
	if err := r.Note("  "); err == nil {
		t.Error("an empty note after the verdict succeeded")
	}
}

// TestNoteBy: a scribe's note keeps its author in the journal (trimmed,
// redacted like every string); the facilitator's has none, and its line
// has no author field at all, as journals before it.
func TestNoteBy(t *testing.T) {
	t.Parallel()
	prov := newFakeProvider(t)
	plan := testPlan()
	plan.Phases.Baseline = 30 * time.Second
	journal := &syncBuffer{}
	r, err := New(Options{Plan: plan, Provider: prov, Metrics: metricsFor(nil), Journal: journal})
	if err != nil {
		t.Fatal(err)
	}
	r.Start(context.Background())
	if err := r.NoteBy("  Tanaka ", "-@sato raise the alert threshold"); err != nil {
		t.Fatal(err)
	}
	if err := r.NoteBy("token=hunter2", "+the breaker opened"); err != nil {
		t.Fatal(err)
	}
	if err := r.Note("the facilitator's own"); err != nil {
		t.Fatal(err)
	}
	if err := r.NoteBy("Tanaka", " - "); err == nil {
		t.Error("an empty note by a scribe succeeded")
	}
	r.Abort("done")
	<-r.Done()
	synced := journal.Synced()
	recs, err := ReadJournal(bytes.NewReader(synced))
	if err != nil {
		t.Fatal(err)
	}
	var got []Note
	for _, rec := range recs {
		if rec.Type == RecNote {
			got = append(got, *rec.Note)
		}
	}
	want := []Note{
		{Kind: Improvement, Text: "@sato raise the alert threshold", Author: "Tanaka"},
		{Kind: Success, Text: "the breaker opened", Author: "token=[REDACTED]"},
		{Kind: Observation, Text: "the facilitator's own"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("journaled notes %+v, want %+v", got, want)
	}
	if bytes.Contains(synced, []byte("hunter2")) {
		t.Error("the journal holds a secret typed as a scribe's name")
	}
	for _, line := range bytes.Split(synced, []byte("\n")) {
		if bytes.Contains(line, []byte("the facilitator's own")) && bytes.Contains(line, []byte(`"author"`)) {
			t.Errorf("the facilitator's note has an author field: %s", line)
		}
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	t.Parallel()
	prov := newFakeProvider(t)
	dup := testPlan(fault("f1", providers.Latency), fault("f1", providers.CPUStress))
	noID := testPlan(fault("", providers.Latency))
	tests := map[string]struct {
		opts Options
		want string
	}{
		"no plan":     {opts: Options{Provider: prov, Metrics: metricsFor(nil)}, want: "no plan"},
		"no provider": {opts: Options{Plan: testPlan(), Metrics: metricsFor(nil)}, want: "no provider"},
		"no metrics":  {opts: Options{Plan: testPlan(), Provider: prov}, want: "no metric source"},
		"dup id":      {opts: Options{Plan: dup, Provider: prov, Metrics: metricsFor(nil)}, want: `two faults have id "f1"`},
		"no id":       {opts: Options{Plan: noID, Provider: prov, Metrics: metricsFor(nil)}, want: "has no id"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := New(tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New error = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestViolatedDuringFault(t *testing.T) {
	t.Parallel()
	prov := newFakeProvider(t)
	h := start(t, testPlan(fault("f1", providers.InstanceStop)), prov, prov, metricsFor(func(s *providers.Sample) bool {
		if prov.activeAt("f1", s.At) {
			s.Errors, s.ErrorRate = 200, 0.2
		}
		return true
	}))
	out := h.wait(t)
	if out.Verdict != VerdictViolated {
		t.Fatalf("verdict = %s (%s), want violated", out.Verdict, out.Reason)
	}
	if !strings.HasPrefix(out.Reason, "error rate ") || !strings.Contains(out.Reason, "> 1% during fault") {
		t.Errorf("reason = %q, want the error rate during the fault", out.Reason)
	}
}

// failingJournal fails the writes of lines that match.
type failingJournal struct {
	syncBuffer
	fail func(line []byte) bool
}

func (j *failingJournal) Write(p []byte) (int, error) {
	if j.fail(p) {
		return 0, errors.New("disk full")
	}
	return j.syncBuffer.Write(p)
}

func TestIntentNotJournaledMeansNoInject(t *testing.T) {
	t.Parallel()
	prov := newFakeProvider(t)
	plan := testPlan(fault("f1", providers.InstanceStop))
	plan.Phases.Fault = 30 * time.Second
	journal := &failingJournal{fail: func(line []byte) bool {
		return bytes.Contains(line, []byte(`"type":"fault"`)) && bytes.Contains(line, []byte(`"state":2,`))
	}}
	h := start(t, plan, prov, prov, metricsFor(nil), func(o *Options) { o.Journal = journal })
	out := h.wait(t)
	if n := prov.count("inject"); n != 0 {
		t.Errorf("Inject was called %d times although its intent could not be journaled", n)
	}
	if out.Verdict != VerdictAborted || !strings.Contains(out.Reason, "disk full") {
		t.Errorf("outcome = %s %q, want aborted for the journal error", out.Verdict, out.Reason)
	}
	if st := h.run.Snapshot().Faults[0].State; st != FaultInjectFailed {
		t.Errorf("f1 shown as %s, want inject failed", st)
	}
}

// The disk fills up right after a fault became active: nothing more can be
// journaled, and the run still ends with the fault rolled back (the
// provider is called), aborted for the journal error, which JournalErr
// reports.
func TestFullDiskAfterInjectStillRollsBack(t *testing.T) {
	t.Parallel()
	prov := newFakeProvider(t)
	plan := testPlan(fault("f1", providers.InstanceStop))
	plan.Phases.Fault = 30 * time.Second
	var full atomic.Bool
	journal := &failingJournal{fail: func(line []byte) bool {
		if full.Load() {
			return true
		}
		if bytes.Contains(line, []byte(`"type":"fault"`)) && bytes.Contains(line, []byte(`"state":3,`)) {
			full.Store(true) // the active record is the last one written
		}
		return false
	}}
	h := start(t, plan, prov, prov, metricsFor(nil), func(o *Options) { o.Journal = journal })
	out := h.wait(t)
	if n := prov.count("rollback f1"); n == 0 {
		t.Fatal("f1 was never rolled back after the disk filled up")
	}
	if prov.isActive("f1") {
		t.Error("f1 is still active")
	}
	if out.Verdict != VerdictAborted || !strings.Contains(out.Reason, "disk full") {
		t.Errorf("outcome = %s %q, want aborted for the journal error", out.Verdict, out.Reason)
	}
	if err := h.run.JournalErr(); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("JournalErr = %v, want the write error", err)
	}
}

// An abort during the recovery phase (a signal after the rollback was
// verified) has nothing to roll back: the observation goes on to the
// phase's end and the run ends aborted. It used to stay recovering for
// ever: the abort cancelled the phase's timer.
func TestAbortDuringRecoveryEnds(t *testing.T) {
	t.Parallel()
	prov := newFakeProvider(t)
	plan := testPlan(fault("f1", providers.Latency))
	plan.Phases = scenarios.Phases{Baseline: 200 * time.Millisecond, Fault: 300 * time.Millisecond, Recovery: 1500 * time.Millisecond}
	h := start(t, plan, prov, prov, metricsFor(nil))
	waitFor(t, "the recovery phase", func() bool { return h.run.Snapshot().Phase == Recovering })
	h.run.Abort("signal: terminated")
	out := h.wait(t)
	if out.Verdict != VerdictAborted {
		t.Errorf("verdict %s (%s), want aborted", out.Verdict, out.Reason)
	}
	if got := phasesOf(h.records(t)); got[len(got)-1] != "aborted" {
		t.Errorf("phases %q, want the run to end aborted", got)
	}
}

// AbortNow during the recovery phase (the console quitting, a second
// signal) ends the run at once, whichever of its two wake-ups the run
// reads first.
func TestAbortNowDuringRecoveryEndsAtOnce(t *testing.T) {
	t.Parallel()
	for i := range 5 {
		prov := newFakeProvider(t)
		plan := testPlan(fault("f1", providers.Latency))
		plan.Phases = scenarios.Phases{Baseline: 100 * time.Millisecond, Fault: 200 * time.Millisecond, Recovery: time.Minute}
		h := start(t, plan, prov, prov, metricsFor(nil))
		waitFor(t, "the recovery phase", func() bool { return h.run.Snapshot().Phase == Recovering })
		h.run.AbortNow("the console closed")
		if out := h.wait(t); out.Verdict != VerdictAborted { // well before the minute of recovery
			t.Errorf("round %d: verdict %s (%s), want aborted", i, out.Verdict, out.Reason)
		}
	}
}
