package sandbox

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/gameday-tui/gameday/providers"
)

// cpu-stress: burner goroutines inside the chosen replica processes
// (HookCPU), each busy Load percent of every 100 ms.
//
// Invariants: the stress lives in the child, keyed by hook ID, with the
// TTL handed to it, so the child stops its burners at the TTL by itself
// even if the parent is gone. Undo stops them only in the process
// generation that took them; a replica that died since lost them with
// it. Verify asks each such process whether it still runs this hook's
// burners, and nothing else: another hook's burners are not this fault's.

// Defaults of a cpu hook.
const (
	defaultCPUWorkers = 1
	defaultCPULoad    = 100
)

// cpuSpec maps a cpu-stress fault to its hook.
func cpuSpec(f providers.Fault, spec *HookSpec) error {
	spec.Kind, spec.Workers, spec.Load = HookCPU, f.Params.Workers, f.Params.Load
	return nil
}

// cpuFault is HookCPU.
type cpuFault struct{}

func (cpuFault) scope() scope { return scopeHealthyReplicas }

func (cpuFault) check(spec *HookSpec) error {
	if spec.Workers == 0 {
		spec.Workers = defaultCPUWorkers
	}
	if spec.Load == 0 {
		spec.Load = defaultCPULoad
	}
	if spec.Workers < 1 || spec.Workers > maxWorkers || spec.Load < 1 || spec.Load > 100 {
		return fmt.Errorf("cpu wants workers 1..%d and load 1..100; got workers %d load %d", maxWorkers, spec.Workers, spec.Load)
	}
	return nil
}

func (cpuFault) apply(ctx context.Context, sb *Sandbox, e *hookEntry) []string {
	req := stressRequest{ID: e.id, Workers: e.spec.Workers, Load: e.spec.Load, TTL: time.Until(e.until)}
	return startStress(ctx, sb, e, "/_admin/cpu", req)
}

func (cpuFault) undo(ctx context.Context, sb *Sandbox, e *hookEntry, atTTL bool) error {
	return stopStress(ctx, sb, e, "/_admin/cpu", atTTL)
}

func (cpuFault) verify(ctx context.Context, sb *Sandbox, e *hookEntry) verdict {
	return verifyStress(ctx, sb, e, "CPU burners", func(st replicaStatus, id string) bool {
		return slices.Contains(st.CPUHooks, id)
	})
}
