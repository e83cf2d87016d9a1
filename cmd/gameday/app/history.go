package app

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/scenarios"
)

// gameday history, and the console picker's "last run" badge: both read
// the journals and sum up each run with engine.Summarize.

func newHistoryCmd() *cobra.Command {
	var o historyOptions
	var lang string
	cmd := &cobra.Command{
		Use:   "history [SCENARIO]",
		Short: "Show every run of each scenario and how its figures moved",
		Long: `Read the journals of past runs — every journal in the state directory's
journals/ (see gameday recover) and, recursively, in each --dir, such as
the artifacts of CI jobs — and print, per scenario, one line per run: its
date, verdict, time to detect, time to recover, worst p95, worst error
rate and widest ladder step that held; then each figure of the latest
finished run against the one before it and the first, and whether that is
better or worse.

Runs are of one scenario when their scenario file has the same name and
provider (as gameday list shows it), wherever the file lay: a laptop's
./scenarios/checkout.yaml and a CI runner's copy are one scenario. A
journal found twice (in the state directory and among artifacts) counts
once. SCENARIO is a name as gameday list shows it, or a title; without
it, every scenario is shown.

Journals of every earlier version are read. A torn last line (the run
died while writing it) is left off; a file that is not a journal is
skipped with a line on standard error. Dry runs are left out unless
--dry-runs.

--markdown FILE writes the same as markdown, with a small SVG chart per
figure beside FILE (FILE-instance-stop-p95.svg, …), for a monthly review.
--lang ja writes it in Japanese; times are in the local time zone.

Exit codes: 0 some run was shown; 3 no run to show (no journal could be
read, or none is of SCENARIO), a --dir that is not a directory, or
--markdown could not be written.`,
		Example: `  gameday history
  gameday history instance-stop
  gameday history --dir ./ci-artifacts --markdown review.md --lang ja`,
		Args:              argsWith(cobra.MaximumNArgs(1)),
		ValidArgsFunction: completeScenarios,
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := engine.ParseLang(lang)
			if err != nil {
				return invalid(fmt.Errorf("--lang: %w", err))
			}
			o.lang, o.loc = l, time.Local
			if len(args) == 1 {
				o.scenario = args[0]
			}
			return runHistory(cmd.OutOrStdout(), cmd.ErrOrStderr(), o)
		},
	}
	cmd.Flags().StringArrayVar(&o.dirs, "dir", nil, "also read the journals under `DIR`, recursively (repeatable)")
	cmd.Flags().StringVar(&o.markdown, "markdown", "", "write the history as markdown to `FILE`, with its SVG charts beside it")
	cmd.Flags().StringVar(&lang, "lang", "en", "write in `LANG`: en or ja")
	cmd.Flags().BoolVar(&o.dryRuns, "dry-runs", false, "show dry runs too (never compared in the trend)")
	return cmd
}

// historyOptions are what `gameday history` was asked for.
type historyOptions struct {
	scenario string
	dirs     []string // read besides the state directory's journals
	markdown string
	lang     engine.Lang
	loc      *time.Location
	dryRuns  bool
}

func runHistory(stdout, stderr io.Writer, o historyOptions) error {
	for _, d := range o.dirs {
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			return invalid(fmt.Errorf("--dir %s: not a directory", d))
		}
	}
	roots := historyRoots(o.dirs)
	runs, found := readRuns(roots, stderr)
	if found == 0 {
		return invalid(fmt.Errorf("no journal found in %s", strings.Join(roots, ", ")))
	}
	var shown []engine.RunSummary
	dry := 0
	for _, r := range runs {
		if r.DryRun && !o.dryRuns {
			dry++
			continue
		}
		shown = append(shown, r)
	}
	groups := engine.GroupRuns(shown)
	if o.scenario != "" {
		var match []engine.ScenarioRuns
		for _, g := range groups {
			if g.Matches(o.scenario) {
				match = append(match, g)
			}
		}
		groups = match
	}
	if len(groups) == 0 {
		what := "no run"
		if o.scenario != "" {
			what = fmt.Sprintf("no run of %q", o.scenario)
		}
		hint := ""
		if dry > 0 {
			hint = fmt.Sprintf(" (%d dry run(s) left out; --dry-runs shows them)", dry)
		}
		return invalid(fmt.Errorf("%s in the %d journal(s) read%s", what, found, hint))
	}
	opts := []engine.ReportOption{engine.WithLang(o.lang), engine.WithLocation(o.loc)}
	if o.markdown == "" {
		if err := engine.WriteHistory(stdout, groups, opts...); err != nil {
			return err
		}
		return nil
	}
	if err := writeHistoryMarkdown(o.markdown, groups, opts); err != nil {
		return invalid(err)
	}
	fmt.Fprintln(stderr, "history:", o.markdown)
	return nil
}

// historyRoots are the state directory's journals, then dirs.
func historyRoots(dirs []string) []string {
	var roots []string
	if d, err := journalDir(); err == nil {
		roots = append(roots, d)
	}
	return append(roots, dirs...)
}

// writeHistoryMarkdown writes the markdown history to path and its
// charts beside it (REVIEW-instance-stop-p95.svg), which it links.
func writeHistoryMarkdown(path string, groups []engine.ScenarioRuns, opts []engine.ReportOption) error {
	charts, err := engine.HistoryCharts(groups, opts...)
	if err != nil {
		return err
	}
	links := map[string]string{}
	for _, c := range charts {
		p := chartPath(path, c.Name)
		if err := writeFileAtomic(p, c.SVG); err != nil {
			return err
		}
		links[c.Name] = chartLink(p)
	}
	var b bytes.Buffer
	if err := engine.WriteHistoryMarkdown(&b, groups, append(opts, engine.WithHistoryChartLinks(links))...); err != nil {
		return err
	}
	return writeFileAtomic(path, b.Bytes())
}

// journalFiles lists the journals under root, recursively, in lexical
// order: every *.jsonl but recover's sidecars (*.recover.jsonl, read with
// their journal); a link to a journal is read, a link to a directory not
// followed. A root that does not exist has none; a directory that cannot
// be read is skipped, and said in errs.
func journalFiles(root string) (files []string, errs []error) {
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil && path == root && errors.Is(err, fs.ErrNotExist):
			return fs.SkipAll
		case err != nil:
			errs = append(errs, fmt.Errorf("list the journals in %s: %w", path, err))
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		case d.IsDir() || !strings.HasSuffix(d.Name(), ".jsonl") || strings.HasSuffix(d.Name(), ".recover.jsonl"):
			return nil
		case d.Type().IsRegular() || regularFile(path):
			files = append(files, path)
		}
		return nil
	})
	return files, errs
}

// regularFile reports whether path is, or links to, a regular file.
func regularFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// readRuns sums up every journal under roots. A journal that cannot be
// read is skipped with a line on stderr; found counts those read.
func readRuns(roots []string, stderr io.Writer) (runs []engine.RunSummary, found int) {
	for _, root := range roots {
		files, errs := journalFiles(root)
		for _, err := range errs {
			fmt.Fprintln(stderr, "gameday:", err)
		}
		for _, path := range files {
			r, err := summarizeJournal(path)
			if err != nil {
				fmt.Fprintf(stderr, "gameday: skipped: %v\n", err)
				continue
			}
			runs = append(runs, r)
			found++
		}
	}
	return runs, found
}

// summarizeJournal sums up the run of the journal at path, with what
// recover wrote beside it; a torn last line is left off. A journal
// without a verdict that a run still holds is live.
func summarizeJournal(path string) (engine.RunSummary, error) {
	recs, _, err := readJournalFile(path)
	if err != nil {
		return engine.RunSummary{}, err
	}
	live := false
	if !hasVerdict(recs) {
		live, _ = journalLive(path)
	}
	r, err := engine.Summarize(recs, engine.WithLive(live))
	if err != nil {
		return engine.RunSummary{}, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

func hasVerdict(recs []engine.Record) bool {
	for _, r := range recs {
		if r.Type == engine.RecVerdict && r.Outcome != nil {
			return true
		}
	}
	return false
}

// runIndex is the latest run of each scenario in the state directory,
// for the console's picker. It reads a journal again only when its size
// or time changed, and the directory at most once a second.
type runIndex struct {
	mu      sync.Mutex
	now     func() time.Time
	scanned time.Time
	files   map[string]indexedRun
}

type indexedRun struct {
	size int64
	mod  time.Time
	run  *engine.RunSummary // nil: not a journal, or a dry run
}

// lastRuns returns the console's tui.Config.LastRun: when a plan's
// scenario last ran and how ("✅ held 7 days ago", "never run"), from
// the journals in the state directory; dry runs do not count.
func lastRuns(lang engine.Lang, now func() time.Time) func(*scenarios.Plan) string {
	idx := &runIndex{now: now, files: map[string]indexedRun{}}
	return func(p *scenarios.Plan) string {
		return engine.LastRunBadge(idx.latest(scenarios.Name(p.Path), p.Target.Provider), now(), lang)
	}
}

// latest returns the newest run of the scenario, nil if none.
func (x *runIndex) latest(scenario, provider string) *engine.RunSummary {
	x.mu.Lock()
	defer x.mu.Unlock()
	if now := x.now(); x.scanned.IsZero() || now.Sub(x.scanned) >= time.Second || now.Before(x.scanned) {
		x.scan()
		x.scanned = now
	}
	var best *engine.RunSummary
	for _, f := range x.files {
		r := f.run
		if r == nil || r.Scenario != scenario || r.Provider != provider {
			continue
		}
		if best == nil || r.Start.After(best.Start) {
			best = r
		}
	}
	return best
}

// scan reads the journals that are new or changed since the last scan.
func (x *runIndex) scan() {
	dir, err := journalDir()
	if err != nil {
		return
	}
	files, _ := journalFiles(dir)
	seen := map[string]bool{}
	for _, path := range files {
		seen[path] = true
		fi, err := os.Stat(path)
		if err != nil {
			continue
		}
		if old, ok := x.files[path]; ok && old.size == fi.Size() && old.mod.Equal(fi.ModTime()) {
			continue
		}
		e := indexedRun{size: fi.Size(), mod: fi.ModTime()}
		if r, err := summarizeJournal(path); err == nil && !r.DryRun {
			e.run = &r
		}
		x.files[path] = e
	}
	for path := range x.files {
		if !seen[path] {
			delete(x.files, path)
		}
	}
}
