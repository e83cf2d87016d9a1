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
	// confirmed says that a production target was confirmed on the
	// command line (gameday day --confirm NAME): starting asks nothing.
	confirmed bool
	styles    Styles
	tr        *printer
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
	st, tr := c.styles, c.tr
	labels := map[string]string{}
	lw := 0 // the label column: the widest label, in cells, and a space
	for _, k := range []string{"target", "hypothesis", "steady", "phases", "blast", "dryrun", "faults", "stop", "rollback", "load", "about"} {
		labels[k] = cardLabel(tr, k)
		lw = max(lw, width(labels[k])+1)
	}
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
	field(labels["target"], target+" · "+pl.Path)
	if pl.Target.Production() {
		guard := tr.S("ui.card.production", strings.TrimSpace(pl.Target.Name))
		switch {
		case c.dryRun:
			guard = tr.S("ui.card.productionDryRun")
		case c.confirmed:
			guard = tr.S("ui.card.productionConfirmed", strings.TrimSpace(pl.Target.Name))
		}
		for _, l := range wrapText(guard, tw) {
			out = append(out, st.Label.Render(fit("", lw))+st.Breached.Render(l))
		}
	}
	field(labels["hypothesis"], pl.Hypothesis)
	field(labels["steady"], steadyState(tr, pl))
	field(labels["phases"], tr.S("ui.card.phases",
		fmtDuration(pl.Phases.Baseline), fmtDuration(pl.Phases.Fault), fmtDuration(pl.Phases.Recovery)))
	blast := []string{pl.BlastRadius}
	if pl.MaxPercent > 0 || pl.MaxCount > 0 {
		var caps []string
		if pl.MaxPercent > 0 {
			caps = append(caps, fmt.Sprintf("%g%%", pl.MaxPercent))
		}
		if pl.MaxCount > 0 {
			caps = append(caps, tr.S("ui.card.targets", pl.MaxCount))
		}
		blast = append(blast, tr.S("ui.card.capped", strings.Join(caps, tr.S("ui.sep.and"))))
	}
	pv := c.preview
	switch {
	case pv.loading:
		blast = append(blast, tr.S("ui.card.resolving"))
	case pv.err != nil:
		blast = append(blast, st.Breached.Render(tr.S("ui.card.unresolved", pv.err.Error())))
	default:
		for _, f := range pv.previews {
			blast = append(blast, "→ "+f.FaultID+": "+f.Summary)
		}
	}
	fieldLines(labels["blast"], blast)
	var calls []string
	for _, f := range pv.previews {
		for _, call := range f.Calls {
			calls = append(calls, f.FaultID+": "+call)
		}
	}
	if len(calls) > 0 {
		fieldLines(labels["dryrun"], append([]string{tr.S("ui.card.dryRunCalls")}, calls...))
	}
	var faults []string
	for i, f := range pl.Faults {
		faults = append(faults, fmt.Sprintf("%d  %s", i+1, describeFault(tr, f)))
	}
	if len(faults) == 0 {
		faults = []string{tr.S("ui.card.noFaults")}
	}
	fieldLines(labels["faults"], faults)
	var stops []string
	for _, sc := range pl.StopConditions {
		stops = append(stops, describeStop(tr, sc))
	}
	if len(stops) == 0 {
		stops = []string{tr.S("ui.card.noStops")}
	}
	fieldLines(labels["stop"], stops)
	field(labels["rollback"], pl.Rollback)
	if pl.Load != nil {
		field(labels["load"], tr.S("ui.card.load", fmt.Sprintf("%g", pl.Load.Rate)))
	} else {
		field(labels["load"], tr.S("ui.card.realTraffic"))
	}
	if pl.Description != "" {
		field(labels["about"], reflow(pl.Description))
	}
	return out
}

// cardLabel is the plan card's label of one of its fields.
func cardLabel(tr *printer, field string) string {
	switch field {
	case "target":
		return tr.S("ui.card.label.target")
	case "hypothesis":
		return tr.S("ui.card.label.hypothesis")
	case "steady":
		return tr.S("ui.card.label.steady")
	case "phases":
		return tr.S("ui.card.label.phases")
	case "blast":
		return tr.S("ui.card.label.blast")
	case "dryrun":
		return tr.S("ui.card.label.dryRun")
	case "faults":
		return tr.S("ui.card.label.faults")
	case "stop":
		return tr.S("ui.card.label.stop")
	case "rollback":
		return tr.S("ui.card.label.rollback")
	case "load":
		return tr.S("ui.card.label.load")
	case "about":
		return tr.S("ui.card.label.about")
	}
	return field
}

// steadyState says a plan's thresholds in one line.
func steadyState(tr *printer, pl *scenarios.Plan) string {
	var parts []string
	for _, m := range scenarios.Metrics {
		b, ok := pl.SteadyState[m]
		if !ok || (b.Min == nil && b.Max == nil) {
			continue
		}
		parts = append(parts, metricName(tr, m)+" "+formatBound(tr, m, b))
	}
	if len(parts) == 0 {
		return tr.S("ui.card.noBounds")
	}
	return strings.Join(parts, " · ")
}

// describeFault says what a fault does: "f1 latency +300ms ±50ms · 10% ·
// at +30s for 1m".
func describeFault(tr *printer, f scenarios.Fault) string {
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
		params = append(params, tr.S("ui.fault.workers", pr.Workers))
	}
	if pr.Load > 0 {
		params = append(params, tr.S("ui.fault.load", pr.Load))
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
	if l := f.Ladder; l != nil && len(l.Steps) > 0 {
		steps := make([]string, len(l.Steps))
		for i, st := range l.Steps {
			steps[i] = shortSelection(tr, st)
		}
		if l.OnBreach == scenarios.OnBreachHold {
			parts = append(parts, tr.S("ui.fault.ladderHold", strings.Join(steps, " → "), fmtDuration(l.Hold)))
		} else {
			parts = append(parts, tr.S("ui.fault.ladderStop", strings.Join(steps, " → "), fmtDuration(l.Hold)))
		}
	} else {
		parts = append(parts, selectionString(tr, f.Selection))
	}
	var when string
	switch {
	case f.Manual && f.Duration > 0:
		when = tr.S("ui.fault.manualFor", fmtDuration(f.Duration))
	case f.Manual:
		when = tr.S("ui.fault.manualUntilEnd")
	case f.Duration > 0:
		when = tr.S("ui.fault.atFor", fmtDuration(f.StartAfter), fmtDuration(f.Duration))
	default:
		when = tr.S("ui.fault.atUntilEnd", fmtDuration(f.StartAfter))
	}
	parts = append(parts, when)
	return strings.Join(parts, " · ")
}

// shortSelection says how many targets a fault hits, tersely; nothing for
// all of them (a database, a dependency: there is one).
func shortSelection(tr *printer, s providers.Selection) string {
	switch {
	case s.Percent > 0 && s.Count == 0:
		return fmt.Sprintf("%g%%", s.Percent)
	case s.Count == 0:
		return ""
	}
	return selectionString(tr, s)
}

// selectionString says how many targets a fault hits.
func selectionString(tr *printer, s providers.Selection) string {
	switch {
	case s.Count > 0:
		return tr.S("ui.card.targets", s.Count)
	case s.Percent > 0:
		return tr.S("ui.sel.percent", fmt.Sprintf("%g", s.Percent))
	}
	return tr.S("ui.sel.all")
}

// describeStop says a stop condition: "error rate > 5.00 % for 10s".
func describeStop(tr *printer, sc scenarios.StopCondition) string {
	var parts []string
	if sc.Above != nil {
		parts = append(parts, "> "+formatValue(sc.Metric, *sc.Above))
	}
	if sc.Below != nil {
		parts = append(parts, "< "+formatValue(sc.Metric, *sc.Below))
	}
	return tr.S("ui.card.stop", metricName(tr, sc.Metric), strings.Join(parts, tr.S("ui.sep.or")), fmtDuration(sc.For))
}
