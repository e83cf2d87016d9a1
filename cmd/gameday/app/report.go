package app

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gameday-tui/gameday/engine"
)

func newReportCmd() *cobra.Command {
	var out, junit, lang string
	cmd := &cobra.Command{
		Use:   "report JOURNAL | DAY-INDEX",
		Short: "Render the markdown report of a run from its journal",
		Long: `Render the markdown experiment report from a journal alone. The output is
byte for byte the report the run wrote. With -o it is written to a file,
with its SVG charts beside it (FILE-p95.svg, …, linked from the report);
otherwise to standard output, linking the charts the run wrote beside the
journal.

A journal its run still holds (the run is going on) is reported IN
PROGRESS; one without a verdict that no run holds (a run that died) is
UNFINISHED, with the command that finishes its rollback.

--lang ja writes the report in Japanese (the scenario's text too, when it
carries translations.ja); times are in the local time zone, with its UTC
offset.

Given a day's index (FILE.day.jsonl, written by gameday day), it renders
the day report from the index and its experiments' journals, byte for
byte what the day wrote; --junit writes the day's JUnit.`,
		Example: "  gameday report ~/.local/state/gameday/journals/20261129T101500.000Z-latency-injection.jsonl\n  gameday report run.jsonl --lang ja -o report.md\n  gameday report 20261215T090000.000Z-sandbox-game-day.day.jsonl --junit day.xml",
		Args:    argsWith(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := engine.ParseLang(lang)
			if err != nil {
				return invalid(fmt.Errorf("--lang: %w", err))
			}
			rs := localReports(l)
			journal := args[0]
			if isDayIndexFile(journal) {
				return reportDay(cmd.OutOrStdout(), cmd.ErrOrStderr(), journal, out, junit, rs)
			}
			live, err := journalLive(journal)
			if err != nil {
				return invalid(err)
			}
			if out == "" {
				def := strings.TrimSuffix(journal, ".jsonl") + ".md"
				if err := renderReport(cmd.OutOrStdout(), journal, rs, live, existingCharts(def)); err != nil {
					return invalid(err)
				}
			} else {
				if err := writeReportFile(out, journal, rs, live); err != nil {
					return invalid(err)
				}
				fmt.Fprintln(cmd.ErrOrStderr(), "report:", out)
			}
			if junit != "" {
				if err := writeJUnitFile(junit, journal, rs, live); err != nil {
					return invalid(err)
				}
				fmt.Fprintln(cmd.ErrOrStderr(), "junit:", junit)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the report to `FILE`, and its SVG charts beside it")
	cmd.Flags().StringVar(&junit, "junit", "", "also write JUnit XML to `FILE`")
	cmd.Flags().StringVar(&lang, "lang", "en", "write the report in `LANG`: en or ja")
	return cmd
}

// journalLive reports whether a run still holds the journal at path: its
// run is going on. A journal that cannot be opened is an error.
func journalLive(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("read the journal: %w", err)
	}
	defer f.Close()
	ok, err := lockJournal(f, false)
	if err != nil {
		return false, nil // cannot tell: take it as ended, as recover does
	}
	return !ok, nil
}
