package sandbox_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/providers/sandbox"
)

// isolateState points every state directory a test could read at empty
// temporary ones, and returns the sandbox's.
func isolateState(t *testing.T) string {
	dir := t.TempDir()
	t.Setenv(sandbox.StateDirEnv, dir)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	return dir
}

// deadPID returns the pid of a process that has exited and been reaped.
func deadPID(t *testing.T) int {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// closedAddr returns a loopback address nobody listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestIdentityAndReach checks that a client says which sandbox it talks
// to, and that Reach connects to that very sandbox only with its token
// from a state file, proves it gone only when its pid is dead and its
// address refuses (or holds another sandbox), and otherwise says what it
// could not check — never confirming what it did not verify.
func TestIdentityAndReach(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("process liveness cannot be checked here")
	}
	sb := sharedSB(t)
	c := sb.Client()
	st := sb.State()

	id, err := c.Identity(bg(t))
	if err != nil {
		t.Fatal(err)
	}
	want := providers.Identity{Provider: "sandbox", ID: st.Instance, Fields: map[string]string{
		"control": st.Control, "pid": strconv.Itoa(st.PID), "lb": st.LB,
	}}
	if id.String() != want.String() || len(st.Instance) < 16 {
		t.Fatalf("Identity = %s, want %s", id, want)
	}
	if sb.Identity().String() != id.String() {
		t.Errorf("Sandbox.Identity = %s, client's %s", sb.Identity(), id)
	}

	t.Run("the run's state file: reached", func(t *testing.T) {
		isolateState(t)
		if err := sandbox.WriteState(st); err != nil {
			t.Fatal(err)
		}
		rc, err := sandbox.Reach(bg(t), id)
		if err != nil {
			t.Fatalf("Reach: %v", err)
		}
		if got, err := rc.Identity(bg(t)); err != nil || got.ID != id.ID {
			t.Errorf("the reached client is %s, %v", got, err)
		}
	})

	t.Run("another state dir: could not check, not gone", func(t *testing.T) {
		isolateState(t)
		_, err := sandbox.Reach(bg(t), id)
		var ue *sandbox.UncheckedError
		if !errors.As(err, &ue) || !errors.Is(err, sandbox.ErrUnchecked) || errors.Is(err, sandbox.ErrSandboxGone) || errors.Is(err, sandbox.ErrNoSandbox) {
			t.Fatalf("Reach without the token: %v, want an UncheckedError only", err)
		}
		if !strings.Contains(err.Error(), "token") || !strings.Contains(err.Error(), st.Control) {
			t.Errorf("Reach without the token: %q, want it to say the sandbox runs at %s but its token was not found", err, st.Control)
		}
	})

	t.Run("a state file of another instance: could not check", func(t *testing.T) {
		isolateState(t)
		other := st
		other.Instance = "0123456789abcdef"
		if err := sandbox.WriteState(other); err != nil {
			t.Fatal(err)
		}
		if _, err := sandbox.Reach(bg(t), id); !errors.Is(err, sandbox.ErrUnchecked) {
			t.Errorf("Reach with another instance's state file: %v, want ErrUnchecked", err)
		}
	})

	dead := deadPID(t)
	refusing := closedAddr(t)
	ident := func(instance, control string, pid int) providers.Identity {
		return providers.Identity{Provider: "sandbox", ID: instance, Fields: map[string]string{"control": control, "pid": strconv.Itoa(pid)}}
	}
	for name, tc := range map[string]struct {
		id   providers.Identity
		gone bool
		want string
	}{
		"dead pid, address refuses":             {ident("aaaa000011112222", refusing, dead), true, "refuses connections"},
		"dead pid, another sandbox answers":     {ident("aaaa000011112222", st.Control, dead), true, "another sandbox (instance " + st.Instance},
		"live pid, address refuses":             {ident("aaaa000011112222", refusing, os.Getpid()), false, fmt.Sprintf("pid %d is alive", os.Getpid())},
		"live pid, another sandbox answers":     {ident("aaaa000011112222", st.Control, os.Getpid()), false, "another sandbox"},
		"no instance id in the journal":         {ident("", st.Control, st.PID), false, "does not record which sandbox instance"},
		"no pid in the journal, address refuse": {ident("aaaa000011112222", refusing, 0), false, "does not record its pid"},
	} {
		t.Run(name, func(t *testing.T) {
			isolateState(t)
			_, err := sandbox.Reach(bg(t), tc.id)
			if tc.gone {
				var ge *sandbox.GoneError
				if !errors.As(err, &ge) || !errors.Is(err, sandbox.ErrSandboxGone) || !errors.Is(err, sandbox.ErrNoSandbox) {
					t.Fatalf("Reach: %v, want a GoneError", err)
				}
				if !strings.Contains(err.Error(), fmt.Sprintf("pid %d is not alive", dead)) || !strings.Contains(err.Error(), "ended with it") {
					t.Errorf("Reach: %q, want the evidence", err)
				}
			} else if !errors.Is(err, sandbox.ErrUnchecked) || errors.Is(err, sandbox.ErrSandboxGone) {
				t.Fatalf("Reach: %v, want ErrUnchecked only", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Reach: %q, want it to say %q", err, tc.want)
			}
		})
	}
}

// testParent is a sandbox in a separate process (see runTestParent).
type testParent struct {
	cmd   *exec.Cmd
	pids  []int
	state sandbox.State
}

// startTestParent starts a sandbox of 2 replicas in a separate process and
// kills it, and whatever it left, at the end of the test.
func startTestParent(t *testing.T) *testParent {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p := &testParent{cmd: exec.Command(exe)}
	p.cmd.Env = append(os.Environ(), parentEnv+"=1")
	p.cmd.Stderr = os.Stderr
	stdin, err := p.cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		stdin.Close()
		_ = p.cmd.Wait()
		for _, pid := range p.pids {
			if proc, err := os.FindProcess(pid); err == nil && alive(pid) {
				_ = proc.Kill()
			}
		}
	})
	lines := make(chan string, 2)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	next := func() string {
		select {
		case l := <-lines:
			return l
		case <-time.After(60 * time.Second):
			t.Fatal("the sandbox parent said nothing for 60 s")
		}
		return ""
	}
	line := next()
	if !strings.HasPrefix(line, "PIDS ") {
		t.Fatalf("sandbox parent said %q", line)
	}
	for _, f := range strings.Fields(strings.TrimPrefix(line, "PIDS ")) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			t.Fatal(err)
		}
		p.pids = append(p.pids, pid)
	}
	if err := json.Unmarshal([]byte(next()), &p.state); err != nil || p.state.Instance == "" {
		t.Fatalf("sandbox parent's state: %+v, %v", p.state, err)
	}
	return p
}

// TestSandboxProcessGone kills a sandbox's process with SIGKILL and checks
// what a run and `gameday recover` then learn: the event stream ends with
// one EventGone, Reach proves that very sandbox gone, and ManualRollback
// gives no command that cannot work.
func TestSandboxProcessGone(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	isolateState(t)
	p := startTestParent(t)
	if err := sandbox.WriteState(p.state); err != nil {
		t.Fatal(err)
	}
	c, _, err := sandbox.Discover(bg(t))
	if err != nil {
		t.Fatal(err)
	}
	id, err := c.Identity(bg(t))
	if err != nil || id.ID != p.state.Instance || id.Fields["pid"] != strconv.Itoa(p.cmd.Process.Pid) {
		t.Fatalf("Identity = %s, %v", id, err)
	}
	if _, err := sandbox.Reach(bg(t), id); err != nil {
		t.Fatalf("Reach while it runs: %v", err)
	}
	inj, err := c.Inject(bg(t), providers.Fault{ID: "f1", Kind: providers.DependencyOutage}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := record(ctx, c)
	time.Sleep(200 * time.Millisecond) // the stream is polling

	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()
	killed := time.Now()
	ev := rec.waitFor(t, 10*time.Second, "gone", func(ev providers.SystemEvent) bool { return ev.Kind == providers.EventGone })
	if want := fmt.Sprintf("the sandbox (pid %d) is gone; its faults ended with it", p.cmd.Process.Pid); !strings.Contains(ev.Text, want) {
		t.Errorf("gone event %q, want %q", ev.Text, want)
	}
	if took := time.Since(killed); took > 5*time.Second {
		t.Errorf("gone reported %s after the kill; its pid was dead at once", took)
	}
	eventually(t, 5*time.Second, "stream closed", func() (bool, string) { return rec.isClosed(), "" })

	_, err = sandbox.Reach(bg(t), id)
	var ge *sandbox.GoneError
	if !errors.As(err, &ge) || ge.Identity.ID != id.ID {
		t.Fatalf("Reach after the kill: %v, want a GoneError", err)
	}
	m := c.ManualRollback(inj)
	if strings.Contains(m, "gameday sandbox undo") || !strings.Contains(m, "ended with it") || !strings.Contains(m, strconv.Itoa(p.cmd.Process.Pid)) {
		t.Errorf("ManualRollback after the sandbox died = %q, want no undo command and that its faults ended with it", m)
	}
}
