package engine

import (
	"fmt"
	"math"
	"time"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// summary is what the report and the JUnit output derive from a journal.
// It is a pure function of the records: no clock, no map iteration order.
type summary struct {
	plan    *scenarios.Plan
	env     *Environment
	records []Record
	start   time.Time // the first record
	end     time.Time // the verdict, or the last record of an unfinished run
	groups  *sampleGroups
	samples []providers.Sample // every sample, in order
	faults  []FaultStatus      // as of the last record
	outcome *Outcome           // nil when the journal has no verdict
	checks  []Check
	aborts  []string
	// firstInject is when the first intent to inject was journaled;
	// lastRollback when the last rollback ended (confirmed or not). Zero
	// when there was none.
	firstInject  time.Time
	lastRollback time.Time
	// baselineRunning is the median running count of the baseline, -1 if
	// unknown.
	baselineRunning int
}

func summarize(records []Record) (*summary, error) {
	if len(records) == 0 {
		return nil, fmt.Errorf("empty journal: no records")
	}
	if records[0].Type != RecPlan || records[0].Plan == nil {
		return nil, fmt.Errorf("journal does not start with the plan (first record is %q)", records[0].Type)
	}
	s := &summary{
		plan:            records[0].Plan,
		env:             records[0].Env,
		records:         records,
		start:           records[0].At,
		end:             records[len(records)-1].At,
		groups:          newSampleGroups(),
		baselineRunning: -1,
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
				s.samples = append(s.samples, *rec.Sample)
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
			case FaultRolledBack, FaultRollbackFailed:
				if prev[id] == FaultRollingBack {
					s.lastRollback = rec.At
				}
			}
			prev[id] = rec.Fault.State
		case RecAbort:
			s.aborts = append(s.aborts, rec.Reason)
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
	if s.outcome != nil {
		s.checks = s.outcome.Checks
	} else {
		s.checks = evaluate(s.plan, s.groups, false)
	}
	var running []float64
	for _, smp := range s.groups.samples[GroupBaseline] {
		if smp.Running >= 0 {
			running = append(running, float64(smp.Running))
		}
	}
	if len(running) > 0 {
		s.baselineRunning = int(math.Round(median(running)))
	}
	return s, nil
}

// rel renders t relative to the start of the run: "T+01:05".
func (s *summary) rel(t time.Time) string {
	d := max(t.Sub(s.start), 0)
	secs := int(d / time.Second)
	return fmt.Sprintf("T+%02d:%02d", secs/60, secs%60)
}

// check returns the check of metric m in group, if there is one.
func (s *summary) check(group string, m scenarios.Metric) (Check, bool) {
	for _, c := range s.checks {
		if c.Phase == group && c.Metric == m {
			return c, true
		}
	}
	return Check{}, false
}

// ok reports whether smp is within every bound and, when the baseline
// running count is known, the running count is back to it.
func (s *summary) ok(smp providers.Sample) bool {
	if len(breaches(s.plan, smp)) > 0 {
		return false
	}
	return s.baselineRunning < 0 || smp.Running < 0 || smp.Running >= s.baselineRunning
}

// detection finds the first sample after the first injection that breaches
// a bound or shows fewer running instances than the baseline.
func (s *summary) detection() (time.Duration, string, bool) {
	if s.firstInject.IsZero() {
		return 0, "", false
	}
	for _, smp := range s.samples {
		if smp.At.Before(s.firstInject) {
			continue
		}
		if b := breaches(s.plan, smp); len(b) > 0 {
			return smp.At.Sub(s.firstInject), fmt.Sprintf("%s at %s", b[0], s.rel(smp.At)), true
		}
		if s.baselineRunning >= 0 && smp.Running >= 0 && smp.Running < s.baselineRunning {
			return smp.At.Sub(s.firstInject), fmt.Sprintf("running count %d < %d (baseline) at %s", smp.Running, s.baselineRunning, s.rel(smp.At)), true
		}
	}
	return 0, "", false
}

// recovery finds the first sample from which every sample to the end of
// the run is within bounds with the running count restored, looking from
// the detection (the first breach or running-count drop after injection):
// a system that heals itself while the fault is still in place — a
// supervisor replacing a killed replica — recovers before the rollback, and
// that is the time a post-mortem wants. Without a detection it looks from
// the last rollback. d is measured from that anchor, which from names
// ("detection" or "the last rollback"). state is "recovered", "not
// recovered", "no data" or "no rollback".
func (s *summary) recovery() (d time.Duration, at time.Time, from, state string) {
	if s.lastRollback.IsZero() {
		return 0, time.Time{}, "", "no rollback"
	}
	anchor, from := s.lastRollback, "the last rollback"
	if dd, _, ok := s.detection(); ok {
		anchor, from = s.firstInject.Add(dd), "detection"
	}
	var after []providers.Sample
	for _, smp := range s.samples {
		if !smp.At.Before(anchor) {
			after = append(after, smp)
		}
	}
	if len(after) == 0 {
		return 0, time.Time{}, from, "no data"
	}
	k := len(after)
	for k > 0 && s.ok(after[k-1]) {
		k--
	}
	if k == len(after) {
		return 0, time.Time{}, from, "not recovered"
	}
	return max(after[k].At.Sub(anchor), 0), after[k].At, from, "recovered"
}

// extreme is a metric's most extreme value and when it happened.
type extreme struct {
	v     float64
	at    time.Time
	group string
	ok    bool
}

// extremes returns the peak (or lowest, when low) of metric m over the
// fault and recovery samples (the whole run when there are none).
func (s *summary) extremeOf(m scenarios.Metric, low bool) extreme {
	var e extreme
	look := func(grp string, ss []providers.Sample) {
		for _, smp := range ss {
			if m == scenarios.Running && smp.Running < 0 {
				continue
			}
			v := m.Value(smp)
			if !e.ok || (low && v < e.v) || (!low && v > e.v) {
				e = extreme{v: v, at: smp.At, group: grp, ok: true}
			}
		}
	}
	look(GroupFault, s.groups.samples[GroupFault])
	look(GroupRecovery, s.groups.samples[GroupRecovery])
	if !e.ok {
		look(GroupBaseline, s.groups.samples[GroupBaseline])
	}
	return e
}

// verdictLabel renders a verdict with a symbol and a word.
func verdictLabel(o *Outcome) string {
	if o == nil {
		return "⚠️ UNFINISHED"
	}
	switch o.Verdict {
	case VerdictHeld:
		return "✅ HELD"
	case VerdictViolated:
		return "❌ VIOLATED"
	case VerdictNotSteady:
		return "❌ NOT STEADY"
	case VerdictAborted:
		return "⛔ ABORTED"
	case VerdictRollbackFailed:
		return "🚨 ROLLBACK FAILED"
	}
	return string(o.Verdict)
}

// stateLabel renders a fault state with a symbol and a word.
func stateLabel(st FaultState) string {
	switch st {
	case FaultRolledBack:
		return "✅ " + st.String()
	case FaultRollbackFailed:
		return "🚨 " + st.String() + " (manual action needed)"
	case FaultInjectFailed:
		return "❌ " + st.String()
	case FaultSkipped, FaultPending:
		return "➖ " + st.String()
	case FaultDryRun:
		return "🧪 " + st.String() + " (not injected)"
	case FaultRequested, FaultInjecting, FaultActive, FaultRollingBack:
		return "⚠️ " + st.String() + " (may still be active)"
	}
	return st.String()
}
