package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/spf13/cobra"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
	"github.com/gameday-tui/gameday/tui"
)

type consoleFlags struct {
	scenarios []string
	fragile   bool
	dryRun    bool
}

// addConsoleFlags adds the console's flags to the root command.
func addConsoleFlags(cmd *cobra.Command, f *consoleFlags) {
	cmd.Flags().StringArrayVar(&f.scenarios, "scenarios", nil, "also look for scenarios in `DIR` (repeatable)")
	cmd.Flags().BoolVar(&f.fragile, "fragile", false, "start the sandbox without its resilience patterns")
	cmd.Flags().BoolVar(&f.dryRun, "dry-run", false, "run the phases and show every call a fault would make, injecting nothing")
}

// runConsole opens the interactive console: it attaches to or starts the
// sandbox, then hands the picker every scenario it can find.
func runConsole(ctx context.Context, stdout, stderr io.Writer, f consoleFlags) error {
	plans, planErrs := scenarios.Discover(scenarios.SearchDirs(f.scenarios), scenarioOptions())
	if len(plans) == 0 {
		return invalid(errors.Join(append([]error{errors.New("no valid scenario found")}, planErrs...)...))
	}
	fmt.Fprintln(stderr, "gameday: starting the sandbox…")
	// The target outlives Ctrl+C (the console turns it into an abort); it
	// is closed when the console has quit and the run rolled back.
	t, err := openTarget(context.WithoutCancel(ctx), f.fragile, func(string, ...any) {})
	if err != nil {
		return err
	}
	defer t.Close()

	var mu sync.Mutex
	var sessions []*session
	unfinished, recoverFn := consoleRecovery(t)
	cfg := tui.Config{
		Plans:      plans,
		PlanErrors: planErrs,
		Unfinished: unfinished,
		Recover:    recoverFn,
		DryRun:     f.dryRun,
		Preview: func(ctx context.Context, p *scenarios.Plan) ([]tui.FaultPreview, error) {
			return previewFaults(ctx, t, p, f.dryRun)
		},
		// The console asks for a production target's name before it calls
		// Start (and not in a dry run); startSession refuses a blast radius
		// out of the plan's bounds, which the console shows as an error.
		Start: func(ctx context.Context, p *scenarios.Plan) (tui.Run, error) {
			// The run must not end with the command that started it.
			s, err := startSession(context.WithoutCancel(ctx), t, p, sessionOptions{DryRun: f.dryRun})
			if err != nil {
				return nil, err
			}
			mu.Lock()
			sessions = append(sessions, s)
			mu.Unlock()
			return s, nil
		},
	}
	prog := tea.NewProgram(tui.New(cfg), tea.WithAltScreen(), tea.WithContext(context.WithoutCancel(ctx)))
	// SIGTERM and SIGHUP (a closed terminal during a screen share) end the
	// program; the loop below rolls back before exit.
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
	for _, s := range sessions {
		select {
		case <-s.Done():
		default:
			fmt.Fprintln(stderr, "gameday: rolling back the run before exit…")
			s.Abort("console closed")
			select {
			case <-s.Done():
			case <-time.After(2 * time.Minute):
				printMaybeInjected(stderr, s.Snapshot(), s.JournalPath())
			}
		}
		s.Close()
		out := s.Outcome()
		if _, err := s.SaveReport(); err != nil {
			fmt.Fprintf(stderr, "gameday: write the report: %v\n", err)
		}
		fmt.Fprintf(stdout, "%s: %s — %s\n  journal: %s\n  report:  %s\n", s.Snapshot().Plan.Title, out.Verdict, out.Reason, s.JournalPath(), s.ReportPath())
	}
	if runErr != nil && !errors.Is(runErr, tea.ErrProgramKilled) {
		return fmt.Errorf("console: %w", runErr)
	}
	return nil
}

// previewSummary says what a fault will do, e.g. "will stop 1 of 4
// replicas: replica-3".
func previewSummary(f providers.Fault, targets []providers.Target, replicas int) string {
	names := make([]string, len(targets))
	for i, t := range targets {
		names[i] = t.Name
	}
	list := strings.Join(names, ", ")
	of := fmt.Sprintf("%d of %d replicas: %s", len(targets), replicas, list)
	if len(targets) == 0 {
		return "matches nothing right now"
	}
	switch f.Kind {
	case providers.InstanceStop:
		if f.Params.Mode == "pause" {
			return "will pause " + of
		}
		return "will stop " + of
	case providers.Latency:
		return fmt.Sprintf("will delay %s by %s", of, f.Params.Delay)
	case providers.CPUStress:
		return "will burn CPU in " + of
	case providers.MemoryStress:
		return fmt.Sprintf("will hold %d MB in %s", f.Params.MemoryMB, of)
	case providers.DBFailure:
		return "will stop the database: " + list
	case providers.DependencyOutage:
		if f.Params.Mode == "error" {
			return "will make the dependency fail: " + list
		}
		return "will blackhole the dependency: " + list
	}
	return "will hit " + list
}
