package engine

import (
	"bufio"
	"cmp"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gameday-tui/gameday/scenarios"
)

// DayRun is what the day report reads of one experiment: the records of
// its journal and how to word them. An experiment that wrote no journal
// (refused, or never started) has a zero DayRun.
type DayRun struct {
	// Records are its journal's (and what gameday recover appended).
	Records []Record
	// Journal is its journal's path, for the commands the report prints.
	Journal string
	// Charts link its SVG charts, relative to the day report.
	Charts map[scenarios.Metric]string
	// Live says its run still holds its journal.
	Live bool
	// Err says why its journal could not be read; "" when it could, or
	// there is none.
	Err string
}

// outcomeKind is where one experiment of a day ended up, for its row of
// the summary, the day's verdict and its JUnit suite.
type outcomeKind int

// The kinds, in the order the day's verdict line counts them.
const (
	kindHeld outcomeKind = iota
	kindViolated
	kindNotSteady
	kindAborted
	kindRefused
	kindRollbackFailed
	kindUnfinished
	kindUnreadable
	kindLive
	kindSkipped
	kindNotRun
	kindPending
)

// severity is the exit code an experiment of kind k gives the day (the
// day exits with the highest), -1 for one without a result.
func (k outcomeKind) severity() int {
	switch k {
	case kindHeld:
		return 0
	case kindViolated, kindNotSteady:
		return 1
	case kindAborted:
		return 2
	case kindRefused:
		return 3
	case kindRollbackFailed, kindUnfinished, kindUnreadable:
		return 4
	case kindLive, kindSkipped, kindNotRun, kindPending:
	}
	return -1
}

// dayFindings is everything the day report and the day's JUnit say,
// derived from the index and the experiments' journals alone.
type dayFindings struct {
	state DayState
	day   *scenarios.Day // in the report's language
	index []DayRecord
	live  bool
	start time.Time
	end   time.Time
	exps  []dayExperiment
	// actions are every experiment's action items and those noted
	// between experiments, in the order they were noted.
	actions []dayAction
	// worst is the experiment (0-based) whose result is the day's: the
	// first with the highest severity; -1 when none has a result.
	worst int
}

// dayExperiment is one experiment of the day.
type dayExperiment struct {
	n      int // 1-based
	plan   *scenarios.Plan
	status ExperimentStatus
	run    DayRun
	s      *findings // nil without a readable journal
	kind   outcomeKind
}

// dayAction is an action item and where it was noted: experiment n, or
// between experiments (n 0).
type dayAction struct {
	actionItem
	n     int
	title string
}

func deriveDay(index []DayRecord, runs []DayRun, cfg reportConfig) (*dayFindings, error) {
	if len(index) == 0 || index[0].Type != DayRecDay || index[0].Day == nil {
		return nil, fmt.Errorf("%w: it does not start with the day", ErrNotDay)
	}
	st := ReplayDay(index)
	if len(st.Plans) != len(st.Experiments) {
		return nil, fmt.Errorf("%w: its first record has %d plans for %d experiments", ErrNotDay, len(st.Plans), len(st.Experiments))
	}
	d := &dayFindings{
		state: st,
		day:   st.Day.Localized(string(cfg.lang)),
		index: index,
		start: index[0].At,
		end:   index[len(index)-1].At,
		worst: -1,
	}
	d.live = cfg.live && st.End == nil
	for i, plan := range st.Plans {
		e := dayExperiment{n: i + 1, plan: plan, status: st.Experiments[i]}
		if i < len(runs) {
			e.run = runs[i]
		}
		switch {
		case e.status.State == ExperimentRefused:
			e.kind = kindRefused
		case e.status.State == ExperimentSkipped:
			e.kind = kindSkipped
		case e.status.State == "" && d.live:
			e.kind = kindPending
		case e.status.State == "":
			e.kind = kindNotRun
		case e.run.Err != "" || len(e.run.Records) == 0:
			e.kind = kindUnreadable
			if e.run.Err == "" {
				e.run.Err = "no journal"
			}
		default:
			s, err := derive(e.run.Records, e.run.Live)
			if err != nil {
				e.kind, e.run.Err = kindUnreadable, err.Error()
				break
			}
			e.s = s
			e.kind = runKind(s)
			d.end = later(d.end, s.end)
			title := s.plan.Localized(string(cfg.lang)).Title
			for _, a := range s.actions {
				d.actions = append(d.actions, dayAction{actionItem: a, n: e.n, title: title})
			}
		}
		if sv := e.kind.severity(); sv >= 0 && (d.worst < 0 || sv > d.exps[d.worst].kind.severity()) {
			d.worst = i
		}
		d.exps = append(d.exps, e)
	}
	if st.End != nil {
		d.end = st.Ended
	}
	for _, n := range st.Notes {
		if n.Note.Kind != Improvement {
			continue
		}
		a := parseAction(n.Note.Text)
		if a.text == "" {
			a.text = n.Note.Text
		}
		a.at = n.At
		d.actions = append(d.actions, dayAction{actionItem: a})
	}
	slices.SortStableFunc(d.actions, func(a, b dayAction) int { return a.at.Compare(b.at) })
	return d, nil
}

// runKind is where a run ended up, from its findings.
func runKind(s *findings) outcomeKind {
	o := s.outcome
	switch {
	case o == nil && s.live:
		return kindLive
	case o == nil:
		return kindUnfinished
	}
	switch o.Verdict {
	case VerdictHeld:
		return kindHeld
	case VerdictViolated:
		return kindViolated
	case VerdictNotSteady:
		return kindNotSteady
	case VerdictAborted:
		return kindAborted
	case VerdictRollbackFailed:
		return kindRollbackFailed
	}
	return kindViolated
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// WriteDayReport writes the markdown report of a whole game day from its
// index and, for each experiment in order, its DayRun. It answers what
// the day's retro asks: one verdict for the day, a summary table
// (experiment, hypothesis, verdict, the figures of each goal), one list
// of action items with owners across the day, who took part, the
// preparation checklist as it was ticked, the notes taken between
// experiments, and every experiment's own report, its headings one level
// down. Like WriteReport it is deterministic; the options are the same
// (WithJournalPath is the index's path, WithLive says the day goes on).
func WriteDayReport(w io.Writer, index []DayRecord, runs []DayRun, opts ...ReportOption) error {
	cfg := newReportConfig(opts)
	d, err := deriveDay(index, runs, cfg)
	if err != nil {
		return fmt.Errorf("write day report: %w", err)
	}
	bw := bufio.NewWriter(w)
	dw := &dayWriter{w: bw, d: d, cfg: cfg, wd: &words{pr: NewPrinter(cfg.lang), loc: cfg.loc, start: d.start}}
	dw.header()
	dw.summary()
	dw.actions()
	dw.participants()
	dw.checklist()
	dw.notes()
	for _, e := range d.exps {
		dw.experiment(e)
	}
	dw.environment()
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write day report: %w", err)
	}
	return nil
}

type dayWriter struct {
	w   *bufio.Writer
	d   *dayFindings
	cfg reportConfig
	wd  *words
}

func (dw *dayWriter) line(parts ...string) {
	for _, p := range parts {
		_, _ = dw.w.WriteString(p)
	}
	_ = dw.w.WriteByte('\n')
}

func (dw *dayWriter) t(key string, args ...any) string { return dw.wd.t(key, args...) }

// runConfig is how experiment e's own report is worded: the day's
// language and zone, its own journal, charts and liveness.
func (dw *dayWriter) runConfig(e dayExperiment) reportConfig {
	c := dw.cfg
	c.journal, c.charts, c.live = e.run.Journal, e.run.Charts, e.run.Live
	return c
}

// runWriter is a report writer for experiment e, nested in the day's.
func (dw *dayWriter) runWriter(e dayExperiment) *reportWriter {
	rw := newReportWriter(dw.w, e.s, dw.runConfig(e))
	rw.title = dw.t("day.h.experiment", e.n, userText(rw.plan.Title))
	rw.deeper = 1
	return rw
}

// label words where experiment e ended up.
func (dw *dayWriter) label(e dayExperiment) string {
	switch e.kind {
	case kindHeld:
		return dw.t("verdict.held")
	case kindViolated:
		return dw.t("verdict.violated")
	case kindNotSteady:
		return dw.t("verdict.notsteady")
	case kindAborted:
		return dw.t("verdict.aborted")
	case kindRollbackFailed:
		return dw.t("verdict.rollbackfailed")
	case kindUnfinished:
		return dw.t("verdict.unfinished")
	case kindLive:
		return dw.t("verdict.live")
	case kindRefused:
		return dw.t("day.verdict.refused")
	case kindSkipped:
		return dw.t("day.verdict.skipped")
	case kindUnreadable:
		return dw.t("day.verdict.unreadable")
	case kindNotRun:
		return dw.t("day.verdict.notrun")
	case kindPending:
		return dw.t("day.verdict.pending")
	}
	return ""
}

func (dw *dayWriter) header() {
	d := dw.d
	dw.line(dw.t("day.title", userText(d.day.Title)))
	dw.line()
	verdict := dw.t("day.verdict.none")
	switch {
	case d.worst >= 0:
		verdict = dw.label(d.exps[d.worst])
	case d.live:
		verdict = dw.t("verdict.live")
	}
	var counts []string
	for k := kindHeld; k <= kindPending; k++ {
		n, at := 0, -1
		for i, e := range d.exps {
			if e.kind == k {
				n++
				if at < 0 {
					at = i
				}
			}
		}
		if n > 0 {
			counts = append(counts, dw.t("day.count", dw.label(d.exps[at]), n))
		}
	}
	dw.line(dw.t("day.verdict.line", verdict, len(d.exps), strings.Join(counts, dw.t("sep.comma"))))
	dw.line()
	if end := d.state.End; end != nil {
		switch end.Stopped {
		case DayStopRollback:
			dw.line(dw.t("day.stopped.rollback", end.After+1))
			dw.line()
		case DayStopViolation:
			dw.line(dw.t("day.stopped.violation", end.After+1))
			dw.line()
		case DayStopInterrupted:
			if end.After < 0 {
				dw.line(dw.t("day.stopped.interrupted.first"))
			} else {
				dw.line(dw.t("day.stopped.interrupted", end.After+1))
			}
			dw.line()
		}
	} else if !d.live {
		dw.line(dw.t("day.unfinished"))
		dw.line()
	}
	length := dw.wd.duration(d.end.Sub(d.start).Round(time.Second))
	if d.live {
		dw.line(dw.t("day.meta.live", dw.wd.stamp(d.start), length, code(d.state.Day.Path)))
	} else {
		dw.line(dw.t("day.meta", dw.wd.stamp(d.start), length, code(d.state.Day.Path)))
	}
	if d.day.Date != "" {
		dw.line()
		dw.line(dw.t("day.date", userText(d.day.Date)))
	}
	if strings.TrimSpace(d.day.Description) != "" {
		dw.line()
		dw.line(escapeText(d.day.Description))
	}
	dw.line()
}

// summary writes the table of the day: one row per experiment, with the
// figures of each of its goals against the goal.
func (dw *dayWriter) summary() {
	d := dw.d
	dw.line(dw.t("h.summary"))
	dw.line()
	dw.line(dw.t("day.summary.head"))
	dw.line("|---|---|---|---|---|")
	for _, e := range d.exps {
		plan := e.plan.Localized(string(dw.cfg.lang))
		var figures []string
		if e.s != nil {
			rw := dw.runWriter(e)
			for _, g := range e.s.goals {
				icon, _, value := rw.goalValue(g)
				figures = append(figures, rw.t("day.goal", icon, metricWord(g.m), value, goalOf{g.m, g.b}))
			}
		}
		verdict := dw.label(e)
		switch e.kind {
		case kindRefused:
			verdict = dw.t("day.verdict.refused.why", verdict, userText(e.status.Reason))
		case kindSkipped:
			verdict = dw.t("day.verdict.skipped.by", verdict, userText(e.status.Reason))
		}
		dw.line("| ", strconv.Itoa(e.n), " | ", cell(escapeText(plan.Title)), " | ", cell(escapeText(plan.Hypothesis)), " | ",
			cell(verdict), " | ", cell(strings.Join(figures, "<br>")), " |")
	}
	dw.line()
	if n := len(d.actions); n > 0 {
		dw.line("- " + dw.t("summary.actions", n))
		dw.line()
	}
}

// actions writes one list of action items across the day, each with its
// owners and where it was noted.
func (dw *dayWriter) actions() {
	dw.line(dw.t("day.h.actions"))
	dw.line()
	if len(dw.d.actions) == 0 {
		dw.line(dw.t("day.actions.none"))
	}
	for _, a := range dw.d.actions {
		who := slices.Clone(a.owners)
		if len(who) == 0 {
			who = append(who, dw.t("actions.noowner"))
		}
		if a.due != "" {
			who = append(who, dw.t("actions.due", a.due))
		}
		item := dw.t("actions.item", escapeText(a.text), strings.Join(who, dw.t("sep.comma")))
		if a.n > 0 {
			dw.line(dw.t("day.action.experiment", item, a.n, userText(a.title)))
		} else {
			dw.line(dw.t("day.action.between", item))
		}
	}
	dw.line()
}

func (dw *dayWriter) participants() {
	dw.line(dw.t("day.h.participants"))
	dw.line()
	ps := dw.d.day.Participants
	if len(ps) == 0 {
		dw.line(dw.t("day.participants.none"))
	}
	for _, p := range ps {
		name := escapeText(p.Name)
		if p.Role != "" {
			name = dw.t("participant", name, dw.wd.role(p.Role))
		}
		dw.line("- " + name)
	}
	dw.line()
}

// checklist writes the preparation checklist as it was ticked.
func (dw *dayWriter) checklist() {
	d := dw.d
	dw.line(dw.t("day.h.checklist"))
	dw.line()
	if len(d.day.Checklist) == 0 {
		dw.line(dw.t("day.checklist.none"))
	}
	for i, item := range d.day.Checklist {
		c := d.state.Checks[i]
		switch {
		case !c.Done:
			dw.line(dw.t("day.check.notdone", userText(item)))
		case c.By == "":
			dw.line(dw.t("day.check.done", userText(item), dw.wd.clock(c.At)))
		default:
			by := escapeText(c.By)
			if strings.HasPrefix(c.By, "--") {
				by = code(c.By)
			}
			dw.line(dw.t("day.check.doneby", userText(item), dw.wd.clock(c.At), by))
		}
	}
	dw.line()
}

// notes writes the notes taken between experiments, if any.
func (dw *dayWriter) notes() {
	notes := dw.d.state.Notes
	if len(notes) == 0 {
		return
	}
	dw.line(dw.t("day.h.notes"))
	dw.line()
	for _, n := range notes {
		when := dw.t("day.note.before")
		if n.After >= 0 {
			when = dw.t("day.note.after", n.After+1)
		}
		dw.line("- ", code(dw.wd.clock(n.At)), " ", when, " — ", dw.wd.noteLabel(n.Note.Kind), ": ", escapeText(n.Note.Text))
	}
	dw.line()
}

// experiment writes experiment e: its own report, nested, or what is
// known of it when it wrote none.
func (dw *dayWriter) experiment(e dayExperiment) {
	if e.s != nil {
		dw.runWriter(e).write()
		dw.line()
		return
	}
	plan := e.plan.Localized(string(dw.cfg.lang))
	dw.line(dw.t("day.h.experiment", e.n, userText(plan.Title)))
	dw.line()
	switch e.kind {
	case kindRefused:
		dw.line(dw.t("day.exp.refused", userText(e.status.Reason)))
	case kindSkipped:
		dw.line(dw.t("day.exp.skipped", userText(e.status.Reason)))
	case kindUnreadable:
		dw.line(dw.t("day.exp.unreadable", code(e.run.Journal), userText(e.run.Err)))
		dw.line()
		dw.line(dw.t("day.exp.recover", code("gameday recover "+shellQuote(e.run.Journal))))
	case kindPending:
		dw.line(dw.t("day.exp.pending"))
	default:
		dw.line(dw.t("day.exp.notrun"))
	}
	dw.line()
	dw.line(dw.t("day.exp.scenario", code(plan.Path)))
	dw.line(dw.t("plan.hypothesis", escapeText(plan.Hypothesis)))
	dw.line(dw.t("plan.phases", planned(plan.Phases.Baseline), planned(plan.Phases.Fault), planned(plan.Phases.Recovery)))
	dw.line()
}

// environment writes where the day's records are.
func (dw *dayWriter) environment() {
	d := dw.d
	dw.line(dw.t("day.h.env"))
	dw.line()
	if dw.cfg.journal != "" {
		dw.line(dw.t("day.env.index", code(dw.cfg.journal)))
	}
	for _, e := range d.exps {
		if e.run.Journal != "" {
			dw.line(dw.t("day.env.journal", e.n, code(e.run.Journal)))
		}
	}
	version := d.index[0].Version
	if version == "" {
		version = dw.t("word.unknown")
	}
	dw.line(dw.t("env.version", escapeText(version)))
	dw.line(dw.t("env.zone", userText(dw.cfg.loc.String()), d.start.In(dw.cfg.loc).Format("-07:00")))
	last := d.index[len(d.index)-1]
	dw.line(dw.t("day.env.records", len(d.index), d.index[0].Seq, last.Seq))
}

// junitSuites is the JUnit XML of a day: a test suite per experiment.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

// WriteDayJUnit writes a whole game day as one JUnit file: a <testsuites>
// named after the day with a <testsuite> per experiment, in order, each
// as WriteJUnit writes a run's (with an "experiment" property, its place
// in the day). An experiment that wrote no journal has a suite with one
// "run" case: an error when it was refused or its journal cannot be read,
// skipped when it did not run.
func WriteDayJUnit(w io.Writer, index []DayRecord, runs []DayRun, opts ...ReportOption) error {
	cfg := newReportConfig(opts)
	d, err := deriveDay(index, runs, cfg)
	if err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	wd := &words{pr: NewPrinter(cfg.lang), loc: cfg.loc, start: d.start}
	out := junitSuites{Name: d.day.Title, Time: fmt.Sprintf("%.3f", d.end.Sub(d.start).Seconds())}
	for _, e := range d.exps {
		var suite junitSuite
		if e.s != nil {
			c := cfg
			c.journal, c.live = e.run.Journal, e.run.Live
			suite = junitSuiteOf(e.s, c)
		} else {
			plan := e.plan.Localized(string(cfg.lang))
			suite = junitSuite{
				Name:      plan.Title,
				Time:      "0",
				Timestamp: cmp.Or(e.status.Started, d.start).UTC().Format("2006-01-02T15:04:05"),
				Props:     []junitProp{{Name: "scenario", Value: plan.Path}},
			}
			run := junitCase{Name: "run", Classname: "gameday." + plan.Title, Time: "0"}
			switch e.kind {
			case kindRefused:
				suite.Props = append(suite.Props, junitProp{Name: "verdict", Value: "refused"})
				run.Error = &junitProblem{Message: unescape(wd.t("junit.day.refused", userText(e.status.Reason))), Type: "refused"}
			case kindSkipped:
				suite.Props = append(suite.Props, junitProp{Name: "verdict", Value: "skipped"})
				run.Skipped = &junitSkipped{Message: unescape(wd.t("junit.day.skipped", userText(e.status.Reason)))}
			case kindUnreadable:
				suite.Props = append(suite.Props, junitProp{Name: "verdict", Value: "unreadable"})
				run.Error = &junitProblem{Message: unescape(wd.t("junit.day.unreadable", userText(e.run.Err))), Type: "journal", Text: "journal: " + e.run.Journal}
			default:
				suite.Props = append(suite.Props, junitProp{Name: "verdict", Value: "not run"})
				run.Skipped = &junitSkipped{Message: unescape(wd.t("junit.day.notrun"))}
			}
			suite.add(run)
		}
		suite.Props = append([]junitProp{{Name: "experiment", Value: strconv.Itoa(e.n)}}, suite.Props...)
		out.Tests += suite.Tests
		out.Failures += suite.Failures
		out.Errors += suite.Errors
		out.Skipped += suite.Skipped
		out.Suites = append(out.Suites, suite)
	}
	return encodeJUnit(w, out)
}
