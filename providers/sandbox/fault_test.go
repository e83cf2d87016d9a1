package sandbox

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestMechanismVerifyFindsWhatIsLeft checks that each kind's verify judges
// the system, not the registry: a hook that the registry counts as ended
// while its change is still in force (the undo never ran) is not clean,
// and the verification says what is left. A verify that only read hook
// states would pass them all.
func TestMechanismVerifyFindsWhatIsLeft(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// No restart for a killed replica within the test: the registry's word
	// must not be taken for it.
	sb, err := Start(ctx, Options{Replicas: 2, RestartDelay: time.Hour, Executable: exe})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	one := []string{"replica-1"}
	for _, tc := range []struct {
		spec HookSpec
		left string
	}{
		{HookSpec{Kind: HookLatency, Replicas: one, Delay: time.Millisecond}, "still delays replica-1's traffic"},
		{HookSpec{Kind: HookCPU, Replicas: one, Load: 5}, "replica-1 still runs the CPU burners"},
		{HookSpec{Kind: HookMemory, Replicas: one, MemoryMB: 1}, "replica-1 still runs the memory"},
		{HookSpec{Kind: HookDependencyBlackhole}, "the dependency is still in mode blackhole"},
		{HookSpec{Kind: HookPause, Replicas: one}, "replica-1 (pid"},
		{HookSpec{Kind: HookDBPause}, "the database (pid"},
		{HookSpec{Kind: HookDBStop}, "the database has not been started again"},
		{HookSpec{Kind: HookKill, Replicas: one}, "replica-1 has not been restarted yet"},
	} {
		tc.spec.TTL = time.Minute
		h, err := sb.hooks.apply(ctx, tc.spec)
		if err != nil {
			t.Fatalf("%s: %v", tc.spec.Kind, err)
		}
		sb.hooks.mu.Lock()
		e := sb.hooks.entries[h.ID]
		e.hook.State = HookExpired // the registry's word, without the undo
		sb.hooks.mu.Unlock()
		res := sb.hooks.verify(ctx, VerifyRequest{Handles: []string{h.ID}})
		if res.Clean || !strings.Contains(strings.Join(res.Left, "; "), tc.left) {
			t.Errorf("%s ended in the registry only: %+v; want not clean, saying %q", tc.spec.Kind, res, tc.left)
		}
		// Really end it, for the next kind.
		sb.hooks.mu.Lock()
		e.hook.State = HookActive
		sb.hooks.mu.Unlock()
		if _, err := sb.hooks.undo(ctx, h.ID); err != nil {
			t.Fatalf("%s: undo: %v", tc.spec.Kind, err)
		}
	}
}
