// Package prometheus is the Prometheus metric source: it reads what real
// traffic sees from a Prometheus server with PromQL, so a run can be
// judged on the service's own metrics (while k6 or the built-in load
// generator drives it, or under real users).
//
// Each interval the source evaluates one instant query per series — p95
// latency (histogram_quantile), error ratio, request rate, running count
// and any named series a scenario adds — at a moment far enough in the
// past that Prometheus has scraped it (the lag), and delivers one Sample
// stamped with Prometheus's timestamp of that moment. At start, one range
// query per series fills the graphs with the recent past. A query that
// fails or returns nothing leaves its series out of the sample (a gap,
// never a zero) and the source says why as a providers.SystemEvent.
//
// The package wraps the two calls it makes of client_golang's API client
// in API; NewAPI builds the real one (TLS, bearer token or basic auth).
package prometheus

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/gameday-tui/gameday/providers"
)

// Source delivers a scenario's Prometheus queries as samples. Its samples
// have Source "prometheus", At the moment Prometheus evaluated the
// queries at (a multiple of the interval), Span the interval, and Values
// by series name (providers.SeriesP95, …, and the named series).
type Source struct {
	api   API
	cfg   Config
	names []string
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error

	mu       sync.Mutex
	problems map[string]string // series → why it has a gap now
	warned   map[string]bool   // warnings already reported
	subs     map[chan providers.SystemEvent]struct{}
}

var (
	_ providers.MetricSource  = (*Source)(nil)
	_ providers.Described     = (*Source)(nil)
	_ providers.EventStreamer = (*Source)(nil)
)

// NewSource returns a source that runs c's queries through a.
func NewSource(a API, c Config) *Source {
	return &Source{
		api: a, cfg: c, names: c.Names(), now: time.Now, sleep: sleepCtx,
		problems: map[string]string{}, warned: map[string]bool{},
		subs: map[chan providers.SystemEvent]struct{}{},
	}
}

// Config returns the source's configuration, defaults filled in.
func (s *Source) Config() Config { return s.cfg }

// Info declares the source's timing. Resolution is the interval. Lag is
// how long after a phase ends the sample that covers its end may arrive:
// the data lag (Config.Lag: scrape and evaluation), plus one interval —
// samples sit on a grid of the interval, and the first point at or past
// the end of a phase may be up to one interval later — plus the query's
// own time (at most Config.Timeout).
func (s *Source) Info() providers.SourceInfo {
	return providers.SourceInfo{Name: SourceName, Resolution: s.cfg.Interval, Lag: s.cfg.Lag + s.cfg.Interval + s.cfg.Timeout}
}

// evalTime is the newest moment whose data is complete at now: now less
// the lag, on the interval's grid.
func (s *Source) evalTime(now time.Time) time.Time {
	return now.Add(-s.cfg.Lag).Truncate(s.cfg.Interval)
}

// Samples fills in the history first (one range query per series over
// Config.History, delivered oldest first), then evaluates every series
// once per interval, each moment as soon as its lag has passed, until ctx
// is done. A moment whose queries all fail or return nothing delivers no
// sample. When the source falls behind (answers slower than the
// interval), it skips to the newest moment: a gap, never a burst. A slow
// reader loses the oldest undelivered sample, never stalls the source.
func (s *Source) Samples(ctx context.Context) <-chan providers.Sample {
	out := make(chan providers.Sample, 16)
	go func() {
		defer close(out)
		next := s.evalTime(s.now())
		if s.cfg.History > 0 {
			for _, smp := range s.history(ctx, next.Add(-s.cfg.History), next) {
				select {
				case out <- smp: // no live sample waits yet: the history may take its time
				case <-ctx.Done():
					return
				}
			}
			next = next.Add(s.cfg.Interval)
		}
		for {
			if latest := s.evalTime(s.now()); latest.After(next) {
				next = latest
			}
			if s.sleep(ctx, next.Add(s.cfg.Lag).Sub(s.now())) != nil {
				return
			}
			if smp, ok := s.sampleAt(ctx, next); ok {
				deliver(out, smp)
			}
			next = next.Add(s.cfg.Interval)
		}
	}()
	return out
}

// deliver sends smp, dropping the oldest undelivered sample if the reader
// is behind.
func deliver(out chan providers.Sample, smp providers.Sample) {
	for range 2 {
		select {
		case out <- smp:
			return
		default:
		}
		select {
		case <-out:
		default:
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Reading is what one query returned at one moment: a value, or why there
// is none.
type Reading struct {
	Series string
	Query  string
	// At is Prometheus's timestamp of the value (zero when there is none).
	At    time.Time
	Value float64
	// Problem says why there is no value ("" when there is one): the query
	// failed, returned no series, several, or not a number.
	Problem  string
	Warnings []string
}

// OK reports whether r has a value.
func (r Reading) OK() bool { return r.Problem == "" }

// String renders r for a dry run: "p95_ms = 3.2" or "running: no data …".
func (r Reading) String() string {
	if !r.OK() {
		return r.Series + ": " + r.Problem
	}
	return r.Series + " = " + strconv.FormatFloat(r.Value, 'g', 6, 64)
}

// Read evaluates every series once at ts and returns what each returned,
// in the order of Config.Names. The queries run in parallel, each bounded
// by Config.Timeout.
func (s *Source) Read(ctx context.Context, ts time.Time) []Reading {
	out := make([]Reading, len(s.names))
	var wg sync.WaitGroup
	for i, name := range s.names {
		wg.Go(func() { out[i] = s.read(ctx, name, ts) })
	}
	wg.Wait()
	return out
}

func (s *Source) read(ctx context.Context, name string, ts time.Time) Reading {
	q := s.cfg.Queries[name]
	r := Reading{Series: name, Query: q}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	v, warns, _, err := s.api.Query(ctx, q, ts, v1.WithTimeout(s.cfg.Timeout))
	r.Warnings = warns
	if err != nil {
		r.Problem = "query failed: " + oneLine(err.Error())
		return r
	}
	r.Value, r.At, r.Problem = instant(v)
	return r
}

// instant reads the one value of an instant query's answer.
func instant(v model.Value) (float64, time.Time, string) {
	var val model.SampleValue
	var at model.Time
	switch v := v.(type) {
	case model.Vector:
		switch len(v) {
		case 0:
			return 0, time.Time{}, "no data: the query returned no series"
		case 1:
			val, at = v[0].Value, v[0].Timestamp
		default:
			return 0, time.Time{}, fmt.Sprintf("the query returned %d series (%s, …); it must return one: aggregate it with sum() or max()", len(v), v[0].Metric)
		}
	case *model.Scalar:
		val, at = v.Value, v.Timestamp
	case nil:
		return 0, time.Time{}, "no data: the query returned nothing"
	default:
		return 0, time.Time{}, fmt.Sprintf("the query returned a %s; it must return one instant value", v.Type())
	}
	f := float64(val)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, time.Time{}, fmt.Sprintf("not a number (%v): no requests in the window?", f)
	}
	return f, at.Time(), ""
}

// sampleAt evaluates every series at ts and returns the sample, false
// when no series had a value. It reports each series that starts or stops
// having a gap, and every new warning.
func (s *Source) sampleAt(ctx context.Context, ts time.Time) (providers.Sample, bool) {
	smp := providers.Sample{Source: SourceName, At: ts, Span: s.cfg.Interval, Running: -1, Values: map[string]float64{}}
	stamped := false
	for _, r := range s.Read(ctx, ts) {
		if ctx.Err() != nil {
			return smp, false // stopping: a cancelled query is no gap
		}
		s.warn(r.Series, r.Warnings)
		s.setProblem(r.Series, r.Problem)
		if !r.OK() {
			continue
		}
		smp.Values[r.Series] = r.Value
		if !stamped && !r.At.IsZero() {
			smp.At, stamped = r.At, true // Prometheus's own timestamp of the moment
		}
	}
	return smp, len(smp.Values) > 0
}

// history reads [from, to] with one range query per series and returns
// one sample per step that has any value, oldest first. A series whose
// range query fails is reported and left out.
func (s *Source) history(ctx context.Context, from, to time.Time) []providers.Sample {
	type answer struct {
		name string
		m    model.Matrix
		err  error
	}
	answers := make([]answer, len(s.names))
	var wg sync.WaitGroup
	for i, name := range s.names {
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, 2*s.cfg.Timeout)
			defer cancel()
			v, warns, _, err := s.api.QueryRange(cctx, s.cfg.Queries[name], v1.Range{Start: from, End: to, Step: s.cfg.Interval}, v1.WithTimeout(2*s.cfg.Timeout))
			s.warn(name, warns)
			a := answer{name: name, err: err}
			if err == nil {
				if m, ok := v.(model.Matrix); ok {
					a.m = m
				} else {
					a.err = fmt.Errorf("the range query returned a %s, not a matrix", v.Type())
				}
			}
			answers[i] = a
		})
	}
	wg.Wait()
	byTime := map[time.Time]map[string]float64{}
	for _, a := range answers {
		if ctx.Err() != nil {
			return nil
		}
		if a.err != nil {
			s.emit(providers.SystemEvent{At: s.now(), Source: SourceName, Kind: providers.EventInfo, Target: a.name,
				Text: fmt.Sprintf("%s: the history before the run could not be read: %s", a.name, oneLine(a.err.Error()))})
			continue
		}
		if len(a.m) != 1 {
			// Several series cannot be told apart, none is no data: both
			// leave the history of this series empty, as the live query
			// will say.
			continue
		}
		for _, p := range a.m[0].Values {
			f := float64(p.Value)
			if math.IsNaN(f) || math.IsInf(f, 0) {
				continue
			}
			t := p.Timestamp.Time()
			if byTime[t] == nil {
				byTime[t] = map[string]float64{}
			}
			byTime[t][a.name] = f
		}
	}
	times := make([]time.Time, 0, len(byTime))
	for t := range byTime {
		times = append(times, t)
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	out := make([]providers.Sample, 0, len(times))
	for _, t := range times {
		out = append(out, providers.Sample{Source: SourceName, At: t, Span: s.cfg.Interval, Running: -1, Values: byTime[t]})
	}
	return out
}

// setProblem records why series has a gap now ("" when it has a value)
// and reports a change: a new gap and its reason, another reason, or the
// end of a gap. A gap that goes on is reported once.
func (s *Source) setProblem(series, problem string) {
	s.mu.Lock()
	old := s.problems[series]
	if old == problem {
		s.mu.Unlock()
		return
	}
	if problem == "" {
		delete(s.problems, series)
	} else {
		s.problems[series] = problem
	}
	s.mu.Unlock()
	text := fmt.Sprintf("%s: %s; the graph has a gap until it answers", series, problem)
	if problem == "" {
		text = series + ": the query answers again"
	}
	s.emit(providers.SystemEvent{At: s.now(), Source: SourceName, Kind: providers.EventInfo, Target: series, Text: text})
}

func (s *Source) warn(series string, warnings []string) {
	for _, w := range warnings {
		s.mu.Lock()
		seen := s.warned[series+"\x00"+w]
		s.warned[series+"\x00"+w] = true
		s.mu.Unlock()
		if !seen {
			s.emit(providers.SystemEvent{At: s.now(), Source: SourceName, Kind: providers.EventInfo, Target: series, Text: series + ": Prometheus warns: " + oneLine(w)})
		}
	}
}

// Problems returns why each series has a gap now, by series name; empty
// when every series answers.
func (s *Source) Problems() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]string, len(s.problems))
	for k, v := range s.problems {
		out[k] = v
	}
	return out
}

// SystemEvents streams the source's own messages from now on until ctx is
// done, then closes the channel: a series that starts or stops having a
// gap and why, a warning from Prometheus, a history that could not be
// read. They are EventInfo events with Source "prometheus" and the series
// as Target. Like samples, events a slow reader cannot take are dropped.
func (s *Source) SystemEvents(ctx context.Context) <-chan providers.SystemEvent {
	ch := make(chan providers.SystemEvent, 32)
	s.mu.Lock()
	s.subs[ch] = struct{}{}
	s.mu.Unlock()
	go func() {
		<-ctx.Done()
		s.mu.Lock()
		delete(s.subs, ch)
		close(ch)
		s.mu.Unlock()
	}()
	return ch
}

func (s *Source) emit(ev providers.SystemEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ch := range s.subs {
		select {
		case ch <- ev:
		default:
		}
	}
}

// DryRun evaluates every series once at the newest moment whose data is
// complete and describes what each returned, one line per series with
// its query: what `gameday run --dry-run` prints.
func (s *Source) DryRun(ctx context.Context) []string {
	ts := s.evalTime(s.now())
	lines := []string{fmt.Sprintf("prometheus %s at %s (every %s, lag %s, rate window %s):",
		s.cfg.URL, ts.Local().Format("15:04:05"), s.cfg.Interval, s.cfg.Lag, model.Duration(s.cfg.RateWindow))}
	for _, r := range s.Read(ctx, ts) {
		line := "  " + r.String()
		if !r.OK() {
			line += " (a run shows a gap, never a zero)"
		}
		lines = append(lines, line, "      "+r.Query)
		for _, w := range r.Warnings {
			lines = append(lines, "      warning: "+oneLine(w))
		}
	}
	return lines
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
