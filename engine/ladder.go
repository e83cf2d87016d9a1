package engine

import (
	"fmt"
	"strings"
	"time"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// A ladder (progressive blast radius: start small, widen while steady)
// runs on the same injection machinery as any fault: each step is one
// injection of the fault with the step's selection, its own intent, TTL,
// owner label ("RUN.FAULT-s2") and verified rollback. Widening is
// sequential — the step is rolled back and verified gone before the wider
// one is injected — so the fault never covers more than one step's
// targets. A step is judged over its own window with the run's one judge.

// The states of a fault's ladder.
const (
	ladderClimbing = iota // a step is being held
	ladderWidening        // rolling the held step back before the next
	ladderBreached        // rolling the breaching step back
	ladderTop             // the widest step held; it stays to the fault's end
	ladderHolding         // the last step that held, applied again after a breach
	ladderDone            // the fault ended after a breach
)

// stepHoldEv says a step's hold has passed.
type stepHoldEv struct {
	f   *faultRun
	gen int
}

// stepSelection returns the selection f is injected with now.
func (f *faultRun) stepSelection() providers.Selection {
	if f.plan.Ladder == nil {
		return f.plan.Selection
	}
	return f.plan.Ladder.Steps[f.step]
}

// stepOwner returns the fault id an injection's owner label is made of:
// the fault's, with the step for every step after the first, so that
// verifying a step never sees the next one.
func (f *faultRun) stepOwner() string {
	if f.plan.Ladder == nil || f.step == 0 {
		return f.plan.ID
	}
	return fmt.Sprintf("%s-s%d", f.plan.ID, f.step+1)
}

// minStepData is how much of a step must have been measured before a
// breach within it counts: half its hold, at most 10 s — one slow second
// is not a breach of a step.
func minStepData(l *scenarios.Ladder) time.Duration {
	return min(l.Hold/2, 10*time.Second)
}

// onStepActive starts judging the step just injected.
func (m *machine) onStepActive(f *faultRun) {
	l := f.plan.Ladder
	if l == nil || (f.ladder != ladderClimbing && f.ladder != ladderHolding) {
		return
	}
	f.stepFrom = m.r.now()
	f.stepData = &groupData{}
	m.recordStep(f, StepStarted, nil)
	if f.ladder == ladderClimbing {
		m.after(l.Hold, stepHoldEv{f: f, gen: f.gen})
	}
}

// stepSample feeds a sample to every climbing step and breaks off a step
// that breaches.
func (m *machine) stepSample(s providers.Sample) {
	for _, f := range m.faults {
		l := f.plan.Ladder
		if l == nil || f.ladder != ladderClimbing || f.st.State != FaultActive || f.stepData == nil || s.Mid().Before(f.stepFrom) {
			continue
		}
		f.stepData.add(s)
		if s.At.Sub(f.stepFrom) < minStepData(l) {
			continue
		}
		if checks := judge(m.r.plan, GroupFault, f.stepData); !allHold(checks) {
			m.breachStep(f, checks)
		}
	}
}

func allHold(checks []Check) bool {
	for _, c := range checks {
		if !c.Holds {
			return false
		}
	}
	return len(checks) > 0
}

// onStepHold judges a step at the end of its hold: widen, or stay at the
// top, or break off.
func (m *machine) onStepHold(ev stepHoldEv) {
	f := ev.f
	if ev.gen != f.gen || f.ladder != ladderClimbing || f.st.State != FaultActive || !m.inFaultPhase() {
		return
	}
	checks := judge(m.r.plan, GroupFault, f.stepData)
	if !allHold(checks) {
		m.breachStep(f, checks)
		return
	}
	m.recordStep(f, StepHeld, checks)
	if f.step == len(f.plan.Ladder.Steps)-1 {
		f.ladder = ladderTop
		return
	}
	f.ladder = ladderWidening
	m.rollback([]*faultRun{f})
}

// breachStep stops widening: the step is rolled back, and then (after its
// verification) the last step that held is applied again or the fault
// ends.
func (m *machine) breachStep(f *faultRun, checks []Check) {
	m.recordStep(f, StepBreached, checks)
	var bad []string
	for _, c := range checks {
		if !c.Holds {
			bad = append(bad, describeBreach(c))
		}
	}
	f.breach = fmt.Sprintf("%s's ladder breached at step %d of %d (%s) after %s: %s", f.plan.ID, f.step+1, len(f.plan.Ladder.Steps), f.stepSelection(), formatSeconds(m.r.now().Sub(f.stepFrom)), strings.Join(bad, "; "))
	if f.step > 0 {
		f.breach += fmt.Sprintf("; the widest step that held: %d (%s)", f.step, f.plan.Ladder.Steps[f.step-1])
	} else {
		f.breach += "; no step held"
	}
	f.ladder = ladderBreached
	m.rollback([]*faultRun{f})
}

// afterStepRollback moves a ladder on once its step's rollback is
// confirmed (and verified, when the provider can verify).
func (m *machine) afterStepRollback(f *faultRun) {
	l := f.plan.Ladder
	if l == nil || !m.inFaultPhase() {
		return
	}
	switch f.ladder {
	case ladderWidening:
		f.step++
		f.ladder = ladderClimbing
		_ = m.startInject(f)
	case ladderBreached:
		if l.OnBreach == scenarios.OnBreachHold && f.step > 0 {
			f.step--
			f.ladder = ladderHolding
			_ = m.startInject(f)
			return
		}
		f.ladder = ladderDone
		m.endFaultPhaseIfDone()
	}
}

// endFaultPhaseIfDone ends the fault phase early when nothing is left to
// do in it: after a ladder's breach, the run goes on to recovery.
func (m *machine) endFaultPhaseIfDone() {
	for _, f := range m.faults {
		switch {
		case f.injecting, f.rollingBack, f.verifying, f.st.State.MayBeActive():
			return
		case f.st.State == FaultPending && !f.plan.Manual:
			return
		}
	}
	m.timedGen++ // the fault phase's own timer no longer matters
	m.onPhaseEnd()
}

// recordStep journals a moment of f's current step.
func (m *machine) recordStep(f *faultRun, what string, checks []Check) {
	l := f.plan.Ladder
	rec := &StepRecord{FaultID: f.plan.ID, Step: f.step + 1, Of: len(l.Steps), Selection: f.stepSelection(), What: what, From: f.stepFrom, Checks: checks, Targets: f.st.Targets}
	_, _ = m.record(Record{Type: RecStep, Step: rec})
}

// onLadderCmd holds a ladder at its step or widens it now (the
// facilitator's keys).
func (m *machine) onLadderCmd(id, what string) error {
	f, ok := m.byID[id]
	switch {
	case !ok:
		return fmt.Errorf("%s %s: no such fault", what, id)
	case f.plan.Ladder == nil:
		return fmt.Errorf("%s %s: the fault has no ladder", what, id)
	case f.ladder != ladderClimbing || f.st.State != FaultActive || !m.inFaultPhase():
		return fmt.Errorf("%s %s: the ladder is not climbing (step %d of %d, %s)", what, id, f.step+1, len(f.plan.Ladder.Steps), f.st.State)
	}
	switch what {
	case "hold":
		f.ladder = ladderTop
		f.gen++ // the step's hold timer no longer matters
		m.recordStep(f, StepHeldByFacilitator, nil)
		return nil
	default: // widen
		if f.step == len(f.plan.Ladder.Steps)-1 {
			return fmt.Errorf("widen %s: already at the widest step", id)
		}
		if f.stepData == nil || len(f.stepData.samples) == 0 {
			return fmt.Errorf("widen %s: step %d has measured nothing yet; give it a few seconds", id, f.step+1)
		}
		m.onStepHold(stepHoldEv{f: f, gen: f.gen})
		return nil
	}
}
