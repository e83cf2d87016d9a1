package app

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"golang.org/x/term"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/scenarios"
	"github.com/gameday-tui/gameday/share"
	"github.com/gameday-tui/gameday/tui"
)

// The console's walk of a game day: `gameday day DAY` without --headless
// opens the console on the day screen (tui/day.go). consoleDay is the
// tui.Day it walks: the day's index, written by an engine.DayJournal as
// the headless day writes it, and each experiment's session, started as
// the console starts a picked scenario's (startSession) over connections
// shared for the whole day (registry.sharing). The day report is rendered
// from the index and the journals alone, so `gameday report INDEX` writes
// the same bytes.

// consoleDay is a game day the console walks. It is safe for concurrent
// use: the console calls it from its commands.
type consoleDay struct {
	// Set when the day opens, then only read.
	indexPath  string
	reportPath string
	junit      string
	reports    reportSettings
	plans      []*scenarios.Plan
	by         string
	confirmed  []bool
	// start starts the session of plan writing the journal at journal.
	start func(ctx context.Context, plan *scenarios.Plan, journal string) (*session, error)

	mu      sync.Mutex
	idx     *os.File // open (and locked) until the day ends
	dj      *engine.DayJournal
	results []tui.DayResult
	// codes are each experiment's exit code, as the headless day counts
	// them; -1 for one that has not had its turn.
	codes   []int
	runs    []*dayRun
	version int
	report  string // the day report's path, once End wrote it
	closing bool   // the console has closed: nothing starts any more
	// starting counts the starts under way, which close waits for: a run
	// started as the console closes is rolled back like any other.
	starting sync.WaitGroup
}

var _ tui.Day = (*consoleDay)(nil)

// dayRun is an experiment's session as the console watches it: Done is
// closed once the day has recorded the run's end (its journal closed, its
// report written), so that the day screen the console goes back to shows
// it over.
type dayRun struct {
	*session
	done chan struct{}
	once sync.Once
}

func (r *dayRun) Done() <-chan struct{} { return r.done }

// dayConsoleOptions are what a console's day needs from the command line.
type dayConsoleOptions struct {
	dir     string // the index's directory, "" for the state directory
	report  string // the day report's path, "" for beside the index
	junit   string // the day's JUnit, "" for none
	lang    engine.Lang
	confirm []string
	by      string // who ticks the checklist, "" for the day's facilitator
	start   func(ctx context.Context, plan *scenarios.Plan, journal string) (*session, error)
}

// openConsoleDay creates the index of day (whose experiments run plans)
// and returns the day, ready to walk.
func openConsoleDay(day *scenarios.Day, plans []*scenarios.Plan, o dayConsoleOptions) (*consoleDay, error) {
	indexPath, idx, err := createDayIndex(o.dir, day.Localized(string(o.lang)).Title)
	if err != nil {
		return nil, err
	}
	dj, err := engine.NewDayJournal(idx, day, plans, buildVersion(), nil)
	if err != nil {
		idx.Close()
		return nil, err
	}
	d := &consoleDay{
		indexPath:  indexPath,
		reportPath: o.report,
		junit:      o.junit,
		reports:    localReports(o.lang),
		plans:      plans,
		by:         o.by,
		confirmed:  make([]bool, len(plans)),
		start:      o.start,
		idx:        idx,
		dj:         dj,
		results:    make([]tui.DayResult, len(plans)),
		codes:      make([]int, len(plans)),
		runs:       make([]*dayRun, len(plans)),
	}
	if d.reportPath == "" {
		d.reportPath = defaultDayReport(indexPath)
	}
	if d.by == "" {
		d.by = facilitator(day)
	}
	for i, p := range plans {
		d.codes[i] = -1
		// Confirmed on the command line: the console asks nothing.
		d.confirmed[i] = p.Target.Production() && engine.ConfirmProduction(p.Target, confirmFor(p, o.confirm), "--confirm") == nil
	}
	return d, nil
}

// facilitator is who ticks a day's checklist on the console: its
// facilitator, else the user at the terminal.
func facilitator(day *scenarios.Day) string {
	for _, p := range day.Participants {
		if strings.EqualFold(strings.TrimSpace(p.Role), "facilitator") && strings.TrimSpace(p.Name) != "" {
			return strings.TrimSpace(p.Name)
		}
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return cmp.Or(os.Getenv("USER"), "the facilitator")
}

// Status says where the day stands: its index replayed, with what each
// run's end showed.
func (d *consoleDay) Status() tui.DayStatus {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.statusLocked()
}

func (d *consoleDay) statusLocked() tui.DayStatus {
	// The journal's state shares its slices with the journal, which
	// writes them in place: copied, so that the console reads its own.
	st := d.dj.State()
	st.Checks = slices.Clone(st.Checks)
	st.Experiments = slices.Clone(st.Experiments)
	st.Notes = slices.Clone(st.Notes)
	return tui.DayStatus{DayState: st, Results: slices.Clone(d.results), By: d.by, Confirmed: slices.Clone(d.confirmed), Report: d.report, Version: d.version}
}

// changed counts a change of the day, when there was one.
func (d *consoleDay) changed(err error) error {
	if err == nil {
		d.version++
	}
	return err
}

// Tick ticks a checklist item in the index, by the day's facilitator.
func (d *consoleDay) Tick(item int) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.changed(d.dj.Tick(item, d.by))
}

// Note journals a note taken between experiments.
func (d *consoleDay) Note(text string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.changed(d.dj.Note(text))
}

// Skip records that the facilitator chose not to run experiment i: the
// day's report says who skipped it, and it gives the day no result of its
// own (a day of held experiments and a skipped one exits 0).
func (d *consoleDay) Skip(i int) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if n := d.statusLocked().Stopped(); n >= 0 {
		return fmt.Errorf("skip experiment %d: the day stops after experiment %d, whose rollback was not confirmed", i+1, n+1)
	}
	if err := d.changed(d.dj.Skip(i, d.by)); err != nil {
		return err
	}
	d.codes[i] = ExitOK
	return nil
}

// Start journals that experiment i starts and starts its session. A
// session refused at start (its blast radius, its target, a system that
// cannot be reached) is journaled as refused, as the headless day does.
func (d *consoleDay) Start(ctx context.Context, i int) (tui.Run, error) {
	d.mu.Lock()
	if d.closing {
		d.mu.Unlock()
		return nil, errors.New("the console is closing")
	}
	if n := d.statusLocked().Stopped(); n >= 0 {
		d.mu.Unlock()
		return nil, fmt.Errorf("experiment %d does not start: the rollback of experiment %d was not confirmed", i+1, n+1)
	}
	if i < 0 || i >= len(d.plans) {
		d.mu.Unlock()
		return nil, fmt.Errorf("start experiment %d: the day has %d", i+1, len(d.plans))
	}
	plan := d.plans[i]
	journal := filepath.Join(filepath.Dir(d.indexPath), journalName(plan.Localized(string(d.reports.lang)).Title, time.Now()))
	if err := d.changed(d.dj.Start(i, filepath.Base(journal))); err != nil {
		d.mu.Unlock()
		return nil, err
	}
	d.starting.Add(1)
	d.mu.Unlock()
	defer d.starting.Done()

	s, err := d.start(ctx, plan, journal)
	d.mu.Lock()
	defer d.mu.Unlock()
	if err != nil {
		d.codes[i] = codeOf(err)
		if rerr := d.changed(d.dj.Refuse(i, err.Error())); rerr != nil {
			return nil, errors.Join(err, rerr)
		}
		return nil, err
	}
	r := &dayRun{session: s, done: make(chan struct{})}
	d.runs[i] = r
	go func() {
		<-s.Done()
		d.finish(i, r)
	}()
	return r, nil
}

// finish records the end of experiment i's run: its journal closed, its
// own report written beside it (as the headless day writes it, so that
// the day report links its charts), how it ended, and its end in the
// index. Called once the run is over — or, when the console exits without
// waiting for its rollback, before: then what may still be in place is
// the day's stop.
func (d *consoleDay) finish(i int, r *dayRun) {
	r.once.Do(func() {
		defer close(r.done)
		s := r.session
		over := !s.live()
		var warn []error
		if err := s.JournalErr(); err != nil {
			warn = append(warn, fmt.Errorf("the journal could not be written in full: %w", err))
		}
		if err := s.Close(); err != nil {
			warn = append(warn, fmt.Errorf("close the journal: %w", err))
		}
		if _, err := s.SaveReport(); err != nil {
			warn = append(warn, fmt.Errorf("write the report: %w", err))
		}
		for _, err := range warn {
			debugf("experiment %d: %v", i+1, err)
		}
		snap := s.Snapshot()
		var manual []string
		for _, f := range snap.Faults {
			if f.State == engine.FaultRollbackFailed || f.State.MayBeActive() {
				manual = append(manual, cmp.Or(f.Manual, "gameday recover "+shellQuote([]string{s.JournalPath()})))
			}
		}
		code := ExitAborted // cut short, with nothing left in place
		switch {
		case len(manual) > 0:
			code = ExitRollbackFailed
		case over:
			code = exitCode(s.Outcome())
		}
		var out *engine.Outcome
		if over {
			o := s.Outcome()
			out = &o
		}
		d.mu.Lock()
		defer d.mu.Unlock()
		d.results[i] = tui.DayResult{Outcome: out, Manual: manual}
		d.codes[i] = code
		if err := d.changed(d.dj.Finish(i)); err != nil {
			debugf("experiment %d: %v", i+1, err)
		}
	})
}

// End ends the day — why is the status's EndReason — and writes its
// report (and JUnit, if asked for) from the index and the journals. The
// index is closed then, its lock released: `gameday report INDEX` reads a
// day that is over, and writes the same bytes.
func (d *consoleDay) End() (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	st := d.statusLocked()
	if st.Running >= 0 {
		return "", fmt.Errorf("end the day: experiment %d is still running", st.Running+1)
	}
	if st.End == nil {
		if err := d.changed(d.dj.End(st.EndReason())); err != nil {
			return "", err
		}
	}
	if d.idx != nil {
		if err := d.idx.Close(); err != nil {
			return "", fmt.Errorf("close the day's index: %w", err)
		}
		d.idx = nil
	}
	if err := writeDayReportFile(d.reportPath, d.indexPath, d.reports, false); err != nil {
		return "", fmt.Errorf("write the day report: %w", err)
	}
	if d.junit != "" {
		if err := writeDayJUnitFile(d.junit, d.indexPath, d.reports); err != nil {
			return "", err
		}
	}
	d.report = d.reportPath
	d.version++
	return d.report, nil
}

// live reports whether the day goes on.
func (d *consoleDay) live() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.dj.State().End == nil
}

// Report renders the day report from the index and the journals so far,
// IN PROGRESS while the day goes on.
func (d *consoleDay) Report() (string, error) {
	var b bytes.Buffer
	if err := renderDayReport(&b, d.indexPath, d.reportPath, d.reports, d.live()); err != nil {
		return "", err
	}
	return b.String(), nil
}

// SaveReport writes the day report where End writes it.
func (d *consoleDay) SaveReport() (string, error) {
	if err := writeDayReportFile(d.reportPath, d.indexPath, d.reports, d.live()); err != nil {
		return "", err
	}
	return d.reportPath, nil
}

// close ends a day the console has left. A run still going is aborted
// and rolled back before exit, as the console does for a picked
// scenario's, and its end recorded; a day not ended is ended —
// interrupted, unless every experiment had its turn or a rollback not
// confirmed stopped it — and its report written. It says on stdout what
// the day did, and returns its exit code: the highest of its
// experiments', at least 2 for a day interrupted.
func (d *consoleDay) close(stdout, stderr io.Writer) int {
	d.mu.Lock()
	d.closing = true
	d.mu.Unlock()
	d.starting.Wait()
	d.mu.Lock()
	runs := slices.Clone(d.runs)
	d.mu.Unlock()
	for i, r := range runs {
		if r == nil {
			continue
		}
		select {
		case <-r.done:
			continue
		case <-r.session.Done():
		default:
			fmt.Fprintln(stderr, "gameday: rolling back the run before exit…")
			r.session.AbortNow("console closed")
			if !waitForRollback(stderr, r.session) {
				d.finish(i, r)
			}
		}
		<-r.done
	}

	st := d.Status()
	code := ExitOK
	if st.End == nil || st.Report == "" {
		if _, err := d.End(); err != nil {
			fmt.Fprintf(stderr, "gameday: %v\n", err)
			code = ExitInvalid
		}
		st = d.Status()
	}
	title := func(i int) string { return engine.Redact(d.plans[i].Localized(string(d.reports.lang)).Title) }
	fmt.Fprintf(stdout, "index %s\n", d.indexPath)
	if st.Report != "" {
		fmt.Fprintf(stdout, "day report: %s\n", st.Report)
	}
	if d.junit != "" && st.Report != "" {
		fmt.Fprintf(stdout, "junit: %s\n", d.junit)
	}
	d.mu.Lock()
	codes := slices.Clone(d.codes)
	d.mu.Unlock()
	notRun := 0
	for i, c := range codes {
		switch {
		case c < 0:
			notRun++
			continue
		case st.Experiments[i].State == engine.ExperimentSkipped:
			fmt.Fprintf(stdout, "  %d. %s: skipped by %s\n", i+1, title(i), engine.Redact(st.Experiments[i].Reason))
		default:
			fmt.Fprintf(stdout, "  %d. %s: %s\n", i+1, title(i), codeWord(c))
		}
		code = max(code, c)
	}
	if notRun > 0 {
		fmt.Fprintf(stdout, "  %d experiment(s) not run\n", notRun)
	}
	why := "the highest of its experiments'"
	if st.End != nil {
		switch st.End.Stopped {
		case engine.DayStopInterrupted:
			if code < ExitAborted {
				code, why = ExitAborted, "the day was interrupted"
			}
			fmt.Fprintln(stdout, "  the day was ended early (interrupted)")
		case engine.DayStopRollback:
			fmt.Fprintf(stdout, "  the day stopped after experiment %d: its rollback was not confirmed\n", st.End.After+1)
		}
	}
	fmt.Fprintf(stdout, "day: exit %d (%s)\n", code, why)
	return code
}

// dayStarter starts an experiment's session as the console starts a
// picked scenario's, over the day's shared connections, writing the
// journal the day named.
func dayStarter(shared *registry, co connectOptions, lang engine.Lang, srv *share.Server) func(context.Context, *scenarios.Plan, string) (*session, error) {
	return func(ctx context.Context, plan *scenarios.Plan, journal string) (*session, error) {
		// The run must not end with the command that started it.
		t, err := shared.open(context.WithoutCancel(ctx), plan, co)
		if err != nil {
			return nil, err
		}
		return startSession(context.WithoutCancel(ctx), t, plan, sessionOptions{JournalPath: journal, Lang: lang, Registry: shared, Connect: co, Share: srv})
	}
}

// runDayConsole walks the day arg names on the console: gameday day DAY.
func runDayConsole(ctx context.Context, stdout, stderr io.Writer, arg string, f dayFlags) error {
	switch {
	case f.checklistDone:
		return invalid(errors.New("--checklist-done is for --headless: the console ticks the checklist item by item"))
	case f.stopOnViolation:
		return invalid(errors.New("--stop-on-violation is for --headless: on the console the facilitator decides after each experiment"))
	case f.verbose:
		return invalid(errors.New("--verbose is for --headless: the console keeps the screen (gameday --log FILE keeps the system's log)"))
	}
	// Without a terminal (CI, a pipe, cron) the console starts nothing.
	if !term.IsTerminal(int(os.Stdin.Fd())) || !isTerminal(stdout) {
		return invalid(errors.New("the console needs a terminal; to run the day without one: gameday day DAY --headless --checklist-done"))
	}
	reg := f.reg
	if reg == nil {
		reg = defaultRegistry()
	}
	lang, day, plans, err := loadDay(arg, f, reg)
	if err != nil {
		return err
	}
	if notice := unfinishedNotice(); notice != "" {
		fmt.Fprintln(stderr, notice)
	}
	co := connectOptions{logf: debugf, systemLog: debugf, fragile: f.fragile, aws: f.aws, kube: f.kube}
	// One connection per system for the whole day, as headless: a sandbox
	// started for the day serves every experiment. They outlive ctrl+c
	// (the console turns it into an abort) and close when the day has.
	shared, closeShared := reg.sharing(context.WithoutCancel(ctx))
	defer func() {
		if err := closeShared(); err != nil {
			fmt.Fprintf(stderr, "gameday: close the day's connections: %v\n", err)
		}
	}()
	eager := map[string]bool{}
	for _, p := range plans {
		if b, err := reg.backend(p.Target.Provider); err == nil && b.eager && !eager[p.Target.Provider] {
			eager[p.Target.Provider] = true
			fmt.Fprintf(stderr, "gameday: connecting to the %s…\n", p.Target.Provider)
			if _, err := shared.open(context.WithoutCancel(ctx), p, co); err != nil {
				return err
			}
		}
	}
	// Team mode: watchers follow each experiment's run, as on the
	// console; the server outlives the runs and closes after the last
	// rollback (the deferred closes run in reverse).
	var srv *share.Server
	var team *tui.Team
	if f.share != "" {
		srv, err = listenShare(f.share, debugf)
		if err != nil {
			return err
		}
		defer srv.Close("the facilitator's console closed")
		team = &tui.Team{Watch: srv.WatchLine(), Scribe: srv.ScribeLine()}
	}
	d, err := openConsoleDay(day, plans, dayConsoleOptions{
		dir: f.out, report: f.report, junit: f.junit, lang: lang, confirm: f.confirm,
		start: dayStarter(shared, co, lang, srv),
	})
	if err != nil {
		return err
	}
	cfg := tui.Config{
		Day:  d,
		Lang: lang,
		Team: team,
		Preview: func(ctx context.Context, p *scenarios.Plan) ([]tui.FaultPreview, error) {
			t, err := shared.open(context.WithoutCancel(ctx), p, co)
			if err != nil {
				return nil, err
			}
			return previewFaults(ctx, t, p, false)
		},
	}
	// SIGTERM and SIGHUP end the program (ctx, below); close rolls back
	// before exit. bubbletea's own handler is left out: on SIGTERM it and
	// prog.Quit would both send a quit, and the one the ended program
	// never reads would hold its shutdown, and the rollback, for ever.
	prog := tea.NewProgram(tui.New(cfg), tea.WithAltScreen(), tea.WithContext(context.WithoutCancel(ctx)), tea.WithoutSignalHandler())
	stopWatch := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			prog.Quit()
		case <-stopWatch:
		}
	}()
	_, runErr := prog.Run()
	close(stopWatch)
	code := d.close(stdout, stderr)
	if runErr != nil && !errors.Is(runErr, tea.ErrProgramKilled) {
		return withCode(max(code, ExitAborted), fmt.Errorf("console: %w", runErr))
	}
	if code != ExitOK {
		return withCode(code, errors.New(""))
	}
	return nil
}
