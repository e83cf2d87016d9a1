//go:build linux

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/providers/sandbox"
)

// bin is the gameday binary TestMain builds for this test process.
var bin string

// moduleDir is the root of the gameday module.
var moduleDir string

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) int {
	root, err := findModuleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	moduleDir = root
	dir, err := os.MkdirTemp("", "gameday-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: make a directory for the binary:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin = filepath.Join(dir, "gameday")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/gameday")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build ./cmd/gameday in %s: %v\n%s", root, err, out)
		return 1
	}
	return m.Run()
}

// findModuleRoot asks the go command where go.mod is.
func findModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("find the module root with go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("find the module root: go env GOMOD says the tests do not run inside a module")
	}
	return filepath.Dir(gomod), nil
}

// world is where one test's gameday processes live: their state directory
// (sandbox state file, journals), config directory and working directory,
// all under the test's temporary directory.
type world struct {
	state string // GAMEDAY_STATE_DIR
	home  string // XDG_CONFIG_HOME and XDG_STATE_HOME live here
	work  string // working directory: no ./scenarios of the checkout
	// extraEnv is added to every gameday process's environment (the AWS
	// tests' AWS_ENDPOINT_URL and credentials).
	extraEnv []string
}

// newWorld makes a world for t. When t ends, it checks that no sandbox
// child process of this world is left (and kills any that is).
func newWorld(t *testing.T) *world {
	t.Helper()
	base := t.TempDir()
	w := &world{state: filepath.Join(base, "state"), home: filepath.Join(base, "home"), work: filepath.Join(base, "work")}
	for _, d := range []string{w.state, w.home, w.work} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatalf("make %s: %v", d, err)
		}
	}
	t.Cleanup(func() { waitNoChildren(t, w.state, 30*time.Second) })
	return w
}

// env is the environment of every gameday process of w: the test's own,
// without anything that would point gameday at the developer's state or
// config, plus w's directories.
func (w *world) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "GAMEDAY_") || strings.HasPrefix(k, "XDG_") || k == "HOME" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, w.extraEnv...)
	return append(env,
		sandbox.StateDirEnv+"="+w.state,
		"HOME="+w.home,
		"XDG_CONFIG_HOME="+filepath.Join(w.home, "config"),
		"XDG_STATE_HOME="+filepath.Join(w.home, "state"),
	)
}

// syncBuffer is a bytes.Buffer safe for a process writing while the test
// reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// proc is a gameday process started by a test.
type proc struct {
	args   []string
	cmd    *exec.Cmd
	stdout *syncBuffer
	stderr *syncBuffer
	done   chan struct{}
}

// start starts gameday with args in w. The process is killed when it
// outlives limit or the test; its output is logged if the test failed.
func (w *world) start(t *testing.T, limit time.Duration, args ...string) *proc {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir, cmd.Env = w.work, w.env()
	// If the test binary dies, so does gameday (and its sandbox children
	// with it: they have their own Pdeathsig).
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	p := &proc{args: args, cmd: cmd, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start gameday %s: %v", strings.Join(args, " "), err)
	}
	go func() {
		_ = cmd.Wait()
		cancel()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("gameday %s\n--- stdout:\n%s\n--- stderr:\n%s", strings.Join(args, " "), tail(p.stdout.String()), tail(p.stderr.String()))
		}
	})
	return p
}

// tail returns the end of a long output.
func tail(s string) string {
	const max = 8 << 10
	if len(s) > max {
		return "…" + s[len(s)-max:]
	}
	return s
}

// exited reports whether the process has exited.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits for the process to exit and returns its exit code (-1 when
// a signal killed it). It fails the test if the process runs longer than d.
func (p *proc) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(d):
		t.Fatalf("gameday %s did not exit within %s\n--- stdout:\n%s\n--- stderr:\n%s", strings.Join(p.args, " "), d, tail(p.stdout.String()), tail(p.stderr.String()))
	}
	return p.cmd.ProcessState.ExitCode()
}

// output describes the process's output for a failure message.
func (p *proc) output() string {
	return fmt.Sprintf("gameday %s\n--- stdout:\n%s\n--- stderr:\n%s", strings.Join(p.args, " "), tail(p.stdout.String()), tail(p.stderr.String()))
}

// waitOutput waits until the process's stdout contains s.
func (p *proc) waitOutput(t *testing.T, s string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !strings.Contains(p.stdout.String(), s) {
		if p.exited() {
			t.Fatalf("gameday exited before printing %q\n%s", s, p.output())
		}
		if time.Now().After(deadline) {
			t.Fatalf("gameday did not print %q within %s\n%s", s, d, p.output())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// run runs gameday with args in w to the end and returns the process.
func (w *world) run(t *testing.T, limit time.Duration, args ...string) (*proc, int) {
	t.Helper()
	p := w.start(t, limit, args...)
	return p, p.wait(t, limit)
}

// runningSandbox is a `gameday sandbox` started by a test, and a client of
// its control API.
type runningSandbox struct {
	*proc
	client   *sandbox.Client
	state    sandbox.State
	replicas int
}

// startSandbox starts `gameday sandbox -v args...` in w and waits until its
// control API answers. When the test ends it is stopped with SIGINT (and
// killed if it does not stop).
func (w *world) startSandbox(t *testing.T, args ...string) *runningSandbox {
	t.Helper()
	p := w.start(t, 30*time.Minute, append([]string{"sandbox", "-v"}, args...)...)
	t.Cleanup(func() {
		if p.exited() {
			return
		}
		_ = p.cmd.Process.Signal(os.Interrupt)
		select {
		case <-p.done:
		case <-time.After(30 * time.Second):
			t.Errorf("gameday sandbox did not stop within 30s of SIGINT; killing it")
		}
	})
	path := filepath.Join(w.state, "sandbox.json")
	deadline := time.Now().Add(90 * time.Second)
	for {
		if p.exited() {
			t.Fatalf("gameday sandbox exited before it was ready\n%s", p.output())
		}
		if st, err := readState(path); err == nil {
			c := sandbox.NewClient(st.Control, st.Token)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			err = c.Ping(ctx)
			cancel()
			if err == nil && st.PID == p.cmd.Process.Pid {
				return &runningSandbox{proc: p, client: c, state: st, replicas: st.Replicas}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("gameday sandbox: no answering state file %s within 90s\n%s", path, p.output())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// readState reads a sandbox state file.
func readState(path string) (sandbox.State, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return sandbox.State{}, err
	}
	var st sandbox.State
	if err := json.Unmarshal(b, &st); err != nil {
		return sandbox.State{}, fmt.Errorf("read %s: %w", path, err)
	}
	return st, nil
}

// status asks the sandbox for its status.
func (s *runningSandbox) status(t *testing.T) sandbox.Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := s.client.Status(ctx)
	if err != nil {
		t.Fatalf("sandbox status: %v", err)
	}
	return st
}

// notInitial lists how st differs from a sandbox with nothing broken:
// no active hook, every replica running, healthy and unstressed, the
// database up and the dependency normal. The replicas' circuit breakers
// are left out: they are the replicas' own reaction, not a fault, and one
// opened by a fault stays open until traffic probes it after its cooldown.
func notInitial(st sandbox.Status, replicas int) []string {
	var bad []string
	for _, h := range st.Hooks {
		if h.State == sandbox.HookActive {
			bad = append(bad, fmt.Sprintf("hook %s (%s on %v) is still active", h.ID, h.Kind, h.Targets))
		}
	}
	if st.Configured != replicas || st.Running != replicas {
		bad = append(bad, fmt.Sprintf("running %d of %d configured, want %d of %d", st.Running, st.Configured, replicas, replicas))
	}
	for _, r := range st.Replicas {
		if r.State != sandbox.ProcessRunning || !r.Healthy {
			bad = append(bad, fmt.Sprintf("%s is %s, healthy %t", r.Name, r.State, r.Healthy))
		}
		if r.Burners != 0 || r.HeldMB != 0 || len(r.LatencyHooks) > 0 {
			bad = append(bad, fmt.Sprintf("%s is stressed: %d CPU burners, %d MB held, latency hooks %v", r.Name, r.Burners, r.HeldMB, r.LatencyHooks))
		}
	}
	if st.Database.State != sandbox.ProcessRunning {
		bad = append(bad, "database is "+st.Database.State)
	}
	if st.Dependency.State != sandbox.ProcessRunning || st.Dependency.Mode != sandbox.DependencyNormal {
		bad = append(bad, fmt.Sprintf("dependency is %s in mode %s", st.Dependency.State, st.Dependency.Mode))
	}
	return bad
}

// waitInitial polls the sandbox's control API until it is back to its
// initial state (a killed replica takes the restart delay and two health
// checks) and returns that status. It fails the test after d.
func (s *runningSandbox) waitInitial(t *testing.T, d time.Duration) sandbox.Status {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		st := s.status(t)
		bad := notInitial(st, s.replicas)
		if len(bad) == 0 {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sandbox is not back to its initial state after %s:\n  %s", d, strings.Join(bad, "\n  "))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// seen is what a watcher saw of the sandbox while a run went on.
type seen struct {
	polls         int
	burners       map[string]int  // most CPU burners seen per replica
	heldMB        map[string]int  // most memory seen held per replica
	latency       map[string]bool // replicas seen with a latency hook
	replicaDown   map[string]bool // replicas seen not running or not healthy
	databaseDown  bool
	dependencyOut map[string]bool // dependency modes seen other than normal
}

// watch polls the sandbox's status ten times a second until the returned
// function is called, which returns what it saw.
func (s *runningSandbox) watch() func() seen {
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan seen, 1)
	go func() {
		v := seen{burners: map[string]int{}, heldMB: map[string]int{}, latency: map[string]bool{}, replicaDown: map[string]bool{}, dependencyOut: map[string]bool{}}
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			cctx, ccancel := context.WithTimeout(ctx, 5*time.Second)
			st, err := s.client.Status(cctx)
			ccancel()
			if err == nil {
				v.polls++
				for _, r := range st.Replicas {
					v.burners[r.Name] = max(v.burners[r.Name], r.Burners)
					v.heldMB[r.Name] = max(v.heldMB[r.Name], r.HeldMB)
					if len(r.LatencyHooks) > 0 {
						v.latency[r.Name] = true
					}
					if r.State != sandbox.ProcessRunning || !r.Healthy {
						v.replicaDown[r.Name] = true
					}
				}
				if st.Database.State != sandbox.ProcessRunning {
					v.databaseDown = true
				}
				if st.Dependency.Mode != sandbox.DependencyNormal {
					v.dependencyOut[st.Dependency.Mode] = true
				}
			}
			select {
			case <-ctx.Done():
				out <- v
				return
			case <-tick.C:
			}
		}
	}()
	return func() seen {
		cancel()
		return <-out
	}
}

// readJournal reads a journal file written by a finished run.
func readJournal(t *testing.T, path string) []engine.Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open the journal: %v", err)
	}
	defer f.Close()
	recs, err := engine.ReadJournal(f)
	if err != nil {
		t.Fatalf("read the journal %s: %v", path, err)
	}
	if len(recs) == 0 || recs[0].Type != engine.RecPlan || recs[0].Plan == nil {
		t.Fatalf("journal %s does not start with the plan", path)
	}
	return recs
}

// samples returns the journal's metric samples.
func samples(recs []engine.Record) []providers.Sample {
	var out []providers.Sample
	for _, r := range recs {
		if r.Type == engine.RecSample && r.Sample != nil {
			out = append(out, *r.Sample)
		}
	}
	return out
}

// faultHistory returns every journaled state of fault id, in order.
func faultHistory(recs []engine.Record, id string) []engine.FaultStatus {
	var out []engine.FaultStatus
	for _, r := range recs {
		if r.Type == engine.RecFault && r.Fault != nil && r.Fault.Fault.ID == id {
			out = append(out, *r.Fault)
		}
	}
	return out
}

// faultTimes returns when fault id first went active and when it was last
// journaled rolled back (zero if never).
func faultTimes(recs []engine.Record, id string) (active, rolledBack time.Time) {
	for _, r := range recs {
		if r.Type != engine.RecFault || r.Fault == nil || r.Fault.Fault.ID != id {
			continue
		}
		switch r.Fault.State {
		case engine.FaultActive:
			if active.IsZero() {
				active = r.At
			}
		case engine.FaultRolledBack:
			rolledBack = r.At
		}
	}
	return active, rolledBack
}

// outcome returns the journal's verdict, failing the test if there is none.
func outcome(t *testing.T, recs []engine.Record) engine.Outcome {
	t.Helper()
	for i := len(recs) - 1; i >= 0; i-- {
		if recs[i].Type == engine.RecVerdict && recs[i].Outcome != nil {
			return *recs[i].Outcome
		}
	}
	t.Fatal("the journal has no verdict")
	return engine.Outcome{}
}

// checkFaultCycle checks that fault id of the journal went active on some
// targets and ended rolled back, verified clean; it returns its final
// status (with the targets).
func checkFaultCycle(t *testing.T, recs []engine.Record, id string) engine.FaultStatus {
	t.Helper()
	hist := faultHistory(recs, id)
	if len(hist) == 0 {
		t.Fatalf("the journal has no record of fault %s", id)
	}
	var active *engine.FaultStatus
	for i := range hist {
		if hist[i].State == engine.FaultActive {
			active = &hist[i]
			break
		}
	}
	if active == nil {
		t.Fatalf("fault %s never went active; states: %v", id, states(hist))
	}
	if len(active.Targets) == 0 {
		t.Errorf("fault %s went active with no targets", id)
	}
	last := hist[len(hist)-1]
	if last.State != engine.FaultRolledBack {
		t.Errorf("fault %s ended %s (error %q, manual %q), want rolled back; states: %v", id, last.State, last.Err, last.Manual, states(hist))
	}
	if last.Verification == nil || !last.Verification.Clean {
		t.Errorf("fault %s: rollback not verified clean: %+v", id, last.Verification)
	}
	last.Targets = active.Targets
	if last.Injection == nil {
		last.Injection = active.Injection
	}
	return last
}

func states(hist []engine.FaultStatus) []string {
	out := make([]string, len(hist))
	for i, f := range hist {
		out[i] = f.State.String()
	}
	return out
}

func targetNames(ts []providers.Target) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Name
	}
	return out
}

// checkReportReproduced checks that `gameday report JOURNAL` prints, and
// `gameday report JOURNAL -o F` writes, exactly the report file the run
// wrote.
func checkReportReproduced(t *testing.T, w *world, journal, report string) {
	t.Helper()
	want, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("read the run's report: %v", err)
	}
	if len(want) == 0 {
		t.Fatal("the run's report is empty")
	}
	p, code := w.run(t, time.Minute, "report", journal)
	if code != 0 {
		t.Fatalf("gameday report exited %d\n%s", code, p.output())
	}
	if got := p.stdout.String(); got != string(want) {
		t.Errorf("gameday report %s differs from the run's report %s:\n%s", journal, report, firstDiff(string(want), got))
	}
	// Under the same name elsewhere, -o writes the same report and the
	// same charts beside it (the report links them by that name).
	again := t.TempDir()
	out := filepath.Join(again, filepath.Base(report))
	p, code = w.run(t, time.Minute, "report", journal, "-o", out)
	if code != 0 {
		t.Fatalf("gameday report -o exited %d\n%s", code, p.output())
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("read the report written with -o: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("gameday report -o wrote a different report:\n%s", firstDiff(string(want), string(got)))
	}
	charts, _ := filepath.Glob(strings.TrimSuffix(report, ".md") + "-*.svg")
	if len(charts) == 0 {
		t.Error("the run wrote no SVG chart beside its report")
	}
	for _, c := range charts {
		a, errA := os.ReadFile(c)
		b, errB := os.ReadFile(filepath.Join(again, filepath.Base(c)))
		if errA != nil || errB != nil || !bytes.Equal(a, b) {
			t.Errorf("%s: gameday report -o drew it otherwise (%v, %v)", filepath.Base(c), errA, errB)
		}
	}
}

// firstDiff shows the first line where got differs from want.
func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(wl), len(gl)) {
		var a, b string
		if i < len(wl) {
			a = wl[i]
		}
		if i < len(gl) {
			b = gl[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\n  want %q\n  got  %q", i+1, a, b)
		}
	}
	return "(same lines, different bytes)"
}

// junitSuite is the JUnit XML the tests read back.
type junitSuite struct {
	XMLName  xml.Name    `xml:"testsuite"`
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name    string        `xml:"name,attr"`
	Failure *junitProblem `xml:"failure"`
	Error   *junitProblem `xml:"error"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
}

// checkJUnit parses the JUnit file of a run and checks that it has one
// test case per steady-state check per phase, named after them, one per
// injected fault's rollback and one for the run; and that wantFailures
// (-1: at least one) of the steady-state cases fail. Rollback cases must
// pass; the run case errs only when wantAborted.
func checkJUnit(t *testing.T, path string, recs []engine.Record, wantFailures int, wantAborted bool) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read the JUnit file: %v", err)
	}
	var s junitSuite
	if err := xml.Unmarshal(b, &s); err != nil {
		t.Fatalf("the JUnit file %s is not valid XML: %v\n%s", path, err, b)
	}
	plan := recs[0].Plan
	if s.Name != plan.Title {
		t.Errorf("JUnit suite %q, want the scenario title %q", s.Name, plan.Title)
	}
	if s.Tests != len(s.Cases) {
		t.Errorf("JUnit tests=%d but it has %d test cases", s.Tests, len(s.Cases))
	}
	var checks, failures, problems, errs int
	var rollbacks []string
	runCase := false
	for _, c := range s.Cases {
		if c.Failure != nil {
			problems++
		}
		if c.Error != nil {
			errs++
		}
		phase, _, _ := strings.Cut(c.Name, ": ")
		switch {
		case slices.Contains([]string{"baseline", "fault", "recovery"}, phase):
			checks++
			if c.Failure != nil {
				failures++
			}
		case phase == "rollback":
			rollbacks = append(rollbacks, c.Name)
			if c.Failure != nil || c.Error != nil {
				t.Errorf("JUnit %q fails: %+v %+v", c.Name, c.Failure, c.Error)
			}
		case c.Name == "run":
			runCase = true
			if (c.Error != nil) != wantAborted {
				t.Errorf("JUnit run case error %+v, want an error: %t", c.Error, wantAborted)
			}
		default:
			t.Errorf("JUnit test case %q is neither a steady-state check, a rollback nor the run", c.Name)
		}
	}
	if want := 3 * len(plan.SteadyState); checks != want {
		t.Errorf("JUnit has %d steady-state test cases, want %d: one per metric per phase", checks, want)
	}
	for _, f := range plan.Faults {
		if want := fmt.Sprintf("rollback: %s (%s)", f.ID, f.Kind); !slices.Contains(rollbacks, want) {
			t.Errorf("JUnit has no test case %q (has %v)", want, rollbacks)
		}
	}
	if !runCase {
		t.Error(`JUnit has no "run" test case`)
	}
	if problems != s.Failures || errs != s.Errors {
		t.Errorf("JUnit says failures=%d errors=%d but %d test cases fail and %d err", s.Failures, s.Errors, problems, errs)
	}
	switch {
	case wantFailures < 0 && failures == 0:
		t.Errorf("JUnit has no failing steady-state test case; want at least one")
	case wantFailures >= 0 && failures != wantFailures:
		t.Errorf("JUnit has %d failing steady-state test cases, want %d", failures, wantFailures)
	}
}

// sandboxChildren returns the live sandbox child processes of this test's
// gameday binary whose GAMEDAY_STATE_DIR is stateDir, with their command
// lines.
func sandboxChildren(stateDir string) map[int]string {
	out := map[int]string{}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return out
	}
	wantEnv := []byte("\x00" + sandbox.StateDirEnv + "=" + stateDir + "\x00")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
		if len(args) < 2 || args[0] != bin || args[1] != sandbox.ChildArg {
			continue
		}
		environ, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil || !bytes.Contains(append([]byte{0}, environ...), wantEnv) {
			continue
		}
		out[pid] = strings.Join(args, " ")
	}
	return out
}

// waitNoChildren waits until no sandbox child of stateDir is left. Those
// still there after d fail the test and are killed.
func waitNoChildren(t *testing.T, stateDir string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		left := sandboxChildren(stateDir)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			var list []string
			for pid, cmd := range left {
				list = append(list, fmt.Sprintf("%d %s", pid, cmd))
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
			t.Errorf("sandbox processes outlived their gameday by %s (killed now):\n  %s", d, strings.Join(list, "\n  "))
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// writeFile writes a file for a test.
func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
	return path
}
