package engine

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// The steady-state check groups: which part of the run a sample counts
// toward. They are the Check.Phase values.
const (
	GroupBaseline = "baseline"
	GroupFault    = "fault"
	GroupRecovery = "recovery"
)

// groups lists the check groups in run order.
var groups = []string{GroupBaseline, GroupFault, GroupRecovery}

// The ways a Check's Value is derived (Check.Method).
const (
	// MethodAllRequests: the percentile of every request of the group,
	// from the merged latency histograms of its windows.
	MethodAllRequests = "all requests"
	// MethodPerWindow: the source gives only a percentile per window
	// (Prometheus, CloudWatch), so the check holds when no more windows
	// are beyond the bound than the percentile allows (5 % for a p95);
	// Value is the worst window.
	MethodPerWindow = "per window"
	// MethodTotals: errors ÷ requests over the whole group.
	MethodTotals = "errors ÷ requests"
	// MethodMean: the mean of the windows (throughput; a rate without
	// counts).
	MethodMean = "mean"
	// MethodLowest and MethodHighest: the most extreme window (running
	// count; a named series bounded from one side).
	MethodLowest  = "lowest"
	MethodHighest = "highest"
)

// groupSpan is when a check group starts and, once closed, ends.
type groupSpan struct {
	from, to time.Time
	closed   bool
}

// groupData is what a group has gathered: its samples (without their
// histograms, which are merged as they come) and the merged latency
// histogram of every request they cover.
type groupData struct {
	samples []providers.Sample
	hist    *hdrhistogram.Histogram
	// histWindows counts the samples whose latency came with a histogram;
	// latWindows those that carried a p95 at all. The group's p95 comes
	// from the histogram only when the two are equal.
	histWindows, latWindows int
}

func (g *groupData) add(s providers.Sample) {
	if _, ok := s.Value(providers.SeriesP95); ok && carriesLatency(s) {
		g.latWindows++
		if s.Hist != "" {
			if h, err := providers.DecodeHist(s.Hist); err == nil {
				if g.hist == nil {
					g.hist = providers.NewHist()
				}
				g.hist.Merge(h)
				g.histWindows++
			}
		}
	}
	s.Hist = "" // merged; the journal keeps it
	g.samples = append(g.samples, s)
}

// carriesLatency reports whether s measured latency at all: a load
// generator window in which nothing was sent has a p95 of 0 that means
// nothing.
func carriesLatency(s providers.Sample) bool {
	if s.Source == "" || s.Source == providers.SourceLoadgen {
		return s.Requests-s.ErrorsBy["dropped"] > 0 || s.Hist != ""
	}
	return true
}

// sampleGroups assigns samples to the check groups by their own
// timestamps, never by when they arrived: a sample belongs to the group
// whose span holds the middle of its window (Sample.Mid), so a source that
// delivers late (a Prometheus scrape, a CloudWatch minute) is judged with
// the phase it measured.
//
// The spans come from the journal's records, in journal order, so the
// engine (live) and the report (replaying the journal) assign every sample
// alike:
//   - a group opens at the phase record that enters it: Baseline opens
//     baseline; the first of Injecting or Observing opens fault; Recovering
//     opens recovery. RollingBack keeps the fault group open: the time a
//     rollback takes is part of the fault's impact;
//   - a group closes at a RecClose record's Until (the engine journals one
//     when a timed phase ends, then waits for late samples before judging
//     it), or else when the next group opens, or at Done or Aborted.
//
// A sample from before the baseline, or between a closed group and the
// next (while the engine waits for late samples), counts toward no group;
// the journal and the graphs still have it.
type sampleGroups struct {
	spans map[string]*groupSpan
	data  map[string]*groupData
	open  string // the group open now, "" if none
}

func newSampleGroups() *sampleGroups {
	return &sampleGroups{spans: map[string]*groupSpan{}, data: map[string]*groupData{}}
}

// observe takes the next record of the journal.
func (g *sampleGroups) observe(rec Record) {
	switch rec.Type {
	case RecPhase:
		p, ok := ParsePhase(rec.Phase)
		if !ok {
			return
		}
		switch p {
		case Baseline:
			g.start(GroupBaseline, rec.At)
		case Injecting, Observing:
			g.start(GroupFault, rec.At)
		case Recovering:
			g.start(GroupRecovery, rec.At)
		case RollingBack, Ready:
		case Done, Aborted:
			g.closeOpen(rec.At)
		}
	case RecClose:
		if sp := g.spans[rec.Group]; sp != nil && !sp.closed {
			sp.to, sp.closed = rec.Until, true
			if g.open == rec.Group {
				g.open = ""
			}
		}
	case RecVerdict:
		g.closeOpen(rec.At)
	case RecSample:
		if rec.Sample != nil {
			if grp := g.groupOf(*rec.Sample); grp != "" {
				g.dataOf(grp).add(*rec.Sample)
			}
		}
	}
}

// start opens grp at t, closing the group open before it. A group is
// opened once: Injecting and Observing alternate within the fault phase.
func (g *sampleGroups) start(grp string, t time.Time) {
	if _, seen := g.spans[grp]; seen {
		return
	}
	g.closeOpen(t)
	g.spans[grp] = &groupSpan{from: t}
	g.open = grp
	g.dataOf(grp)
}

func (g *sampleGroups) closeOpen(t time.Time) {
	if g.open == "" {
		return
	}
	if sp := g.spans[g.open]; !sp.closed {
		sp.to, sp.closed = t, true
	}
	g.open = ""
}

func (g *sampleGroups) dataOf(grp string) *groupData {
	d := g.data[grp]
	if d == nil {
		d = &groupData{}
		g.data[grp] = d
	}
	return d
}

// groupOf returns the group whose span holds s's middle, "" if none.
func (g *sampleGroups) groupOf(s providers.Sample) string {
	mid := s.Mid()
	for _, grp := range groups {
		sp := g.spans[grp]
		if sp == nil || mid.Before(sp.from) {
			continue
		}
		if !sp.closed || mid.Before(sp.to) {
			return grp
		}
	}
	return ""
}

// reached reports whether grp was ever opened.
func (g *sampleGroups) reached(grp string) bool { return g.spans[grp] != nil }

// samples returns grp's samples, in arrival order.
func (g *sampleGroups) samples(grp string) []providers.Sample {
	if d := g.data[grp]; d != nil {
		return d.samples
	}
	return nil
}

// judge checks every steady-state bound of plan against one group's data:
// the one evaluation of the run, behind the console's live verdict, the
// engine's gate after the baseline, the final verdict and the report.
// Checks come in the order of the classic metrics, then the plan's named
// series sorted.
func judge(plan *scenarios.Plan, group string, d *groupData) []Check {
	if d == nil {
		d = &groupData{}
	}
	var checks []Check
	for _, m := range planMetrics(plan) {
		checks = append(checks, judgeMetric(plan, group, m, plan.SteadyState[m], d))
	}
	return checks
}

// planMetrics lists the metrics plan bounds: classic ones in display
// order, then the others sorted.
func planMetrics(plan *scenarios.Plan) []scenarios.Metric {
	var out, others []scenarios.Metric
	for _, m := range scenarios.Metrics {
		if _, ok := plan.SteadyState[m]; ok {
			out = append(out, m)
		}
	}
	for m := range plan.SteadyState {
		if !m.Classic() {
			others = append(others, m)
		}
	}
	slices.Sort(others)
	return append(out, others...)
}

// judgeMetric derives one check. Windows in breach and the worst window
// are counted for every metric, so the report can say "in breach for 14 of
// 30 s, worst 812 ms" whatever the method.
func judgeMetric(plan *scenarios.Plan, group string, m scenarios.Metric, b scenarios.Bound, d *groupData) Check {
	c := Check{Phase: group, Metric: m, Bound: b}
	var vals []float64
	var sumOffered float64
	nOffered := 0
	for _, s := range d.samples {
		v, ok := m.Value(s)
		if !ok || (m == scenarios.P95 && !carriesLatency(s)) {
			continue
		}
		vals = append(vals, v)
		if !b.Holds(v) {
			c.Breached++
		}
		if c.Samples == 0 || worse(b, v, c.Worst) {
			c.Worst, c.WorstAt = v, s.At
		}
		c.Samples++
		if s.Offered > 0 {
			sumOffered += s.Offered
			nOffered++
		}
	}
	if nOffered > 0 {
		c.Offered = sumOffered / float64(nOffered)
	}
	if c.Samples == 0 {
		return c // no data: does not hold
	}
	switch {
	case m == scenarios.P95 && d.hist != nil && d.histWindows == d.latWindows:
		c.Method = MethodAllRequests
		c.Value = float64(d.hist.ValueAtQuantile(95)) / 1000
		c.Holds = b.Holds(c.Value)
	case m == scenarios.P95:
		// Only per-window percentiles: a window beyond the bound has more
		// than 5 % of its requests beyond it. Allow as many such windows
		// as the percentile allows requests.
		c.Method = MethodPerWindow
		c.Value = c.Worst
		c.Holds = float64(c.Breached) <= 0.05*float64(c.Samples)
	case m == scenarios.ErrorRate:
		var req, errs int64
		counted := true
		for _, s := range d.samples {
			if _, ok := s.Values[providers.SeriesErrorRate]; ok || !(s.Source == "" || s.Source == providers.SourceLoadgen) {
				counted = false
				break
			}
			req += s.Requests
			errs += s.Errors
		}
		if counted && req > 0 {
			c.Method, c.Value = MethodTotals, float64(errs)/float64(req)
		} else {
			c.Method, c.Value = MethodMean, mean(vals)
		}
		c.Holds = b.Holds(c.Value)
	case m == scenarios.Throughput:
		c.Method, c.Value = MethodMean, mean(vals)
		c.Holds = b.Holds(c.Value)
		if !c.Holds && b.Min != nil && c.Offered > 0 && c.Offered < *b.Min {
			c.Note = fmt.Sprintf("the load generator offered only %s req/s, below the bound: gameday, not the system, fell short", formatNum(c.Offered))
		}
	case m == scenarios.Running:
		c.Method, c.Value = MethodLowest, slices.Min(vals)
		c.Holds = b.Holds(c.Value)
	default:
		// A named series: its most extreme window on the bounded side.
		hi, lo := slices.Max(vals), slices.Min(vals)
		switch {
		case b.Max != nil && hi > *b.Max, b.Min == nil:
			c.Method, c.Value = MethodHighest, hi
		default:
			c.Method, c.Value = MethodLowest, lo
		}
		c.Holds = b.Holds(c.Value)
	}
	return c
}

// worse reports whether v is further on the wrong side of b than w: higher
// for a maximum, lower for a minimum.
func worse(b scenarios.Bound, v, w float64) bool {
	if b.Max == nil && b.Min != nil {
		return v < w
	}
	return v > w
}

func mean(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	var sum float64
	for _, v := range vs {
		sum += v
	}
	return sum / float64(len(vs))
}

// evaluate returns the checks of every group the run reached. A group with
// no samples is checked (and fails for lack of data) only when complete is
// set and its phase was planned to last: an aborted or unfinished run is
// not blamed for a phase it never got to measure.
func evaluate(plan *scenarios.Plan, g *sampleGroups, complete bool) []Check {
	planned := map[string]time.Duration{
		GroupBaseline: plan.Phases.Baseline,
		GroupFault:    plan.Phases.Fault,
		GroupRecovery: plan.Phases.Recovery,
	}
	var checks []Check
	for _, grp := range groups {
		if len(g.samples(grp)) == 0 && !(complete && g.reached(grp) && planned[grp] > 0) {
			continue
		}
		checks = append(checks, judge(plan, grp, g.data[grp])...)
	}
	return checks
}

// Level says how a value stands against its bound, for colour and words.
type Level int

// The levels, from no data to breached.
const (
	LevelNone      Level = iota // no data
	LevelUnbounded              // watched, no bound
	LevelHolding
	LevelNear // holding, but within the plan's near margin of the bound
	LevelBreached
)

// LevelOf says how v stands against b under plan's near margin. For
// throughput with a known offered rate, "near" means the system served
// meaningfully less than it was offered (below offered × (1 − margin))
// while still within the bound: a bound set just under the offered rate
// must not glow amber for a whole healthy run. For the others, near means
// within margin × bound of the bound.
func LevelOf(plan *scenarios.Plan, m scenarios.Metric, v, offered float64) Level {
	b := plan.SteadyState[m]
	switch {
	case math.IsNaN(v):
		return LevelNone
	case b.Min == nil && b.Max == nil:
		return LevelUnbounded
	case !b.Holds(v):
		return LevelBreached
	}
	margin := plan.Margin()
	if m == scenarios.Throughput && offered > 0 {
		if v < offered*(1-margin) {
			return LevelNear
		}
		return LevelHolding
	}
	if b.Max != nil && *b.Max > 0 && v >= *b.Max*(1-margin) {
		return LevelNear
	}
	if b.Min != nil && *b.Min > 0 && v <= *b.Min*(1+margin) {
		return LevelNear
	}
	return LevelHolding
}

// breaches returns what one sample breaches of plan's steady state, in
// metric order: "p95 612 ms > 200 ms". A series the sample does not carry
// breaches nothing. Stop conditions and the report's detection read single
// samples; verdicts read whole groups (judge).
func breaches(plan *scenarios.Plan, s providers.Sample) []string {
	var out []string
	for _, m := range planMetrics(plan) {
		b := plan.SteadyState[m]
		v, ok := m.Value(s)
		if !ok || (m == scenarios.P95 && !carriesLatency(s)) {
			continue
		}
		if !b.Holds(v) {
			out = append(out, fmt.Sprintf("%s %s", metricLabel(m), breachText(m, v, b)))
		}
	}
	return out
}
