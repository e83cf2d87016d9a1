// Package app is the gameday command line: it builds the concrete
// providers, hands them to the engine and the console, and maps errors to
// exit codes. It is the only package that constructs clients.
package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes, documented in the README.
const (
	ExitOK             = 0 // hypothesis held (or the command succeeded)
	ExitViolated       = 1 // hypothesis violated, or the steady state did not hold
	ExitAborted        = 2 // aborted by a stop condition or a signal
	ExitInvalid        = 3 // invalid scenario, flags or configuration
	ExitRollbackFailed = 4 // a rollback could not be confirmed
)

// exitError carries an exit code through cobra's error return.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// withCode wraps err so that Main exits with code.
func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

// invalid wraps err as a usage or configuration error (exit 3).
func invalid(err error) error { return withCode(ExitInvalid, err) }

// Main runs the command line and returns the process exit code.
func Main() int {
	if code, ok := runChild(os.Args[1:]); ok {
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	startDebugServer(os.Getenv("GAMEDAY_DEBUG_ADDR"))
	root := newRootCmd()
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintln(os.Stderr, "gameday:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(os.Stderr, "gameday:", err)
	return ExitInvalid
}

// argsWith is a command's argument check whose error shows the usage line
// and the command's example, so a missing argument says what to type.
func argsWith(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			msg := fmt.Sprintf("%v\nusage: %s", err, cmd.UseLine())
			if cmd.Example != "" {
				msg += "\nexample:\n" + cmd.Example
			}
			return invalid(errors.New(msg))
		}
		return nil
	}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "gameday",
		Short:         "A terminal console for chaos-engineering game days",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       buildVersion(),
	}
	root.SetVersionTemplate(versionLine() + "\n")
	var configFile, logFile string
	var noColor bool
	pf := root.PersistentFlags()
	pf.StringVar(&configFile, "config", "", "read defaults from the config `FILE` (default $XDG_CONFIG_HOME/gameday/config.yaml)")
	pf.BoolVar(&noColor, "no-color", false, "no colour in any output (as NO_COLOR does)")
	pf.String("color", "auto", "colour: auto, always or never")
	pf.StringVar(&logFile, "log", "", "write debug logs to `FILE` (never to the terminal while the console is open)")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		path, must := configPath(configFile)
		c, err := loadConfig(path, must)
		if err != nil {
			return invalid(err) // a bad config file: nothing runs
		}
		if _, err := resolveSettings(cmd, c); err != nil {
			return invalid(err)
		}
		color, _ := cmd.Flags().GetString("color")
		switch {
		case noColor, color == "never":
			_ = os.Setenv("NO_COLOR", "1")
		case color == "always":
			_ = os.Unsetenv("NO_COLOR")
			forceColor()
		case color != "auto":
			return invalid(fmt.Errorf("--color %q: want auto, always or never", color))
		}
		if lf, _ := cmd.Flags().GetString("log"); lf != "" {
			if err := openDebugLog(lf); err != nil {
				return invalid(fmt.Errorf("--log: %w", err))
			}
		}
		return nil
	}
	var cf consoleFlags
	addConsoleFlags(root, &cf)
	root.Args = func(cmd *cobra.Command, args []string) error {
		if err := checkShareArgs(cf.share, args); err != nil {
			return err
		}
		return cobra.NoArgs(cmd, args)
	}
	root.RunE = func(cmd *cobra.Command, _ []string) error {
		return runConsole(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), cf)
	}
	root.Example = `  gameday                                # the console: pick a scenario and run it
  gameday run latency --headless         # the same run without a screen (CI)
  gameday list                           # the scenarios and the names run takes
  gameday recover                        # finish what a crashed run left`
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return invalid(err) })
	root.AddCommand(
		newSandboxCmd(),
		newLoadCmd(),
		newRunCmd(),
		newDayCmd(),
		newReportCmd(),
		newRecoverCmd(),
		newHistoryCmd(),
		newValidateCmd(),
		newListCmd(),
		newWatchCmd(),
		newVersionCmd(),
		newManCmd(),
		newConfigCmd(&configFile),
	)
	return root
}
