package e2e

import (
	"bufio"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/engine"
)

const signalScenario = `title: Signal e2e
hypothesis: every signal rolls the fault back
blast_radius: one replica
rollback: any caught signal
target: { provider: sandbox }
load: { rate: 20, path: /api/users/7 }
steady_state:
  error_rate: { max: 0.5 }
phases: { baseline: 2s, fault: 1m, recovery: 1s }
faults:
  - kind: latency
    selection: { count: 1 }
    params: { delay: 50ms }
`

// Every signal that can be caught — INT, TERM, HUP (a closed terminal),
// PIPE and QUIT — leads to the same rollback as Ctrl+C: the headless run
// exits 2 with its fault rolled back and verified, the journal says so.
func TestEverySignalRollsBack(t *testing.T) {
	w := newWorld(t)
	sb := w.startSandbox(t)
	sb.waitInitial(t, 60*time.Second)
	dir := t.TempDir()
	scenario := writeFile(t, filepath.Join(dir, "signal.yaml"), signalScenario)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGPIPE, syscall.SIGQUIT} {
		t.Run(sig.String(), func(t *testing.T) {
			journal := filepath.Join(dir, strings.ReplaceAll(sig.String(), " ", "-")+".jsonl")
			p := w.start(t, 2*time.Minute, "run", scenario, "--headless", "--journal", journal)
			p.waitOutput(t, "f1 latency: active", time.Minute)
			if err := p.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if code := p.wait(t, time.Minute); code != 2 {
				t.Fatalf("exit %d after %s, want 2 (aborted)\n%s", code, sig, p.output())
			}
			recs := readJournal(t, journal)
			st := checkFaultCycle(t, recs, "f1")
			if st.State != engine.FaultRolledBack || st.Verification == nil || !st.Verification.Clean {
				t.Errorf("f1 ends %s (verification %+v), want rolled back and verified clean", st.State, st.Verification)
			}
			if o := outcome(t, recs); o.Verdict != engine.VerdictAborted || !strings.Contains(o.Reason, "signal") {
				t.Errorf("verdict %s (%s), want aborted by the signal", o.Verdict, o.Reason)
			}
			sb.waitInitial(t, 30*time.Second)
		})
	}
}

// A headless run piped into `head -1` loses its output, not its run: it
// goes on to its verdict, and exits with the verdict's code, not 141.
func TestBrokenStdoutDoesNotStopTheRun(t *testing.T) {
	w := newWorld(t)
	sb := w.startSandbox(t)
	sb.waitInitial(t, 60*time.Second)
	dir := t.TempDir()
	scenario := writeFile(t, filepath.Join(dir, "pipe.yaml"), strings.Replace(signalScenario, "fault: 1m", "fault: 3s", 1))
	journal := filepath.Join(dir, "pipe.jsonl")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "run", scenario, "--headless", "--journal", journal)
	cmd.Dir, cmd.Env = w.work, w.env()
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Read one line, then close the pipe as head would.
	line, _ := bufio.NewReader(out).ReadString('\n')
	out.Close()
	err = cmd.Wait()
	code := cmd.ProcessState.ExitCode()
	if code != 0 && code != 1 {
		t.Fatalf("exit %d (%v) after its stdout closed; first line %q — want the verdict's code", code, err, line)
	}
	recs := readJournal(t, journal)
	if o := outcome(t, recs); o.Verdict != engine.VerdictHeld && o.Verdict != engine.VerdictViolated {
		t.Errorf("verdict %s (%s), want the run to reach its verdict", o.Verdict, o.Reason)
	}
	if st := checkFaultCycle(t, recs, "f1"); st.State != engine.FaultRolledBack {
		t.Errorf("f1 ends %s", st.State)
	}
}
