package tui

import (
	"fmt"
	"strings"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// planCard is what the picker shows of the selected scenario before it is
// started: target, hypothesis, steady state, phases, blast radius with the
// targets resolved now, the faults, stop conditions, rollback and load. It
// is pure view code over its fields, so it golden-tests on its own
// (plancard_test.go).
type planCard struct {
	plan    *scenarios.Plan
	preview previewState
	// dryRun says that nothing will be injected: a production target
	// needs no confirmation then.
	dryRun bool
	styles Styles
}

// previewState is what the card knows of a plan's resolved targets.
type previewState struct {
	loading  bool
	previews []FaultPreview
	err      error
}

// lines renders the card at width w; no line is wider than w.
func (c planCard) lines(w int) []string {
	pl := c.plan
	if pl == nil {
		return nil
	}
	st := c.styles
	const lw = 13 // label column
	tw := max(w-lw, 10)
	var out []string
	field := func(label string, text string) {
		for i, l := range wrapText(text, tw) {
			lab := ""
			if i == 0 {
				lab = label
			}
			out = append(out, st.Label.Render(fit(lab, lw))+l)
		}
	}
	fieldLines := func(label string, items []string) {
		for i, it := range items {
			lab := ""
			if i == 0 {
				lab = label
			}
			// An item that wraps is wrapped two cells narrower: its
			// continuation lines are indented by two.
			ls := wrapText(it, tw)
			if len(ls) > 1 {
				ls = wrapText(it, tw-2)
			}
			for j, l := range ls {
				if j > 0 {
					lab = ""
					l = "  " + l
				}
				out = append(out, st.Label.Render(fit(lab, lw))+l)
			}
		}
	}
	out = append(out, st.Title.Render(clip(pl.Title, w)))
	target := pl.Target.Provider
	if pl.Target.Name != "" {
		target += " · " + pl.Target.Name
	}
	if pl.Target.Environment != "" {
		target += " (" + pl.Target.Environment + ")"
	}
	field("Target", target+" · "+pl.Path)
	if pl.Target.Production() {
		guard := "⚠ production: starting asks you to type " + strings.TrimSpace(pl.Target.Name)
		if c.dryRun {
			guard = "⚠ production: a dry run injects nothing, so it needs no confirmation"
		}
		for _, l := range wrapText(guard, tw) {
			out = append(out, st.Label.Render(fit("", lw))+st.Breached.Render(l))
		}
	}
	field("Hypothesis", pl.Hypothesis)
	field("Steady state", steadyState(pl))
	field("Phases", fmt.Sprintf("baseline %s · fault %s · recovery %s",
		fmtDuration(pl.Phases.Baseline), fmtDuration(pl.Phases.Fault), fmtDuration(pl.Phases.Recovery)))
	blast := []string{pl.BlastRadius}
	if pl.MaxPercent > 0 || pl.MaxCount > 0 {
		var caps []string
		if pl.MaxPercent > 0 {
			caps = append(caps, fmt.Sprintf("%g%%", pl.MaxPercent))
		}
		if pl.MaxCount > 0 {
			caps = append(caps, fmt.Sprintf("%d targets", pl.MaxCount))
		}
		blast = append(blast, "capped at "+strings.Join(caps, " and "))
	}
	pv := c.preview
	switch {
	case pv.loading:
		blast = append(blast, "resolving targets…")
	case pv.err != nil:
		blast = append(blast, st.Breached.Render("✘ could not resolve targets: "+pv.err.Error()))
	default:
		for _, f := range pv.previews {
			blast = append(blast, "→ "+f.FaultID+": "+f.Summary)
		}
	}
	fieldLines("Blast radius", blast)
	var calls []string
	for _, f := range pv.previews {
		for _, call := range f.Calls {
			calls = append(calls, f.FaultID+": "+call)
		}
	}
	if len(calls) > 0 {
		fieldLines("Dry run", append([]string{"nothing is injected; each fault would call:"}, calls...))
	}
	var faults []string
	for i, f := range pl.Faults {
		faults = append(faults, fmt.Sprintf("%d  %s", i+1, describeFault(f)))
	}
	if len(faults) == 0 {
		faults = []string{"none"}
	}
	fieldLines("Faults", faults)
	var stops []string
	for _, sc := range pl.StopConditions {
		stops = append(stops, describeStop(sc))
	}
	if len(stops) == 0 {
		stops = []string{"none (abort by hand)"}
	}
	fieldLines("Stop if", stops)
	field("Rollback", pl.Rollback)
	if pl.Load != nil {
		field("Load", fmt.Sprintf("%g req/s built-in traffic", pl.Load.Rate))
	} else {
		field("Load", "real traffic only")
	}
	if pl.Description != "" {
		field("About", reflow(pl.Description))
	}
	return out
}

// steadyState says a plan's thresholds in one line.
func steadyState(pl *scenarios.Plan) string {
	var parts []string
	for _, m := range scenarios.Metrics {
		b, ok := pl.SteadyState[m]
		if !ok || (b.Min == nil && b.Max == nil) {
			continue
		}
		parts = append(parts, metricName(m)+" "+formatBound(m, b))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " · ")
}

// describeFault says what a fault does: "f1 latency +300ms ±50ms · 10% ·
// at +30s for 1m".
func describeFault(f scenarios.Fault) string {
	parts := []string{f.ID + " " + string(f.Kind)}
	pr := f.Params
	var params []string
	if pr.Delay > 0 {
		d := "+" + fmtDuration(pr.Delay)
		if pr.Jitter > 0 {
			d += " ±" + fmtDuration(pr.Jitter)
		}
		params = append(params, d)
	}
	if pr.Workers > 0 {
		params = append(params, fmt.Sprintf("%d workers", pr.Workers))
	}
	if pr.Load > 0 {
		params = append(params, fmt.Sprintf("%d%% load", pr.Load))
	}
	if pr.MemoryMB > 0 {
		params = append(params, fmt.Sprintf("%d MB", pr.MemoryMB))
	}
	if pr.Mode != "" {
		params = append(params, pr.Mode)
	}
	if len(params) > 0 {
		parts[0] += " " + strings.Join(params, " ")
	}
	parts = append(parts, selectionString(f.Selection))
	when := "at +" + fmtDuration(f.StartAfter)
	if f.Manual {
		when = "on demand"
	}
	if f.Duration > 0 {
		when += " for " + fmtDuration(f.Duration)
	} else {
		when += " until the fault phase ends"
	}
	parts = append(parts, when)
	return strings.Join(parts, " · ")
}

// shortSelection says how many targets a fault hits, tersely.
func shortSelection(s providers.Selection) string {
	if s.Percent > 0 && s.Count == 0 {
		return fmt.Sprintf("%g%%", s.Percent)
	}
	return selectionString(s)
}

// selectionString says how many targets a fault hits.
func selectionString(s providers.Selection) string {
	switch {
	case s.Count == 1:
		return "1 target"
	case s.Count > 1:
		return fmt.Sprintf("%d targets", s.Count)
	case s.Percent > 0:
		return fmt.Sprintf("%g%% of targets", s.Percent)
	}
	return "all targets"
}

// describeStop says a stop condition: "error rate > 5.00 % for 10s".
func describeStop(sc scenarios.StopCondition) string {
	var parts []string
	if sc.Above != nil {
		parts = append(parts, "> "+formatValue(sc.Metric, *sc.Above))
	}
	if sc.Below != nil {
		parts = append(parts, "< "+formatValue(sc.Metric, *sc.Below))
	}
	return fmt.Sprintf("%s %s for %s", metricName(sc.Metric), strings.Join(parts, " or "), fmtDuration(sc.For))
}
