package share_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
	"github.com/gameday-tui/gameday/share"
)

// nopProvider injects nothing; the runs of these tests have no faults.
type nopProvider struct{}

var _ providers.Provider = nopProvider{}

func (nopProvider) Name() string                              { return "nop" }
func (nopProvider) Supports(providers.Kind) bool              { return true }
func (nopProvider) ManualRollback(providers.Injection) string { return "nothing to do" }
func (nopProvider) Targets(context.Context, providers.Fault) ([]providers.Target, error) {
	return nil, nil
}
func (nopProvider) Inject(context.Context, providers.Fault, time.Duration) (providers.Injection, error) {
	return providers.Injection{}, errors.New("nop: no faults here")
}
func (nopProvider) Rollback(context.Context, providers.Injection) error { return nil }

// chanSource delivers the samples a test sends it.
type chanSource struct{ ch chan providers.Sample }

func (s chanSource) Samples(ctx context.Context) <-chan providers.Sample {
	out := make(chan providers.Sample)
	go func() {
		defer close(out)
		for {
			select {
			case smp := <-s.ch:
				select {
				case out <- smp:
				case <-ctx.Done():
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

func fp(v float64) *float64 { return &v }

// testPlan has a long baseline and no faults: a run that stays put until
// the test ends it.
func testPlan() *scenarios.Plan {
	return &scenarios.Plan{
		Path:        "share_test.yaml",
		Title:       "Shared run",
		Hypothesis:  "p95 stays under 500 ms",
		BlastRadius: "none",
		Rollback:    "none",
		Target:      scenarios.Target{Provider: "nop"},
		SteadyState: map[scenarios.Metric]scenarios.Bound{scenarios.P95: {Max: fp(500)}},
		Phases:      scenarios.Phases{Baseline: time.Hour, Fault: time.Minute, Recovery: time.Minute},
	}
}

// syncBuffer is a journal the test can read while the run writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) records(t *testing.T) []engine.Record {
	t.Helper()
	b.mu.Lock()
	data := bytes.Clone(b.b.Bytes())
	b.mu.Unlock()
	recs, err := engine.ReadJournal(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// sharedRun is an engine run whose journal feeds a server.
type sharedRun struct {
	run     *engine.Run
	srv     *share.Server
	journal *syncBuffer
	samples chan providers.Sample
}

// startShared starts a run of testPlan journaled through a new server's
// feed. Both end with the test.
func startShared(t testing.TB, opts share.Options) *sharedRun {
	t.Helper()
	srv, err := share.Listen(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close("the test ended") })
	feed := srv.NewFeed()
	sr := &sharedRun{srv: srv, journal: &syncBuffer{}, samples: make(chan providers.Sample)}
	run, err := engine.New(engine.Options{
		Plan:     testPlan(),
		Provider: nopProvider{},
		Metrics:  chanSource{sr.samples},
		Journal:  feed.Journal(sr.journal),
	})
	if err != nil {
		t.Fatal(err)
	}
	feed.SetNoter(run)
	sr.run = run
	run.Start(context.Background())
	t.Cleanup(func() {
		run.AbortNow("the test ended")
		<-run.Done()
	})
	return sr
}

// fixtureLines are the lines of the engine's fixture journal: a whole run.
func fixtureLines(t *testing.T) [][]byte {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "engine", "testdata", "run.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) != "" {
			lines = append(lines, append(bytes.Clone(sc.Bytes()), '\n'))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// decode reads lines as records.
func decode(t *testing.T, lines [][]byte) []engine.Record {
	t.Helper()
	recs, err := engine.ReadJournal(bytes.NewReader(bytes.Join(lines, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// within waits until ok, failing the test after d.
func within(t testing.TB, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// logs collects a server's log lines.
type logs struct {
	mu    sync.Mutex
	lines []string
}

func (l *logs) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logs) has(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.lines {
		if strings.Contains(line, s) {
			return true
		}
	}
	return false
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}
