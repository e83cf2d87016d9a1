package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// fakeSystem is a provider of a system that lives in memory, registered in
// a test registry: recover must work through the registry for any
// provider, knowing nothing of it.
type fakeSystem struct {
	mu       sync.Mutex
	id       string
	applied  map[string]bool // by owner label
	rollback []string
}

func (s *fakeSystem) Name() string                 { return "fakesys" }
func (s *fakeSystem) Supports(providers.Kind) bool { return true }
func (s *fakeSystem) Targets(context.Context, providers.Fault) ([]providers.Target, error) {
	return []providers.Target{{ID: "t1", Name: "target-1"}}, nil
}
func (s *fakeSystem) Inject(_ context.Context, f providers.Fault, ttl time.Duration) (providers.Injection, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.applied[f.Owner] = true
	return providers.Injection{FaultID: f.ID, Provider: "fakesys", Kind: f.Kind, Owner: f.Owner, Handles: []string{"x-" + f.ID}, ExpiresAt: time.Now().Add(ttl)}, nil
}
func (s *fakeSystem) Rollback(_ context.Context, inj providers.Injection) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.applied, inj.Owner)
	s.rollback = append(s.rollback, inj.FaultID)
	return nil
}
func (s *fakeSystem) ManualRollback(inj providers.Injection) string {
	return "fakesysctl undo " + inj.Owner
}
func (s *fakeSystem) Verify(_ context.Context, inj providers.Injection) (providers.Verification, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.applied[inj.Owner] {
		return providers.Verification{Details: []string{inj.Owner + " still applied"}}, nil
	}
	return providers.Verification{Clean: true, Details: []string{"nothing of " + inj.Owner + " is left"}}, nil
}

func fakeRegistry(sys *fakeSystem, reachErr error) *registry {
	r := &registry{backends: map[string]backend{}, sources: map[string]sourceBackend{}}
	r.add(backend{
		spec: providers.Spec{Name: "fakesys", Kinds: providers.Kinds, NoLoadNeeded: true},
		open: func(context.Context, *scenarios.Plan, connectOptions) (*conn, error) {
			return &conn{provider: sys, identity: providers.Identity{Provider: "fakesys", ID: sys.id}}, nil
		},
		reach: func(_ context.Context, id providers.Identity, _ *scenarios.Plan, _ connectOptions) (*conn, error) {
			if reachErr != nil {
				return nil, reachErr
			}
			if id.ID != sys.id {
				return nil, os.ErrNotExist
			}
			return &conn{provider: sys}, nil
		},
	})
	return r
}

// crashedFakeJournal writes the journal of a run on the fake system that
// died with f1 active and f2 journaled as injecting (owner label only).
func crashedFakeJournal(t *testing.T, sysID string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "crashed.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f1 := scenarios.Fault{Fault: providers.Fault{ID: "f1", Kind: providers.Latency}}
	f2 := scenarios.Fault{Fault: providers.Fault{ID: "f2", Kind: providers.CPUStress}}
	plan := &scenarios.Plan{Title: "Crashed on fakesys", Path: "fake.yaml", Hypothesis: "h", Target: scenarios.Target{Provider: "fakesys"},
		Phases: scenarios.Phases{Baseline: time.Second, Fault: 10 * time.Second, Recovery: time.Second}, Faults: []scenarios.Fault{f1, f2}}
	t0 := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	inj1 := &providers.Injection{FaultID: "f1", Provider: "fakesys", Kind: providers.Latency, Handles: []string{"x-f1"}, Owner: "run1.f1"}
	inj2 := &providers.Injection{FaultID: "f2", Provider: "fakesys", Kind: providers.CPUStress, Owner: "run1.f2"}
	enc := engine.NewEncoder(f)
	for i, rec := range []engine.Record{
		{Type: engine.RecPlan, Plan: plan, Env: &engine.Environment{Provider: "fakesys", RunID: "run1", Identity: &providers.Identity{Provider: "fakesys", ID: sysID}}},
		{Type: engine.RecPhase, Phase: "observing"},
		{Type: engine.RecFault, Fault: &engine.FaultStatus{Fault: f1, State: engine.FaultActive, Injection: inj1}},
		{Type: engine.RecFault, Fault: &engine.FaultStatus{Fault: f2, State: engine.FaultInjecting, Injection: inj2}},
	} {
		rec.Seq, rec.At = i+1, t0.Add(time.Duration(i)*time.Second)
		if err := enc.Encode(rec); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// A provider registered in a test is recovered by `gameday recover` from a
// journal: rolled back by handle and by owner label, verified clean, and
// the outcome appended to the journal. Recover knows nothing of it but
// what the registry says.
func TestRecoverThroughTheRegistry(t *testing.T) {
	sys := &fakeSystem{id: "sys-1", applied: map[string]bool{"run1.f1": true, "run1.f2": true}}
	path := crashedFakeJournal(t, "sys-1")
	res, err := recoverJournal(context.Background(), path, recoverOptions{reg: fakeRegistry(sys, nil), timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !res.clean() || len(res.faults) != 2 {
		t.Fatalf("result = %+v, want both faults clean", res)
	}
	for _, f := range res.faults {
		if f.status.State != engine.FaultRolledBack || f.status.Verification == nil || !f.status.Verification.Clean {
			t.Errorf("%s: %s %+v, want rolled back and verified clean", f.status.Fault.ID, f.status.State, f.status.Verification)
		}
	}
	if len(sys.applied) != 0 {
		t.Errorf("still applied on the system: %v", sys.applied)
	}
	got := slices.Clone(sys.rollback)
	slices.Sort(got)
	if !slices.Equal(slices.Compact(got), []string{"f1", "f2"}) {
		t.Errorf("rollbacks = %v", sys.rollback)
	}
	recs := readRecords(t, path)
	if len(engine.Unfinished(recs)) != 0 {
		t.Errorf("the journal still has unfinished faults after recover")
	}
	// Again: nothing to recover.
	res, err = recoverJournal(context.Background(), path, recoverOptions{reg: fakeRegistry(sys, nil), timeout: 5 * time.Second})
	if err != nil || len(res.faults) != 0 {
		t.Errorf("second recover = %+v, %v; want nothing to recover", res, err)
	}
}

// When recover cannot reach the very system the journal names (another
// instance answers, or none), it confirms nothing: the faults are
// journaled as not confirmed, with what could not be checked.
func TestRecoverConfirmsOnlyWhatItReached(t *testing.T) {
	sys := &fakeSystem{id: "sys-2", applied: map[string]bool{"run1.f1": true}}
	path := crashedFakeJournal(t, "sys-1") // the journal names another system
	res, err := recoverJournal(context.Background(), path, recoverOptions{reg: fakeRegistry(sys, nil), timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.clean() {
		t.Fatal("recover says clean although it never reached the run's system")
	}
	for _, f := range res.faults {
		if f.status.State != engine.FaultRollbackFailed || !strings.Contains(f.line, "could not check the system the run acted on") {
			t.Errorf("%s: %s, %q", f.status.Fault.ID, f.status.State, f.line)
		}
	}
	if len(sys.rollback) != 0 {
		t.Errorf("recover rolled back on another system: %v", sys.rollback)
	}
	if len(engine.Unfinished(readRecords(t, path))) != 2 {
		t.Errorf("the faults must stay unfinished in the journal")
	}
	// A system that is provably gone took its faults with it.
	res, err = recoverJournal(context.Background(), path, recoverOptions{reg: fakeRegistry(sys, errGone), timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !res.clean() || res.faults[0].status.State != engine.FaultGone {
		t.Errorf("gone system: %+v", res)
	}
}

// Every shipped scenario validates with this build's registry.
func TestShippedScenariosValidateWithTheRegistry(t *testing.T) {
	plans, err := scenarios.Shipped(defaultRegistry().options())
	if err != nil {
		t.Fatal(err)
	}
	if len(plans) < 6 {
		t.Fatalf("%d shipped scenarios", len(plans))
	}
}

// An unknown provider is a validate error listing the known ones.
func TestUnknownProviderListsTheKnown(t *testing.T) {
	src := strings.Replace(string(shippedFile(t, "latency")), "provider: sandbox", "provider: kubernetess", 1)
	_, err := scenarios.Parse("x.yaml", []byte(src), defaultRegistry().options())
	if err == nil || !strings.Contains(err.Error(), `unknown provider "kubernetess"`) || !strings.Contains(err.Error(), "known providers: "+strings.Join(defaultRegistry().names(), ", ")) {
		t.Errorf("err = %v", err)
	}
}

func shippedFile(t *testing.T, name string) []byte {
	t.Helper()
	for _, f := range scenarios.ShippedFiles() {
		if strings.HasSuffix(f.Path, "sandbox/"+name+".yaml") {
			return f.Data
		}
	}
	t.Fatalf("no shipped %s", name)
	return nil
}

// A healthy sandbox run — what a baseline measures here: p95 of a few ms,
// no errors, every offered request served, four replicas — glows amber
// nowhere in any shipped scenario: "near a bound" means near.
func TestShippedScenariosAreNotAmberWhenHealthy(t *testing.T) {
	plans, err := scenarios.Shipped(defaultRegistry().options())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range plans {
		if p.Target.Provider != "sandbox" || !p.Load.BuiltIn() {
			continue
		}
		rate := p.Load.Rate
		healthy := map[scenarios.Metric]float64{
			scenarios.P95:        8,
			scenarios.ErrorRate:  0,
			scenarios.Throughput: rate * 0.995,
			scenarios.Running:    4,
		}
		for m, v := range healthy {
			if _, bounded := p.SteadyState[m]; !bounded {
				continue
			}
			if l := engine.LevelOf(p, m, v, rate); l != engine.LevelHolding {
				t.Errorf("%s: %s %g (offered %g) is level %d, want holding", p.Path, m, v, rate, l)
			}
		}
	}
}

// tickSource is a metric source of healthy one-second samples, for runs
// against the fake system.
type tickSource struct{}

func (tickSource) Samples(ctx context.Context) <-chan providers.Sample {
	ch := make(chan providers.Sample, 4)
	go func() {
		defer close(ch)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				select {
				case ch <- providers.Sample{At: now, Source: "fake", Span: 100 * time.Millisecond, Values: map[string]float64{"error_rate": 0}}:
				default:
				}
			}
		}
	}()
	return ch
}

// Two runs against one target at once are refused: the second names the
// live run, its owner and its start time, and writes nothing.
func TestSecondRunOnATargetIsRefused(t *testing.T) {
	t.Setenv("GAMEDAY_STATE_DIR", t.TempDir())
	sys := &fakeSystem{id: "sys-lease", applied: map[string]bool{}}
	c := &conn{provider: sys, sources: []providers.MetricSource{tickSource{}}, identity: providers.Identity{Provider: "fakesys", ID: "sys-lease"}}
	max := 0.5
	plan := &scenarios.Plan{Title: "Lease", Path: "lease.yaml", Hypothesis: "h", Target: scenarios.Target{Provider: "fakesys", Name: "shop"},
		SteadyState: map[scenarios.Metric]scenarios.Bound{scenarios.ErrorRate: {Max: &max}},
		Phases:      scenarios.Phases{Baseline: time.Minute, Fault: time.Minute, Recovery: time.Minute},
		Faults:      []scenarios.Fault{{Fault: providers.Fault{ID: "f1", Kind: providers.Latency}, Manual: true}}}
	ctx := context.Background()
	first, err := startSession(ctx, c, plan, sessionOptions{JournalPath: filepath.Join(t.TempDir(), "a.jsonl")})
	if err != nil {
		t.Fatal(err)
	}
	second := filepath.Join(t.TempDir(), "b.jsonl")
	_, err = startSession(ctx, c, plan, sessionOptions{JournalPath: second})
	if err == nil {
		t.Fatal("a second run on the same target started")
	}
	runID := readRecords(t, first.JournalPath())[0].Env.RunID
	for _, want := range []string{"in use by run " + runID, "started "} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q lacks %q", err, want)
		}
	}
	if code := exitCodeOf(err); code != ExitInvalid {
		t.Errorf("exit code %d, want %d", code, ExitInvalid)
	}
	if _, statErr := os.Stat(second); !os.IsNotExist(statErr) {
		t.Errorf("the refused run wrote a journal: %v", statErr)
	}
	first.Abort("test")
	<-first.Done()
	first.Close()
	// Once the first run has ended, the target is free again.
	again, err := startSession(ctx, c, plan, sessionOptions{JournalPath: filepath.Join(t.TempDir(), "c.jsonl")})
	if err != nil {
		t.Fatalf("after the first run ended: %v", err)
	}
	again.Abort("test")
	<-again.Done()
	again.Close()
}

func exitCodeOf(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return -1
}

// A journal that cannot grow (a full disk) does not keep recover from
// recording its outcome: it goes beside the journal, the journal keeps
// what it had, and every reader — report, the unfinished-journal notice,
// recover again — reads both.
func TestRecoverWritesBesideAFullJournal(t *testing.T) {
	sys := &fakeSystem{id: "sys-1", applied: map[string]bool{"run1.f1": true, "run1.f2": true}}
	path := crashedFakeJournal(t, "sys-1")
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	full := func(*os.File, []byte) error { return syscall.ENOSPC }
	res, err := recoverJournal(context.Background(), path, recoverOptions{reg: fakeRegistry(sys, nil), timeout: 5 * time.Second, appendJournal: full})
	if err != nil {
		t.Fatal(err)
	}
	if !res.clean() || res.sidecar != sidecarPath(path) {
		t.Fatalf("result = %+v, want clean with the outcome beside the journal", res)
	}
	after, _ := os.ReadFile(path)
	if string(after) != string(before) {
		t.Error("the journal changed although it could not grow")
	}
	recs, _, err := readJournalFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if u := engine.Unfinished(recs); len(u) != 0 {
		t.Errorf("journal + sidecar still show %d unfinished faults", len(u))
	}
	var report strings.Builder
	if err := renderReport(&report, path, localReports(engine.English), false, nil); err != nil || !strings.Contains(report.String(), "confirmed rolled back by gameday recover") {
		t.Errorf("report (err %v) does not show the recovery:\n%s", err, report.String())
	}
	res, err = recoverJournal(context.Background(), path, recoverOptions{reg: fakeRegistry(sys, nil), timeout: 5 * time.Second})
	if err != nil || len(res.faults) != 0 {
		t.Errorf("recover again = %+v, %v; want nothing to recover", res, err)
	}
}

// Two runs of one plan started in the same instant each get their own
// journal.
func TestJournalNamesDoNotClash(t *testing.T) {
	t.Setenv("GAMEDAY_STATE_DIR", t.TempDir())
	max := 0.5
	plan := &scenarios.Plan{Title: "Clash", Path: "clash.yaml", Hypothesis: "h", Target: scenarios.Target{Provider: "fakesys"},
		SteadyState: map[scenarios.Metric]scenarios.Bound{scenarios.ErrorRate: {Max: &max}},
		Phases:      scenarios.Phases{Baseline: time.Minute, Fault: time.Minute, Recovery: time.Minute},
		Faults:      []scenarios.Fault{{Fault: providers.Fault{ID: "f1", Kind: providers.Latency}, Manual: true}}}
	var paths []string
	for i := range 2 {
		// Two systems, so that the lease does not refuse the second.
		sys := &fakeSystem{id: fmt.Sprintf("sys-%d", i), applied: map[string]bool{}}
		c := &conn{provider: sys, sources: []providers.MetricSource{tickSource{}}, identity: providers.Identity{Provider: "fakesys", ID: sys.id}}
		first, err := defaultJournalPath(plan, engine.English, time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(first), 0o700); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if err := os.WriteFile(first, []byte("taken\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		s, err := startSessionAt(context.Background(), c, plan, sessionOptions{}, first)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, s.JournalPath())
		s.Abort("test")
		<-s.Done()
		s.Close()
	}
	if paths[0] == paths[1] || !strings.HasSuffix(paths[0], "~2.jsonl") {
		t.Errorf("journals %v, want two names, the first with a ~2 suffix", paths)
	}
}

// CloudWatch is read in the metrics mapping's region, else --region, else
// the AWS target's: a scenario that names its region once reads its
// metrics where its target is.
func TestCloudWatchRegion(t *testing.T) {
	i := slices.IndexFunc(scenarios.ShippedFiles(), func(f scenarios.File) bool { return f.Path == scenarios.EmbeddedPrefix+"aws/latency.yaml" })
	if i < 0 {
		t.Fatal("aws/latency.yaml is not shipped")
	}
	withRegion := string(scenarios.ShippedFiles()[i].Data)
	noRegion := strings.Replace(withRegion, "source: cloudwatch, region: us-east-1,", "source: cloudwatch,", 1)
	if noRegion == withRegion {
		t.Fatal("aws/latency.yaml no longer gives its metrics a region; update this test")
	}
	target := strings.Replace(noRegion, "  region: us-east-1\n", "  region: eu-west-1\n", 1)
	if target == noRegion {
		t.Fatal("aws/latency.yaml no longer gives its target a region; update this test")
	}
	for _, tc := range []struct {
		name, src, flag, want string
	}{
		{"the mapping's own", strings.Replace(withRegion, "  region: us-east-1\n", "  region: eu-west-1\n", 1), "", "us-east-1"},
		{"the mapping's own over --region", withRegion, "ap-northeast-1", "us-east-1"},
		{"--region", target, "ap-northeast-1", "ap-northeast-1"},
		{"the target's", target, "", "eu-west-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan, err := scenarios.Parse("latency.yaml", []byte(tc.src), defaultRegistry().options())
			if err != nil {
				t.Fatal(err)
			}
			if got := cloudWatchRegion(plan, connectOptions{aws: awsFlags{region: tc.flag}}); got != tc.want {
				t.Errorf("region %q, want %q", got, tc.want)
			}
		})
	}
}
