package sandbox

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/gameday-tui/gameday/providers"
)

// Process states, as Status reports them.
const (
	ProcessStarting   = "starting"   // first start, not ready yet
	ProcessRunning    = "running"    // up and serving
	ProcessPaused     = "paused"     // stopped with SIGSTOP by a pause hook
	ProcessDown       = "down"       // dead; the supervisor will restart it
	ProcessHeld       = "held"       // dead and kept down by a hook until it ends
	ProcessRestarting = "restarting" // being started again
	ProcessStopped    = "stopped"    // the sandbox is closed
)

// startTimeout bounds how long a child may take to report that it listens.
const startTimeout = 15 * time.Second

var errClosed = errors.New("sandbox is closed")

// spawner starts every child process from one goroutine locked to its OS
// thread. Pdeathsig is tied to the thread that forked the child, not to the
// process: if children were started from an ordinary goroutine, the Go
// runtime could retire that thread while the parent lives on, and the
// kernel would kill the children. This thread is never unlocked, so it lives
// until the spawner is closed, which happens only after every child has
// been reaped.
type spawner struct {
	reqs      chan spawnReq
	quit      chan struct{}
	closeOnce sync.Once
}

type spawnReq struct {
	cmd *exec.Cmd
	res chan error
}

func newSpawner() *spawner {
	s := &spawner{reqs: make(chan spawnReq), quit: make(chan struct{})}
	go s.loop()
	return s
}

func (s *spawner) loop() {
	runtime.LockOSThread() // never unlocked: see the type's comment
	for {
		select {
		case r := <-s.reqs:
			r.res <- r.cmd.Start()
		case <-s.quit:
			return
		}
	}
}

// start starts cmd on the spawner's thread.
func (s *spawner) start(cmd *exec.Cmd) error {
	r := spawnReq{cmd: cmd, res: make(chan error, 1)}
	select {
	case s.reqs <- r:
		return <-r.res
	case <-s.quit:
		return errClosed
	}
}

func (s *spawner) close() { s.closeOnce.Do(func() { close(s.quit) }) }

// proc is one supervised child process: a replica, the database or the
// dependency. Its first start is made by Start; after that supervise
// restarts it whenever it dies, after the restart delay, unless a hook holds
// it down.
type proc struct {
	sb   *Sandbox
	role string
	name string
	cfg  childConfig // Addr is filled in from addr at each start

	wake chan struct{} // "restart now"; buffered, drained when it goes down

	mu       sync.Mutex
	state    string
	addr     string // stable across restarts once known
	process  *os.Process
	exited   chan struct{} // closed when the current process has been reaped
	gen      int           // incremented at every successful start
	restarts int
	held     bool // a hook keeps it down until released
	paused   bool
	// lastPID and downAt are the pid of the process that last died and
	// when the supervisor saw it die; exitErr is how it exited.
	lastPID int
	downAt  time.Time
	exitErr error
}

func newProc(sb *Sandbox, role, name string, cfg childConfig) *proc {
	cfg.Role, cfg.Name = role, name
	return &proc{sb: sb, role: role, name: name, cfg: cfg, wake: make(chan struct{}, 1), state: ProcessStarting, addr: "127.0.0.1:0"}
}

// launch starts one process and waits until it listens.
func (p *proc) launch(ctx context.Context) error {
	p.mu.Lock()
	cfg := p.cfg
	cfg.Addr = p.addr
	p.mu.Unlock()
	cfg.ParentPID = os.Getpid()
	line, err := json.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("start %s: %w", p.name, err)
	}

	cmd := exec.Command(p.sb.exe, ChildArg, p.role, p.name)
	cmd.SysProcAttr = childSysProcAttr()
	cmd.Stderr = &lineLogger{prefix: p.name + ": ", logf: p.sb.logf}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	if err := p.sb.spawner.start(cmd); err != nil {
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	ready := make(chan string, 1)
	exited := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		first := true
		for sc.Scan() {
			if first {
				ready <- sc.Text()
				first = false
				continue
			}
			p.sb.logf("%s: %s", p.name, sc.Text())
		}
		if first {
			ready <- ""
		}
		_, _ = io.Copy(io.Discard, stdout)
		err := cmd.Wait()
		p.sb.logf("%s (pid %d) exited: %v", p.name, cmd.Process.Pid, err)
		p.mu.Lock()
		p.exitErr = err
		p.mu.Unlock()
		close(exited)
	}()
	// The pipe stays open for the child's life: its end of file is how the
	// child learns that the parent died.
	_, _ = stdin.Write(append(line, '\n'))

	fail := func(err error) error {
		_ = cmd.Process.Kill()
		<-exited
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	var addr string
	select {
	case l := <-ready:
		if !strings.HasPrefix(l, readyPrefix) {
			return fail(fmt.Errorf("child did not report readiness (said %q)", l))
		}
		addr = strings.TrimPrefix(l, readyPrefix)
	case <-time.After(startTimeout):
		return fail(fmt.Errorf("not ready after %s", startTimeout))
	case <-ctx.Done():
		return fail(ctx.Err())
	}

	p.mu.Lock()
	p.process, p.exited, p.addr = cmd.Process, exited, addr
	p.gen++
	p.state, p.paused = ProcessRunning, false
	p.mu.Unlock()
	p.sb.logf("%s started (pid %d) on %s", p.name, cmd.Process.Pid, addr)
	p.sb.started(p)
	return nil
}

// supervise waits for the process to die and restarts it, until ctx is
// done; then it kills the process and waits for it.
func (p *proc) supervise(ctx context.Context) {
	for {
		p.mu.Lock()
		exited := p.exited
		p.mu.Unlock()
		select {
		case <-exited:
		case <-ctx.Done():
			p.kill()
			p.setState(ProcessStopped)
			return
		}
		p.markDown()
		p.died()
		for {
			if !p.waitRestart(ctx) {
				p.setState(ProcessStopped)
				return
			}
			p.setState(ProcessRestarting)
			if err := p.launch(ctx); err != nil {
				p.sb.logf("%s: restart failed: %v", p.name, err)
				p.markDown()
				continue
			}
			p.mu.Lock()
			p.restarts++
			p.mu.Unlock()
			p.restarted()
			break
		}
	}
}

// markDown records that the process is gone. A pending wake is dropped
// first, so that only a wake sent after the process was seen down counts.
func (p *proc) markDown() {
	select {
	case <-p.wake:
	default:
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.process != nil {
		p.lastPID, p.downAt = p.process.Pid, time.Now()
	}
	p.process, p.paused = nil, false
	p.state = ProcessDown
	if p.held {
		p.state = ProcessHeld
	}
}

// died reports, as the supervisor saw it, that the process died.
func (p *proc) died() {
	p.mu.Lock()
	pid, at, err := p.lastPID, p.downAt, p.exitErr
	p.mu.Unlock()
	if p.role == roleReplica {
		p.sb.lb.noteDown(p.name, at)
	}
	how := "exited"
	if err != nil {
		how = err.Error()
	}
	p.sb.emit(providers.SystemEvent{At: at, Source: "supervisor", Kind: providers.EventInfo, Target: p.name,
		Text: fmt.Sprintf("%s (pid %d) died (%s)", p.name, pid, how)})
}

// restarted reports that the supervisor started the process again.
func (p *proc) restarted() {
	p.mu.Lock()
	old, at, pid := p.lastPID, p.downAt, 0
	if p.process != nil {
		pid = p.process.Pid
	}
	p.mu.Unlock()
	p.sb.emit(providers.SystemEvent{Source: "supervisor", Kind: providers.EventRecovered, Target: p.name,
		Text: fmt.Sprintf("supervisor restarted %s (pid %d → %d), %.1f s after it died", p.name, old, pid, time.Since(at).Seconds())})
}

// waitRestart waits for the restart delay, or a wake, while nothing holds
// the process down. It reports false when ctx is done.
func (p *proc) waitRestart(ctx context.Context) bool {
	timer := time.NewTimer(p.sb.opts.RestartDelay)
	defer timer.Stop()
	for {
		p.mu.Lock()
		held := p.held
		p.mu.Unlock()
		var expired <-chan time.Time
		if !held {
			expired = timer.C
		}
		select {
		case <-expired:
			return true
		case <-p.wake:
			p.mu.Lock()
			held = p.held
			p.mu.Unlock()
			if !held {
				return true
			}
		case <-ctx.Done():
			return false
		}
	}
}

// restartNow cancels the wait for a dead process's restart.
func (p *proc) restartNow() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// hold keeps the process down (after a kill) until release.
func (p *proc) hold() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.held = true
	if p.process == nil && p.state == ProcessDown {
		p.state = ProcessHeld
	}
}

// release lets a held process start again, at once.
func (p *proc) release() {
	p.mu.Lock()
	p.held = false
	if p.state == ProcessHeld {
		p.state = ProcessDown
	}
	p.mu.Unlock()
	p.restartNow()
}

// kill sends SIGKILL to the current process, if any, and waits until it is
// reaped. It returns the generation that was killed (0 if none was up).
func (p *proc) kill() int {
	p.mu.Lock()
	proc, exited, gen := p.process, p.exited, p.gen
	p.mu.Unlock()
	if proc == nil {
		return 0
	}
	_ = proc.Kill()
	<-exited
	return gen
}

// pause stops the current process with SIGSTOP and returns its generation.
func (p *proc) pause() (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.process == nil {
		return 0, fmt.Errorf("pause %s: it is not running", p.name)
	}
	if err := pauseProcess(p.process); err != nil {
		return 0, fmt.Errorf("pause %s: %w", p.name, err)
	}
	p.paused, p.state = true, ProcessPaused
	if p.role == roleReplica {
		p.sb.lb.noteDown(p.name, time.Now())
	}
	return p.gen, nil
}

// resume continues the process with SIGCONT if it is still generation gen;
// a process that has since died and restarted needs nothing.
func (p *proc) resume(gen int) error {
	_, err := p.resumed(gen)
	return err
}

// resumed is resume that also reports whether it sent SIGCONT.
func (p *proc) resumed(gen int) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.process == nil || p.gen != gen || !p.paused {
		return false, nil
	}
	if err := resumeProcess(p.process); err != nil {
		return false, fmt.Errorf("resume %s: %w", p.name, err)
	}
	p.paused, p.state = false, ProcessRunning
	return true, nil
}

func (p *proc) setState(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state = s
}

// procInfo is a consistent snapshot of a proc.
type procInfo struct {
	state    string
	pid      int
	addr     string
	gen      int
	restarts int
}

func (p *proc) info() procInfo {
	p.mu.Lock()
	defer p.mu.Unlock()
	in := procInfo{state: p.state, addr: p.addr, gen: p.gen, restarts: p.restarts}
	if p.process != nil {
		in.pid = p.process.Pid
	}
	return in
}

// lineLogger hands each line written to it to logf.
type lineLogger struct {
	prefix string
	logf   func(string, ...any)
	mu     sync.Mutex
	buf    []byte
}

func (l *lineLogger) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, b...)
	for {
		i := strings.IndexByte(string(l.buf), '\n')
		if i < 0 {
			break
		}
		l.logf("%s%s", l.prefix, l.buf[:i])
		l.buf = l.buf[i+1:]
	}
	if len(l.buf) > 64<<10 {
		l.logf("%s%s", l.prefix, l.buf)
		l.buf = nil
	}
	return len(b), nil
}

// restartIfDown restarts the process now if generation gen is still the
// last one and it is dead (it waits briefly for the supervisor to notice a
// death that just happened). A process already restarting or restarted
// needs nothing.
func (p *proc) restartIfDown(ctx context.Context, gen int) {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		in := p.info()
		switch {
		case in.gen != gen, in.state == ProcessRestarting, in.state == ProcessStopped:
			return
		case in.pid == 0:
			p.restartNow()
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// waitStarted waits until a generation after gen is running.
func (p *proc) waitStarted(ctx context.Context, gen int) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		if in := p.info(); in.gen > gen && in.pid != 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s to start again: %w", p.name, ctx.Err())
		case <-t.C:
		}
	}
}
