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
	"strings"
	"sync"
	"time"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/providers/loadgen"
	"github.com/gameday-tui/gameday/providers/sandbox"
	"github.com/gameday-tui/gameday/scenarios"
)

// target is the system a run acts on: for now the sandbox, attached to a
// running `gameday sandbox` or started for this process alone.
type target struct {
	client *sandbox.Client
	own    *sandbox.Sandbox // nil when attached
	state  sandbox.State
}

// openTarget attaches to a running sandbox or starts one. fragile asks for a
// sandbox without its resilience patterns; it is an error to ask for it
// while attaching to a sandbox that was started otherwise.
func openTarget(ctx context.Context, fragile bool, logf func(string, ...any)) (*target, error) {
	client, st, err := sandbox.Discover(ctx)
	switch {
	case err == nil:
		if fragile && !st.Fragile {
			return nil, invalid(fmt.Errorf("--fragile: the running sandbox (pid %d) is resilient; stop it or start it with `gameday sandbox --fragile`", st.PID))
		}
		logf("attached to the running sandbox (pid %d, load balancer %s)", st.PID, st.LB)
		return &target{client: client, state: st}, nil
	case errors.Is(err, sandbox.ErrNoSandbox):
	default:
		return nil, fmt.Errorf("look for a running sandbox: %w", err)
	}
	sb, err := sandbox.Start(ctx, sandbox.Options{Fragile: fragile, Logf: logf})
	if err != nil {
		return nil, fmt.Errorf("start the sandbox: %w", err)
	}
	logf("started a sandbox for this run (load balancer %s)", sb.URL())
	return &target{client: sb.Client(), own: sb, state: sb.State()}, nil
}

// Close stops the sandbox if this process started it.
func (t *target) Close() error {
	if t.own != nil {
		return t.own.Close()
	}
	return nil
}

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
	return filepath.Join(dir, now.UTC().Format("20060102T150405Z")+"-"+slug(engine.Redact(plan.Title))+".jsonl"), nil
}

// session is one run with everything it needs: the engine run, its load,
// its journal. It implements tui.Run.
type session struct {
	run         *engine.Run
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
	TTLMargin   time.Duration // 0: engine.TTLMargin
}

// startSession starts the load and the engine for plan against t. It
// first resolves the blast radius (engine.Preflight) and refuses, with
// nothing written, a run whose selection matches nothing or is beyond the
// plan's cap. It does not ask for a production target's confirmation: its
// callers do (--confirm, or the console's prompt).
func startSession(ctx context.Context, t *target, plan *scenarios.Plan, o sessionOptions) (*session, error) {
	if plan.Load == nil {
		return nil, invalid(fmt.Errorf("%s: the sandbox needs built-in load: add `load: { rate: N }`", plan.Path))
	}
	blast, err := preflight(ctx, t, plan)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	if o.JournalPath == "" {
		p, err := defaultJournalPath(plan, now)
		if err != nil {
			return nil, err
		}
		o.JournalPath = p
	}
	if o.ReportPath == "" {
		o.ReportPath = strings.TrimSuffix(o.JournalPath, filepath.Ext(o.JournalPath)) + ".md"
	}
	if err := os.MkdirAll(filepath.Dir(o.JournalPath), 0o755); err != nil {
		return nil, fmt.Errorf("create the journal directory: %w", err)
	}
	jf, err := os.OpenFile(o.JournalPath, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create the journal: %w", err)
	}
	// Held while the run lives (and released if it is killed), so that
	// recover and the notice at start leave a live run's journal alone.
	_, _ = lockJournal(jf, true)

	url := t.state.LB + plan.Load.Path
	if plan.Load.Path == "" {
		url = t.client.LoadURL()
	}
	gen, err := loadgen.New(loadgen.Config{URL: url, Rate: plan.Load.Rate, Timeout: plan.Load.Timeout})
	if err != nil {
		jf.Close()
		os.Remove(o.JournalPath)
		return nil, invalid(fmt.Errorf("%s: load: %w", plan.Path, err))
	}
	var prov providers.Provider = t.client
	run, err := engine.New(engine.Options{
		Plan:      plan,
		Provider:  prov,
		Metrics:   loadgen.NewSource(gen, t.client),
		Journal:   jf,
		Env:       engine.Environment{Provider: prov.Name(), Version: Version, DryRun: o.DryRun, Targets: blast.Targets()},
		DryRun:    o.DryRun,
		TTLMargin: o.TTLMargin,
	})
	if err != nil {
		jf.Close()
		os.Remove(o.JournalPath)
		return nil, invalid(err)
	}
	loadCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &session{run: run, gen: gen, journal: jf, journalPath: o.JournalPath, reportPath: o.ReportPath, blast: blast, cancelLoad: cancel, loadDone: make(chan struct{})}
	go func() {
		defer close(s.loadDone)
		gen.Run(loadCtx)
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
	})
}

// Events, Snapshot, Inject, Abort, Note and Done pass through to the run.
func (s *session) Events() <-chan engine.Record { return s.run.Events() }
func (s *session) Snapshot() engine.Snapshot    { return s.run.Snapshot() }
func (s *session) Inject(faultID string) error  { return s.run.Inject(faultID) }
func (s *session) Abort(reason string)          { s.run.Abort(reason) }
func (s *session) Note(text string) error       { return s.run.Note(text) }
func (s *session) Done() <-chan struct{}        { return s.run.Done() }
func (s *session) Outcome() engine.Outcome      { return s.run.Outcome() }
func (s *session) JournalPath() string          { return s.journalPath }

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

// renderReport renders the report of the journal at path to w.
func renderReport(w io.Writer, journalPath string) error {
	f, err := os.Open(journalPath)
	if err != nil {
		return fmt.Errorf("open the journal: %w", err)
	}
	defer f.Close()
	recs, err := engine.ReadJournal(f)
	if err != nil {
		return fmt.Errorf("read the journal %s: %w", journalPath, err)
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

func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
