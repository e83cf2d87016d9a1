package engine

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// findings is everything the report and the JUnit output say about a run,
// derived from its journal alone: a pure function of the records (no clock,
// no map iteration order). Deriving happens here and nowhere else; the
// renderers (report.go, charts.go, junit.go) only word and draw what it
// holds (vegeta's Metrics.Close and its reporters).
//
// What the report says in sentences is held as phrases — a catalog key
// and structured arguments (values with their metric, times, user text) —
// never as English: the renderer words them in the language asked for.
type findings struct {
	plan    *scenarios.Plan
	env     *Environment
	records []Record
	start   time.Time // the first record
	end     time.Time // the verdict, or the last record of an unfinished run
	groups  *sampleGroups
	samples []providers.Sample // every sample, in journal order
	faults  []FaultStatus      // as of the last record
	phase   Phase              // as of the last record
	outcome *Outcome           // nil when the journal has no verdict
	checks  []Check            // the verdict's, or the checks so far
	// live says the run is still going (its journal is held by it): a
	// journal without a verdict is in progress, not unfinished, and its
	// active faults are active, not left behind.
	live bool
	// rejudged is this version's verdict over the same samples, set only
	// when the journal was judged by an older version (its checks carry
	// no Method) and the two disagree.
	rejudged *Outcome
	aborts   []string
	events   []Record // RecSystem records, in order
	// hit are the targets each fault actually hit, by fault id, from the
	// provider's answers (not the preview resolved before the run).
	hit map[string][]providers.Target
	// firstInject is when the first intent to inject was journaled;
	// lastRollback when the last rollback ended (confirmed or not). Zero
	// when there was none.
	firstInject  time.Time
	lastRollback time.Time
	// baselineRunning is the median running count of the baseline, -1 if
	// unknown.
	baselineRunning int
	// secondly says every sample covers one second (the built-in load):
	// the report then says "worst second" rather than "worst window".
	secondly bool

	detect  detection
	recover recovery
	goals   []goalLine
	trends  []trend
	health  []healthSpan
	scaling scaling
	// others are the system events that are neither health checks nor
	// recovery (a circuit breaker, a database, an alarm).
	others  []Record
	actions []actionItem
	// why is the verdict's reason; successes and improvements are what
	// the notes and the figures say went well and what to improve.
	why                     []phrase
	successes, improvements []phrase
	// steps are the ladder steps (progressive blast radius) as journaled:
	// each started, held or breached, in order.
	steps  []StepRecord
	stepAt []time.Time // when each of steps was journaled
	// errorKinds counts the failed requests of each group by kind, as the
	// samples' ErrorsBy say ("3xx", "timeout"); nil when none says.
	errorKinds map[string]map[string]int64
}

// detection is when the fault first showed, and how.
type detection struct {
	found bool
	// byMetrics: a sample showed it (a breach or a running-count drop),
	// not only the system's own reaction.
	byMetrics bool
	after     time.Duration // from the first injection
	at        time.Time
	// what says what showed it: a breach ("p95 240 ms > 200 ms"), a
	// running-count drop, or the system's own reaction.
	what phrase
	// reaction is the system's own first reaction after the injection
	// (a RecSystem "detected" event), if it reported one.
	reaction *providers.SystemEvent
}

// recoveryState says whether and how the system came back.
type recoveryState int

const (
	noRollback recoveryState = iota // nothing was rolled back
	noImpact                        // nothing showed, so nothing had to recover
	recovered
	notRecovered
	recoveryNoData
)

// recovery is when the system was back within bounds, measured from the
// detection.
type recovery struct {
	state recoveryState
	after time.Duration // from the anchor
	at    time.Time
}

// goalState is where a goal of the hypothesis stands.
type goalState int

const (
	goalMet goalState = iota
	goalNotMet
	goalNoData
)

// goalLine is one line of the summary: a steady-state bound, the value of
// the phase under test (the fault; the baseline when nothing got past
// it), and whether the goal was met there and in the recovery.
type goalLine struct {
	m     scenarios.Metric
	b     scenarios.Bound
	group string
	c     Check
	// rec is the recovery's check, when group is the fault and the
	// recovery was measured.
	rec   *Check
	state goalState
}

// trend is one watched metric over the run: its value per phase, when it
// first and last went beyond its bound after the first injection, when it
// came back, and its extreme.
type trend struct {
	m        scenarios.Metric
	b        scenarios.Bound
	phases   []Check
	firstOut time.Time
	lastOut  time.Time
	backIn   time.Time // zero when it never came back (or never left)
	outCount int       // samples beyond the bound after the first injection
	peak     extreme
}

// extreme is a metric's most extreme value and when it happened.
type extreme struct {
	m     scenarios.Metric
	v     float64
	at    time.Time
	group string
	ok    bool
}

// healthSpan is one instance a health check took out and, if it did, put
// back in. Either end may be missing.
type healthSpan struct {
	source, target string
	out, in        time.Time
}

// scaling is the recovery and scaling of the instances: the system's own
// restarts and replacements, and the running count.
type scaling struct {
	events []Record // system events of recovery sources, in order
	// restarts counts the "recovered" ones: instances brought back.
	restarts int
	watched  bool // the plan bounds the running count
	known    bool // samples carried the running count after the injection
	low      int
	lowAt    time.Time
	backAt   time.Time // zero when it never came back to the baseline
}

// actionItem is an improvement note as a task: its text, the owners named
// with a leading @, and a due date.
type actionItem struct {
	text   string
	owners []string
	due    string // YYYY-MM-DD, or ""
	at     time.Time
}

func derive(records []Record, live bool) (*findings, error) {
	if len(records) == 0 {
		return nil, fmt.Errorf("empty journal: no records")
	}
	if records[0].Type != RecPlan || records[0].Plan == nil {
		return nil, fmt.Errorf("journal does not start with the plan (first record is %q)", records[0].Type)
	}
	s := &findings{
		plan:            records[0].Plan,
		env:             records[0].Env,
		records:         records,
		start:           records[0].At,
		end:             records[len(records)-1].At,
		groups:          newSampleGroups(),
		baselineRunning: -1,
		hit:             map[string][]providers.Target{},
		secondly:        true,
	}
	if s.env == nil {
		s.env = &Environment{Provider: s.plan.Target.Provider}
	}
	prev := map[string]FaultState{}
	for _, rec := range records {
		s.groups.observe(rec)
		switch rec.Type {
		case RecSample:
			if rec.Sample != nil {
				smp := *rec.Sample
				smp.Hist = ""
				s.samples = append(s.samples, smp)
				s.secondly = s.secondly && smp.Window() <= time.Second
			}
		case RecFault, RecRecover:
			if rec.Fault == nil {
				break
			}
			id := rec.Fault.Fault.ID
			switch rec.Fault.State {
			case FaultInjecting:
				if s.firstInject.IsZero() {
					s.firstInject = rec.At
				}
			case FaultActive:
				s.hit[id] = mergeTargets(s.hit[id], rec.Fault.Targets)
			case FaultRolledBack, FaultRollbackFailed:
				if prev[id] == FaultRollingBack {
					s.lastRollback = rec.At
				}
			}
			prev[id] = rec.Fault.State
		case RecAbort:
			s.aborts = append(s.aborts, rec.Reason)
		case RecSystem:
			if rec.Event != nil {
				s.events = append(s.events, rec)
			}
		case RecStep:
			if rec.Step != nil {
				st := *rec.Step
				st.From = clampFrom(st.From, rec.At)
				s.steps = append(s.steps, st)
				s.stepAt = append(s.stepAt, rec.At)
			}
		case RecVerdict:
			if rec.Outcome != nil {
				o := *rec.Outcome
				s.outcome = &o
				// The run ends at its verdict; `gameday recover` may
				// append records much later.
				s.end = rec.At
			}
		}
	}
	// Only a journal without a verdict can be in progress.
	s.live = live && s.outcome == nil
	snap := Replay(records)
	s.faults, s.phase = snap.Faults, snap.Phase
	s.rejudge()
	// The running count counts (for detection and recovery) only when
	// the scenario watches it.
	var running []float64
	for _, smp := range s.groups.samples(GroupBaseline) {
		if !s.watched(scenarios.Running) {
			break
		}
		if v, ok := smp.Value(providers.SeriesRunning); ok {
			running = append(running, v)
		}
	}
	if len(running) > 0 {
		s.baselineRunning = int(math.Round(median(running)))
	}
	s.detect = s.findDetection()
	s.recover = s.findRecovery()
	s.goals = s.findGoals()
	s.trends = s.findTrends()
	s.sortEvents()
	s.scaling = s.findScaling()
	s.actions = s.findActions()
	s.why = s.verdictWhy()
	s.lessons()
	s.errorKinds = countErrorKinds(s.groups)
	return s, nil
}

// clampFrom keeps a step's start no later than its record.
func clampFrom(from, at time.Time) time.Time {
	if from.IsZero() || from.After(at) {
		return at
	}
	return from
}

// ladderBreaches says, for every ladder step that breached, which step
// of how many, its selection, after how long, what breached, and the
// widest step that held before it: the structured twin of the engine's
// reason.
func (s *findings) ladderBreaches() []phrase {
	var out []phrase
	for i, st := range s.steps {
		if st.What != StepBreached {
			continue
		}
		var bad []phrase
		for _, c := range st.Checks {
			if !c.Holds {
				bad = append(bad, breachOf(c))
			}
		}
		held := say("ladder.noneheld")
		if prev, ok := s.stepSelection(st.FaultID, st.Step-1); ok {
			held = say("ladder.widestheld", st.Step-1, selWord(prev))
		}
		out = append(out, say("ladder.breached", userText(st.FaultID), st.Step, st.Of, selWord(st.Selection), precise(s.stepAt[i].Sub(st.From)), list(bad), held))
	}
	return out
}

// ladderTops says, for every ladder whose widest step held, that it did.
func (s *findings) ladderTops() []phrase {
	var out []phrase
	for _, st := range s.steps {
		if st.What == StepHeld && st.Step == st.Of {
			out = append(out, say("ladder.top", userText(st.FaultID), st.Of, selWord(st.Selection)))
		}
	}
	return out
}

// stepSelection returns the selection of step n (1-based) of fault id's
// ladder, as planned.
func (s *findings) stepSelection(id string, n int) (providers.Selection, bool) {
	for _, f := range s.plan.Faults {
		if f.ID == id && f.Ladder != nil && n >= 1 && n <= len(f.Ladder.Steps) {
			return f.Ladder.Steps[n-1], true
		}
	}
	return providers.Selection{}, false
}

// countErrorKinds adds up the failed requests of each group by kind; nil
// when no sample of any group says by kind.
func countErrorKinds(g *sampleGroups) map[string]map[string]int64 {
	var out map[string]map[string]int64
	for _, grp := range groups {
		for _, smp := range g.samples(grp) {
			for kind, n := range smp.ErrorsBy {
				if n <= 0 {
					continue
				}
				if out == nil {
					out = map[string]map[string]int64{}
				}
				if out[grp] == nil {
					out[grp] = map[string]int64{}
				}
				out[grp][kind] += n
			}
		}
	}
	return out
}

// rejudge sets the checks the report shows: the verdict's own, and, for a
// journal judged by an older version of gameday (whose p95 was the median
// of the per-second p95s), this version's judgement of the same samples
// when it comes out otherwise (another verdict, or other checks failing),
// so the report never repeats a verdict its own data contradicts without
// saying so.
func (s *findings) rejudge() {
	if s.outcome == nil {
		s.checks = evaluate(s.plan, s.groups, false)
		return
	}
	s.checks = s.outcome.Checks
	old := false
	for _, c := range s.outcome.Checks {
		old = old || c.Method == ""
	}
	if !old || s.outcome.Verdict != VerdictHeld && s.outcome.Verdict != VerdictViolated {
		return
	}
	checks := evaluate(s.plan, s.groups, true)
	now := Outcome{Verdict: VerdictHeld, Reason: "steady state held during fault and recovery", Checks: checks}
	var bad []string
	for _, c := range checks {
		if c.Phase != GroupBaseline && !c.Holds {
			bad = append(bad, describeBreach(c))
		}
	}
	if len(bad) > 0 {
		now.Verdict, now.Reason = VerdictViolated, strings.Join(bad, "; ")
	}
	failing := func(cs []Check) []string {
		var out []string
		for _, c := range cs {
			if c.Phase != GroupBaseline && !c.Holds {
				out = append(out, c.Phase+"/"+string(c.Metric))
			}
		}
		slices.Sort(out)
		return out
	}
	if now.Verdict != s.outcome.Verdict || !slices.Equal(failing(checks), failing(s.outcome.Checks)) {
		s.rejudged = &now
		s.checks = checks
	}
}

// verdict returns the outcome the report stands by: this version's
// judgement when it differs from an older journal's, else the journal's
// (nil when there is none).
func (s *findings) verdict() *Outcome {
	if s.rejudged != nil {
		return s.rejudged
	}
	return s.outcome
}

func mergeTargets(have, more []providers.Target) []providers.Target {
	for _, t := range more {
		if !slices.ContainsFunc(have, func(h providers.Target) bool { return h.ID == t.ID }) {
			have = append(have, t)
		}
	}
	return have
}

// check returns the check of metric m in group, if there is one.
func (s *findings) check(group string, m scenarios.Metric) (Check, bool) {
	for _, c := range s.checks {
		if c.Phase == group && c.Metric == m {
			return c, true
		}
	}
	return Check{}, false
}

// watched reports whether the plan bounds m.
func (s *findings) watched(m scenarios.Metric) bool {
	_, ok := s.plan.SteadyState[m]
	return ok
}

// ok reports whether smp is within every bound it carries and, when the
// baseline running count is known, the running count is back to it.
func (s *findings) ok(smp providers.Sample) bool {
	if len(breaches(s.plan, smp)) > 0 {
		return false
	}
	r, known := smp.Value(providers.SeriesRunning)
	return s.baselineRunning < 0 || !known || int(r) >= s.baselineRunning
}

// sampleBreach returns what one sample breaches first, as a phrase.
func (s *findings) sampleBreach(smp providers.Sample) (phrase, bool) {
	for _, m := range planMetrics(s.plan) {
		b := s.plan.SteadyState[m]
		v, ok := m.Value(smp)
		if !ok || (m == scenarios.P95 && !carriesLatency(smp)) || b.Holds(v) {
			continue
		}
		return beyond(m, v, b), true
	}
	return phrase{}, false
}

// beyond says how v is beyond b: "p95 240 ms > 200 ms".
func beyond(m scenarios.Metric, v float64, b scenarios.Bound) phrase {
	if b.Max != nil && v > *b.Max {
		return say("beyond.max", metricWord(m), valueOf{m, v}, valueOf{m, *b.Max})
	}
	if b.Min != nil && v < *b.Min {
		return say("beyond.min", metricWord(m), valueOf{m, v}, valueOf{m, *b.Min})
	}
	return say("beyond.none", metricWord(m), valueOf{m, v})
}

// breachOf says why check c does not hold: "p95 365 ms > 200 ms during
// the fault", the structured twin of describeBreach.
func breachOf(c Check) phrase {
	m, g := c.Metric, groupWord(c.Phase)
	switch {
	case c.Samples == 0:
		return say("breach.nodata", metricWord(m), g)
	case c.Method == MethodPerWindow:
		return say("breach.windows", metricWord(m), valueOf{m, boundEdge(c.Bound)}, c.Breached, c.Samples, g, valueOf{m, c.Worst})
	}
	p := say("breach.value", beyond(m, c.Value, c.Bound), g)
	if m == scenarios.Throughput && c.Bound.Min != nil && c.Offered > 0 && c.Offered < *c.Bound.Min && !c.Holds {
		p = say("breach.offered", p, valueOf{m, c.Offered})
	}
	return p
}

// findDetection finds the first sample after the first injection that
// breaches a bound or shows fewer running instances than the baseline,
// and the system's own first reaction (a RecSystem "detected" event).
func (s *findings) findDetection() detection {
	var d detection
	if s.firstInject.IsZero() {
		return d
	}
	for _, ev := range s.events {
		if ev.Event.Kind == providers.EventDetected && !ev.Event.At.Before(s.firstInject) {
			e := *ev.Event
			d.reaction = &e
			break
		}
	}
	for _, smp := range s.samples {
		if smp.At.Before(s.firstInject) {
			continue
		}
		if b, ok := s.sampleBreach(smp); ok {
			d.found, d.byMetrics, d.after, d.at, d.what = true, true, smp.At.Sub(s.firstInject), smp.At, b
			return d
		}
		if r, ok := smp.Value(providers.SeriesRunning); ok && s.baselineRunning >= 0 && int(r) < s.baselineRunning {
			d.found, d.byMetrics, d.after, d.at = true, true, smp.At.Sub(s.firstInject), smp.At
			d.what = say("detect.running", int(r), s.baselineRunning)
			return d
		}
	}
	if e := d.reaction; e != nil {
		d.found, d.after, d.at = true, e.At.Sub(s.firstInject), e.At
		d.what = say("detect.system", userText(e.Source), userText(e.Text))
	}
	return d
}

// findRecovery finds the first sample from which every sample to the end
// of the run is within bounds with the running count restored, looking
// from the detection (the first breach or running-count drop after
// injection): a system that heals itself while the fault is still in place
// — a supervisor replacing a killed replica — recovers before the
// rollback, and that is the time a post-mortem wants. When no sample
// ever left its bounds there is nothing to recover from (noImpact).
func (s *findings) findRecovery() recovery {
	switch {
	case s.lastRollback.IsZero():
		return recovery{state: noRollback}
	case !s.detect.byMetrics:
		return recovery{state: noImpact}
	}
	anchor := s.firstInject.Add(s.detect.after)
	var after []providers.Sample
	for _, smp := range s.samples {
		if !smp.At.Before(anchor) {
			after = append(after, smp)
		}
	}
	if len(after) == 0 {
		return recovery{state: recoveryNoData}
	}
	k := len(after)
	for k > 0 && s.ok(after[k-1]) {
		k--
	}
	if k == len(after) {
		return recovery{state: notRecovered}
	}
	return recovery{state: recovered, after: max(after[k].At.Sub(anchor), 0), at: after[k].At}
}

// findGoals derives one summary line per bound of the plan.
func (s *findings) findGoals() []goalLine {
	group := GroupFault
	if !s.groups.reached(GroupFault) {
		group = GroupBaseline
	}
	var out []goalLine
	for _, m := range planMetrics(s.plan) {
		g := goalLine{m: m, b: s.plan.SteadyState[m], group: group}
		c, ok := s.check(group, m)
		g.c = c
		if r, rok := s.check(GroupRecovery, m); group == GroupFault && rok {
			g.rec = &r
		}
		switch {
		case !ok || c.Samples == 0:
			g.state = goalNoData
		case !c.Holds || g.rec != nil && g.rec.Samples > 0 && !g.rec.Holds:
			g.state = goalNotMet
		}
		out = append(out, g)
	}
	return out
}

// findTrends derives the trend of each watched classic metric but the
// running count (which the recovery section follows).
func (s *findings) findTrends() []trend {
	var out []trend
	for _, m := range []scenarios.Metric{scenarios.ErrorRate, scenarios.P95, scenarios.Throughput} {
		b, ok := s.plan.SteadyState[m]
		if !ok {
			continue
		}
		t := trend{m: m, b: b, peak: s.extremeOf(m, b.Max == nil && b.Min != nil)}
		for _, g := range groups {
			if c, ok := s.check(g, m); ok {
				t.phases = append(t.phases, c)
			}
		}
		if !s.firstInject.IsZero() {
			for _, smp := range s.samples {
				v, ok := m.Value(smp)
				if !ok || smp.At.Before(s.firstInject) || (m == scenarios.P95 && !carriesLatency(smp)) {
					continue
				}
				switch {
				case !b.Holds(v):
					if t.firstOut.IsZero() {
						t.firstOut = smp.At
					}
					t.lastOut, t.backIn = smp.At, time.Time{}
					t.outCount++
				case !t.lastOut.IsZero() && t.backIn.IsZero():
					t.backIn = smp.At
				}
			}
		}
		out = append(out, t)
	}
	return out
}

// extremeOf returns the peak (or lowest, when low) of metric m over the
// fault and recovery samples (the whole run when there are none).
func (s *findings) extremeOf(m scenarios.Metric, low bool) extreme {
	e := extreme{m: m}
	look := func(grp string, ss []providers.Sample) {
		for _, smp := range ss {
			v, ok := m.Value(smp)
			if !ok || (m == scenarios.P95 && !carriesLatency(smp)) {
				continue
			}
			if !e.ok || (low && v < e.v) || (!low && v > e.v) {
				e.v, e.at, e.group, e.ok = v, smp.At, grp, true
			}
		}
	}
	look(GroupFault, s.groups.samples(GroupFault))
	look(GroupRecovery, s.groups.samples(GroupRecovery))
	if !e.ok {
		look(GroupBaseline, s.groups.samples(GroupBaseline))
	}
	return e
}

// eventClass sorts a system event into the report's observation
// checklist.
type eventClass int

const (
	classOther eventClass = iota
	classHealth
	classRecovery
)

// classify sorts a system event by its source and words. Providers name
// their sources in words (providers.SystemEvent.Source), so this reads
// the words every shipped provider uses: the sandbox's load balancer and
// supervisor, Kubernetes' kubelet and controllers, ECS.
func classify(ev providers.SystemEvent) eventClass {
	src, text := strings.ToLower(ev.Source), strings.ToLower(ev.Text)
	for _, w := range []string{"load balancer", "health", "target group", "elb"} {
		if strings.Contains(src, w) {
			return classHealth
		}
	}
	for _, w := range []string{"health check", "probe", "unhealthy"} {
		if strings.Contains(text, w) {
			return classHealth
		}
	}
	for _, w := range []string{"supervisor", "scheduler", "autoscal", "scaling", "controller", "kubelet", "ecs", "replicaset", "deployment"} {
		if strings.Contains(src, w) {
			return classRecovery
		}
	}
	return classOther
}

// sortEvents sorts the system events into health-check spans, recovery
// events and the others.
func (s *findings) sortEvents() {
	open := map[[2]string]int{} // source and target → index in s.health
	for _, rec := range s.events {
		ev := rec.Event
		if ev.Kind == providers.EventGone {
			s.others = append(s.others, rec)
			continue
		}
		switch classify(*ev) {
		case classHealth:
			key := [2]string{ev.Source, ev.Target}
			switch ev.Kind {
			case providers.EventDetected:
				if _, ok := open[key]; !ok {
					open[key] = len(s.health)
					s.health = append(s.health, healthSpan{source: ev.Source, target: ev.Target, out: ev.At})
				}
			case providers.EventRecovered:
				if i, ok := open[key]; ok {
					s.health[i].in = ev.At
					delete(open, key)
				} else {
					s.health = append(s.health, healthSpan{source: ev.Source, target: ev.Target, in: ev.At})
				}
			default:
				s.others = append(s.others, rec)
			}
		case classRecovery:
			s.scaling.events = append(s.scaling.events, rec)
			if ev.Kind == providers.EventRecovered {
				s.scaling.restarts++
			}
		case classOther:
			s.others = append(s.others, rec)
		}
	}
}

// findScaling follows the running count after the first injection: its
// lowest and when it was back to the baseline's.
func (s *findings) findScaling() scaling {
	sc := s.scaling
	sc.watched = s.watched(scenarios.Running)
	if s.firstInject.IsZero() {
		return sc
	}
	for _, smp := range s.samples {
		r, ok := smp.Value(providers.SeriesRunning)
		if !ok || smp.At.Before(s.firstInject) {
			continue
		}
		n := int(math.Round(r))
		switch {
		case !sc.known || n < sc.low:
			sc.known, sc.low, sc.lowAt, sc.backAt = true, n, smp.At, time.Time{}
		case s.baselineRunning >= 0 && sc.low < s.baselineRunning && n >= s.baselineRunning && sc.backAt.IsZero():
			sc.backAt = smp.At
		}
	}
	return sc
}

// The tokens that lead an improvement note to make it an action item:
// "@sato 2026-12-15 raise the threshold".
var (
	ownerToken = regexp.MustCompile(`^@[\p{L}\p{N}][\p{L}\p{N}._-]*$`)
	dueToken   = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
)

// parseAction reads an improvement note's leading @owners and due date
// (YYYY-MM-DD, a real date), in any order; the rest is the task.
func parseAction(text string) actionItem {
	var a actionItem
	rest := strings.TrimSpace(text)
	for rest != "" {
		tok, after, _ := strings.Cut(rest, " ")
		switch {
		case ownerToken.MatchString(tok):
			a.owners = append(a.owners, tok)
		case a.due == "" && dueToken.MatchString(tok) && validDate(tok):
			a.due = tok
		default:
			a.text = rest
			return a
		}
		rest = strings.TrimSpace(after)
	}
	return a
}

func validDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

// findActions makes every improvement note an action item.
func (s *findings) findActions() []actionItem {
	var out []actionItem
	for _, rec := range s.records {
		if rec.Type != RecNote || rec.Note == nil || rec.Note.Kind != Improvement {
			continue
		}
		a := parseAction(rec.Note.Text)
		if a.text == "" {
			a.text = rec.Note.Text // only tokens: keep what was typed
		}
		a.at = rec.At
		out = append(out, a)
	}
	return out
}

// injected reports whether any fault was actually applied (or may have
// been).
func (s *findings) injected() bool {
	for _, f := range s.faults {
		switch f.State {
		case FaultPending, FaultSkipped, FaultInjectFailed, FaultDryRun:
		default:
			return true
		}
	}
	return false
}

// abortCause says why the run was aborted, from the first abort's reason:
// a stop condition is found again by replaying the samples (the one the
// engine fired, with the value that fired it); other reasons the engine
// and the console give are known by their words; anything else is quoted.
func (s *findings) abortCause() phrase {
	if len(s.aborts) == 0 {
		return say("abort.unknown")
	}
	reason := s.aborts[0]
	switch {
	case strings.HasPrefix(reason, "stop condition:"):
		if p, ok := s.firedStop(); ok {
			return p
		}
		// Not one of the plan's: a system event that stops the run (an
		// alarm in ALARM), as the engine words it.
		return say("abort.stopevent", userText(strings.TrimSpace(strings.TrimPrefix(reason, "stop condition:"))))
	case strings.HasPrefix(reason, "signal: "):
		return say("abort.signal", userText(strings.TrimPrefix(reason, "signal: ")))
	case strings.HasPrefix(reason, "journal: "):
		return say("abort.journal", userText(strings.TrimPrefix(reason, "journal: ")))
	case strings.HasPrefix(reason, "the target system is gone: "):
		return say("abort.gone", userText(strings.TrimPrefix(reason, "the target system is gone: ")))
	case strings.HasPrefix(reason, "abort key"):
		return say("abort.key", userText(strings.TrimSpace(strings.TrimPrefix(reason, "abort key"))))
	case reason == "interrupted (ctrl+c)":
		return say("abort.interrupted")
	case reason == "quit", reason == "console closed":
		return say("abort.quit")
	}
	return say("abort.other", userText(reason))
}

// firedStop replays the stop conditions over the samples up to the first
// abort, as the engine fed them, and returns the one that fired.
func (s *findings) firedStop() (phrase, bool) {
	watches := make([]*stopWatch, len(s.plan.StopConditions))
	for i, sc := range s.plan.StopConditions {
		watches[i] = &stopWatch{sc: sc}
	}
	for _, rec := range s.records {
		if rec.Type == RecAbort {
			break
		}
		if rec.Type != RecSample || rec.Sample == nil {
			continue
		}
		for _, w := range watches {
			if _, fire := w.add(*rec.Sample); fire {
				v, _ := w.sc.Metric.Value(*rec.Sample)
				return say("abort.stop", stopOf(w.sc), say("beyond.none", metricWord(w.sc.Metric), valueOf{w.sc.Metric, v}), moment(rec.Sample.At)), true
			}
		}
	}
	return phrase{}, false
}

// stopOf words a stop condition as the plan states it.
func stopOf(sc scenarios.StopCondition) phrase {
	var parts []phrase
	if sc.Above != nil {
		parts = append(parts, say("stop.above", valueOf{sc.Metric, *sc.Above}))
	}
	if sc.Below != nil {
		parts = append(parts, say("stop.below", valueOf{sc.Metric, *sc.Below}))
	}
	if sc.For <= 0 {
		return say("stop.now", metricWord(sc.Metric), orList(parts))
	}
	return say("stop.for", metricWord(sc.Metric), orList(parts), planned(sc.For))
}

// verdictWhy derives the verdict's reason from the checks, the faults and
// the aborts (never from the English the engine journaled).
func (s *findings) verdictWhy() []phrase {
	o := s.verdict()
	var why []phrase
	if s.env.DryRun {
		why = append(why, say("why.dryrun"))
	}
	failing := func(group func(string) bool) []phrase {
		var out []phrase
		for _, c := range s.checks {
			if group(c.Phase) && !c.Holds {
				out = append(out, breachOf(c))
			}
		}
		return out
	}
	switch {
	case o == nil && s.live:
		return append(why, say("why.live", phaseWord(s.phase), moment(s.end)))
	case o == nil:
		return append(why, say("why.unfinished", moment(s.end)))
	}
	switch o.Verdict {
	case VerdictHeld:
		why = append(why, say("why.held"))
		if !s.injected() && !s.env.DryRun {
			why = append(why, say("why.noinjection"))
		}
	case VerdictViolated:
		why = append(why, failing(func(g string) bool { return g != GroupBaseline })...)
		// A ladder that breached refutes the hypothesis for the planned
		// blast radius, even when the phase as a whole held.
		why = append(why, s.ladderBreaches()...)
	case VerdictNotSteady:
		why = append(why, say("why.notsteady", list(failing(func(g string) bool { return g == GroupBaseline }))))
	case VerdictAborted:
		why = append(why, say("why.aborted", s.abortCause()))
		var refuted []phrase
		for _, c := range s.checks {
			if c.Phase == GroupFault && !c.Holds && c.Samples > 0 {
				refuted = append(refuted, breachOf(c))
			}
		}
		if len(refuted) > 0 {
			why = append(why, say("why.refuted", list(refuted)))
		}
		if len(s.groups.samples(GroupRecovery)) > 0 {
			if back := failing(func(g string) bool { return g == GroupRecovery }); len(back) > 0 {
				why = append(why, say("why.notback", list(back)))
			} else {
				why = append(why, say("why.back"))
			}
		}
	case VerdictRollbackFailed:
		var left []phrase
		for _, f := range s.faults {
			if f.State.MayBeActive() {
				left = append(left, say("fault.ref", userText(f.Fault.ID), userText(f.Fault.Kind)))
			}
		}
		why = append(why, say("why.rollbackfailed", list(left)))
	default:
		why = append(why, say("why.other", userText(o.Reason)))
	}
	return why
}

// lessons derives Successes and Improvements: the notes marked as such,
// then what the verdict and the findings say.
func (s *findings) lessons() {
	var good, bad []phrase
	for _, rec := range s.records {
		if rec.Type != RecNote || rec.Note == nil {
			continue
		}
		lesson := func(text string) phrase {
			if a := rec.Note.Author; a != "" {
				return say("lesson.noteby", userText(text), moment(rec.At), userText(a))
			}
			return say("lesson.note", userText(text), moment(rec.At))
		}
		switch rec.Note.Kind {
		case Success:
			good = append(good, lesson(rec.Note.Text))
		case Improvement:
			text := parseAction(rec.Note.Text).text
			if text == "" {
				text = rec.Note.Text
			}
			bad = append(bad, lesson(text))
		case Observation:
		}
	}
	for _, m := range planMetrics(s.plan) {
		b := s.plan.SteadyState[m]
		held, worstOK := true, false
		var broke, values []phrase
		measured := 0
		var worst float64
		for _, g := range []string{GroupFault, GroupRecovery} {
			c, ok := s.check(g, m)
			if !ok {
				continue
			}
			measured++
			if !c.Holds {
				held = false
				broke = append(broke, breachOf(c))
			}
			if c.Samples > 0 {
				values = append(values, say("phase.value", groupWord(g), valueOf{m, c.Value}))
				if c.Method != "" && (!worstOK || worse(b, c.Worst, worst)) {
					worst, worstOK = c.Worst, true
				}
			}
		}
		switch {
		case measured == 0:
		case held && worstOK && m != scenarios.Running && !sameFigure(m, worst, values):
			// Say what the data shows, not only the bound, so no sentence
			// reads better than the table.
			good = append(good, say("lesson.held.worst", metricWord(m), goalOf{m, b}, commas(values), windowWord(s.secondly), valueOf{m, worst}))
		case held:
			good = append(good, say("lesson.held", metricWord(m), goalOf{m, b}, commas(values)))
		default:
			bad = append(bad, say("lesson.broke", list(broke), goalOf{m, b}))
		}
	}
	if s.outcome != nil && s.outcome.Verdict == VerdictNotSteady {
		var b []phrase
		for _, c := range s.checks {
			if c.Phase == GroupBaseline && !c.Holds {
				b = append(b, breachOf(c))
			}
		}
		bad = append(bad, say("lesson.notsteady", list(b)))
	}
	if d := s.detect; d.found {
		good = append(good, say("lesson.detected", measured(d.after), d.what))
	}
	switch r := s.recover; r.state {
	case recovered:
		if s.baselineRunning >= 0 {
			good = append(good, say("lesson.recovered.running", measured(r.after)))
		} else {
			good = append(good, say("lesson.recovered", measured(r.after)))
		}
	case notRecovered:
		if !s.live {
			bad = append(bad, say("lesson.notrecovered"))
		}
	case noRollback, noImpact, recoveryNoData:
	}
	good = append(good, s.ladderTops()...)
	bad = append(bad, s.ladderBreaches()...)
	if len(s.aborts) > 0 {
		bad = append(bad, say("lesson.aborted", s.abortCause()))
	}
	rolled, clean, allRolled := 0, true, true
	for _, f := range s.faults {
		allRolled = allRolled && !f.State.MayBeActive()
		switch {
		case f.State == FaultRolledBack:
			rolled++
			clean = clean && (f.Verification == nil || f.Verification.Clean)
		case f.State == FaultInjectFailed:
			bad = append(bad, say("lesson.injectfailed", say("fault.ref", userText(f.Fault.ID), userText(f.Fault.Kind)), userText(f.Err)))
		case f.State == FaultGone:
			bad = append(bad, say("lesson.gone", say("fault.ref", userText(f.Fault.ID), userText(f.Fault.Kind)), userText(f.Err)))
		case f.State.MayBeActive() && (!s.live || f.State == FaultRollbackFailed):
			bad = append(bad, say("lesson.unconfirmed", say("fault.ref", userText(f.Fault.ID), userText(f.Fault.Kind)), stateWord(f.State)))
		}
	}
	if rolled > 0 && allRolled && clean {
		good = append(good, say("lesson.allrolled", rolled))
	}
	s.successes, s.improvements = good, bad
}

// sameFigure reports whether worst is what every phase's value already
// says (0% all along): then "worst 0%" says nothing more.
func sameFigure(m scenarios.Metric, worst float64, values []phrase) bool {
	for _, v := range values {
		if vo, ok := v.args[1].(valueOf); !ok || formatNum(vo.v) != formatNum(worst) {
			return false
		}
	}
	return true
}

// manual returns the faults that may still be in place and need a person:
// every one of a run that ended or died; of a live run, only those whose
// rollback the engine already gave up on.
func (s *findings) manual() []FaultStatus {
	var out []FaultStatus
	for _, f := range s.faults {
		if f.State.MayBeActive() && (!s.live || f.State == FaultRollbackFailed) {
			out = append(out, f)
		}
	}
	return out
}
