package engine

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// findings is everything the report and the JUnit output say about a run,
// derived from its journal alone: a pure function of the records (no clock,
// no map iteration order). Deriving happens here and nowhere else; the
// renderers (report.go, junit.go) only format what it holds (vegeta's
// Metrics.Close and its reporters).
type findings struct {
	plan    *scenarios.Plan
	env     *Environment
	records []Record
	start   time.Time // the first record
	end     time.Time // the verdict, or the last record of an unfinished run
	groups  *sampleGroups
	samples []providers.Sample // every sample, in journal order
	faults  []FaultStatus      // as of the last record
	outcome *Outcome           // nil when the journal has no verdict
	checks  []Check            // the verdict's, or the checks so far
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

	detect   detection
	recover  recovery
	extremes []extreme
	// successes and improvements are what the notes and the figures say
	// went well and what to improve.
	successes, improvements []string
	// errorKinds counts the failed requests of each group by kind, as the
	// samples' ErrorsBy say ("3xx", "timeout"); nil when none says.
	errorKinds map[string]map[string]int64
}

// detection is when the fault first showed, and how.
type detection struct {
	found bool
	after time.Duration // from the first injection
	at    time.Time
	// what says what showed it: a breach ("p95 240 ms > 200 ms") or a
	// running-count drop.
	what string
	// mechanism is the system's own first reaction after the injection,
	// if it reported one ("load balancer: health check took replica-2 out
	// after 2 failed checks"), and when.
	mechanism   string
	mechanismAt time.Time
}

// recovery is when the system was back within bounds: state is
// "recovered", "not recovered", "no data" or "no rollback".
type recovery struct {
	state string
	after time.Duration // from anchor
	at    time.Time
	from  string // "detection" or "the last rollback"
}

// extreme is a metric's most extreme value and when it happened.
type extreme struct {
	label string
	m     scenarios.Metric
	v     float64
	at    time.Time
	group string
	ok    bool
}

func derive(records []Record) (*findings, error) {
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
	s.faults = Replay(records).Faults
	s.rejudge()
	var running []float64
	for _, smp := range s.groups.samples(GroupBaseline) {
		if v, ok := smp.Value(providers.SeriesRunning); ok {
			running = append(running, v)
		}
	}
	if len(running) > 0 {
		s.baselineRunning = int(math.Round(median(running)))
	}
	s.detect = s.findDetection()
	s.recover = s.findRecovery()
	s.extremes = []extreme{
		s.extremeOf("Peak p95", scenarios.P95, false),
		s.extremeOf("Peak error rate", scenarios.ErrorRate, false),
		s.extremeOf("Lowest throughput", scenarios.Throughput, true),
		s.extremeOf("Lowest running count", scenarios.Running, true),
	}
	s.lessons()
	s.errorKinds = countErrorKinds(s.groups)
	return s, nil
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
// when it comes out otherwise (another verdict, or other checks failing), so the report never repeats a verdict its
// own data contradicts without saying so.
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
	var bad []string
	for _, c := range checks {
		if c.Phase != GroupBaseline && !c.Holds {
			bad = append(bad, describeBreach(c))
		}
	}
	now := Outcome{Verdict: VerdictHeld, Reason: "steady state held during fault and recovery", Checks: checks}
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

func mergeTargets(have, more []providers.Target) []providers.Target {
	for _, t := range more {
		if !slices.ContainsFunc(have, func(h providers.Target) bool { return h.ID == t.ID }) {
			have = append(have, t)
		}
	}
	return have
}

// rel renders t relative to the start of the run: "T+01:05".
func (s *findings) rel(t time.Time) string {
	d := max(t.Sub(s.start), 0)
	secs := int(d / time.Second)
	return fmt.Sprintf("T+%02d:%02d", secs/60, secs%60)
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

// ok reports whether smp is within every bound it carries and, when the
// baseline running count is known, the running count is back to it.
func (s *findings) ok(smp providers.Sample) bool {
	if len(breaches(s.plan, smp)) > 0 {
		return false
	}
	r, known := smp.Value(providers.SeriesRunning)
	return s.baselineRunning < 0 || !known || int(r) >= s.baselineRunning
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
			d.mechanism = strings.TrimSpace(ev.Event.Source + ": " + ev.Event.Text)
			d.mechanismAt = ev.Event.At
			break
		}
	}
	for _, smp := range s.samples {
		if smp.At.Before(s.firstInject) {
			continue
		}
		if b := breaches(s.plan, smp); len(b) > 0 {
			d.found, d.after, d.at, d.what = true, smp.At.Sub(s.firstInject), smp.At, b[0]
			return d
		}
		if r, ok := smp.Value(providers.SeriesRunning); ok && s.baselineRunning >= 0 && int(r) < s.baselineRunning {
			d.found, d.after, d.at = true, smp.At.Sub(s.firstInject), smp.At
			d.what = fmt.Sprintf("running count %d < %d (baseline)", int(r), s.baselineRunning)
			return d
		}
	}
	if d.mechanism != "" {
		d.found, d.after, d.at, d.what = true, d.mechanismAt.Sub(s.firstInject), d.mechanismAt, d.mechanism
	}
	return d
}

// findRecovery finds the first sample from which every sample to the end
// of the run is within bounds with the running count restored, looking
// from the detection (the first breach or running-count drop after
// injection): a system that heals itself while the fault is still in place
// — a supervisor replacing a killed replica — recovers before the
// rollback, and that is the time a post-mortem wants. Without a detection
// it looks from the last rollback.
func (s *findings) findRecovery() recovery {
	if s.lastRollback.IsZero() {
		return recovery{state: "no rollback"}
	}
	anchor, from := s.lastRollback, "the last rollback"
	if s.detect.found {
		anchor, from = s.firstInject.Add(s.detect.after), "detection"
	}
	var after []providers.Sample
	for _, smp := range s.samples {
		if !smp.At.Before(anchor) {
			after = append(after, smp)
		}
	}
	if len(after) == 0 {
		return recovery{state: "no data", from: from}
	}
	k := len(after)
	for k > 0 && s.ok(after[k-1]) {
		k--
	}
	if k == len(after) {
		return recovery{state: "not recovered", from: from}
	}
	return recovery{state: "recovered", after: max(after[k].At.Sub(anchor), 0), at: after[k].At, from: from}
}

// extremeOf returns the peak (or lowest, when low) of metric m over the
// fault and recovery samples (the whole run when there are none).
func (s *findings) extremeOf(label string, m scenarios.Metric, low bool) extreme {
	e := extreme{label: label, m: m}
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

// lessons derives Successes and Improvements: the notes marked as such,
// then what the verdict and the findings say.
func (s *findings) lessons() {
	var good, bad []string
	for _, rec := range s.records {
		if rec.Type != RecNote || rec.Note == nil {
			continue
		}
		text := fmt.Sprintf("%s (note at %s)", line(rec.Note.Text), s.rel(rec.At))
		switch rec.Note.Kind {
		case Success:
			good = append(good, text)
		case Improvement:
			bad = append(bad, text)
		case Observation:
		}
	}
	for _, m := range planMetrics(s.plan) {
		b := s.plan.SteadyState[m]
		held, worstOK := true, false
		var broke, measured, values []string
		var worst float64
		for _, g := range []string{GroupFault, GroupRecovery} {
			c, ok := s.check(g, m)
			if !ok {
				continue
			}
			measured = append(measured, g)
			if !c.Holds {
				held = false
				broke = append(broke, describeBreach(c))
			}
			if c.Samples > 0 {
				values = append(values, g+" "+formatValue(m, c.Value))
				if c.Method != "" && (!worstOK || worse(b, c.Worst, worst)) {
					worst, worstOK = c.Worst, true
				}
			}
		}
		switch {
		case len(measured) == 0:
		case held:
			// Say what the data shows, not only the bound, so no sentence
			// reads better than the table: "error rate held ≤ 1%: fault
			// 0.2%, recovery 0%; worst window 0.8%".
			text := fmt.Sprintf("%s held %s", metricLabel(m), formatBound(m, b))
			if len(values) > 0 {
				text += ": " + strings.Join(values, ", ")
			}
			if worstOK && m != scenarios.Running {
				text += "; worst window " + formatValue(m, worst)
			}
			good = append(good, text)
		default:
			bad = append(bad, fmt.Sprintf("%s (bound %s)", strings.Join(broke, "; "), formatBound(m, b)))
		}
	}
	if s.outcome != nil && s.outcome.Verdict == VerdictNotSteady {
		bad = append(bad, "the system was not steady before injection: "+line(s.outcome.Reason))
	}
	if d := s.detect; d.found {
		good = append(good, fmt.Sprintf("the fault was visible %s after the first injection (%s)", formatSeconds(d.after), d.what))
	}
	switch r := s.recover; r.state {
	case "recovered":
		what := "every metric was back within bounds"
		if s.baselineRunning >= 0 {
			what = "running count and every metric recovered"
		}
		good = append(good, fmt.Sprintf("%s %s after %s", what, formatSeconds(r.after), r.from))
	case "not recovered":
		bad = append(bad, "the system did not recover by the end of the run")
	}
	for _, r := range s.aborts {
		bad = append(bad, "the run was aborted: "+line(r))
	}
	rolled, clean, allRolled := 0, true, true
	for _, f := range s.faults {
		allRolled = allRolled && !f.State.MayBeActive()
		switch {
		case f.State == FaultRolledBack:
			rolled++
			clean = clean && (f.Verification == nil || f.Verification.Clean)
		case f.State == FaultInjectFailed:
			bad = append(bad, fmt.Sprintf("%s (%s) could not be injected: %s", f.Fault.ID, f.Fault.Kind, line(f.Err)))
		case f.State == FaultGone:
			bad = append(bad, fmt.Sprintf("%s (%s) ended with its system: %s", f.Fault.ID, f.Fault.Kind, line(f.Err)))
		case f.State.MayBeActive():
			bad = append(bad, fmt.Sprintf("%s (%s) was not confirmed rolled back (%s)", f.Fault.ID, f.Fault.Kind, f.State))
		}
	}
	if rolled > 0 && allRolled && clean {
		good = append(good, fmt.Sprintf("every injected fault was rolled back (%d)", rolled))
	}
	s.successes, s.improvements = good, bad
}

// manual returns the faults that may still be in place.
func (s *findings) manual() []FaultStatus {
	var out []FaultStatus
	for _, f := range s.faults {
		if f.State.MayBeActive() {
			out = append(out, f)
		}
	}
	return out
}

// formatSeconds renders a measured delay at the samples' one-second
// resolution.
func formatSeconds(d time.Duration) string {
	if d < time.Second {
		return "under 1s"
	}
	return formatDuration(d.Round(time.Second))
}
