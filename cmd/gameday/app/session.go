package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/providers/loadgen"
	"github.com/gameday-tui/gameday/scenarios"
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

var slugRE = regexp.MustCompile(`[^a-z0-9]+`)

// slug turns a plan title into a file-name part.
func slug(title string) string {
	s := strings.Trim(slugRE.ReplaceAllString(strings.ToLower(title), "-"), "-")
	if s == "" {
		s = "run"
	}
	if len(s) > 40 {
		s = strings.TrimRight(s[:40], "-")
	}
	return s
}

// defaultJournalPath names a new journal for plan started at now.
func defaultJournalPath(plan *scenarios.Plan, now time.Time) (string, error) {
	dir, err := journalDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, now.UTC().Format("20060102T150405.000Z")+"-"+slug(engine.Redact(plan.Title))+".jsonl"), nil
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
	blast       engine.Blast
	cancelLoad  context.CancelFunc
	loadDone    chan struct{}
	closeOnce   sync.Once
}

type sessionOptions struct {
	JournalPath string
	ReportPath  string
	DryRun      bool
	TTLMargin   time.Duration // 0: the provider's own, else engine.TTLMargin
	Registry    *registry     // for the plan's metrics source
	Connect     connectOptions
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
			url = c.loadBase + plan.Load.Path
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
			p, err := defaultJournalPath(plan, now)
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
	run, err := engine.New(engine.Options{
		Plan:        plan,
		Provider:    c.provider,
		Sources:     sources,
		Journal:     jf,
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
	loadCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	started = true
	s := &session{lease: ls, run: run, gen: gen, journal: jf, journalPath: o.JournalPath, reportPath: o.ReportPath, blast: blast, cancelLoad: cancel, loadDone: make(chan struct{})}
	go func() {
		defer close(s.loadDone)
		if gen != nil {
			_, _ = gen.Run(loadCtx)
		}
	}()
	run.Start(ctx)
	go func() {
		<-run.Done()
		s.stopLoad()
	}()
	return s, nil
}

func (s *session) stopLoad() {
	s.closeOnce.Do(func() {
		s.cancelLoad()
		<-s.loadDone
		s.lease.Release()
	})
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

// Blast is the blast radius resolved before the run started.
func (s *session) Blast() engine.Blast { return s.blast }
func (s *session) ReportPath() string  { return s.reportPath }

// Report renders the markdown report from the journal on disk, exactly as
// `gameday report` would.
func (s *session) Report() (string, error) {
	var b bytes.Buffer
	if err := renderReport(&b, s.journalPath); err != nil {
		return "", err
	}
	return b.String(), nil
}

// SaveReport writes the report next to the journal and returns its path.
func (s *session) SaveReport() (string, error) {
	if err := writeReportFile(s.reportPath, s.journalPath); err != nil {
		return "", err
	}
	return s.reportPath, nil
}

// Close waits for the load to stop and closes the journal.
func (s *session) Close() error {
	s.stopLoad()
	return s.journal.Close()
}

// renderReport renders the report of the journal at path to w. A torn
// last line (a crashed run, or a live one caught mid-write) is left out:
// the report covers every record before it.
func renderReport(w io.Writer, journalPath string) error {
	recs, _, err := readJournalFile(journalPath)
	if err != nil {
		return err
	}
	return engine.WriteReport(w, recs)
}

// writeReportFile renders the report of journalPath into path atomically.
func writeReportFile(path, journalPath string) error {
	var b bytes.Buffer
	if err := renderReport(&b, journalPath); err != nil {
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
