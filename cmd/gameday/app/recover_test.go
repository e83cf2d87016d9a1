package app

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/providers/sandbox"
	"github.com/gameday-tui/gameday/scenarios"
)

// crashedJournal writes, in the journal directory, the journal of a run
// that was killed with f1 active (hook h1-abc) and f2 journaled as
// injecting (owner label only), its last line torn. It returns the path.
// The run acted on a sandbox that is provably gone: its pid is dead and its
// control address refuses connections.
func crashedJournal(t *testing.T, name string) string {
	t.Helper()
	return crashedJournalOf(t, name, goneSandbox(t))
}

// goneSandbox is the identity of a sandbox whose process has exited and
// whose control address refuses connections.
func goneSandbox(t *testing.T) providers.Identity {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	return providers.Identity{Provider: "sandbox", ID: "sb-gone", Fields: map[string]string{
		sandbox.IdentityControl: addr, sandbox.IdentityPID: strconv.Itoa(cmd.Process.Pid)}}
}

// crashedJournalOf is crashedJournal of a run on the system id.
func crashedJournalOf(t *testing.T, name string, id providers.Identity) string {
	t.Helper()
	dir, err := journalDir()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f1 := scenarios.Fault{Fault: providers.Fault{ID: "f1", Kind: providers.Latency, Params: providers.Params{Delay: time.Second}}}
	f2 := scenarios.Fault{Fault: providers.Fault{ID: "f2", Kind: providers.DependencyOutage}}
	plan := &scenarios.Plan{Title: "Crashed", Path: "test.yaml", Hypothesis: "h", Target: scenarios.Target{Provider: "sandbox"},
		Phases: scenarios.Phases{Baseline: time.Second, Fault: 10 * time.Second, Recovery: time.Second}, Faults: []scenarios.Fault{f1, f2}}
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	inj1 := &providers.Injection{FaultID: "f1", Provider: "sandbox", Kind: providers.Latency, Handles: []string{"h1-abc"}, Owner: "run1/f1", ExpiresAt: t0.Add(time.Minute)}
	inj2 := &providers.Injection{FaultID: "f2", Provider: "sandbox", Kind: providers.DependencyOutage, Owner: "run1/f2"}
	enc := engine.NewEncoder(f)
	for i, rec := range []engine.Record{
		{Type: engine.RecPlan, Plan: plan, Env: &engine.Environment{Provider: "sandbox", RunID: "run1", Identity: &id}},
		{Type: engine.RecPhase, Phase: "observing"},
		{Type: engine.RecFault, Fault: &engine.FaultStatus{Fault: f1, State: engine.FaultInjecting, Injection: &providers.Injection{FaultID: "f1", Owner: "run1/f1"}}},
		{Type: engine.RecFault, Fault: &engine.FaultStatus{Fault: f1, State: engine.FaultActive, Injection: inj1, InjectedAt: t0, EndsAt: t0.Add(10 * time.Second)}},
		{Type: engine.RecFault, Fault: &engine.FaultStatus{Fault: f2, State: engine.FaultInjecting, Injection: inj2}},
	} {
		rec.Seq, rec.At = i+1, t0.Add(time.Duration(i)*time.Second)
		if err := enc.Encode(rec); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.WriteString(`{"seq":6,"at":"2026-11-27T10:00:05Z","type":"sam`); err != nil {
		t.Fatal(err)
	}
	return path
}

func readRecords(t *testing.T, path string) []engine.Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := engine.ReadJournal(f)
	if err != nil {
		t.Fatalf("read %s after recover: %v", path, err)
	}
	return recs
}

// TestRecoverWithoutSandbox: the run and its sandbox died; recover says the
// faults ended with the sandbox, appends that after the torn line (which
// it removes), and the second time finds nothing to do.
func TestRecoverWithoutSandbox(t *testing.T) {
	t.Setenv(sandbox.StateDirEnv, t.TempDir())
	ctx := context.Background()
	crashedJournal(t, "20261127T100000Z-older.jsonl")
	path := crashedJournal(t, "20261127T110000Z-crashed.jsonl")

	if got := unfinishedNotice(); !strings.Contains(got, "gameday recover "+path) {
		t.Errorf("notice = %q, want it to name the latest journal %s", got, path)
	}
	out, errOut, code := execRoot(ctx, "recover")
	if code != ExitOK {
		t.Fatalf("recover: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	for _, want := range []string{"f1 latency: gone with its system — the sandbox sb-gone", "is not alive", "refuses connections", "f2 dependency-outage: gone with its system", "incomplete last line (line 6", path} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	recs := readRecords(t, path)
	if len(recs) != 8 || recs[5].Seq != 6 || recs[7].Seq != 8 {
		t.Fatalf("journal has %d records (last seq %d), want 5 + 3 recover records with seq 6–8", len(recs), recs[len(recs)-1].Seq)
	}
	for _, rec := range recs[5:] {
		if rec.Type != engine.RecRecover {
			t.Errorf("appended record %d is %q, want recover", rec.Seq, rec.Type)
		}
	}
	if u := engine.Unfinished(recs); len(u) != 0 {
		t.Errorf("still unfinished after recover: %+v", u)
	}
	if got := unfinishedNotice(); got != "" {
		t.Errorf("notice after recover = %q, want none", got)
	}
	var report bytes.Buffer
	if err := renderReport(&report, path, localReports(engine.English), false, nil); err != nil || !strings.Contains(report.String(), "recover") {
		t.Errorf("report after recover (%v) does not show the recovery:\n%s", err, report.String())
	}

	out, errOut, code = execRoot(ctx, "recover", path)
	if code != ExitOK || !strings.Contains(out, "nothing to recover") {
		t.Errorf("second recover: exit %d, stdout %q, stderr %q; want 0 and nothing to recover", code, out, errOut)
	}
	if n := len(readRecords(t, path)); n != 8 {
		t.Errorf("second recover changed the journal: %d records", n)
	}
	// The older journal is still unfinished: recover names it explicitly.
	out, _, code = execRoot(ctx, "recover", strings.Replace(path, "110000Z-crashed", "100000Z-older", 1))
	if code != ExitOK || !strings.Contains(out, "f1 latency") {
		t.Errorf("recover of the older journal: exit %d, %q", code, out)
	}
}

// TestRecoverRollbackFails: a sandbox runs but cannot undo; recover exits 4
// and prints the exact manual command, and the journal says so.
func TestRecoverRollbackFails(t *testing.T) {
	t.Setenv(sandbox.StateDirEnv, t.TempDir())
	var mu sync.Mutex
	var undos []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/identity":
			json.NewEncoder(w).Encode(map[string]any{"instance": "fake-1", "pid": os.Getpid()})
		case r.URL.Path == "/ping":
			json.NewEncoder(w).Encode(map[string]any{"instance": "fake-1", "pid": os.Getpid(), "lb": "http://127.0.0.1:1"})
		case r.URL.Path == "/verify":
			json.NewEncoder(w).Encode(sandbox.VerifyResult{Clean: true})
		case r.URL.Path == "/status":
			json.NewEncoder(w).Encode(sandbox.Status{Configured: 2, Running: 2,
				Database:   sandbox.ProcessStatus{State: sandbox.ProcessRunning},
				Dependency: sandbox.DependencyStatus{Mode: sandbox.DependencyNormal}})
		case r.Method == http.MethodDelete:
			mu.Lock()
			undos = append(undos, r.URL.Path)
			mu.Unlock()
			http.Error(w, `{"error":"undo could not be confirmed"}`, http.StatusInternalServerError)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	control := strings.TrimPrefix(srv.URL, "http://")
	if err := sandbox.WriteState(sandbox.State{Control: control, Token: "t", PID: os.Getpid(), Instance: "fake-1"}); err != nil {
		t.Fatal(err)
	}
	path := crashedJournalOf(t, "20261127T110000Z-crashed.jsonl", providers.Identity{Provider: "sandbox", ID: "fake-1",
		Fields: map[string]string{sandbox.IdentityControl: control, sandbox.IdentityPID: strconv.Itoa(os.Getpid())}})
	out, errOut, code := execRoot(context.Background(), "recover", "--timeout", "2s", path)
	if code != ExitRollbackFailed {
		t.Fatalf("exit %d, want %d; stdout %q stderr %q", code, ExitRollbackFailed, out, errOut)
	}
	if !strings.Contains(out, "f1 latency: NOT confirmed rolled back") || !strings.Contains(out, "manual: gameday sandbox undo h1-abc") {
		t.Errorf("stdout lacks f1's failure and manual command:\n%s", out)
	}
	// f2 has no hook to undo by ID, and the sandbox lists none with its
	// label: its rollback succeeds and verifies clean.
	if !strings.Contains(out, "f2 dependency-outage: rolled back, verified clean") {
		t.Errorf("stdout lacks f2's clean rollback:\n%s", out)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(undos) < 2 {
		t.Errorf("undo of h1-abc tried %d time(s), want retries", len(undos))
	}
	u := engine.Unfinished(readRecords(t, path))
	if len(u) != 1 || u[0].Fault.ID != "f1" || u[0].State != engine.FaultRollbackFailed || u[0].Manual != "gameday sandbox undo h1-abc" {
		t.Errorf("after a failed recover the journal shows %+v, want f1 rollback failed with its manual command", u)
	}
}

func TestRecoverBadJournal(t *testing.T) {
	t.Setenv(sandbox.StateDirEnv, t.TempDir())
	ctx := context.Background()
	notJournal := filepath.Join(t.TempDir(), "notes.jsonl")
	garbage := filepath.Join(t.TempDir(), "garbage.jsonl")
	for p, data := range map[string]string{
		notJournal: `{"seq":1,"type":"note","note":{"kind":"observation","text":"hi"}}` + "\n",
		garbage:    "not json\n{}\n",
	} {
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for name, tc := range map[string]struct {
		args   []string
		stderr string
	}{
		"missing file":  {[]string{"recover", "/nonexistent/j.jsonl"}, "open the journal"},
		"not a journal": {[]string{"recover", notJournal}, "not a gameday journal"},
		"bad line":      {[]string{"recover", garbage}, "journal line 1"},
		"two journals":  {[]string{"recover", "a", "b"}, "accepts at most 1 arg"},
		"bad timeout":   {[]string{"recover", "--timeout", "0s", notJournal}, "--timeout"},
	} {
		t.Run(name, func(t *testing.T) {
			out, errOut, code := execRoot(ctx, tc.args...)
			if code != ExitInvalid || !strings.Contains(errOut, tc.stderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d and %q", code, out, errOut, ExitInvalid, tc.stderr)
			}
		})
	}
	// No journal at all: nothing to recover, as the README promises.
	out, errOut, code := execRoot(ctx, "recover")
	if code != ExitOK || !strings.Contains(out, "nothing to recover: no journal in") {
		t.Errorf("no journal yet: exit %d, stdout %q, stderr %q; want 0 and nothing to recover", code, out, errOut)
	}
}

// TestRecoverLeavesLiveRunAlone: a journal whose run still holds it is
// neither recovered nor announced.
func TestRecoverLeavesLiveRunAlone(t *testing.T) {
	t.Setenv(sandbox.StateDirEnv, t.TempDir())
	path := crashedJournal(t, "20261127T110000Z-live.jsonl")
	live, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	if ok, err := lockJournal(live, true); err != nil || !ok {
		t.Skipf("no journal locks on this platform (%v)", err)
	}
	if got := unfinishedNotice(); got != "" {
		t.Errorf("notice for a live run's journal: %q", got)
	}
	out, errOut, code := execRoot(context.Background(), "recover", path)
	if code != ExitInvalid || !strings.Contains(errOut, "still being written") {
		t.Errorf("exit %d, stdout %q, stderr %q; want %d, still being written", code, out, errOut, ExitInvalid)
	}
	live.Close()
	if _, _, code := execRoot(context.Background(), "recover", path); code != ExitOK {
		t.Errorf("recover once the run let go: exit %d", code)
	}
}

// A journal whose last line is torn (a crashed run, or a live run read
// mid-write) still renders: the report covers every record before it.
func TestReportOfATornJournal(t *testing.T) {
	t.Setenv("GAMEDAY_STATE_DIR", t.TempDir())
	path := crashedJournal(t, "20261127T120000Z-torn.jsonl")
	var b bytes.Buffer
	if err := renderReport(&b, path, localReports(engine.English), false, nil); err != nil {
		t.Fatalf("report of a torn journal: %v", err)
	}
	if !strings.Contains(b.String(), "# Game day report: Crashed") || !strings.Contains(b.String(), "UNFINISHED") {
		t.Errorf("report:\n%s", b.String())
	}
	out, errOut, code := execRoot(context.Background(), "report", path)
	if code != ExitOK || !strings.Contains(out, "Crashed") {
		t.Errorf("gameday report: exit %d, stderr %q", code, errOut)
	}
}
