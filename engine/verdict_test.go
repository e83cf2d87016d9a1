package engine

import (
	"bytes"
	"context"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// lateSource delivers each sample delay after its window ended, like a
// Prometheus scrape or a CloudWatch minute: samples reach the engine after
// later events, and each must be judged by its own timestamp.
type lateSource struct {
	interval, delay, lag time.Duration
	fn                   func(at time.Time, s *providers.Sample)
}

func (l *lateSource) Info() providers.SourceInfo {
	return providers.SourceInfo{Name: "late", Resolution: l.interval, Lag: l.lag}
}

func (l *lateSource) Samples(ctx context.Context) <-chan providers.Sample {
	out := make(chan providers.Sample, 1024)
	go func() {
		defer close(out)
		t := time.NewTicker(l.interval)
		defer t.Stop()
		var pending []providers.Sample
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				s := healthy()
				s.At, s.Span = now, l.interval
				if l.fn != nil {
					l.fn(now, &s)
				}
				withLatency(&s)
				pending = append(pending, s)
				// Deliver what is delay old.
				for len(pending) > 0 && now.Sub(pending[0].At) >= l.delay {
					select {
					case out <- pending[0]:
					default:
					}
					pending = pending[1:]
				}
			}
		}
	}()
	return out
}

// Samples of the end of the baseline arrive after the baseline's timer:
// judged by arrival they would count toward the fault phase (and the
// baseline would pass and the fault be injected); judged by their own
// timestamps, after waiting the source's lag, they make the baseline not
// steady, and nothing is injected.
func TestLateSamplesAreJudgedWithTheirPhase(t *testing.T) {
	t.Parallel()
	prov := newFakeProvider(t)
	plan := testPlan(fault("f1", providers.InstanceStop))
	plan.Phases = scenarios.Phases{Baseline: 600 * time.Millisecond, Fault: 400 * time.Millisecond, Recovery: 300 * time.Millisecond}
	var mu sync.Mutex
	var baselineEnd time.Time
	src := &lateSource{interval: 20 * time.Millisecond, delay: 250 * time.Millisecond, lag: 3 * time.Second, fn: func(at time.Time, s *providers.Sample) {
		mu.Lock()
		defer mu.Unlock()
		// The last 200 ms of the baseline are slow.
		if !baselineEnd.IsZero() && at.After(baselineEnd.Add(-200*time.Millisecond)) && at.Before(baselineEnd) {
			s.P95 = 900
		}
	}}
	mu.Lock()
	baselineEnd = time.Now().Add(plan.Phases.Baseline)
	mu.Unlock()
	h := start(t, plan, prov, prov, src)
	out := h.wait(t)
	if out.Verdict != VerdictNotSteady {
		t.Fatalf("verdict = %s (%s), want not steady: the slow end of the baseline must count toward the baseline", out.Verdict, out.Reason)
	}
	if n := prov.count("inject"); n != 0 {
		t.Errorf("%d inject calls, want none", n)
	}
}

// A fault phase whose breaching samples arrive only once the recovery has
// begun is blamed on the fault phase, not on the recovery.
func TestLateFaultSamplesCountTowardTheFault(t *testing.T) {
	t.Parallel()
	prov := newFakeProvider(t)
	plan := testPlan(fault("f1", providers.InstanceStop))
	plan.Phases = scenarios.Phases{Baseline: 300 * time.Millisecond, Fault: 500 * time.Millisecond, Recovery: 600 * time.Millisecond}
	src := &lateSource{interval: 20 * time.Millisecond, delay: 300 * time.Millisecond, lag: 3 * time.Second, fn: func(at time.Time, s *providers.Sample) {
		if prov.activeAt("f1", at) {
			s.Errors, s.ErrorRate = 300, 0.3
		}
	}}
	h := start(t, plan, prov, prov, src)
	out := h.wait(t)
	if out.Verdict != VerdictViolated {
		t.Fatalf("verdict = %s (%s), want violated", out.Verdict, out.Reason)
	}
	for _, c := range out.Checks {
		if c.Metric != scenarios.ErrorRate {
			continue
		}
		switch c.Phase {
		case GroupFault:
			if c.Holds {
				t.Errorf("fault error rate %v holds; the late breaching samples belong to the fault phase", c.Value)
			}
		case GroupRecovery:
			if !c.Holds {
				t.Errorf("recovery error rate %v breached: samples of the fault phase were counted in the recovery", c.Value)
			}
		}
	}
}

// The console's live verdict (Snapshot.Checks, as the group closes) and
// the verdict's (and the report's, from the journal) are the same
// function of the same samples.
func TestLiveVerdictAgreesWithTheReport(t *testing.T) {
	t.Parallel()
	prov := newFakeProvider(t)
	plan := testPlan(fault("f1", providers.Latency))
	// p95 over the bound in about half of the fault phase's windows.
	n := 0
	h := start(t, plan, prov, prov, metricsFor(func(s *providers.Sample) bool {
		if prov.activeAt("f1", s.At) {
			n++
			if n%2 == 0 {
				s.P50, s.P95, s.P99 = 260, 300, 320
			}
		}
		return true
	}))
	var lastFault []Check
	done := make(chan struct{})
	go func() {
		defer close(done)
		for rec := range h.run.Events() {
			if rec.Type == RecSample {
				if snap := h.run.Snapshot(); snap.Group == GroupFault {
					lastFault = snap.Checks
				}
			}
		}
	}()
	out := h.wait(t)
	<-done
	var final []Check
	for _, c := range out.Checks {
		if c.Phase == GroupFault {
			final = append(final, c)
		}
	}
	if len(final) == 0 || len(lastFault) != len(final) {
		t.Fatalf("fault checks: live %d, final %d (%+v)", len(lastFault), len(final), out)
	}
	for i := range final {
		live, end := lastFault[i], final[i]
		if live.Metric != end.Metric || live.Holds != end.Holds {
			t.Errorf("%s: live verdict holds=%v, final holds=%v", end.Metric, live.Holds, end.Holds)
		}
		if live.Samples == end.Samples && !checksEqual(live, end) {
			t.Errorf("%s: same %d samples, live %+v, final %+v", end.Metric, end.Samples, live, end)
		}
	}
	// The journal replayed gives the same checks, and the report renders
	// the verdict's.
	recs := h.records(t)
	snap := Replay(recs)
	if snap.Outcome == nil || !slices.EqualFunc(snap.Outcome.Checks, out.Checks, checksEqual) {
		t.Errorf("replayed outcome checks differ from the run's")
	}
	g := newSampleGroups()
	for _, r := range recs {
		g.observe(r)
	}
	again := judge(plan, GroupFault, g.data[GroupFault])
	if !slices.EqualFunc(again, final, checksEqual) {
		t.Errorf("judging the journal's fault samples again gives\n%+v\nwant the verdict's\n%+v", again, final)
	}
	var p95 Check
	for _, c := range final {
		if c.Metric == scenarios.P95 {
			p95 = c
		}
	}
	if p95.Method != MethodAllRequests || p95.Holds || p95.Breached == 0 {
		t.Errorf("fault p95 = %+v, want it breached over all requests", p95)
	}
	var report bytes.Buffer
	if err := WriteReport(&report, recs); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(report.Bytes(), []byte(formatValue(scenarios.P95, p95.Value)+" ❌ breached")) {
		t.Errorf("the report does not show the verdict's p95 %s", formatValue(scenarios.P95, p95.Value))
	}
}

func checksEqual(a, b Check) bool {
	return a.Phase == b.Phase && a.Metric == b.Metric && a.Value == b.Value && a.Holds == b.Holds &&
		a.Samples == b.Samples && a.Breached == b.Breached && a.Method == b.Method
}

// Three faults share a target; the rollbacks of the two newest hang. Each
// fault gets its own attempts on its own deadline, so the oldest is rolled
// back (it was in fact rollbackable), not left "manual action needed"
// because its predecessors used up a deadline shared by all.
func TestHungPredecessorDoesNotFailTheOldest(t *testing.T) {
	t.Parallel()
	prov := newFakeProvider(t)
	shared := []providers.Target{{ID: "r1", Name: "replica-1"}}
	for _, id := range []string{"f1", "f2", "f3"} {
		prov.targets[id] = shared
	}
	prov.rollbackBlock["f3"] = true
	prov.rollbackBlock["f2"] = true
	plan := testPlan(fault("f1", providers.Latency), fault("f2", providers.CPUStress), fault("f3", providers.MemoryStress))
	plan.Phases.Fault = time.Hour
	for i := range plan.Faults {
		plan.Faults[i].Manual = true
	}
	h := start(t, plan, prov, prov, metricsFor(nil), func(o *Options) {
		o.CallTimeout = 300 * time.Millisecond
		o.RollbackDeadline = 500 * time.Millisecond
		o.RollbackRetries = 1
	})
	waitFor(t, "the fault phase", func() bool { p := h.run.Snapshot().Phase; return p == Observing || p == Injecting })
	for _, id := range []string{"f1", "f2", "f3"} {
		if err := h.run.Inject(id); err != nil {
			t.Fatal(err)
		}
		waitFor(t, id+" active", func() bool { return stateOf(h.run.Snapshot(), id) == FaultActive })
	}
	h.run.Abort("test")
	out := h.wait(t)
	snap := h.run.Snapshot()
	if st := stateOf(snap, "f1"); st != FaultRolledBack {
		t.Errorf("f1 (oldest) = %s, want rolled back: a hung f3 must not use up its deadline", st)
	}
	for _, id := range []string{"f2", "f3"} {
		if st := stateOf(snap, id); st != FaultRollbackFailed {
			t.Errorf("%s = %s, want rollback failed (its rollback hangs)", id, st)
		}
	}
	if out.Verdict != VerdictRollbackFailed {
		t.Errorf("verdict = %s, want rollback failed (for f2 and f3)", out.Verdict)
	}
}

func stateOf(s Snapshot, id string) FaultState {
	for _, f := range s.Faults {
		if f.Fault.ID == id {
			return f.State
		}
	}
	return -1
}

func TestLevelOf(t *testing.T) {
	plan := func(m scenarios.Metric, b scenarios.Bound, margin float64) *scenarios.Plan {
		return &scenarios.Plan{SteadyState: map[scenarios.Metric]scenarios.Bound{m: b}, NearMargin: margin}
	}
	tests := map[string]struct {
		plan    *scenarios.Plan
		m       scenarios.Metric
		v, offr float64
		want    Level
	}{
		"under max":                  {plan(scenarios.P95, scenarios.Bound{Max: fp(500)}, 0), scenarios.P95, 100, 0, LevelHolding},
		"within 10% of max":          {plan(scenarios.P95, scenarios.Bound{Max: fp(500)}, 0), scenarios.P95, 460, 0, LevelNear},
		"20% under max, default":     {plan(scenarios.P95, scenarios.Bound{Max: fp(500)}, 0), scenarios.P95, 400, 0, LevelHolding},
		"20% under max, margin 25%":  {plan(scenarios.P95, scenarios.Bound{Max: fp(500)}, 0.25), scenarios.P95, 400, 0, LevelNear},
		"over max":                   {plan(scenarios.P95, scenarios.Bound{Max: fp(500)}, 0), scenarios.P95, 501, 0, LevelBreached},
		"well above min":             {plan(scenarios.Running, scenarios.Bound{Min: fp(3)}, 0), scenarios.Running, 4, 0, LevelHolding},
		"at min":                     {plan(scenarios.Running, scenarios.Bound{Min: fp(3)}, 0), scenarios.Running, 3, 0, LevelNear},
		"below min":                  {plan(scenarios.Running, scenarios.Bound{Min: fp(3)}, 0), scenarios.Running, 2, 0, LevelBreached},
		"throughput all served":      {plan(scenarios.Throughput, scenarios.Bound{Min: fp(90)}, 0), scenarios.Throughput, 99.5, 100, LevelHolding},
		"throughput 15% short":       {plan(scenarios.Throughput, scenarios.Bound{Min: fp(50)}, 0), scenarios.Throughput, 85, 100, LevelNear},
		"throughput no offered rate": {plan(scenarios.Throughput, scenarios.Bound{Min: fp(90)}, 0), scenarios.Throughput, 95, 0, LevelNear},
		"throughput below the bound": {plan(scenarios.Throughput, scenarios.Bound{Min: fp(90)}, 0), scenarios.Throughput, 80, 100, LevelBreached},
		"no bound":                   {plan(scenarios.P95, scenarios.Bound{}, 0), scenarios.P95, 7, 0, LevelUnbounded},
		"unknown":                    {plan(scenarios.Running, scenarios.Bound{Min: fp(3)}, 0), scenarios.Running, math.NaN(), 0, LevelNone},
		"zero max, zero":             {plan(scenarios.ErrorRate, scenarios.Bound{Max: fp(0)}, 0), scenarios.ErrorRate, 0, 0, LevelHolding},
		"zero max, above":            {plan(scenarios.ErrorRate, scenarios.Bound{Max: fp(0)}, 0), scenarios.ErrorRate, 0.1, 0, LevelBreached},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := LevelOf(tc.plan, tc.m, tc.v, tc.offr); got != tc.want {
				t.Errorf("LevelOf = %v, want %v", got, tc.want)
			}
		})
	}
}

// The throughput check is judged with the rate offered: when gameday's own
// load generator offered less than the bound, the check says so.
func TestThroughputNamesAShortOfferedRate(t *testing.T) {
	plan := &scenarios.Plan{SteadyState: map[scenarios.Metric]scenarios.Bound{scenarios.Throughput: {Min: fp(90)}}}
	d := &groupData{}
	for i := range 10 {
		d.add(providers.Sample{At: time.Unix(int64(i), 0), Source: providers.SourceLoadgen, Requests: 80, Throughput: 80, Offered: 80})
	}
	c := judge(plan, GroupFault, d)[0]
	if c.Holds || c.Offered != 80 || !strings.Contains(c.Note, "offered only 80 req/s") {
		t.Errorf("check = %+v, want a breach that names the offered rate", c)
	}
	if got := describeBreach(c); !strings.Contains(got, "the load generator offered only 80 req/s") {
		t.Errorf("breach = %q", got)
	}
}

// After an abort's rollback, the run keeps observing for the recovery
// phase (the report can say whether the system came back); AbortNow skips
// that, and ends an observation under way.
func TestAbortObservesTheRecovery(t *testing.T) {
	t.Parallel()
	run := func(t *testing.T, now bool, during bool) ([]Record, Outcome) {
		prov := newFakeProvider(t)
		plan := testPlan(fault("f1", providers.Latency))
		plan.Phases = scenarios.Phases{Baseline: 200 * time.Millisecond, Fault: time.Minute, Recovery: 600 * time.Millisecond}
		if during {
			plan.Phases.Recovery = time.Minute
		}
		h := start(t, plan, prov, prov, metricsFor(nil))
		waitFor(t, "f1 active", func() bool { return stateOf(h.run.Snapshot(), "f1") == FaultActive })
		if now {
			h.run.AbortNow("leaving")
		} else {
			h.run.Abort("ctrl+x")
		}
		if during {
			waitFor(t, "the observation", func() bool { return h.run.Snapshot().Phase == Recovering })
			h.run.AbortNow("q")
		}
		out := h.wait(t)
		return h.records(t), out
	}
	phases := func(recs []Record) []string {
		var out []string
		for _, r := range recs {
			if r.Type == RecPhase {
				out = append(out, r.Phase)
			}
		}
		return out
	}
	t.Run("abort observes", func(t *testing.T) {
		recs, out := run(t, false, false)
		if got := phases(recs); !slices.Contains(got, "recovering") || got[len(got)-1] != "aborted" {
			t.Errorf("phases %v, want recovering after the rollback, then aborted", got)
		}
		if out.Verdict != VerdictAborted || !strings.Contains(out.Reason, "after the rollback the steady state held again") {
			t.Errorf("outcome %s %q", out.Verdict, out.Reason)
		}
		hasRecovery := false
		for _, c := range out.Checks {
			hasRecovery = hasRecovery || c.Phase == GroupRecovery && c.Samples > 0
		}
		if !hasRecovery {
			t.Error("no recovery checks after the observation")
		}
	})
	t.Run("abort now does not", func(t *testing.T) {
		recs, out := run(t, true, false)
		if got := phases(recs); slices.Contains(got, "recovering") {
			t.Errorf("phases %v, want no observation", got)
		}
		if out.Verdict != VerdictAborted || out.Reason != "leaving" {
			t.Errorf("outcome %s %q", out.Verdict, out.Reason)
		}
	})
	t.Run("abort now ends the observation", func(t *testing.T) {
		start := time.Now()
		_, out := run(t, false, true)
		if out.Verdict != VerdictAborted || time.Since(start) > 30*time.Second {
			t.Errorf("outcome %s after %s, want aborted well before the minute of recovery", out.Verdict, time.Since(start))
		}
	})
}

// Notes after the verdict still go into the journal (the retro).
func TestNotesAfterTheRun(t *testing.T) {
	t.Parallel()
	prov := newFakeProvider(t)
	h := start(t, testPlan(fault("f1", providers.Latency)), prov, prov, metricsFor(nil))
	h.wait(t)
	if err := h.run.Note("- raise the alert threshold"); err != nil {
		t.Fatalf("note after the run: %v", err)
	}
	recs := h.records(t)
	last := recs[len(recs)-1]
	if last.Type != RecNote || last.Note.Kind != Improvement || recs[len(recs)-2].Type != RecVerdict {
		t.Errorf("last records: %+v, %+v; want the note after the verdict", recs[len(recs)-2], last)
	}
	var report bytes.Buffer
	if err := WriteReport(&report, recs); err != nil || !strings.Contains(report.String(), "raise the alert threshold") {
		t.Errorf("report (%v) lacks the retro note", err)
	}
}

// eventProvider is a fakeProvider that streams system events the test
// sends.
type eventProvider struct {
	*fakeProvider
	ch chan providers.SystemEvent
}

func (p eventProvider) SystemEvents(ctx context.Context) <-chan providers.SystemEvent { return p.ch }

// A system event that is a stop condition (a stop alarm in ALARM) aborts
// the run with rollback, naming it.
func TestStopEventAborts(t *testing.T) {
	t.Parallel()
	fake := newFakeProvider(t)
	prov := eventProvider{fakeProvider: fake, ch: make(chan providers.SystemEvent, 4)}
	plan := testPlan(fault("f1", providers.Latency))
	plan.Phases.Fault = time.Minute
	h := start(t, plan, prov, fake, metricsFor(nil))
	waitFor(t, "f1 active", func() bool { return stateOf(h.run.Snapshot(), "f1") == FaultActive })
	prov.ch <- providers.SystemEvent{At: time.Now(), Source: "CloudWatch alarm HighErrorRate", Kind: providers.EventDetected, Text: "alarm HighErrorRate is in ALARM", Stop: true}
	out := h.wait(t)
	if out.Verdict != VerdictAborted || !strings.HasPrefix(out.Reason, "stop condition: CloudWatch alarm HighErrorRate") {
		t.Errorf("outcome %s %q, want aborted by the alarm", out.Verdict, out.Reason)
	}
	if fake.isActive("f1") {
		t.Error("f1 still active")
	}
}
