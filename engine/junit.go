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
// one test case per steady-state check per phase ("baseline: p95_ms ≤
// 200"), failing with the value against the bound when it breaches and
// skipped when the run never measured that phase; one case per injected
// fault for its rollback (a failure with the manual command when it could
// not be confirmed); and a "run" case that errors when the run was aborted
// or did not finish.
func WriteJUnit(w io.Writer, records []Record) error {
	s, err := derive(records)
	if err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	class := "gameday." + s.plan.Title
	suite := junitSuite{
		Name:      s.plan.Title,
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
	if s.outcome != nil {
		verdict = string(s.outcome.Verdict)
	}
	suite.Props = append(suite.Props, junitProp{Name: "verdict", Value: verdict})

	for _, g := range groups {
		for _, m := range planMetrics(s.plan) {
			b := s.plan.SteadyState[m]
			tc := junitCase{Name: checkName(g, m, b), Classname: class, Time: "0"}
			c, ok := s.check(g, m)
			switch {
			case !ok:
				tc.Skipped = &junitSkipped{Message: notMeasured(s, g)}
			case !c.Holds:
				msg := describeBreach(c)
				tc.Failure = &junitProblem{Message: msg, Type: "breach", Text: fmt.Sprintf("%s: %s over %d samples, bound %s", msg, formatValue(m, c.Value), c.Samples, formatBound(m, b))}
			}
			suite.add(tc)
		}
	}
	for _, f := range s.faults {
		if f.State == FaultPending || f.State == FaultSkipped || f.State == FaultDryRun {
			continue
		}
		tc := junitCase{Name: fmt.Sprintf("rollback: %s (%s)", f.Fault.ID, f.Fault.Kind), Classname: class, Time: "0"}
		switch {
		case f.State == FaultInjectFailed:
			tc.Error = &junitProblem{Message: "could not be injected", Type: "inject", Text: f.Err}
		case f.State.MayBeActive():
			cmd := f.Manual
			if cmd == "" {
				cmd = "gameday recover JOURNAL"
			}
			tc.Failure = &junitProblem{
				Message: fmt.Sprintf("rollback not confirmed (%s): manual action needed", f.State),
				Type:    "rollback",
				Text:    strings.TrimSpace(f.Err + "\nmanual: " + cmd),
			}
		}
		suite.add(tc)
	}
	run := junitCase{Name: "run", Classname: class, Time: suite.Time}
	switch {
	case s.outcome == nil:
		run.Error = &junitProblem{Message: "the journal ends without a verdict: the run did not finish", Type: "unfinished"}
	case s.outcome.Verdict == VerdictAborted:
		run.Error = &junitProblem{Message: "aborted: " + s.outcome.Reason, Type: "aborted"}
	}
	suite.add(run)

	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(suite); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	return nil
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
func notMeasured(s *findings, g string) string {
	switch {
	case s.outcome != nil && s.outcome.Verdict == VerdictNotSteady:
		return "not measured: the steady state did not hold during the baseline, so nothing was injected"
	case !s.groups.reached(g):
		return "not measured: the run ended before the " + g + " phase"
	}
	return "not measured: no samples during the " + g + " phase"
}
