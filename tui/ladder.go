package tui

import (
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// A fault with a ladder (progressive blast radius) climbs step by step:
// each step is held for the ladder's hold and widens if the steady state
// held (engine/ladder.go). The console reads where a ladder is from the
// journal — the step records (started, held, breached, held here by the
// facilitator) and the fault records — never from its own clock or
// guesses: the time to the next step is the current step's "started"
// record plus the hold, the very timer the engine set.

// ladderState is where a fault's ladder is.
type ladderState int

const (
	ladderNone     ladderState = iota // not fired (or no ladder)
	ladderStarting                    // a step's injection is under way
	ladderClimbing                    // a step is held for its hold, judged at its end
	ladderWidening                    // the step held: rolled back before the wider one
	ladderTop                         // the widest step held: it stays until the fault ends
	ladderKept                        // the facilitator held the ladder at its step
	ladderBreached                    // the step breached: it is rolled back
	ladderSafe                        // after a breach, the last step that held, applied again
)

// ladderView is one fault's ladder as the journal tells it.
type ladderView struct {
	fault  engine.FaultStatus
	ladder *scenarios.Ladder
	state  ladderState
	// step is the current step (1-based), of the number of steps.
	step, of int
	// started is when the current step's "started" record was journaled:
	// its hold ends at started + the ladder's hold.
	started time.Time
	// breached is the step that breached, 0 when none did.
	breached int
	// live: the fault may still be active, or is being injected.
	live bool
}

// ladderOf reads f's ladder from the timeline. It follows the engine's
// moves: a step starts, holds (then widens, or stays at the top), is held
// by the facilitator, or breaches (then, with on_breach: hold, the step
// before is applied again: the fault's next request is that step). A
// request for step 1 otherwise is the fault fired again: the ladder starts
// over.
func ladderOf(f engine.FaultStatus, timeline []engine.Record) ladderView {
	l := f.Fault.Ladder
	v := ladderView{fault: f, ladder: l}
	if l == nil {
		return v
	}
	id := f.Fault.ID
	v.of = len(l.Steps)
	safeNext := false // the next request re-applies the last step that held
	safe := false     // the current step is that one
	for _, r := range timeline {
		switch {
		case r.Type == engine.RecFault && r.Fault != nil && r.Fault.Fault.ID == id && r.Fault.State == engine.FaultRequested:
			switch {
			case safeNext:
				safeNext, safe = false, true
			case r.Fault.Step <= 1:
				v = ladderView{fault: f, ladder: l, of: len(l.Steps)}
				safe = false
			}
			v.state, v.step = ladderStarting, max(r.Fault.Step, 1)
		case r.Type == engine.RecStep && r.Step != nil && r.Step.FaultID == id:
			s := r.Step
			v.step = s.Step
			if s.Of > 0 {
				v.of = s.Of
			}
			switch s.What {
			case engine.StepStarted:
				v.started = r.At
				v.state = ladderClimbing
				if safe {
					v.state = ladderSafe
				}
			case engine.StepHeld:
				v.state = ladderWidening
				if s.Step >= v.of {
					v.state = ladderTop
				}
			case engine.StepHeldByFacilitator:
				v.state = ladderKept
			case engine.StepBreached:
				v.state, v.breached = ladderBreached, s.Step
				safeNext = l.OnBreach == scenarios.OnBreachHold && s.Step > 1
			}
		}
	}
	if v.state == ladderNone && f.Step > 0 && (f.State == engine.FaultRequested || f.State == engine.FaultInjecting) {
		v.state, v.step = ladderStarting, f.Step // the timeline is bounded; the status is not
	}
	v.live = f.State.MayBeActive()
	return v
}

// selection is the selection of step n (1-based) of v's ladder.
func (v ladderView) selection(n int) providers.Selection {
	if n < 1 || n > len(v.ladder.Steps) {
		return providers.Selection{}
	}
	return v.ladder.Steps[n-1]
}

// climbing reports whether the ladder is holding a step now, to judge it
// at the end of its hold: the only time the engine takes hold and widen.
func (v ladderView) climbing() bool {
	return v.state == ladderClimbing && v.live && v.fault.State == engine.FaultActive && v.fault.Step == v.step
}

// next is when the current step's hold ends: its "started" record plus
// the ladder's hold.
func (v ladderView) next() time.Time { return v.started.Add(v.ladder.Hold) }

// ladders returns the ladder of every fault that has one, in plan order.
func (c consoleScreen) ladders() []ladderView {
	var out []ladderView
	for _, f := range c.faults() {
		if f.Fault.Ladder != nil && len(f.Fault.Ladder.Steps) > 0 {
			out = append(out, ladderOf(f, c.snap.Timeline))
		}
	}
	return out
}

// climbingLadder is the ladder the hold and widen keys act on: the first
// that is climbing, while faults can be fired (the fault phase, no abort).
func (c consoleScreen) climbingLadder() (ladderView, bool) {
	if !c.injectable() {
		return ladderView{}, false
	}
	for _, v := range c.ladders() {
		if v.climbing() {
			return v, true
		}
	}
	return ladderView{}, false
}

// ladderBar draws the steps reached (▮) and those to come (▯).
func ladderBar(step, of int) string {
	step = min(max(step, 0), of)
	return strings.Repeat("▮", step) + strings.Repeat("▯", of-step)
}

// ladderStatus says where v is in words, without the bar and the keys:
// "step 2/3 (50%) · widening to 100% in 0:41". Brief leaves out the
// next step's selection, then the current one's too, for a narrow line:
// 1 "step 2/3 (50%) · widening in 0:41", 2 "step 2/3 · widening in 0:41".
func (c consoleScreen) ladderStatus(v ladderView, brief int) string {
	tr := c.tr
	sel := func(n int) string { return shortSelection(tr, v.selection(n)) }
	step := tr.S("ui.ladder.step", v.step, v.of, sel(v.step))
	if brief >= 2 {
		step = tr.S("ui.ladder.stepBrief", v.step, v.of)
	}
	if !v.live {
		// The fault is over: what the ladder came to.
		switch v.state {
		case ladderTop:
			return step + " · " + tr.S("ui.ladder.topEnded")
		case ladderKept:
			return step + " · " + tr.S("ui.ladder.keptEnded")
		case ladderBreached:
			return step + " · " + tr.S("ui.ladder.stopped")
		case ladderSafe:
			return step + " · " + tr.S("ui.ladder.safeEnded", v.breached)
		case ladderWidening:
			return step + " · " + tr.S("ui.ladder.heldEnded")
		case ladderNone, ladderStarting, ladderClimbing:
		}
		return step + " · " + tr.S("ui.ladder.cut")
	}
	switch {
	case v.fault.State == engine.FaultRollbackFailed:
		return step + " · " + tr.S("ui.ladder.rollbackFailed")
	case v.state == ladderClimbing && v.fault.State == engine.FaultRollingBack:
		// The fault's end, the phase's or an abort: not a step's judgment.
		return step + " · " + tr.S("ui.ladder.rollingBack")
	case v.state == ladderClimbing && !c.injectable():
		return step + " · " + tr.S("ui.ladder.noMore")
	}
	switch v.state {
	case ladderStarting:
		return step + " · " + tr.S("ui.ladder.starting")
	case ladderClimbing:
		left := v.next().Sub(c.now)
		switch {
		case !v.fault.EndsAt.IsZero() && !v.next().Before(v.fault.EndsAt):
			// The fault is over before the hold: no next step.
			return step + " · " + tr.S("ui.ladder.endsFirst", fmtClock(v.fault.EndsAt.Sub(c.now)))
		case left <= 0:
			return step + " · " + tr.S("ui.ladder.judging")
		case v.step >= v.of:
			return step + " · " + tr.S("ui.ladder.judgedIn", fmtClock(left))
		}
		if brief >= 1 {
			return step + " · " + tr.S("ui.ladder.wideningInBrief", fmtClock(left))
		}
		return step + " · " + tr.S("ui.ladder.wideningIn", sel(v.step+1), fmtClock(left))
	case ladderWidening:
		if brief >= 1 {
			return step + " · " + tr.S("ui.ladder.wideningBrief")
		}
		return step + " · " + tr.S("ui.ladder.widening", sel(v.step+1))
	case ladderTop:
		return step + " · " + tr.S("ui.ladder.top")
	case ladderKept:
		return step + " · " + tr.S("ui.ladder.kept")
	case ladderBreached:
		return step + " · " + tr.S("ui.ladder.breached")
	case ladderSafe:
		return step + " · " + tr.S("ui.ladder.safe", v.breached)
	case ladderNone:
	}
	return step
}

// ladderLine is v's line under its fault, in w cells: the bar, the
// status, and the keys that act on it now: "▮▮▯ step 2/3 (50%) ·
// widening to 100% in 0:41 · h hold · W widen now", briefer when that
// does not fit (the keys stay whole). Nothing for a ladder not fired yet.
func (c consoleScreen) ladderLine(v ladderView, w int) string {
	if v.state == ladderNone {
		return ""
	}
	st := c.styles
	style := st.Near
	switch v.state {
	case ladderBreached:
		style = st.Breached
	case ladderTop, ladderKept, ladderSafe:
		style = st.Holding
	case ladderNone, ladderStarting, ladderClimbing, ladderWidening:
	}
	if !v.live {
		style = st.Neutral
	}
	keys := ""
	if cur, ok := c.climbingLadder(); ok && cur.fault.Fault.ID == v.fault.Fault.ID {
		for _, k := range []key.Binding{c.keys.Hold, c.keys.Widen} {
			if k.Enabled() {
				keys += " · " + st.HelpKey.Render(k.Help().Key) + " " + k.Help().Desc
			}
		}
	}
	var s string
	for brief := range 3 {
		s = style.Render(ladderBar(v.step, v.of)+" "+c.ladderStatus(v, brief)) + keys
		if width(s) <= w {
			break
		}
	}
	return fit(s, w)
}

// ladderLines are the lines of every ladder fired, each under w cells
// and indented like the fault panel's details; live only: those whose
// fault may still be active.
func (c consoleScreen) ladderLines(w int, live bool) []string {
	var out []string
	for _, v := range c.ladders() {
		if v.state == ladderNone || live && !v.live {
			continue
		}
		out = append(out, "    "+c.ladderLine(v, w-4))
	}
	return out
}

// holdLadder asks the run to keep the climbing ladder at its step until
// the fault ends (h).
func (c consoleScreen) holdLadder() tea.Cmd {
	v, ok := c.climbingLadder()
	if !ok {
		return send(bannerMsg(c.ladderKeyAnswer(holdKey)))
	}
	done := c.tr.S("ui.ladderAnswer.held", faultName(v.fault.Fault), v.step, v.of, shortSelection(c.tr, v.selection(v.step)))
	return ladderCall(c.gen, c.run, v.fault.Fault.ID, false, done)
}

// widenLadder asks the run to judge the climbing ladder's step now and,
// if it held, to widen at once (W).
func (c consoleScreen) widenLadder() tea.Cmd {
	v, ok := c.climbingLadder()
	if !ok || v.step >= v.of {
		return send(bannerMsg(c.ladderKeyAnswer(widenKey)))
	}
	done := c.tr.S("ui.ladderAnswer.widen", faultName(v.fault.Fault), v.step, v.of, shortSelection(c.tr, v.selection(v.step+1)))
	return ladderCall(c.gen, c.run, v.fault.Fault.ID, true, done)
}

// ladderKeyAnswer is what the hold or widen key k says when it cannot act:
// no ladder in the plan, a dry run, the ladder at its widest step, or no
// ladder climbing now (and where the ladder is instead).
func (c consoleScreen) ladderKeyAnswer(k string) string {
	tr := c.tr
	ls := c.ladders()
	switch {
	case c.readOnly:
		return tr.S("ui.ladderAnswer.watcher", k)
	case len(ls) == 0:
		return tr.S("ui.ladderAnswer.noLadder", k)
	case c.dryRun:
		return tr.S("ui.ladderAnswer.dryRun", k)
	}
	if v, ok := c.climbingLadder(); ok && k == widenKey && v.step >= v.of {
		return tr.S("ui.ladderAnswer.widest", faultName(v.fault.Fault), v.step, v.of, holdKey)
	}
	v := ls[0]
	for _, l := range ls {
		if l.state != ladderNone {
			v = l
			break
		}
	}
	if v.state == ladderNone {
		return tr.S("ui.ladderAnswer.notStarted", k, faultName(v.fault.Fault))
	}
	return tr.S("ui.ladderAnswer.notClimbing", k, faultName(v.fault.Fault), c.ladderStatus(v, 0))
}
