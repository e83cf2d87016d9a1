package sandbox_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/providers/sandbox"
)

// TestCPUStress runs burners in one replica and checks, in /proc, that it
// burns CPU and stops when undone or at the TTL.
func TestCPUStress(t *testing.T) {
	sb := sharedSB(t)
	c := sb.Client()

	t.Run("cpu", func(t *testing.T) {
		if runtime.GOOS != "linux" {
			t.Skip("reads /proc")
		}
		for _, end := range []string{"undo", "ttl"} {
			waitClean(t, c)
			ttl := time.Minute
			if end == "ttl" {
				ttl = 4 * time.Second
			}
			h := apply(t, c, sandbox.HookSpec{Kind: sandbox.HookCPU, Replicas: []string{"replica-2"}, Workers: 1, Load: 100, TTL: ttl})
			verifyDirty(t, c, h)
			r := replicaStatus(status(t, c), "replica-2")
			if r.Burners != 1 {
				t.Fatalf("%s: replica-2 reports %d burners, want 1", end, r.Burners)
			}
			if end == "undo" {
				eventually(t, 10*time.Second, "replica-2 burns CPU", func() (bool, string) {
					rate, err := cpuRate(r.PID)
					return err == nil && rate >= 0.4, fmt.Sprintf("%.2f cores (%v)", rate, err)
				})
				undo(t, c, h.ID)
			} else {
				waitHookState(t, c, h.ID, sandbox.HookExpired, 15*time.Second)
			}
			verifyClean(t, c, h)
			if got := replicaStatus(status(t, c), "replica-2"); got.Burners != 0 || got.PID != r.PID {
				t.Fatalf("%s: after the end replica-2 has %d burners, pid %d (was %d)", end, got.Burners, got.PID, r.PID)
			}
			eventually(t, 10*time.Second, "replica-2 idle again", func() (bool, string) {
				rate, err := cpuRate(r.PID)
				return err == nil && rate < 0.2, fmt.Sprintf("%.2f cores (%v)", rate, err)
			})
		}
	})

}
