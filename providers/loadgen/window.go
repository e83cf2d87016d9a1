package loadgen

import (
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/gameday-tui/gameday/providers"
)

// Category classifies the outcome of one request. The empty category means
// success (a final status below 300, or a 3xx with Config.AcceptRedirects).
type Category string

// The outcome categories. An error belongs to exactly one.
const (
	Success   Category = ""
	Status3xx Category = "3xx"     // the server answered 300–399: a redirect is not the answer asked for
	Status4xx Category = "4xx"     // the server answered 400–499
	Status5xx Category = "5xx"     // the server answered 500–599
	Timeout   Category = "timeout" // no full response within Config.Timeout
	Refused   Category = "refused" // the connection was refused (nothing listening)
	Reset     Category = "reset"   // the peer reset or closed the connection before a full response
	Dropped   Category = "dropped" // never sent: MaxInFlight requests were already in flight
	Other     Category = "other"   // anything else (DNS, malformed response, …)
)

// Categories lists the error categories in the order reports show them.
var Categories = []Category{Status3xx, Status4xx, Status5xx, Timeout, Refused, Reset, Dropped, Other}

// catIndex maps a category to its slot in the counters; Success is 0.
func catIndex(c Category) int {
	switch c {
	case Success:
		return 0
	case Status3xx:
		return 1
	case Status4xx:
		return 2
	case Status5xx:
		return 3
	case Timeout:
		return 4
	case Refused:
		return 5
	case Reset:
		return 6
	case Dropped:
		return 7
	default:
		return 8
	}
}

const numCats = 9

// Histogram range (providers.NewHist): latencies are recorded in
// microseconds from 1 µs to one hour with three significant digits (0.1 %
// resolution). Longer latencies are clamped to the top of the range.
const (
	histLowest  = providers.HistLowest
	histHighest = providers.HistHighest
)

func newHist() *hdrhistogram.Histogram { return providers.NewHist() }

func recordHist(h *hdrhistogram.Histogram, latency time.Duration) {
	us := int64(latency / time.Microsecond)
	us = min(max(us, histLowest), histHighest)
	_ = h.RecordValue(us) // in range by construction
}

func histDur(h *hdrhistogram.Histogram, q float64) time.Duration {
	if h.TotalCount() == 0 {
		return 0
	}
	return time.Duration(h.ValueAtQuantile(q)) * time.Microsecond
}

// Window is the metrics of one one-second window of a run.
//
// A response is binned by its completion time: it lands in the window in
// which it finished (or failed), with its latency measured from when it was
// scheduled. A dropped request lands in the window in which it was due.
// The latency percentiles cover every request that was sent, whatever its
// outcome (like vegeta's report); dropped requests were never sent and have
// no latency.
type Window struct {
	Start, End time.Time
	// Requests counts every request that completed, failed or was dropped
	// in the window; OK those that succeeded.
	Requests, OK int64
	// Errors counts the failed requests by category (no Success key).
	Errors map[Category]int64
	// P50, P95, P99 and Max are latency percentiles from an HDR histogram
	// of the window (zero when nothing was sent).
	P50, P95, P99, Max time.Duration
	// Throughput is successful responses per second over the window.
	Throughput float64
	// InFlight is the number of requests in flight when the window closed.
	InFlight int
	// Offered is the rate the generator actually offered in the window:
	// requests that fell due (sent or dropped) per second. It is below the
	// configured rate when the generator itself fell behind.
	Offered float64
	// Hist is the window's latency histogram, encoded (providers.EncodeHist),
	// so that percentiles over many windows come from every request.
	Hist string
}

// ErrorCount returns the number of failed requests in the window.
func (w Window) ErrorCount() int64 {
	var n int64
	for _, c := range w.Errors {
		n += c
	}
	return n
}

// ErrorRate returns the failed fraction of the window's requests (0 when
// there were none).
func (w Window) ErrorRate() float64 {
	if w.Requests == 0 {
		return 0
	}
	return float64(w.ErrorCount()) / float64(w.Requests)
}

// Sample converts the window to the engine's metric sample, stamped with the
// window's end. Running is -1 (unknown); Source fills it in.
func (w Window) Sample() providers.Sample {
	var by map[string]int64
	if len(w.Errors) > 0 {
		by = make(map[string]int64, len(w.Errors))
		for c, n := range w.Errors {
			by[string(c)] = n
		}
	}
	return providers.Sample{
		At:         w.End,
		Source:     providers.SourceLoadgen,
		Span:       w.End.Sub(w.Start),
		Offered:    w.Offered,
		Hist:       w.Hist,
		P50:        ms(w.P50),
		P95:        ms(w.P95),
		P99:        ms(w.P99),
		Requests:   w.Requests,
		Errors:     w.ErrorCount(),
		ErrorRate:  w.ErrorRate(),
		Throughput: w.Throughput,
		InFlight:   w.InFlight,
		Running:    -1,
		ErrorsBy:   by,
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// counts is what a window accumulates besides its histogram.
type counts struct {
	cats   [numCats]int64 // by catIndex; [0] is Success
	maxLat time.Duration  // exact, of the sent requests
}

func (c *counts) requests() int64 {
	var n int64
	for _, v := range c.cats {
		n += v
	}
	return n
}

// Recorder turns timestamped results into one-second windows kept in a
// bounded ring, plus whole-run totals for the summary. Time is always passed
// in (Record's at, Advance's now), never read, so the window math is tested
// without sleeping.
//
// Record is the hot path: it takes a mutex, bumps counters and records into
// a histogram that is reset and reused for every window — it does not
// allocate. Closing a window (once a second) computes the percentiles and
// allocates the window's small error map.
//
// A Recorder is safe for concurrent use.
type Recorder struct {
	// OnClose, if set, is called with each window as it closes, with the
	// Recorder's lock held: it must not block nor call back into the
	// Recorder. Set it before the first Record.
	OnClose func(Window)
	// InFlight, if set, is read when a window closes to fill
	// Window.InFlight.
	InFlight func() int
	// Offered, if set, returns how many requests have fallen due since
	// the start; a window's Offered rate is its increase over the window.
	Offered func() int64

	mu    sync.Mutex
	size  time.Duration
	start time.Time // start of the current window
	cur   counts
	hist  *hdrhistogram.Histogram // current window, reset when it closes

	ring  []Window // bounded; ring[head] is the oldest once full
	head  int
	count int

	offered  int64 // Offered() when the current window started
	total    counts
	totalH   *hdrhistogram.Histogram // whole run
	sumLat   time.Duration
	minLat   time.Duration
	codes    [600]int64 // status codes seen, whole run
	otherCds int64      // status codes outside 0–599
}

// NewRecorder returns a recorder whose first window starts at start, with
// windows of one second, keeping the last keep windows (at least 1).
func NewRecorder(start time.Time, keep int) *Recorder {
	return newRecorder(start, time.Second, keep)
}

func newRecorder(start time.Time, size time.Duration, keep int) *Recorder {
	keep = max(keep, 1)
	return &Recorder{
		size:   size,
		start:  start,
		hist:   newHist(),
		ring:   make([]Window, keep),
		totalH: newHist(),
		minLat: -1,
	}
}

// Record adds one result that finished at at, with its latency (measured
// from its scheduled time), its category and its HTTP status code (0 if
// none). Windows that end at or before at are closed first. A result stamped
// before the current window's start (a late report from a worker racing the
// ticker) is counted in the current window.
func (r *Recorder) Record(at time.Time, latency time.Duration, cat Category, code int) {
	r.mu.Lock()
	if !at.Before(r.start.Add(r.size)) {
		r.advanceLocked(at)
	}
	i := catIndex(cat)
	r.cur.cats[i]++
	r.total.cats[i]++
	if cat != Dropped {
		recordHist(r.hist, latency)
		recordHist(r.totalH, latency)
		r.sumLat += latency
		r.cur.maxLat = max(r.cur.maxLat, latency)
		r.total.maxLat = max(r.total.maxLat, latency)
		if r.minLat < 0 || latency < r.minLat {
			r.minLat = latency
		}
	}
	if code > 0 {
		if code < len(r.codes) {
			r.codes[code]++
		} else {
			r.otherCds++
		}
	}
	r.mu.Unlock()
}

// Advance closes every window that ends at or before now.
func (r *Recorder) Advance(now time.Time) {
	r.mu.Lock()
	r.advanceLocked(now)
	r.mu.Unlock()
}

// Flush closes the current window early, at now, if anything was recorded
// in it; the run is over. The partial window's throughput is computed over
// its real length.
func (r *Recorder) Flush(now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.advanceLocked(now)
	if r.cur.requests() == 0 || !now.After(r.start) {
		return
	}
	r.closeLocked(now)
}

func (r *Recorder) advanceLocked(now time.Time) {
	// After a long silence, skip the windows that would fall out of the ring
	// anyway: at most len(ring) windows are emitted.
	if gap := now.Sub(r.start) / r.size; gap > time.Duration(len(r.ring))+1 {
		skip := gap - time.Duration(len(r.ring)) - 1
		if r.cur.requests() > 0 {
			r.closeLocked(r.start.Add(r.size))
			skip--
		}
		r.start = r.start.Add(skip * r.size)
	}
	for end := r.start.Add(r.size); !now.Before(end); end = r.start.Add(r.size) {
		r.closeLocked(end)
	}
}

// closeLocked closes the current window at end and starts the next one
// there.
func (r *Recorder) closeLocked(end time.Time) {
	w := Window{
		Start:    r.start,
		End:      end,
		Requests: r.cur.requests(),
		OK:       r.cur.cats[0],
		P50:      histDur(r.hist, 50),
		P95:      histDur(r.hist, 95),
		P99:      histDur(r.hist, 99),
		Max:      r.cur.maxLat,
	}
	// The histogram reports the top of a value's 0.1 % bucket; never above
	// the exact maximum.
	w.P50, w.P95, w.P99 = min(w.P50, w.Max), min(w.P95, w.Max), min(w.P99, w.Max)
	for i, n := range r.cur.cats[1:] {
		if n > 0 {
			if w.Errors == nil {
				w.Errors = make(map[Category]int64, 2)
			}
			w.Errors[Categories[i]] += n
		}
	}
	if secs := end.Sub(r.start).Seconds(); secs > 0 {
		w.Throughput = float64(w.OK) / secs
	}
	if r.InFlight != nil {
		w.InFlight = r.InFlight()
	}
	if r.Offered != nil {
		now := r.Offered()
		if secs := end.Sub(r.start).Seconds(); secs > 0 {
			w.Offered = float64(now-r.offered) / secs
		}
		r.offered = now
	}
	w.Hist = providers.EncodeHist(r.hist)
	r.ring[(r.head+r.count)%len(r.ring)] = w
	if r.count < len(r.ring) {
		r.count++
	} else {
		r.head = (r.head + 1) % len(r.ring)
	}
	r.cur = counts{}
	r.hist.Reset()
	r.start = end
	if r.OnClose != nil {
		r.OnClose(w)
	}
}

// Windows returns a copy of the kept windows, oldest first.
func (r *Recorder) Windows() []Window {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Window, r.count)
	for i := range out {
		out[i] = r.ring[(r.head+i)%len(r.ring)]
	}
	return out
}

// totals is the whole-run view the summary is built from.
type totals struct {
	cats               [numCats]int64
	min, mean, max     time.Duration
	p50, p90, p95, p99 time.Duration
	codes              map[int]int64
	otherCodes         int64
	sent               int64
}

func (r *Recorder) totals() totals {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := totals{cats: r.total.cats, otherCodes: r.otherCds, codes: map[int]int64{}}
	t.sent = r.totalH.TotalCount()
	if t.sent > 0 {
		t.min = max(r.minLat, 0)
		t.mean = r.sumLat / time.Duration(t.sent)
		t.max = r.total.maxLat
		t.p50 = histDur(r.totalH, 50)
		t.p90 = histDur(r.totalH, 90)
		t.p95 = histDur(r.totalH, 95)
		t.p99 = histDur(r.totalH, 99)
		t.p50, t.p90, t.p95, t.p99 = min(t.p50, t.max), min(t.p90, t.max), min(t.p95, t.max), min(t.p99, t.max)
	}
	for c, n := range r.codes {
		if n > 0 {
			t.codes[c] = n
		}
	}
	return t
}
