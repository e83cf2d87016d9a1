package engine

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// fakeProvider records every call and can be told, per fault id, to fail,
// to block forever (ignoring its context), or to run a hook.
type fakeProvider struct {
	mu     sync.Mutex
	calls  []string
	ttls   map[string]time.Duration
	owners map[string]string              // Fault.Owner per Inject
	undone map[string]providers.Injection // last Injection per Rollback
	active map[string]bool
	// changes are each fault's activations and rollbacks with their
	// times, so a sample is judged by the state at its own timestamp.
	changes map[string][]stateChange
	targets map[string][]providers.Target
	// selections are the selections each fault was injected with, in
	// order (a ladder's steps).
	selections map[string][]providers.Selection

	injectErr     map[string]error
	injectBlock   map[string]bool
	rollbackBlock map[string]bool
	rollbackFails map[string]int // fail this many times, then succeed
	rollbackErr   map[string]error
	onInject      func(f providers.Fault)
	release       chan struct{} // closed at cleanup: frees blocked calls
}

var _ providers.Provider = (*fakeProvider)(nil)

func newFakeProvider(t *testing.T) *fakeProvider {
	p := &fakeProvider{
		ttls: map[string]time.Duration{}, owners: map[string]string{}, selections: map[string][]providers.Selection{}, undone: map[string]providers.Injection{}, active: map[string]bool{}, changes: map[string][]stateChange{}, targets: map[string][]providers.Target{},
		injectErr: map[string]error{}, injectBlock: map[string]bool{}, rollbackBlock: map[string]bool{},
		rollbackFails: map[string]int{}, rollbackErr: map[string]error{}, release: make(chan struct{}),
	}
	t.Cleanup(func() { close(p.release) })
	return p
}

func (p *fakeProvider) Name() string                 { return "fake" }
func (p *fakeProvider) Supports(providers.Kind) bool { return true }
func (p *fakeProvider) ManualRollback(inj providers.Injection) string {
	return "fakectl undo " + inj.FaultID
}

func (p *fakeProvider) Targets(_ context.Context, f providers.Fault) ([]providers.Target, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.targets[f.ID], nil
}

func (p *fakeProvider) Inject(ctx context.Context, f providers.Fault, ttl time.Duration) (providers.Injection, error) {
	p.mu.Lock()
	p.calls = append(p.calls, "inject "+f.ID)
	p.ttls[f.ID] = ttl
	p.owners[f.ID] = f.Owner
	p.selections[f.ID] = append(p.selections[f.ID], f.Selection)
	hook, block, err := p.onInject, p.injectBlock[f.ID], p.injectErr[f.ID]
	targets := p.targets[f.ID]
	p.mu.Unlock()
	if hook != nil {
		hook(f)
	}
	if block {
		<-p.release // ignores ctx on purpose: a hung API
	}
	inj := providers.Injection{FaultID: f.ID, Provider: "fake", Kind: f.Kind, Targets: targets, Handles: []string{"h-" + f.ID}, ExpiresAt: time.Now().Add(ttl)}
	if err != nil {
		return inj, err
	}
	p.mu.Lock()
	p.active[f.ID] = true
	p.changes[f.ID] = append(p.changes[f.ID], stateChange{time.Now(), true})
	p.mu.Unlock()
	return inj, nil
}

func (p *fakeProvider) Rollback(ctx context.Context, inj providers.Injection) error {
	if err := ctx.Err(); err != nil {
		return err // a real API call fails at once on a dead context
	}
	p.mu.Lock()
	p.calls = append(p.calls, "rollback "+inj.FaultID)
	p.undone[inj.FaultID] = inj
	block := p.rollbackBlock[inj.FaultID]
	err := p.rollbackErr[inj.FaultID]
	if p.rollbackFails[inj.FaultID] > 0 {
		p.rollbackFails[inj.FaultID]--
		err = fmt.Errorf("transient failure rolling back %s", inj.FaultID)
	}
	p.mu.Unlock()
	if block {
		<-p.release // ignores ctx on purpose
	}
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.active[inj.FaultID] = false
	p.changes[inj.FaultID] = append(p.changes[inj.FaultID], stateChange{time.Now(), false})
	p.mu.Unlock()
	return nil
}

func (p *fakeProvider) isActive(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.active[id]
}

// stateChange is a fault made active (on) or rolled back, and when.
type stateChange struct {
	at time.Time
	on bool
}

// activeAt says whether fault id was active at t. A source's sample is
// computed after its timestamp, and under -race on two cores that can be
// long after: a rollback in between must not make a sample stamped after
// it (so in recovery) look like the fault, nor an injection one stamped
// before it (so in baseline).
func (p *fakeProvider) activeAt(id string, t time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	on := false
	for _, c := range p.changes[id] {
		if c.at.After(t) {
			break
		}
		on = c.on
	}
	return on
}

func (p *fakeProvider) callList() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.calls...)
}

// count returns how many calls start with prefix ("inject", "rollback f1").
func (p *fakeProvider) count(prefix string) int {
	n := 0
	for _, c := range p.callList() {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

// verifyingProvider adds providers.Verifier.
type verifyingProvider struct {
	*fakeProvider
	dirty map[string]bool
	// cleanAfter: the fault stays dirty until it has been rolled back this
	// many times (something reappeared after the first rollback).
	cleanAfter map[string]int
}

var _ providers.Verifier = verifyingProvider{}

func (p verifyingProvider) Verify(_ context.Context, inj providers.Injection) (providers.Verification, error) {
	p.mu.Lock()
	p.calls = append(p.calls, "verify "+inj.FaultID)
	dirty := p.dirty[inj.FaultID]
	if n := p.cleanAfter[inj.FaultID]; n > 0 {
		rollbacks := 0
		for _, c := range p.calls {
			if c == "rollback "+inj.FaultID {
				rollbacks++
			}
		}
		dirty = dirty || rollbacks < n
	}
	p.mu.Unlock()
	if dirty {
		return providers.Verification{Clean: false, Details: []string{"hook " + inj.FaultID + " still installed"}}, nil
	}
	return providers.Verification{Clean: true, Details: []string{"no hooks left"}}, nil
}

// fakeMetrics emits one sample every interval of real time, stamped one
// second apart from a fixed start, with values from fn.
type fakeMetrics struct {
	interval time.Duration
	start    time.Time
	fn       func(i int) providers.Sample
}

// Info declares the fake's windows: a sample per interval, delivered at
// once.
func (m *fakeMetrics) Info() providers.SourceInfo {
	return providers.SourceInfo{Name: "fake", Resolution: m.interval, Lag: 5 * m.interval}
}

func (m *fakeMetrics) Samples(ctx context.Context) <-chan providers.Sample {
	ch := make(chan providers.Sample, 4)
	go func() {
		defer close(ch)
		t := time.NewTicker(m.interval)
		defer t.Stop()
		for i := 1; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			s := m.fn(i)
			if s.Hist == "" && s.Requests > 0 && (s.Source == "" || s.Source == providers.SourceLoadgen) {
				withLatency(&s)
			}
			// Stamped like a real source: the end of the window just
			// measured, in real time, so phases are judged by timestamp.
			if s.At.IsZero() {
				s.At = time.Now()
			}
			s.Span = m.interval
			select {
			case ch <- s:
			default: // a slow reader loses samples, as the contract says
			}
		}
	}()
	return ch
}

func healthy() providers.Sample {
	return providers.Sample{P50: 40, P95: 120, P99: 150, Requests: 1000, Errors: 0, ErrorRate: 0, Throughput: 100, Running: 4}
}

// metricsFor returns a source whose samples are healthy, or what bad says
// when bad is set and returns true.
func metricsFor(bad func(s *providers.Sample) bool) *fakeMetrics {
	return &fakeMetrics{interval: 10 * time.Millisecond, start: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC), fn: func(int) providers.Sample {
		s := healthy()
		s.At = time.Now() // before bad looks at the faults (activeAt)
		if bad != nil {
			bad(&s)
		}
		return s
	}}
}

// syncBuffer is a journal writer that tells written bytes from synced ones.
type syncBuffer struct {
	mu      sync.Mutex
	pending bytes.Buffer
	synced  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.pending.Write(p)
}

func (b *syncBuffer) Sync() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.synced.Write(b.pending.Bytes())
	b.pending.Reset()
	return nil
}

// Synced returns what has been synced so far.
func (b *syncBuffer) Synced() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.synced.Bytes())
}

func fp(v float64) *float64 { return &v }

func testPlan(faults ...scenarios.Fault) *scenarios.Plan {
	return &scenarios.Plan{
		Path:        "testdata/test.yaml",
		Title:       "Test plan",
		Hypothesis:  "The service keeps its error rate under 1%",
		BlastRadius: "one replica",
		Rollback:    "abort on errors",
		Target:      scenarios.Target{Provider: "fake"},
		SteadyState: map[scenarios.Metric]scenarios.Bound{
			scenarios.P95:        {Max: fp(200)},
			scenarios.ErrorRate:  {Max: fp(0.01)},
			scenarios.Throughput: {Min: fp(50)},
			scenarios.Running:    {Min: fp(2)},
		},
		Phases: scenarios.Phases{Baseline: 300 * time.Millisecond, Fault: 600 * time.Millisecond, Recovery: 300 * time.Millisecond},
		Faults: faults,
	}
}

func fault(id string, kind providers.Kind) scenarios.Fault {
	return scenarios.Fault{Fault: providers.Fault{ID: id, Kind: kind, Selection: providers.Selection{Count: 1}}}
}

type harness struct {
	run     *Run
	prov    *fakeProvider
	journal *syncBuffer
	cancel  context.CancelFunc
}

// start builds and starts a run; opts may adjust the options first.
func start(t *testing.T, plan *scenarios.Plan, prov providers.Provider, fake *fakeProvider, metrics providers.MetricSource, adjust ...func(*Options)) *harness {
	t.Helper()
	journal := &syncBuffer{}
	opts := Options{
		Plan: plan, Provider: prov, Metrics: metrics, Journal: journal,
		Env:              Environment{Version: "test"},
		CallTimeout:      2 * time.Second,
		RollbackDeadline: 5 * time.Second,
	}
	for _, a := range adjust {
		a(&opts)
	}
	r, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.Done():
		case <-time.After(20 * time.Second):
			t.Errorf("run did not end after the test")
		}
	})
	r.Start(ctx)
	return &harness{run: r, prov: fake, journal: journal, cancel: cancel}
}

// wait waits, with a generous deadline, for the run to end.
func (h *harness) wait(t *testing.T) Outcome {
	t.Helper()
	select {
	case <-h.run.Done():
	case <-time.After(20 * time.Second):
		t.Fatalf("run did not end within 20s; snapshot: %+v", h.run.Snapshot().Phase)
	}
	return h.run.Outcome()
}

// records reads the journal back.
func (h *harness) records(t *testing.T) []Record {
	t.Helper()
	recs, err := ReadJournal(bytes.NewReader(h.journal.Synced()))
	if err != nil {
		t.Fatalf("read journal: %v", err)
	}
	return recs
}

// waitFor polls cond with a deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func phasesOf(recs []Record) []string {
	var out []string
	for _, r := range recs {
		if r.Type == RecPhase {
			out = append(out, r.Phase)
		}
	}
	return out
}

func faultStates(recs []Record, id string) []string {
	var out []string
	for _, r := range recs {
		if r.Type == RecFault && r.Fault != nil && r.Fault.Fault.ID == id {
			out = append(out, r.Fault.State.String())
		}
	}
	return out
}

// findFault returns the index of the first fault record of id in state st.
func findFault(recs []Record, id string, st FaultState) int {
	for i, r := range recs {
		if r.Type == RecFault && r.Fault != nil && r.Fault.Fault.ID == id && r.Fault.State == st {
			return i
		}
	}
	return -1
}

func findPhase(recs []Record, p Phase) int {
	for i, r := range recs {
		if r.Type == RecPhase && r.Phase == p.String() {
			return i
		}
	}
	return -1
}

// latHist returns the encoded latency histogram of n requests whose
// percentiles are p50, p95 and p99 (ms): half at p50, 44 % half way to
// p95, 5 % at p95, 1 % at p99 — so its 95th percentile is p95.
func latHist(n int64, p50, p95, p99 float64) string {
	h := providers.NewHist()
	us := func(ms float64) int64 { return int64(ms * 1000) }
	p50, p99 = min(p50, p95), max(p99, p95)
	a := n * 50 / 100
	b := n * 44 / 100
	c := n * 5 / 100
	d := n - a - b - c
	_ = h.RecordValues(us(p50), a)
	_ = h.RecordValues(us((p50+p95)/2), b)
	_ = h.RecordValues(us(p95), c)
	_ = h.RecordValues(us(p99), d)
	return providers.EncodeHist(h)
}

// withLatency makes s a load-generator window whose latency histogram
// agrees with its percentiles.
func withLatency(s *providers.Sample) {
	s.Source = providers.SourceLoadgen
	s.Hist = latHist(s.Requests, s.P50, s.P95, s.P99)
}

// activeSelection returns the selection fault id is active with now (zero
// when it is not active).
func (p *fakeProvider) activeSelection(id string) providers.Selection {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.active[id] || len(p.selections[id]) == 0 {
		return providers.Selection{}
	}
	return p.selections[id][len(p.selections[id])-1]
}
