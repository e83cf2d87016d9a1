package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/providers/loadgen"
	"github.com/gameday-tui/gameday/scenarios"
	"github.com/gameday-tui/gameday/share"
)

// journalDir is where journals go by default.
func journalDir() (string, error) {
	if d := os.Getenv("GAMEDAY_STATE_DIR"); d != "" {
		return filepath.Join(d, "journals"), nil
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "gameday", "journals"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the journal directory: %w", err)
	}
	return filepath.Join(home, ".local", "state", "gameday", "journals"), nil
}

// slug turns a plan title into a file-name part: its letters and digits,
// in any script (a Japanese title stays readable: "ランダムなインスタンス停止"),
// lower-cased, every other run of characters one "-", at most 40 letters.
func slug(title string) string {
	var b []rune
	for _, r := range strings.ToLower(title) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b = append(b, r)
		case len(b) > 0 && b[len(b)-1] != '-':
			b = append(b, '-')
		}
	}
	if len(b) > 40 {
		b = b[:40]
	}
	s := strings.Trim(string(b), "-")
	if s == "" {
		s = "run"
	}
	return s
}

// defaultJournalPath names a new journal for plan started at now, after
// its title in the report's language.
func defaultJournalPath(plan *scenarios.Plan, lang engine.Lang, now time.Time) (string, error) {
	dir, err := journalDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, journalName(plan.Localized(string(lang)).Title, now)), nil
}

// journalName names the journal of a run of the plan titled title
// started at now: its UTC start, then its title, so names sort by time.
func journalName(title string, now time.Time) string {
	return now.UTC().Format("20060102T150405.000Z") + "-" + slug(engine.Redact(title)) + ".jsonl"
}

// reportSettings say how the command line writes reports: in which
// language (--lang; later also a setting of the config file) and with
// times in which zone (the facilitator's own).
type reportSettings struct {
	lang engine.Lang
	loc  *time.Location
}

// localReports are the settings of a command run with lang: the local
// time zone.
func localReports(lang engine.Lang) reportSettings {
	return reportSettings{lang: lang, loc: time.Local}
}

func (rs reportSettings) options(journalPath string, live bool) []engine.ReportOption {
	loc := rs.loc
	if loc == nil {
		loc = time.Local
	}
	return []engine.ReportOption{engine.WithLang(rs.lang), engine.WithLocation(loc), engine.WithJournalPath(journalPath), engine.WithLive(live)}
}

// session is one run with everything it needs: the engine run, its load,
// its journal. It implements tui.Run.
type session struct {
	run         *engine.Run
	lease       *lease
	gen         *loadgen.Generator
	journal     *os.File
	journalPath string
	reportPath  string
	reports     reportSettings
	blast       engine.Blast
	cancelLoad  context.CancelFunc
	loadDone    chan struct{}
	closeOnce   sync.Once
	// command is the plan's external load command, nil without one.
	command *loadCommand
}

type sessionOptions struct {
	JournalPath string
	ReportPath  string
	// Lang is the language of the report, and of the journal's name.
	Lang      engine.Lang
	DryRun    bool
	TTLMargin time.Duration // 0: the provider's own, else engine.TTLMargin
	Registry  *registry     // for the plan's metrics source
	Connect   connectOptions
	// LoadOutput, when set, receives the external load command's output
	// lines as they come (run --load-output).
	LoadOutput io.Writer
	// ReportDir, when set and ReportPath is not, is where the report goes
	// (under the journal's name) instead of beside the journal.
	ReportDir string
	// Share, when set, serves the run to watchers (--share): the journal
	// feeds it, and the scribes' notes go to the run.
	Share *share.Server
}

// startSession starts the load and the engine for plan against c. It
// first resolves the blast radius (engine.Preflight) and refuses, with
// nothing written, a run whose selection matches nothing or is beyond the
// plan's cap. It does not ask for a production target's confirmation: its
// callers do (--confirm, or the console's prompt).
func startSession(ctx context.Context, c *conn, plan *scenarios.Plan, o sessionOptions) (*session, error) {
	return startSessionAt(ctx, c, plan, o, "")
}

// startSessionAt is startSession whose default journal name is
// defaultPath (not the clock's): tests use it.
func startSessionAt(ctx context.Context, c *conn, plan *scenarios.Plan, o sessionOptions, defaultPath string) (*session, error) {
	blast, err := preflight(ctx, c, plan)
	if err != nil {
		return nil, err
	}
	runID := engine.NewRunID(time.Now())
	ls, err := leaseTarget(ctx, c, plan, runID)
	if err != nil {
		return nil, err
	}
	started := false
	defer func() {
		if !started {
			ls.Release()
		}
	}()
	sources := slices.Clone(c.sources)
	var gen *loadgen.Generator
	if plan.Load.BuiltIn() {
		url := plan.Load.URL
		if url == "" {
			if c.loadBase == "" {
				return nil, invalid(fmt.Errorf("%s: load: provider %s has no address of its own for built-in load; give load.url", plan.Path, plan.Target.Provider))
			}
			path := plan.Load.Path
			if path == "" {
				path = c.loadPath
			}
			url = c.loadBase + path
		}
		gen, err = loadgen.New(loadgen.Config{URL: url, Rate: plan.Load.Rate, Timeout: plan.Load.Timeout, AcceptRedirects: plan.Load.AcceptRedirects})
		if err != nil {
			return nil, invalid(fmt.Errorf("%s: load: %w", plan.Path, err))
		}
		sources = append(sources, loadgen.NewSource(gen, c.running))
	}
	if o.Registry != nil {
		src, err := o.Registry.source(ctx, plan, o.Connect)
		if err != nil {
			return nil, err
		}
		if src != nil {
			sources = append(sources, src)
		}
	}
	if len(sources) == 0 {
		return nil, invalid(fmt.Errorf("%s: nothing to measure: give built-in load (load: { rate: N }) or a metrics source", plan.Path))
	}
	now := time.Now()
	named := o.JournalPath != ""
	if !named {
		o.JournalPath = defaultPath
		if o.JournalPath == "" {
			p, err := defaultJournalPath(plan, o.Lang, now)
			if err != nil {
				return nil, err
			}
			o.JournalPath = p
		}
	}
	if err := os.MkdirAll(filepath.Dir(o.JournalPath), 0o700); err != nil {
		return nil, fmt.Errorf("create the journal directory: %w", err)
	}
	// Created exclusively: two runs started in the same millisecond each
	// get their own journal (the second takes a -2 suffix); a journal
	// named on the command line is never overwritten.
	jf, err := os.OpenFile(o.JournalPath, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	for n := 2; err != nil && errors.Is(err, os.ErrExist) && !named && n < 100; n++ {
		alt := strings.TrimSuffix(o.JournalPath, ".jsonl")
		if i := strings.LastIndex(alt, "~"); i > 0 {
			alt = alt[:i]
		}
		o.JournalPath = fmt.Sprintf("%s~%d.jsonl", alt, n)
		jf, err = os.OpenFile(o.JournalPath, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	}
	if err != nil {
		return nil, fmt.Errorf("create the journal: %w", err)
	}
	if o.ReportPath == "" {
		o.ReportPath = strings.TrimSuffix(o.JournalPath, filepath.Ext(o.JournalPath)) + ".md"
		if o.ReportDir != "" {
			o.ReportPath = filepath.Join(expandHome(o.ReportDir), filepath.Base(o.ReportPath))
		}
	}
	// Held while the run lives (and released if it is killed), so that
	// recover and the notice at start leave a live run's journal alone.
	// Without it a recover could act on a live run: refuse to start.
	if ok, err := lockJournal(jf, true); err != nil || !ok {
		jf.Close()
		os.Remove(o.JournalPath)
		if err == nil {
			err = errors.New("another process holds it")
		}
		return nil, fmt.Errorf("lock the journal %s: %w", o.JournalPath, err)
	}

	id := c.identity
	var journal io.Writer = jf
	var feed *share.Feed
	if o.Share != nil {
		// The watchers get the journal's own lines, once the file took
		// them; the feed never blocks the engine.
		feed = o.Share.NewFeed()
		journal = feed.Journal(jf)
	}
	run, err := engine.New(engine.Options{
		Plan:        plan,
		Provider:    c.provider,
		Sources:     sources,
		Journal:     journal,
		JournalPath: o.JournalPath,
		Env:         engine.Environment{RunID: runID, Provider: c.provider.Name(), Version: buildVersion(), DryRun: o.DryRun, Targets: blast.Targets(), Identity: &id},
		DryRun:      o.DryRun,
		TTLMargin:   o.TTLMargin,
	})
	if err != nil {
		jf.Close()
		os.Remove(o.JournalPath)
		return nil, invalid(err)
	}
	if feed != nil {
		feed.SetNoter(run)
	}
	loadCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var command *loadCommand
	if plan.Load != nil && len(plan.Load.Command) > 0 {
		// Started before the run, so that a command that cannot start
		// refuses the run with nothing done.
		command, err = startLoadCommand(loadCtx, plan, c, runID, o.JournalPath, o.LoadOutput)
		if err != nil {
			cancel()
			jf.Close()
			os.Remove(o.JournalPath)
			return nil, invalid(fmt.Errorf("%s: load.command: %w", plan.Path, err))
		}
	}
	started = true
	s := &session{lease: ls, run: run, gen: gen, journal: jf, journalPath: o.JournalPath, reportPath: o.ReportPath, reports: localReports(o.Lang), blast: blast, cancelLoad: cancel, loadDone: make(chan struct{}), command: command}
	go func() {
		defer close(s.loadDone)
		if gen != nil {
			_, _ = gen.Run(loadCtx)
		}
	}()
	run.Start(ctx)
	if command != nil {
		go func() {
			select {
			case <-command.proc.Done():
				select {
				case <-run.Done():
				default:
					command.note(run, "ended before the run did")
				}
			case <-run.Done():
			}
		}()
	}
	go func() {
		<-run.Done()
		s.stopLoad()
	}()
	return s, nil
}

// stopLoad stops the built-in load and the load command, notes how the
// command ended, and gives the target's lease up. It is idempotent; a
// second caller waits for the first.
func (s *session) stopLoad() {
	s.closeOnce.Do(func() {
		s.cancelLoad()
		<-s.loadDone
		if s.command != nil {
			s.command.stop(s.run)
		}
		s.lease.Release()
	})
}

// LoadLines returns the external load command's last output lines, oldest
// first (nil without a command): its output on demand.
func (s *session) LoadLines() []string {
	if s.command == nil {
		return nil
	}
	return s.command.proc.Lines()
}

// Events, Snapshot, Inject, Abort, Note and Done pass through to the run.
func (s *session) Events() <-chan engine.Record { return s.run.Events() }
func (s *session) Snapshot() engine.Snapshot    { return s.run.Snapshot() }
func (s *session) Inject(faultID string) error  { return s.run.Inject(faultID) }
func (s *session) Abort(reason string)          { s.run.Abort(reason) }
func (s *session) AbortNow(reason string)       { s.run.AbortNow(reason) }
func (s *session) Note(text string) error       { return s.run.Note(text) }
func (s *session) Done() <-chan struct{}        { return s.run.Done() }
func (s *session) Outcome() engine.Outcome      { return s.run.Outcome() }
func (s *session) JournalPath() string          { return s.journalPath }
func (s *session) JournalErr() error            { return s.run.JournalErr() }

// HoldLadder and WidenNow pass the facilitator's ladder keys through to
// the run.
func (s *session) HoldLadder(faultID string) error { return s.run.HoldLadder(faultID) }
func (s *session) WidenNow(faultID string) error   { return s.run.WidenNow(faultID) }

// Blast is the blast radius resolved before the run started.
func (s *session) Blast() engine.Blast { return s.blast }
func (s *session) ReportPath() string  { return s.reportPath }

// live reports whether the run is still going.
func (s *session) live() bool {
	select {
	case <-s.run.Done():
		return false
	default:
		return true
	}
}

// Report renders the markdown report from the journal on disk, exactly as
// `gameday report` would: IN PROGRESS while the run goes on, linking the
// charts once SaveReport wrote them.
func (s *session) Report() (string, error) {
	var b bytes.Buffer
	if err := renderReport(&b, s.journalPath, s.reports, s.live(), existingCharts(s.reportPath)); err != nil {
		return "", err
	}
	return b.String(), nil
}

// SaveReport writes the report next to the journal, with its SVG charts
// beside it, and returns its path.
func (s *session) SaveReport() (string, error) {
	if err := writeReportFile(s.reportPath, s.journalPath, s.reports, s.live()); err != nil {
		return "", err
	}
	return s.reportPath, nil
}

// Close waits for the load to stop and closes the journal.
func (s *session) Close() error {
	s.stopLoad()
	return s.journal.Close()
}

// renderReport renders the report of the journal at path to w, as rs
// says, IN PROGRESS when live, linking the charts of links. A torn last
// line (a crashed run, or a live one caught mid-write) is left out: the
// report covers every record before it.
func renderReport(w io.Writer, journalPath string, rs reportSettings, live bool, links map[scenarios.Metric]string) error {
	recs, _, err := readJournalFile(journalPath)
	if err != nil {
		return err
	}
	return engine.WriteReport(w, recs, append(rs.options(journalPath, live), engine.WithChartLinks(links))...)
}

// chartPath names the SVG chart name (engine.ChartName) of the report at
// report: beside it, REPORT-p95.svg.
func chartPath(report, name string) string {
	return strings.TrimSuffix(report, filepath.Ext(report)) + "-" + name + ".svg"
}

// chartLink is the link from a report to a chart beside it: its file
// name after "./" (so that no name reads as a URL scheme), with what
// would end or break a markdown link percent-encoded and every other
// letter, a Japanese title's included, kept readable.
func chartLink(chart string) string {
	var b strings.Builder
	for _, r := range filepath.Base(chart) {
		if r <= ' ' || r == 0x7f || strings.ContainsRune("()<>[]\"'`\\%#?", r) {
			for _, c := range []byte(string(r)) {
				fmt.Fprintf(&b, "%%%02X", c)
			}
			continue
		}
		b.WriteRune(r)
	}
	return "./" + b.String()
}

// existingCharts links the charts that exist beside the report at
// report, so that a report rendered again (gameday report JOURNAL, the
// console's report view) links what the run wrote, and nothing that is
// not there.
func existingCharts(report string) map[scenarios.Metric]string {
	links := map[scenarios.Metric]string{}
	for _, m := range scenarios.Metrics {
		p := chartPath(report, engine.ChartName(m))
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			links[m] = chartLink(p)
		}
	}
	return links
}

// writeReportFile renders the report of journalPath into path atomically,
// and its SVG charts beside it (REPORT-p95.svg …), which it links.
func writeReportFile(path, journalPath string, rs reportSettings, live bool) error {
	recs, _, err := readJournalFile(journalPath)
	if err != nil {
		return err
	}
	opts := rs.options(journalPath, live)
	charts, err := engine.WriteCharts(recs, opts...)
	if err != nil {
		return err
	}
	links := map[scenarios.Metric]string{}
	for _, c := range charts {
		p := chartPath(path, c.Name)
		if err := writeFileAtomic(p, c.SVG); err != nil {
			return err
		}
		links[c.Metric] = chartLink(p)
	}
	var b bytes.Buffer
	if err := engine.WriteReport(&b, recs, append(opts, engine.WithChartLinks(links))...); err != nil {
		return err
	}
	return writeFileAtomic(path, b.Bytes())
}

// writeFileAtomic writes data to path so that a reader sees the old file
// or the new one, never a part: into a temporary file created exclusively
// in path's directory (an unpredictable name, so no symlink planted there
// is followed), synced, then renamed over path, and the directory synced.
// The file is 0600 unless perm says otherwise.
func writeFileAtomic(path string, data []byte) error {
	return writeFileAtomicPerm(path, data, 0o600)
}

func writeFileAtomicPerm(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(perm); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: sync: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	done = true
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // the rename is durable; some filesystems cannot sync a directory
		d.Close()
	}
	return nil
}
