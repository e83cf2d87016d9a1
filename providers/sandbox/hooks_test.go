package sandbox_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/providers/sandbox"
)

func bg(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func status(t *testing.T, c *sandbox.Client) sandbox.Status {
	t.Helper()
	st, err := c.Status(bg(t))
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	return st
}

func apply(t *testing.T, c *sandbox.Client, spec sandbox.HookSpec) sandbox.Hook {
	t.Helper()
	h, err := c.Apply(bg(t), spec)
	if err != nil {
		t.Fatalf("apply %s: %v", spec, err)
	}
	if h.State != sandbox.HookActive || h.Error != "" {
		t.Fatalf("apply %s: got hook %+v, want active without error", spec, h)
	}
	return h
}

func undo(t *testing.T, c *sandbox.Client, id string) {
	t.Helper()
	if err := c.Undo(bg(t), id); err != nil {
		t.Fatalf("undo %s: %v", id, err)
	}
	h, err := c.Hook(bg(t), id)
	if err != nil {
		t.Fatalf("hook %s: %v", id, err)
	}
	if h.State != sandbox.HookRolledBack {
		t.Fatalf("hook %s after undo: state %q, want %q", id, h.State, sandbox.HookRolledBack)
	}
	// Undo is idempotent.
	if err := c.Undo(bg(t), id); err != nil {
		t.Fatalf("second undo of %s: %v", id, err)
	}
}

func waitHookState(t *testing.T, c *sandbox.Client, id, want string, timeout time.Duration) sandbox.Hook {
	t.Helper()
	var h sandbox.Hook
	eventually(t, timeout, "hook "+id+" "+want, func() (bool, string) {
		var err error
		h, err = c.Hook(bg(t), id)
		if err != nil {
			return false, err.Error()
		}
		return h.State == want, fmt.Sprintf("state %q note %q error %q", h.State, h.Note, h.Error)
	})
	return h
}

func replicaStatus(st sandbox.Status, name string) sandbox.ReplicaStatus {
	for _, r := range st.Replicas {
		if r.Name == name {
			return r
		}
	}
	return sandbox.ReplicaStatus{}
}

// waitClean waits until the sandbox runs as configured with no active hook.
func waitClean(t *testing.T, c *sandbox.Client) {
	t.Helper()
	eventually(t, 30*time.Second, "sandbox back to normal", func() (bool, string) {
		st, err := c.Status(bg(t))
		if err != nil {
			return false, err.Error()
		}
		var bad []string
		if st.Running != st.Configured {
			bad = append(bad, fmt.Sprintf("running %d of %d", st.Running, st.Configured))
		}
		for _, h := range st.Hooks {
			if h.State == sandbox.HookActive {
				bad = append(bad, "hook "+h.ID+" active")
			}
		}
		for _, r := range st.Replicas {
			if r.State != sandbox.ProcessRunning || r.Burners != 0 || r.HeldMB != 0 || len(r.LatencyHooks) > 0 {
				bad = append(bad, fmt.Sprintf("%s %s burners %d held %d latency %v", r.Name, r.State, r.Burners, r.HeldMB, r.LatencyHooks))
			}
		}
		if st.Database.State != sandbox.ProcessRunning {
			bad = append(bad, "database "+st.Database.State)
		}
		if st.Dependency.Mode != sandbox.DependencyNormal {
			bad = append(bad, "dependency "+st.Dependency.Mode)
		}
		return len(bad) == 0, strings.Join(bad, "; ")
	})
}

// cpuSeconds returns the CPU time pid has used.
func cpuSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses: state is
	// field 3, utime 14, stime 15.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, err1 := strconv.ParseFloat(f[11], 64)
	st, err2 := strconv.ParseFloat(f[12], 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return (ut + st) / 100, nil // USER_HZ is 100 on Linux
}

// cpuRate measures pid's CPU use, in cores, over one second.
func cpuRate(pid int) (float64, error) {
	a, err := cpuSeconds(pid)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	time.Sleep(time.Second)
	b, err := cpuSeconds(pid)
	if err != nil {
		return 0, err
	}
	return (b - a) / time.Since(start).Seconds(), nil
}

// rssMB returns pid's resident memory.
func rssMB(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024, err
		}
	}
	return 0, errors.New("no VmRSS")
}

// TestHooks checks what every hook shares, on the shared sandbox: round
// robin, refused hooks, and the client as a providers.Provider. Each fault
// kind has its own test beside its file (fault_*_test.go).
func TestHooks(t *testing.T) {
	sb := sharedSB(t)
	c := sb.Client()
	load := sb.LoadURL()

	t.Run("baseline", func(t *testing.T) {
		seen := map[string]bool{}
		for range 8 {
			a := fetch(load, 5*time.Second)
			if a.Err != nil || a.Code != 200 || a.ProfileSource != "live" {
				t.Fatalf("GET %s: %s, want 200 with a live profile", load, a)
			}
			seen[a.Replica] = true
		}
		if len(seen) != 4 {
			t.Errorf("8 requests reached replicas %v, want all 4 (round robin)", seen)
		}
		if st := status(t, c); st.Running != 4 || st.Configured != 4 {
			t.Errorf("running %d of %d, want 4 of 4", st.Running, st.Configured)
		}
	})

	t.Run("bad hooks change nothing", func(t *testing.T) {
		waitClean(t, c)
		for name, spec := range map[string]sandbox.HookSpec{
			"unknown kind":    {Kind: "melt", TTL: time.Minute},
			"no ttl":          {Kind: sandbox.HookKill},
			"unknown replica": {Kind: sandbox.HookKill, Replicas: []string{"replica-9"}, TTL: time.Minute},
			"no delay":        {Kind: sandbox.HookLatency, TTL: time.Minute},
			"no memory":       {Kind: sandbox.HookMemory, TTL: time.Minute},
			"count+percent":   {Kind: sandbox.HookKill, Count: 1, Percent: 10, TTL: time.Minute},
		} {
			_, err := c.Apply(bg(t), spec)
			var ae *sandbox.APIError
			if !errors.As(err, &ae) || ae.StatusCode != 400 {
				t.Errorf("%s: apply %s: %v, want a 400", name, spec, err)
			}
		}
		if st := status(t, c); len(st.Hooks) > 0 && st.Hooks[len(st.Hooks)-1].State == sandbox.HookActive {
			t.Errorf("a refused hook is active: %+v", st.Hooks[len(st.Hooks)-1])
		}
		if err := c.Undo(bg(t), "h999-nothing"); err != nil {
			t.Errorf("undo of an unknown hook: %v", err)
		}
	})

	t.Run("provider", func(t *testing.T) {
		waitClean(t, c)
		ctx := bg(t)
		var p providers.Provider = c
		f := providers.Fault{ID: "f1", Kind: providers.InstanceStop, Selection: providers.Selection{Percent: 25}}
		if !p.Supports(providers.DependencyOutage) || p.Name() != "sandbox" {
			t.Fatalf("Name %q, supports dependency-outage %v", p.Name(), p.Supports(providers.DependencyOutage))
		}
		targets, err := p.Targets(ctx, f)
		if err != nil || len(targets) != 1 {
			t.Fatalf("Targets of 25%% of 4: %v, %v", targets, err)
		}
		plan, err := c.Plan(ctx, f, time.Minute)
		if err != nil || len(plan) != 2 || !strings.Contains(plan[0], "POST ") || !strings.Contains(plan[0], "kind: kill") || !strings.Contains(plan[1], "DELETE ") {
			t.Fatalf("Plan: %q, %v", plan, err)
		}
		var tc providers.TargetCounter = c
		if n, err := tc.TargetCount(ctx, f); err != nil || n != 4 {
			t.Errorf("TargetCount(instance-stop) = %d, %v; want all 4 replicas", n, err)
		}
		if n, err := tc.TargetCount(ctx, providers.Fault{ID: "f9", Kind: providers.DBFailure}); err != nil || n != 1 {
			t.Errorf("TargetCount(db-failure) = %d, %v; want 1", n, err)
		}
		inj, err := p.Inject(ctx, providers.Fault{ID: "f2", Kind: providers.Latency, Selection: providers.Selection{Count: 2}, Params: providers.Params{Delay: 300 * time.Millisecond}}, time.Minute)
		if err != nil || len(inj.Handles) != 1 || len(inj.Targets) != 2 || inj.ExpiresAt.IsZero() {
			t.Fatalf("Inject: %+v, %v", inj, err)
		}
		if want := "gameday sandbox undo " + inj.Handles[0]; p.ManualRollback(inj) != want {
			t.Errorf("ManualRollback = %q, want %q", p.ManualRollback(inj), want)
		}
		v, err := c.Verify(ctx, inj)
		if err != nil || v.Clean || len(v.Details) == 0 {
			t.Fatalf("Verify while injected: %+v, %v; want not clean", v, err)
		}
		slow := 0
		for range 8 {
			if a := fetch(load, 5*time.Second); a.Took >= 300*time.Millisecond {
				slow++
			}
		}
		if slow != 4 {
			t.Errorf("%d of 8 round-robin requests were delayed, want 4 (2 of 4 replicas)", slow)
		}
		if err := p.Rollback(ctx, inj); err != nil {
			t.Fatalf("Rollback: %v", err)
		}
		if err := p.Rollback(ctx, inj); err != nil {
			t.Fatalf("second Rollback: %v", err)
		}
		if v, err := c.Verify(ctx, inj); err != nil || !v.Clean {
			t.Fatalf("Verify after rollback: %+v, %v", v, err)
		}
		_, err = p.Inject(ctx, providers.Fault{ID: "f3", Kind: providers.InstanceStop, Params: providers.Params{Mode: "explode"}}, time.Minute)
		if !errors.Is(err, providers.ErrNotApplied) {
			t.Errorf("Inject with a bad mode: %v, want ErrNotApplied", err)
		}
		_, err = p.Inject(ctx, providers.Fault{ID: "f4", Kind: providers.InstanceStop, Selection: providers.Selection{Count: 1}}, 0)
		if !errors.Is(err, providers.ErrNotApplied) {
			t.Errorf("Inject with no TTL: %v, want ErrNotApplied", err)
		}
		if n, err := c.Running(ctx); err != nil || n != 4 {
			t.Errorf("Running = %d, %v", n, err)
		}
		st := status(t, c)
		if slices.ContainsFunc(st.Hooks, func(h sandbox.Hook) bool { return h.State == sandbox.HookActive }) {
			t.Errorf("hooks still active: %+v", st.Hooks)
		}
	})
}

// injectionOf is what a run journals for the fault that hook h applies.
func injectionOf(h sandbox.Hook) providers.Injection {
	kinds := map[sandbox.HookKind]providers.Kind{
		sandbox.HookKill: providers.InstanceStop, sandbox.HookPause: providers.InstanceStop,
		sandbox.HookLatency: providers.Latency, sandbox.HookCPU: providers.CPUStress, sandbox.HookMemory: providers.MemoryStress,
		sandbox.HookDBStop: providers.DBFailure, sandbox.HookDBPause: providers.DBFailure,
		sandbox.HookDependencyBlackhole: providers.DependencyOutage, sandbox.HookDependencyError: providers.DependencyOutage,
	}
	inj := providers.Injection{FaultID: "f1", Provider: sandbox.ProviderName, Kind: kinds[h.Kind], Handles: []string{h.ID}, Owner: h.Spec.Label}
	for _, n := range h.Targets {
		inj.Targets = append(inj.Targets, providers.Target{ID: n, Name: n})
	}
	return inj
}

// verifyDirty checks that Verify does not say clean while hook h is in
// force.
func verifyDirty(t *testing.T, c *sandbox.Client, h sandbox.Hook) {
	t.Helper()
	v, err := c.Verify(bg(t), injectionOf(h))
	if err != nil || v.Clean || !strings.Contains(strings.Join(v.Details, " "), h.ID) {
		t.Fatalf("Verify while hook %s (%s) is in force: %+v, %v; want not clean, naming it", h.ID, h.Kind, v, err)
	}
}

// verifyClean waits until Verify says hook h's fault left nothing.
func verifyClean(t *testing.T, c *sandbox.Client, h sandbox.Hook) {
	t.Helper()
	eventually(t, 20*time.Second, "hook "+h.ID+" ("+string(h.Kind)+") verified clean", func() (bool, string) {
		v, err := c.Verify(bg(t), injectionOf(h))
		if err != nil {
			return false, err.Error()
		}
		return v.Clean, strings.Join(v.Details, "; ")
	})
}
