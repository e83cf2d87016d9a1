//go:build linux

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/engine"
)

// consoleDay is a game day of two shipped sandbox scenarios with phases
// short enough for a test (each about 15 s).
const consoleDay = `day:
  title: E2E console day
  participants:
    - { name: Sato, role: facilitator }
    - { name: Kato, role: on-call }
  checklist:
    - Dashboards open
    - On-call told
  experiments:
    - scenario: latency
      phases: { baseline: 3s, fault: 8s, recovery: 4s }
    - scenario: ./dependency-outage.yaml
      phases: { baseline: 3s, fault: 8s, recovery: 5s }
`

// TestDayConsoleInTmux walks a two-experiment day on the console, in a
// real terminal, against the sandbox the console starts: enter on the
// first experiment is refused until the checklist is ticked (and nothing
// runs); space ticks each item; the first experiment runs on the console
// to its end and esc comes back to the day; a note between experiments;
// the second runs at 160×48; e ends the day, whose report shows on the
// screen (r) and is on disk, where `gameday report INDEX` writes the
// same bytes from the index and the journals; q exits 0 and the sandbox
// goes with the console.
func TestDayConsoleInTmux(t *testing.T) {
	path, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tmux is not installed; .ci/run installs it")
		}
		t.Skip("tmux is not installed")
	}
	w := newWorld(t)
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join(moduleDir, "scenarios", "sandbox", "dependency-outage.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "dependency-outage.yaml"), string(src))
	day := writeFile(t, filepath.Join(dir, "day.yaml"), consoleDay)
	out := filepath.Join(dir, "out")
	exitFile := filepath.Join(t.TempDir(), "exit-code")

	x := &tmux{path: path, socket: fmt.Sprintf("gameday-e2e-day-%d", os.Getpid()), session: "day", env: w.env()}
	t.Cleanup(func() {
		if t.Failed() {
			if s, err := x.cmd("capture-pane", "-p", "-t", x.session); err == nil {
				t.Logf("last screen:\n%s", s)
			}
		}
		_, _ = x.cmd("kill-server")
	})
	command := fmt.Sprintf("env %s=%s %s day %s --out %s; echo $? > %s",
		"GAMEDAY_STATE_DIR", shellQuote(w.state), shellQuote(bin), shellQuote(day), shellQuote(out), shellQuote(exitFile))
	x.must(t, "new-session", "-d", "-s", x.session, "-x", "80", "-y", "24", "-c", w.work, command)

	// The day screen, the checklist first.
	x.waitText(t, time.Minute, "E2E console day", "Sato (facilitator) · Kato (on-call)", "Tick the checklist first: 2 of 2 items left")
	x.keys(t, "j")
	x.keys(t, "j")
	x.waitText(t, 30*time.Second, "› 1. Latency injection (500 ms)")
	x.keys(t, "Enter")
	x.waitText(t, 30*time.Second, "Tick the checklist first: 2 of 2 items are not ticked (item 1 is the first).")
	journals := func() []string {
		var js []string
		all, _ := filepath.Glob(filepath.Join(out, "*.jsonl"))
		for _, j := range all {
			if !strings.HasSuffix(j, ".day.jsonl") {
				js = append(js, j)
			}
		}
		return js
	}
	if js := journals(); len(js) != 0 {
		t.Fatalf("enter with the checklist not ticked started a run: %v", js)
	}
	x.keys(t, "k")
	x.keys(t, "k")
	x.waitText(t, 30*time.Second, "› [ ] Dashboards open")
	x.keys(t, "Space")
	x.waitText(t, 30*time.Second, "Preparation checklist · 1 of 2 ticked")
	x.keys(t, "Space")
	x.waitText(t, 30*time.Second, "✔ all 2 items ticked", "Experiment 1 of 2: Latency injection (500 ms) — enter starts it")

	// The first experiment, on the console as a picked scenario runs.
	x.keys(t, "Enter")
	x.waitText(t, time.Minute, "BASELINE")
	x.waitText(t, 2*time.Minute, "Run ended", "esc: the day")
	x.keys(t, "Escape")
	x.waitText(t, 30*time.Second, "1 of 2 experiments done", "Experiment 2 of 2: Dependency outage — enter starts it")

	// A note between experiments.
	x.keys(t, "n")
	x.waitText(t, 30*time.Second, "note ›")
	x.text(t, "-@kato 2026-12-20 alert on p95 per replica")
	x.keys(t, "Enter")
	x.waitText(t, 30*time.Second, "Note saved to the day's index.", "after 1 - improvement: @kato 2026-12-20 alert on p95 per replica")

	// The second, at 160×48: the plan card beside the day.
	x.must(t, "resize-window", "-t", x.session, "-x", "160", "-y", "48")
	x.waitText(t, 30*time.Second, "│ Experiment 2 of 2 · ○ next")
	x.keys(t, "Enter")
	x.waitText(t, time.Minute, "BASELINE")
	x.waitText(t, 2*time.Minute, "Run ended", "esc: the day")
	x.keys(t, "Escape")
	x.waitText(t, 30*time.Second, "2 of 2 experiments done", "Every experiment has had its turn")

	// The end of the day, and its report.
	x.keys(t, "e")
	x.waitText(t, 30*time.Second, "The day is over: every experiment had its turn.", "Day report: ")
	x.keys(t, "r")
	x.waitText(t, 30*time.Second, "Report — E2E console day", "Game day: E2E console day")
	x.keys(t, "Escape")
	x.waitText(t, 30*time.Second, "The day is over — r: its report · q: quit")
	x.keys(t, "q")
	deadline := time.Now().Add(2 * time.Minute)
	for x.alive() {
		if time.Now().After(deadline) {
			t.Fatalf("the console did not exit within 2m of q; the screen is:\n%s", x.screen(t))
		}
		time.Sleep(200 * time.Millisecond)
	}
	code, err := os.ReadFile(exitFile)
	if err != nil {
		t.Fatal(err)
	}

	// The index: ticked by the facilitator, both experiments ended, the
	// note after the first, the day over.
	indexes, _ := filepath.Glob(filepath.Join(out, "*.day.jsonl"))
	if len(indexes) != 1 {
		t.Fatalf("%d day indexes in %s, want 1", len(indexes), out)
	}
	index := indexes[0]
	f, err := os.Open(index)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := engine.ReadDay(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	st := engine.ReplayDay(recs)
	if st.End == nil || st.End.Stopped != "" {
		t.Errorf("the day's end %+v, want every experiment had its turn", st.End)
	}
	for i, c := range st.Checks {
		if !c.Done || c.By != "Sato" {
			t.Errorf("checklist item %d: %+v, want ticked by Sato", i+1, c)
		}
	}
	if len(st.Notes) != 1 || st.Notes[0].After != 0 || st.Notes[0].Note.Kind != engine.Improvement {
		t.Errorf("the day's notes %+v, want one improvement after experiment 1", st.Notes)
	}
	held := 0
	for i, e := range st.Experiments {
		if e.State != engine.ExperimentEnded {
			t.Errorf("experiment %d: %s, want ended", i+1, e.State)
			continue
		}
		jrecs := readJournal(t, filepath.Join(out, e.Journal))
		checkFaultCycle(t, jrecs, "f1")
		if o := outcome(t, jrecs); o.Verdict == engine.VerdictHeld {
			held++
		} else {
			t.Logf("experiment %d: %s (%s)", i+1, o.Verdict, o.Reason)
		}
	}
	// The exit code is the highest of the experiments': 0 when both held
	// against the resilient sandbox (as the headless day's test expects).
	if got := strings.TrimSpace(string(code)); held == 2 && got != "0" {
		t.Errorf("the console exited %s, want 0 with both experiments held", got)
	}

	// One report on disk, which gameday report INDEX reproduces.
	report := strings.TrimSuffix(index, ".jsonl") + ".md"
	want, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("the day wrote no report beside its index: %v", err)
	}
	rp, rc := w.run(t, time.Minute, "report", index)
	if rc != 0 || rp.stdout.String() != string(want) {
		t.Errorf("gameday report %s (exit %d) differs from the day's report:\n%s", index, rc, firstDiff(string(want), rp.stdout.String()))
	}
	for _, s := range []string{"# Game day: E2E console day", "alert on p95 per replica", "## Experiment 1: Latency injection (500 ms)", "## Experiment 2: Dependency outage", "- [x] On-call told — ticked at "} {
		if !strings.Contains(string(want), s) {
			t.Errorf("the day report lacks %q", s)
		}
	}
	if held != 2 {
		t.Errorf("%d of 2 experiments held against the resilient sandbox", held)
	}
	waitNoChildren(t, w.state, 30*time.Second)
}

// TestDayConsoleSIGTERM: a day's console told to stop (SIGTERM, as a
// closed session or a supervisor sends it) while an experiment's fault is
// active rolls the fault back, records the experiment's end and the day
// as interrupted, writes the day report, and exits 2 — it does not hang
// on its way out, and its sandbox goes with it.
func TestDayConsoleSIGTERM(t *testing.T) {
	path, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tmux is not installed; .ci/run installs it")
		}
		t.Skip("tmux is not installed")
	}
	w := newWorld(t)
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join(moduleDir, "scenarios", "sandbox", "dependency-outage.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "dependency-outage.yaml"), string(src))
	// A fault phase long enough to be sure the signal comes during it.
	day := writeFile(t, filepath.Join(dir, "day.yaml"), strings.Replace(consoleDay, "phases: { baseline: 3s, fault: 8s, recovery: 4s }", "phases: { baseline: 3s, fault: 2m, recovery: 4s }", 1))
	out := filepath.Join(dir, "out")
	exitFile := filepath.Join(t.TempDir(), "exit-code")
	pidFile := filepath.Join(t.TempDir(), "pid")

	x := &tmux{path: path, socket: fmt.Sprintf("gameday-e2e-dayterm-%d", os.Getpid()), session: "day", env: w.env()}
	t.Cleanup(func() {
		if t.Failed() {
			if s, err := x.cmd("capture-pane", "-p", "-t", x.session); err == nil {
				t.Logf("last screen:\n%s", s)
			}
		}
		_, _ = x.cmd("kill-server")
	})
	// exec: the pid the shell writes is gameday's.
	command := fmt.Sprintf("sh -c 'echo $$ > %s; exec env %s=%s %s day %s --out %s'; echo $? > %s",
		pidFile, "GAMEDAY_STATE_DIR", w.state, bin, day, out, shellQuote(exitFile))
	x.must(t, "new-session", "-d", "-s", x.session, "-x", "100", "-y", "30", "-c", w.work, command)
	x.waitText(t, time.Minute, "Tick the checklist first: 2 of 2 items left")
	x.keys(t, "Space")
	x.waitText(t, 30*time.Second, "1 of 2 ticked")
	x.keys(t, "Space")
	x.waitText(t, 30*time.Second, "enter starts it")
	x.keys(t, "Enter")
	x.waitText(t, time.Minute, "FAULT ACTIVE f1 latency")

	if got := sigtermAndWait(t, x, pidFile, exitFile); got != "2" {
		t.Errorf("exit %s after SIGTERM mid-experiment, want 2 (the day interrupted)", got)
	}

	indexes, _ := filepath.Glob(filepath.Join(out, "*.day.jsonl"))
	if len(indexes) != 1 {
		t.Fatalf("%d day indexes in %s, want 1", len(indexes), out)
	}
	f, err := os.Open(indexes[0])
	if err != nil {
		t.Fatal(err)
	}
	recs, err := engine.ReadDay(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	st := engine.ReplayDay(recs)
	if st.End == nil || st.End.Stopped != engine.DayStopInterrupted || st.End.After != 0 {
		t.Errorf("the day's end %+v, want interrupted after experiment 1", st.End)
	}
	if e := st.Experiments[0]; e.State != engine.ExperimentEnded {
		t.Fatalf("experiment 1: %+v, want ended", e)
	}
	jrecs := readJournal(t, filepath.Join(out, st.Experiments[0].Journal))
	checkFaultCycle(t, jrecs, "f1")
	if o := outcome(t, jrecs); o.Verdict != engine.VerdictAborted {
		t.Errorf("experiment 1: verdict %s (%s), want aborted", o.Verdict, o.Reason)
	}
	if _, err := os.Stat(strings.TrimSuffix(indexes[0], ".jsonl") + ".md"); err != nil {
		t.Errorf("no day report after SIGTERM: %v", err)
	}
	waitNoChildren(t, w.state, 30*time.Second)
}
