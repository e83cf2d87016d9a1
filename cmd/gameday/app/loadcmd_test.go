//go:build unix

package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// loadPlan is a short plan of the fake system driven by an external load
// command and measured by the fake source.
func loadPlan(dir string, command ...string) *scenarios.Plan {
	max := 0.5
	return &scenarios.Plan{Title: "External load", Path: filepath.Join(dir, "load.yaml"), Hypothesis: "h", Target: scenarios.Target{Provider: "fakesys"},
		Load:        &scenarios.Load{Command: command},
		SteadyState: map[scenarios.Metric]scenarios.Bound{scenarios.ErrorRate: {Max: &max}},
		Phases:      scenarios.Phases{Baseline: time.Second, Fault: time.Second, Recovery: time.Second},
		Faults:      []scenarios.Fault{{Fault: providers.Fault{ID: "f1", Kind: providers.Latency}, Manual: true}}}
}

func notes(t *testing.T, journal string) []string {
	t.Helper()
	recs, _, err := readJournalFile(journal)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		if r.Type == engine.RecNote && r.Note != nil {
			out = append(out, r.Note.Text)
		}
	}
	return out
}

func pidAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return !errors.Is(err, os.ErrNotExist) && syscall.Kill(pid, 0) == nil
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || (s[i+2] != 'Z' && s[i+2] != 'X')
}

// TestLoadCommandRunsWithTheRun: the command starts with the run in the
// scenario's directory with the run's environment, its output goes live
// to --load-output and to the log beside the journal, and it is stopped
// (SIGTERM) when the run ends; the journal notes how it ended with its
// last lines.
func TestLoadCommandRunsWithTheRun(t *testing.T) {
	t.Setenv("GAMEDAY_STATE_DIR", t.TempDir())
	dir := t.TempDir()
	sys := &fakeSystem{id: "sys-load", applied: map[string]bool{}}
	c := &conn{provider: sys, sources: []providers.MetricSource{tickSource{}}, identity: providers.Identity{Provider: "fakesys", ID: sys.id}, loadBase: "http://127.0.0.1:9"}
	script := `echo "pid $$ in $(pwd) run $GAMEDAY_RUN_ID for $GAMEDAY_DURATION at $GAMEDAY_TARGET_URL token=abc123secret"; trap 'echo bye; exit 0' TERM; while :; do sleep 0.05; done`
	journal := filepath.Join(t.TempDir(), "run.jsonl")
	var live lockedWriter
	var liveOut strings.Builder
	live.w = &liveOut
	s, err := startSession(context.Background(), c, loadPlan(dir, "sh", "-c", script), sessionOptions{JournalPath: journal, LoadOutput: &live})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the command's first line", func() bool { return len(s.LoadLines()) > 0 })
	first := s.LoadLines()[0]
	pid, err := strconv.Atoi(strings.Fields(first)[1])
	if err != nil {
		t.Fatalf("first line %q", first)
	}
	select {
	case <-s.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the run did not end")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if pidAlive(pid) {
		t.Errorf("the load command (pid %d) outlived the run", pid)
	}
	if !strings.Contains(first, "in "+dir+" run ") || !strings.Contains(first, " for 3s at http://127.0.0.1:9") {
		t.Errorf("the command saw %q; want it in %s with the run's environment", first, dir)
	}
	ns := notes(t, journal)
	if len(ns) != 1 {
		t.Fatalf("notes = %q, want one about the load command", ns)
	}
	logPath := strings.TrimSuffix(journal, ".jsonl") + ".load.log"
	for _, w := range []string{"load command sh -c ", "ended with the run: stopped by gameday", "its output is in " + logPath, "⏎ bye"} {
		if !strings.Contains(ns[0], w) {
			t.Errorf("note lacks %q:\n%s", w, ns[0])
		}
	}
	log, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), "pid ") || !strings.HasSuffix(string(log), "bye\n") {
		t.Errorf("log:\n%s", log)
	}
	for what, text := range map[string]string{"log": string(log), "note": ns[0], "live output": liveOut.String()} {
		if strings.Contains(text, "abc123secret") {
			t.Errorf("the %s holds the token the command printed", what)
		}
	}
	if !strings.Contains(liveOut.String(), "load │ pid ") || !strings.Contains(liveOut.String(), "load │ bye") {
		t.Errorf("live output:\n%s", liveOut.String())
	}
}

// TestLoadCommandEndsEarly: a command that ends before the run is noted
// at once, with its status; the run goes on.
func TestLoadCommandEndsEarly(t *testing.T) {
	t.Setenv("GAMEDAY_STATE_DIR", t.TempDir())
	sys := &fakeSystem{id: "sys-early", applied: map[string]bool{}}
	c := &conn{provider: sys, sources: []providers.MetricSource{tickSource{}}, identity: providers.Identity{Provider: "fakesys", ID: sys.id}}
	journal := filepath.Join(t.TempDir(), "run.jsonl")
	s, err := startSession(context.Background(), c, loadPlan(t.TempDir(), "sh", "-c", "echo thresholds crossed; exit 99"), sessionOptions{JournalPath: journal})
	if err != nil {
		t.Fatal(err)
	}
	<-s.Done()
	s.Close()
	ns := notes(t, journal)
	if len(ns) != 1 || !strings.Contains(ns[0], "ended before the run did: exited with status 99") || !strings.Contains(ns[0], "last lines: thresholds crossed") {
		t.Errorf("notes = %q", ns)
	}
	if out := s.Outcome(); out.Verdict != engine.VerdictHeld {
		t.Errorf("verdict %s: the run should go on without its load", out.Verdict)
	}
}

// TestLoadCommandThatCannotStart refuses the run (exit 3) and leaves no
// journal and no log behind.
func TestLoadCommandThatCannotStart(t *testing.T) {
	t.Setenv("GAMEDAY_STATE_DIR", t.TempDir())
	sys := &fakeSystem{id: "sys-nostart", applied: map[string]bool{}}
	c := &conn{provider: sys, sources: []providers.MetricSource{tickSource{}}, identity: providers.Identity{Provider: "fakesys", ID: sys.id}}
	dir := t.TempDir()
	journal := filepath.Join(dir, "run.jsonl")
	_, err := startSession(context.Background(), c, loadPlan(dir, "gameday-test-no-such-k6", "run", "x.js"), sessionOptions{JournalPath: journal})
	if err == nil || exitCodeOf(err) != ExitInvalid || !strings.Contains(err.Error(), "gameday-test-no-such-k6") {
		t.Fatalf("err = %v (exit %d), want an invalid configuration naming the program", err, exitCodeOf(err))
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "run*")); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
	// The lease was given back: a run on the same target may start.
	s, err := startSession(context.Background(), c, loadPlan(dir, "true"), sessionOptions{JournalPath: journal})
	if err != nil {
		t.Fatalf("the next run: %v", err)
	}
	s.Abort("test")
	<-s.Done()
	s.Close()
}

// TestPrometheusDryRunAndOpen: the registry knows the prometheus source;
// a dry run runs each query once and shows what it returned, and the
// load command it would start; a token variable that is not set refuses
// the run as a configuration error.
func TestPrometheusDryRunAndOpen(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		if r.Header.Get("Authorization") != "Bearer tok-123" {
			http.Error(w, `{"status":"error","errorType":"unauthorized","error":"no token"}`, http.StatusUnauthorized)
			return
		}
		q := r.Form.Get("query")
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasPrefix(q, "histogram_quantile"):
			fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[%s,"12.5"]}]}}`, r.Form.Get("time"))
		default:
			fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[]}}`)
		}
	}))
	defer srv.Close()
	sys := &fakeSystem{id: "sys-dry", applied: map[string]bool{}}
	reg := fakeRegistry(sys, nil)
	reg.addSource(prometheusSource())
	src := fmt.Sprintf(`title: Prometheus dry run
hypothesis: h
blast_radius: b
rollback: r
target: { provider: fakesys }
load: { command: [k6, run, "load test.js"] }
metrics: { source: prometheus, url: %q, job: api, token_env: GAMEDAY_TEST_PROM_TOKEN, scrape_interval: 1s, queries: { queue_depth: "max(queue{$selector})" } }
steady_state:
  p95_ms: { max: 200 }
  queue_depth: { max: 10 }
phases: { baseline: 1s, fault: 1s, recovery: 1s }
faults:
  - kind: latency
    params: { delay: 10ms }
`, srv.URL)
	plan, err := scenarios.Parse(filepath.Join(t.TempDir(), "prom.yaml"), []byte(src), reg.options())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t.Setenv("GAMEDAY_TEST_PROM_TOKEN", "")
	if _, err := reg.source(ctx, plan, connectOptions{}); err == nil || exitCodeOf(err) != ExitInvalid || !strings.Contains(err.Error(), "GAMEDAY_TEST_PROM_TOKEN, which is not set") {
		t.Errorf("open without the token: %v (exit %d)", err, exitCodeOf(err))
	}
	t.Setenv("GAMEDAY_TEST_PROM_TOKEN", "tok-123")
	c, err := reg.open(ctx, plan, connectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := dryRunHeadless(ctx, &out, c, plan, runFlags{dryRun: true}, reg, connectOptions{}); err != nil {
		t.Fatalf("dry run: %v\n%s", err, out.String())
	}
	for _, w := range []string{
		"load     would run k6 run 'load test.js' in " + filepath.Dir(plan.Path),
		"metrics  prometheus " + srv.URL,
		"p95_ms = 12.5",
		`histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{job="api"}[4s]))) * 1000`,
		"queue_depth: no data: the query returned no series (a run shows a gap, never a zero)",
		`max(queue{job="api"})`,
		"dry run: nothing was changed",
	} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("dry run output lacks %q:\n%s", w, out.String())
		}
	}
	if strings.Contains(out.String(), "tok-123") {
		t.Error("the dry run printed the token")
	}
}

// TestPrometheusScenarioMistakes: a token where its variable's name
// belongs is refused with its position, and a named series that no query
// delivers cannot be bounded.
func TestPrometheusScenarioMistakes(t *testing.T) {
	src := `title: T
hypothesis: h
blast_radius: b
rollback: r
target: { provider: sandbox }
load: { command: [k6, run, x.js] }
metrics:
  source: prometheus
  url: http://127.0.0.1:9090
  token_env: "glpat-abcdefghijklmnop"
steady_state:
  queue_depth: { max: 1 }
phases: { baseline: 1s, fault: 1s, recovery: 1s }
faults:
  - kind: latency
    params: { delay: 10ms }
`
	_, err := scenarios.Parse("p.yaml", []byte(src), defaultRegistry().options())
	if err == nil {
		t.Fatal("parsed")
	}
	for _, w := range []string{"p.yaml:10:", "not its value", `unknown metric "queue_depth"`} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("errors lack %q:\n%v", w, err)
		}
	}
}

// TestStatusLineReadsEverySource: the live status line shows each series
// from the newest sample that carries it, and a gap as "–", not a zero.
func TestStatusLineReadsEverySource(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	snap := engine.Snapshot{Phase: engine.Baseline, Started: now.Add(-5 * time.Second), Samples: []providers.Sample{
		{At: now.Add(-2 * time.Second), Source: "prometheus", Values: map[string]float64{"p95_ms": 41.7, "error_rate": 0.0123}},
		{At: now.Add(-time.Second), Source: "prometheus", Values: map[string]float64{"error_rate": 0.02}},
	}}
	got := statusLine(snap, now)
	want := "baseline 5s | p95 42 ms | errors 2.00% | – req/s | running –"
	if !strings.HasPrefix(got, want) {
		t.Errorf("status line %q, want it to start %q", got, want)
	}
}
