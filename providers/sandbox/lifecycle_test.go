package sandbox_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/providers/sandbox"
)

func TestControlAPIAndState(t *testing.T) {
	t.Setenv(sandbox.StateDirEnv, t.TempDir())
	sb := sharedSB(t)
	st := sb.State()

	t.Run("wrong or missing token is refused", func(t *testing.T) {
		_, err := sandbox.NewClient(st.Control, "wrong").Status(bg(t))
		var ae *sandbox.APIError
		if !errors.As(err, &ae) || ae.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status with a wrong token: %v, want 401", err)
		}
		_, err = sandbox.NewClient(st.Control, "wrong").Apply(bg(t), sandbox.HookSpec{Kind: sandbox.HookKill, TTL: time.Minute})
		if !errors.As(err, &ae) || ae.StatusCode != http.StatusUnauthorized {
			t.Fatalf("apply with a wrong token: %v, want 401", err)
		}
		resp, err := http.Get("http://" + st.Control + "/status")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status without a token: %s, want 401", resp.Status)
		}
		if n, err := sb.Client().Running(bg(t)); err != nil || n != 4 {
			t.Fatalf("the right token: running %d, %v", n, err)
		}
		// Only which sandbox listens here is said without the token.
		resp, err = http.Get("http://" + st.Control + "/identity")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var id map[string]any
		if err := json.Unmarshal(b, &id); err != nil || resp.StatusCode != http.StatusOK || id["instance"] != st.Instance || len(id) != 2 || strings.Contains(string(b), st.Token) {
			t.Errorf("GET /identity without a token: %s %s, want the instance and pid only", resp.Status, b)
		}
	})

	t.Run("control API and load balancer listen on loopback only", func(t *testing.T) {
		for _, addr := range []string{st.Control, strings.TrimPrefix(st.LB, "http://")} {
			host, _, err := net.SplitHostPort(addr)
			if err != nil || host != "127.0.0.1" {
				t.Errorf("listens on %q", addr)
			}
		}
	})

	t.Run("state file round trip, 0600", func(t *testing.T) {
		if err := sandbox.WriteState(st); err != nil {
			t.Fatal(err)
		}
		path, err := sandbox.StatePath()
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
			t.Errorf("state file mode %v, want 0600", fi.Mode().Perm())
		}
		got, err := sandbox.ReadState()
		if err != nil || got != st {
			t.Fatalf("ReadState = %+v, %v; want %+v", got, err, st)
		}
		c, found, err := sandbox.Discover(bg(t))
		if err != nil || found != st {
			t.Fatalf("Discover = %+v, %v", found, err)
		}
		if c.LoadURL() != sb.LoadURL() {
			t.Errorf("discovered LoadURL %q, want %q", c.LoadURL(), sb.LoadURL())
		}
		if n, err := c.Running(bg(t)); err != nil || n != 4 {
			t.Errorf("discovered client: running %d, %v", n, err)
		}
		if err := sandbox.RemoveState(); err != nil {
			t.Fatal(err)
		}
		if err := sandbox.RemoveState(); err != nil {
			t.Fatalf("second RemoveState: %v", err)
		}
		if _, _, err := sandbox.Discover(bg(t)); !errors.Is(err, sandbox.ErrNoSandbox) {
			t.Fatalf("Discover without a state file: %v, want ErrNoSandbox", err)
		}
	})

	t.Run("stale state file means no sandbox", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		dead := ln.Addr().String()
		ln.Close()
		for name, stale := range map[string]sandbox.State{
			"nobody listens": {Control: dead, Token: "x", LB: "http://" + dead, PID: 1},
			"wrong token":    {Control: st.Control, Token: "x", LB: st.LB, PID: st.PID},
		} {
			if err := sandbox.WriteState(stale); err != nil {
				t.Fatal(err)
			}
			if _, _, err := sandbox.Discover(bg(t)); !errors.Is(err, sandbox.ErrNoSandbox) {
				t.Errorf("%s: Discover = %v, want ErrNoSandbox", name, err)
			}
		}
		path, _ := sandbox.StatePath()
		if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, _, err := sandbox.Discover(bg(t)); !errors.Is(err, sandbox.ErrNoSandbox) {
			t.Errorf("garbled state file: Discover = %v, want ErrNoSandbox", err)
		}
	})

	t.Run("admin endpoints are not reachable through the load balancer", func(t *testing.T) {
		resp, err := http.Get(st.LB + "/_admin/status")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET /_admin/status through the load balancer: %s", resp.Status)
		}
	})
}

func TestStatePath(t *testing.T) {
	t.Setenv(sandbox.StateDirEnv, "")
	t.Setenv("XDG_STATE_HOME", "/xdg/state")
	if p, err := sandbox.StatePath(); err != nil || p != filepath.FromSlash("/xdg/state/gameday/sandbox.json") {
		t.Errorf("with XDG_STATE_HOME: %q, %v", p, err)
	}
	t.Setenv("XDG_STATE_HOME", "")
	home, err := os.UserHomeDir()
	if err != nil {
		t.Skip("no home directory")
	}
	if p, err := sandbox.StatePath(); err != nil || p != filepath.Join(home, ".local", "state", "gameday", "sandbox.json") {
		t.Errorf("default: %q, %v", p, err)
	}
	t.Setenv(sandbox.StateDirEnv, "/override")
	if p, err := sandbox.StatePath(); err != nil || p != filepath.FromSlash("/override/sandbox.json") {
		t.Errorf("with %s: %q, %v", sandbox.StateDirEnv, p, err)
	}
}

// alive reports whether pid is a live process (a zombie is not alive).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(f) > 0 && f[0] != "Z" && f[0] != "X"
}

// TestNothingOutlivesParent starts a sandbox in a separate process, kills
// that process with SIGKILL (no cleanup can run) and checks that every
// child process it started is gone.
func TestNothingOutlivesParent(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc; Pdeathsig is Linux-only")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	parent := exec.Command(exe)
	parent.Env = append(os.Environ(), parentEnv+"=1")
	parent.Stderr = os.Stderr
	stdin, err := parent.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := parent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	var pids []int
	t.Cleanup(func() {
		_ = parent.Process.Kill()
		stdin.Close()
		_ = parent.Wait()
		for _, pid := range pids {
			if p, err := os.FindProcess(pid); err == nil && alive(pid) {
				_ = p.Kill()
			}
		}
	})
	line, err := readLine(stdout, 60*time.Second)
	if err != nil || !strings.HasPrefix(line, "PIDS ") {
		t.Fatalf("sandbox parent said %q, %v", line, err)
	}
	for _, f := range strings.Fields(strings.TrimPrefix(line, "PIDS ")) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			t.Fatal(err)
		}
		pids = append(pids, pid)
	}
	if len(pids) != 4 { // database, dependency, 2 replicas
		t.Fatalf("children %v, want 4", pids)
	}
	for _, pid := range pids {
		if !alive(pid) {
			t.Fatalf("child %d is not running before the parent is killed", pid)
		}
	}

	if err := parent.Process.Kill(); err != nil { // SIGKILL: no cleanup can run
		t.Fatal(err)
	}
	_ = parent.Wait()

	eventually(t, 10*time.Second, "every child gone", func() (bool, string) {
		var left []string
		for _, pid := range pids {
			if alive(pid) {
				left = append(left, strconv.Itoa(pid))
			}
		}
		return len(left) == 0, "still running: " + strings.Join(left, " ")
	})
}

// TestChildExitsWhenParentPipeCloses checks the second line of defence: a
// child exits when its standard input, the pipe from its parent, closes,
// even though its parent lives on and no signal is sent.
func TestChildExitsWhenParentPipeCloses(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	child := exec.Command(exe, sandbox.ChildArg, "database", "db-test")
	stdin, err := child.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = child.Process.Kill() })
	cfg, _ := json.Marshal(map[string]any{"role": "database", "name": "db-test", "addr": "127.0.0.1:0", "parent_pid": os.Getpid()})
	if _, err := stdin.Write(append(cfg, '\n')); err != nil {
		t.Fatal(err)
	}
	line, err := readLine(stdout, 30*time.Second)
	if err != nil || !strings.HasPrefix(line, "READY 127.0.0.1:") {
		t.Fatalf("child said %q, %v", line, err)
	}
	conn, err := net.Dial("tcp", strings.TrimPrefix(line, "READY "))
	if err != nil {
		t.Fatalf("database does not listen: %v", err)
	}
	conn.Close()

	stdin.Close()
	done := make(chan error, 1)
	go func() { done <- child.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("child exit: %v, want a clean exit", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("child still running 10 s after its parent's pipe closed")
	}
}

func TestStartRejectsBadOptions(t *testing.T) {
	for name, opts := range map[string]sandbox.Options{
		"negative replicas":      {Replicas: -1},
		"too many replicas":      {Replicas: 1000},
		"negative restart delay": {RestartDelay: -time.Second},
		"missing executable":     {Executable: filepath.Join(t.TempDir(), "nope")},
	} {
		if sb, err := sandbox.Start(bg(t), opts); err == nil {
			sb.Close()
			t.Errorf("%s: Start succeeded", name)
		}
	}
}
