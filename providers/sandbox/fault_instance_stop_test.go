package sandbox_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/providers/sandbox"
)

// TestInstanceStop kills and pauses replicas of the shared sandbox and
// checks that each comes back, by undo, by its TTL and by the supervisor.
func TestInstanceStop(t *testing.T) {
	sb := sharedSB(t)
	c := sb.Client()

	t.Run("kill 2 of 4: running drops to 2, the supervisor brings them back", func(t *testing.T) {
		waitClean(t, c)
		before := status(t, c)
		h := apply(t, c, sandbox.HookSpec{Kind: sandbox.HookKill, Count: 2, TTL: time.Minute})
		verifyDirty(t, c, h)
		if len(h.Targets) != 2 {
			t.Fatalf("kill count 2 hit %v", h.Targets)
		}
		eventually(t, 10*time.Second, "running count 2", func() (bool, string) {
			n, err := c.Running(bg(t))
			return err == nil && n == 2, fmt.Sprintf("running %d (%v)", n, err)
		})
		eventually(t, 20*time.Second, "running count back to 4", func() (bool, string) {
			n, err := c.Running(bg(t))
			return err == nil && n == 4, fmt.Sprintf("running %d (%v)", n, err)
		})
		got := waitHookState(t, c, h.ID, sandbox.HookExpired, 10*time.Second)
		verifyClean(t, c, h)
		if got.Note != "replaced by the supervisor" {
			t.Errorf("hook note %q, want the supervisor's replacement", got.Note)
		}
		after := status(t, c)
		for _, name := range h.Targets {
			b, a := replicaStatus(before, name), replicaStatus(after, name)
			if a.PID == b.PID || a.Restarts != b.Restarts+1 {
				t.Errorf("%s: pid %d→%d restarts %d→%d, want a new process", name, b.PID, a.PID, b.Restarts, a.Restarts)
			}
		}
		if err := c.Undo(bg(t), h.ID); err != nil { // undoing what already ended is fine
			t.Errorf("undo of an expired kill: %v", err)
		}
		if h, _ := c.Hook(bg(t), h.ID); h.State != sandbox.HookExpired {
			t.Errorf("undo changed an expired hook to %q", h.State)
		}
	})

	t.Run("pause", func(t *testing.T) {
		for _, end := range []string{"undo", "ttl"} {
			waitClean(t, c)
			ttl := time.Minute
			if end == "ttl" {
				ttl = 3 * time.Second
			}
			h := apply(t, c, sandbox.HookSpec{Kind: sandbox.HookPause, Replicas: []string{"replica-1"}, TTL: ttl})
			verifyDirty(t, c, h)
			if r := replicaStatus(status(t, c), "replica-1"); r.State != sandbox.ProcessPaused {
				t.Fatalf("%s: replica-1 is %s, want paused", end, r.State)
			}
			if end == "undo" {
				eventually(t, 10*time.Second, "paused replica out of rotation", func() (bool, string) {
					n, err := c.Running(bg(t))
					return err == nil && n == 3, fmt.Sprintf("running %d (%v)", n, err)
				})
				undo(t, c, h.ID)
			} else {
				waitHookState(t, c, h.ID, sandbox.HookExpired, 15*time.Second)
			}
			verifyClean(t, c, h)
			if r := replicaStatus(status(t, c), "replica-1"); r.State != sandbox.ProcessRunning {
				t.Fatalf("%s: replica-1 is %s after the pause ended, want running", end, r.State)
			}
		}
	})

}

// TestKillUndoAndTTL checks that undoing a kill restarts the replica now,
// and that a kill's TTL restarts it too, long before the supervisor's
// restart delay.
func TestKillUndoAndTTL(t *testing.T) {
	sb := startSandbox(t, sandbox.Options{Replicas: 2, RestartDelay: 10 * time.Minute})
	c := sb.Client()
	for _, end := range []string{"undo", "ttl"} {
		waitClean(t, c)
		ttl := 10 * time.Minute
		if end == "ttl" {
			ttl = 2 * time.Second
		}
		pid := replicaStatus(status(t, c), "replica-1").PID
		h := apply(t, c, sandbox.HookSpec{Kind: sandbox.HookKill, Replicas: []string{"replica-1"}, TTL: ttl})
		verifyDirty(t, c, h)
		eventually(t, 5*time.Second, "replica-1 down", func() (bool, string) {
			r := replicaStatus(status(t, c), "replica-1")
			return r.PID == 0 && r.State == sandbox.ProcessDown, fmt.Sprintf("%s with pid %d", r.State, r.PID)
		})
		if end == "undo" {
			undo(t, c, h.ID)
		} else {
			waitHookState(t, c, h.ID, sandbox.HookExpired, 15*time.Second)
		}
		verifyClean(t, c, h)
		eventually(t, 15*time.Second, "replica-1 restarted and healthy", func() (bool, string) {
			r := replicaStatus(status(t, c), "replica-1")
			return r.State == sandbox.ProcessRunning && r.Healthy && r.PID != pid, fmt.Sprintf("%+v", r)
		})
	}
}

// healthzAt asks the process at addr for its health directly.
func healthzAt(addr string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/healthz", nil)
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthz: %s", resp.Status)
	}
	return nil
}

// TestInstanceStopVerifyProbesTheProcess is issue 9's "instance-stop
// verification passes while a replica is still down: it trusts the load
// balancer's view, which lags two health checks". Right after a kill is
// rolled back, the load balancer still counts the replica healthy (two
// failed checks a second apart have not happened yet) while its
// replacement is only being started. Verify must say clean only once the
// replica really runs: a new pid that answers its health check on its own
// port, back in rotation.
func TestInstanceStopVerifyProbesTheProcess(t *testing.T) {
	sb := sharedSB(t)
	c := sb.Client()
	for round := range 2 {
		waitClean(t, c)
		before := replicaStatus(status(t, c), "replica-1")
		h := apply(t, c, sandbox.HookSpec{Kind: sandbox.HookKill, Replicas: []string{"replica-1"}, TTL: time.Minute, Label: "verify-test.f1"})
		inj := providers.Injection{FaultID: "f1", Provider: sandbox.ProviderName, Kind: providers.InstanceStop, Handles: []string{h.ID},
			Owner: "verify-test.f1", Targets: []providers.Target{{ID: "replica-1", Name: "replica-1"}}}
		if err := c.Rollback(bg(t), inj); err != nil {
			t.Fatalf("round %d: Rollback: %v", round, err)
		}
		first := true
		eventually(t, 30*time.Second, "the kill verified clean", func() (bool, string) {
			v, err := c.Verify(bg(t), inj)
			if err != nil {
				return false, err.Error()
			}
			if first && v.Clean {
				r := replicaStatus(status(t, c), "replica-1")
				t.Fatalf("round %d: verified clean at once after the rollback, while replica-1 is %s with pid %d (was %d): %q",
					round, r.State, r.PID, before.PID, v.Details)
			}
			first = false
			if !v.Clean {
				return false, strings.Join(v.Details, "; ")
			}
			r := replicaStatus(status(t, c), "replica-1")
			if r.PID == 0 || r.PID == before.PID || r.State != sandbox.ProcessRunning {
				t.Fatalf("round %d: verified clean (%q) while replica-1 is %s with pid %d (was %d)", round, v.Details, r.State, r.PID, before.PID)
			}
			if err := healthzAt(r.Addr); err != nil {
				t.Fatalf("round %d: verified clean (%q) while replica-1 (pid %d) fails its own health check: %v", round, v.Details, r.PID, err)
			}
			return true, ""
		})
	}
}

// TestInstanceStopNames checks the names selector: a fault whose target
// names replicas hits those and no other, in Targets, Plan and Inject.
func TestInstanceStopNames(t *testing.T) {
	sb := sharedSB(t)
	c := sb.Client()
	ctx := bg(t)
	f := providers.Fault{ID: "f1", Kind: providers.InstanceStop, Params: providers.Params{Mode: "pause"},
		Target: providers.Fields{sandbox.SelectorNames: []any{"replica-3"}}, Owner: "names-test.f1"}
	targets, err := c.Targets(ctx, f)
	if err != nil || len(targets) != 1 || targets[0].ID != "replica-3" {
		t.Fatalf("Targets = %v, %v; want replica-3 alone", targets, err)
	}
	plan, err := c.Plan(ctx, f, time.Minute)
	if err != nil || !strings.Contains(plan[0], "replicas: [replica-3]") || !strings.Contains(plan[0], "would hit replica-3") {
		t.Errorf("Plan = %q, %v; want it to name replica-3", plan, err)
	}
	inj, err := c.Inject(ctx, f, time.Minute)
	if err != nil || len(inj.Targets) != 1 || inj.Targets[0].ID != "replica-3" {
		t.Fatalf("Inject = %+v, %v; want replica-3 alone", inj, err)
	}
	if r := replicaStatus(status(t, c), "replica-3"); r.State != sandbox.ProcessPaused {
		t.Errorf("replica-3 is %s, want paused", r.State)
	}
	if err := c.Rollback(ctx, inj); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		f    providers.Fault
		want string
	}{
		"unknown replica": {providers.Fault{ID: "f2", Kind: providers.InstanceStop, Target: providers.Fields{"names": []any{"replica-9"}}}, `no replica "replica-9"`},
		"and a count":     {providers.Fault{ID: "f3", Kind: providers.Latency, Selection: providers.Selection{Count: 1}, Target: providers.Fields{"names": "replica-1"}, Params: providers.Params{Delay: time.Millisecond}}, "not both"},
		"on the database": {providers.Fault{ID: "f4", Kind: providers.DBFailure, Target: providers.Fields{"names": []string{"replica-1"}}}, "no replicas to name"},
	} {
		_, err := c.Inject(ctx, tc.f, time.Minute)
		if !errors.Is(err, providers.ErrNotApplied) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Inject: %v, want ErrNotApplied saying %q", name, err, tc.want)
		}
	}
	waitClean(t, c)
}
