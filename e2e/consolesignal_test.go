//go:build linux

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/engine"
)

// TestConsoleSIGTERM: the console told to stop (SIGTERM) while a run
// measures its baseline rolls the run back, writes its report and exits
// — it does not hang on its way out — and its sandbox goes with it.
func TestConsoleSIGTERM(t *testing.T) {
	path, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tmux is not installed; .ci/run installs it")
		}
		t.Skip("tmux is not installed")
	}
	w := newWorld(t)
	w.extraEnv = append(w.extraEnv, "AWS_EC2_METADATA_DISABLED=true")
	scDir := t.TempDir()
	writeFile(t, filepath.Join(scDir, "drill-e2e.yaml"), drillScenario(t))
	exitFile := filepath.Join(t.TempDir(), "exit-code")
	pidFile := filepath.Join(t.TempDir(), "pid")

	x := &tmux{path: path, socket: fmt.Sprintf("gameday-e2e-term-%d", os.Getpid()), session: "console", env: w.env()}
	t.Cleanup(func() {
		if t.Failed() {
			if s, err := x.cmd("capture-pane", "-p", "-t", x.session); err == nil {
				t.Logf("last screen:\n%s", s)
			}
		}
		_, _ = x.cmd("kill-server")
	})
	// exec: the pid the shell writes is gameday's.
	command := fmt.Sprintf("sh -c 'echo $$ > %s; exec env %s=%s %s --scenarios %s'; echo $? > %s",
		pidFile, "GAMEDAY_STATE_DIR", w.state, bin, scDir, shellQuote(exitFile))
	x.must(t, "new-session", "-d", "-s", x.session, "-x", "120", "-y", "40", "-c", w.work, command)
	x.waitText(t, time.Minute, "pick a scenario")
	x.keys(t, "/")
	x.waitText(t, 30*time.Second, "type to filter")
	x.text(t, "drill e2e")
	x.waitText(t, 30*time.Second, "1 of ")
	x.keys(t, "Enter")
	x.waitScreen(t, "our drill selected", 30*time.Second, func(s string) bool {
		return strings.Contains(s, "› Free-form drill (e2e)")
	})
	x.keys(t, "Enter")
	// Some seconds into the baseline, the load and the samples flowing
	// (the hang this guards against showed there, not at the first frame).
	x.waitText(t, time.Minute, "BASELINE", "T+00:06")

	sigtermAndWait(t, x, pidFile, exitFile)
	journals, _ := filepath.Glob(filepath.Join(w.state, "journals", "*.jsonl"))
	if len(journals) != 1 {
		t.Fatalf("journals %v, want the run's", journals)
	}
	if o := outcome(t, readJournal(t, journals[0])); o.Verdict != engine.VerdictAborted {
		t.Errorf("verdict %s (%s), want aborted", o.Verdict, o.Reason)
	}
	if _, err := os.Stat(strings.TrimSuffix(journals[0], ".jsonl") + ".md"); err != nil {
		t.Errorf("no report after SIGTERM: %v", err)
	}
	waitNoChildren(t, w.state, 30*time.Second)
}

// sigtermAndWait sends SIGTERM to the gameday whose pid the shell wrote
// to pidFile and waits (2 minutes at most) for the exit code the shell
// writes to exitFile, which it returns.
func sigtermAndWait(t *testing.T, x *tmux, pidFile, exitFile string) string {
	t.Helper()
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	if _, err := fmt.Sscan(string(b), &pid); err != nil {
		t.Fatalf("pid file %q: %v", b, err)
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if b, err := os.ReadFile(exitFile); err == nil && len(b) > 0 {
			return strings.TrimSpace(string(b))
		}
		if time.Now().After(deadline) {
			t.Fatalf("gameday did not exit within 2m of SIGTERM; the screen is:\n%s", x.screen(t))
		}
		time.Sleep(200 * time.Millisecond)
	}
}
