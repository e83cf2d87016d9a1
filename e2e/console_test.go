//go:build linux

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
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

// drillScenario is the shipped free-form drill (scenarios/sandbox/
// drill.yaml) with phases short enough for a test and a title of its own;
// its six faults are fired by key.
func drillScenario(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(moduleDir, "scenarios", "sandbox", "drill.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	for old, repl := range map[string]string{
		"title: Free-form drill (all six faults, fired by key)": "title: Free-form drill (e2e)",
		"phases: { baseline: 20s, fault: 15m, recovery: 30s }":  "phases: { baseline: 15s, fault: 3m, recovery: 12s }",
	} {
		if !strings.Contains(src, old) {
			t.Fatalf("drill.yaml has no %q: update the test", old)
		}
		src = strings.Replace(src, old, repl, 1)
	}
	return src
}

// p95Title is the p95 graph's title in the 2×2 layout: "p95 latency  547 ms".
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

// TestConsoleInTmux drives the console in tmux as a facilitator would,
// with the shipped drill: pick it with the filter, start it, press a fault
// key during the baseline (it answers), fire f1 latency by its key in the
// fault phase and see FAULT ACTIVE in the header while p95 rises, press
// its key again (it answers), look at the report mid-run (in progress, no
// alarm), note, abort with ctrl+x and give a reason, watch the recovery,
// note after the run (the retro), save the report and check it, go back
// to the picker with esc, quit. The console starts its own sandbox (none
// runs in its state directory), and nothing of it is left afterwards.
// Waits are generous and values from the real processes are compared
// with margins: the test runs on loaded CI machines.
func TestConsoleInTmux(t *testing.T) {
	path, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tmux is not installed; .ci/run installs it")
		}
		t.Skip("tmux is not installed")
	}
	w := newWorld(t)
	// Without credentials the picker's AWS plans make the SDK look for an
	// EC2 instance role, and it writes a warning on the terminal when it
	// finds none, over the console (a defect of its own, outside this
	// test): say there is no instance metadata to look in.
	w.extraEnv = append(w.extraEnv, "AWS_EC2_METADATA_DISABLED=true")
	scDir := t.TempDir()
	writeFile(t, filepath.Join(scDir, "drill-e2e.yaml"), drillScenario(t))
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

	// The picker. Our drill is among the shipped ones, perhaps below the
	// rows on show: the filter finds it.
	x.waitText(t, time.Minute, "pick a scenario", "Free-form drill")
	// A key that opens an input is waited for before the text: keys sent
	// together may reach the console as one burst of runes.
	x.keys(t, "/")
	x.waitText(t, 30*time.Second, "type to filter")
	x.text(t, "drill e2e")
	x.waitText(t, 30*time.Second, "1 of ")
	x.keys(t, "Enter") // keep the filter
	x.waitScreen(t, "our drill selected", 30*time.Second, func(s string) bool {
		return strings.Contains(s, "› Free-form drill (e2e)")
	})
	x.keys(t, "Enter") // start the run

	// The baseline: a fault key answers instead of doing nothing.
	x.waitText(t, time.Minute, "BASELINE")
	x.keys(t, "1")
	x.waitText(t, 30*time.Second, "Faults start in the fault phase")

	// The fault phase: every fault key is offered, p95 is low.
	s := x.waitText(t, time.Minute, " FAULT ", "press 1–6 to trigger now", "no fault active")
	before, ok := p95(s)
	if !ok {
		s = x.waitScreen(t, "a p95 value", 30*time.Second, func(s string) bool { _, ok := p95(s); return ok })
		before, _ = p95(s)
	}
	if before >= 250 {
		t.Fatalf("p95 is already %.1f ms before the fault", before)
	}
	x.keys(t, "1")
	x.waitText(t, time.Minute, "FAULT ACTIVE f1 latency · ", " left → replica-")
	s = x.waitScreen(t, "p95 above 250 ms", time.Minute, func(s string) bool {
		v, ok := p95(s)
		return ok && v > 250
	})
	after, _ := p95(s)
	t.Logf("p95 %.1f ms before the fault, %.0f ms with it", before, after)
	if !strings.Contains(s, "● ACTIVE") {
		t.Errorf("p95 rose but the fault panel does not show the fault ACTIVE:\n%s", s)
	}
	// Its key again, and a key with no fault, answer.
	x.keys(t, "1")
	x.waitText(t, 30*time.Second, "f1 latency is already active")
	x.keys(t, "7")
	x.waitText(t, 30*time.Second, "Key 7: no such fault; this plan has f1 to f6.")

	// At 80×24 everything fits: the header keeps the phase, the clock and
	// the live fault; the abort key stays visible.
	x.must(t, "resize-window", "-t", x.session, "-x", "80", "-y", "24")
	s = x.waitScreen(t, "the 80×24 layout", 30*time.Second, func(s string) bool {
		return fits(s, 80, 24, "Free-form drill (e2e)") && strings.Contains(s, "Faults — press 1–6")
	})
	checkFits(t, s, 80, 24, "Free-form drill (e2e)")
	lines := strings.Split(s, "\n")
	if !regexp.MustCompile(`│ +FAULT [0-9]+:[0-9]{2} left +│ T\+[0-9]{2}:[0-9]{2}`).MatchString(lines[0]) {
		t.Errorf("at 80×24 the header lost the phase or the clock: %q", lines[0])
	}
	if !strings.HasPrefix(strings.TrimSpace(lines[1]), "FAULT ACTIVE f1 latency · ") {
		t.Errorf("at 80×24 the second line does not say the fault is live: %q", lines[1])
	}
	x.must(t, "resize-window", "-t", x.session, "-x", "120", "-y", "40")
	x.waitScreen(t, "the 120×40 layout again", 30*time.Second, func(s string) bool {
		return strings.Contains(s, "limit ≤ 1000 ms")
	})

	// The report mid-run: in progress, and no alarm for a fault that is
	// active as planned.
	x.keys(t, "r")
	s = x.waitText(t, 30*time.Second, "IN PROGRESS", "Game day report: Free-form drill (e2e)")
	for _, alarm := range []string{"Manual action needed", "manual action needed", "MANUAL ACTION", "JOURNAL"} {
		if strings.Contains(s, alarm) {
			t.Errorf("the report mid-run says %q:\n%s", alarm, s)
		}
	}
	x.keys(t, "Escape")
	x.waitText(t, 30*time.Second, "FAULT ACTIVE f1 latency", "n: add a note")

	// A note, then ctrl+x: the abort happens at once and asks why.
	const noted, reason, retro = "+p95 rose and nothing failed", "the demo is over", "-the latency alert never fired"
	x.keys(t, "n")
	x.waitText(t, 30*time.Second, "note › what do you see?")
	x.text(t, noted)
	x.keys(t, "Enter")
	x.waitText(t, 30*time.Second, "Note saved to the journal.")
	x.keys(t, "C-x")
	x.waitText(t, 30*time.Second, "why? (enter to skip) ›")
	x.text(t, reason)
	x.keys(t, "Enter")
	x.waitText(t, 30*time.Second, "Abort reason saved to the journal.")
	// The rollback is quick: then the run watches the recovery, and says
	// so with its countdown.
	x.waitText(t, time.Minute, "watching the recovery after the abort · ", " left · q ends it")
	x.waitText(t, time.Minute, "Run ended — aborted", "esc: scenarios")

	// The retro right after the drill goes into the same report.
	x.keys(t, "n")
	x.waitText(t, 30*time.Second, "note › what do you see?")
	x.text(t, retro)
	x.keys(t, "Enter")
	x.waitText(t, 30*time.Second, "Note saved to the journal.")

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
	for _, want := range []string{"Free-form drill (e2e)", "f1", "latency", strings.TrimPrefix(noted, "+"), "abort reason: " + reason, strings.TrimPrefix(retro, "-")} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the saved report lacks %q", want)
		}
	}
	recs := readJournal(t, strings.TrimSuffix(report, ".md")+".jsonl")
	checkFaultCycle(t, recs, "f1")
	if o := outcome(t, recs); o.Verdict != engine.VerdictAborted {
		t.Errorf("journal verdict %s (%s), want aborted", o.Verdict, o.Reason)
	}
	var notes []engine.Note
	for _, r := range recs {
		if r.Type == engine.RecNote && r.Note != nil {
			notes = append(notes, *r.Note)
		}
	}
	want := []engine.Note{
		{Kind: engine.Success, Text: strings.TrimPrefix(noted, "+")},
		{Kind: engine.Observation, Text: "abort reason: " + reason},
		{Kind: engine.Improvement, Text: strings.TrimPrefix(retro, "-")},
	}
	if !slices.Equal(notes, want) {
		t.Errorf("journaled notes %+v, want %+v", notes, want)
	}

	// esc: back to the picker for the next scenario.
	x.keys(t, "Escape")
	x.waitText(t, 30*time.Second, "pick a scenario", "› Free-form drill (e2e)")

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

// fits reports whether a screen captured at w×h is the console drawn for
// that size: h lines, none wider than w, the header first and the footer
// with the ABORT key last.
func fits(screen string, w, h int, title string) bool {
	lines := strings.Split(strings.TrimRight(screen, "\n"), "\n")
	if len(lines) != h || !strings.HasPrefix(lines[0], title) || !strings.Contains(lines[h-1], "ctrl+x ABORT") {
		return false
	}
	for _, l := range lines {
		if ansi.StringWidth(l) > w {
			return false
		}
	}
	return true
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
