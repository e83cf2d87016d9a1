package sandbox_test

import (
	"sync"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/providers/sandbox"
)

// TestDBFailure stops and pauses the database and checks that users get
// 503 meanwhile and are served again after undo and after the TTL.
func TestDBFailure(t *testing.T) {
	sb := sharedSB(t)
	c := sb.Client()
	load := sb.LoadURL()

	t.Run("database", func(t *testing.T) {
		for _, tc := range []struct {
			kind sandbox.HookKind
			end  string
		}{{sandbox.HookDBStop, "undo"}, {sandbox.HookDBStop, "ttl"}, {sandbox.HookDBPause, "undo"}, {sandbox.HookDBPause, "ttl"}} {
			waitClean(t, c)
			ttl := time.Minute
			if tc.end == "ttl" {
				ttl = 3 * time.Second
			}
			h := apply(t, c, sandbox.HookSpec{Kind: tc.kind, TTL: ttl})
			verifyDirty(t, c, h)
			if a := fetch(load, 5*time.Second); a.Code != 503 {
				t.Fatalf("%s/%s: with the database down: %s, want 503", tc.kind, tc.end, a)
			}
			if tc.end == "undo" {
				undo(t, c, h.ID)
			} else {
				waitHookState(t, c, h.ID, sandbox.HookExpired, 15*time.Second)
			}
			verifyClean(t, c, h)
			eventually(t, 10*time.Second, "users served again", func() (bool, string) {
				a := fetch(load, 5*time.Second)
				return a.Code == 200, a.String()
			})
			if st := status(t, c); st.Database.State != sandbox.ProcessRunning {
				t.Fatalf("%s/%s: database %s after the end", tc.kind, tc.end, st.Database.State)
			}
		}
	})

	// After a restart of the database, every connection the replicas
	// pooled before it is dead. The first requests must not fail on them:
	// a resilient replica's three attempts would each draw a dead one.
	t.Run("a restarted database serves the first requests", func(t *testing.T) {
		waitClean(t, c)
		for range 3 { // fill every replica's pool with several connections
			var wg sync.WaitGroup
			for range 16 {
				wg.Go(func() { fetch(load, 5*time.Second) })
			}
			wg.Wait()
		}
		h := apply(t, c, sandbox.HookSpec{Kind: sandbox.HookDBStop, TTL: time.Minute})
		undo(t, c, h.ID)
		if st := status(t, c); st.Database.State != sandbox.ProcessRunning {
			t.Fatalf("database %s after the undo", st.Database.State)
		}
		for i := range 12 {
			if a := fetch(load, 5*time.Second); a.Code != 200 {
				t.Fatalf("request %d after the database restarted: %s, want 200", i, a)
			}
		}
	})
}
