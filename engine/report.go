package engine

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guptarohit/asciigraph"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// Graph geometry: the plotted area is graphWidth columns wide, which with
// the y-axis labels and a threshold's label at its end keeps every line
// within 72 columns.
const (
	graphWidth  = 48
	graphHeight = 8
)

// ReportOption adjusts how WriteReport, WriteJUnit and WriteCharts write.
type ReportOption func(*reportConfig)

type reportConfig struct {
	lang    Lang
	loc     *time.Location
	live    bool
	journal string
	charts  map[scenarios.Metric]string
	// historyCharts link the history's charts, by HistoryChart.Name.
	historyCharts map[string]string
}

func newReportConfig(opts []ReportOption) reportConfig {
	c := reportConfig{lang: English, loc: time.UTC}
	for _, o := range opts {
		o(&c)
	}
	if c.loc == nil {
		c.loc = time.UTC
	}
	return c
}

// WithLang writes in l (English by default). The scenario's text is taken
// in l too, when the scenario carries a translation (Plan.Localized).
func WithLang(l Lang) ReportOption { return func(c *reportConfig) { c.lang = l } }

// WithLocation shows times in loc, with its UTC offset (UTC by default;
// the journal itself is always UTC). The command line passes the
// facilitator's local zone.
func WithLocation(loc *time.Location) ReportOption { return func(c *reportConfig) { c.loc = loc } }

// WithLive says the run is still going — its journal is held by a live
// run — so a journal without a verdict is IN PROGRESS, and its active
// faults are active rather than left behind. Without it, a journal
// without a verdict is a run that died: UNFINISHED, with the manual
// banner.
func WithLive(live bool) ReportOption { return func(c *reportConfig) { c.live = live } }

// WithJournalPath gives the journal's path, so that every command the
// report prints (gameday recover) names it.
func WithJournalPath(path string) ReportOption { return func(c *reportConfig) { c.journal = path } }

// WithChartLinks links the SVG charts written beside the report: a
// relative URL per metric (WriteCharts draws them).
func WithChartLinks(links map[scenarios.Metric]string) ReportOption {
	return func(c *reportConfig) { c.charts = links }
}

// WriteReport writes the markdown experiment report of a run, computed from
// its journal records alone. The output is deterministic: the same records
// and options give the same bytes, so `gameday report JOURNAL` reproduces
// the report the run wrote. A journal without a verdict gives a report
// marked in progress (WithLive) or unfinished.
func WriteReport(w io.Writer, records []Record, opts ...ReportOption) error {
	cfg := newReportConfig(opts)
	s, err := derive(records, cfg.live)
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	bw := bufio.NewWriter(w)
	newReportWriter(bw, s, cfg).write()
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

func newReportWriter(w *bufio.Writer, s *findings, cfg reportConfig) *reportWriter {
	return &reportWriter{
		w:    w,
		s:    s,
		cfg:  cfg,
		wd:   &words{pr: NewPrinter(cfg.lang), loc: cfg.loc, start: s.start},
		plan: s.plan.Localized(string(cfg.lang)),
	}
}

// write writes the whole report, section by section.
func (rw *reportWriter) write() {
	rw.header()
	rw.summary()
	rw.results()
	rw.planSection()
	rw.steadyState()
	rw.checklist()
	rw.timeline()
	rw.notes()
	rw.rollbacks()
	rw.environment()
}

type reportWriter struct {
	w    *bufio.Writer
	s    *findings
	cfg  reportConfig
	wd   *words
	plan *scenarios.Plan // in the report's language
	// title, when set, replaces the report's own title line, and deeper
	// nests every heading that many levels down: a report inside the day
	// report ("## Experiment 1: …", its sections "###").
	title  string
	deeper int
}

// line writes one line of markdown. A write error stays in the buffered
// writer and comes back from its Flush.
func (rw *reportWriter) line(parts ...string) {
	for _, p := range parts {
		_, _ = rw.w.WriteString(p)
	}
	_ = rw.w.WriteByte('\n')
}

// t words a message of the catalog (words.t).
func (rw *reportWriter) t(key string, args ...any) string { return rw.wd.t(key, args...) }

func (rw *reportWriter) heading(text string) {
	if rw.deeper > 0 && strings.HasPrefix(text, "#") {
		text = strings.Repeat("#", rw.deeper) + text
	}
	rw.line(text)
	rw.line()
}

// orNone is the escaped text, or "(not stated)".
func (rw *reportWriter) orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return rw.t("word.notstated")
	}
	return escapeText(s)
}

// recoverCommand is the command that finishes what a run left behind,
// naming its journal. Without the journal's path (a report rendered from
// records in memory) it says so in words: the report never prints a
// placeholder a reader could paste.
func (rw *reportWriter) recoverCommand() string {
	if rw.cfg.journal == "" {
		return rw.t("manual.recover.nopath", code("gameday recover"))
	}
	return code("gameday recover " + shellQuote(rw.cfg.journal))
}

// manualCommand is a fault's journaled manual command, with the journal's
// path in place of the placeholder older versions wrote.
func (rw *reportWriter) manualCommand(cmd string) string {
	if strings.Contains(cmd, "gameday recover JOURNAL") {
		if rw.cfg.journal == "" {
			return rw.t("manual.recover.nopath", code("gameday recover"))
		}
		cmd = strings.ReplaceAll(cmd, "gameday recover JOURNAL", "gameday recover "+shellQuote(rw.cfg.journal))
	}
	return code(cmd)
}

// shellQuote quotes a path for a shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:~+,=@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func (rw *reportWriter) verdictLabel(o *Outcome) string {
	if o == nil {
		if rw.s.live {
			return rw.t("verdict.live")
		}
		return rw.t("verdict.unfinished")
	}
	switch o.Verdict {
	case VerdictHeld:
		return rw.t("verdict.held")
	case VerdictViolated:
		return rw.t("verdict.violated")
	case VerdictNotSteady:
		return rw.t("verdict.notsteady")
	case VerdictAborted:
		return rw.t("verdict.aborted")
	case VerdictRollbackFailed:
		return rw.t("verdict.rollbackfailed")
	}
	return escapeText(string(o.Verdict))
}

func (rw *reportWriter) why() string {
	parts := make([]string, len(rw.s.why))
	for i, p := range rw.s.why {
		parts[i] = rw.wd.phrase(p)
	}
	return strings.Join(parts, rw.t("sep.list"))
}

func (rw *reportWriter) header() {
	s := rw.s
	if rw.title != "" {
		rw.line(rw.title)
		rw.line()
	} else {
		rw.heading(rw.t("report.title", userText(rw.plan.Title)))
	}
	dry := ""
	if s.env.DryRun {
		dry = rw.t("verdict.dryrun")
	}
	rw.line(rw.t("verdict.line", rw.verdictLabel(s.verdict()), dry, rw.why()))
	rw.line()
	if s.rejudged != nil {
		how := rw.t("rejudged.windows")
		for _, c := range s.rejudged.Checks {
			if c.Method == MethodAllRequests {
				how = rw.t("rejudged.requests")
			}
		}
		rw.line(rw.t("rejudged.note", orVersion(s.env.Version), rw.verdictLabel(s.outcome), code(s.outcome.Reason), how))
		rw.line()
	}
	if manual := s.manual(); len(manual) > 0 {
		rw.line(rw.t("manual.banner"))
		rw.line(">")
		for _, f := range manual {
			cmd := rw.recoverCommand()
			if f.Manual != "" {
				cmd = rw.manualCommand(f.Manual)
			}
			rw.line(rw.t("manual.item", userText(f.Fault.ID), userText(f.Fault.Kind), rw.wd.state(f.State), cmd))
		}
		rw.line()
	}
	if s.live {
		var active []string
		for _, f := range s.faults {
			if f.State.MayBeActive() && f.State != FaultRollbackFailed {
				active = append(active, rw.t("fault.state", userText(f.Fault.ID), userText(f.Fault.Kind), rw.wd.state(f.State)))
			}
		}
		if len(active) > 0 {
			rw.line(rw.t("live.active", strings.Join(active, rw.t("sep.comma"))))
			rw.line()
		}
	}
	length := rw.wd.duration(s.end.Sub(s.start).Round(time.Second))
	if s.live {
		rw.line(rw.t("meta.line.live", rw.wd.stamp(s.start), length, code(s.plan.Path)))
	} else {
		rw.line(rw.t("meta.line", rw.wd.stamp(s.start), length, code(s.plan.Path)))
	}
	rw.line()
}

func orVersion(v string) string {
	if v == "" {
		return "?"
	}
	return escapeText(v)
}

// summary writes one line per goal, then detection, the system's reaction,
// recovery and the action items: what the seed's 実験結果 answers.
func (rw *reportWriter) summary() {
	s := rw.s
	rw.heading(rw.t("h.summary"))
	for _, g := range s.goals {
		rw.line("- " + rw.goalLine(g))
	}
	if len(s.goals) == 0 {
		rw.line("- " + rw.t("summary.nogoals"))
	}
	d := s.detect
	switch {
	case s.firstInject.IsZero():
		rw.line("- " + rw.t("summary.detect.none"))
	case d.found:
		rw.line("- " + rw.t("summary.detect", rw.wd.measured(d.after), rw.wd.phrase(d.what)))
	case s.live:
		rw.line("- " + rw.t("summary.detect.notyet"))
	case s.baselineRunning >= 0:
		rw.line("- " + rw.t("summary.detect.noimpact"))
	default:
		rw.line("- " + rw.t("summary.detect.noimpact.norunning"))
	}
	if e := d.reaction; e != nil {
		rw.line("- " + rw.t("summary.reaction", precise(e.At.Sub(s.firstInject)), userText(e.Source), userText(e.Text)))
	}
	switch r := s.recover; r.state {
	case recovered:
		running := ""
		if s.baselineRunning >= 0 {
			running = rw.t("summary.recovered.running", s.baselineRunning)
		}
		rw.line("- " + rw.t("summary.recovered", rw.wd.measured(r.after), running, moment(r.at)))
	case notRecovered:
		if s.live {
			rw.line("- " + rw.t("summary.notrecovered.live"))
		} else {
			rw.line("- " + rw.t("summary.notrecovered"))
		}
	case recoveryNoData:
		rw.line("- " + rw.t("summary.recovery.nodata"))
	case noRollback, noImpact:
	}
	for _, p := range s.ladderTops() {
		rw.line("- " + rw.t("summary.ladder", rw.wd.phrase(p)))
	}
	for _, p := range s.ladderBreaches() {
		rw.line("- " + rw.t("summary.ladder", rw.wd.phrase(p)))
	}
	if n := len(s.actions); n > 0 {
		rw.line("- " + rw.t("summary.actions", n))
	}
	rw.line()
}

// goalLine words one goal: "❌ **p95** 365 ms during the fault (goal ≤
// 200 ms) — not met; worst second 390 ms at 15:00:18 (T+00:18)".
func (rw *reportWriter) goalLine(g goalLine) string {
	m, c := g.m, g.c
	icon, status, value := rw.goalValue(g)
	var extra []string
	switch {
	case c.Samples == 0:
	case c.Method == MethodPerWindow:
		extra = append(extra, rw.t("summary.windows", c.Breached, c.Samples))
	case c.Method != "" && c.Samples > 1 && c.Method != MethodLowest && c.Method != MethodHighest && rw.wd.value(m, c.Worst) != rw.wd.value(m, c.Value):
		extra = append(extra, rw.t("summary.worst", windowWord(rw.s.secondly), valueOf{m, c.Worst}, moment(c.WorstAt)))
	}
	if r := g.rec; r != nil {
		switch {
		case r.Samples == 0:
			extra = append(extra, rw.t("summary.rec.nodata"))
		case !r.Holds:
			extra = append(extra, rw.t("summary.rec.notmet", valueOf{m, r.Value}))
		case !c.Holds && r.Method == MethodPerWindow:
			extra = append(extra, rw.t("summary.rec.met.worst", valueOf{m, r.Value}))
		case !c.Holds && r.Method == MethodLowest:
			extra = append(extra, rw.t("summary.rec.met.lowest", valueOf{m, r.Value}))
		case !c.Holds:
			extra = append(extra, rw.t("summary.rec.met", valueOf{m, r.Value}))
		}
	}
	out := rw.t("summary.goal", icon, metricWord(m), value, goalOf{m, g.b}, status)
	if len(extra) > 0 {
		out += rw.t("sep.list") + strings.Join(extra, rw.t("sep.list"))
	}
	return out
}

// goalValue words where a goal stands: its icon, its status, and the
// value of the phase it is judged in ("127 ms during the fault").
func (rw *reportWriter) goalValue(g goalLine) (icon, status, value string) {
	m, c := g.m, g.c
	switch g.state {
	case goalMet:
		icon, status = "✅", rw.t("goal.met")
	case goalNotMet:
		icon, status = "❌", rw.t("goal.notmet")
	case goalNoData:
		icon, status = "➖", rw.t("goal.nodata")
	}
	switch {
	case c.Samples == 0:
		value = rw.t("summary.value.nodata", groupWord(g.group))
	case c.Method == MethodPerWindow:
		value = rw.t("summary.value.worst", valueOf{m, c.Value}, groupWord(g.group))
	case c.Method == MethodLowest:
		value = rw.t("summary.value.lowest", valueOf{m, c.Value}, groupWord(g.group))
	case c.Method == MethodHighest:
		value = rw.t("summary.value.highest", valueOf{m, c.Value}, groupWord(g.group))
	default:
		value = rw.t("summary.value", valueOf{m, c.Value}, groupWord(g.group))
	}
	return icon, status, value
}

// results writes what went well, what to improve and the action items:
// the seed's 実験結果.
func (rw *reportWriter) results() {
	s := rw.s
	rw.heading(rw.t("h.results"))
	rw.heading(rw.t("h.successes"))
	rw.phrases(s.successes)
	rw.heading(rw.t("h.improvements"))
	rw.phrases(s.improvements)
	rw.heading(rw.t("h.actions"))
	if len(s.actions) == 0 {
		rw.line(rw.t("actions.none"))
	}
	for _, a := range s.actions {
		var who []string
		who = append(who, a.owners...)
		if len(who) == 0 {
			who = append(who, rw.t("actions.noowner"))
		}
		if a.due != "" {
			who = append(who, rw.t("actions.due", a.due))
		}
		rw.line(rw.t("actions.item", escapeText(a.text), strings.Join(who, rw.t("sep.comma"))))
	}
	rw.line()
}

func (rw *reportWriter) phrases(ps []phrase) {
	if len(ps) == 0 {
		rw.line(rw.t("word.none"))
	}
	for _, p := range ps {
		rw.line("- " + rw.wd.phrase(p))
	}
	rw.line()
}

func (rw *reportWriter) planSection() {
	pl, s := rw.plan, rw.s
	rw.heading(rw.t("h.plan"))
	rw.line(rw.t("plan.hypothesis", rw.orNone(pl.Hypothesis)))
	if pl.Description != "" {
		rw.line(rw.t("plan.description", escapeText(pl.Description)))
	}
	rw.line(rw.t("plan.blast", rw.orNone(pl.BlastRadius)))
	rw.line(rw.t("plan.rollback", rw.orNone(pl.Rollback)))
	rw.line(rw.t("plan.phases", planned(pl.Phases.Baseline), planned(pl.Phases.Fault), planned(pl.Phases.Recovery)))
	switch {
	case pl.Load == nil || !pl.Load.BuiltIn():
	case pl.Load.AcceptRedirects:
		rw.line(rw.t("plan.load.redirects", formatNum(pl.Load.Rate)))
	default:
		rw.line(rw.t("plan.load", formatNum(pl.Load.Rate)))
	}
	if len(pl.StopConditions) == 0 {
		rw.line(rw.t("plan.stops.none"))
	} else {
		rw.line(rw.t("plan.stops"))
		for _, sc := range pl.StopConditions {
			rw.line("  - " + rw.wd.phrase(stopOf(sc)))
		}
	}
	if len(pl.Participants) > 0 {
		parts := make([]string, len(pl.Participants))
		for i, p := range pl.Participants {
			parts[i] = escapeText(p.Name)
			if p.Role != "" {
				parts[i] = rw.t("participant", parts[i], rw.role(p.Role))
			}
		}
		rw.line(rw.t("plan.participants", strings.Join(parts, rw.t("sep.comma"))))
	}
	if len(pl.Links) > 0 {
		rw.line(rw.t("plan.links"))
		for _, l := range pl.Links {
			rw.line("  - " + link(l))
		}
	}
	rw.line()
	rw.line(rw.t("faults.head"))
	rw.line("|---|---|---|---|---|---|")
	for _, f := range pl.Faults {
		targets := s.hit[f.ID]
		if len(targets) == 0 {
			for _, st := range s.faults {
				if st.Fault.ID == f.ID && st.State == FaultDryRun {
					targets = st.Targets
				}
			}
		}
		rw.line("| ", cell(escapeText(f.ID)), " | ", cell(escapeText(string(f.Kind))), " | ", cell(rw.selection(f)), " | ",
			cell(rw.params(f.Params)), " | ", cell(rw.schedule(f)), " | ", cell(rw.wd.targets(targets, rw.t("faults.notinjected"))), " |")
	}
	rw.line()
}

func (rw *reportWriter) role(r string) string { return rw.wd.role(r) }

// role words a participant's role: one the report knows in its language,
// any other as written.
func (w *words) role(r string) string {
	switch strings.ToLower(strings.TrimSpace(r)) {
	case "facilitator":
		return w.t("role.facilitator")
	case "scribe":
		return w.t("role.scribe")
	case "observer":
		return w.t("role.observer")
	case "on-call":
		return w.t("role.oncall")
	case "owner":
		return w.t("role.owner")
	}
	return escapeText(r)
}

// link renders a scenario's link. Only http and https URLs become links,
// with the characters that could end a markdown destination
// percent-encoded; anything else is shown as text.
func link(l scenarios.Link) string {
	title := l.Title
	if strings.TrimSpace(title) == "" {
		title = l.URL
	}
	u, err := url.Parse(strings.TrimSpace(l.URL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return escapeText(title) + " (" + code(l.URL) + ")"
	}
	dest := strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E", "`", "%60", "\"", "%22", "\\", "%5C", "|", "%7C").Replace(u.String())
	if strings.TrimSpace(l.Title) == "" {
		return "<" + dest + ">"
	}
	return "[" + escapeText(title) + "](" + dest + ")"
}

// selection renders a fault's selection, or its ladder: "10% → 25% →
// 50%, each held 30 s; on a breach, stop".
func (rw *reportWriter) selection(f scenarios.Fault) string {
	l := f.Ladder
	if l == nil || len(l.Steps) == 0 {
		return rw.wd.selection(f.Selection)
	}
	steps := make([]string, len(l.Steps))
	for i, st := range l.Steps {
		steps[i] = rw.wd.selection(st)
	}
	if l.OnBreach == scenarios.OnBreachHold {
		return rw.t("sel.ladder.hold", strings.Join(steps, " → "), planned(l.Hold))
	}
	return rw.t("sel.ladder.stop", strings.Join(steps, " → "), planned(l.Hold))
}

func (rw *reportWriter) params(p providers.Params) string {
	var parts []string
	if p.Delay > 0 {
		parts = append(parts, rw.t("param.delay", planned(p.Delay)))
	}
	if p.Jitter > 0 {
		parts = append(parts, rw.t("param.jitter", planned(p.Jitter)))
	}
	if p.Workers > 0 {
		parts = append(parts, rw.t("param.workers", p.Workers))
	}
	if p.Load > 0 {
		parts = append(parts, rw.t("param.load", p.Load))
	}
	if p.MemoryMB > 0 {
		parts = append(parts, rw.t("param.memory", p.MemoryMB))
	}
	if p.Mode != "" {
		parts = append(parts, rw.t("param.mode", userText(p.Mode)))
	}
	return strings.Join(parts, rw.t("sep.comma"))
}

func (rw *reportWriter) schedule(f scenarios.Fault) string {
	when := rw.t("sched.at", planned(f.StartAfter))
	if f.Manual {
		when = rw.t("sched.manual")
	}
	if f.Duration > 0 {
		return rw.t("sched.for", when, planned(f.Duration))
	}
	return rw.t("sched.untilend", when)
}

func (rw *reportWriter) steadyState() {
	s := rw.s
	rw.heading(rw.t("h.steady"))
	rw.line(rw.t("steady.head"))
	rw.line("|---|---|---|---|---|")
	methods := map[string][]string{}
	for _, m := range planMetrics(s.plan) {
		b := s.plan.SteadyState[m]
		row := []string{rw.wd.metric(m), rw.wd.goal(m, b)}
		for _, g := range groups {
			c, ok := s.check(g, m)
			if ok && c.Method != "" && !slices.Contains(methods[c.Method], rw.wd.metric(m)) {
				methods[c.Method] = append(methods[c.Method], rw.wd.metric(m))
			}
			row = append(row, rw.checkCell(c, ok))
		}
		rw.line("| ", strings.Join(row, " | "), " |")
	}
	rw.line()
	if len(methods) == 0 {
		rw.line(rw.t("steady.oldmethod", orVersion(s.env.Version)))
	} else {
		var parts []string
		for _, k := range []string{MethodAllRequests, MethodPerWindow, MethodTotals, MethodMean, MethodLowest, MethodHighest} {
			if ms := methods[k]; len(ms) > 0 {
				parts = append(parts, rw.method(k, strings.Join(ms, rw.t("sep.comma"))))
			}
		}
		rw.line(rw.t("steady.methods", strings.Join(parts, rw.t("sep.clause"))))
	}
	rw.line()
	if s.errorKinds != nil {
		rw.line(rw.t("steady.errorkinds", rw.errorKinds(s.errorKinds)))
		rw.line()
	}
}

// errorKinds words the failed requests of each group by kind: "baseline
// none; during the fault 3xx 120, timeout 2; recovery none".
func (rw *reportWriter) errorKinds(by map[string]map[string]int64) string {
	parts := make([]string, 0, len(groups))
	for _, grp := range groups {
		kinds := by[grp]
		if len(kinds) == 0 {
			parts = append(parts, rw.t("errorkinds.none", groupWord(grp)))
			continue
		}
		names := make([]string, 0, len(kinds))
		for k := range kinds {
			names = append(names, k)
		}
		slices.Sort(names)
		counts := make([]string, len(names))
		for i, k := range names {
			counts[i] = rw.t("errorkinds.kind", userText(k), kinds[k])
		}
		parts = append(parts, rw.t("errorkinds.group", groupWord(grp), strings.Join(counts, rw.t("sep.comma"))))
	}
	return strings.Join(parts, rw.t("sep.list"))
}

// checkCell renders one check for the steady-state table: the value and
// its verdict, then how many windows were beyond the bound and the worst.
func (rw *reportWriter) checkCell(c Check, ok bool) string {
	m := c.Metric
	switch {
	case !ok:
		return rw.t("cell.notmeasured")
	case c.Samples == 0:
		return rw.t("cell.nodata")
	}
	v := rw.wd.value(m, c.Value)
	if c.Method == MethodPerWindow {
		v = rw.t("cell.worst", v)
	}
	if c.Offered > 0 && m == scenarios.Throughput {
		v = rw.t("cell.offered", v, formatNum(c.Offered))
	}
	if c.Holds {
		v = rw.t("cell.held", v)
	} else {
		v = rw.t("cell.breached", v)
	}
	if c.Method != "" && c.Breached > 0 && m != scenarios.Running {
		v += " " + rw.t("cell.windows", c.Breached, c.Samples, valueOf{m, c.Worst})
	}
	if m == scenarios.Throughput && c.Bound.Min != nil && c.Offered > 0 && c.Offered < *c.Bound.Min && !c.Holds {
		v += " — " + rw.t("cell.offeredshort", valueOf{m, c.Offered})
	}
	return v
}

func (rw *reportWriter) method(method, metrics string) string {
	switch method {
	case MethodAllRequests:
		return rw.t("method.all", metrics)
	case MethodPerWindow:
		return rw.t("method.window", metrics)
	case MethodTotals:
		return rw.t("method.totals", metrics)
	case MethodMean:
		return rw.t("method.mean", metrics)
	case MethodLowest:
		return rw.t("method.lowest", metrics)
	case MethodHighest:
		return rw.t("method.highest", metrics)
	}
	return metrics + " " + escapeText(method)
}

// checklist writes the seed's observation checklist — error rate and
// response time trends, health checks, recovery and scaling — each fed by
// the samples and the system's events, with its graph. A metric the
// scenario does not watch gets no section and no graph.
func (rw *reportWriter) checklist() {
	s := rw.s
	rw.heading(rw.t("h.checklist"))
	enough := len(s.samples) >= 2
	for _, tr := range s.trends {
		switch tr.m {
		case scenarios.ErrorRate:
			rw.heading(rw.t("h.trend.errors"))
		case scenarios.P95:
			rw.heading(rw.t("h.trend.latency"))
		default:
			rw.heading(rw.t("h.trend.throughput"))
		}
		rw.trend(tr)
		if enough {
			rw.graph(tr.m)
		}
	}
	rw.health()
	rw.scalingSection(enough)
	if len(s.others) > 0 {
		rw.heading(rw.t("h.others"))
		for _, rec := range s.others {
			rw.line("- " + rw.t("event.line", moment(rec.Event.At), userText(rec.Event.Source), userText(rec.Event.Text)))
		}
		rw.line()
	}
	if !enough {
		rw.line(rw.t("graph.toofew", len(s.samples)))
		rw.line()
	}
}

// trend words one metric's course over the run.
func (rw *reportWriter) trend(tr trend) {
	s := rw.s
	var phases []string
	for _, c := range tr.phases {
		if c.Samples == 0 {
			phases = append(phases, rw.t("trend.phase.nodata", groupWord(c.Phase)))
			continue
		}
		phases = append(phases, rw.t("trend.phase", groupWord(c.Phase), valueOf{tr.m, c.Value}))
	}
	if len(phases) > 0 {
		rw.line("- " + rw.t("trend.phases", strings.Join(phases, " → "), goalOf{tr.m, tr.b}))
	}
	switch {
	case s.firstInject.IsZero():
	case tr.firstOut.IsZero():
		rw.line("- " + rw.t("trend.never"))
	default:
		if s.secondly {
			rw.line("- " + rw.t("trend.out.seconds", moment(tr.firstOut), measured(tr.firstOut.Sub(s.firstInject)), tr.outCount))
		} else {
			rw.line("- " + rw.t("trend.out.windows", moment(tr.firstOut), measured(tr.firstOut.Sub(s.firstInject)), tr.outCount))
		}
		switch {
		case !tr.backIn.IsZero():
			rw.line("- " + rw.t("trend.back", moment(tr.backIn), moment(tr.lastOut)))
		case s.live:
			rw.line("- " + rw.t("trend.notback.live"))
		default:
			rw.line("- " + rw.t("trend.notback"))
		}
	}
	// The extreme, unless it is what every phase's value already says (a
	// flat 0% all along).
	flat := true
	for _, c := range tr.phases {
		flat = flat && c.Samples > 0 && rw.wd.value(tr.m, c.Value) == rw.wd.value(tr.m, tr.peak.v)
	}
	if e := tr.peak; e.ok && !flat {
		if tr.b.Max == nil && tr.b.Min != nil {
			rw.line("- " + rw.t("trend.lowest", valueOf{e.m, e.v}, moment(e.at), groupWord(e.group)))
		} else {
			rw.line("- " + rw.t("trend.peak", valueOf{e.m, e.v}, moment(e.at), groupWord(e.group)))
		}
	}
	rw.line()
}

func (rw *reportWriter) health() {
	s := rw.s
	rw.heading(rw.t("h.health"))
	if len(s.health) == 0 {
		switch {
		case len(s.events) == 0:
			rw.line(rw.t("health.noevents"))
		default:
			rw.line(rw.t("health.none"))
		}
		rw.line()
		return
	}
	for _, h := range s.health {
		src, target := userText(h.source), userText(h.target)
		var text string
		switch {
		case h.out.IsZero():
			text = rw.t("health.in", src, target, moment(h.in))
		default:
			text = rw.t("health.out", src, target, moment(h.out))
			if !s.firstInject.IsZero() && !h.out.Before(s.firstInject) {
				text += rw.t("health.afterinject", precise(h.out.Sub(s.firstInject)))
			}
			switch {
			case !h.in.IsZero():
				text += rw.t("health.backin", precise(h.in.Sub(h.out)), moment(h.in))
			case s.live:
				text += rw.t("health.notback.live")
			default:
				text += rw.t("health.notback")
			}
		}
		rw.line("- " + text)
	}
	rw.line()
}

func (rw *reportWriter) scalingSection(enough bool) {
	s, sc := rw.s, rw.s.scaling
	rw.heading(rw.t("h.scaling"))
	if sc.watched && sc.known {
		switch {
		case s.baselineRunning < 0:
			rw.line("- " + rw.t("scaling.low.nobase", sc.low, moment(sc.lowAt)))
		case sc.low >= s.baselineRunning:
			rw.line("- " + rw.t("scaling.steady", s.baselineRunning))
		case !sc.backAt.IsZero():
			rw.line("- " + rw.t("scaling.back", s.baselineRunning, sc.low, moment(sc.lowAt), moment(sc.backAt), measured(sc.backAt.Sub(sc.lowAt))))
		case s.live:
			rw.line("- " + rw.t("scaling.notback.live", s.baselineRunning, sc.low, moment(sc.lowAt)))
		default:
			rw.line("- " + rw.t("scaling.notback", s.baselineRunning, sc.low, moment(sc.lowAt)))
		}
	}
	for _, rec := range sc.events {
		ev := rec.Event
		if ev.Kind == providers.EventRecovered && ev.Target != "" {
			text := rw.t("scaling.restart", moment(ev.At), userText(ev.Source), userText(ev.Target))
			if !s.firstInject.IsZero() && !ev.At.Before(s.firstInject) {
				text += rw.t("health.afterinject", precise(ev.At.Sub(s.firstInject)))
			}
			rw.line("- " + text + rw.t("scaling.said", userText(ev.Text)))
			continue
		}
		rw.line("- " + rw.t("event.line", moment(ev.At), userText(ev.Source), userText(ev.Text)))
	}
	if len(sc.events) == 0 && !(sc.watched && sc.known) {
		rw.line(rw.t("scaling.none"))
	}
	rw.line()
	if sc.watched && enough {
		rw.graph(scenarios.Running)
	}
}

// graph writes the ASCII graph of m and links its SVG chart.
func (rw *reportWriter) graph(m scenarios.Metric) {
	rw.line("```text")
	rw.line(rw.plot(m))
	rw.line("```")
	rw.line()
	if href, ok := rw.cfg.charts[m]; ok {
		rw.line("![", escapeText(rw.chartTitle(m)), "](", href, ")")
		rw.line()
	}
}

func (rw *reportWriter) chartTitle(m scenarios.Metric) string {
	return chartTitle(rw.wd, m)
}

func chartTitle(wd *words, m scenarios.Metric) string {
	switch m {
	case scenarios.P95:
		return wd.t("chart.p95")
	case scenarios.ErrorRate:
		return wd.t("chart.errors")
	case scenarios.Throughput:
		return wd.t("chart.throughput")
	}
	return wd.t("chart.running")
}

// faultSpan is when a fault was in effect: from the first intent to
// inject to the end of the last rollback (or the end of the run, if a
// rollback never ended).
func (s *findings) faultSpan() (time.Time, time.Time, bool) {
	if s.firstInject.IsZero() {
		return time.Time{}, time.Time{}, false
	}
	end := s.lastRollback
	if end.IsZero() || end.Before(s.firstInject) || s.manualLeft() {
		end = s.end
	}
	return s.firstInject, end, true
}

// manualLeft reports whether any fault may still be in effect at the end.
func (s *findings) manualLeft() bool {
	for _, f := range s.faults {
		if f.State.MayBeActive() {
			return true
		}
	}
	return false
}

// plot draws metric m over all samples: the data as a solid line, drawn
// last so that it is never hidden, each threshold as a dashed line, the
// y axis fitted to the data and the thresholds, a marker under the fault
// window, the run's clock at both ends and a legend.
func (rw *reportWriter) plot(m scenarios.Metric) string {
	s := rw.s
	n := len(s.samples)
	series := make([]float64, n)
	lo, hi, known := math.Inf(1), math.Inf(-1), 0
	for i, smp := range s.samples {
		v, ok := m.Value(smp)
		if !ok || (m == scenarios.P95 && !carriesLatency(smp)) {
			series[i] = math.NaN()
			continue
		}
		series[i] = clampPlot(v)
		lo, hi = min(lo, series[i]), max(hi, series[i])
		known++
	}
	if known == 0 {
		return rw.t("graph.nodata")
	}
	b := s.plan.SteadyState[m]
	var data [][]float64
	var chars []asciigraph.CharSet
	dashed := asciigraph.CharSet{Horizontal: "╌", VerticalLine: "╎"}
	for _, lim := range []*float64{b.Min, b.Max} {
		if lim == nil {
			continue
		}
		flat := make([]float64, n)
		for i := range flat {
			flat[i] = clampPlot(*lim)
		}
		lo, hi = min(lo, flat[0]), max(hi, flat[0])
		data = append(data, flat)
		chars = append(chars, dashed)
	}
	data = append(data, series)
	chars = append(chars, asciigraph.DefaultCharSet)
	if m == scenarios.ErrorRate {
		// An error rate is a fraction in the journal; the graph shows it
		// in percent, like every other figure of the report.
		for _, d := range data {
			for i := range d {
				d[i] *= 100
			}
		}
		lo, hi = lo*100, hi*100
	}
	// The axis fits the data and the thresholds, on round numbers, so
	// that a row's label is a value the data can have.
	bottom, top, height := niceAxis(lo, hi, graphHeight, m == scenarios.Running)
	opts := []asciigraph.Option{
		asciigraph.Width(graphWidth),
		asciigraph.Height(height),
		asciigraph.SeriesChars(chars...),
		// Labels of at least three characters keep a space before the
		// axis (asciigraph's offset is three columns).
		asciigraph.YAxisValueFormatter(func(v float64) string { return fmt.Sprintf("%3s", formatNum(v)) }),
		asciigraph.LowerBound(bottom),
		asciigraph.UpperBound(top),
	}
	plot := asciigraph.PlotMany(data, opts...)
	axis := axisColumn(plot)
	// Each threshold is labelled at the end of its row, so that it reads
	// as a threshold even where the data covers its dashes.
	rows := strings.Split(plot, "\n")
	for _, lim := range []*float64{b.Min, b.Max} {
		if lim == nil {
			continue
		}
		v := clampPlot(*lim)
		if m == scenarios.ErrorRate {
			v *= 100
		}
		if r := plotRow(v, bottom, top, height); r >= 0 && r < len(rows) {
			edge := "≥ "
			if lim == b.Max {
				edge = "≤ "
			}
			rows[r] += " ◂ " + edge + rw.wd.value(m, *lim)
		}
	}
	plot = strings.Join(rows, "\n")
	var sb strings.Builder
	sb.WriteString(plot)
	// Sample i is interpolated to x = i·(width−1)/(n−1); the curve's change
	// between x and x+1 is drawn in the column right of x.
	col := func(i int) int { return axis + 1 + int(math.Round(float64(i)*float64(graphWidth-1)/float64(n-1))) }
	if from, to, ok := s.faultSpan(); ok {
		a, z := -1, -1
		for i, smp := range s.samples {
			// A sample covers the window that ends at its At.
			if smp.At.After(from) && !smp.At.Add(-smp.Window()).After(to) {
				if a < 0 {
					a = i
				}
				z = i
			}
		}
		if a >= 0 {
			ca, cz := col(a), col(z)
			sb.WriteString("\n" + strings.Repeat(" ", ca) + strings.Repeat("^", cz-ca+1) + " " + rw.t("graph.fault"))
		}
	}
	left, right := rw.wd.clock(s.start), rw.wd.clock(s.end)
	gap := max(graphWidth-utf8.RuneCountInString(left)-utf8.RuneCountInString(right), 1)
	sb.WriteString("\n" + strings.Repeat(" ", axis) + left + strings.Repeat(" ", gap) + right)
	legend := "── " + rw.wd.metric(m)
	if m == scenarios.ErrorRate {
		legend += " (%)"
	}
	if b.Min != nil || b.Max != nil {
		legend = rw.t("graph.legend", rw.wd.goal(m, b), legend)
	}
	sb.WriteString("\n" + strings.Repeat(" ", axis) + legend)
	return sb.String()
}

// niceAxis returns an axis from bottom to top, in height rows of a round
// step (1, 2, 2.5 or 5 times a power of ten; at least 1 for a count), that
// holds lo and hi; never below 0 for values that are not. A count gets
// only the rows it needs.
func niceAxis(lo, hi float64, height int, count bool) (bottom, top float64, rows int) {
	if hi-lo < 1e-12 {
		pad := max(math.Abs(hi)*0.1, 1)
		if count {
			pad = 1
		}
		nonNeg := lo >= 0
		lo, hi = lo-pad, hi+pad
		if nonNeg {
			lo = max(lo, 0)
		}
	}
	step := niceStep((hi - lo) / float64(height))
	if count {
		step = max(step, 1)
	}
	for range 64 {
		bottom = math.Floor(lo/step) * step
		rows = height
		if count {
			rows = max(int(math.Ceil((hi-bottom)/step-1e-9)), 2)
		}
		top = bottom + step*float64(rows)
		if top >= hi-step*1e-9 {
			break
		}
		step = niceStep(step * 1.0001)
	}
	return bottom, top, rows
}

// niceStep returns the smallest round number (1, 2, 2.5 or 5 times a
// power of ten) not below x.
func niceStep(x float64) float64 {
	if x <= 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, f := range []float64{1, 2, 2.5, 5, 10} {
		if f*p >= x*(1-1e-9) {
			return f * p
		}
	}
	return 10 * p
}

// plotRow returns the row (from the top) on which asciigraph draws v on an
// axis from bottom to top of height rows, by asciigraph's own rounding.
func plotRow(v, bottom, top float64, height int) int {
	interval := top - bottom
	if interval <= 0 {
		return 0
	}
	ratio := float64(height) / interval
	min2, max2 := math.Round(bottom*ratio), math.Round(top*ratio)
	rows := int(max2 - min2)
	return rows - int(math.Round(v*ratio)-min2)
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

func (rw *reportWriter) timeline() {
	s := rw.s
	rw.heading(rw.t("h.timeline"))
	prev, inFault := "", false
	last := map[string]FaultStatus{}
	for i, rec := range s.records {
		text := rw.describeRecord(rec, last, i)
		if rec.Fault != nil {
			last[rec.Fault.Fault.ID] = *rec.Fault
		}
		// The fault phase shows as injecting while a call is in flight
		// and observing otherwise; the timeline names it once, as the
		// plan does.
		if ph, ok := ParsePhase(rec.Phase); rec.Type == RecPhase && ok {
			switch ph {
			case Injecting, Observing:
				if inFault {
					continue
				}
				inFault = true
			case Ready, Baseline, RollingBack, Recovering, Done, Aborted:
			}
		}
		if text == "" {
			continue
		}
		item := "- " + code(rw.wd.clock(rec.At)) + " " + rw.wd.rel(rec.At) + " " + text
		if item != prev { // the same line twice in one second says nothing more
			rw.line(item)
		}
		prev = item
	}
	rw.line()
}

// describeRecord words one record for the timeline; samples, and a fault
// record that only repeats its state, give "".
func (rw *reportWriter) describeRecord(rec Record, last map[string]FaultStatus, i int) string {
	s := rw.s
	switch rec.Type {
	case RecPlan:
		return rw.t("tl.started", userText(rw.plan.Title), userText(s.env.Provider))
	case RecPhase:
		ph, ok := ParsePhase(rec.Phase)
		if !ok {
			return rw.t("tl.phase", userText(rec.Phase))
		}
		return rw.t("tl.phase", rw.wd.phase(ph))
	case RecFault, RecRecover:
		if rec.Fault == nil {
			if rec.Reason != "" {
				return rw.t("tl.recover", userText(rec.Reason))
			}
			return ""
		}
		f := *rec.Fault
		// "requested" is only the wish; the timeline shows it when the
		// fault never got further.
		if f.State == FaultRequested && rw.laterState(f.Fault.ID, i) {
			return ""
		}
		text := rw.describeFault(f, last[f.Fault.ID])
		if text != "" && rec.Type == RecRecover {
			text = rw.t("tl.recover", text)
		}
		return text
	case RecNote:
		if rec.Note == nil {
			return ""
		}
		return rw.noteHead(rec.Note) + ": " + escapeText(rec.Note.Text)
	case RecAbort:
		return rw.t("tl.abort", s.abortCause())
	case RecVerdict:
		if rec.Outcome == nil {
			return ""
		}
		return rw.t("tl.verdict", rw.verdictLabel(rec.Outcome))
	case RecSystem:
		if rec.Event == nil {
			return ""
		}
		return rw.t("tl.system", userText(rec.Event.Source), userText(rec.Event.Text))
	case RecStep:
		st := rec.Step
		if st == nil {
			return ""
		}
		switch st.What {
		case StepStarted:
			return rw.t("tl.step.started", userText(st.FaultID), st.Step, st.Of, selWord(st.Selection))
		case StepHeld:
			return rw.t("tl.step.held", userText(st.FaultID), st.Step, st.Of, selWord(st.Selection))
		case StepBreached:
			return rw.t("tl.step.breached", userText(st.FaultID), st.Step, st.Of, selWord(st.Selection))
		case StepHeldByFacilitator:
			return rw.t("tl.step.kept", userText(st.FaultID), st.Step, st.Of, selWord(st.Selection))
		}
		return ""
	case RecClose, RecSample:
	}
	return ""
}

// laterState reports whether fault id has a record after index i.
func (rw *reportWriter) laterState(id string, i int) bool {
	for _, rec := range rw.s.records[i+1:] {
		if (rec.Type == RecFault || rec.Type == RecRecover) && rec.Fault != nil && rec.Fault.Fault.ID == id {
			return true
		}
	}
	return false
}

func (rw *reportWriter) describeFault(f, prev FaultStatus) string {
	ref := rw.t("fault.ref", userText(f.Fault.ID), userText(f.Fault.Kind))
	if f.State == prev.State && f.State == FaultRolledBack {
		// The same state again carries what was learnt since: the
		// verification of a rollback.
		if v := f.Verification; v != nil {
			return rw.t("tl.verified", ref, rw.verification(*v))
		}
		return ""
	}
	head := rw.t("fault.state.ref", ref, rw.wd.state(f.State))
	switch f.State {
	case FaultActive:
		head += rw.t("tl.on", rw.wd.targets(f.Targets, rw.t("tl.unknowntargets")))
		if !f.EndsAt.IsZero() {
			head += rw.t("tl.until", rw.wd.clock(f.EndsAt))
		}
	case FaultRolledBack:
		if v := f.Verification; v != nil {
			head += rw.t("tl.andverified", rw.verification(*v))
		}
	case FaultRollbackFailed:
		if f.Manual != "" {
			head += rw.t("tl.manual", rw.manualCommand(f.Manual))
		}
	case FaultDryRun:
		if len(f.Targets) > 0 {
			head += rw.t("tl.wouldhit", rw.wd.targets(f.Targets, ""))
		}
		if len(f.Calls) > 0 {
			calls := make([]string, len(f.Calls))
			for i, c := range f.Calls {
				calls[i] = code(c)
			}
			head += rw.t("tl.wouldcall", strings.Join(calls, "; "))
		}
	case FaultPending, FaultRequested, FaultInjecting, FaultRollingBack, FaultSkipped, FaultInjectFailed, FaultGone:
	}
	if f.Err != "" {
		head += " (" + escapeText(f.Err) + ")"
	}
	return head
}

func (rw *reportWriter) verification(v providers.Verification) string {
	word := rw.t("verify.clean")
	if !v.Clean {
		word = rw.t("verify.dirty")
	}
	if len(v.Details) > 0 {
		d := make([]string, len(v.Details))
		for i, x := range v.Details {
			d[i] = escapeText(x)
		}
		word += ": " + strings.Join(d, "; ")
	}
	return word
}

func (rw *reportWriter) noteLabel(k NoteKind) string { return rw.wd.noteLabel(k) }

// noteLabel words a note's kind: "🔧 improvement".
func (w *words) noteLabel(k NoteKind) string {
	switch k {
	case Success:
		return w.t("note.success")
	case Improvement:
		return w.t("note.improvement")
	case Observation:
	}
	return w.t("note.observation")
}

// noteHead is a note's label with its author, when a scribe wrote it:
// "🔧 improvement by Tanaka".
func (rw *reportWriter) noteHead(n *Note) string {
	if n.Author == "" {
		return rw.noteLabel(n.Kind)
	}
	return rw.t("note.by", rw.noteLabel(n.Kind), userText(n.Author))
}

func (rw *reportWriter) notes() {
	s := rw.s
	rw.heading(rw.t("h.notes"))
	n := 0
	for _, rec := range s.records {
		if rec.Type == RecNote && rec.Note != nil {
			rw.line("- ", code(rw.wd.clock(rec.At)), " ", rw.wd.rel(rec.At), " ", rw.noteHead(rec.Note), ": ", escapeText(rec.Note.Text))
			n++
		}
	}
	if n == 0 {
		rw.line(rw.t("notes.none"))
	}
	rw.line()
}

func (rw *reportWriter) rollbacks() {
	s := rw.s
	rw.heading(rw.t("h.rollback"))
	rw.line(rw.t("rollback.head"))
	rw.line("|---|---|---|---|---|")
	for _, f := range s.faults {
		verif := rw.t("verify.none")
		if v := f.Verification; v != nil {
			verif = "✅ " + rw.verification(*v)
			if !v.Clean {
				verif = "❌ " + rw.verification(*v)
			}
		}
		var details []string
		if f.Err != "" {
			details = append(details, escapeText(f.Err))
		}
		if f.Manual != "" {
			details = append(details, rw.t("rollback.manual", rw.manualCommand(f.Manual)))
		}
		for _, c := range f.Calls {
			details = append(details, rw.t("rollback.wouldcall", code(c)))
		}
		rw.line("| ", cell(escapeText(f.Fault.ID)), " | ", cell(escapeText(string(f.Fault.Kind))), " | ", cell(rw.stateLabel(f.State)), " | ", cell(verif), " | ", cell(strings.Join(details, "; ")), " |")
	}
	rw.line()
}

// stateLabel renders a fault's final state with a symbol and a word.
func (rw *reportWriter) stateLabel(st FaultState) string {
	word := rw.wd.state(st)
	switch st {
	case FaultRolledBack:
		return "✅ " + word
	case FaultRollbackFailed:
		return rw.t("statelabel.manual", word)
	case FaultInjectFailed:
		return "❌ " + word
	case FaultSkipped, FaultPending:
		return "➖ " + word
	case FaultDryRun:
		return rw.t("statelabel.dryrun", word)
	case FaultGone:
		return "⚫ " + word
	case FaultRequested, FaultInjecting, FaultActive, FaultRollingBack:
		if rw.s.live {
			return rw.t("statelabel.live", word)
		}
		return rw.t("statelabel.maybe", word)
	}
	return word
}

func (rw *reportWriter) environment() {
	s := rw.s
	env := s.env
	rw.heading(rw.t("h.env"))
	rw.line(rw.t("env.provider", rw.orNone(env.Provider)))
	if t := s.plan.Target; t.Name != "" || t.Environment != "" {
		name := escapeText(t.Name)
		if t.Environment != "" {
			name = strings.TrimSpace(name + " (" + escapeText(t.Environment) + ")")
		}
		rw.line(rw.t("env.target", name))
	}
	rw.line(rw.t("env.targets", rw.wd.targets(env.Targets, rw.t("word.none.lower"))))
	version := env.Version
	if version == "" {
		version = rw.t("word.unknown")
	}
	rw.line(rw.t("env.version", escapeText(version)))
	if env.RunID != "" {
		rw.line(rw.t("env.runid", code(env.RunID), code(ownerPattern(s))))
	}
	if env.DryRun {
		rw.line(rw.t("env.dryrun"))
	}
	rw.line(rw.t("env.zone", userText(rw.cfg.loc.String()), s.start.In(rw.cfg.loc).Format("-07:00")))
	last := s.records[len(s.records)-1]
	rw.line(rw.t("env.journal", len(s.records), s.records[0].Seq, last.Seq, len(s.samples)))
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
