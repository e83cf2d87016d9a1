package engine

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// The history of a scenario: one line per run, read from the journals of
// many runs (the state directory's and a CI job's artifacts), and how
// each figure moved since the run before and since the first. Each run
// is summarised by the report's own findings (derive): its time to detect
// is the report's "Detected", its verdict the report's. Nothing here
// derives a figure a second way.

// RunSummary is one run as the history shows it.
type RunSummary struct {
	// Scenario and Provider say which scenario the run is of: the
	// scenario's name as `gameday list` shows it (scenarios.Name of the
	// journaled plan's path) and the provider of its target. GroupRuns
	// groups runs by the two.
	Scenario string
	Provider string
	// Plan is the plan as journaled, its translations included.
	Plan    *scenarios.Plan
	RunID   string
	Version string // the gameday that ran it; "" when the journal does not say
	Start   time.Time
	// Records is how many records the journal holds, those `gameday
	// recover` appended included.
	Records int
	// Verdict is the verdict the report stands by: for a journal of an
	// older version whose verdict this version's judgement of the same
	// samples contradicts, this version's. Recorded is the verdict the
	// run itself journaled. Both are "" when the journal has none: the
	// run is Live, or it never finished.
	Verdict  Verdict
	Recorded Verdict
	Live     bool
	DryRun   bool
	// Detect is the time from the first injection to the first sign of
	// the fault (the report's "Detected"); Recover the time from that
	// sign until every goal was met again (the report's "Recovered").
	Detect  Delay
	Recover Delay
	// WorstP95 and WorstErrorRate are the worst window of the fault and
	// the recovery (of the baseline, when the run got no further): the
	// report's peaks.
	WorstP95       Worst
	WorstErrorRate Worst
	// Ladders are the ladders (progressive blast radius) of the plan's
	// faults, in plan order; empty when no fault has one.
	Ladders []LadderReach
}

// Finished reports whether the journal has a verdict.
func (r RunSummary) Finished() bool { return r.Verdict != "" }

// Unfinished reports whether the run ended without a verdict: it died.
func (r RunSummary) Unfinished() bool { return r.Verdict == "" && !r.Live }

// Rejudged reports whether the verdict is this version's, not the one
// the run journaled.
func (r RunSummary) Rejudged() bool { return r.Recorded != "" && r.Recorded != r.Verdict }

// Delay is a time to detect or to recover, or why there is none.
type Delay struct {
	After time.Duration
	State DelayState
}

// DelayState says whether a Delay was measured, and why not.
type DelayState int

// The states of a Delay.
const (
	DelayMeasured      DelayState = iota
	DelayNotInjected              // nothing was injected
	DelayNoImpact                 // nothing showed: nothing to detect, nor to recover from
	DelayNotYet                   // the run is still going and has not got there
	DelayNotRecovered             // not back within the goals by the end of the run
	DelayNoData                   // no samples after the detection
	DelayNotRolledBack            // the run ended (died) before any rollback
)

// Worst is a metric's worst window in a run.
type Worst struct {
	Value float64
	At    time.Time
	Known bool // some window carried the metric
}

// LadderReach is how far a fault's ladder got: the widest step that held
// for its hold, and the step that breached.
type LadderReach struct {
	FaultID string
	// Steps are the ladder's steps as planned.
	Steps []providers.Selection
	// Reached says the ladder started (a first step was injected).
	Reached bool
	// Held is the widest step (1-based) that held for its hold; 0 when
	// none did. A step the facilitator kept the ladder at
	// (StepHeldByFacilitator) counts only if it had held before: it was
	// not judged over a hold. Breached is the step that breached; 0 when
	// none did.
	Held, Breached int
}

// Widest returns the selection of the widest step that held.
func (l LadderReach) Widest() (providers.Selection, bool) {
	if l.Held < 1 || l.Held > len(l.Steps) {
		return providers.Selection{}, false
	}
	return l.Steps[l.Held-1], true
}

// Summarize sums up one run from its journal, with the report's findings.
// WithLive says the run is still going (its journal is held by it). An
// error means the records are not a journal (empty, or not starting with
// the plan).
func Summarize(records []Record, opts ...ReportOption) (RunSummary, error) {
	cfg := newReportConfig(opts)
	s, err := derive(records, cfg.live)
	if err != nil {
		return RunSummary{}, err
	}
	r := RunSummary{
		Scenario: scenarios.Name(s.plan.Path),
		Provider: s.plan.Target.Provider,
		Plan:     s.plan,
		RunID:    s.env.RunID,
		Version:  s.env.Version,
		Start:    s.start,
		Records:  len(records),
		Live:     s.live,
		DryRun:   s.env.DryRun,
	}
	if r.Provider == "" {
		r.Provider = s.env.Provider
	}
	if o := s.verdict(); o != nil {
		r.Verdict = o.Verdict
	}
	if s.outcome != nil {
		r.Recorded = s.outcome.Verdict
	}
	r.Detect, r.Recover = s.delays()
	if e := s.extremeOf(scenarios.P95, false); e.ok {
		r.WorstP95 = Worst{Value: e.v, At: e.at, Known: true}
	}
	if e := s.extremeOf(scenarios.ErrorRate, false); e.ok {
		r.WorstErrorRate = Worst{Value: e.v, At: e.at, Known: true}
	}
	r.Ladders = s.ladderReach()
	return r, nil
}

// delays are the times to detect and to recover, as the report's summary
// states them.
func (s *findings) delays() (detect, recov Delay) {
	switch {
	case s.firstInject.IsZero():
		return Delay{State: DelayNotInjected}, Delay{State: DelayNotInjected}
	case s.detect.found:
		detect = Delay{After: s.detect.after, State: DelayMeasured}
	case s.live:
		detect = Delay{State: DelayNotYet}
	default:
		detect = Delay{State: DelayNoImpact}
	}
	switch r := s.recover; r.state {
	case recovered:
		recov = Delay{After: r.after, State: DelayMeasured}
	case noImpact:
		recov = Delay{State: DelayNoImpact}
	case recoveryNoData:
		recov = Delay{State: DelayNoData}
	case notRecovered, noRollback:
		switch {
		case s.live:
			recov = Delay{State: DelayNotYet}
		case r.state == notRecovered:
			recov = Delay{State: DelayNotRecovered}
		default:
			recov = Delay{State: DelayNotRolledBack}
		}
	}
	return detect, recov
}

// ladderReach follows each ladder of the plan through its step records.
func (s *findings) ladderReach() []LadderReach {
	var out []LadderReach
	for _, f := range s.plan.Faults {
		if f.Ladder == nil || len(f.Ladder.Steps) == 0 {
			continue
		}
		l := LadderReach{FaultID: f.ID, Steps: f.Ladder.Steps}
		for _, st := range s.steps {
			if st.FaultID != f.ID {
				continue
			}
			l.Reached = true
			switch st.What {
			case StepHeld:
				l.Held = max(l.Held, st.Step)
			case StepBreached:
				if l.Breached == 0 {
					l.Breached = st.Step
				}
			}
		}
		out = append(out, l)
	}
	return out
}

// ScenarioRuns are the runs of one scenario, oldest first.
type ScenarioRuns struct {
	Scenario string
	Provider string
	Runs     []RunSummary
}

// Latest returns the newest run.
func (g ScenarioRuns) Latest() RunSummary { return g.Runs[len(g.Runs)-1] }

// GroupRuns sorts runs into their scenarios: by scenario name, then
// provider; each scenario's runs oldest first.
//
// Runs are of one scenario when they have the same name and provider.
// The name is the scenario file's, not its path, so a scenario checked in
// with the code groups the runs of every machine — a laptop's
// ./scenarios/checkout.yaml and a CI runner's
// /home/runner/work/app/scenarios/checkout.yaml — and of every version of
// gameday (the shipped files moved into sandbox/ after v0.3.0); the
// provider keeps apart two files of one name for two systems, as `gameday
// list` does. The title is not part of it: a title edited, or read in
// another language, is the same scenario, and the shipped sandbox and
// Kubernetes scenarios share titles ("CPU spike").
//
// A run read twice — the same journal in the state directory and among a
// CI job's artifacts — is kept once: runs with the same run ID (for a
// journal without one, the same start and title) are one, and the copy
// with more records (what recover appended) is kept.
func GroupRuns(runs []RunSummary) []ScenarioRuns {
	type key struct{ scenario, provider string }
	type runKey struct {
		id    string
		start time.Time
		title string
	}
	seen := map[runKey]int{} // → index in uniq
	var uniq []RunSummary
	for _, r := range runs {
		k := runKey{id: r.RunID}
		if k.id == "" && r.Plan != nil {
			k.start, k.title = r.Start, r.Plan.Title
		}
		if i, ok := seen[k]; ok {
			if r.Records > uniq[i].Records {
				uniq[i] = r
			}
			continue
		}
		seen[k] = len(uniq)
		uniq = append(uniq, r)
	}
	byKey := map[key]int{}
	var out []ScenarioRuns
	for _, r := range uniq {
		k := key{r.Scenario, r.Provider}
		i, ok := byKey[k]
		if !ok {
			i = len(out)
			byKey[k] = i
			out = append(out, ScenarioRuns{Scenario: r.Scenario, Provider: r.Provider})
		}
		out[i].Runs = append(out[i].Runs, r)
	}
	for i := range out {
		slices.SortStableFunc(out[i].Runs, func(a, b RunSummary) int {
			return cmp.Or(a.Start.Compare(b.Start), strings.Compare(a.RunID, b.RunID))
		})
	}
	slices.SortFunc(out, func(a, b ScenarioRuns) int {
		return cmp.Or(strings.Compare(a.Scenario, b.Scenario), strings.Compare(a.Provider, b.Provider))
	})
	return out
}

// Matches reports whether arg names the scenario: its name as `gameday
// list` shows it, a path of its file as journaled, or its title in any
// language (case-insensitive).
func (g ScenarioRuns) Matches(arg string) bool {
	if arg == g.Scenario {
		return true
	}
	for _, r := range g.Runs {
		if r.Plan.Path == arg || strings.EqualFold(r.Plan.Title, arg) {
			return true
		}
		for _, tr := range r.Plan.Translations {
			if tr.Title != "" && strings.EqualFold(tr.Title, arg) {
				return true
			}
		}
	}
	return false
}

// histFigure is one figure of the history.
type histFigure int

const (
	figDetect histFigure = iota
	figRecover
	figP95
	figErrors
	figStep
)

var histFigures = []histFigure{figDetect, figRecover, figP95, figErrors, figStep}

// figValue is one run's figure as the history compares it: at the
// precision it is shown with (whole seconds for a delay, measured on
// one-second samples), so that two runs never differ in a trend while
// showing the same figure.
type figValue struct {
	known bool
	v     float64
	// unit tells a ladder step's size apart: "%" or "count". Steps of
	// two units are not compared.
	unit string
}

// of returns run r's figure f. A ladder's is its first ladder's widest
// step that held, 0 when none held.
func (f histFigure) of(r RunSummary) figValue {
	switch f {
	case figDetect, figRecover:
		d := r.Detect
		if f == figRecover {
			d = r.Recover
		}
		switch {
		case d.State != DelayMeasured:
			return figValue{}
		case d.After < time.Second: // "under 1 s"
			return figValue{known: true}
		}
		return figValue{known: true, v: math.Round(d.After.Seconds())}
	case figP95:
		return figValue{known: r.WorstP95.Known, v: r.WorstP95.Value}
	case figErrors:
		return figValue{known: r.WorstErrorRate.Known, v: r.WorstErrorRate.Value}
	case figStep:
		if len(r.Ladders) == 0 || !r.Ladders[0].Reached {
			return figValue{}
		}
		l := r.Ladders[0]
		unit := "count"
		if l.Steps[0].Count == 0 {
			unit = "%"
		}
		sel, ok := l.Widest()
		switch {
		case !ok:
			return figValue{known: true, unit: unit}
		case sel.Count > 0 && unit == "count":
			return figValue{known: true, v: float64(sel.Count), unit: unit}
		case sel.Count == 0 && unit == "%":
			return figValue{known: true, v: sel.Percent, unit: unit}
		}
	}
	return figValue{}
}

// lowerIsBetter says which way a figure improves: a shorter time to
// detect or recover, a lower p95 or error rate; a wider tolerated step.
func (f histFigure) lowerIsBetter() bool { return f != figStep }

// metric is the metric a figure is a value of, for wording it.
func (f histFigure) metric() scenarios.Metric {
	if f == figErrors {
		return scenarios.ErrorRate
	}
	return scenarios.P95
}

// comparison is a run's figure against another run's.
type comparison struct {
	// ok: both have the figure and it can be compared.
	ok   bool
	same bool
	up   bool // the figure went up
	// change is the change in percent of the other's; NaN when a
	// percent would say nothing more than the arrow: either is 0 (0%, or
	// under 1 s, which the samples' resolution cannot measure), or the
	// figure is a ladder step.
	change float64
	better bool
}

// compare compares figure f of cur against base.
func (f histFigure) compare(cur, base figValue) comparison {
	if !cur.known || !base.known || cur.unit != base.unit {
		return comparison{}
	}
	c := comparison{ok: true, change: math.NaN()}
	switch f {
	case figP95, figErrors:
		w := &words{}
		c.same = w.value(f.metric(), cur.v) == w.value(f.metric(), base.v)
	default:
		c.same = cur.v == base.v
	}
	if c.same {
		return c
	}
	c.up = cur.v > base.v
	c.better = c.up != f.lowerIsBetter()
	if base.v != 0 && cur.v != 0 && f != figStep {
		c.change = (cur.v - base.v) / base.v * 100
	}
	return c
}

// compared are the runs a trend compares: those with a verdict that
// injected for real. A run without a verdict stopped part way, and its
// figures are of a part; a dry run injected nothing.
func (g ScenarioRuns) compared() []RunSummary {
	var out []RunSummary
	for _, r := range g.Runs {
		if r.Finished() && !r.DryRun {
			out = append(out, r)
		}
	}
	return out
}
