//go:build linux

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/gameday-tui/gameday/engine"
)

// tmux drives one session on a tmux server of its own (-L), so the test
// never touches the developer's tmux.
type tmux struct {
	path    string
	socket  string
	session string
	env     []string
}

// cmd runs a tmux command and returns its output.
func (x *tmux) cmd(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, x.path, append([]string{"-L", x.socket}, args...)...)
	c.Env = x.env
	out, err := c.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("tmux %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

func (x *tmux) must(t *testing.T, args ...string) string {
	t.Helper()
	out, err := x.cmd(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// keys sends tmux key names (Enter, C-x, …).
func (x *tmux) keys(t *testing.T, keys ...string) {
	t.Helper()
	x.must(t, append([]string{"send-keys", "-t", x.session}, keys...)...)
}

// text types literal text.
func (x *tmux) text(t *testing.T, s string) {
	t.Helper()
	x.must(t, "send-keys", "-t", x.session, "-l", "--", s)
}

// screen returns what the pane shows now, as plain text.
func (x *tmux) screen(t *testing.T) string {
	t.Helper()
	return x.must(t, "capture-pane", "-p", "-t", x.session)
}

// waitScreen polls the pane until ok accepts it and returns that screen.
func (x *tmux) waitScreen(t *testing.T, what string, d time.Duration, ok func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(d)
	var s string
	for {
		s = x.screen(t)
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("the console did not show %s within %s; the screen is:\n%s", what, d, s)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitText waits until the pane shows every one of texts.
func (x *tmux) waitText(t *testing.T, d time.Duration, texts ...string) string {
	t.Helper()
	return x.waitScreen(t, fmt.Sprintf("%q", texts), d, func(s string) bool {
		for _, want := range texts {
			if !strings.Contains(s, want) {
				return false
			}
		}
		return true
	})
}

// alive reports whether the session still exists.
func (x *tmux) alive() bool {
	_, err := x.cmd("has-session", "-t", x.session)
	return err == nil
}

// consoleScenario is the latency scenario with short phases and its fault
// on demand, so that the test triggers it by its key.
const consoleScenario = `title: Latency injection (e2e-manual)
hypothesis: With 500 ms of added latency on half the replicas, fewer than 1% of requests fail
blast_radius: 50% of the sandbox replicas (2 of 4)
rollback: abort (ctrl+x) removes the delay at once
target: { provider: sandbox }
load: { rate: 100, path: /api/users/7, timeout: 2s }
steady_state:
  p95_ms: { max: 1000 }
  error_rate: { max: 0.01 }
  throughput_rps: { min: 90 }
phases: { baseline: 3s, fault: 2m, recovery: 3s }
faults:
  - kind: latency
    selection: { percent: 50 }
    manual: true
    params: { delay: 500ms, jitter: 50ms }
`

// p95Title is the p95 graph's title in the wide layout: "p95 latency  547 ms".
var p95Title = regexp.MustCompile(`p95 latency\s+([0-9]+(?:\.[0-9]+)?) ms`)

// p95 reads the current p95 from the graph's title; ok is false when the
// screen shows none.
func p95(screen string) (float64, bool) {
	m := p95Title.FindStringSubmatch(screen)
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(m[1], 64)
	return v, err == nil
}

// TestConsoleInTmux drives the console in tmux as a facilitator would:
// pick the latency scenario with the filter, start it, trigger the fault
// by its key, watch p95 rise, note, abort with ctrl+x while a second note
// is half typed, see the rollback, save the report and check it, quit. The
// console starts its own sandbox (none runs in its state directory), and
// nothing of it is left afterwards.
func TestConsoleInTmux(t *testing.T) {
	path, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tmux is not installed; .ci/run installs it")
		}
		t.Skip("tmux is not installed")
	}
	w := newWorld(t)
	scDir := t.TempDir()
	writeFile(t, filepath.Join(scDir, "latency-manual.yaml"), consoleScenario)
	exitFile := filepath.Join(t.TempDir(), "exit-code")

	x := &tmux{path: path, socket: fmt.Sprintf("gameday-e2e-%d", os.Getpid()), session: "console", env: w.env()}
	t.Cleanup(func() {
		if t.Failed() {
			if s, err := x.cmd("capture-pane", "-p", "-t", x.session); err == nil {
				t.Logf("last screen:\n%s", s)
			}
		}
		_, _ = x.cmd("kill-server")
	})
	// The server gets w's environment; env in the command states it again
	// for the gameday process.
	command := fmt.Sprintf("env %s=%s %s --scenarios %s; echo $? > %s",
		"GAMEDAY_STATE_DIR", shellQuote(w.state), shellQuote(bin), shellQuote(scDir), shellQuote(exitFile))
	x.must(t, "new-session", "-d", "-s", x.session, "-x", "120", "-y", "40", "-c", w.work, command)

	// The picker, with our scenario among the shipped ones.
	x.waitText(t, time.Minute, "pick a scenario", "Latency injection (e2e-manual)")
	x.keys(t, "/")
	x.text(t, "latency e2e-manual")
	x.waitText(t, 30*time.Second, "1 of ")
	x.keys(t, "Enter") // keep the filter
	x.waitScreen(t, "our scenario selected", 30*time.Second, func(s string) bool {
		return strings.Contains(s, "› Latency injection (e2e-manual)")
	})
	x.keys(t, "Enter") // start the run

	// The fault phase: the fault key is offered, p95 is low.
	s := x.waitText(t, time.Minute, "OBSERVING", "press 1 to trigger now")
	before, ok := p95(s)
	if !ok {
		s = x.waitScreen(t, "a p95 value", 30*time.Second, func(s string) bool { _, ok := p95(s); return ok })
		before, _ = p95(s)
	}
	if before >= 400 {
		t.Fatalf("p95 is already %.1f ms before the fault", before)
	}
	x.keys(t, "1")
	s = x.waitScreen(t, "p95 above 400 ms", time.Minute, func(s string) bool {
		v, ok := p95(s)
		return ok && v > 400
	})
	after, _ := p95(s)
	t.Logf("p95 %.1f ms before the fault, %.0f ms with it", before, after)
	if !strings.Contains(s, "ACTIVE") {
		t.Errorf("p95 rose but the fault panel does not show the fault ACTIVE:\n%s", s)
	}

	// At 80×24 everything fits and the abort key stays visible.
	x.must(t, "resize-window", "-t", x.session, "-x", "80", "-y", "24")
	s = x.waitScreen(t, "the 80×24 layout", 30*time.Second, func(s string) bool {
		return strings.Contains(s, "limit ≤ 1000 ms") && !p95Title.MatchString(s) // the stacked layout
	})
	checkFits(t, s, 80, 24, "Latency injection (e2e-manual)")
	x.must(t, "resize-window", "-t", x.session, "-x", "120", "-y", "40")
	x.waitScreen(t, "the 120×40 layout again", 30*time.Second, func(s string) bool { return p95Title.MatchString(s) })

	// A note saved, then one half typed when ctrl+x aborts.
	const saved, halfTyped = "+p95 rose and nothing failed", "half typed when the abort came"
	x.keys(t, "n")
	x.text(t, saved)
	x.keys(t, "Enter")
	x.waitText(t, 30*time.Second, "Note saved to the journal.")
	x.keys(t, "n")
	x.text(t, halfTyped)
	x.waitText(t, 30*time.Second, "note › "+halfTyped)
	x.keys(t, "C-x")
	x.waitText(t, time.Minute, "rolled back", "ABORTED", "Run ended")

	// Save the report; the screen says where.
	x.keys(t, "s")
	s = x.waitText(t, 30*time.Second, "Report saved to ")
	reports, err := filepath.Glob(filepath.Join(w.state, "journals", "*.md"))
	if err != nil || len(reports) != 1 {
		t.Fatalf("want one report in %s/journals, found %v (%v)", w.state, reports, err)
	}
	report := reports[0]
	shown := s[strings.Index(s, "Report saved to ")+len("Report saved to "):]
	shown = strings.TrimSuffix(strings.TrimSpace(strings.SplitN(shown, "\n", 2)[0]), "…")
	if shown == "" || !strings.HasPrefix(report, shown) {
		t.Errorf("the screen says the report was saved to %q; the report is %s", shown, report)
	}
	t.Logf("report saved to %s", report)
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("read the saved report: %v", err)
	}
	for _, want := range []string{"Latency injection (e2e-manual)", "ABORTED", "abort key", "f1", "latency", strings.TrimPrefix(saved, "+"), halfTyped} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the saved report lacks %q", want)
		}
	}
	recs := readJournal(t, strings.TrimSuffix(report, ".md")+".jsonl")
	checkFaultCycle(t, recs, "f1")
	if o := outcome(t, recs); o.Verdict != engine.VerdictAborted {
		t.Errorf("journal verdict %s (%s), want aborted", o.Verdict, o.Reason)
	}

	// Quit: the console exits 0 and its sandbox goes with it.
	x.keys(t, "q")
	deadline := time.Now().Add(2 * time.Minute)
	for x.alive() {
		if time.Now().After(deadline) {
			t.Fatalf("the console did not exit within 2m of q; the screen is:\n%s", x.screen(t))
		}
		time.Sleep(200 * time.Millisecond)
	}
	code, err := os.ReadFile(exitFile)
	if err != nil || strings.TrimSpace(string(code)) != "0" {
		t.Errorf("the console exited with %q (%v), want 0", code, err)
	}
	waitNoChildren(t, w.state, 30*time.Second)
}

// checkFits checks that a screen captured at w×h lost nothing to wrapping:
// no line is wider than w, the header is on the first line and the footer
// with the ABORT key on the last.
func checkFits(t *testing.T, screen string, w, h int, title string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(screen, "\n"), "\n")
	if len(lines) > h {
		t.Errorf("%d lines at %d×%d", len(lines), w, h)
	}
	for i, l := range lines {
		if n := ansi.StringWidth(l); n > w {
			t.Errorf("line %d is %d cells wide at %d×%d: %q", i+1, n, w, h, l)
		}
	}
	if !strings.HasPrefix(lines[0], title) {
		t.Errorf("the first line at %d×%d is not the header: %q", w, h, lines[0])
	}
	if last := lines[len(lines)-1]; len(lines) != h || !strings.Contains(last, "ctrl+x ABORT") {
		t.Errorf("the last line at %d×%d (line %d) does not show the ABORT key: %q\n%s", w, h, len(lines), last, screen)
	}
}

// shellQuote quotes s for sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
