package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gameday-tui/gameday/providers/sandbox"
)

// runChild runs a re-executed sandbox child process when args name one.
func runChild(args []string) (int, bool) { return sandbox.RunChild(args) }

type sandboxOptions struct {
	replicas     int
	fragile      bool
	restartDelay time.Duration
	verbose      bool
}

func newSandboxCmd() *cobra.Command {
	var o sandboxOptions
	cmd := &cobra.Command{
		Use:     "sandbox",
		Example: "  gameday sandbox                    # in one terminal\n  gameday                            # in another: the console attaches to it\n  gameday sandbox status --json",
		Short:   "Run the embedded demo system on 127.0.0.1",
		Long: `Run the embedded sandbox: replicas of a small HTTP API behind a
health-checking load balancer, a supervisor that restarts dead replicas
after a delay, a database process and an external-dependency process, all
real processes on 127.0.0.1. It runs until Ctrl+C (or SIGTERM, SIGHUP),
then stops every process it started.

While it runs, its control address and token are in a state file (mode
0600) under $XDG_STATE_HOME/gameday (default ~/.local/state/gameday), so a
console or headless run in another terminal attaches to it.

  gameday sandbox status             show replicas, database, dependency, hooks
  gameday sandbox undo HOOK_ID...    roll fault hooks back by hand

Every fault hook also ends by itself at its TTL.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runSandbox(cmd, o) },
	}
	f := cmd.Flags()
	f.IntVar(&o.replicas, "replicas", sandbox.DefaultReplicas, "number of API replicas")
	f.BoolVar(&o.fragile, "fragile", false, "turn off timeouts, retries, circuit breaker and fallback in the replicas")
	f.DurationVar(&o.restartDelay, "restart-delay", sandbox.DefaultRestartDelay, "how long the supervisor waits before restarting a dead replica")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "log what the sandbox does on stderr")
	cmd.AddCommand(newSandboxStatusCmd(), newSandboxUndoCmd())
	return cmd
}

func runSandbox(cmd *cobra.Command, o sandboxOptions) error {
	if o.replicas < 1 || o.replicas > 64 {
		return invalid(fmt.Errorf("--replicas %d: want 1 to 64", o.replicas))
	}
	if o.restartDelay <= 0 {
		return invalid(fmt.Errorf("--restart-delay %s: want a positive duration", o.restartDelay))
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()

	if _, st, err := sandbox.Discover(ctx); err == nil {
		return invalid(fmt.Errorf("a sandbox is already running (pid %d, load balancer %s); use it, or stop it first", st.PID, st.LB))
	}
	path, err := sandbox.StatePath()
	if err != nil {
		return err
	}
	opts := sandbox.Options{Replicas: o.replicas, Fragile: o.fragile, RestartDelay: o.restartDelay}
	if o.verbose {
		opts.Logf = func(format string, args ...any) {
			fmt.Fprintf(stderr, "%s %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
		}
	}
	sb, err := sandbox.Start(ctx, opts)
	if err != nil {
		if ctx.Err() != nil {
			return withCode(ExitAborted, errors.New("interrupted while starting the sandbox"))
		}
		return err
	}
	defer sb.Close()
	st := sb.State()
	if err := sandbox.WriteState(st); err != nil {
		return err
	}
	defer removeOwnState(stderr, st.PID)

	mode := "resilient"
	if o.fragile {
		mode = "fragile"
	}
	fmt.Fprintf(stdout, "sandbox running (pid %d): %d %s replicas, restart delay %s\n", st.PID, o.replicas, mode, o.restartDelay)
	fmt.Fprintf(stdout, "  load balancer  %s   (metrics at %s/metrics)\n", sb.URL(), sb.URL())
	fmt.Fprintf(stdout, "  load URL       %s\n", sb.LoadURL())
	fmt.Fprintf(stdout, "  control API    %s   (token in the state file)\n", st.Control)
	fmt.Fprintf(stdout, "  state file     %s\n", path)
	fmt.Fprintln(stdout, "Press Ctrl+C to stop.")

	<-ctx.Done()
	fmt.Fprintln(stderr, "stopping the sandbox…")
	return nil
}

// removeOwnState removes the state file if it still describes the sandbox
// of process pid (another one may have replaced it).
func removeOwnState(w io.Writer, pid int) {
	st, err := sandbox.ReadState()
	if err != nil || st.PID != pid {
		return
	}
	if err := sandbox.RemoveState(); err != nil {
		fmt.Fprintln(w, "gameday:", err)
	}
}

func newSandboxStatusCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "status",
		Example: "  gameday sandbox status\n  gameday sandbox status --json",
		Short:   "Show the running sandbox: replicas, database, dependency and fault hooks",
		Args:    cobra.NoArgs,
		Hidden:  true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), 10*time.Second)
			defer cancel()
			c, _, err := sandbox.Discover(ctx)
			if err != nil {
				return invalid(fmt.Errorf("%w: start one with `gameday sandbox`", err))
			}
			st, err := c.Status(ctx)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			writeSandboxStatus(cmd.OutOrStdout(), st, time.Now())
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the status as JSON")
	return cmd
}

func writeSandboxStatus(w io.Writer, st sandbox.Status, now time.Time) {
	mode := "resilient"
	if st.Fragile {
		mode = "fragile"
	}
	fmt.Fprintf(w, "sandbox pid %d, %s, load balancer %s: running %d of %d\n\n", st.PID, mode, st.LB, st.Running, st.Configured)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PROCESS\tSTATE\tPID\tHEALTHY\tRESTARTS\tFAULTS")
	for _, r := range st.Replicas {
		var faults []string
		if r.Burners > 0 {
			faults = append(faults, fmt.Sprintf("cpu ×%d", r.Burners))
		}
		if r.HeldMB > 0 {
			faults = append(faults, fmt.Sprintf("memory %d MB", r.HeldMB))
		}
		if len(r.LatencyHooks) > 0 {
			faults = append(faults, "latency")
		}
		if r.Breaker == "open" || r.Breaker == "half-open" {
			faults = append(faults, "breaker "+r.Breaker)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", r.Name, r.State, pidText(r.PID), yesNo(r.Healthy), r.Restarts, dash(strings.Join(faults, ", ")))
	}
	fmt.Fprintf(tw, "%s\t%s\t%s\t\t%d\t\n", st.Database.Name, st.Database.State, pidText(st.Database.PID), st.Database.Restarts)
	fmt.Fprintf(tw, "%s\t%s\t%s\t\t%d\tmode %s\n", st.Dependency.Name, st.Dependency.State, pidText(st.Dependency.PID), st.Dependency.Restarts, st.Dependency.Mode)
	_ = tw.Flush()

	fmt.Fprintln(w)
	if len(st.Hooks) == 0 {
		fmt.Fprintln(w, "no fault hooks")
		return
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "HOOK\tKIND\tTARGETS\tSTATE\tENDS")
	for _, h := range st.Hooks {
		ends := h.EndedAt.Format(time.TimeOnly) + " (" + h.Note + ")"
		if h.State == sandbox.HookActive {
			ends = fmt.Sprintf("in %s", h.ExpiresAt.Sub(now).Round(time.Second))
		}
		if h.Error != "" {
			ends += "; error: " + h.Error
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", h.ID, h.Kind, strings.Join(h.Targets, ","), h.State, ends)
	}
	_ = tw.Flush()
}

func pidText(pid int) string {
	if pid == 0 {
		return "-"
	}
	return fmt.Sprint(pid)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func newSandboxUndoCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "undo HOOK_ID...",
		Example: "  gameday sandbox undo h-7f3a",
		Short:   "Roll sandbox fault hooks back by hand",
		Long: `Roll back fault hooks of the running sandbox, by hook ID (as the console
and the journal show them). Undoing a hook that already ended, or that the
sandbox does not know, succeeds. If no sandbox is running, its hooks ended
with it and there is nothing to undo.`,
		Args:   cobra.MinimumNArgs(1),
		Hidden: true,
		RunE: func(cmd *cobra.Command, ids []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			out := cmd.OutOrStdout()
			c, _, err := sandbox.Discover(ctx)
			if err != nil {
				return undoWithoutSandbox(out, err)
			}
			var failed []string
			for _, id := range ids {
				h, err := c.UndoHook(ctx, id)
				switch {
				case err != nil:
					fmt.Fprintf(out, "%s: NOT rolled back: %v\n", id, err)
					failed = append(failed, id)
				case h.State == "unknown":
					fmt.Fprintf(out, "%s: unknown to the sandbox; nothing to undo\n", id)
				case h.State == sandbox.HookRolledBack:
					fmt.Fprintf(out, "%s: rolled back (%s on %s)\n", id, h.Kind, strings.Join(h.Targets, ", "))
				default:
					fmt.Fprintf(out, "%s: already %s (%s)\n", id, h.State, h.Note)
				}
			}
			if len(failed) > 0 {
				return withCode(ExitRollbackFailed, fmt.Errorf("could not confirm the rollback of %s", strings.Join(failed, ", ")))
			}
			return nil
		},
	}
}

// undoWithoutSandbox decides what an undo means when Discover found no
// sandbox: with no state file, or one whose process is gone, the hooks died
// with their sandbox; a process that lives but does not answer cannot be
// confirmed.
func undoWithoutSandbox(out io.Writer, discoverErr error) error {
	st, err := sandbox.ReadState()
	if errors.Is(err, fs.ErrNotExist) || err == nil && !processAlive(st.PID) {
		fmt.Fprintln(out, "no sandbox running: its fault hooks ended with it; nothing to undo")
		return nil
	}
	if err != nil {
		return withCode(ExitRollbackFailed, fmt.Errorf("cannot reach the sandbox: %w", err))
	}
	return withCode(ExitRollbackFailed, fmt.Errorf("sandbox pid %d is running but does not answer (%v); stop it to end its hooks", st.PID, discoverErr))
}

// processAlive reports whether a process with that ID exists.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	return p.Signal(syscall.Signal(0)) == nil
}
