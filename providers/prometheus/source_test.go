package prometheus

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/gameday-tui/gameday/providers"
)

// fakeAPI answers queries from functions per query text, like Prometheus
// does: an instant query's samples are stamped with the time asked. It
// records every call; Verify fails the test for a stub never called.
type fakeAPI struct {
	t       *testing.T
	mu      sync.Mutex
	instant map[string]func(ts time.Time) (model.Value, error)
	ranged  map[string]func(r v1.Range) (model.Value, error)
	called  map[string]int
	asked   []time.Time // the ts of every instant query, in order
}

func newFakeAPI(t *testing.T) *fakeAPI {
	f := &fakeAPI{t: t, instant: map[string]func(time.Time) (model.Value, error){}, ranged: map[string]func(v1.Range) (model.Value, error){}, called: map[string]int{}}
	t.Cleanup(f.verify)
	return f
}

func (f *fakeAPI) verify() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for q := range f.instant {
		if f.called["i:"+q] == 0 {
			f.t.Errorf("instant query stub never used: %s", q)
		}
	}
	for q := range f.ranged {
		if f.called["r:"+q] == 0 {
			f.t.Errorf("range query stub never used: %s", q)
		}
	}
}

func (f *fakeAPI) Query(ctx context.Context, q string, ts time.Time, _ ...v1.Option) (model.Value, v1.Warnings, v1.Infos, error) {
	f.mu.Lock()
	fn := f.instant[q]
	f.called["i:"+q]++
	f.asked = append(f.asked, ts)
	f.mu.Unlock()
	if fn == nil {
		f.t.Errorf("unexpected instant query %s", q)
		return nil, nil, nil, errors.New("unexpected query")
	}
	v, err := fn(ts)
	return v, nil, nil, err
}

func (f *fakeAPI) QueryRange(ctx context.Context, q string, r v1.Range, _ ...v1.Option) (model.Value, v1.Warnings, v1.Infos, error) {
	f.mu.Lock()
	fn := f.ranged[q]
	f.called["r:"+q]++
	f.mu.Unlock()
	if fn == nil {
		f.t.Errorf("unexpected range query %s", q)
		return nil, nil, nil, errors.New("unexpected query")
	}
	v, err := fn(r)
	return v, nil, nil, err
}

func vec(v float64) func(time.Time) (model.Value, error) {
	return func(ts time.Time) (model.Value, error) {
		return model.Vector{{Metric: model.Metric{}, Value: model.SampleValue(v), Timestamp: model.TimeFromUnixNano(ts.UnixNano())}}, nil
	}
}

// gatedClock is a fake clock for Source: each sleep moves the clock by the
// time asked and then waits for the test to let it go on, so the test
// decides when the next moment is queried and no sample is dropped.
type gatedClock struct {
	mu   sync.Mutex
	now  time.Time
	gate chan struct{}
	// slept records every sleep asked for.
	slept []time.Duration
}

func (c *gatedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *gatedClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.slept = append(c.slept, d)
	if d > 0 {
		c.now = c.now.Add(d)
	}
	c.mu.Unlock()
	select {
	case <-c.gate:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func testSource(t *testing.T, api API, f providers.Fields, start time.Time) (*Source, *gatedClock) {
	t.Helper()
	base := providers.Fields{FieldURL: "http://127.0.0.1:9090", FieldScrapeInterval: "1s", FieldLag: "2s", FieldHistory: "0s"}
	for k, v := range f {
		base[k] = v
	}
	cfg, err := ConfigFrom(base)
	if err != nil {
		t.Fatal(err)
	}
	s := NewSource(api, cfg)
	clk := &gatedClock{now: start, gate: make(chan struct{})}
	s.now, s.sleep = clk.Now, clk.Sleep
	return s, clk
}

func next(t *testing.T, ch <-chan providers.Sample, clk *gatedClock) providers.Sample {
	t.Helper()
	select {
	case clk.gate <- struct{}{}:
	case <-time.After(10 * time.Second):
		t.Fatal("the source never slept")
	}
	select {
	case s := <-ch:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("no sample")
	}
	return providers.Sample{}
}

// TestSamplesTimestampsAndValues checks that samples carry the moment
// Prometheus evaluated (the lag before now, on the interval's grid), that
// it is queried only once the lag has passed, and the values by series.
func TestSamplesTimestampsAndValues(t *testing.T) {
	api := newFakeAPI(t)
	start := time.Date(2026, 3, 1, 10, 0, 5, 300e6, time.UTC)
	s, clk := testSource(t, api, providers.Fields{FieldQueries: map[string]any{"p95_ms": "p95", "error_rate": "err", "throughput_rps": "rps", "running": "up", "queue_depth": "q"}}, start)
	api.instant["p95"] = vec(12.5)
	api.instant["err"] = vec(0.01)
	api.instant["rps"] = vec(99)
	api.instant["up"] = vec(4)
	api.instant["q"] = vec(7)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := s.Samples(ctx)

	first := next(t, ch, clk)
	want := time.Date(2026, 3, 1, 10, 0, 3, 0, time.UTC) // 10:00:05.3 − 2 s lag, on the 1 s grid
	if !first.At.Equal(want) {
		t.Errorf("first sample At = %s, want %s", first.At, want)
	}
	if first.Source != SourceName || first.Span != time.Second || first.Running != -1 {
		t.Errorf("first sample = %+v", first)
	}
	wantV := map[string]float64{"p95_ms": 12.5, "error_rate": 0.01, "throughput_rps": 99, "running": 4, "queue_depth": 7}
	for k, v := range wantV {
		if got, ok := first.Value(k); !ok || got != v {
			t.Errorf("%s = %v, %t; want %v", k, got, ok, v)
		}
	}
	second := next(t, ch, clk)
	if !second.At.Equal(want.Add(time.Second)) {
		t.Errorf("second sample At = %s, want %s", second.At, want.Add(time.Second))
	}
	// The second moment (10:00:04) is queried when its lag has passed:
	// at 10:00:06, 0.7 s after the start.
	clk.mu.Lock()
	slept := clk.slept
	clk.mu.Unlock()
	if len(slept) < 2 || slept[1] != 700*time.Millisecond {
		t.Errorf("sleeps = %v, want the second to be 700ms (until 10:00:04 + 2s lag)", slept)
	}
	if in := s.Info(); in.Name != SourceName || in.Resolution != time.Second || in.Lag != 2*time.Second+time.Second+2*time.Second {
		t.Errorf("Info = %+v, want lag 2s + 1s interval + 2s timeout", in)
	}
}

// TestGapsAreNeverZeros checks that a failing, empty, NaN or
// many-series query leaves its series out of the sample, that each gap is
// reported once with its reason and its end once, and that the sample
// still carries the series that answered.
func TestGapsAreNeverZeros(t *testing.T) {
	api := newFakeAPI(t)
	s, clk := testSource(t, api, providers.Fields{FieldQueries: map[string]any{"p95_ms": "p95", "error_rate": "err", "throughput_rps": "rps", "running": "up"}}, time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	var mu sync.Mutex
	failing := true
	var answered atomic.Int32
	api.instant["p95"] = func(ts time.Time) (model.Value, error) {
		mu.Lock()
		f := failing
		mu.Unlock()
		defer answered.Add(1)
		if f {
			return nil, errors.New("server_error: bad_data: 1:12: parse error")
		}
		return vec(20)(ts)
	}
	api.instant["err"] = vec(math.NaN())
	api.instant["rps"] = func(time.Time) (model.Value, error) { return model.Vector{}, nil }
	api.instant["up"] = func(ts time.Time) (model.Value, error) {
		at := model.TimeFromUnixNano(ts.UnixNano())
		return model.Vector{{Metric: model.Metric{"instance": "a"}, Value: 1, Timestamp: at}, {Metric: model.Metric{"instance": "b"}, Value: 1, Timestamp: at}}, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := s.SystemEvents(ctx)
	ch := s.Samples(ctx)

	// Every series has a gap: no sample at all for this moment. Let one
	// more moment pass with p95 answering.
	select {
	case clk.gate <- struct{}{}:
	case <-time.After(10 * time.Second):
		t.Fatal("the source never slept")
	}
	for deadline := time.Now().Add(10 * time.Second); answered.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first moment was never queried")
		}
	}
	mu.Lock()
	failing = false
	mu.Unlock()
	smp := next(t, ch, clk)
	if v, ok := smp.Value("p95_ms"); !ok || v != 20 {
		t.Errorf("p95_ms = %v, %t; want 20", v, ok)
	}
	for _, k := range []string{"error_rate", "throughput_rps", "running"} {
		if v, ok := smp.Value(k); ok {
			t.Errorf("%s = %v: a query without a value must be a gap, not a number", k, v)
		}
	}
	// Another moment: the gaps go on, and are not reported again.
	next(t, ch, clk)
	cancel()
	var texts []string
	for ev := range events {
		if ev.Source != SourceName || ev.Kind != providers.EventInfo || ev.Target == "" {
			t.Errorf("event %+v", ev)
		}
		texts = append(texts, ev.Text)
	}
	want := []string{
		"p95_ms: query failed: server_error: bad_data: 1:12: parse error; the graph has a gap",
		"error_rate: not a number (NaN): no requests in the window?",
		"throughput_rps: no data: the query returned no series",
		`running: the query returned 2 series ({instance="a"}, …); it must return one`,
		"p95_ms: the query answers again",
	}
	for _, w := range want {
		n := 0
		for _, got := range texts {
			if strings.Contains(got, w) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d events say %q, want 1; events:\n  %s", n, w, strings.Join(texts, "\n  "))
		}
	}
	if len(texts) != len(want) {
		t.Errorf("%d events, want %d:\n  %s", len(texts), len(want), strings.Join(texts, "\n  "))
	}
	if p := s.Problems(); len(p) != 3 || p["p95_ms"] != "" {
		t.Errorf("Problems = %v", p)
	}
}

// TestHistoryFillsTheGraphs checks the range query at start: one sample
// per step with Prometheus's timestamps, oldest first, from the history
// window up to the first live moment, and then live samples after it
// without a repeat.
func TestHistoryFillsTheGraphs(t *testing.T) {
	api := newFakeAPI(t)
	start := time.Date(2026, 3, 1, 10, 0, 10, 0, time.UTC)
	s, clk := testSource(t, api, providers.Fields{FieldHistory: "4s", FieldQueries: map[string]any{"p95_ms": "p95", "error_rate": "err", "throughput_rps": "", "running": ""}}, start)
	end := start.Add(-2 * time.Second)
	var asked v1.Range
	api.ranged["p95"] = func(r v1.Range) (model.Value, error) {
		asked = r
		var vals []model.SamplePair
		for t := r.Start; !t.After(r.End); t = t.Add(r.Step) {
			vals = append(vals, model.SamplePair{Timestamp: model.TimeFromUnixNano(t.UnixNano()), Value: model.SampleValue(t.Second())})
		}
		vals[1].Value = model.SampleValue(math.NaN()) // no requests then: a gap
		return model.Matrix{{Metric: model.Metric{}, Values: vals}}, nil
	}
	api.ranged["err"] = func(v1.Range) (model.Value, error) { return nil, errors.New("timeout") }
	api.instant["p95"] = vec(1)
	api.instant["err"] = vec(0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := s.SystemEvents(ctx)
	ch := s.Samples(ctx)
	var hist []providers.Sample
	for range 4 { // 10:00:04 … 10:00:08 less the NaN at :05
		select {
		case smp := <-ch:
			hist = append(hist, smp)
		case <-time.After(10 * time.Second):
			t.Fatalf("history: got %d samples", len(hist))
		}
	}
	if !asked.Start.Equal(end.Add(-4*time.Second)) || !asked.End.Equal(end) || asked.Step != time.Second {
		t.Errorf("range = %+v", asked)
	}
	wantSec := []int{4, 6, 7, 8}
	for i, smp := range hist {
		if smp.At.Second() != wantSec[i] || smp.Values["p95_ms"] != float64(wantSec[i]) || smp.Source != SourceName {
			t.Errorf("history[%d] = %+v, want At :%02d", i, smp, wantSec[i])
		}
		if _, ok := smp.Values["error_rate"]; ok {
			t.Errorf("history[%d] has an error rate though its range query failed", i)
		}
	}
	live := next(t, ch, clk)
	if !live.At.Equal(end.Add(time.Second)) {
		t.Errorf("first live sample At = %s, want %s (right after the history)", live.At, end.Add(time.Second))
	}
	select {
	case ev := <-events:
		if !strings.Contains(ev.Text, "error_rate: the history before the run could not be read: timeout") {
			t.Errorf("event = %+v", ev)
		}
	case <-time.After(10 * time.Second):
		t.Error("no event for the failed range query")
	}
}

// TestBehindSkipsToNow checks that a source that falls behind (a slow
// answer) skips to the newest moment instead of catching up in a burst.
func TestBehindSkipsToNow(t *testing.T) {
	api := newFakeAPI(t)
	start := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	s, clk := testSource(t, api, providers.Fields{FieldQueries: map[string]any{"p95_ms": "p95", "error_rate": "", "throughput_rps": "", "running": ""}}, start)
	api.instant["p95"] = func(ts time.Time) (model.Value, error) {
		clk.mu.Lock()
		clk.now = clk.now.Add(5 * time.Second) // a five-second answer
		clk.mu.Unlock()
		return vec(1)(ts)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := s.Samples(ctx)
	a := next(t, ch, clk)
	b := next(t, ch, clk)
	if d := b.At.Sub(a.At); d != 5*time.Second {
		t.Errorf("after a 5 s answer the next moment is %s later, want 5s (skipped to now)", d)
	}
}

func TestInstant(t *testing.T) {
	at := model.Time(1700000000000)
	cases := map[string]struct {
		v       model.Value
		want    float64
		problem string
	}{
		"vector":   {model.Vector{{Value: 3, Timestamp: at}}, 3, ""},
		"scalar":   {&model.Scalar{Value: 2, Timestamp: at}, 2, ""},
		"empty":    {model.Vector{}, 0, "no data"},
		"nil":      {nil, 0, "no data"},
		"inf":      {model.Vector{{Value: model.SampleValue(math.Inf(1)), Timestamp: at}}, 0, "not a number"},
		"matrix":   {model.Matrix{}, 0, "it must return one instant value"},
		"string":   {&model.String{Value: "x"}, 0, "it must return one instant value"},
		"two rows": {model.Vector{{Value: 1}, {Value: 2}}, 0, "returned 2 series"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			v, ts, problem := instant(tc.v)
			if !strings.Contains(problem, tc.problem) || (tc.problem == "") != (problem == "") {
				t.Errorf("problem = %q, want %q", problem, tc.problem)
			}
			if tc.problem == "" && (v != tc.want || !ts.Equal(at.Time())) {
				t.Errorf("= %v at %s, want %v at %s", v, ts, tc.want, at.Time())
			}
		})
	}
}

func TestDryRun(t *testing.T) {
	api := newFakeAPI(t)
	s, _ := testSource(t, api, providers.Fields{FieldQueries: map[string]any{"p95_ms": "p95", "error_rate": "err", "throughput_rps": "", "running": ""}}, time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	api.instant["p95"] = vec(3.25)
	api.instant["err"] = func(time.Time) (model.Value, error) { return model.Vector{}, nil }
	out := strings.Join(s.DryRun(context.Background()), "\n")
	for _, want := range []string{"prometheus http://127.0.0.1:9090", "p95_ms = 3.25", "\n      p95", "error_rate: no data", "a gap, never a zero", "\n      err"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out)
		}
	}
}
