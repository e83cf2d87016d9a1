package tui

import (
	"context"
	"errors"
	"math"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

func TestMain(m *testing.M) {
	// Deterministic output: no colour, whatever the terminal.
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Exit(m.Run())
}

// t0 is when every test run starts.
var t0 = time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC)

func fp(v float64) *float64 { return &v }

// latencyPlan is the fixture plan: two faults, all four bounds.
func latencyPlan() *scenarios.Plan {
	return &scenarios.Plan{
		Path:        "embedded:sandbox/latency.yaml",
		Title:       "Latency injection",
		Hypothesis:  "Adding 300 ms of latency to one replica keeps p95 under 500 ms and errors under 0.1 %",
		BlastRadius: "1 of the service's replicas",
		Rollback:    "remove the proxy delay; abort when errors exceed 5 % for 10 s",
		Target:      scenarios.Target{Provider: "sandbox"},
		Load:        &scenarios.Load{Rate: 300},
		SteadyState: map[scenarios.Metric]scenarios.Bound{
			scenarios.P95:        {Max: fp(500)},
			scenarios.ErrorRate:  {Max: fp(0.001)},
			scenarios.Throughput: {Min: fp(250)},
			scenarios.Running:    {Min: fp(3)},
		},
		Phases: scenarios.Phases{Baseline: 30 * time.Second, Fault: 2 * time.Minute, Recovery: time.Minute},
		Faults: []scenarios.Fault{
			{
				Fault: providers.Fault{ID: "f1", Kind: providers.Latency, Selection: providers.Selection{Count: 1},
					Params: providers.Params{Delay: 300 * time.Millisecond, Jitter: 50 * time.Millisecond}},
				Duration: time.Minute,
			},
			{
				Fault:  providers.Fault{ID: "f2", Kind: providers.InstanceStop, Selection: providers.Selection{Percent: 25}},
				Manual: true,
			},
		},
		StopConditions: []scenarios.StopCondition{{Metric: scenarios.ErrorRate, Above: fp(0.05), For: 10 * time.Second}},
	}
}

// japanesePlan has a CJK title, to check that text lines up.
func japanesePlan() *scenarios.Plan {
	p := latencyPlan()
	p.Path = "/home/ops/scenarios/db.yaml"
	p.Title = "データベース障害 (フェイルオーバー)"
	p.Hypothesis = "プライマリを停止してもエラー率は 0.1 % 未満に保たれる"
	p.Faults = p.Faults[:1]
	p.Faults[0].Kind = providers.DBFailure
	return p
}

func cpuPlan() *scenarios.Plan {
	p := latencyPlan()
	p.Path = "embedded:sandbox/cpu.yaml"
	p.Title = "CPU spike"
	p.Faults = []scenarios.Fault{{Fault: providers.Fault{ID: "f1", Kind: providers.CPUStress,
		Params: providers.Params{Workers: 2, Load: 90}}, StartAfter: 10 * time.Second}}
	return p
}

// samples returns n one-second samples from t0; p95 rises while a fault
// is active (from 31 s to 91 s) and the last one breaches when spike is set.
func samples(n int, spike bool) []providers.Sample {
	out := make([]providers.Sample, n)
	for i := range out {
		at := t0.Add(time.Duration(i+1) * time.Second)
		p95 := 120 + 15*math.Sin(float64(i)/5)
		if i >= 31 && i < 91 {
			p95 += 290
		}
		s := providers.Sample{
			At: at, P50: p95 / 2, P95: p95, P99: p95 * 1.2,
			Requests: 300, Errors: 0, ErrorRate: 0.0002 * float64(i%3),
			Throughput: 300 + 4*math.Cos(float64(i)/3), Running: 4,
		}
		out[i] = s
	}
	if spike && n > 0 {
		out[n-1].P95 = 612
	}
	return out
}

func phaseRec(seq int, at time.Time, p string) engine.Record {
	return engine.Record{Seq: seq, At: at, Type: engine.RecPhase, Phase: p}
}

// baselineSnap is 20 s into the baseline.
func baselineSnap(p *scenarios.Plan) engine.Snapshot {
	return engine.Snapshot{
		Plan: p, Phase: engine.Baseline, Started: t0, PhaseStarted: t0, PhaseEnds: t0.Add(30 * time.Second),
		Faults: []engine.FaultStatus{
			{Fault: p.Faults[0], State: engine.FaultPending},
			{Fault: p.Faults[1], State: engine.FaultPending},
		},
		Samples: samples(20, false),
		Timeline: []engine.Record{
			{Seq: 1, At: t0, Type: engine.RecPlan, Plan: p},
			phaseRec(2, t0, "baseline"),
		},
		Holding: true,
	}
}

// faultPhaseSnap is 40 s in, in the fault phase, before any fault.
func faultPhaseSnap(p *scenarios.Plan) engine.Snapshot {
	s := baselineSnap(p)
	s.Phase = engine.Injecting
	s.PhaseStarted = t0.Add(30 * time.Second)
	s.PhaseEnds = t0.Add(150 * time.Second)
	s.Samples = samples(40, false)
	s.Timeline = append(s.Timeline, phaseRec(3, t0.Add(30*time.Second), "injecting"))
	return s
}

// activeSnap is 75 s in, f1 active on replica-3, p95 just breached.
func activeSnap(p *scenarios.Plan) engine.Snapshot {
	s := baselineSnap(p)
	s.Phase = engine.Observing
	s.PhaseStarted = t0.Add(31 * time.Second)
	s.PhaseEnds = t0.Add(151 * time.Second)
	s.Samples = samples(75, true)
	f1 := engine.FaultStatus{Fault: p.Faults[0], State: engine.FaultActive,
		Targets:    []providers.Target{{ID: "r3", Name: "replica-3"}},
		InjectedAt: t0.Add(31 * time.Second), EndsAt: t0.Add(91 * time.Second)}
	s.Faults[0] = f1
	s.Holding = false
	s.Breaches = []string{"p95_ms 612 > 500"}
	req := f1
	req.State = engine.FaultRequested
	s.Timeline = append(s.Timeline,
		phaseRec(3, t0.Add(30*time.Second), "injecting"),
		engine.Record{Seq: 4, At: t0.Add(30 * time.Second), Type: engine.RecFault, Fault: &req},
		engine.Record{Seq: 5, At: t0.Add(31 * time.Second), Type: engine.RecFault, Fault: &f1},
		phaseRec(6, t0.Add(31*time.Second), "observing"),
		engine.Record{Seq: 7, At: t0.Add(62 * time.Second), Type: engine.RecNote,
			Note: &engine.Note{Kind: engine.Success, Text: "キャッシュのフォールバックが効いた"}},
	)
	return s
}

// abortedSnap is after an abort at 80 s: f1 rolled back and verified, f2
// (triggered by hand) could not be rolled back.
func abortedSnap(p *scenarios.Plan) engine.Snapshot {
	s := activeSnap(p)
	s.Phase = engine.Aborted
	s.PhaseStarted = t0.Add(82 * time.Second)
	s.PhaseEnds = time.Time{}
	s.Samples = samples(82, false)
	f1 := s.Faults[0]
	f1.State = engine.FaultRolledBack
	f1.Verification = &providers.Verification{Clean: true}
	f2 := engine.FaultStatus{Fault: p.Faults[1], State: engine.FaultRollbackFailed,
		Targets:    []providers.Target{{ID: "r1", Name: "replica-1"}},
		InjectedAt: t0.Add(70 * time.Second),
		Manual:     "gameday sandbox restart replica-1 --addr 127.0.0.1:7070",
		Err:        "supervisor did not answer within 10s"}
	s.Faults = []engine.FaultStatus{f1, f2}
	s.Holding = true
	s.Breaches = nil
	s.Outcome = &engine.Outcome{Verdict: engine.VerdictRollbackFailed, Reason: "f2 could not be rolled back"}
	f2active := f2
	f2active.State, f2active.Manual, f2active.Err = engine.FaultActive, "", ""
	s.Timeline = append(s.Timeline,
		engine.Record{Seq: 8, At: t0.Add(70 * time.Second), Type: engine.RecFault, Fault: &f2active},
		engine.Record{Seq: 9, At: t0.Add(80 * time.Second), Type: engine.RecAbort, Reason: "abort key (ctrl+x)"},
		phaseRec(10, t0.Add(80*time.Second), "rolling back"),
		engine.Record{Seq: 11, At: t0.Add(81 * time.Second), Type: engine.RecFault, Fault: &f1},
		engine.Record{Seq: 12, At: t0.Add(82 * time.Second), Type: engine.RecFault, Fault: &f2},
		phaseRec(13, t0.Add(82*time.Second), "aborted"),
		engine.Record{Seq: 14, At: t0.Add(82 * time.Second), Type: engine.RecVerdict, Outcome: s.Outcome},
	)
	return s
}

// fixtureReport is a report as the engine writes one: human units and
// plain metric names, a table wider than 80 columns, and Japanese without
// spaces (which glamour alone does not wrap).
const fixtureReport = `# Game day report: Latency injection

**Verdict: 🚨 ROLLBACK FAILED** — rollback not confirmed for f2 (instance-stop): manual action needed: ` + "`gameday sandbox restart replica-1 --addr 127.0.0.1:7070`" + `

## Steady state

| Metric | Threshold | Baseline | During fault | Recovery |
|---|---|---|---|---|
| p95 | ≤ 500 ms | 121 ms ✅ held | 612 ms ❌ breached (14 of 30 windows beyond, worst 812 ms) | — |
| error rate | ≤ 0.1% | 0.02% ✅ held | 0.02% ✅ held | — |

## Timeline

- T+00:30 f1 (latency) requested
- T+00:31 f1 (latency) active on replica-3
- T+01:20 ABORT: the facilitator pressed the abort key (ctrl+x)

## Notes

- ✅ キャッシュのフォールバックが効いたので、エラー率はほとんど上がらなかったが、レイテンシは倍増した。ダッシュボードの更新が約五秒遅れていた。
`

// fixtureLiveReport is the report of a journal whose run still lives:
// in progress, without a verdict, and no alarm for the fault that is
// active as planned.
const fixtureLiveReport = `# Game day report: Latency injection

**Verdict: ⏳ IN PROGRESS** — the run is in its fault phase (journal as of T+01:15)

## Steady state

| Metric | Threshold | Baseline | During fault | Recovery |
|---|---|---|---|---|
| p95 | ≤ 500 ms | 121 ms ✅ held | 612 ms ❌ breached so far | — |
| error rate | ≤ 0.1% | 0.02% ✅ held | 0.02% ✅ held so far | — |

## Timeline

- T+00:30 f1 (latency) requested
- T+00:31 f1 (latency) active on replica-3, until T+01:31
- T+01:02 ✅ success: キャッシュのフォールバックが効いた
`

// fakeRun is a Run whose state the test sets. It records every call.
type fakeRun struct {
	mu   sync.Mutex
	snap engine.Snapshot

	events    chan engine.Record
	done      chan struct{}
	doneOnce  sync.Once
	closeOnce sync.Once

	// finishOnAbort ends the run (rolled back) as soon as Abort is called.
	finishOnAbort bool

	injected  []string
	ladder    []string // "hold f1", "widen f1": HoldLadder and WidenNow calls
	ladderErr error    // what HoldLadder and WidenNow return
	aborts    []string // reasons of Abort and AbortNow calls
	nows      []string // reasons of AbortNow calls alone
	notes     []string
	noteErr   error

	injectCh chan string
	abortCh  chan string
	noteCh   chan string
}

// newFakeRun returns a fake in state s. When the test ends the run is
// finished and its event channel closed, so that no command of the
// program under test stays blocked on them.
func newFakeRun(tb testing.TB, s engine.Snapshot) *fakeRun {
	f := &fakeRun{
		snap:     s,
		events:   make(chan engine.Record, 16),
		done:     make(chan struct{}),
		injectCh: make(chan string, 16),
		abortCh:  make(chan string, 16),
		noteCh:   make(chan string, 16),
	}
	tb.Cleanup(func() {
		f.finish()
		f.closeOnce.Do(func() { close(f.events) })
	})
	return f
}

var _ Run = (*fakeRun)(nil)

func (f *fakeRun) Events() <-chan engine.Record { return f.events }
func (f *fakeRun) Done() <-chan struct{}        { return f.done }

// Snapshot returns a copy that later changes to the fake do not touch,
// as the engine's does.
func (f *fakeRun) Snapshot() engine.Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.snap
	s.Faults = slices.Clone(s.Faults)
	return s
}

func (f *fakeRun) Inject(id string) error {
	f.mu.Lock()
	f.injected = append(f.injected, id)
	for i := range f.snap.Faults {
		if f.snap.Faults[i].Fault.ID == id {
			f.snap.Faults[i].State = engine.FaultActive
			f.snap.Faults[i].InjectedAt = t0.Add(40 * time.Second)
		}
	}
	f.mu.Unlock()
	f.injectCh <- id
	return nil
}

// HoldLadder and WidenNow record the call and return ladderErr.
func (f *fakeRun) HoldLadder(id string) error { return f.ladderCall("hold " + id) }
func (f *fakeRun) WidenNow(id string) error   { return f.ladderCall("widen " + id) }

func (f *fakeRun) ladderCall(call string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ladder = append(f.ladder, call)
	return f.ladderErr
}

// ladderCalls returns the HoldLadder and WidenNow calls so far.
func (f *fakeRun) ladderCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.ladder...)
}

func (f *fakeRun) Abort(reason string) { f.abort(reason, false) }

// AbortNow is Abort without watching the recovery; the fake records it
// apart.
func (f *fakeRun) AbortNow(reason string) { f.abort(reason, true) }

func (f *fakeRun) abort(reason string, now bool) {
	f.mu.Lock()
	f.aborts = append(f.aborts, reason)
	if now {
		f.nows = append(f.nows, reason)
	}
	finish := f.finishOnAbort
	if finish {
		f.snap.Phase = engine.Aborted
		f.snap.Outcome = &engine.Outcome{Verdict: engine.VerdictAborted, Reason: reason}
		for i := range f.snap.Faults {
			if f.snap.Faults[i].State.MayBeActive() {
				f.snap.Faults[i].State = engine.FaultRolledBack
			}
		}
	} else {
		f.snap.Phase = engine.RollingBack
	}
	f.mu.Unlock()
	select {
	case f.abortCh <- reason:
	default:
	}
	if finish {
		f.finish()
	}
}

func (f *fakeRun) finish() { f.doneOnce.Do(func() { close(f.done) }) }

func (f *fakeRun) Note(text string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.noteErr != nil {
		return f.noteErr
	}
	f.notes = append(f.notes, text)
	select {
	case f.noteCh <- text:
	default:
	}
	return nil
}

// Report is the journal's report: while the run lives, the report of a
// live journal, as the engine writes it (in progress, no verdict).
func (f *fakeRun) Report() (string, error) {
	select {
	case <-f.done:
		return fixtureReport, nil
	default:
		return fixtureLiveReport, nil
	}
}

func (f *fakeRun) SaveReport() (string, error) {
	return "/tmp/gameday/latency-20250314-100000.md", nil
}

// abortedNow returns the reasons of the AbortNow calls.
func (f *fakeRun) abortedNow() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.nows...)
}

func (f *fakeRun) calls() (injected, aborts, notes []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.injected...), append([]string(nil), f.aborts...), append([]string(nil), f.notes...)
}

// testConfig is a Config over fixed plans, a fixed clock and a run that
// Start hands out.
func testConfig(run *fakeRun, w, h int, now time.Time) Config {
	plans := []*scenarios.Plan{latencyPlan(), cpuPlan(), japanesePlan()}
	return Config{
		Plans:      plans,
		PlanErrors: []error{errors.New(`/home/ops/scenarios/bad.yaml:7:3: steady_state.p95_ms: expected a mapping with min and/or max, got "fast"`)},
		Preview: func(_ context.Context, p *scenarios.Plan) ([]FaultPreview, error) {
			return []FaultPreview{{FaultID: "f1", Summary: "will delay 1 of 4 replicas: replica-3"}}, nil
		},
		Start: func(_ context.Context, p *scenarios.Plan) (Run, error) {
			if run == nil {
				return nil, errors.New("no run")
			}
			return run, nil
		},
		Width:  w,
		Height: h,
		Now:    func() time.Time { return now },
	}
}

// recv waits for a value on ch, failing the test after a generous deadline.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
	var zero T
	return zero
}

var errClosed = errors.New("journal closed")
