package engine

import (
	"slices"
	"time"

	"github.com/gameday-tui/gameday/scenarios"
)

// Bounds on what a Snapshot carries; the journal keeps everything.
const (
	maxSnapshotSamples  = 900 // 15 minutes of one-second samples
	maxSnapshotTimeline = 1000
)

// replayer folds journal records into the observed state of a run. The live
// Run feeds it every record it journals and Replay feeds it a journal read
// back, so a Snapshot and Replay of that run's journal agree.
type replayer struct {
	snap    Snapshot
	lastSeq int
	groups  *sampleGroups
	// last is the group the latest sample counted toward: the one whose
	// checks the snapshot shows (a closed group still takes late
	// samples).
	last string
}

// apply takes the next record.
func (p *replayer) apply(rec Record) {
	s := &p.snap
	p.lastSeq = rec.Seq
	if p.groups == nil {
		p.groups = newSampleGroups()
	}
	p.groups.observe(rec)
	switch rec.Type {
	case RecPlan:
		p.setPlan(rec.Plan)
		s.Started = rec.At
		s.Phase = Ready
		s.PhaseStarted = rec.At
		s.PhaseEnds = time.Time{}
	case RecPhase:
		if ph, ok := ParsePhase(rec.Phase); ok {
			p.setPhase(ph, rec.At)
		}
	case RecFault, RecRecover:
		if rec.Fault != nil {
			p.setFault(*rec.Fault)
		}
	case RecSample:
		if rec.Sample != nil {
			smp := *rec.Sample
			smp.Hist = "" // the groups merged it; the console needs none
			s.Samples = append(s.Samples, smp)
			if n := len(s.Samples); n > maxSnapshotSamples {
				s.Samples = slices.Clone(s.Samples[n-maxSnapshotSamples:])
			}
			if s.Plan != nil {
				s.Now = breaches(s.Plan, smp)
				if g := p.groups.groupOf(smp); g != "" {
					p.last = g
				}
				p.judgeLive()
			}
		}
	case RecVerdict:
		if rec.Outcome != nil {
			o := *rec.Outcome
			s.Outcome = &o
		}
	}
	if rec.Type != RecSample {
		s.Timeline = append(s.Timeline, rec)
		if n := len(s.Timeline); n > maxSnapshotTimeline {
			s.Timeline = slices.Clone(s.Timeline[n-maxSnapshotTimeline:])
		}
	}
}

func (p *replayer) setPlan(plan *scenarios.Plan) {
	s := &p.snap
	s.Plan = plan
	s.Holding = true
	s.Faults = nil
	if plan == nil {
		return
	}
	for _, f := range plan.Faults {
		s.Faults = append(s.Faults, FaultStatus{Fault: f, State: FaultPending})
	}
}

// judgeLive recomputes the checks of the group the console shows: the open
// group, else the one the latest sample counted toward.
func (p *replayer) judgeLive() {
	s := &p.snap
	g := p.groups.open
	if g == "" {
		g = p.last
	}
	s.Group = g
	s.Checks, s.Breaches, s.Holding = nil, nil, true
	if g == "" || len(p.groups.samples(g)) == 0 {
		return
	}
	s.Checks = judge(s.Plan, g, p.groups.data[g])
	for _, c := range s.Checks {
		if !c.Holds {
			s.Holding = false
			s.Breaches = append(s.Breaches, describeBreach(c))
		}
	}
}

// setPhase enters ph at t. Injecting and Observing are one timed phase (the
// fault phase): switching between them keeps PhaseStarted and PhaseEnds,
// so the console's countdown does not jump when an injection starts.
func (p *replayer) setPhase(ph Phase, t time.Time) {
	s := &p.snap
	inFault := func(x Phase) bool { return x == Injecting || x == Observing }
	if inFault(ph) && inFault(s.Phase) {
		s.Phase = ph
		return
	}
	s.Phase = ph
	s.PhaseStarted = t
	s.PhaseEnds = time.Time{}
	if s.Plan == nil {
		return
	}
	if g := p.groups.open; g != "" && g != s.Group {
		p.last = g
		p.judgeLive()
	}
	switch ph {
	case Baseline:
		s.PhaseEnds = t.Add(s.Plan.Phases.Baseline)
	case Injecting, Observing:
		s.PhaseEnds = t.Add(s.Plan.Phases.Fault)
	case Recovering:
		s.PhaseEnds = t.Add(s.Plan.Phases.Recovery)
	case Ready, RollingBack, Done, Aborted:
	}
}

func (p *replayer) setFault(fs FaultStatus) {
	s := &p.snap
	for i := range s.Faults {
		if s.Faults[i].Fault.ID == fs.Fault.ID {
			s.Faults[i] = fs
			return
		}
	}
	s.Faults = append(s.Faults, fs)
}

// snapshot returns a copy of the state. Slices are copied; the values
// pointers refer to (plan, injections, records' payloads) are never changed
// once journaled and are shared.
func (p *replayer) snapshot() Snapshot {
	s := p.snap
	s.Faults = slices.Clone(s.Faults)
	s.Samples = slices.Clone(s.Samples)
	s.Timeline = slices.Clone(s.Timeline)
	s.Breaches = slices.Clone(s.Breaches)
	s.Now = slices.Clone(s.Now)
	s.Checks = slices.Clone(s.Checks)
	if s.Outcome != nil {
		o := *s.Outcome
		o.Checks = slices.Clone(o.Checks)
		s.Outcome = &o
	}
	return s
}

// Replayer folds records into a Snapshot one at a time, as the live Run
// does with every record it journals: a console that follows a run from
// its record stream (gameday watch) shows what the facilitator's shows.
// The zero value is ready to use; a Replayer is not safe for concurrent
// use.
type Replayer struct{ p replayer }

// Apply takes the next record of a run, in journal order.
func (r *Replayer) Apply(rec Record) { r.p.apply(rec) }

// Snapshot returns the state as of the last record applied, as
// Run.Snapshot does: its slices are the caller's.
func (r *Replayer) Snapshot() Snapshot { return r.p.snapshot() }

// Replay returns the state of a run as of the last of records: what the
// console showed at that moment. It is how `gameday recover` and the report
// see a journal, including one cut short by a crash.
func Replay(records []Record) Snapshot {
	var p replayer
	for _, rec := range records {
		p.apply(rec)
	}
	return p.snapshot()
}

// Unfinished returns the faults of a journal whose rollback was not
// confirmed: every fault whose last state may still affect the target
// (requested, injecting, active, rolling back, rollback failed). These are
// what `gameday recover` rolls back.
func Unfinished(records []Record) []FaultStatus {
	var out []FaultStatus
	for _, f := range Replay(records).Faults {
		if f.State.MayBeActive() {
			out = append(out, f)
		}
	}
	return out
}
