package e2e

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/engine"
)

const recoverScenario = `title: Recover e2e
hypothesis: a crashed run is recovered only by a recover that reaches its sandbox
blast_radius: one replica
rollback: gameday recover
target: { provider: sandbox }
load: { rate: 20, path: /api/users/7 }
steady_state:
  error_rate: { max: 0.5 }
phases: { baseline: 2s, fault: 5m, recovery: 1s }
faults:
  - kind: latency
    selection: { count: 1 }
    params: { delay: 50ms }
`

// A run is SIGKILLed with its fault in place. A recover under another HOME
// and state directory (sudo, another CI step) cannot reach that sandbox
// with its token: it says what it could not check, exits 4, and journals
// nothing as rolled back — the hook is still there. A recover with the
// run's state directory then rolls it back and verifies it clean.
func TestRecoverFromAnotherStateDir(t *testing.T) {
	w := newWorld(t)
	sb := w.startSandbox(t)
	sb.waitInitial(t, 60*time.Second)
	scenario := writeFile(t, filepath.Join(t.TempDir(), "recover.yaml"), recoverScenario)
	p := w.start(t, 2*time.Minute, "run", scenario, "--headless")
	journal := crashJournalPath(t, p)
	crashWaitFault(t, p, journal, engine.FaultActive)
	crashKill(t, p)
	if n := len(crashActiveHooks(t, sb)); n != 1 {
		t.Fatalf("%d active hooks after the kill, want the fault's one", n)
	}

	other := &world{state: t.TempDir(), home: t.TempDir(), work: w.work}
	rp, code := other.run(t, time.Minute, "recover", journal)
	if code != 4 {
		t.Fatalf("recover from another state dir: exit %d, want 4\n%s", code, rp.output())
	}
	if out := rp.stdout.String(); !strings.Contains(out, "NOT confirmed rolled back") || !strings.Contains(out, "no state file I can read holds its token") {
		t.Errorf("recover does not say what it could not check:\n%s", rp.output())
	}
	if n := len(crashActiveHooks(t, sb)); n != 1 {
		t.Errorf("%d active hooks after the unreaching recover, want the fault still in place", n)
	}
	if u := engine.Unfinished(crashRead(t, journal)); len(u) != 1 {
		t.Errorf("%d unfinished faults in the journal, want 1: nothing may be journaled as rolled back", len(u))
	}

	rp, code = w.run(t, time.Minute, "recover", journal)
	if code != 0 || !strings.Contains(rp.stdout.String(), "f1 latency: rolled back, verified clean") {
		t.Fatalf("recover with the run's state dir: exit %d\n%s", code, rp.output())
	}
	crashWaitClean(t, sb, 30*time.Second, "after the right recover")
}
