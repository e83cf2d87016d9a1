package e2e

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/engine"
)

// ladderScenario widens 400 ms of latency over 1, 2, then 3 of the
// sandbox's 25 replicas while p95 holds. Round robin sends each replica
// 4 % of the requests: 1 slow replica (4 %) keeps p95 fast, 2 (8 %) push
// it past 300 ms. The known answer: step 1 holds, step 2 breaches, and the
// ladder stops there.
const ladderScenario = `title: Latency ladder e2e
hypothesis: p95 stays under 300 ms while latency widens from 1 to 3 replicas
blast_radius: 1, then 2, then 3 of the 25 replicas
rollback: the ladder stops at the first breach
target: { provider: sandbox }
load: { rate: 100, path: /api/users/7, timeout: 2s }
steady_state:
  p95_ms: { max: 300 }
phases: { baseline: 6s, fault: 45s, recovery: 4s }
faults:
  - kind: latency
    selection: { steps: [1, 2, 3], hold: 10s }
    params: { delay: 400ms }
`

func TestLadderStopsAtTheBreachingStep(t *testing.T) {
	w := newWorld(t)
	sb := w.startSandbox(t, "--replicas", "25")
	sb.waitInitial(t, 2*time.Minute)
	dir := t.TempDir()
	scenario := writeFile(t, filepath.Join(dir, "ladder.yaml"), ladderScenario)
	journal, report := filepath.Join(dir, "ladder.jsonl"), filepath.Join(dir, "ladder.md")
	p, code := w.run(t, 3*time.Minute, "run", scenario, "--headless", "--journal", journal, "--report", report)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (the ladder breached)\n%s", code, p.output())
	}
	recs := readJournal(t, journal)
	var steps []string
	for _, r := range recs {
		if r.Type == engine.RecStep {
			steps = append(steps, r.Step.What+" "+r.Step.Selection.String())
		}
	}
	want := "started count 1,held count 1,started count 2,breached count 2"
	if got := strings.Join(steps, ","); got != want {
		t.Errorf("steps %q, want %q", got, want)
	}
	o := outcome(t, recs)
	if o.Verdict != engine.VerdictViolated || !strings.Contains(o.Reason, "ladder breached at step 2 of 3 (count 2)") || !strings.Contains(o.Reason, "the widest step that held: 1 (count 1)") {
		t.Errorf("verdict %s (%s)", o.Verdict, o.Reason)
	}
	if st := checkFaultCycle(t, recs, "f1"); st.State != engine.FaultRolledBack {
		t.Errorf("f1 ends %s", st.State)
	}
	sb.waitInitial(t, 30*time.Second)
}
