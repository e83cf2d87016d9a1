//go:build unix

package extload

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// waitFor polls cond until it holds, failing the test after d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// alive reports whether pid is a live process (a zombie is not: it has
// ended and waits only to be reaped).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		if os.IsNotExist(err) {
			return false
		}
		return syscall.Kill(pid, 0) == nil // no /proc (not Linux)
	}
	// pid (comm) S …: the state follows the last ')'.
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z' && s[i+2] != 'X'
	}
	return true
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestStopTerminates: a command that honours SIGTERM stops at once, with
// its output kept in order, both streams.
func TestStopTerminates(t *testing.T) {
	var tee lockedBuffer
	p, err := Start(context.Background(), Config{Argv: []string{"sh", "-c", "echo one; echo two >&2; exec sleep 30"}, Output: &tee, Grace: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "two lines", func() bool { return p.Written() == 2 })
	start := time.Now()
	e := p.Stop()
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("Stop took %s: SIGTERM should have ended sleep at once, not the 20s grace", took)
	}
	if !e.Stopped || e.Killed || e.Signal != "terminated" || e.Code != -1 || e.Err != nil {
		t.Errorf("exit = %+v, want stopped by SIGTERM", e)
	}
	if !strings.Contains(e.String(), "stopped by gameday (terminated)") {
		t.Errorf("exit says %q", e)
	}
	if got := strings.Join(p.Lines(), "|"); got != "one|two" {
		t.Errorf("lines = %q", got)
	}
	if tee.String() != "one\ntwo\n" {
		t.Errorf("output = %q", tee.String())
	}
	if alive(p.Pid()) {
		t.Error("the command still runs after Stop")
	}
	if e2 := p.Stop(); e2 != e {
		t.Errorf("a second Stop says %+v, the first %+v", e2, e)
	}
}

// TestStopKillsAfterGrace: a command that ignores SIGTERM is killed after
// the grace, and so is the child it started (the whole process group).
func TestStopKillsAfterGrace(t *testing.T) {
	p, err := Start(context.Background(), Config{Argv: []string{"sh", "-c", "trap '' TERM; sleep 60 & echo $!; wait"}, Grace: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the grandchild's pid", func() bool { return p.Written() == 1 })
	grandchild, err := strconv.Atoi(p.Lines()[0])
	if err != nil || !alive(grandchild) {
		t.Fatalf("grandchild %q: %v", p.Lines()[0], err)
	}
	e := p.Stop()
	if !e.Stopped || !e.Killed || e.Signal != "killed" {
		t.Errorf("exit = %+v, want killed after the grace", e)
	}
	if !strings.Contains(e.String(), "SIGKILL") {
		t.Errorf("exit says %q", e)
	}
	waitFor(t, 10*time.Second, "the grandchild gone", func() bool { return !alive(grandchild) })
}

// TestExitsByItself: a command that ends by itself says how, and Done
// tells.
func TestExitsByItself(t *testing.T) {
	p, err := Start(context.Background(), Config{Argv: []string{"sh", "-c", "echo bye; exit 3"}})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("not done")
	}
	e := p.Stop()
	if e.Stopped || e.Killed || e.Code != 3 || e.Signal != "" {
		t.Errorf("exit = %+v, want status 3 by itself", e)
	}
	if !strings.HasPrefix(e.String(), "exited with status 3 after ") {
		t.Errorf("exit says %q", e)
	}
	if got := p.Tail(5); len(got) != 1 || got[0] != "bye" {
		t.Errorf("tail = %q", got)
	}
}

// TestContextStops: the caller's context ending stops the command like
// Stop, and a command stopped while exiting 0 has no error.
func TestContextStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	p, err := Start(ctx, Config{Argv: []string{"sh", "-c", "trap 'echo stopping; exit 0' TERM; echo ready; while :; do sleep 0.1; done"}, Env: []string{"EXTLOAD_TEST=1"}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "ready", func() bool { return p.Written() >= 1 })
	cancel()
	select {
	case <-p.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("the command outlived its context")
	}
	e := p.Stop()
	if !e.Stopped || e.Killed || e.Code != 0 || e.Err != nil {
		t.Errorf("exit = %+v, want stopped, status 0, no error", e)
	}
	// The group got SIGTERM: sh may also say that its sleep was
	// "Terminated" before its trap runs.
	if l := p.Lines(); len(l) < 2 || l[0] != "ready" || l[len(l)-1] != "stopping" {
		t.Errorf("lines = %q", l)
	}
}

func TestRingAndLongLines(t *testing.T) {
	script := fmt.Sprintf("i=0; while [ $i -lt 300 ]; do echo line$i; i=$((i+1)); done; head -c %d /dev/zero | tr '\\0' x; echo; echo last", 3*MaxLineBytes)
	p, err := Start(context.Background(), Config{Argv: []string{"sh", "-c", script}, KeepLines: 50})
	if err != nil {
		t.Fatal(err)
	}
	<-p.Done()
	p.Stop()
	lines := p.Lines()
	if len(lines) != 50 || p.Written() != 302 {
		t.Fatalf("kept %d of %d lines, want 50 of 302", len(lines), p.Written())
	}
	if lines[0] != "line252" || lines[48] != strings.Repeat("x", MaxLineBytes)+"…" || lines[49] != "last" {
		t.Errorf("lines: first %q, a long one of %d bytes, last %q", lines[0], len(lines[48]), lines[49])
	}
}

func TestStartFails(t *testing.T) {
	if _, err := Start(context.Background(), Config{Argv: []string{"gameday-no-such-program-k6"}}); err == nil || !strings.Contains(err.Error(), "gameday-no-such-program-k6") {
		t.Errorf("err = %v", err)
	}
	if _, err := Start(context.Background(), Config{}); err == nil {
		t.Error("an empty command should not start")
	}
}
