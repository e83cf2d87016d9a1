package engine

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

type junitSuite struct {
	XMLName   xml.Name    `xml:"testsuite"`
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr"`
	Props     []junitProp `xml:"properties>property"`
	Cases     []junitCase `xml:"testcase"`
}

type junitProp struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// WriteJUnit writes the run as JUnit XML, computed from its journal records
// alone, so CI systems show it: a test suite named after the plan title,
// one test case per steady-state check per phase ("baseline: p95 ≤
// 200 ms"), failing with the value against the bound when it breaches and
// skipped when the run never measured that phase; one case per injected
// fault for its rollback (a failure with the manual command when it could
// not be confirmed); and a "run" case that errors when the run was aborted
// or did not finish. Its words come from the catalog in the language of
// WithLang (test case names included: a CI that tracks cases by name
// keeps one language).
func WriteJUnit(w io.Writer, records []Record, opts ...ReportOption) error {
	cfg := newReportConfig(opts)
	s, err := derive(records, cfg.live)
	if err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	return encodeJUnit(w, junitSuiteOf(s, cfg))
}

// encodeJUnit writes v (a suite, or the day's suites) as indented XML.
func encodeJUnit(w io.Writer, v any) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	return nil
}

// junitSuiteOf is the test suite of one run, as WriteJUnit describes it.
func junitSuiteOf(s *findings, cfg reportConfig) junitSuite {
	wd := &words{pr: NewPrinter(cfg.lang), loc: cfg.loc, start: s.start}
	plain := func(text string) string { return unescape(text) }
	title := s.plan.Localized(string(cfg.lang)).Title
	class := "gameday." + title
	suite := junitSuite{
		Name:      title,
		Time:      fmt.Sprintf("%.3f", s.end.Sub(s.start).Seconds()),
		Timestamp: s.start.UTC().Format("2006-01-02T15:04:05"),
		Props: []junitProp{
			{Name: "provider", Value: s.env.Provider},
			{Name: "scenario", Value: s.plan.Path},
			{Name: "version", Value: s.env.Version},
			{Name: "run_id", Value: s.env.RunID},
		},
	}
	verdict := "unfinished"
	switch {
	case s.outcome != nil:
		verdict = string(s.outcome.Verdict)
	case s.live:
		verdict = "in progress"
	}
	suite.Props = append(suite.Props, junitProp{Name: "verdict", Value: verdict})

	for _, g := range groups {
		for _, m := range planMetrics(s.plan) {
			b := s.plan.SteadyState[m]
			tc := junitCase{Name: plain(wd.t("junit.case", groupWord(g), metricWord(m), goalOf{m, b})), Classname: class, Time: "0"}
			c, ok := s.check(g, m)
			switch {
			case !ok:
				tc.Skipped = &junitSkipped{Message: plain(wd.phrase(notMeasured(s, g)))}
			case !c.Holds:
				msg := plain(wd.phrase(breachOf(c)))
				tc.Failure = &junitProblem{Message: msg, Type: "breach", Text: plain(wd.t("junit.breach", msg, valueOf{m, c.Value}, c.Samples, goalOf{m, b}))}
			}
			suite.add(tc)
		}
	}
	for _, f := range s.faults {
		if f.State == FaultPending || f.State == FaultSkipped || f.State == FaultDryRun {
			continue
		}
		tc := junitCase{Name: plain(wd.t("junit.rollback", userText(f.Fault.ID), userText(f.Fault.Kind))), Classname: class, Time: "0"}
		switch {
		case f.State == FaultInjectFailed:
			tc.Error = &junitProblem{Message: plain(wd.t("junit.injectfailed")), Type: "inject", Text: f.Err}
		case f.State.MayBeActive() && (!s.live || f.State == FaultRollbackFailed):
			recover := "gameday recover   # give it this run's journal"
			if cfg.journal != "" {
				recover = "gameday recover " + shellQuote(cfg.journal)
			}
			cmd := f.Manual
			switch {
			case cmd == "":
				cmd = recover
			case strings.Contains(cmd, "gameday recover JOURNAL") && cfg.journal != "":
				cmd = strings.ReplaceAll(cmd, "gameday recover JOURNAL", recover)
			}
			tc.Failure = &junitProblem{
				Message: plain(wd.t("junit.unconfirmed", stateWord(f.State))),
				Type:    "rollback",
				Text:    strings.TrimSpace(f.Err + "\nmanual: " + cmd),
			}
		}
		suite.add(tc)
	}
	run := junitCase{Name: "run", Classname: class, Time: suite.Time}
	switch {
	case s.outcome == nil && s.live:
		run.Skipped = &junitSkipped{Message: plain(wd.phrase(s.why[len(s.why)-1]))}
	case s.outcome == nil:
		run.Error = &junitProblem{Message: plain(wd.t("junit.unfinished")), Type: "unfinished"}
	case s.outcome.Verdict == VerdictAborted:
		run.Error = &junitProblem{Message: plain(wd.t("junit.aborted", s.abortCause())), Type: "aborted"}
	}
	suite.add(run)
	return suite
}

// unescape undoes escapeText for output that is not markdown (JUnit's
// XML escapes for itself).
func unescape(s string) string {
	var b strings.Builder
	esc := false
	for _, r := range s {
		if r == '\\' && !esc {
			esc = true
			continue
		}
		esc = false
		b.WriteRune(r)
	}
	return b.String()
}

func (s *junitSuite) add(tc junitCase) {
	s.Tests++
	switch {
	case tc.Failure != nil:
		s.Failures++
	case tc.Error != nil:
		s.Errors++
	case tc.Skipped != nil:
		s.Skipped++
	}
	s.Cases = append(s.Cases, tc)
}

// notMeasured says why a group has no check.
func notMeasured(s *findings, g string) phrase {
	switch {
	case s.outcome != nil && s.outcome.Verdict == VerdictNotSteady:
		return say("junit.skip.notsteady")
	case !s.groups.reached(g):
		return say("junit.skip.notreached", groupWord(g))
	}
	return say("junit.skip.nosamples", groupWord(g))
}
