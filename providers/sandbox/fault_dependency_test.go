package sandbox_test

import (
	"testing"
	"time"

	"github.com/gameday-tui/gameday/providers/sandbox"
)

// TestDependencyOutage blackholes the dependency and makes it fail, and
// checks that resilient replicas serve from the cache with their breakers
// open, and go live again after undo and after the TTL.
func TestDependencyOutage(t *testing.T) {
	sb := sharedSB(t)
	c := sb.Client()
	load := sb.LoadURL()

	t.Run("dependency outage: resilient replicas serve from the cache", func(t *testing.T) {
		for _, tc := range []struct {
			kind sandbox.HookKind
			end  string
		}{{sandbox.HookDependencyBlackhole, "undo"}, {sandbox.HookDependencyError, "undo"}, {sandbox.HookDependencyBlackhole, "ttl"}} {
			waitClean(t, c)
			for range 8 { // warm every replica's cache
				fetch(load, 5*time.Second)
			}
			ttl := time.Minute
			if tc.end == "ttl" {
				ttl = 6 * time.Second
			}
			h := apply(t, c, sandbox.HookSpec{Kind: tc.kind, TTL: ttl})
			verifyDirty(t, c, h)
			if st := status(t, c); st.Dependency.Mode == sandbox.DependencyNormal {
				t.Fatalf("%s: dependency mode %q", tc.kind, st.Dependency.Mode)
			}
			// Every answer is a 200 from the cache; once the breakers are
			// open, answers are fast again.
			for range 24 {
				if a := fetch(load, 5*time.Second); a.Code != 200 || a.ProfileSource != "cache" {
					t.Fatalf("%s: %s, want 200 from the cache", tc.kind, a)
				}
			}
			for range 8 {
				if a := fetch(load, 5*time.Second); a.Took >= 200*time.Millisecond {
					t.Errorf("%s: breaker open, yet an answer took %s", tc.kind, a.Took)
				}
			}
			if tc.end == "undo" {
				undo(t, c, h.ID)
			} else {
				waitHookState(t, c, h.ID, sandbox.HookExpired, 15*time.Second)
			}
			verifyClean(t, c, h)
			if st := status(t, c); st.Dependency.Mode != sandbox.DependencyNormal {
				t.Fatalf("%s: dependency mode %q after the end", tc.kind, st.Dependency.Mode)
			}
			eventually(t, 15*time.Second, "live profiles again (breakers closed)", func() (bool, string) {
				for range 4 {
					if a := fetch(load, 5*time.Second); a.ProfileSource != "live" {
						return false, a.String()
					}
				}
				return true, ""
			})
		}
	})

}

// TestFragileDependencyOutage checks that without timeouts, breaker and
// fallback a dependency outage reaches the client as errors.
func TestFragileDependencyOutage(t *testing.T) {
	sb := sharedFragileSB(t)
	c := sb.Client()
	load := sb.LoadURL()
	if a := fetch(load, 5*time.Second); a.Code != 200 || a.ProfileSource != "live" {
		t.Fatalf("baseline: %s", a)
	}
	h := apply(t, c, sandbox.HookSpec{Kind: sandbox.HookDependencyBlackhole, TTL: time.Minute})
	verifyDirty(t, c, h)
	for range 4 {
		if a := fetch(load, time.Second); a.Err == nil {
			t.Fatalf("fragile replica during a blackhole: %s, want a client timeout", a)
		}
	}
	undo(t, c, h.ID)
	h = apply(t, c, sandbox.HookSpec{Kind: sandbox.HookDependencyError, TTL: time.Minute})
	for range 4 {
		if a := fetch(load, 5*time.Second); a.Code != 502 {
			t.Fatalf("fragile replica during a dependency error: %s, want 502", a)
		}
	}
	undo(t, c, h.ID)
	eventually(t, 10*time.Second, "live again", func() (bool, string) {
		a := fetch(load, 5*time.Second)
		return a.Code == 200 && a.ProfileSource == "live", a.String()
	})
	if st := status(t, c); !st.Fragile || st.Replicas[0].Breaker != "off" {
		t.Errorf("status: fragile %v, breaker %q", st.Fragile, st.Replicas[0].Breaker)
	}
}
