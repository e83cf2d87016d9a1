package engine

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/gameday-tui/gameday/scenarios"
)

// WithHistoryChartLinks links the history's SVG charts from its markdown:
// a relative URL per HistoryChart.Name (HistoryCharts draws them).
func WithHistoryChartLinks(links map[string]string) ReportOption {
	return func(c *reportConfig) { c.historyCharts = links }
}

// WriteHistory writes the history of each scenario for a terminal: a
// table of its runs — date, verdict, time to detect, time to recover,
// worst p95, worst error rate, widest ladder step that held — columns
// aligned by their width on a terminal (a Japanese word takes two
// cells), then each figure of the latest finished run against the one
// before it and the first. Text from the journals is made printable
// (Printable). Like the report, it is a pure function of its input.
func WriteHistory(w io.Writer, groups []ScenarioRuns, opts ...ReportOption) error {
	return writeHistory(w, groups, false, opts)
}

// WriteHistoryMarkdown writes the same as WriteHistory as markdown, for
// the monthly review: a section per scenario with its table, the trend,
// and the charts WithHistoryChartLinks links.
func WriteHistoryMarkdown(w io.Writer, groups []ScenarioRuns, opts ...ReportOption) error {
	return writeHistory(w, groups, true, opts)
}

func writeHistory(w io.Writer, groups []ScenarioRuns, md bool, opts []ReportOption) error {
	cfg := newReportConfig(opts)
	bw := bufio.NewWriter(w)
	hw := &historyWriter{w: bw, md: md, cfg: cfg, wd: &words{pr: NewPrinter(cfg.lang), loc: cfg.loc}}
	hw.write(groups)
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write history: %w", err)
	}
	return nil
}

type historyWriter struct {
	w   *bufio.Writer
	md  bool
	cfg reportConfig
	wd  *words
	// seconds shows the seconds of the dates: two runs of the scenario
	// being written started in the same minute.
	seconds bool
}

func (hw *historyWriter) line(parts ...string) {
	for _, p := range parts {
		_, _ = hw.w.WriteString(p)
	}
	_ = hw.w.WriteByte('\n')
}

func (hw *historyWriter) t(key string, args ...any) string { return hw.wd.t(key, args...) }

// text makes text from a journal safe where it goes: escaped markdown,
// or printable on a terminal.
func (hw *historyWriter) text(s string) string {
	if hw.md {
		return escapeText(s)
	}
	return Printable(s)
}

// date is a run's start in the reader's zone, to the minute (to the
// second when two runs started in one minute).
func (hw *historyWriter) date(t time.Time) string {
	if hw.seconds {
		return t.In(hw.wd.loc).Format("2006-01-02 15:04:05")
	}
	return t.In(hw.wd.loc).Format("2006-01-02 15:04")
}

func (hw *historyWriter) write(groups []ScenarioRuns) {
	runs := 0
	for _, g := range groups {
		runs += len(g.Runs)
	}
	overview := hw.t("hist.overview", hw.t("hist.count.scenarios", len(groups)), hw.t("hist.count.runs", runs), hw.zone(groups))
	if hw.md {
		hw.line(hw.t("hist.h1"))
		hw.line()
		hw.line(overview)
		hw.line()
		hw.line(hw.t("hist.legend"))
	} else {
		hw.line(hw.t("hist.title"), " — ", overview)
		hw.line(hw.t("hist.legend"))
	}
	if len(groups) == 0 {
		hw.line()
		hw.line(hw.t("hist.none"))
	}
	slugs := historySlugs(groups)
	for i, g := range groups {
		hw.line()
		hw.scenario(g, slugs[i])
	}
}

// zone names the reader's zone as the runs' starts were in it, with its
// UTC offset: "CET (UTC+01:00)", and each of them when daylight saving
// time changed it in between: "CET (UTC+01:00), CEST (UTC+02:00)". The
// zone's abbreviation says more than the name of time.Local ("Local").
func (hw *historyWriter) zone(groups []ScenarioRuns) string {
	var zones []string
	for _, g := range groups {
		for _, r := range g.Runs {
			t := r.Start.In(hw.wd.loc)
			abbr, _ := t.Zone()
			z := hw.t("hist.zone", hw.text(abbr), t.Format("-07:00"))
			if !slices.Contains(zones, z) {
				zones = append(zones, z)
			}
		}
	}
	if len(zones) == 0 {
		return hw.text(hw.wd.loc.String())
	}
	return strings.Join(zones, hw.t("sep.comma"))
}

func (hw *historyWriter) scenario(g ScenarioRuns, slug string) {
	hw.seconds = false
	for i := 1; i < len(g.Runs); i++ {
		if hw.date(g.Runs[i].Start) == hw.date(g.Runs[i-1].Start) {
			hw.seconds = true
			break
		}
	}
	latest := g.Latest()
	title := hw.text(latest.Plan.Localized(string(hw.cfg.lang)).Title)
	span := hw.date(g.Runs[0].Start)
	if len(g.Runs) > 1 {
		span = hw.t("hist.span", span, hw.date(latest.Start))
	}
	count := hw.t("hist.count.runs", len(g.Runs))
	if hw.md {
		hw.line("## ", title)
		hw.line()
		hw.line(hw.t("hist.scenario.meta", code(g.Scenario), hw.text(g.Provider), count, span))
		hw.line()
	} else {
		hw.line(hw.t("hist.scenario", title, hw.text(g.Scenario), hw.text(g.Provider), count, span))
		hw.line()
	}
	head := []string{hw.t("hist.col.date"), hw.t("hist.col.verdict"), hw.t("hist.col.detect"), hw.t("hist.col.recover"), hw.t("hist.col.p95"), hw.t("hist.col.errors"), hw.t("hist.col.step")}
	rows := [][]string{head}
	var notes []string
	for _, r := range g.Runs {
		rows = append(rows, []string{
			hw.date(r.Start), hw.verdictCell(r), hw.delayCell(r.Detect), hw.delayCell(r.Recover),
			hw.worstCell(scenarios.P95, r.WorstP95), hw.worstCell(scenarios.ErrorRate, r.WorstErrorRate), hw.stepCell(r.Ladders),
		})
		if r.Rejudged() {
			notes = append(notes, hw.t("hist.rejudged", hw.date(r.Start), hw.text(orUnknown(hw.wd, r.Version)), hw.verdictWord(r.Recorded, false)))
		}
	}
	hw.table(rows)
	if len(notes) > 0 {
		hw.line()
		for _, n := range notes {
			hw.line(n)
		}
	}
	hw.line()
	hw.trend(g)
	if hw.md {
		hw.charts(g, slug)
	}
}

func orUnknown(wd *words, v string) string {
	if v == "" {
		return wd.t("word.unknown")
	}
	return v
}

// table writes rows, the first the header: a markdown table, or columns
// padded to the widest cell in terminal cells, two spaces apart.
func (hw *historyWriter) table(rows [][]string) {
	if hw.md {
		for i, row := range rows {
			cells := make([]string, len(row))
			for j, c := range row {
				cells[j] = cell(c)
			}
			hw.line("| ", strings.Join(cells, " | "), " |")
			if i == 0 {
				hw.line(strings.Repeat("|---", len(row)), "|")
			}
		}
		return
	}
	for _, l := range columns(rows, "  ") {
		hw.line(l)
	}
}

// columns pads each cell of rows to its column's widest, in terminal
// cells; trailing spaces are left off.
func columns(rows [][]string, gap string) []string {
	var widths []int
	for _, row := range rows {
		for j, c := range row {
			if j >= len(widths) {
				widths = append(widths, 0)
			}
			widths[j] = max(widths[j], ansi.StringWidth(c))
		}
	}
	out := make([]string, len(rows))
	var b strings.Builder
	for i, row := range rows {
		b.Reset()
		for j, c := range row {
			if j > 0 {
				b.WriteString(gap)
			}
			b.WriteString(c)
			if j < len(row)-1 {
				b.WriteString(strings.Repeat(" ", widths[j]-ansi.StringWidth(c)))
			}
		}
		out[i] = strings.TrimRight(b.String(), " ")
	}
	return out
}

// verdictWord words a verdict as the report's header does ("✅ HELD").
func (hw *historyWriter) verdictWord(v Verdict, live bool) string {
	switch v {
	case "":
		if live {
			return hw.t("verdict.live")
		}
		return hw.t("verdict.unfinished")
	case VerdictHeld:
		return hw.t("verdict.held")
	case VerdictViolated:
		return hw.t("verdict.violated")
	case VerdictNotSteady:
		return hw.t("verdict.notsteady")
	case VerdictAborted:
		return hw.t("verdict.aborted")
	case VerdictRollbackFailed:
		return hw.t("verdict.rollbackfailed")
	}
	return hw.text(string(v))
}

// verdictCell is a run's verdict, marked as a dry run, and with † when
// it is this version's judgement rather than the run's own.
func (hw *historyWriter) verdictCell(r RunSummary) string {
	v := hw.verdictWord(r.Verdict, r.Live)
	if r.DryRun {
		v = hw.t("hist.dryrun", v)
	}
	if r.Rejudged() {
		v += "†"
	}
	return v
}

func (hw *historyWriter) delayCell(d Delay) string {
	switch d.State {
	case DelayMeasured:
		return hw.wd.measured(d.After)
	case DelayNotInjected:
		return hw.t("hist.delay.notinjected")
	case DelayNoImpact:
		return hw.t("hist.delay.noimpact")
	case DelayNotYet:
		return hw.t("hist.delay.notyet")
	case DelayNotRecovered:
		return hw.t("hist.delay.notrecovered")
	case DelayNoData:
		return hw.t("hist.nodata")
	case DelayNotRolledBack:
		return hw.t("hist.delay.notrolledback")
	}
	return "?"
}

func (hw *historyWriter) worstCell(m scenarios.Metric, w Worst) string {
	if !w.Known {
		return hw.t("hist.nodata")
	}
	return hw.wd.value(m, w.Value)
}

// stepCell is the widest step that held of each ladder: "25% (step 2 of
// 3)"; "—" without a ladder.
func (hw *historyWriter) stepCell(ls []LadderReach) string {
	if len(ls) == 0 {
		return "—"
	}
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = hw.reach(l)
		if len(ls) > 1 {
			parts[i] = hw.t("hist.step.fault", hw.text(l.FaultID), parts[i])
		}
	}
	return strings.Join(parts, hw.t("sep.comma"))
}

func (hw *historyWriter) reach(l LadderReach) string {
	sel, ok := l.Widest()
	switch {
	case !l.Reached:
		return hw.t("hist.step.notreached")
	case !ok:
		return hw.t("hist.step.none")
	}
	return hw.t("hist.step", hw.wd.selection(sel), l.Held, len(l.Steps))
}

// figureLabel names a figure as its column does.
func (hw *historyWriter) figureLabel(f histFigure) string {
	switch f {
	case figDetect:
		return hw.t("hist.col.detect")
	case figRecover:
		return hw.t("hist.col.recover")
	case figP95:
		return hw.t("hist.col.p95")
	case figErrors:
		return hw.t("hist.col.errors")
	case figStep:
	}
	return hw.t("hist.col.step")
}

// figureText is run r's figure f as the trend shows it: its value, or
// why it has none.
func (hw *historyWriter) figureText(f histFigure, r RunSummary) string {
	switch f {
	case figDetect:
		return hw.delayCell(r.Detect)
	case figRecover:
		return hw.delayCell(r.Recover)
	case figP95:
		return hw.worstCell(scenarios.P95, r.WorstP95)
	case figErrors:
		return hw.worstCell(scenarios.ErrorRate, r.WorstErrorRate)
	case figStep:
	}
	if len(r.Ladders) == 0 {
		return hw.t("hist.step.noladder")
	}
	l := r.Ladders[0]
	if sel, ok := l.Widest(); ok {
		return hw.wd.selection(sel)
	}
	return hw.reach(l)
}

// trend writes each figure of the latest finished run against the one
// before it and the first, saying which way is better.
func (hw *historyWriter) trend(g ScenarioRuns) {
	runs := g.compared()
	n := len(runs)
	switch n {
	case 0:
		hw.line(hw.t("hist.trend.none"))
		return
	case 1:
		hw.line(hw.t("hist.trend.one", hw.date(runs[0].Start)))
		return
	}
	figures := hw.figures(runs)
	better := hw.t("hist.trend.lower")
	if slices.Contains(figures, figStep) {
		better = hw.t("hist.trend.lower.step")
	}
	if n == 2 {
		hw.line(hw.t("hist.trend.two", hw.date(runs[1].Start), hw.date(runs[0].Start)), hw.t("sep.sentence"), better)
	} else {
		hw.line(hw.t("hist.trend.head", hw.date(runs[n-1].Start), hw.date(runs[n-2].Start), hw.date(runs[0].Start)), hw.t("sep.sentence"), better)
	}
	hw.line()
	latest := runs[n-1]
	type against struct {
		which string
		run   RunSummary
	}
	bases := []against{{hw.t("hist.which.previous"), runs[n-2]}}
	if n > 2 {
		bases = append(bases, against{hw.t("hist.which.first"), runs[0]})
	}
	var rows [][]string
	for _, f := range figures {
		cur := f.of(latest)
		var cmps []string
		for _, b := range bases {
			cmps = append(cmps, hw.comparison(f, cur, b.which, b.run))
		}
		cmp := strings.Join(cmps, hw.t("sep.list"))
		if !cur.known {
			// Nothing to compare: what the others had, for context.
			cmp = hw.t("hist.cmp.context", strings.Join(cmps, hw.t("sep.comma")))
		}
		rows = append(rows, []string{hw.figureLabel(f), hw.figureText(f, latest), cmp})
	}
	if hw.md {
		for _, r := range rows {
			sep := ": "
			if strings.HasPrefix(r[2], "(") || strings.HasPrefix(r[2], "（") {
				sep = hw.t("sep.sentence")
			}
			hw.line("- **", r[0], "** ", r[1], sep, r[2])
		}
	} else {
		for _, l := range columns(rows, "  ") {
			hw.line("  " + l)
		}
	}
}

// figures are the figures a trend shows: each one some run has, the
// widest step only for a scenario with a ladder.
func (hw *historyWriter) figures(runs []RunSummary) []histFigure {
	var out []histFigure
	for _, f := range histFigures {
		switch f {
		case figDetect, figRecover:
			out = append(out, f) // a run without it says why
		case figP95, figErrors, figStep:
			for _, r := range runs {
				if f.of(r).known {
					out = append(out, f)
					break
				}
			}
		}
	}
	return out
}

// comparison words figure f of the latest run (cur) against run base:
// "↓ −50% vs previous (4 s), better".
func (hw *historyWriter) comparison(f histFigure, cur figValue, which string, base RunSummary) string {
	bv := f.of(base)
	baseText := hw.figureText(f, base)
	if !cur.known || !bv.known {
		return hw.t("hist.cmp.none", which, baseText)
	}
	c := f.compare(cur, bv)
	switch {
	case !c.ok:
		return hw.t("hist.cmp.incomparable", which, baseText)
	case c.same:
		return hw.t("hist.cmp.same", which, baseText)
	}
	change := "↓"
	if c.up {
		change = "↑"
	}
	if !math.IsNaN(c.change) {
		change += " " + percentChange(c.change)
	}
	judgement := hw.t("hist.worse")
	if c.better {
		judgement = hw.t("hist.better")
	}
	return hw.t("hist.cmp", change, which, baseText, judgement)
}

// percentChange words a change in percent with its sign: "+40%",
// "−10%" (a minus sign), "+5.5%", "+<0.1%".
func percentChange(p float64) string {
	sign := "+"
	if p < 0 {
		sign = "−"
	}
	a := math.Abs(p)
	switch {
	case a >= 9.95:
		return sign + strconv.FormatFloat(math.Round(a), 'f', 0, 64) + "%"
	case a >= 0.05:
		return sign + strconv.FormatFloat(a, 'f', 1, 64) + "%"
	}
	return sign + "<0.1%"
}

// charts links the scenario's charts, those WithHistoryChartLinks names.
func (hw *historyWriter) charts(g ScenarioRuns, slug string) {
	var imgs []string
	for _, f := range histFigures {
		if href, ok := hw.cfg.historyCharts[historyChartName(slug, f)]; ok {
			imgs = append(imgs, "!["+escapeText(hw.figureLabel(f))+"]("+href+")")
		}
	}
	if len(imgs) > 0 {
		hw.line()
		hw.line(strings.Join(imgs, " "))
	}
}

// LastRunBadge says when a scenario last ran and how, for the console's
// picker: "✅ held 7 days ago", "❌ violated 35 days ago", "⏳ running
// now (started 5 minutes ago)"; "never run" when r is nil. now is the
// reader's clock.
func LastRunBadge(r *RunSummary, now time.Time, lang Lang) string {
	wd := &words{pr: NewPrinter(lang), loc: time.UTC}
	if r == nil {
		return wd.t("badge.never")
	}
	age := ageWord(wd, now.Sub(r.Start))
	switch r.Verdict {
	case "":
		if r.Live {
			return wd.t("badge.live", age)
		}
		return wd.t("badge.unfinished", age)
	case VerdictHeld:
		return wd.t("badge.held", age)
	case VerdictViolated:
		return wd.t("badge.violated", age)
	case VerdictNotSteady:
		return wd.t("badge.notsteady", age)
	case VerdictAborted:
		return wd.t("badge.aborted", age)
	case VerdictRollbackFailed:
		return wd.t("badge.rollbackfailed", age)
	}
	return wd.t("badge.other", Printable(string(r.Verdict)), age)
}

// ageWord says how long ago: "just now", "5 minutes ago", "3 hours ago",
// "7 days ago" (whole units, rounded down).
func ageWord(wd *words, d time.Duration) string {
	switch {
	case d < time.Minute:
		return wd.t("age.now")
	case d < time.Hour:
		return wd.t("age.minutes", int(d/time.Minute))
	case d < 24*time.Hour:
		return wd.t("age.hours", int(d/time.Hour))
	}
	return wd.t("age.days", int(d/(24*time.Hour)))
}
