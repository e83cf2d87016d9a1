package engine

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guptarohit/asciigraph"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// Graph geometry: the plotted area is graphWidth columns wide, which with
// the y-axis labels keeps every line within 72 columns.
const (
	graphWidth  = 56
	graphHeight = 8
)

// WriteReport writes the markdown experiment report of a run, computed from
// its journal records alone. The output is deterministic: the same records
// give the same bytes, so `gameday report JOURNAL` reproduces the report
// the run wrote. A journal without a verdict (a crashed run) gives a report
// marked unfinished.
func WriteReport(w io.Writer, records []Record) error {
	s, err := derive(records)
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	bw := bufio.NewWriter(w)
	rw := &reportWriter{w: bw, s: s}
	rw.header()
	rw.plan()
	rw.steadyState()
	rw.findings()
	rw.timeline()
	rw.graphs()
	rw.observations()
	rw.lessons()
	rw.rollbacks()
	rw.environment()
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

type reportWriter struct {
	w *bufio.Writer
	s *findings
}

func (rw *reportWriter) p(format string, args ...any) {
	fmt.Fprintf(rw.w, format, args...)
	_ = rw.w.WriteByte('\n')
}

// cell makes text safe for one markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "\r", "")
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "|", `\|`)
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}

// line makes text safe for one markdown list item.
func line(s string) string {
	s = strings.ReplaceAll(s, "\r", "")
	return strings.ReplaceAll(s, "\n", " ")
}

// code renders s as inline code, whatever backticks it holds.
func code(s string) string {
	s = line(s)
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "(not stated)"
	}
	return line(s)
}

func (rw *reportWriter) header() {
	s := rw.s
	rw.p("# Game day report: %s", line(s.plan.Title))
	rw.p("")
	dry := ""
	if s.env != nil && s.env.DryRun {
		dry = " (dry run: nothing was injected)"
	}
	switch {
	case s.rejudged != nil:
		rw.p("**Verdict: %s%s** — %s", verdictLabel(s.rejudged), dry, line(s.rejudged.Reason))
		rw.p("")
		how := "window by window (its journal has no latency histograms)"
		for _, c := range s.rejudged.Checks {
			if c.Method == MethodAllRequests {
				how = "on every request"
			}
		}
		rw.p("> ⚠️ The run itself (gameday %s) recorded **%s** — %s. That version took a phase's p95 as the median of the per-second p95s; judged %s, the same samples give the verdict above.", line(orVersion(s.env.Version)), verdictLabel(s.outcome), line(s.outcome.Reason), how)
	case s.outcome != nil:
		rw.p("**Verdict: %s%s** — %s", verdictLabel(s.outcome), dry, line(s.outcome.Reason))
	default:
		rw.p("**Verdict: %s** — the journal ends at %s without a verdict; the run did not finish.", verdictLabel(nil), s.rel(s.end))
	}
	rw.p("")
	if manual := s.manual(); len(manual) > 0 {
		rw.p("> 🚨 **Manual action needed.** These faults were not confirmed rolled back and may still be in place:")
		rw.p(">")
		for _, f := range manual {
			cmd := f.Manual
			if cmd == "" {
				cmd = "gameday recover JOURNAL"
			}
			rw.p("> - %s (%s, %s): %s", f.Fault.ID, f.Fault.Kind, f.State, code(cmd))
		}
		rw.p("")
	}
	rw.p("Run started %s (UTC) and lasted %s. Scenario: %s.", s.start.UTC().Format(time.RFC3339), formatDuration(s.end.Sub(s.start).Round(time.Second)), code(s.plan.Path))
	rw.p("")
}

func (rw *reportWriter) plan() {
	pl := rw.s.plan
	rw.p("## Plan")
	rw.p("")
	rw.p("- **Hypothesis:** %s", orNone(pl.Hypothesis))
	if pl.Description != "" {
		rw.p("- **Description:** %s", line(pl.Description))
	}
	rw.p("- **Blast radius:** %s", orNone(pl.BlastRadius))
	rw.p("- **Rollback:** %s", orNone(pl.Rollback))
	rw.p("- **Phases:** baseline %s, fault %s, recovery %s", formatDuration(pl.Phases.Baseline), formatDuration(pl.Phases.Fault), formatDuration(pl.Phases.Recovery))
	if pl.Load != nil {
		redirects := ""
		if pl.Load.AcceptRedirects {
			redirects = "; a redirect (3xx) counts as a success"
		}
		rw.p("- **Load:** %s req/s (built-in load generator%s)", formatNum(pl.Load.Rate), redirects)
	}
	if len(pl.StopConditions) == 0 {
		rw.p("- **Stop conditions:** none")
	} else {
		rw.p("- **Stop conditions:**")
		for _, sc := range pl.StopConditions {
			rw.p("  - %s", describeStop(sc))
		}
	}
	rw.p("")
	rw.p("| Fault | Kind | Selection | Parameters | Schedule | Targets hit |")
	rw.p("|---|---|---|---|---|---|")
	for _, f := range pl.Faults {
		targets := rw.s.hit[f.ID]
		if len(targets) == 0 {
			for _, st := range rw.s.faults {
				if st.Fault.ID == f.ID && st.State == FaultDryRun {
					targets = st.Targets
				}
			}
		}
		rw.p("| %s | %s | %s | %s | %s | %s |", cell(f.ID), cell(string(f.Kind)), cell(f.Selection.String()), cell(formatParams(f.Params)), cell(schedule(f)), cell(formatTargets(targets, "not injected")))
	}
	rw.p("")
}

func formatParams(p providers.Params) string {
	var parts []string
	if p.Delay > 0 {
		parts = append(parts, "delay "+formatDuration(p.Delay))
	}
	if p.Jitter > 0 {
		parts = append(parts, "jitter "+formatDuration(p.Jitter))
	}
	if p.Workers > 0 {
		parts = append(parts, fmt.Sprintf("workers %d", p.Workers))
	}
	if p.Load > 0 {
		parts = append(parts, fmt.Sprintf("load %d%%", p.Load))
	}
	if p.MemoryMB > 0 {
		parts = append(parts, fmt.Sprintf("memory %d MB", p.MemoryMB))
	}
	if p.Mode != "" {
		parts = append(parts, "mode "+p.Mode)
	}
	return strings.Join(parts, ", ")
}

func schedule(f scenarios.Fault) string {
	when := "at +" + formatDuration(f.StartAfter)
	if f.Manual {
		when = "on demand"
	}
	if f.Duration > 0 {
		return when + " for " + formatDuration(f.Duration)
	}
	return when + " until the fault phase ends"
}

func formatTargets(ts []providers.Target, none string) string {
	if len(ts) == 0 {
		return none
	}
	parts := make([]string, len(ts))
	for i, t := range ts {
		switch {
		case t.Name == "" || t.Name == t.ID:
			parts[i] = t.ID
		case strings.HasPrefix(t.Name, t.ID):
			parts[i] = t.Name // "replica-1 (pid 42)" already names it
		default:
			parts[i] = t.ID + " (" + t.Name + ")"
		}
	}
	return strings.Join(parts, ", ")
}

func (rw *reportWriter) steadyState() {
	s := rw.s
	rw.p("## Steady state")
	rw.p("")
	rw.p("| Metric | Threshold | Baseline | During fault | Recovery |")
	rw.p("|---|---|---|---|---|")
	methods := map[string][]string{}
	for _, m := range planMetrics(s.plan) {
		b := s.plan.SteadyState[m]
		row := []string{metricLabel(m), formatBound(m, b)}
		for _, g := range groups {
			c, ok := s.check(g, m)
			if ok && c.Method != "" && !slices.Contains(methods[c.Method], metricLabel(m)) {
				methods[c.Method] = append(methods[c.Method], metricLabel(m))
			}
			row = append(row, checkCell(c, ok))
		}
		rw.p("| %s |", strings.Join(row, " | "))
	}
	rw.p("")
	if len(methods) == 0 {
		rw.p("Per phase as recorded by gameday %s (its p95 was the median of the per-second p95s).", line(orVersion(s.env.Version)))
	} else {
		var parts []string
		for _, k := range []string{MethodAllRequests, MethodPerWindow, MethodTotals, MethodMean, MethodLowest, MethodHighest} {
			if ms := methods[k]; len(ms) > 0 {
				parts = append(parts, strings.Join(ms, ", ")+" "+methodText(k))
			}
		}
		rw.p("Per phase: %s. A window is one sample of the source (one second for the built-in load).", strings.Join(parts, "; "))
	}
	rw.p("")
	if s.errorKinds != nil {
		rw.p("Failed requests by kind: %s.", errorKindsText(s.errorKinds))
		rw.p("")
	}
}

// groupLabel names a check group in a sentence: "during fault".
func groupLabel(grp string) string {
	if grp == GroupFault {
		return "during fault"
	}
	return grp
}

// errorKindsText renders the failed requests of each group by kind:
// "baseline none; during fault 3xx 120, timeout 2; recovery none".
func errorKindsText(by map[string]map[string]int64) string {
	parts := make([]string, 0, len(groups))
	for _, grp := range groups {
		kinds := by[grp]
		if len(kinds) == 0 {
			parts = append(parts, groupLabel(grp)+" none")
			continue
		}
		names := make([]string, 0, len(kinds))
		for k := range kinds {
			names = append(names, k)
		}
		slices.Sort(names)
		counts := make([]string, len(names))
		for i, k := range names {
			counts[i] = fmt.Sprintf("%s %d", line(k), kinds[k])
		}
		parts = append(parts, groupLabel(grp)+" "+strings.Join(counts, ", "))
	}
	return strings.Join(parts, "; ")
}

// checkCell renders one check for the steady-state table: the value and
// its verdict, then how many windows were beyond the bound and the worst.
func checkCell(c Check, ok bool) string {
	m := c.Metric
	switch {
	case !ok:
		return "— not measured"
	case c.Samples == 0:
		return "no data ❌ breached"
	}
	v := formatValue(m, c.Value)
	if c.Method == MethodPerWindow {
		v = "worst " + v
	}
	if c.Offered > 0 && m == scenarios.Throughput {
		v += " of " + formatNum(c.Offered) + " offered"
	}
	if c.Holds {
		v += " ✅ held"
	} else {
		v += " ❌ breached"
	}
	if c.Method != "" && c.Breached > 0 && m != scenarios.Running {
		v += fmt.Sprintf(" (%d of %d windows beyond, worst %s)", c.Breached, c.Samples, formatValue(m, c.Worst))
	}
	if c.Note != "" {
		v += " — " + c.Note
	}
	return v
}

func methodText(method string) string {
	switch method {
	case MethodAllRequests:
		return "over every request of the phase (merged latency histograms)"
	case MethodPerWindow:
		return "from per-window percentiles (the source has no histograms): it holds when at most 5% of the windows are beyond the bound"
	case MethodTotals:
		return "is errors ÷ requests over the phase"
	case MethodMean:
		return "is the mean of the windows"
	case MethodLowest:
		return "is the lowest window"
	case MethodHighest:
		return "is the highest window"
	}
	return method
}

func orVersion(v string) string {
	if v == "" {
		return "of an unknown version"
	}
	return v
}

func (rw *reportWriter) findings() {
	s := rw.s
	rw.p("## Findings")
	rw.p("")
	switch d := s.detect; {
	case s.firstInject.IsZero():
		rw.p("- **Time to detect:** n/a — no fault was injected")
	case d.found:
		rw.p("- **Time to detect:** %s — %s at %s", formatSeconds(d.after), d.what, s.rel(d.at))
		if d.mechanism != "" && d.mechanism != d.what {
			rw.p("- **Detected by the system:** %s, %s after the first injection", d.mechanism, formatSeconds(d.mechanismAt.Sub(s.firstInject)))
		}
	default:
		rw.p("- **Time to detect:** no impact was visible — no bound was breached and the running count did not drop after the first injection")
	}
	switch r := s.recover; r.state {
	case "recovered":
		rw.p("- **Time to recover:** %s after %s — every metric within bounds%s from %s on", formatSeconds(r.after), r.from, rw.runningNote(), s.rel(r.at))
	case "not recovered":
		rw.p("- **Time to recover:** not recovered by the end of the run")
	case "no data":
		rw.p("- **Time to recover:** unknown — no samples after %s", r.from)
	default:
		rw.p("- **Time to recover:** n/a — nothing was rolled back")
	}
	for _, e := range s.extremes {
		if _, watched := s.plan.SteadyState[e.m]; !watched {
			continue
		}
		if !e.ok {
			rw.p("- **%s:** no data", e.label)
			continue
		}
		rw.p("- **%s:** %s at %s (%s)", e.label, formatValue(e.m, e.v), s.rel(e.at), e.group)
	}
	rw.p("")
}

func (rw *reportWriter) runningNote() string {
	if rw.s.baselineRunning < 0 {
		return ""
	}
	return fmt.Sprintf(" and running count back to %d", rw.s.baselineRunning)
}

func (rw *reportWriter) timeline() {
	s := rw.s
	rw.p("## Timeline")
	rw.p("")
	prev, inFault := "", false
	for _, rec := range s.records {
		text := describeRecord(s, rec)
		// The fault phase shows as injecting while a call is in flight
		// and observing otherwise; the timeline names it once, as the
		// plan does.
		if ph, ok := ParsePhase(rec.Phase); rec.Type == RecPhase && ok {
			switch ph {
			case Injecting, Observing:
				if inFault {
					continue
				}
				inFault, text = true, "phase → **fault**"
			case Recovering:
				text = "phase → **recovery**"
			case Ready, Baseline, RollingBack, Done, Aborted:
			}
		}
		if text == "" {
			continue
		}
		item := fmt.Sprintf("- %s %s", code(s.rel(rec.At)), text)
		if item != prev { // the same line twice in one second says nothing more
			rw.p("%s", item)
		}
		prev = item
	}
	rw.p("")
}

// describeRecord renders one record for the timeline; samples give "".
func describeRecord(s *findings, rec Record) string {
	switch rec.Type {
	case RecPlan:
		return fmt.Sprintf("run started: %s (%s)", line(s.plan.Title), line(s.env.Provider))
	case RecPhase:
		return "phase → **" + rec.Phase + "**"
	case RecFault, RecRecover:
		if rec.Fault == nil {
			if rec.Reason != "" {
				return "recover: " + line(rec.Reason)
			}
			return ""
		}
		prefix := ""
		if rec.Type == RecRecover {
			prefix = "recover: "
		}
		return prefix + describeFault(s, *rec.Fault)
	case RecNote:
		if rec.Note == nil {
			return ""
		}
		return noteLabel(rec.Note.Kind) + ": " + line(rec.Note.Text)
	case RecAbort:
		return "**abort**: " + line(rec.Reason)
	case RecVerdict:
		if rec.Outcome == nil {
			return ""
		}
		return fmt.Sprintf("verdict: **%s** — %s", verdictLabel(rec.Outcome), line(rec.Outcome.Reason))
	case RecSystem:
		if rec.Event == nil {
			return ""
		}
		return fmt.Sprintf("system (%s): %s", line(rec.Event.Source), line(rec.Event.Text))
	case RecClose, RecSample:
	}
	return ""
}

func describeFault(s *findings, f FaultStatus) string {
	head := fmt.Sprintf("%s (%s) %s", f.Fault.ID, f.Fault.Kind, f.State)
	switch f.State {
	case FaultActive:
		head += " on " + formatTargets(f.Targets, "unknown targets")
		if !f.EndsAt.IsZero() {
			head += ", until " + s.rel(f.EndsAt)
		}
	case FaultRolledBack:
		if v := f.Verification; v != nil && v.Clean {
			head += ", verified clean"
		}
	case FaultRollbackFailed:
		if f.Manual != "" {
			head += " — manual: " + code(f.Manual)
		}
	case FaultDryRun:
		if len(f.Targets) > 0 {
			head += ", would hit " + formatTargets(f.Targets, "")
		}
		if len(f.Calls) > 0 {
			calls := make([]string, len(f.Calls))
			for i, c := range f.Calls {
				calls[i] = code(c)
			}
			head += " — would call " + strings.Join(calls, "; ")
		}
	case FaultPending, FaultRequested, FaultInjecting, FaultRollingBack, FaultSkipped, FaultInjectFailed:
	}
	if f.Err != "" {
		head += " (" + line(f.Err) + ")"
	}
	return head
}

func noteLabel(k NoteKind) string {
	switch k {
	case Success:
		return "✅ success"
	case Improvement:
		return "🔧 improvement"
	case Observation:
	}
	return "📝 note"
}

func (rw *reportWriter) graphs() {
	s := rw.s
	rw.p("## Graphs")
	rw.p("")
	if len(s.samples) < 2 {
		rw.p("Not enough samples to plot (%d).", len(s.samples))
		rw.p("")
		return
	}
	from, to, ok := rw.faultWindow()
	for _, g := range []struct {
		title string
		m     scenarios.Metric
	}{
		{"p95 latency (ms)", scenarios.P95},
		{"Error rate", scenarios.ErrorRate},
		{"Throughput (req/s)", scenarios.Throughput},
		{"Running instances", scenarios.Running},
	} {
		rw.p("### %s", g.title)
		rw.p("")
		rw.p("```text")
		rw.p("%s", plotMetric(s, g.m, from, to, ok))
		rw.p("```")
		rw.p("")
	}
}

// faultWindow returns the indexes of the first and last sample during which
// a fault was in effect: from the first intent to inject to the end of the
// last rollback (or the end of the run, if a rollback never ended).
func (rw *reportWriter) faultWindow() (int, int, bool) {
	s := rw.s
	if s.firstInject.IsZero() {
		return 0, 0, false
	}
	end := s.lastRollback
	if end.IsZero() || end.Before(s.firstInject) {
		end = s.end
	}
	from, to := -1, -1
	for i, smp := range s.samples {
		// A sample covers the second that ends at its At.
		if smp.At.After(s.firstInject) && !smp.At.Add(-time.Second).After(end) {
			if from < 0 {
				from = i
			}
			to = i
		}
	}
	return from, to, from >= 0
}

// plotMetric draws metric m over all samples with its thresholds as flat
// lines, a marker under the fault window and the run's time span.
func plotMetric(s *findings, m scenarios.Metric, from, to int, marked bool) string {
	n := len(s.samples)
	series := make([]float64, n)
	known := 0
	for i, smp := range s.samples {
		v, ok := m.Value(smp)
		if !ok || (m == scenarios.P95 && !carriesLatency(smp)) {
			series[i] = math.NaN()
			continue
		}
		series[i] = clampPlot(v)
		known++
	}
	if known == 0 {
		return "no data"
	}
	data := [][]float64{series}
	var legend []string
	b, hasBound := s.plan.SteadyState[m]
	hi := 0.0
	for _, v := range series {
		if !math.IsNaN(v) {
			hi = max(hi, v)
		}
	}
	for _, lim := range []*float64{b.Min, b.Max} {
		if hasBound && lim != nil {
			flat := make([]float64, n)
			for i := range flat {
				flat[i] = clampPlot(*lim)
			}
			data = append(data, flat)
			hi = max(hi, flat[0])
		}
	}
	if hasBound {
		legend = append(legend, "flat line: threshold "+formatBound(m, b))
	}
	opts := []asciigraph.Option{
		asciigraph.Width(graphWidth),
		asciigraph.Height(graphHeight),
		asciigraph.LowerBound(0),
		asciigraph.YAxisValueFormatter(func(v float64) string { return formatNum(v) }),
	}
	if hi < 1e-9 {
		// A flat zero (or vanishingly small) range would make asciigraph
		// divide by almost nothing.
		opts = append(opts, asciigraph.UpperBound(1))
	}
	plot := asciigraph.PlotMany(data, opts...)
	axis := axisColumn(plot)
	var sb strings.Builder
	sb.WriteString(plot)
	// Sample i is interpolated to x = i·(width−1)/(n−1); the curve's change
	// between x and x+1 is drawn in the column right of x.
	col := func(i int) int { return axis + 1 + int(math.Round(float64(i)*float64(graphWidth-1)/float64(n-1))) }
	if marked {
		a, z := col(from), col(to)
		sb.WriteString("\n" + strings.Repeat(" ", a) + strings.Repeat("^", z-a+1) + " fault")
	}
	left, right := s.rel(s.start), s.rel(s.end)
	gap := max(graphWidth-len(left)-len(right), 1)
	sb.WriteString("\n" + strings.Repeat(" ", axis) + left + strings.Repeat(" ", gap) + right)
	for _, l := range legend {
		sb.WriteString("\n" + strings.Repeat(" ", axis) + l)
	}
	return sb.String()
}

// clampPlot keeps a value inside the range asciigraph can scale: [0, 1e15]
// (metrics are never negative; a corrupt journal may say anything), with
// anything below 1e-12 drawn as 0.
func clampPlot(v float64) float64 {
	switch {
	case math.IsNaN(v):
		return v
	case v < 1e-12:
		return 0
	case v > 1e15:
		return 1e15
	}
	return v
}

// axisColumn returns the column of the y axis in an asciigraph plot: every
// row's label is padded to the same width, so the first row tells.
func axisColumn(plot string) int {
	first, _, _ := strings.Cut(plot, "\n")
	for i, r := range []rune(first) {
		if r == '┤' || r == '┼' {
			return i
		}
	}
	return utf8.RuneCountInString(first)
}

func (rw *reportWriter) observations() {
	s := rw.s
	rw.p("## Observations")
	rw.p("")
	n := 0
	for _, rec := range s.records {
		if rec.Type == RecNote && rec.Note != nil {
			rw.p("- %s %s: %s", code(s.rel(rec.At)), noteLabel(rec.Note.Kind), line(rec.Note.Text))
			n++
		}
	}
	if n == 0 {
		rw.p("None recorded.")
	}
	rw.p("")
}

// lessons writes Successes and Improvements (findings.lessons).
func (rw *reportWriter) lessons() {
	rw.p("## Successes")
	rw.p("")
	rw.list(rw.s.successes)
	rw.p("## Improvements")
	rw.p("")
	rw.list(rw.s.improvements)
}

func (rw *reportWriter) list(items []string) {
	if len(items) == 0 {
		rw.p("None.")
	}
	for _, it := range items {
		rw.p("- %s", it)
	}
	rw.p("")
}

func (rw *reportWriter) rollbacks() {
	s := rw.s
	rw.p("## Rollback and verification")
	rw.p("")
	rw.p("| Fault | Kind | Final state | Verification | Details |")
	rw.p("|---|---|---|---|---|")
	for _, f := range s.faults {
		verif := "— not verified"
		if v := f.Verification; v != nil {
			verif = "✅ clean"
			if !v.Clean {
				verif = "❌ dirty"
			}
			if len(v.Details) > 0 {
				verif += ": " + strings.Join(v.Details, "; ")
			}
		}
		var details []string
		if f.Err != "" {
			details = append(details, f.Err)
		}
		if f.Manual != "" {
			details = append(details, "manual: "+code(f.Manual))
		}
		for _, c := range f.Calls {
			details = append(details, "would call "+code(c))
		}
		rw.p("| %s | %s | %s | %s | %s |", cell(f.Fault.ID), cell(string(f.Fault.Kind)), cell(stateLabel(f.State)), cell(verif), cell(strings.Join(details, "; ")))
	}
	rw.p("")
}

func (rw *reportWriter) environment() {
	s := rw.s
	env := s.env
	rw.p("## Environment")
	rw.p("")
	rw.p("- **Provider:** %s", orNone(env.Provider))
	if t := s.plan.Target; t.Name != "" || t.Environment != "" {
		rw.p("- **Target system:** %s", line(strings.TrimSpace(t.Name+" "+parens(t.Environment))))
	}
	rw.p("- **Targets resolved before the run:** %s", line(formatTargets(env.Targets, "none")))
	version := env.Version
	if version == "" {
		version = "unknown"
	}
	rw.p("- **gameday version:** %s", line(version))
	if env.RunID != "" {
		rw.p("- **Run ID:** %s (faults are labelled %s)", code(env.RunID), code(ownerPattern(s)))
	}
	if env.DryRun {
		rw.p("- **Dry run:** yes, nothing was changed")
	}
	last := s.records[len(s.records)-1]
	rw.p("- **Journal:** %d records (seq %d–%d), %d samples", len(s.records), s.records[0].Seq, last.Seq, len(s.samples))
}

// ownerPattern shows the owner label the run's faults carried, as it
// journaled them (older versions used RUN/FAULT).
func ownerPattern(s *findings) string {
	for _, f := range s.faults {
		if f.Injection != nil && f.Injection.Owner != "" {
			return strings.Replace(f.Injection.Owner, f.Fault.ID, "FAULT", 1)
		}
	}
	return providers.OwnerLabel(s.env.RunID, "FAULT")
}

func parens(s string) string {
	if s == "" {
		return ""
	}
	return "(" + s + ")"
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
	case FaultGone:
		return "⚫ " + st.String()
	case FaultRequested, FaultInjecting, FaultActive, FaultRollingBack:
		return "⚠️ " + st.String() + " (may still be active)"
	}
	return st.String()
}
