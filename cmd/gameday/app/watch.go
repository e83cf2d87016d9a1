package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/spf13/cobra"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/share"
	"github.com/gameday-tui/gameday/tui"
)

// A watcher's console is the console over a share.Watcher.
var _ tui.Run = (*share.Watcher)(nil)

type watchFlags struct {
	scribe string
	lang   string
}

func newWatchCmd() *cobra.Command {
	var f watchFlags
	cmd := &cobra.Command{
		Use:   "watch JOIN",
		Short: "Follow a facilitator's run from your own terminal, read-only (team mode)",
		Long: `Follow the run of a facilitator's console started with --share (or of
gameday run --headless --share), in the same console at your terminal's
size, read-only. JOIN is TOKEN@HOST:PORT, from the line the facilitator's
console shows (w) or the headless run prints. Joining late fills in the
run so far.

A watcher's keys change nothing: no fault key, no abort; q and ctrl+c leave
and the run goes on. r shows the report so far.

--scribe NAME with the scribe's line also takes notes (n; + success,
- improvement, @owner for an action item): they land in the facilitator's
journal, timeline and report under NAME.

Exit codes: 0 when you leave; 3 when the line is wrong or the console
cannot be reached.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && strings.Contains(f.scribe, "@") {
				return invalid(fmt.Errorf("--scribe takes your name: gameday watch --scribe NAME %s", f.scribe))
			}
			if len(args) != 1 {
				return invalid(errors.New("watch takes one JOIN (TOKEN@HOST:PORT), from the facilitator's console"))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runWatch(cmd.Context(), cmd.ErrOrStderr(), args[0], f)
		},
	}
	cmd.Flags().StringVar(&f.scribe, "scribe", "", "take notes as `NAME` (needs the scribe's line)")
	cmd.Flags().StringVar(&f.lang, "lang", "en", "show the report (r) in `LANG`: en or ja")
	return cmd
}

// joinTimeout bounds connecting to the facilitator's console.
const joinTimeout = 30 * time.Second

// runWatch joins the facilitator's console, waits for its run, and opens
// the read-only console on it.
func runWatch(ctx context.Context, stderr io.Writer, join string, f watchFlags) error {
	lang, err := engine.ParseLang(f.lang)
	if err != nil {
		return invalid(fmt.Errorf("--lang: %w", err))
	}
	dctx, cancel := context.WithTimeout(ctx, joinTimeout)
	w, err := share.Dial(dctx, join, share.DialOptions{
		Scribe: f.scribe,
		Report: []engine.ReportOption{engine.WithLang(lang), engine.WithLocation(time.Local)},
	})
	cancel()
	if err != nil {
		return errJoin(err)
	}
	defer w.Close()
	said := time.After(time.Second)
	for ready := false; !ready; {
		select {
		case <-w.Ready():
			ready = true
		case <-said:
			fmt.Fprintln(stderr, "gameday: joined; waiting for the facilitator to start a run… (ctrl+c leaves)")
		case <-w.Gone():
			return invalid(errors.New(w.Why()))
		case <-ctx.Done():
			return nil
		}
	}
	plan := w.Plan()
	cfg := tui.Config{Watch: &tui.Watch{Run: w, Plan: plan, Scribe: f.scribe != "", Gone: w.Why}}
	// bubbletea's own signal handler is left out, as on the console: a
	// SIGTERM reached both it and ctx, and the quit it sends, which the
	// killed program never reads, held up the program's shutdown for
	// ever (1 watcher in 3 stayed behind). ctx (SIGINT, SIGTERM, SIGHUP)
	// ends the program; ctrl+c in the terminal is a key.
	prog := tea.NewProgram(tui.New(cfg), tea.WithAltScreen(), tea.WithContext(ctx), tea.WithoutSignalHandler())
	_, runErr := prog.Run()
	if runErr != nil && !errors.Is(runErr, tea.ErrProgramKilled) {
		return fmt.Errorf("console: %w", runErr)
	}
	select {
	case <-w.Gone():
		fmt.Fprintf(stderr, "gameday: stopped watching %q: %s\n", engine.Redact(plan.Title), w.Why())
	default:
		fmt.Fprintf(stderr, "gameday: stopped watching %q; the run goes on\n", engine.Redact(plan.Title))
	}
	return nil
}
