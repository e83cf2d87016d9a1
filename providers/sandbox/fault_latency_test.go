package sandbox_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/providers/sandbox"
)

// TestLatency delays every replica's traffic and checks that a client
// sees it, and that undo and the TTL each end it.
func TestLatency(t *testing.T) {
	sb := sharedSB(t)
	c := sb.Client()
	load := sb.LoadURL()

	t.Run("latency", func(t *testing.T) {
		for _, end := range []string{"undo", "ttl"} {
			waitClean(t, c)
			ttl := time.Minute
			if end == "ttl" {
				ttl = 3 * time.Second
			}
			h := apply(t, c, sandbox.HookSpec{Kind: sandbox.HookLatency, Delay: 300 * time.Millisecond, Jitter: 20 * time.Millisecond, TTL: ttl})
			verifyDirty(t, c, h)
			if len(h.Targets) != 4 {
				t.Fatalf("latency with no selection hit %v, want all 4 replicas", h.Targets)
			}
			for range 4 {
				if a := fetch(load, 5*time.Second); a.Code != 200 || a.Took < 300*time.Millisecond {
					t.Fatalf("%s: with a 300 ms latency hook: %s", end, a)
				}
			}
			if end == "undo" {
				undo(t, c, h.ID)
			} else {
				waitHookState(t, c, h.ID, sandbox.HookExpired, 15*time.Second)
			}
			verifyClean(t, c, h)
			eventually(t, 10*time.Second, "fast again", func() (bool, string) {
				a := fetch(load, 5*time.Second)
				return a.Code == 200 && a.Took < 150*time.Millisecond, a.String()
			})
		}
	})

}

// TestVerifyIgnoresOtherFaults is issue 9's "verification of one fault
// fails because of another fault": with a replica paused by another run,
// a latency fault that was cleanly removed must verify clean, and say the
// paused replica is not its doing; an instance-stop of another replica too,
// once that replica is back. The paused replica's own fault stays unclean.
func TestVerifyIgnoresOtherFaults(t *testing.T) {
	sb := sharedSB(t)
	c := sb.Client()
	ctx := bg(t)

	other := apply(t, c, sandbox.HookSpec{Kind: sandbox.HookPause, Replicas: []string{"replica-2"}, TTL: time.Minute, Label: "other-run.f1"})
	defer waitClean(t, c)
	defer undo(t, c, other.ID)
	eventually(t, 10*time.Second, "the paused replica out of rotation", func() (bool, string) {
		n, err := c.Running(ctx)
		return err == nil && n == 3, fmt.Sprintf("running %d (%v)", n, err)
	})
	otherInj := providers.Injection{FaultID: "f1", Provider: sandbox.ProviderName, Kind: providers.InstanceStop, Handles: []string{other.ID}, Owner: "other-run.f1"}

	h := apply(t, c, sandbox.HookSpec{Kind: sandbox.HookLatency, Replicas: []string{"replica-1"}, Delay: 50 * time.Millisecond, TTL: time.Minute, Label: "this-run.f1"})
	lat := providers.Injection{FaultID: "f1", Provider: sandbox.ProviderName, Kind: providers.Latency, Handles: []string{h.ID}, Owner: "this-run.f1",
		Targets: []providers.Target{{ID: "replica-1", Name: "replica-1"}}}
	if v, err := c.Verify(ctx, lat); err != nil || v.Clean {
		t.Fatalf("Verify of the latency fault while it is in force: %+v, %v; want not clean", v, err)
	}
	if err := c.Rollback(ctx, lat); err != nil {
		t.Fatal(err)
	}
	v, err := c.Verify(ctx, lat)
	if err != nil || !v.Clean {
		t.Fatalf("Verify of the rolled-back latency fault with replica-2 paused by another run: %+v, %v; want clean", v, err)
	}
	details := strings.Join(v.Details, "; ")
	if !strings.Contains(details, "not this fault's") || !strings.Contains(details, "replica-2") {
		t.Errorf("Verify details %q: want the paused replica-2 reported as not this fault's", details)
	}

	k := apply(t, c, sandbox.HookSpec{Kind: sandbox.HookKill, Replicas: []string{"replica-3"}, TTL: time.Minute, Label: "this-run.f2"})
	kill := providers.Injection{FaultID: "f2", Provider: sandbox.ProviderName, Kind: providers.InstanceStop, Handles: []string{k.ID}, Owner: "this-run.f2",
		Targets: []providers.Target{{ID: "replica-3", Name: "replica-3"}}}
	if err := c.Rollback(ctx, kill); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the kill of replica-3 verified clean while replica-2 is paused", func() (bool, string) {
		v, err := c.Verify(ctx, kill)
		if err != nil {
			return false, err.Error()
		}
		return v.Clean, strings.Join(v.Details, "; ")
	})

	// Another run now pauses the replica this run killed: that is not the
	// kill's doing either.
	p3 := apply(t, c, sandbox.HookSpec{Kind: sandbox.HookPause, Replicas: []string{"replica-3"}, TTL: time.Minute, Label: "other-run.f2"})
	v, err = c.Verify(ctx, kill)
	if err != nil || !v.Clean || !strings.Contains(strings.Join(v.Details, "; "), "held by hook "+p3.ID) {
		t.Errorf("Verify of the kill of replica-3 while another run pauses it: %+v, %v; want clean, naming hook %s as not this fault's", v, err, p3.ID)
	}
	undo(t, c, p3.ID)

	if v, err := c.Verify(ctx, otherInj); err != nil || v.Clean {
		t.Errorf("Verify of the pause while it is in force: %+v, %v; want not clean", v, err)
	}
}
