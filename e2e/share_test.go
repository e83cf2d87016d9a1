//go:build linux

package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/gameday-tui/gameday/engine"
)

// shareScenario is the latency scenario with its fault on demand and a
// long fault phase: the test fires it by key and ends the run with the
// facilitator's abort.
const shareScenario = `title: Latency injection (e2e-share)
hypothesis: With 300 ms of added latency on half the replicas, fewer than 1% of requests fail
blast_radius: 50% of the sandbox replicas (2 of 4)
rollback: abort (ctrl+x) removes the delay at once
target: { provider: sandbox }
load: { rate: 100, path: /api/users/7, timeout: 2s }
steady_state:
  p95_ms: { max: 1000 }
  error_rate: { max: 0.01 }
  throughput_rps: { min: 90 }
phases: { baseline: 5s, fault: 3m, recovery: 3s }
faults:
  - kind: latency
    selection: { percent: 50 }
    manual: true
    params: { delay: 300ms, jitter: 100ms }
`

// phaseWord is the phase on a console's header: the first upper-case
// words after a │ ("OBSERVING", "ROLLING BACK", "FAULT").
var phaseWord = regexp.MustCompile(`│\s*([A-Z]{3,}(?: [A-Z]{3,})?)\b`)

// stackedP95 is the p95 on the narrow layout: the graph's side label
// "p95 latency", its value on the next line.
var stackedP95 = regexp.MustCompile(`(?m)^p95 latency[^\n]*\n([0-9]+(?:\.[0-9]+)?) ms`)

// reading is what one console shows at one moment.
type reading struct {
	at    time.Time
	phase string
	p95   string
}

// read takes a console's phase and p95 from its screen; ok is false when
// the screen shows either not (yet).
func read(screen string, at time.Time) (reading, bool) {
	header, _, _ := strings.Cut(screen, "\n")
	ph := phaseWord.FindStringSubmatch(header)
	v := p95Title.FindStringSubmatch(screen)
	if v == nil {
		v = stackedP95.FindStringSubmatch(screen)
	}
	if ph == nil || v == nil {
		return reading{}, false
	}
	return reading{at: at, phase: ph[1], p95: v[1]}, true
}

// sameWithinASecond polls the facilitator's console and the watchers'
// for d and checks that whatever phase and p95 the facilitator shows,
// each watcher shows too, within a second of it. It returns how many
// different p95 values the facilitator showed.
func sameWithinASecond(t *testing.T, d time.Duration, facilitator *tmux, watchers ...*tmux) int {
	t.Helper()
	const slack = time.Second
	screens := append([]*tmux{facilitator}, watchers...)
	series := make([][]reading, len(screens))
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		for i, x := range screens {
			now := time.Now()
			if r, ok := read(x.screen(t), now); ok {
				series[i] = append(series[i], r)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(series[0]) < 10 {
		t.Fatalf("the facilitator's screen showed a phase and a p95 only %d times in %s", len(series[0]), d)
	}
	values := map[string]bool{}
	for _, f := range series[0] {
		values[f.p95] = true
		for i, ws := range series[1:] {
			seen := false
			for _, w := range ws {
				if w.phase == f.phase && w.p95 == f.p95 && w.at.Sub(f.at).Abs() <= slack {
					seen = true
					break
				}
			}
			if !seen {
				t.Errorf("at %s the facilitator showed %s with p95 %s ms; watcher %s did not within a second (it showed %s)",
					f.at.Format("15:04:05.000"), f.phase, f.p95, screens[i+1].session, around(ws, f.at))
			}
		}
	}
	return len(values)
}

// around lists what a watcher showed within two seconds of at.
func around(rs []reading, at time.Time) string {
	var out []string
	for _, r := range rs {
		if r.at.Sub(at).Abs() <= 2*time.Second {
			out = append(out, fmt.Sprintf("%s %s %s", r.at.Format("05.000"), r.phase, r.p95))
		}
	}
	return strings.Join(out, ", ")
}

// liveJournal reads a journal its run may be writing: a torn last line is
// left out.
func liveJournal(t *testing.T, stateDir string) (string, []engine.Record) {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(stateDir, "journals", "*.jsonl"))
	if err != nil || len(paths) != 1 {
		t.Fatalf("want one journal in %s/journals, found %v (%v)", stateDir, paths, err)
	}
	f, err := os.Open(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := engine.ReadJournal(f)
	var torn *engine.TornRecordError
	if err != nil && !errors.As(err, &torn) {
		t.Fatalf("read the journal: %v", err)
	}
	return paths[0], recs
}

// fitsAt checks that a console was drawn for its own terminal, w×h, with
// footer on its last line.
func fitsAt(t *testing.T, who, screen string, w, h int, footer string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(screen, "\n"), "\n")
	if len(lines) != h {
		t.Errorf("%s: %d lines on a %d×%d terminal", who, len(lines), w, h)
	}
	wide := 0
	for _, l := range lines {
		wide = max(wide, ansi.StringWidth(strings.TrimRight(l, " ")))
	}
	if wide > w || wide < w*3/4 {
		t.Errorf("%s: the widest line is %d cells on a %d-column terminal", who, wide, w)
	}
	if !strings.Contains(lines[len(lines)-1], footer) {
		t.Errorf("%s: the last line is %q, want %q in it", who, lines[len(lines)-1], footer)
	}
}

// TestShareInTmux is team mode as a team runs it: the facilitator's
// console with --share against the sandbox, a watcher who joins before
// the run and a scribe who joins late. The watchers show the facilitator's
// phase and p95 within a second, each at its own terminal size; a
// watcher's ctrl+x, X and fault key do nothing; the scribe's note is in
// the facilitator's timeline and report under the scribe's name; killing
// a watcher changes nothing for the run; the facilitator's ctrl+x ends it.
func TestShareInTmux(t *testing.T) {
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
	writeFile(t, filepath.Join(scDir, "latency-share.yaml"), shareScenario)
	const title = "Latency injection (e2e-share)"
	exits := t.TempDir()
	socket := fmt.Sprintf("gameday-e2e-share-%d", os.Getpid())
	fac := &tmux{path: path, socket: socket, session: "facilitator", env: w.env()}
	watcher := &tmux{path: path, socket: socket, session: "watcher", env: w.env()}
	scribe := &tmux{path: path, socket: socket, session: "scribe", env: w.env()}
	t.Cleanup(func() {
		if t.Failed() {
			for _, x := range []*tmux{fac, watcher, scribe} {
				if s, err := x.cmd("capture-pane", "-p", "-t", x.session); err == nil {
					t.Logf("last screen of %s:\n%s", x.session, s)
				}
			}
		}
		_, _ = fac.cmd("kill-server")
	})
	env := "env GAMEDAY_STATE_DIR=" + shellQuote(w.state) + " "
	fac.must(t, "new-session", "-d", "-s", fac.session, "-x", "120", "-y", "40", "-c", w.work,
		env+shellQuote(bin)+" --scenarios "+shellQuote(scDir)+" --share; echo $? > "+shellQuote(filepath.Join(exits, "facilitator")))

	// The join line is on the banner; w shows the scribe's too.
	s := fac.waitText(t, time.Minute, "pick a scenario", "Team mode: gameday watch ")
	m := regexp.MustCompile(`Team mode: gameday watch ([a-z0-9]+@127\.0\.0\.1:[0-9]+)`).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no watch line on the banner:\n%s", s)
	}
	watchJoin := m[1]
	fac.keys(t, "w")
	s = fac.waitText(t, 30*time.Second, "Team mode", "gameday watch --scribe NAME ")
	m = regexp.MustCompile(`gameday watch --scribe NAME ([a-z0-9]+@127\.0\.0\.1:[0-9]+)`).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no scribe line on w:\n%s", s)
	}
	scribeJoin := m[1]
	if !strings.Contains(s, "  gameday watch "+watchJoin) {
		t.Errorf("w does not show the watch line:\n%s", s)
	}
	fac.keys(t, "Escape")

	// A watcher joins before the run, at a terminal of its own size, and
	// waits. exec: the pane's process is gameday itself, to be killed.
	watcher.must(t, "new-session", "-d", "-s", watcher.session, "-x", "150", "-y", "45", "-c", w.work,
		"exec "+env+shellQuote(bin)+" watch "+watchJoin)
	watcher.waitText(t, 30*time.Second, "waiting for the facilitator to start a run")

	// The facilitator starts the run and fires the fault by its key.
	fac.keys(t, "/")
	fac.waitText(t, 30*time.Second, "type to filter")
	fac.text(t, "e2e-share")
	fac.waitText(t, 30*time.Second, "1 of ")
	fac.keys(t, "Enter")
	fac.waitScreen(t, "our scenario selected", 30*time.Second, func(s string) bool { return strings.Contains(s, "› "+title) })
	fac.keys(t, "Enter")
	watcher.waitText(t, time.Minute, title, "WATCHING · read-only")
	fac.waitText(t, time.Minute, "to trigger now")
	fac.keys(t, "1")
	fac.waitText(t, time.Minute, "● ACTIVE")

	// The scribe joins late, on a narrow terminal: the run so far is
	// filled in (the fault went active before it joined).
	time.Sleep(2 * time.Second)
	scribe.must(t, "new-session", "-d", "-s", scribe.session, "-x", "100", "-y", "30", "-c", w.work,
		env+shellQuote(bin)+" watch --scribe Tanaka "+scribeJoin+"; echo $? > "+shellQuote(filepath.Join(exits, "scribe")))
	s = scribe.waitText(t, time.Minute, title, "SCRIBE · notes only", "● ACTIVE", "● f1 latency: active")
	fitsAt(t, "the scribe", s, 100, 30, "SCRIBE · notes only")
	fitsAt(t, "the watcher", watcher.screen(t), 150, 45, "WATCHING · read-only")
	if strings.Contains(watcher.screen(t), "ABORT") {
		t.Errorf("a watcher's screen offers ABORT:\n%s", watcher.screen(t))
	}

	// The same phase and p95, within a second.
	n := sameWithinASecond(t, 8*time.Second, fac, watcher, scribe)
	t.Logf("the watchers followed %d p95 values of the facilitator's within a second", n)
	if n < 3 {
		t.Errorf("the facilitator showed only %d p95 values in 8 s: nothing to compare", n)
	}

	// A watcher's keys change nothing: not ctrl+x, X, a fault key, n.
	for _, k := range []string{"C-x", "X", "1", "n", "x", "Enter"} {
		watcher.keys(t, k)
	}
	time.Sleep(3 * time.Second)
	journal, recs := liveJournal(t, w.state)
	for _, r := range recs {
		if r.Type == engine.RecAbort || r.Type == engine.RecNote {
			t.Errorf("the journal has a %s record after a watcher's keys: %+v", r.Type, r)
		}
	}
	s = fac.screen(t)
	if strings.Contains(s, "ABORT:") || strings.Contains(s, "ROLLING BACK") || !strings.Contains(s, "● ACTIVE") {
		t.Errorf("the facilitator's console changed after a watcher's keys:\n%s", s)
	}

	// The scribe's note.
	const note = "-@sato raise the latency alert"
	scribe.keys(t, "n")
	scribe.waitText(t, 30*time.Second, "note ›")
	scribe.text(t, note)
	scribe.keys(t, "Enter")
	scribe.waitText(t, 30*time.Second, "Note saved to the journal.")
	fac.waitText(t, 30*time.Second, "improvement: Tanaka: @sato raise the latency alert")
	watcher.waitText(t, 30*time.Second, "improvement: Tanaka: @sato raise the latency alert")

	// Kill the watcher: the run goes on as before.
	pid, err := strconv.Atoi(strings.TrimSpace(watcher.must(t, "list-panes", "-t", watcher.session, "-F", "#{pane_pid}")))
	if err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill the watcher (pid %d): %v", pid, err)
	}
	n = sameWithinASecond(t, 6*time.Second, fac, scribe)
	t.Logf("after the kill the scribe followed %d p95 values within a second", n)
	_, recs = liveJournal(t, w.state)
	var last time.Time
	after := 0
	for _, r := range recs {
		if r.Type == engine.RecAbort {
			t.Errorf("the journal has an abort after the watcher was killed: %+v", r)
		}
		if r.Type != engine.RecSample || r.Sample.At.Before(killed.Add(-3*time.Second)) {
			continue
		}
		if !last.IsZero() && r.Sample.At.Sub(last) > 1500*time.Millisecond {
			t.Errorf("no sample between %s and %s: the run stalled around the kill at %s",
				last.Format("15:04:05.000"), r.Sample.At.Format("15:04:05.000"), killed.Format("15:04:05.000"))
		}
		last = r.Sample.At
		if r.Sample.At.After(killed) {
			after++
		}
	}
	if after < 4 {
		t.Errorf("%d samples in the 6 s after the kill, want at least 4", after)
	}

	// The facilitator's abort ends the run. (A console that asks why
	// gets enter: no reason.)
	fac.keys(t, "C-x")
	s = fac.waitScreen(t, "the abort under way", time.Minute, func(s string) bool {
		return strings.Contains(s, "why?") || strings.Contains(s, "rolled back")
	})
	if strings.Contains(s, "why?") {
		fac.keys(t, "Enter")
	}
	fac.waitText(t, 2*time.Minute, "Run ended")
	scribe.waitText(t, time.Minute, "Run ended")
	fac.keys(t, "s")
	fac.waitText(t, 30*time.Second, "Report saved to ")
	report, err := os.ReadFile(strings.TrimSuffix(journal, ".jsonl") + ".md")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{title, "🔧 improvement by Tanaka: @sato raise the latency alert", "raise the latency alert", "abort key"} {
		if !strings.Contains(string(report), want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	recs = readJournal(t, journal)
	checkFaultCycle(t, recs, "f1")
	if o := outcome(t, recs); o.Verdict != engine.VerdictAborted || !strings.Contains(o.Reason, "ctrl+x") {
		t.Errorf("journal verdict %s (%s), want aborted by the facilitator's ctrl+x", o.Verdict, o.Reason)
	}
	aborts := 0
	for _, r := range recs {
		if r.Type == engine.RecAbort {
			aborts++
		}
	}
	if aborts != 1 {
		t.Errorf("%d abort records, want the facilitator's one", aborts)
	}

	// The facilitator leaves: the scribe is told, and stays readable.
	fac.keys(t, "q")
	waitGone(t, fac, 2*time.Minute)
	s = scribe.waitText(t, 30*time.Second, "the facilitator's console closed")
	if !strings.Contains(s, title) || !strings.Contains(s, "Run ended") {
		t.Errorf("the scribe's console is not readable after the facilitator left:\n%s", s)
	}
	scribe.keys(t, "q")
	waitGone(t, scribe, 30*time.Second)
	for _, who := range []string{"facilitator", "scribe"} {
		code, err := os.ReadFile(filepath.Join(exits, who))
		if err != nil || strings.TrimSpace(string(code)) != "0" {
			t.Errorf("the %s's gameday exited with %q (%v), want 0", who, code, err)
		}
	}
	waitNoChildren(t, w.state, 30*time.Second)
}

// waitGone waits until x's session has ended.
func waitGone(t *testing.T, x *tmux, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for x.alive() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not exit within %s; the screen is:\n%s", x.session, d, x.screen(t))
		}
		time.Sleep(200 * time.Millisecond)
	}
}
