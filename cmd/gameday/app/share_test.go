package app

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
	"github.com/gameday-tui/gameday/share"
)

// TestHeadlessShare: a headless run with --share prints the two lines;
// a scribe who joins notes into the run's journal and report under their
// name; a watcher who joins late has the whole run, the very records of
// the journal; neither changes anything else.
func TestHeadlessShare(t *testing.T) {
	t.Setenv("GAMEDAY_STATE_DIR", t.TempDir())
	sys := &fakeSystem{id: "shared", applied: map[string]bool{}}
	reg := fakeRegistry(sys, nil)
	b := reg.backends["fakesys"]
	b.open = func(context.Context, *scenarios.Plan, connectOptions) (*conn, error) {
		return &conn{provider: sys, sources: []providers.MetricSource{tickSource{}}, identity: providers.Identity{Provider: "fakesys", ID: "shared"}}, nil
	}
	reg.add(b)
	reg.addSource(sourceBackend{spec: providers.SourceSpec{Name: "none"}, open: func(context.Context, *scenarios.Plan, connectOptions) (providers.MetricSource, error) {
		return tickSource{}, nil
	}})
	dir := t.TempDir()
	path := filepath.Join(dir, "shared.yaml")
	if err := os.WriteFile(path, []byte(`title: Shared run
hypothesis: h
blast_radius: b
rollback: r
target: { provider: fakesys }
metrics: { source: none }
steady_state:
  error_rate: { max: 0.5 }
phases: { baseline: 2s, fault: 2s, recovery: 2s }
faults:
  - kind: latency
    params: { delay: 10ms }
`), 0o600); err != nil {
		t.Fatal(err)
	}
	journal := filepath.Join(dir, "shared.jsonl")
	var out, errOut strings.Builder
	stdout, stderr := &lockedWriter{w: &out}, &lockedWriter{w: &errOut}
	done := make(chan error, 1)
	go func() {
		done <- runHeadless(context.Background(), stdout, stderr, path, runFlags{headless: true, journal: journal, reg: reg, share: share.DefaultAddr, sigs: make(chan os.Signal)})
	}()
	lines := regexp.MustCompile(`share    watch:  gameday watch (\S+)\nshare    scribe: gameday watch --scribe NAME (\S+)\n`)
	var m []string
	waitUntil(t, "the join lines", func() bool {
		stdout.mu.Lock()
		defer stdout.mu.Unlock()
		m = lines.FindStringSubmatch(out.String())
		return m != nil
	})
	if !strings.HasPrefix(m[1][strings.Index(m[1], "@"):], "@127.0.0.1:") {
		t.Errorf("the share is not on loopback: %s", m[1])
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	scribe, err := share.Dial(ctx, m[2], share.DialOptions{Scribe: "Tanaka"})
	if err != nil {
		t.Fatal(err)
	}
	defer scribe.Close()
	<-scribe.Ready()
	if err := scribe.Note("-@sato page the on-call sooner"); err != nil {
		t.Fatal(err)
	}
	scribe.Abort("a scribe's ctrl+x")
	if err := scribe.Inject("f1"); err == nil {
		t.Error("a scribe injected")
	}
	waitUntil(t, "the fault phase", func() bool {
		return scribe.Snapshot().Phase == engine.Observing || scribe.Snapshot().Phase == engine.Injecting
	})
	late, err := share.Dial(ctx, m[1], share.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer late.Close()
	late.AbortNow("a watcher's q")

	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the run did not end")
	}
	if err != nil {
		t.Fatalf("the run failed (%v, exit %d): watchers changed the run\n%s\n%s", err, exitCodeOf(err), out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "note     [improvement] Tanaka: @sato page the on-call sooner") {
		t.Errorf("the headless output lacks the scribe's note:\n%s", out.String())
	}
	recs, _, err := readJournalFile(journal)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []*share.Watcher{scribe, late} {
		select {
		case <-w.Gone():
		case <-time.After(10 * time.Second):
			t.Fatal("a watcher's stream did not end with the run")
		}
		if !strings.Contains(w.Why(), "the run is over") {
			t.Errorf("Why = %q", w.Why())
		}
		if got, want := w.Snapshot(), engine.Replay(recs); !reflect.DeepEqual(got, want) {
			t.Error("a watcher's final state is not the journal's")
		}
	}
	report, err := os.ReadFile(strings.TrimSuffix(journal, ".jsonl") + ".md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(report), "🔧 improvement by Tanaka: @sato page the on-call sooner") {
		t.Errorf("the report lacks the scribe's note with their name:\n%s", report)
	}
	if !strings.Contains(errOut.String(), "share: watcher 1 (") {
		t.Errorf("the watchers' comings and goings are not logged:\n%s", errOut.String())
	}
}

func TestShareArgs(t *testing.T) {
	for _, tc := range []struct {
		addr string
		args []string
		bad  bool
	}{
		{share.DefaultAddr, []string{"latency"}, false},
		{share.DefaultAddr, []string{"latency", "127.0.0.1:7777"}, true},
		{share.DefaultAddr, []string{"0.0.0.0:7777"}, true},
		{"0.0.0.0:7777", []string{"latency"}, false},
		{"", []string{"latency", "x"}, false},
	} {
		if err := checkShareArgs(tc.addr, tc.args); (err != nil) != tc.bad {
			t.Errorf("checkShareArgs(%q, %q) = %v, want an error %v", tc.addr, tc.args, err, tc.bad)
		}
	}
}
