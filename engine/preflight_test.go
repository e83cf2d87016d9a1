package engine

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// countingProvider adds providers.TargetCounter and providers.Planner to
// the fake.
type countingProvider struct {
	*fakeProvider
	total int
}

var (
	_ providers.TargetCounter = countingProvider{}
	_ providers.Planner       = countingProvider{}
)

func (p countingProvider) TargetCount(context.Context, providers.Fault) (int, error) {
	return p.total, nil
}

func (p countingProvider) Plan(_ context.Context, f providers.Fault, ttl time.Duration) ([]string, error) {
	return []string{"POST /hooks " + f.ID + " ttl=" + ttl.String(), "DELETE /hooks/{id}"}, nil
}

func replicas(n int) []providers.Target {
	var out []providers.Target
	for i := range n {
		id := "replica-" + string(rune('1'+i))
		out = append(out, providers.Target{ID: id, Name: id})
	}
	return out
}

func TestPreflight(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		maxPercent float64
		maxCount   int
		hit        int // targets the selection resolves to
		total      int // TargetCount; 0 = the provider cannot count
		problem    string
	}{
		"within the percent cap":     {maxPercent: 25, hit: 1, total: 4},
		"within the count cap":       {maxCount: 2, hit: 2, total: 4},
		"no cap":                     {hit: 4, total: 4},
		"matches nothing":            {hit: 0, total: 4, problem: "matches nothing right now"},
		"beyond max_count":           {maxCount: 1, hit: 2, total: 4, problem: "would hit 2 targets, beyond the plan's max_count of 1"},
		"beyond max_percent":         {maxPercent: 25, hit: 2, total: 4, problem: "would hit 2 of 4 targets (50%), beyond the plan's max_percent of 25% (1 of 4)"},
		"rounding up is beyond it":   {maxPercent: 10, hit: 1, total: 4, problem: "would hit 1 of 4 targets (25%), beyond the plan's max_percent of 10% (0 of 4)"},
		"total from a 100% Targets":  {maxPercent: 50, hit: 3, total: 0, problem: "(100%), beyond the plan's max_percent of 50% (1 of 3)"},
		"fallback total within caps": {maxPercent: 100, hit: 3, total: 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fake := newFakeProvider(t)
			fake.targets["f1"] = replicas(tc.hit)
			var prov providers.Provider = fake
			if tc.total > 0 {
				prov = countingProvider{fakeProvider: fake, total: tc.total}
			}
			plan := testPlan(fault("f1", providers.InstanceStop))
			plan.MaxPercent, plan.MaxCount = tc.maxPercent, tc.maxCount
			blast, err := Preflight(context.Background(), prov, plan)
			if len(blast.Faults) != 1 {
				t.Fatalf("blast has %d faults, want 1 (err %v)", len(blast.Faults), err)
			}
			fb := blast.Faults[0]
			if len(fb.Targets) != tc.hit {
				t.Errorf("targets %v, want %d", fb.Targets, tc.hit)
			}
			if tc.problem == "" {
				if err != nil || fb.Problem != "" {
					t.Errorf("err %v, problem %q; want none", err, fb.Problem)
				}
				return
			}
			if !errors.Is(err, ErrBlastRadius) {
				t.Fatalf("err = %v, want ErrBlastRadius", err)
			}
			if !strings.Contains(fb.Problem, tc.problem) || !strings.Contains(err.Error(), "f1 instance-stop "+fb.Problem) {
				t.Errorf("problem %q, err %q; want %q named with the fault", fb.Problem, err, tc.problem)
			}
			if !strings.Contains(fb.String(), "REFUSED") {
				t.Errorf("String() = %q does not say it is refused", fb.String())
			}
		})
	}
}

func TestPreflightHungProvider(t *testing.T) {
	t.Parallel()
	prov := &hangingTargets{fakeProvider: newFakeProvider(t)}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := Preflight(ctx, prov, testPlan(fault("f1", providers.InstanceStop)))
	if err == nil || !strings.Contains(err.Error(), "resolve the targets of f1") {
		t.Errorf("err = %v, want the timeout resolving f1", err)
	}
}

// hangingTargets ignores its context in Targets: a hung API.
type hangingTargets struct{ *fakeProvider }

func (p *hangingTargets) Targets(context.Context, providers.Fault) ([]providers.Target, error) {
	<-p.release
	return nil, nil
}

func TestBlastTargetsAndString(t *testing.T) {
	b := Blast{Faults: []FaultBlast{
		{Fault: fault("f1", providers.InstanceStop), Targets: replicas(2), Total: 4},
		{Fault: fault("f2", providers.Latency), Targets: replicas(3)},
	}}
	var ids []string
	for _, tg := range b.Targets() {
		ids = append(ids, tg.ID)
	}
	if want := []string{"replica-1", "replica-2", "replica-3"}; !slices.Equal(ids, want) {
		t.Errorf("Targets() = %v, want %v", ids, want)
	}
	if got, want := b.Faults[0].String(), "f1 instance-stop: 2 of 4 targets: replica-1, replica-2"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if b.Err() != nil {
		t.Errorf("Err() = %v, want nil", b.Err())
	}
}

func TestConfirmProduction(t *testing.T) {
	prod := scenarios.Target{Provider: "sandbox", Name: "payments-prod", Environment: "Production"}
	tests := map[string]struct {
		target scenarios.Target
		typed  string
		flag   string
		want   string // "" = confirmed
	}{
		"not production":          {target: scenarios.Target{Name: "demo", Environment: "sandbox"}},
		"typed the name":          {target: prod, typed: "payments-prod"},
		"spaces around the name":  {target: prod, typed: "  payments-prod "},
		"missing, headless":       {target: prod, flag: "--confirm", want: "pass --confirm payments-prod"},
		"missing, console":        {target: prod, want: "type payments-prod"},
		"wrong name":              {target: prod, typed: "payments", flag: "--confirm", want: `"payments" is not the target's name; pass --confirm payments-prod`},
		"case matters":            {target: prod, typed: "PAYMENTS-PROD", want: "is not the target's name"},
		"production without name": {target: scenarios.Target{Environment: "production"}, typed: "x", want: "has no name"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := ConfirmProduction(tc.target, tc.typed, tc.flag)
			if tc.want == "" {
				if err != nil {
					t.Errorf("err = %v, want confirmed", err)
				}
				return
			}
			if !errors.Is(err, ErrNotConfirmed) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrNotConfirmed with %q", err, tc.want)
			}
		})
	}
}

func TestPlannedTTLAndPlanCalls(t *testing.T) {
	plan := testPlan()
	plan.Phases.Fault = time.Minute
	f := fault("f1", providers.InstanceStop)
	f.StartAfter, f.Duration = 10*time.Second, 20*time.Second
	if got := PlannedTTL(plan, f, time.Second); got != 21*time.Second {
		t.Errorf("PlannedTTL = %s, want 21s (duration + margin)", got)
	}
	f.Duration = 0
	if got := PlannedTTL(plan, f, 0); got != 50*time.Second+TTLMargin {
		t.Errorf("PlannedTTL = %s, want the rest of the phase + TTLMargin", got)
	}

	fake := newFakeProvider(t)
	calls, err := PlanCalls(context.Background(), fake, f.Fault, time.Minute)
	if err != nil || len(calls) != 2 || !strings.Contains(calls[0], "fake Inject f1 instance-stop, selection count 1, ttl 1m0s") || !strings.Contains(calls[1], "Rollback f1") {
		t.Errorf("PlanCalls without a Planner = %q, %v", calls, err)
	}
	calls, err = PlanCalls(context.Background(), verifyingProvider{fakeProvider: fake}, f.Fault, time.Minute)
	if err != nil || len(calls) != 3 || !strings.Contains(calls[2], "Verify f1") {
		t.Errorf("PlanCalls with a Verifier = %q, %v", calls, err)
	}
	calls, err = PlanCalls(context.Background(), countingProvider{fakeProvider: fake}, f.Fault, time.Minute)
	if err != nil || !slices.Equal(calls, []string{"POST /hooks f1 ttl=1m0s", "DELETE /hooks/{id}"}) {
		t.Errorf("PlanCalls with a Planner = %q, %v", calls, err)
	}
	if n := len(fake.callList()); n != 0 {
		t.Errorf("planning made %d provider calls: %v", n, fake.callList())
	}
}

// A dry run goes through every phase and measures, but never calls Inject
// or Rollback: each fault is journaled in state "dry run" with the calls
// it would have made, on schedule and on demand alike, and the verdict
// and the report say it was a dry run.
func TestDryRunInjectsNothing(t *testing.T) {
	t.Parallel()
	fake := newFakeProvider(t)
	fake.targets["f1"] = replicas(1)
	prov := countingProvider{fakeProvider: fake, total: 4}
	manual := fault("f2", providers.Latency)
	manual.Manual = true
	plan := testPlan(fault("f1", providers.InstanceStop), manual)
	h := start(t, plan, prov, fake, metricsFor(nil), func(o *Options) { o.DryRun = true })
	waitFor(t, "the fault phase", func() bool {
		ph := h.run.Snapshot().Phase
		return ph == Observing || ph == Injecting
	})
	if err := h.run.Inject("f2"); err != nil {
		t.Fatalf("Inject(f2) in a dry run: %v", err)
	}
	out := h.wait(t)

	if got := fake.callList(); len(got) != 0 {
		t.Errorf("a dry run called the provider: %q", got)
	}
	if out.Verdict != VerdictHeld || !strings.HasPrefix(out.Reason, "dry run, nothing injected: ") {
		t.Errorf("outcome = %s %q, want held and a reason that says dry run", out.Verdict, out.Reason)
	}
	recs := h.records(t)
	if got, want := phasesOf(recs), []string{"baseline", "observing", "rolling back", "recovering", "done"}; !slices.Equal(got, want) {
		t.Errorf("phases = %q, want %q", got, want)
	}
	if recs[0].Env == nil || !recs[0].Env.DryRun {
		t.Errorf("the plan record's environment does not say dry run: %+v", recs[0].Env)
	}
	for _, id := range []string{"f1", "f2"} {
		if got := faultStates(recs, id); !slices.Equal(got, []string{"dry run"}) {
			t.Errorf("%s states = %q, want only [dry run]", id, got)
		}
	}
	f1 := recs[findFault(recs, "f1", FaultDryRun)].Fault
	if len(f1.Calls) != 2 || !strings.HasPrefix(f1.Calls[0], "POST /hooks f1 ttl=") || len(f1.Targets) != 1 {
		t.Errorf("f1 dry-run record: calls %q, targets %v; want the planner's calls and the resolved target", f1.Calls, f1.Targets)
	}
	if u := Unfinished(recs); len(u) != 0 {
		t.Errorf("a dry run's journal has unfinished faults: %+v", u)
	}
	var report bytes.Buffer
	if err := WriteReport(&report, recs); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"(dry run: nothing was injected)** — dry run, nothing injected", "- **Dry run:** yes", "would call `POST /hooks f1 ttl="} {
		if !strings.Contains(report.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, report.String())
		}
	}
}

// Env.DryRun alone (what the console set before Options.DryRun existed)
// is a dry run too.
func TestEnvDryRunIsDryRun(t *testing.T) {
	t.Parallel()
	fake := newFakeProvider(t)
	h := start(t, testPlan(fault("f1", providers.InstanceStop)), fake, fake, metricsFor(nil), func(o *Options) { o.Env.DryRun = true })
	h.wait(t)
	if n := fake.count("inject"); n != 0 {
		t.Errorf("Env.DryRun: %d inject calls, want none", n)
	}
}

// A refusal before the run names the place in the scenario file of what
// it refuses, as validate would: the fault beyond the cap, the production
// target not confirmed.
func TestPreflightNamesTheLine(t *testing.T) {
	t.Parallel()
	opts := scenarios.Options{Providers: map[string]providers.Spec{"fake": {Name: "fake", Kinds: slices.Clone(providers.Kinds), NoLoadNeeded: true}}}
	src := `title: Over the cap
hypothesis: h
blast_radius: b
rollback: r
target: { provider: fake, name: payments-prod, environment: production }
steady_state: { error_rate: { max: 0.01 } }
phases: { baseline: 1s, fault: 2s, recovery: 1s }
max_count: 1
faults:
  - { kind: latency, params: { delay: 1s } }
  - kind: instance-stop
    selection: { count: 1 }
`
	plan, err := scenarios.Parse("p.yaml", []byte(src), opts)
	if err != nil {
		t.Fatal(err)
	}
	fake := newFakeProvider(t)
	fake.targets["f1"] = replicas(1)
	fake.targets["f2"] = replicas(3)
	_, err = Preflight(context.Background(), fake, plan)
	if want := "f2 instance-stop would hit 3 targets, beyond the plan's max_count of 1 (at p.yaml:11:5)"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Preflight = %v; want %q", err, want)
	}
	err = ConfirmProduction(plan.Target, "", "--confirm")
	if want := "pass --confirm payments-prod to run against it (at p.yaml:5:33)"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("ConfirmProduction = %v; want %q", err, want)
	}
	// A plan built in code has no place to name.
	code := testPlan(fault("f1", providers.InstanceStop))
	code.MaxCount = 1
	fake.targets["f1"] = replicas(2)
	if _, err := Preflight(context.Background(), fake, code); err == nil || strings.Contains(err.Error(), "(at ") {
		t.Errorf("Preflight of a plan built in code = %v", err)
	}
}

// What preflight prints before anything is journaled — the blast line, a
// refusal, the dry run's calls — carries no escape code a provider's
// names or words held.
func TestPreflightOutputIsPrintable(t *testing.T) {
	t.Parallel()
	fake := newFakeProvider(t)
	fake.targets["f1"] = []providers.Target{{ID: "r1", Name: "replica-1\x1b[2J"}, {ID: "r2", Name: "replica-2\u009b8m"}}
	plan := testPlan(fault("f1", providers.InstanceStop))
	plan.MaxCount = 1
	b, err := Preflight(context.Background(), countingProvider{fakeProvider: fake, total: 4}, plan)
	if err == nil {
		t.Fatal("Preflight accepted 2 targets with max_count 1")
	}
	calls, cerr := PlanCalls(context.Background(), escapingPlanner{fake}, plan.CallFault(plan.Faults[0]), time.Minute)
	if cerr != nil {
		t.Fatal(cerr)
	}
	for what, text := range map[string]string{"blast line": b.Faults[0].String(), "refusal": err.Error(), "calls": strings.Join(calls, "\n")} {
		if strings.ContainsAny(text, "\x1b\u009b") {
			t.Errorf("the %s carries an escape code: %q", what, text)
		}
	}
	if got := b.Faults[0].String(); !strings.Contains(got, "replica-1, replica-2") {
		t.Errorf("blast line = %q", got)
	}
}

// escapingPlanner is a Planner whose words hold escape codes.
type escapingPlanner struct{ *fakeProvider }

func (escapingPlanner) Plan(context.Context, providers.Fault, time.Duration) ([]string, error) {
	return []string{"\x1b]0;owned\x07POST /hooks", "DELETE /hooks/{id}\x1b[0m"}, nil
}
