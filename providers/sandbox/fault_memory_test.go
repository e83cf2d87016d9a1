package sandbox_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/providers/sandbox"
)

// TestMemoryStress holds memory in one replica and checks, in /proc, that
// it is resident and freed when undone or at the TTL.
func TestMemoryStress(t *testing.T) {
	sb := sharedSB(t)
	c := sb.Client()

	t.Run("memory", func(t *testing.T) {
		if runtime.GOOS != "linux" {
			t.Skip("reads /proc")
		}
		const mb = 128
		for _, end := range []string{"undo", "ttl"} {
			waitClean(t, c)
			ttl := time.Minute
			if end == "ttl" {
				ttl = 4 * time.Second
			}
			pid := replicaStatus(status(t, c), "replica-3").PID
			h := apply(t, c, sandbox.HookSpec{Kind: sandbox.HookMemory, Replicas: []string{"replica-3"}, MemoryMB: mb, TTL: ttl})
			verifyDirty(t, c, h)
			held, err := rssMB(pid)
			if err != nil {
				t.Fatal(err)
			}
			if r := replicaStatus(status(t, c), "replica-3"); r.HeldMB != mb {
				t.Errorf("%s: replica-3 reports %d MB held, want %d", end, r.HeldMB, mb)
			}
			if end == "undo" {
				undo(t, c, h.ID)
			} else {
				waitHookState(t, c, h.ID, sandbox.HookExpired, 15*time.Second)
			}
			verifyClean(t, c, h)
			eventually(t, 10*time.Second, "memory freed", func() (bool, string) {
				now, err := rssMB(pid)
				return err == nil && now < held-0.8*mb, fmt.Sprintf("RSS %.0f MB while held %.0f MB (%v)", now, held, err)
			})
			if r := replicaStatus(status(t, c), "replica-3"); r.HeldMB != 0 || r.PID != pid {
				t.Errorf("%s: replica-3 holds %d MB, pid %d (was %d)", end, r.HeldMB, r.PID, pid)
			}
		}
	})

}
