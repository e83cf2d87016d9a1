package app

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/providers/extload"
	"github.com/gameday-tui/gameday/scenarios"
)

// An external load command (load: { command: [k6, run, load-test.js] })
// runs for the length of a run: started with it, stopped (SIGTERM, then
// SIGKILL after loadGrace) when the run ends — by its verdict, an abort or
// gameday exiting — and killed by the kernel if gameday dies. Its output
// goes, redacted, to a log beside the journal, and live to --load-output.
//
// How it ended and its last lines are journaled as one note: the engine
// has no record type for something gameday itself did besides the target
// system (a system event would claim the system did it), and a note is
// the record that is timestamped, redacted, on the timeline and in the
// report's observations, where a facilitator reading the post-mortem
// looks for "k6 ended with status 99: thresholds crossed".

// loadGrace is how long a load command has between SIGTERM and SIGKILL.
const loadGrace = extload.DefaultGrace

// loadNoteLines is how many of the command's last lines the note quotes.
const loadNoteLines = 8

// maxLoadLog bounds the log of a load command's output.
const maxLoadLog = 16 << 20

// loadDir is where a plan's load command runs: beside the scenario file,
// so that [k6, run, load-test.js] finds the script next to it; the working
// directory for a shipped scenario.
func loadDir(plan *scenarios.Plan) string {
	if plan.Path == "" || strings.HasPrefix(plan.Path, scenarios.EmbeddedPrefix) {
		if wd, err := os.Getwd(); err == nil {
			return wd
		}
		return "."
	}
	if abs, err := filepath.Abs(filepath.Dir(plan.Path)); err == nil {
		return abs
	}
	return filepath.Dir(plan.Path)
}

// shellQuote renders argv as a shell would read it back.
func shellQuote(argv []string) string {
	out := make([]string, len(argv))
	for i, a := range argv {
		if a != "" && !strings.ContainsAny(a, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
			out[i] = a
			continue
		}
		out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(out, " ")
}

// loadCommand is a plan's running load command, its log, and the note
// that says how it ended (written once).
type loadCommand struct {
	proc     *extload.Process
	logPath  string
	log      *loadLog
	noteOnce sync.Once
}

// startLoadCommand starts plan's load command for a run. The command sees
// GAMEDAY_RUN_ID, GAMEDAY_DURATION (the planned phases, in seconds, "100s")
// and, when the target has an address of its own (the sandbox),
// GAMEDAY_TARGET_URL. live, when set, receives every output line as it
// comes.
func startLoadCommand(ctx context.Context, plan *scenarios.Plan, c *conn, runID, journalPath string, live io.Writer) (*loadCommand, error) {
	logPath := strings.TrimSuffix(journalPath, filepath.Ext(journalPath)) + ".load.log"
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create the load command's log: %w", err)
	}
	lg := &loadLog{f: f, live: live}
	ph := plan.Phases
	env := []string{
		"GAMEDAY_RUN_ID=" + runID,
		fmt.Sprintf("GAMEDAY_DURATION=%ds", int((ph.Baseline + ph.Fault + ph.Recovery).Seconds())),
	}
	if c.loadBase != "" {
		env = append(env, "GAMEDAY_TARGET_URL="+c.loadBase)
	}
	p, err := extload.Start(ctx, extload.Config{Argv: plan.Load.Command, Dir: loadDir(plan), Env: env, Grace: loadGrace, Output: lg})
	if err != nil {
		f.Close()
		os.Remove(logPath)
		return nil, err
	}
	return &loadCommand{proc: p, logPath: logPath, log: lg}, nil
}

// note says how the command ended and quotes its last lines, once.
func (l *loadCommand) note(run *engine.Run, when string) {
	l.noteOnce.Do(func() {
		e := l.proc.Exit()
		text := fmt.Sprintf("load command %s %s: %s; its output is in %s", shellQuote(l.proc.Argv()), when, e, l.logPath)
		if tail := l.proc.Tail(loadNoteLines); len(tail) > 0 {
			text += "; last lines: " + strings.Join(tail, " ⏎ ")
		}
		_ = run.Note(text)
	})
}

// stop stops the command, notes how it ended and closes its log.
func (l *loadCommand) stop(run *engine.Run) {
	l.proc.Stop()
	l.note(run, "ended with the run")
	l.log.Close()
}

// loadLog writes a load command's output lines, redacted, to its log
// (up to maxLoadLog) and to the live writer, if any, marked "load │".
type loadLog struct {
	mu      sync.Mutex
	f       *os.File
	live    io.Writer
	written int
	full    bool
	closed  bool
}

// Write takes one whole line (extload writes line by line).
func (l *loadLog) Write(p []byte) (int, error) {
	line := engine.Redact(strings.TrimRight(string(p), "\n"))
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.live != nil {
		fmt.Fprintf(l.live, "load │ %s\n", line)
	}
	if l.closed || l.full {
		return len(p), nil
	}
	if l.written+len(line)+1 > maxLoadLog {
		l.full = true
		fmt.Fprintf(l.f, "… the rest is not kept: the log reached %d MiB\n", maxLoadLog>>20)
		return len(p), nil
	}
	n, _ := fmt.Fprintln(l.f, line)
	l.written += n
	return len(p), nil
}

// Close syncs and closes the log.
func (l *loadLog) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	l.closed = true
	_ = l.f.Sync()
	_ = l.f.Close()
}
