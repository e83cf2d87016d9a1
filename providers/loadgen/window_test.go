package loadgen

import (
	"math"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func within(got, want time.Duration, rel float64) bool {
	return math.Abs(float64(got-want)) <= rel*float64(want)
}

func TestRecorderPercentilesKnownInputs(t *testing.T) {
	t.Parallel()
	r := NewRecorder(t0, 10)
	// 1 ms … 1000 ms, one each, all completing in the first second.
	for i := 1; i <= 1000; i++ {
		r.Record(t0.Add(time.Duration(i)*time.Microsecond*900), time.Duration(i)*time.Millisecond, Success, 200)
	}
	r.Advance(t0.Add(time.Second))
	ws := r.Windows()
	if len(ws) != 1 {
		t.Fatalf("%d windows, want 1", len(ws))
	}
	w := ws[0]
	for name, c := range map[string]struct{ got, want time.Duration }{
		"p50": {w.P50, 500 * time.Millisecond},
		"p95": {w.P95, 950 * time.Millisecond},
		"p99": {w.P99, 990 * time.Millisecond},
	} {
		if !within(c.got, c.want, 0.002) {
			t.Errorf("%s = %v, want %v ±0.2%%", name, c.got, c.want)
		}
	}
	if w.Max != time.Second {
		t.Errorf("max = %v, want exactly 1s", w.Max)
	}
	if w.Requests != 1000 || w.OK != 1000 || w.Throughput != 1000 {
		t.Errorf("requests %d ok %d throughput %v, want 1000 each", w.Requests, w.OK, w.Throughput)
	}
	if !w.Start.Equal(t0) || !w.End.Equal(t0.Add(time.Second)) {
		t.Errorf("window [%v, %v), want [t0, t0+1s)", w.Start, w.End)
	}
	// The whole-run totals agree.
	tot := r.totals()
	if !within(tot.p90, 900*time.Millisecond, 0.002) || tot.min != time.Millisecond || tot.max != time.Second {
		t.Errorf("totals p90 %v min %v max %v", tot.p90, tot.min, tot.max)
	}
	if tot.mean != 500500*time.Microsecond {
		t.Errorf("mean %v, want 500.5ms", tot.mean)
	}
}

func TestRecorderBinsByCompletionTime(t *testing.T) {
	t.Parallel()
	r := NewRecorder(t0, 10)
	r.Record(t0.Add(999*time.Millisecond), 5*time.Millisecond, Success, 200)
	r.Record(t0.Add(time.Second), 7*time.Millisecond, Status5xx, 503)
	r.Record(t0.Add(1500*time.Millisecond), 9*time.Millisecond, Timeout, 0)
	r.Advance(t0.Add(2 * time.Second))
	ws := r.Windows()
	if len(ws) != 2 {
		t.Fatalf("%d windows, want 2", len(ws))
	}
	if ws[0].Requests != 1 || ws[0].OK != 1 || ws[0].P50 != 5*time.Millisecond {
		t.Errorf("window 0 = %+v; want the one success at 999ms", ws[0])
	}
	if ws[1].Requests != 2 || ws[1].OK != 0 || ws[1].Errors[Status5xx] != 1 || ws[1].Errors[Timeout] != 1 {
		t.Errorf("window 1 = %+v; want the 5xx at 1s and the timeout at 1.5s", ws[1])
	}
	if got := ws[1].ErrorRate(); got != 1 {
		t.Errorf("error rate %v, want 1", got)
	}
	if got := ws[1].ErrorCount(); got != 2 {
		t.Errorf("error count %v, want 2", got)
	}
}

func TestRecorderCategoriesAndDropped(t *testing.T) {
	t.Parallel()
	r := NewRecorder(t0, 10)
	at := t0.Add(100 * time.Millisecond)
	for c, n := range map[Category]int{Success: 6, Status3xx: 9, Status4xx: 1, Status5xx: 2, Timeout: 3, Refused: 4, Reset: 5, Dropped: 7, Other: 8} {
		for range n {
			lat := 10 * time.Millisecond
			if c == Dropped {
				lat = 0
			}
			r.Record(at, lat, c, 0)
		}
	}
	r.Advance(t0.Add(time.Second))
	w := r.Windows()[0]
	if w.Requests != 45 || w.OK != 6 {
		t.Errorf("requests %d ok %d; want 45, 6", w.Requests, w.OK)
	}
	for c, n := range map[Category]int64{Status3xx: 9, Status4xx: 1, Status5xx: 2, Timeout: 3, Refused: 4, Reset: 5, Dropped: 7, Other: 8} {
		if w.Errors[c] != n {
			t.Errorf("errors[%s] = %d, want %d", c, w.Errors[c], n)
		}
	}
	if _, ok := w.Errors[Success]; ok {
		t.Errorf("success counted as an error")
	}
	if got, want := w.ErrorRate(), 39.0/45; math.Abs(got-want) > 1e-9 {
		t.Errorf("error rate %v, want %v", got, want)
	}
	// Dropped requests were never sent: no latency, so the 10 ms of the
	// 38 sent ones is every percentile.
	if w.P50 != 10*time.Millisecond || w.Max != 10*time.Millisecond {
		t.Errorf("p50 %v max %v, want 10ms (dropped excluded)", w.P50, w.Max)
	}
	s := w.Sample()
	if s.Running != -1 || s.Errors != 39 || s.ErrorsBy["dropped"] != 7 || s.ErrorsBy["3xx"] != 9 || s.P95 != 10 || !s.At.Equal(w.End) {
		t.Errorf("sample %+v", s)
	}
}

func TestRecorderRingIsBounded(t *testing.T) {
	t.Parallel()
	r := NewRecorder(t0, 5)
	for s := range 100 {
		at := t0.Add(time.Duration(s)*time.Second + 500*time.Millisecond)
		for range 10 {
			r.Record(at, time.Millisecond, Success, 200)
		}
	}
	r.Advance(t0.Add(100 * time.Second))
	ws := r.Windows()
	if len(ws) != 5 {
		t.Fatalf("%d windows kept, want 5", len(ws))
	}
	for i, w := range ws {
		if want := t0.Add(time.Duration(95+i) * time.Second); !w.Start.Equal(want) || w.Requests != 10 {
			t.Errorf("window %d starts %v with %d requests; want %v with 10", i, w.Start.Sub(t0), w.Requests, want.Sub(t0))
		}
	}
	if len(r.ring) != 5 || cap(r.ring) != 5 {
		t.Errorf("ring grew to len %d cap %d", len(r.ring), cap(r.ring))
	}
	if r.totals().cats[0] != 1000 {
		t.Errorf("totals lost requests: %d", r.totals().cats[0])
	}
}

func TestRecorderEmptyWindowsAndLongSilence(t *testing.T) {
	t.Parallel()
	r := NewRecorder(t0, 5)
	var closed []Window
	r.OnClose = func(w Window) { closed = append(closed, w) }
	r.Record(t0.Add(100*time.Millisecond), time.Millisecond, Success, 200)
	r.Advance(t0.Add(3 * time.Second))
	if len(closed) != 3 || closed[0].Requests != 1 || closed[1].Requests != 0 || closed[1].P95 != 0 {
		t.Fatalf("after 3s: %d windows %+v; want the request then two empty windows", len(closed), closed)
	}
	// An hour of silence emits at most a ring's worth of windows.
	closed = nil
	r.Advance(t0.Add(time.Hour))
	if len(closed) > 6 {
		t.Errorf("an hour of silence emitted %d windows", len(closed))
	}
	ws := r.Windows()
	if last := ws[len(ws)-1]; !last.End.Equal(t0.Add(time.Hour)) {
		t.Errorf("last window ends at %v, want 1h", last.End.Sub(t0))
	}
	for i := 1; i < len(ws); i++ {
		if !ws[i].Start.Equal(ws[i-1].End) {
			t.Errorf("windows %d and %d are not contiguous", i-1, i)
		}
	}
}

func TestRecorderLateRecordAndFlush(t *testing.T) {
	t.Parallel()
	r := NewRecorder(t0, 5)
	r.Advance(t0.Add(time.Second))
	// A worker stamped its result just before the ticker closed the
	// window; it lands in the current one rather than being lost.
	r.Record(t0.Add(999*time.Millisecond), time.Millisecond, Success, 200)
	r.Flush(t0.Add(1500 * time.Millisecond))
	ws := r.Windows()
	if len(ws) != 2 || ws[1].Requests != 1 {
		t.Fatalf("windows %+v; want the late record in the second", ws)
	}
	if !ws[1].End.Equal(t0.Add(1500*time.Millisecond)) || ws[1].Throughput != 2 {
		t.Errorf("flushed window ends %v with throughput %v; want 1.5s and 2/s", ws[1].End.Sub(t0), ws[1].Throughput)
	}
	// Flushing an empty window adds nothing.
	r.Flush(t0.Add(1600 * time.Millisecond))
	if n := len(r.Windows()); n != 2 {
		t.Errorf("empty flush added a window: %d", n)
	}
}

func TestRecorderRecordDoesNotAllocate(t *testing.T) {
	r := NewRecorder(t0, 5)
	at := t0.Add(10 * time.Millisecond)
	allocs := testing.AllocsPerRun(1000, func() {
		r.Record(at, 5*time.Millisecond, Success, 200)
	})
	if allocs != 0 {
		t.Errorf("Record allocates %v times per call", allocs)
	}
	// Closing a window reuses the histogram.
	h := r.hist
	r.Advance(t0.Add(time.Second))
	if r.hist != h || r.hist.TotalCount() != 0 {
		t.Errorf("window histogram was replaced or not reset")
	}
}

func BenchmarkRecorderRecord(b *testing.B) {
	r := NewRecorder(t0, 600)
	at := t0
	lat := 5 * time.Millisecond
	for b.Loop() {
		at = at.Add(10 * time.Microsecond) // 100,000 results a second
		lat += time.Microsecond
		if lat > 50*time.Millisecond {
			lat = 5 * time.Millisecond
		}
		r.Record(at, lat, Success, 200)
	}
}

func BenchmarkRecorderRecordParallel(b *testing.B) {
	r := NewRecorder(t0, 600)
	b.RunParallel(func(pb *testing.PB) {
		at := t0.Add(time.Millisecond)
		for pb.Next() {
			r.Record(at, 5*time.Millisecond, Success, 200)
		}
	})
}
