package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/term"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/spf13/cobra"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/scenarios"
	"github.com/gameday-tui/gameday/share"
	"github.com/gameday-tui/gameday/tui"
)

type consoleFlags struct {
	scenarios []string
	fragile   bool
	dryRun    bool
	lang      string
	reportDir string
	share     string
	ssh       sshFlags
	aws       awsFlags
	kube      kubeFlags
}

// addConsoleFlags adds the console's flags to the root command.
func addConsoleFlags(cmd *cobra.Command, f *consoleFlags) {
	cmd.Flags().StringArrayVar(&f.scenarios, "scenarios", nil, "also look for scenarios in `DIR` (repeatable)")
	cmd.Flags().BoolVar(&f.fragile, "fragile", false, "start the sandbox without its resilience patterns")
	cmd.Flags().BoolVar(&f.dryRun, "dry-run", false, "run the phases and show every call a fault would make, injecting nothing")
	cmd.Flags().StringVar(&f.reportDir, "report-dir", "", "write reports into `DIR` (default: beside the journal)")
	cmd.Flags().StringVar(&f.lang, "lang", "en", "the console's labels and its saved reports in `LANG`: en (English) or ja (Japanese)")
	addShareFlag(cmd.Flags(), &f.share)
	addSSHFlags(cmd.Flags(), &f.ssh)
	addAWSFlags(cmd.Flags(), &f.aws)
	addKubeFlags(cmd.Flags(), &f.kube)
}

// runConsole opens the interactive console: it attaches to or starts the
// sandbox, then hands the picker every scenario it can find.
func runConsole(ctx context.Context, stdout, stderr io.Writer, f consoleFlags) error {
	// Without a terminal (CI, a pipe, cron) the console starts nothing.
	if !term.IsTerminal(int(os.Stdin.Fd())) || !isTerminal(stdout) {
		return invalid(errors.New("the console needs a terminal; to run a scenario without one: gameday run SCENARIO --headless (see gameday list)"))
	}
	lang, err := engine.ParseLang(f.lang)
	if err != nil {
		return invalid(fmt.Errorf("--lang: %w", err))
	}
	plans, planErrs := scenarios.Discover(scenarios.SearchDirs(f.scenarios), scenarioOptions())
	if len(plans) == 0 {
		return invalid(errors.Join(append([]error{errors.New("no valid scenario found")}, planErrs...)...))
	}
	reg := defaultRegistry()
	co := connectOptions{logf: debugf, systemLog: debugf, fragile: f.fragile, aws: f.aws, kube: f.kube}
	// Connections outlive Ctrl+C (the console turns it into an abort);
	// they are closed when the console has quit and the run rolled back.
	// Local systems (the sandbox) are connected to, or started, at once;
	// the others when a plan of theirs is first shown.
	systems := newConns(reg, co)
	defer systems.Close()
	started := map[string]bool{}
	for _, p := range plans {
		if b, err := reg.backend(p.Target.Provider); err == nil && b.eager && !started[p.Target.Provider] {
			started[p.Target.Provider] = true
			fmt.Fprintf(stderr, "gameday: connecting to the %s…\n", p.Target.Provider)
			if _, err := systems.get(context.WithoutCancel(ctx), p); err != nil {
				return err
			}
		}
	}

	// Team mode: watchers follow each run the console starts; the
	// server outlives the runs and closes after the last rollback.
	var srv *share.Server
	var team *tui.Team
	if f.ssh.addr != "" && f.share == "" {
		f.share = share.DefaultAddr // the SSH sessions watch the share
	}
	if f.share != "" {
		// Its log goes to --log (the screen is the console's); a watcher
		// that is dropped is told so itself.
		srv, err = listenShare(f.share, debugf)
		if err != nil {
			return err
		}
		team = &tui.Team{Watch: srv.WatchLine(), Scribe: srv.ScribeLine()}
		if f.ssh.addr != "" {
			warn := func(format string, a ...any) { fmt.Fprintf(stderr, "gameday: "+format+"\n", a...) }
			ss, err := listenSSH(f.ssh, srv, warn, debugf)
			if err != nil {
				srv.Close("the facilitator's console closed")
				return err
			}
			defer ss.Close() // after the share: its sessions see the end first
			team.SSH = ss.Line()
		}
		defer srv.Close("the facilitator's console closed")
	}

	var mu sync.Mutex
	var sessions []*session
	unfinished, recoverFn := consoleRecovery(reg, co)
	cfg := tui.Config{
		Plans:      plans,
		PlanErrors: planErrs,
		Unfinished: unfinished,
		Recover:    recoverFn,
		LastRun:    lastRuns(lang, time.Now),
		DryRun:     f.dryRun,
		Lang:       lang,
		Team:       team,
		Preview: func(ctx context.Context, p *scenarios.Plan) ([]tui.FaultPreview, error) {
			t, err := systems.get(context.WithoutCancel(ctx), p)
			if err != nil {
				return nil, err
			}
			return previewFaults(ctx, t, p, f.dryRun)
		},
		// The console asks for a production target's name before it calls
		// Start (and not in a dry run); startSession refuses a blast radius
		// out of the plan's bounds, which the console shows as an error.
		Start: func(ctx context.Context, p *scenarios.Plan) (tui.Run, error) {
			// The run must not end with the command that started it.
			t, err := systems.get(context.WithoutCancel(ctx), p)
			if err != nil {
				return nil, err
			}
			s, err := startSession(context.WithoutCancel(ctx), t, p, sessionOptions{DryRun: f.dryRun, Lang: lang, ReportDir: f.reportDir, Registry: reg, Connect: co, Share: srv})
			if err != nil {
				return nil, err
			}
			mu.Lock()
			sessions = append(sessions, s)
			mu.Unlock()
			return s, nil
		},
	}
	// SIGTERM and SIGHUP (a closed terminal during a screen share) end the
	// program (ctx, below); the loop below rolls back before exit.
	// bubbletea's own handler is left out: on SIGTERM it and prog.Quit
	// would both send a quit, and the one the ended program never reads
	// would hold its shutdown, and the rollback, for ever.
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

	// Whatever happened to the screen, no fault outlives the console.
	mu.Lock()
	defer mu.Unlock()
	unconfirmed := closeSessions(stdout, stderr, sessions)
	if runErr != nil && !errors.Is(runErr, tea.ErrProgramKilled) {
		code := ExitInvalid
		if unconfirmed {
			code = ExitRollbackFailed
		}
		return withCode(code, fmt.Errorf("console: %w", runErr))
	}
	if unconfirmed {
		return withCode(ExitRollbackFailed, errors.New("a rollback was not confirmed: the lines above name the command that finishes it"))
	}
	return nil
}

// closeSessions rolls back every run the console started that is still
// going, closes their journals, writes their reports and prints how each
// ended, with the command that finishes a rollback that failed. It
// reports whether any rollback was not confirmed (the console then exits
// 4, as every command does).
func closeSessions(stdout, stderr io.Writer, sessions []*session) (unconfirmed bool) {
	for _, s := range sessions {
		select {
		case <-s.Done():
		default:
			fmt.Fprintln(stderr, "gameday: rolling back the run before exit…")
			s.AbortNow("console closed")
			if !waitForRollback(stderr, s) {
				unconfirmed = true
				continue
			}
		}
		if err := s.JournalErr(); err != nil {
			fmt.Fprintf(stderr, "gameday: the journal could not be written in full (%v); the report is rendered from what was written\n", err)
		}
		if err := s.Close(); err != nil {
			fmt.Fprintf(stderr, "gameday: close the journal: %v\n", err)
		}
		out := s.Outcome()
		unconfirmed = unconfirmed || out.Verdict == engine.VerdictRollbackFailed
		if _, err := s.SaveReport(); err != nil {
			fmt.Fprintf(stderr, "gameday: write the report: %v\n", err)
		}
		snap := s.Snapshot()
		fmt.Fprintf(stdout, "%s: %s — %s\n  journal: %s\n  report:  %s\n", snap.Plan.Title, out.Verdict, out.Reason, s.JournalPath(), s.ReportPath())
		for _, f := range snap.Faults {
			if f.Manual != "" {
				fmt.Fprintf(stdout, "  %s %s: MANUAL ACTION NEEDED: %s\n", f.Fault.ID, f.Fault.Kind, f.Manual)
			}
		}
	}
	return unconfirmed
}

// waitForRollback waits, after the console has closed, for s's rollback
// and verification to finish — as long as they take: the engine bounds
// each fault's rollback and verification by the provider's deadlines —
// saying every 10 s what is still in flight. A signal (Ctrl+C again) stops
// the wait: it prints what may still be in place and the recover command,
// and reports false.
func waitForRollback(stderr io.Writer, s *session) bool {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-s.Done():
			return true
		case <-tick.C:
			var busy []string
			for _, f := range s.Snapshot().Faults {
				if f.State.MayBeActive() {
					busy = append(busy, fmt.Sprintf("%s %s (%s)", f.Fault.ID, f.Fault.Kind, f.State))
				}
			}
			fmt.Fprintf(stderr, "gameday: still rolling back and verifying: %s (Ctrl+C again to exit now)\n", strings.Join(busy, ", "))
		case sig := <-sigs:
			fmt.Fprintf(stderr, "gameday: %s: exiting without waiting for the rollback\n", sig)
			printMaybeInjected(stderr, s.Snapshot(), s.JournalPath())
			return false
		}
	}
}
