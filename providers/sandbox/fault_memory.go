package sandbox

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/gameday-tui/gameday/providers"
)

// memory-stress: memory allocated and touched (so it is resident) inside
// the chosen replica processes (HookMemory).
//
// Invariants: the allocation lives in the child, keyed by hook ID, with the
// TTL handed to it; the child frees it at the TTL by itself and returns it
// to the operating system at once. Undo frees it only in the process
// generation that took it. Verify asks each such process whether it still
// holds this hook's memory, and nothing else.

// memorySpec maps a memory-stress fault to its hook.
func memorySpec(f providers.Fault, spec *HookSpec) error {
	spec.Kind, spec.MemoryMB = HookMemory, f.Params.MemoryMB
	return nil
}

// memoryFault is HookMemory.
type memoryFault struct{}

func (memoryFault) scope() scope { return scopeHealthyReplicas }

func (memoryFault) check(spec *HookSpec) error {
	if spec.MemoryMB < 1 || spec.MemoryMB > maxMemoryMB {
		return fmt.Errorf("memory wants memory_mb 1..%d; got %d", maxMemoryMB, spec.MemoryMB)
	}
	return nil
}

func (memoryFault) apply(ctx context.Context, sb *Sandbox, e *hookEntry) []string {
	req := stressRequest{ID: e.id, MemoryMB: e.spec.MemoryMB, TTL: time.Until(e.until)}
	return startStress(ctx, sb, e, "/_admin/memory", req)
}

func (memoryFault) undo(ctx context.Context, sb *Sandbox, e *hookEntry, atTTL bool) error {
	return stopStress(ctx, sb, e, "/_admin/memory", atTTL)
}

func (memoryFault) verify(ctx context.Context, sb *Sandbox, e *hookEntry) verdict {
	return verifyStress(ctx, sb, e, "memory", func(st replicaStatus, id string) bool {
		return slices.Contains(st.MemHooks, id)
	})
}
