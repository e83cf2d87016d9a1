package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/providers/sandbox"
)

// execRoot runs `gameday args...` in-process and returns stdout, stderr and
// the exit code Main would return.
func execRoot(ctx context.Context, args ...string) (string, string, int) {
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	code := ExitOK
	if err != nil {
		code = ExitInvalid
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
		}
		errOut.WriteString(err.Error())
	}
	return out.String(), errOut.String(), code
}

func TestSandboxCommandsWithoutSandbox(t *testing.T) {
	t.Setenv(sandbox.StateDirEnv, t.TempDir())
	ctx := context.Background()
	cases := map[string]struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		"status":            {args: []string{"sandbox", "status"}, code: ExitInvalid, stderr: "no sandbox running"},
		"undo":              {args: []string{"sandbox", "undo", "h1-abc"}, code: ExitOK, stdout: "nothing to undo"},
		"undo without IDs":  {args: []string{"sandbox", "undo"}, code: ExitInvalid, stderr: "requires at least 1 arg"},
		"zero replicas":     {args: []string{"sandbox", "--replicas", "0"}, code: ExitInvalid, stderr: "--replicas 0"},
		"zero restart wait": {args: []string{"sandbox", "--restart-delay", "0s"}, code: ExitInvalid, stderr: "--restart-delay 0s"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			out, errOut, code := execRoot(ctx, tc.args...)
			if code != tc.code || !strings.Contains(out, tc.stdout) || !strings.Contains(errOut, tc.stderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d, stdout with %q, stderr with %q", code, out, errOut, tc.code, tc.stdout, tc.stderr)
			}
		})
	}

	t.Run("undo with a stale state file of a dead process", func(t *testing.T) {
		if err := sandbox.WriteState(sandbox.State{Control: "127.0.0.1:1", Token: "x", PID: 1 << 22}); err != nil {
			t.Fatal(err)
		}
		defer sandbox.RemoveState()
		out, errOut, code := execRoot(ctx, "sandbox", "undo", "h1-abc")
		if code != ExitOK || !strings.Contains(out, "nothing to undo") {
			t.Errorf("exit %d stdout %q stderr %q", code, out, errOut)
		}
	})
}

// TestSandboxCommandEndToEnd builds gameday and drives `gameday sandbox` as
// a user would: start it, use it, inspect it, undo a hook by hand, stop it
// with SIGTERM, and check that nothing is left behind.
func TestSandboxCommandEndToEnd(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses SIGTERM")
	}
	if testing.Short() {
		t.Skip("builds the binary")
	}
	stateDir := t.TempDir()
	t.Setenv(sandbox.StateDirEnv, stateDir)
	bin := filepath.Join(t.TempDir(), "gameday")
	build := exec.Command("go", "build", "-o", bin, "github.com/gameday-tui/gameday/cmd/gameday")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	cmd := exec.Command(bin, "sandbox", "--replicas", "2", "--restart-delay", "1s")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		exited <- cmd.Wait()
	}()
	var printed []string
	deadline := time.After(60 * time.Second)
	for waiting := true; waiting; {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("gameday sandbox ended early; stdout %q, stderr %q", printed, stderr.String())
			}
			printed = append(printed, l)
			waiting = !strings.HasPrefix(l, "Press Ctrl+C")
		case <-deadline:
			t.Fatalf("gameday sandbox not up after 60 s; stdout %q", printed)
		}
	}
	text := strings.Join(printed, "\n")
	var loadURL string
	for _, l := range printed {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(l), "load URL"); ok {
			loadURL = strings.TrimSpace(rest)
		}
	}
	for _, want := range []string{"load balancer  http://127.0.0.1:", "control API    127.0.0.1:", "state file     " + filepath.Join(stateDir, "sandbox.json")} {
		if !strings.Contains(text, want) {
			t.Errorf("stdout lacks %q:\n%s", want, text)
		}
	}

	st, err := sandbox.ReadState()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text, st.Token) {
		t.Error("the control token is printed on stdout")
	}
	if fi, err := os.Stat(filepath.Join(stateDir, "sandbox.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("state file: %v, %v; want mode 0600", fi.Mode(), err)
	}
	resp, err := http.Get(loadURL)
	if err != nil {
		t.Fatalf("GET %q: %v", loadURL, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", loadURL, resp.Status)
	}

	// A second sandbox refuses to start while this one runs.
	if out, err := exec.Command(bin, "sandbox").CombinedOutput(); err == nil || !strings.Contains(string(out), "already running") {
		t.Errorf("second gameday sandbox: %v, %s", err, out)
	}

	// A later process attaches through the state file, and the hidden
	// subcommands work on what it did.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, _, err := sandbox.Discover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	h, err := c.Apply(ctx, sandbox.HookSpec{Kind: sandbox.HookLatency, Delay: 200 * time.Millisecond, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "sandbox", "status").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "running 2 of 2") || !strings.Contains(string(out), h.ID) || !strings.Contains(string(out), "latency") {
		t.Errorf("gameday sandbox status: %v\n%s", err, out)
	}
	out, err = exec.Command(bin, "sandbox", "undo", h.ID, "h404-none").CombinedOutput()
	if err != nil || !strings.Contains(string(out), h.ID+": rolled back") || !strings.Contains(string(out), "h404-none: unknown") {
		t.Errorf("gameday sandbox undo: %v\n%s", err, out)
	}
	if got, err := c.Hook(ctx, h.ID); err != nil || got.State != sandbox.HookRolledBack {
		t.Errorf("hook after undo: %+v, %v", got, err)
	}
	var full sandbox.Status
	out, err = exec.Command(bin, "sandbox", "status", "--json").Output()
	if err != nil || json.Unmarshal(out, &full) != nil {
		t.Fatalf("gameday sandbox status --json: %v\n%s", err, out)
	}
	pids := []int{full.Database.PID, full.Dependency.PID}
	for _, r := range full.Replicas {
		pids = append(pids, r.PID)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		exited <- err // for the cleanup
		if err != nil {
			t.Errorf("gameday sandbox after SIGTERM: %v; stderr %q", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("gameday sandbox still running 30 s after SIGTERM")
	}
	if _, err := os.Stat(filepath.Join(stateDir, "sandbox.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state file left behind: %v", err)
	}
	for _, pid := range pids {
		if pid == 0 {
			t.Errorf("status reported a child without a pid: %+v", full)
		} else if processAlive(pid) {
			t.Errorf("child %d outlived gameday sandbox", pid)
		}
	}
}
