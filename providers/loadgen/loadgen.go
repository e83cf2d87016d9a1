// Package loadgen is gameday's built-in HTTP load generator: an open model
// at a constant arrival rate (like k6's constant-arrival-rate executor and
// vegeta), whose results come in one-second windows.
//
// Open model: request n is scheduled at n/rate after the start and is sent
// then, whether or not earlier requests have returned — a slow server does
// not slow the arrivals, as it would a closed loop of clients. Latency is
// measured from the scheduled send time, not from when the request actually
// left (wrk2's correction for coordinated omission): if the generator or the
// server stalls, the requests that should have gone out during the stall
// carry the stall in their latency.
//
// Each response is binned into the one-second window in which it completed.
// A window has latency percentiles from an HDR histogram, success and error
// counts by category (HTTP 3xx/4xx/5xx, timeout, refused, reset, dropped,
// other), throughput and the in-flight count; the last Config.Keep windows
// are kept in a bounded ring.
//
// Concurrency is bounded by Config.MaxInFlight: a request that falls due
// while that many are already in flight is not sent but counted as
// "dropped", so the schedule never blocks.
//
// Rate 0 is the max mode (vegeta -rate=0): a closed loop of Config.Workers
// workers, each sending its next request as soon as the previous one
// returned, for measuring the most the target (or the generator) can do.
//
// Plain http URLs use a lean HTTP/1.1 keep-alive client (rawClient), and at
// a fixed rate the scheduler writes each request itself on a pooled
// connection (connPool); https URLs, or a caller-supplied Config.Client, use
// net/http with a worker per connection. docs/performance.md has the
// measurements behind these choices.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for the zero fields of Config.
const (
	DefaultTimeout     = 2 * time.Second
	DefaultWorkers     = 10
	DefaultMaxInFlight = 10000
	DefaultKeep        = 600
)

// Config configures a Generator.
type Config struct {
	// URL is the http or https URL every request GETs.
	URL string
	// Rate is requests per second; 0 selects the max mode (a closed loop
	// of Workers workers).
	Rate float64
	// Duration ends the run; 0 runs until Run's context is done.
	Duration time.Duration
	// Timeout bounds each request, from when it is sent (default 2s).
	Timeout time.Duration
	// Workers is the number of closed-loop workers in the max mode
	// (default 10); unused at a fixed rate.
	Workers int
	// MaxInFlight bounds the requests in flight at a fixed rate (default
	// 10000); a request due beyond it is counted as Dropped.
	MaxInFlight int
	// Keep is the number of one-second windows kept (default 600).
	Keep int
	// Client, if set, sends the requests through net/http instead of the
	// lean built-in client; it follows redirects by its own CheckRedirect.
	Client *http.Client
	// AcceptRedirects counts a 3xx answer as a success. By default it is
	// an error of category Status3xx: the generator does not follow
	// redirects, and a service that starts answering with one (to a login
	// or maintenance page) is not serving what it was asked.
	AcceptRedirects bool
	// OnWindow, if set, is called with each window as it closes. It must
	// not block (it runs on the recording path) nor call the Generator.
	OnWindow func(Window)
}

// Generator sends load as Config says. Create it with New, run it once with
// Run; SetRate, Rate, Windows and Subscribe are safe to call from any
// goroutine, before, during and after the run.
type Generator struct {
	cfg        Config
	window     time.Duration // one second; shorter in tests
	newRequest func() requester
	raw        *rawClient // set for plain http without Config.Client

	rate   atomic.Uint64 // math.Float64bits of the rate
	rateCh chan struct{} // signals SetRate to the scheduler; capacity 1

	started  atomic.Bool
	rec      atomic.Pointer[Recorder]
	inflight atomic.Int64
	due      atomic.Int64 // requests that have fallen due (sent or dropped)
	start    time.Time    // set by Run before any worker starts

	ticks   chan time.Duration // due times handed to idle workers
	workers int                // owned by the scheduler
	wg      sync.WaitGroup

	// others counts the texts of the errors of category Other (at most
	// maxOtherTexts distinct ones), so a summary can say what they were.
	othersMu sync.Mutex
	others   map[string]int64

	subsMu sync.Mutex
	subs   []subscriber
	nextID int
}

type subscriber struct {
	id int
	fn func(Window)
}

// New validates cfg and returns a Generator. The URL must be http or https
// with a host; Rate, Duration, Timeout, Workers, MaxInFlight and Keep must
// not be negative.
func New(cfg Config) (*Generator, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("load generator URL %q: %w", cfg.URL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("load generator URL %q: scheme must be http or https", cfg.URL)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("load generator URL %q: no host", cfg.URL)
	}
	switch {
	case cfg.Rate < 0 || math.IsNaN(cfg.Rate) || math.IsInf(cfg.Rate, 0):
		return nil, fmt.Errorf("load generator rate %v: must be a number >= 0 (0 = as fast as possible)", cfg.Rate)
	case cfg.Duration < 0:
		return nil, fmt.Errorf("load generator duration %v: must be >= 0 (0 = until stopped)", cfg.Duration)
	case cfg.Timeout < 0:
		return nil, fmt.Errorf("load generator timeout %v: must be > 0", cfg.Timeout)
	case cfg.Workers < 0:
		return nil, fmt.Errorf("load generator workers %d: must be > 0", cfg.Workers)
	case cfg.MaxInFlight < 0:
		return nil, fmt.Errorf("load generator max in-flight %d: must be > 0", cfg.MaxInFlight)
	case cfg.Keep < 0:
		return nil, fmt.Errorf("load generator windows kept %d: must be > 0", cfg.Keep)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Workers == 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.MaxInFlight == 0 {
		cfg.MaxInFlight = DefaultMaxInFlight
	}
	if cfg.Keep == 0 {
		cfg.Keep = DefaultKeep
	}
	g := &Generator{
		cfg:    cfg,
		window: time.Second,
		rateCh: make(chan struct{}, 1),
		ticks:  make(chan time.Duration),
	}
	if u.Scheme == "http" && cfg.Client == nil {
		g.raw = newRawClient(u)
		g.newRequest = g.raw.newRequester
	} else {
		g.newRequest = newStdClient(u, cfg.Client).newRequester
	}
	g.rate.Store(math.Float64bits(cfg.Rate))
	if cfg.OnWindow != nil {
		g.Subscribe(cfg.OnWindow)
	}
	return g, nil
}

// SetRate changes the arrival rate, effective at once, while running or
// before. The schedule is rebased so that hits after the change are spaced
// at the new rate without a burst (see Pacer.SetRate). A rate <= 0 pauses
// the arrivals until a positive rate is set. In the max mode (Config.Rate
// 0) the rate is recorded but the closed loop ignores it.
func (g *Generator) SetRate(rps float64) {
	if math.IsNaN(rps) || rps < 0 {
		rps = 0
	}
	g.rate.Store(math.Float64bits(rps))
	select {
	case g.rateCh <- struct{}{}:
	default: // a change is already pending; the scheduler reads the latest
	}
}

// Rate returns the current target rate in requests per second.
func (g *Generator) Rate() float64 { return math.Float64frombits(g.rate.Load()) }

// Windows returns a copy of the kept windows, oldest first (nil before
// Run).
func (g *Generator) Windows() []Window {
	if r := g.rec.Load(); r != nil {
		return r.Windows()
	}
	return nil
}

// InFlight returns the number of requests in flight now.
func (g *Generator) InFlight() int { return int(g.inflight.Load()) }

// Subscribe calls fn with each window as it closes, until cancel is called.
// Like Config.OnWindow, fn must not block nor call the Generator.
func (g *Generator) Subscribe(fn func(Window)) (cancel func()) {
	g.subsMu.Lock()
	defer g.subsMu.Unlock()
	g.nextID++
	id := g.nextID
	g.subs = append(g.subs, subscriber{id: id, fn: fn})
	return func() {
		g.subsMu.Lock()
		defer g.subsMu.Unlock()
		for i, s := range g.subs {
			if s.id == id {
				g.subs = append(g.subs[:i:i], g.subs[i+1:]...)
				return
			}
		}
	}
}

func (g *Generator) deliver(w Window) {
	g.subsMu.Lock()
	subs := g.subs
	g.subsMu.Unlock()
	for _, s := range subs {
		s.fn(w)
	}
}

// ErrAlreadyRun is returned by a second call of Run.
var ErrAlreadyRun = errors.New("load generator already run")

// Run sends the load and blocks until Duration has passed or ctx is done,
// then waits for the requests in flight (each ends by its Timeout) and
// returns the summary. A run ended by ctx before Duration returns its
// summary with Interrupted set and a nil error. Run may be called once.
func (g *Generator) Run(ctx context.Context) (Summary, error) {
	if !g.started.CompareAndSwap(false, true) {
		return Summary{}, ErrAlreadyRun
	}
	g.start = time.Now()
	rec := newRecorder(g.start, g.window, g.cfg.Keep)
	rec.InFlight = g.InFlight
	rec.Offered = g.due.Load
	rec.OnClose = g.deliver
	g.rec.Store(rec)

	tickDone := make(chan struct{})
	tickStopped := make(chan struct{})
	go func() {
		defer close(tickStopped)
		g.closeWindows(rec, tickDone)
	}()

	var attack time.Duration
	var scheduled int64
	if g.cfg.Rate > 0 {
		attack, scheduled = g.openLoop(ctx)
	} else {
		attack, scheduled = g.closedLoop(ctx)
	}
	g.wg.Wait()
	end := time.Now()
	close(tickDone)
	<-tickStopped
	rec.Flush(end)

	s := g.summarize(rec.totals(), scheduled, attack, end.Sub(g.start)-attack)
	s.Interrupted = ctx.Err() != nil && (g.cfg.Duration > 0 && attack < g.cfg.Duration)
	return s, nil
}

// closeWindows closes each window on its boundary, so windows close on time
// even when no result arrives to push them.
func (g *Generator) closeWindows(rec *Recorder, done <-chan struct{}) {
	t := time.NewTimer(g.window)
	defer t.Stop()
	for k := time.Duration(1); ; k++ {
		t.Reset(time.Until(g.start.Add(k * g.window)))
		select {
		case <-done:
			return
		case now := <-t.C:
			rec.Advance(now)
		}
	}
}

// Sleeps longer than coarseAbove go to a runtime timer (interruptible, but
// up to ~1 ms late); the last coarseSlack before a send is slept with a
// sleeper.
const (
	coarseAbove = 3 * time.Millisecond
	coarseSlack = 2 * time.Millisecond
)

// openLoop is the scheduler of the fixed-rate mode. It returns when the
// schedule ended (elapsed time) and how many requests were scheduled, after
// the requests in flight have finished.
func (g *Generator) openLoop(ctx context.Context) (time.Duration, int64) {
	dispatch := g.dispatch
	var pool *connPool
	if g.raw != nil {
		pool = newConnPool(g, g.raw)
		dispatch = func(due time.Duration) {
			if !pool.dispatch(due) {
				g.rec.Load().Record(time.Now(), 0, Dropped, 0)
			}
		}
	}
	attack, hits := g.schedule(ctx, dispatch)
	if pool != nil {
		pool.close()
	} else {
		close(g.ticks) // idle workers exit; busy ones after their request
	}
	return attack, hits
}

// schedule runs the pacer and calls dispatch for each request as it falls
// due, until the pacer stops or ctx is done. It returns the elapsed time
// then and the number of requests dispatched.
func (g *Generator) schedule(ctx context.Context, dispatch func(time.Duration)) (time.Duration, int64) {
	done := ctx.Done()
	p := NewPacer(g.Rate(), g.cfg.Duration)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	sl := newSleeper()
	defer sl.close()
	var hits uint64
	for {
		select {
		case <-done:
			return time.Since(g.start), int64(hits)
		case <-g.rateCh:
			p.SetRate(g.Rate(), time.Since(g.start), hits)
		default:
		}
		elapsed := time.Since(g.start)
		wait, stop := p.Pace(elapsed, hits)
		if stop {
			return elapsed, int64(hits)
		}
		if wait > 0 {
			if wait > coarseAbove {
				timer.Reset(wait - coarseSlack)
				select {
				case <-done:
					return time.Since(g.start), int64(hits)
				case <-g.rateCh:
					p.SetRate(g.Rate(), time.Since(g.start), hits)
				case <-timer.C:
				}
				continue
			}
			sl.sleep(wait)
			continue
		}
		g.due.Add(1)
		dispatch(p.Due(hits))
		hits++
	}
}

// dispatch is the fixed-rate path for net/http (https, or a Config.Client):
// it hands a request due at due to an idle worker, starts a new worker if
// none is idle and MaxInFlight allows, or else counts it dropped. Plain
// http goes through connPool instead.
func (g *Generator) dispatch(due time.Duration) {
	select {
	case g.ticks <- due:
		return
	default:
	}
	if g.workers < g.cfg.MaxInFlight {
		g.workers++
		g.wg.Add(1)
		go g.worker(due)
		return
	}
	g.rec.Load().Record(time.Now(), 0, Dropped, 0)
}

// worker sends the request due at first, then each one handed to it, until
// the scheduler closes ticks.
func (g *Generator) worker(first time.Duration) {
	defer g.wg.Done()
	rq := g.newRequest()
	defer rq.Close()
	rec := g.rec.Load()
	g.send(rq, rec, first)
	for due := range g.ticks {
		g.send(rq, rec, due)
	}
}

// send sends one request due at due (elapsed since the start) and records
// its outcome at its completion time, with its latency measured from due.
func (g *Generator) send(rq requester, rec *Recorder, due time.Duration) {
	g.inflight.Add(1)
	sent := time.Now()
	code, err := rq.Do(sent.Add(g.cfg.Timeout))
	done := time.Now()
	g.inflight.Add(-1)
	cat := g.classify(code, err)
	if cat == Other {
		g.noteOther(err)
	}
	rec.Record(done, done.Sub(g.start)-due, cat, code)
}

// classify is Classify with Config.AcceptRedirects applied.
func (g *Generator) classify(code int, err error) Category {
	c := Classify(code, err)
	if c == Status3xx && g.cfg.AcceptRedirects {
		return Success
	}
	return c
}

// closedLoop is the max mode: Workers workers each send their next request
// as soon as the previous one returned, until Duration or ctx. Latency is
// measured from each request's actual send time (there is no schedule).
func (g *Generator) closedLoop(ctx context.Context) (time.Duration, int64) {
	var stop atomic.Bool
	var count atomic.Int64
	rec := g.rec.Load()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if g.cfg.Duration > 0 {
		t := time.AfterFunc(g.cfg.Duration, cancel)
		defer t.Stop()
	}
	stopped := context.AfterFunc(ctx, func() { stop.Store(true) })
	defer stopped()
	for range g.cfg.Workers {
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			rq := g.newRequest()
			defer rq.Close()
			for !stop.Load() {
				count.Add(1)
				g.due.Add(1)
				g.send(rq, rec, time.Since(g.start))
			}
		}()
	}
	<-ctx.Done()
	attack := time.Since(g.start)
	g.wg.Wait() // each worker finishes its request in flight
	return attack, count.Load()
}

// maxOtherTexts bounds the distinct texts of "other" errors a run keeps.
const maxOtherTexts = 8

// noteOther counts the text of an error of category Other. It runs only
// for such errors (rare), never on the success path.
func (g *Generator) noteOther(err error) {
	if err == nil {
		return
	}
	text := err.Error()
	if len(text) > 200 {
		text = text[:200] + "…"
	}
	g.othersMu.Lock()
	defer g.othersMu.Unlock()
	if g.others == nil {
		g.others = map[string]int64{}
	}
	if _, ok := g.others[text]; ok || len(g.others) < maxOtherTexts {
		g.others[text]++
	}
}

// otherTexts returns a copy of the counted texts.
func (g *Generator) otherTexts() map[string]int64 {
	g.othersMu.Lock()
	defer g.othersMu.Unlock()
	if len(g.others) == 0 {
		return nil
	}
	out := make(map[string]int64, len(g.others))
	for k, v := range g.others {
		out[k] = v
	}
	return out
}
