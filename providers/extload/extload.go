// Package extload runs an external load generator — k6, vegeta, a script —
// for the length of a run: a scenario's load: { command: [k6, run,
// load-test.js] }. gameday does not measure that traffic itself; a metric
// source (Prometheus) does.
//
// The command runs in its own process group, so a Ctrl+C in the terminal
// reaches gameday alone, which then stops the command itself: SIGTERM to
// the whole group (k6 stops its VUs and prints its summary), and SIGKILL
// after a grace period. On Linux the kernel SIGKILLs the command if
// gameday dies (Pdeathsig), so it never outlives a crashed gameday. Its
// standard output and error are kept, line by line, in a bounded ring, so
// its last lines can be shown on demand and journaled at the end.
package extload

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Defaults of Config.
const (
	// DefaultGrace is how long the command has to stop after SIGTERM
	// before it is killed: k6 needs a moment to stop its VUs and print
	// its summary.
	DefaultGrace = 10 * time.Second
	// DefaultKeepLines is how many of its last output lines are kept.
	DefaultKeepLines = 500
	// MaxLineBytes bounds one kept line; the rest of a longer line is
	// cut and marked with "…".
	MaxLineBytes = 2048
)

// Config says what to run and how.
type Config struct {
	// Argv is the program and its arguments; the program is looked up in
	// PATH like a shell would.
	Argv []string
	// Dir is the working directory ("" for gameday's own).
	Dir string
	// Env is added to gameday's environment.
	Env []string
	// Grace is the time between SIGTERM and SIGKILL (DefaultGrace when 0).
	Grace time.Duration
	// KeepLines is how many output lines are kept (DefaultKeepLines when 0).
	KeepLines int
	// Output, when set, receives every output line as it comes, with its
	// newline. It must not block for long: the command's output waits
	// for it.
	Output io.Writer
}

// Process is a running (or finished) command.
type Process struct {
	cfg     Config
	cmd     *exec.Cmd
	cancel  context.CancelFunc
	started time.Time

	done     chan struct{} // closed once the command has exited and been reaped
	readDone chan struct{} // closed once its output has been read to the end

	stopOnce sync.Once
	mu       sync.Mutex
	stopping bool
	exit     Exit
	lines    []string // a ring of the last KeepLines lines
	next     int      // where the next line goes once the ring is full
	total    int      // lines seen
}

// Exit says how the command ended.
type Exit struct {
	// Code is the exit status, -1 when a signal ended it.
	Code int
	// Signal names the signal that ended it ("terminated", "killed"), if
	// one did.
	Signal string
	// Stopped says gameday stopped it (Stop, or its context ended); false
	// when it ended by itself.
	Stopped bool
	// Killed says it had to be killed: it outlived the grace period after
	// SIGTERM.
	Killed bool
	// Ran is how long it ran.
	Ran time.Duration
	// Err is a failure to wait for it, other than its own exit status.
	Err error
}

// String says how it ended: "exited with status 0 after 1m40s", "stopped
// by gameday (SIGTERM) after 2m", "killed after the 10s grace".
func (e Exit) String() string {
	var s string
	switch {
	case e.Killed:
		s = "killed by gameday (SIGKILL) when it outlived the grace period after SIGTERM"
	case e.Stopped && e.Signal != "":
		s = "stopped by gameday (" + e.Signal + ")"
	case e.Stopped:
		s = fmt.Sprintf("stopped by gameday, exited with status %d", e.Code)
	case e.Signal != "":
		s = "ended by a signal (" + e.Signal + ")"
	default:
		s = fmt.Sprintf("exited with status %d", e.Code)
	}
	s += " after " + e.Ran.Round(100*time.Millisecond).String()
	if e.Err != nil {
		s += " (" + e.Err.Error() + ")"
	}
	return s
}

// Start starts the command. It runs until it exits by itself, Stop is
// called, or ctx is done (which stops it as Stop does). An error means
// nothing was started.
func Start(ctx context.Context, cfg Config) (*Process, error) {
	if len(cfg.Argv) == 0 || strings.TrimSpace(cfg.Argv[0]) == "" {
		return nil, errors.New("load command: no program to run")
	}
	if cfg.Grace <= 0 {
		cfg.Grace = DefaultGrace
	}
	if cfg.KeepLines <= 0 {
		cfg.KeepLines = DefaultKeepLines
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("load command: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	cmd := exec.CommandContext(ctx, cfg.Argv[0], cfg.Argv[1:]...)
	cmd.Dir = cfg.Dir
	cmd.Env = append(os.Environ(), cfg.Env...)
	// One pipe for both, so the lines keep the order they were written in.
	cmd.Stdout, cmd.Stderr = w, w
	cmd.SysProcAttr = sysProcAttr()
	p := &Process{cfg: cfg, cmd: cmd, cancel: cancel, done: make(chan struct{}), readDone: make(chan struct{})}
	// Cancelling ctx (Stop, or the caller's) sends SIGTERM to the group;
	// past the grace, exec kills the command and Wait returns.
	cmd.Cancel = func() error {
		p.mu.Lock()
		p.stopping = true
		p.mu.Unlock()
		return terminate(cmd.Process)
	}
	cmd.WaitDelay = cfg.Grace

	started := make(chan error, 1)
	go func() {
		// Pdeathsig fires when the thread that started the child exits,
		// not the process: this goroutine keeps its thread until the
		// child has been reaped, so the Go runtime cannot retire the
		// thread (and kill the child) while gameday lives on.
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		p.started = time.Now()
		started <- nil
		err := cmd.Wait()
		p.finish(err)
	}()
	if err := <-started; err != nil {
		cancel()
		r.Close()
		w.Close()
		return nil, fmt.Errorf("load command: start %s: %w", cfg.Argv[0], err)
	}
	w.Close() // the child holds its own copy
	go p.read(r)
	return p, nil
}

// finish records how the command ended and sweeps its process group: a
// command that ended (or was killed) may leave children of its own.
func (p *Process) finish(err error) {
	ran := time.Since(p.started)
	_ = killGroup(p.cmd.Process)
	p.mu.Lock()
	e := Exit{Code: -1, Stopped: p.stopping, Ran: ran}
	if ps := p.cmd.ProcessState; ps != nil {
		e.Code = ps.ExitCode()
		if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			e.Signal = ws.Signal().String()
			e.Killed = p.stopping && ws.Signal() == syscall.SIGKILL
		}
	}
	var exitErr *exec.ExitError
	switch {
	case err == nil, errors.As(err, &exitErr):
	case e.Stopped && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)):
		// exec's way of saying that a stopped command exited with 0.
	default:
		e.Err = err
	}
	p.exit = e
	p.mu.Unlock()
	p.cancel()
	close(p.done)
}

// read keeps the command's output, line by line, until it ends.
func (p *Process) read(r *os.File) {
	defer close(p.readDone)
	defer r.Close()
	br := bufio.NewReaderSize(r, MaxLineBytes)
	var cut bool // the current line is being cut
	for {
		b, err := br.ReadSlice('\n')
		if len(b) > 0 {
			full := b[len(b)-1] == '\n'
			line := strings.TrimRight(string(b), "\r\n")
			switch {
			case cut && full:
				cut = false // the end of a cut line: dropped
			case cut:
			case !full && errors.Is(err, bufio.ErrBufferFull):
				p.add(line + "…")
				cut = true
			default:
				p.add(line)
			}
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return
		}
	}
}

func (p *Process) add(line string) {
	if w := p.cfg.Output; w != nil {
		_, _ = io.WriteString(w, line+"\n")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total++
	if len(p.lines) < p.cfg.KeepLines {
		p.lines = append(p.lines, line)
		return
	}
	p.lines[p.next] = line
	p.next = (p.next + 1) % len(p.lines)
}

// Lines returns the kept output lines, oldest first: the last KeepLines
// lines the command wrote to its standard output and error.
func (p *Process) Lines() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]string, 0, len(p.lines))
	out = append(out, p.lines[p.next:]...)
	return append(out, p.lines[:p.next]...)
}

// Tail returns the last n kept lines.
func (p *Process) Tail(n int) []string {
	l := p.Lines()
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return l
}

// Written is how many lines the command has written in all.
func (p *Process) Written() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.total
}

// Pid is the command's process ID (and its process group's).
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Argv is the command as started.
func (p *Process) Argv() []string { return p.cfg.Argv }

// Done is closed once the command has exited, by itself or stopped.
func (p *Process) Done() <-chan struct{} { return p.done }

// Exit says how the command ended; the zero Exit until Done is closed.
func (p *Process) Exit() Exit {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exit
}

// Stop stops the command if it still runs — SIGTERM to its process group,
// SIGKILL after the grace period — and returns how it ended once it has
// exited and its output has been read. It is idempotent and safe to call
// from several goroutines.
func (p *Process) Stop() Exit {
	p.stopOnce.Do(p.cancel)
	<-p.done
	// The output ends when the last holder of the pipe exits; the group
	// has been swept, so that is at once, but never wait long for it.
	select {
	case <-p.readDone:
	case <-time.After(time.Second):
	}
	return p.Exit()
}
