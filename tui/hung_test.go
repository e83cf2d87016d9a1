package tui

import (
	"bytes"
	"context"
	"errors"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// hungProvider is a provider whose Rollback of one fault blocks forever,
// ignoring its context: a hung API. Every fault hits a target of its own,
// so their rollbacks are independent.
type hungProvider struct {
	hung    string
	release chan struct{} // closed at the test's end: frees the hung call
	mu      sync.Mutex
	active  map[string]bool
}

var _ providers.Provider = (*hungProvider)(nil)

func (p *hungProvider) Name() string                 { return "fake" }
func (p *hungProvider) Supports(providers.Kind) bool { return true }
func (p *hungProvider) ManualRollback(inj providers.Injection) string {
	return "fakectl undo " + inj.FaultID
}

func (p *hungProvider) Targets(_ context.Context, f providers.Fault) ([]providers.Target, error) {
	return []providers.Target{{ID: "target-" + f.ID, Name: "target-" + f.ID}}, nil
}

func (p *hungProvider) Inject(ctx context.Context, f providers.Fault, ttl time.Duration) (providers.Injection, error) {
	p.mu.Lock()
	p.active[f.ID] = true
	p.mu.Unlock()
	targets, _ := p.Targets(ctx, f)
	return providers.Injection{FaultID: f.ID, Provider: "fake", Kind: f.Kind, Targets: targets,
		Handles: []string{"h-" + f.ID}, Owner: f.Owner, ExpiresAt: time.Now().Add(ttl)}, nil
}

func (p *hungProvider) Rollback(_ context.Context, inj providers.Injection) error {
	if inj.FaultID == p.hung {
		<-p.release
		return errors.New("released at the end of the test")
	}
	p.mu.Lock()
	p.active[inj.FaultID] = false
	p.mu.Unlock()
	return nil
}

// steadyMetrics emits a healthy sample every 50 ms, stamped now.
type steadyMetrics struct{}

func (steadyMetrics) Samples(ctx context.Context) <-chan providers.Sample {
	ch := make(chan providers.Sample, 4)
	go func() {
		defer close(ch)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				s := providers.Sample{At: now, Span: 50 * time.Millisecond, P50: 40, P95: 120, P99: 150, Requests: 100, Throughput: 300, Running: 4}
				select {
				case ch <- s:
				default:
				}
			}
		}
	}()
	return ch
}

// lockedBuffer is a journal the test can read while the engine writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.b.Bytes())
}

// engineRun is a Run over a real engine.Run, as cmd's session is.
type engineRun struct {
	*engine.Run
	journal *lockedBuffer
}

func (r engineRun) Report() (string, error) {
	recs, err := engine.ReadJournal(bytes.NewReader(r.journal.Bytes()))
	if err != nil {
		return "", err
	}
	var b strings.Builder
	err = engine.WriteReport(&b, recs)
	return b.String(), err
}

func (r engineRun) SaveReport() (string, error) { return "", errors.New("not saved in tests") }

// recorder keeps every byte the program wrote, in order, while WaitFor
// reads through it.
type recorder struct {
	r   io.Reader
	mu  sync.Mutex
	all bytes.Buffer
}

func (rc *recorder) Read(p []byte) (int, error) {
	n, err := rc.r.Read(p)
	rc.mu.Lock()
	rc.all.Write(p[:n])
	rc.mu.Unlock()
	return n, err
}

func (rc *recorder) String() string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.all.String()
}

// headerClock finds the elapsed time the console's header shows.
var headerClock = regexp.MustCompile(`│ (T\+\d\d:\d\d)`)

// TestFlowAbortWithHungProvider is issue 5's hung-provider test, on the
// console over a real engine run: f2's rollback hangs forever. After
// abort, the console keeps refreshing (its clock moves on) while f2
// hangs, f1 and f3 show rolled back before f2 gives up, and f2 ends in
// ROLLBACK FAILED with the exact manual command at its deadline.
func TestFlowAbortWithHungProvider(t *testing.T) {
	prov := &hungProvider{hung: "f2", release: make(chan struct{}), active: map[string]bool{}}
	t.Cleanup(func() { close(prov.release) })
	plan := &scenarios.Plan{
		Path: "test.yaml", Title: "Hung provider", Hypothesis: "abort rolls back the others",
		Target:      scenarios.Target{Provider: "fake"},
		SteadyState: map[scenarios.Metric]scenarios.Bound{scenarios.Running: {Min: fp(1)}},
		Phases:      scenarios.Phases{Baseline: 300 * time.Millisecond, Fault: time.Minute, Recovery: time.Second},
	}
	for _, id := range []string{"f1", "f2", "f3"} {
		plan.Faults = append(plan.Faults, scenarios.Fault{Fault: providers.Fault{ID: id, Kind: providers.Latency,
			Params: providers.Params{Delay: 100 * time.Millisecond}}})
	}
	const deadline = 2 * time.Second
	runs := make(chan *engine.Run, 1)
	cfg := Config{
		Plans: []*scenarios.Plan{plan},
		Start: func(context.Context, *scenarios.Plan) (Run, error) {
			journal := &lockedBuffer{}
			r, err := engine.New(engine.Options{
				Plan: plan, Provider: prov, Metrics: steadyMetrics{}, Journal: journal,
				CallTimeout: 300 * time.Millisecond, RollbackDeadline: deadline,
			})
			if err != nil {
				return nil, err
			}
			r.Start(context.Background())
			runs <- r
			return engineRun{Run: r, journal: journal}, nil
		},
		Width: 100, Height: 40,
	}
	tm := teatest.NewTestModel(t, New(cfg), teatest.WithInitialTermSize(100, 40))
	t.Cleanup(func() { _ = tm.Quit() })
	out := &recorder{r: tm.Output()}
	teatest.WaitFor(t, out, contains("pick a scenario"), teatest.WithDuration(waitLong))
	tm.Send(keyMsg("enter"))
	run := recv(t, runs, "the engine run")
	t.Cleanup(func() {
		select {
		case <-run.Done():
		case <-time.After(20 * time.Second):
			t.Error("the engine run did not end")
		}
	})
	deadlineAt := time.Now().Add(20 * time.Second)
	for active := 0; active < 3; {
		if time.Now().After(deadlineAt) {
			t.Fatalf("the three faults never became active: %+v", run.Snapshot().Faults)
		}
		time.Sleep(10 * time.Millisecond)
		active = 0
		for _, f := range run.Snapshot().Faults {
			if f.State == engine.FaultActive {
				active++
			}
		}
	}
	teatest.WaitFor(t, out, contains("● ACTIVE"), teatest.WithDuration(waitLong))
	mark := len(out.String())

	tm.Send(keyMsg("ctrl+x"))
	teatest.WaitFor(t, out, contains("fakectl undo f2"), teatest.WithDuration(waitLong+deadline))
	<-run.Done()
	tm.Send(keyMsg("ctrl+c"))
	fm := finalModel(t, tm)

	// What the screen showed, from the abort on, in order.
	after := out.String()[mark:]
	failed := strings.Index(after, "ROLLBACK FAILED")
	if failed < 0 {
		t.Fatalf("the screen never showed f2's rollback failing:\n%s", after)
	}
	hanging := after[:failed]
	if !strings.Contains(hanging, "ABORT: rolling back every fault") {
		t.Errorf("no abort banner before f2 failed")
	}
	if !strings.Contains(hanging, "✔ rolled back") {
		t.Errorf("f1 and f3 were not shown rolled back while f2 hung")
	}
	clocks := map[string]bool{}
	for _, m := range headerClock.FindAllStringSubmatch(hanging, -1) {
		clocks[m[1]] = true
	}
	if len(clocks) < 2 {
		t.Errorf("the header clock did not move while f2 hung (saw %v): the console stopped refreshing", clocks)
	}

	snap := run.Snapshot()
	states := map[string]engine.FaultStatus{}
	for _, f := range snap.Faults {
		states[f.Fault.ID] = f
	}
	for _, id := range []string{"f1", "f3"} {
		if states[id].State != engine.FaultRolledBack {
			t.Errorf("%s = %s, want rolled back", id, states[id].State)
		}
	}
	if f2 := states["f2"]; f2.State != engine.FaultRollbackFailed || f2.Manual != "fakectl undo f2" {
		t.Errorf("f2 = %s, manual %q; want rollback failed with the manual command", f2.State, f2.Manual)
	}
	if o := run.Outcome(); o.Verdict != engine.VerdictRollbackFailed || !strings.Contains(o.Reason, "manual action needed: fakectl undo f2") {
		t.Errorf("outcome = %s %q, want rollback failed naming the manual command", o.Verdict, o.Reason)
	}
	// The engine gave up on f2 at its deadline, not later.
	var abortAt, failAt time.Time
	for _, r := range snap.Timeline {
		switch {
		case r.Type == engine.RecAbort:
			abortAt = r.At
		case r.Type == engine.RecFault && r.Fault != nil && r.Fault.Fault.ID == "f2" && r.Fault.State == engine.FaultRollbackFailed:
			failAt = r.At
		}
	}
	if d := failAt.Sub(abortAt); abortAt.IsZero() || d < deadline || d > deadline+5*time.Second {
		t.Errorf("f2 failed %s after the abort, want at its %s deadline", d, deadline)
	}
	if !fm.ended || !fm.Aborted() {
		t.Errorf("final model: ended %v, aborted %v", fm.ended, fm.Aborted())
	}
}
