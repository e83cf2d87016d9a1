//go:build linux

package e2e

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/engine"
)

// twoExperimentDay is a game day of two shipped sandbox scenarios: one by
// the name gameday list shows, one by a path next to the day file.
const twoExperimentDay = `day:
  title: E2E game day
  participants:
    - { name: Sato, role: facilitator }
    - { name: Kato, role: on-call }
  checklist:
    - Dashboards open
    - On-call told
  experiments:
    - scenario: latency
      phases: { recovery: 4s }
    - scenario: ./dependency-outage.yaml
      phases: { recovery: 5s }
`

// TestWholeDayHeadless runs a two-experiment game day headless, with
// short phases, against one separately started sandbox: the day refuses
// to start until its checklist is confirmed; then each experiment holds
// and is rolled back clean, the day writes one index, one report — which
// `gameday report INDEX` reproduces byte for byte — and one JUnit file
// with a test suite per experiment, and exits 0.
func TestWholeDayHeadless(t *testing.T) {
	w := newWorld(t)
	sb := w.startSandbox(t, "--restart-delay", "2s")
	before := sb.waitInitial(t, time.Minute)
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join(moduleDir, "scenarios", "sandbox", "dependency-outage.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "dependency-outage.yaml"), string(src))
	day := writeFile(t, filepath.Join(dir, "day.yaml"), twoExperimentDay)
	out, junit := filepath.Join(dir, "out"), filepath.Join(dir, "day.xml")

	// Without --checklist-done nothing runs.
	p, code := w.run(t, time.Minute, "day", day, "--headless", "--out", out)
	if code != 3 || !strings.Contains(p.stderr.String(), "[ ] 2. On-call told") {
		t.Errorf("without the checklist: exit %d, want 3 naming the items\n%s", code, p.output())
	}
	if idx, _ := filepath.Glob(filepath.Join(out, "*")); len(idx) != 0 {
		t.Errorf("a refused day wrote %v", idx)
	}

	started := time.Now()
	p, code = w.run(t, 2*runLimit, "day", day, "--headless", "--checklist-done", "--out", out, "--junit", junit, "--baseline", "3s", "--fault", "8s")
	t.Logf("a two-experiment day (phases 3s + 8s + 4s, then 3s + 8s + 5s) took %s", time.Since(started).Round(100*time.Millisecond))
	if code != 0 {
		t.Fatalf("exit code %d, want 0 (both hold against the resilient sandbox)\n%s", code, p.output())
	}
	if n := strings.Count(p.stderr.String(), "attached to the running sandbox"); n != 1 {
		t.Errorf("the day attached to the sandbox %d times, want once for the whole day\n%s", n, p.output())
	}

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
	if st.End == nil || st.End.Stopped != "" || len(st.Unticked()) != 0 || len(st.Experiments) != 2 {
		t.Fatalf("day state: end %+v, unticked %v, %d experiments", st.End, st.Unticked(), len(st.Experiments))
	}
	if ph := st.Plans[1].Phases; ph.Baseline != 3*time.Second || ph.Fault != 8*time.Second || ph.Recovery != 5*time.Second {
		t.Errorf("experiment 2 ran with %+v, want the command line's baseline and fault, the day's recovery", ph)
	}
	for i, e := range st.Experiments {
		if e.State != engine.ExperimentEnded {
			t.Errorf("experiment %d: %s", i+1, e.State)
			continue
		}
		jrecs := readJournal(t, filepath.Join(out, e.Journal))
		if o := outcome(t, jrecs); o.Verdict != engine.VerdictHeld {
			t.Errorf("experiment %d: verdict %s (%s), want held", i+1, o.Verdict, o.Reason)
		}
		checkFaultCycle(t, jrecs, "f1")
		if _, err := os.Stat(filepath.Join(out, strings.TrimSuffix(e.Journal, ".jsonl")+".md")); err != nil {
			t.Errorf("experiment %d wrote no report of its own: %v", i+1, err)
		}
	}
	after := sb.waitInitial(t, time.Minute)
	if after.Configured != before.Configured {
		t.Errorf("the sandbox has %d replicas configured after the day, %d before", after.Configured, before.Configured)
	}

	// One report, reproduced from the index and the journals alone.
	report := strings.TrimSuffix(index, ".jsonl") + ".md"
	want, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("the day wrote no report beside its index: %v", err)
	}
	rp, code := w.run(t, time.Minute, "report", index)
	if code != 0 || rp.stdout.String() != string(want) {
		t.Errorf("gameday report %s (exit %d) differs from the day's report:\n%s", index, code, firstDiff(string(want), rp.stdout.String()))
	}
	for _, s := range []string{
		"# Game day: E2E game day",
		"**Day: ✅ HELD** — 2 experiments: ✅ HELD × 2",
		"| 1 | Latency injection (500 ms) | ",
		"| 2 | Dependency outage | ",
		"- [x] On-call told — ticked at ",
		"- Kato (on-call)",
		"## Experiment 1: Latency injection (500 ms)",
		"## Experiment 2: Dependency outage",
		"### Rollback and verification",
	} {
		if !strings.Contains(string(want), s) {
			t.Errorf("the day report lacks %q", s)
		}
	}
	if got := strings.Count(string(want), "\n# "); got != 0 || !strings.HasPrefix(string(want), "# ") {
		t.Errorf("the day report has %d more level-1 headings, want only its title", got)
	}
	jp, code := w.run(t, time.Minute, "report", index, "--lang", "ja")
	if code != 0 || !strings.Contains(jp.stdout.String(), "## 実験 2: 外部依存の障害") {
		t.Errorf("the Japanese day report (exit %d) lacks its experiments", code)
	}

	// One JUnit file: a suite per experiment, in order, each as a run's.
	b, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var suites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Errors   int          `xml:"errors,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b, &suites); err != nil {
		t.Fatalf("the day's JUnit is not valid XML: %v\n%s", err, b)
	}
	if suites.Name != "E2E game day" || len(suites.Suites) != 2 || suites.Failures != 0 || suites.Errors != 0 {
		t.Fatalf("testsuites %q: %d suites, %d failures, %d errors", suites.Name, len(suites.Suites), suites.Failures, suites.Errors)
	}
	tests := 0
	for i, s := range suites.Suites {
		if s.Name != st.Plans[i].Title {
			t.Errorf("suite %d is %q, want the experiment's title %q", i+1, s.Name, st.Plans[i].Title)
		}
		tests += s.Tests
		var names []string
		for _, c := range s.Cases {
			names = append(names, c.Name)
		}
		if !slices.Contains(names, "run") || !slices.Contains(names, "rollback: f1 ("+string(st.Plans[i].Faults[0].Kind)+")") {
			t.Errorf("suite %d cases %q lack the run and the rollback", i+1, names)
		}
	}
	if suites.Tests != tests {
		t.Errorf("testsuites tests=%d, its suites hold %d", suites.Tests, tests)
	}
}
