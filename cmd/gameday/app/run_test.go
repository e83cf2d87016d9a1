package app

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

func TestProgressLine(t *testing.T) {
	max := func(v float64) scenarios.Bound { return scenarios.Bound{Max: &v} }
	plan := &scenarios.Plan{SteadyState: map[scenarios.Metric]scenarios.Bound{scenarios.P95: max(200), scenarios.ErrorRate: max(0.01)}}
	t0 := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	snap := engine.Snapshot{
		Plan: plan, Phase: engine.Observing, Group: engine.GroupFault, Holding: false,
		Breaches: []string{"p95 312 ms > 200 ms during fault"},
		Samples:  []providers.Sample{{At: t0, Source: providers.SourceLoadgen, P95: 312, ErrorRate: 0.002, Requests: 100}},
	}
	got := progressLine(snap, t0, t0.Add(70*time.Second))
	want := "T+01:10 progress observing · p95 312 ms (≤ 200 ms) · error rate 0.2% (≤ 1%) · fault so far: BREACHED p95 312 ms > 200 ms during fault"
	if got != want {
		t.Errorf("progress line\n got %q\nwant %q", got, want)
	}
	snap.Phase = engine.Done
	if got := progressLine(snap, t0, t0); got != "" {
		t.Errorf("after the run: %q, want nothing", got)
	}
	if strings.Contains(want, "_") {
		t.Error("raw metric keys in a progress line")
	}
}

// slowSystem is fakeSystem whose rollback does not return until released.
type slowSystem struct {
	*fakeSystem
	release chan struct{}
}

func (s slowSystem) Rollback(ctx context.Context, inj providers.Injection) error {
	select {
	case <-s.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return s.fakeSystem.Rollback(ctx, inj)
}

// A second signal while a rollback is not yet confirmed exits 4 (not 2)
// and prints the recover command with the real journal path; a SIGPIPE
// from our own write to a closed stdout does not abort the run.
func TestHeadlessSecondSignalWhileRollingBack(t *testing.T) {
	t.Setenv("GAMEDAY_STATE_DIR", t.TempDir())
	sys := slowSystem{fakeSystem: &fakeSystem{id: "slow", applied: map[string]bool{}}, release: make(chan struct{})}
	defer close(sys.release)
	reg := fakeRegistry(sys.fakeSystem, nil)
	b := reg.backends["fakesys"]
	b.open = func(context.Context, *scenarios.Plan, connectOptions) (*conn, error) {
		return &conn{provider: sys, sources: []providers.MetricSource{tickSource{}}, identity: providers.Identity{Provider: "fakesys", ID: "slow"}}, nil
	}
	reg.add(b)
	dir := t.TempDir()
	path := filepath.Join(dir, "slow.yaml")
	if err := os.WriteFile(path, []byte(`title: Slow rollback
hypothesis: h
blast_radius: b
rollback: r
target: { provider: fakesys }
metrics: { source: none }
steady_state:
  error_rate: { max: 0.5 }
phases: { baseline: 300ms, fault: 1m, recovery: 1s }
faults:
  - kind: latency
    params: { delay: 10ms }
`), 0o600); err != nil {
		t.Fatal(err)
	}
	reg.addSource(sourceBackend{spec: providers.SourceSpec{Name: "none"}, open: func(context.Context, *scenarios.Plan, connectOptions) (providers.MetricSource, error) {
		return tickSource{}, nil
	}})
	journal := filepath.Join(dir, "slow.jsonl")
	sigs := make(chan os.Signal, 4)
	var out, errOut strings.Builder
	done := make(chan error, 1)
	go func() {
		done <- runHeadless(context.Background(), &lockedWriter{w: &out}, &lockedWriter{w: &errOut}, path, runFlags{headless: true, journal: journal, reg: reg, sigs: sigs})
	}()
	waitUntil(t, "the fault active", func() bool {
		sys.mu.Lock()
		defer sys.mu.Unlock()
		return len(sys.applied) == 1
	})
	sigs <- syscall.SIGPIPE // not our own broken write: an abort, like INT
	time.Sleep(200 * time.Millisecond)
	sigs <- syscall.SIGINT
	var err error
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the run did not exit on the second signal")
	}
	if code := exitCodeOf(err); code != ExitRollbackFailed {
		t.Errorf("exit code %d (%v), want %d: the rollback was not confirmed", code, err, ExitRollbackFailed)
	}
	if !strings.Contains(errOut.String(), "gameday recover "+journal) {
		t.Errorf("stderr lacks the recover command with the journal path:\n%s", errOut.String())
	}
}

// lockedWriter serialises writes for a test reading them back.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A scenario that gives no load.path sends its built-in load to the
// path the system names (the sandbox's one user), not to "/", which the
// sandbox's balancer answers with 404: a scenario without a path must not
// be "not steady" for it. A path the scenario gives wins.
func TestBuiltInLoadDefaultPath(t *testing.T) {
	for _, tc := range []struct {
		name, load, want string
	}{
		{"no path: the system's", "load: { rate: 20 }", "/api/users/7"},
		{"the scenario's path", "load: { rate: 20, path: /healthz }", "/healthz"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GAMEDAY_STATE_DIR", t.TempDir())
			var mu sync.Mutex
			hits := map[string]int{}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				hits[r.URL.Path]++
				mu.Unlock()
				if r.URL.Path != tc.want {
					http.NotFound(w, r)
				}
			}))
			defer srv.Close()
			sys := &fakeSystem{id: "paths", applied: map[string]bool{}}
			reg := fakeRegistry(sys, nil)
			b := reg.backends["fakesys"]
			b.open = func(context.Context, *scenarios.Plan, connectOptions) (*conn, error) {
				return &conn{provider: sys, identity: providers.Identity{Provider: "fakesys", ID: "paths"}, loadBase: srv.URL, loadPath: "/api/users/7"}, nil
			}
			reg.add(b)
			dir := t.TempDir()
			path := filepath.Join(dir, "paths.yaml")
			if err := os.WriteFile(path, []byte(`title: Load paths
hypothesis: h
blast_radius: b
rollback: r
target: { provider: fakesys }
`+tc.load+`
steady_state:
  error_rate: { max: 0.01 }
phases: { baseline: 2s, fault: 1s, recovery: 1s }
faults:
  - { kind: latency, manual: true, params: { delay: 10ms } }
`), 0o600); err != nil {
				t.Fatal(err)
			}
			var out, errOut strings.Builder
			err := runHeadless(context.Background(), &lockedWriter{w: &out}, &lockedWriter{w: &errOut}, path, runFlags{headless: true, journal: filepath.Join(dir, "paths.jsonl"), reg: reg, sigs: make(chan os.Signal, 1)})
			mu.Lock()
			defer mu.Unlock()
			if hits[tc.want] == 0 || len(hits) != 1 {
				t.Errorf("load went to %v, want only %s", hits, tc.want)
			}
			if err != nil {
				t.Errorf("exit %d (%v), want 0: every request to %s succeeds\n%s%s", exitCodeOf(err), err, tc.want, out.String(), errOut.String())
			}
			if !strings.Contains(out.String(), "verdict  held") {
				t.Errorf("the verdict is not held: every request to %s succeeds\n%s", tc.want, out.String())
			}
		})
	}
}
