package scenarios

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/gameday-tui/gameday/providers"
)

// Production reports whether the target is marked environment: production,
// which a facilitator must confirm by typing the target's name.
func (t Target) Production() bool {
	return strings.EqualFold(strings.TrimSpace(t.Environment), "production")
}

// Kinds returns the fault kinds of the plan in fault order, each once.
func (p *Plan) Kinds() []providers.Kind {
	var out []providers.Kind
	for _, f := range p.Faults {
		if !slices.Contains(out, f.Kind) {
			out = append(out, f.Kind)
		}
	}
	return out
}

// Localized returns the plan with its text in lang ("ja"): each field its
// translation gives replaces the plan's own; the others stay. Without a
// translation for lang it returns p itself. The copy shares everything
// else with p.
func (p *Plan) Localized(lang string) *Plan {
	t, ok := p.Translations[lang]
	if !ok {
		return p
	}
	q := *p
	for _, f := range []struct {
		dst *string
		v   string
	}{
		{&q.Title, t.Title}, {&q.Description, t.Description}, {&q.Hypothesis, t.Hypothesis},
		{&q.BlastRadius, t.BlastRadius}, {&q.Rollback, t.Rollback},
	} {
		if strings.TrimSpace(f.v) != "" {
			*f.dst = f.v
		}
	}
	return &q
}

// WithPhases returns a copy of the plan with the non-zero phases of ph in
// place of its own, for a quick run (run --baseline 5s --fault 10s). A
// fault whose window no longer fits in the new fault phase has its
// start_after and duration scaled by new/old fault phase, so the schedule
// keeps its shape; windows that still fit are kept as they are. The copy
// shares nothing mutable with p.
func (p *Plan) WithPhases(ph Phases) *Plan {
	q := *p
	if p.Load != nil {
		l := *p.Load
		q.Load = &l
	}
	q.SteadyState = maps.Clone(p.SteadyState)
	q.Target.Fields = maps.Clone(p.Target.Fields)
	q.StopConditions = slices.Clone(p.StopConditions)
	q.Faults = slices.Clone(p.Faults)
	q.Participants = slices.Clone(p.Participants)
	q.Links = slices.Clone(p.Links)
	q.Translations = maps.Clone(p.Translations)
	if ph.Baseline > 0 {
		q.Phases.Baseline = ph.Baseline
	}
	if ph.Recovery > 0 {
		q.Phases.Recovery = ph.Recovery
	}
	if ph.Fault <= 0 || ph.Fault == p.Phases.Fault {
		return &q
	}
	old, now := p.Phases.Fault, ph.Fault
	q.Phases.Fault = now
	for i := range q.Faults {
		f := &q.Faults[i]
		if l := f.Ladder; l != nil && old > 0 {
			// A ladder keeps its shape: its hold scales with the phase.
			c := *l
			c.Steps = slices.Clone(l.Steps)
			c.Hold = time.Duration(float64(l.Hold) * float64(now) / float64(old))
			f.Ladder = &c
		}
		if f.StartAfter+f.Duration <= now && f.StartAfter < now {
			continue
		}
		if old > 0 {
			ratio := float64(now) / float64(old)
			f.StartAfter = time.Duration(float64(f.StartAfter) * ratio)
			f.Duration = time.Duration(float64(f.Duration) * ratio)
		}
		// Clamp what rounding (or a zero old phase) left outside.
		if f.Duration > 0 {
			f.Duration = min(max(f.Duration, time.Millisecond), now)
			f.StartAfter = min(f.StartAfter, now-f.Duration)
		} else {
			f.StartAfter = min(f.StartAfter, now-1)
		}
		f.StartAfter = max(f.StartAfter, 0)
	}
	return &q
}
