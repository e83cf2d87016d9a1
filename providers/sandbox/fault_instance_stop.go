package sandbox

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gameday-tui/gameday/providers"
)

// instance-stop: stop replica processes, from the parent.
//
//	mode kill (HookKill, default): SIGKILL. The supervisor restarts the
//	    replica after its restart delay, like an ECS service scheduler;
//	    the hook ends by itself ("replaced by the supervisor") once every
//	    target runs again. Undo, or the TTL, restarts a target still down
//	    at once.
//	mode pause (HookPause): SIGSTOP. The process lives on but answers
//	    nothing; undo, or the TTL, sends SIGCONT.
//
// Invariants: a target's generation is recorded when it is stopped, so
// undo never touches its replacement (a kill's undo restarts only a
// target still down; a pause's undo resumes only the process it paused).
// Verify probes each target's process itself — a replacement running, its
// pid alive, its health check passing on its own port — and then the load
// balancer's rotation; the load balancer alone would still count a
// replica killed a moment ago as healthy, since it takes two failed checks
// to notice.

// instanceStopModes are the params.mode values of instance-stop; the
// first is the default.
var instanceStopModes = []string{"kill", "pause"}

// instanceStopSpec maps an instance-stop fault to its hook.
func instanceStopSpec(f providers.Fault, spec *HookSpec) error {
	switch f.Params.Mode {
	case "", "kill":
		spec.Kind = HookKill
	case "pause":
		spec.Kind = HookPause
	default:
		return badMode(f, instanceStopModes)
	}
	return nil
}

// badMode says that f's mode is not one of modes.
func badMode(f providers.Fault, modes []string) error {
	quoted := make([]string, len(modes))
	for i, m := range modes {
		quoted[i] = fmt.Sprintf("%q", m)
	}
	return fmt.Errorf("fault %s (%s): mode %q is not one of %s", f.ID, f.Kind, f.Params.Mode, strings.Join(quoted, ", "))
}

// killFault is HookKill.
type killFault struct{}

func (killFault) scope() scope          { return scopeHealthyReplicas }
func (killFault) check(*HookSpec) error { return nil }

func (killFault) apply(_ context.Context, sb *Sandbox, e *hookEntry) []string {
	var failures []string
	for _, n := range e.targets {
		if gen := sb.replica(n).kill(); gen > 0 {
			e.gens[n] = gen
		} else {
			failures = append(failures, n+": not running")
		}
	}
	return failures
}

func (killFault) undo(ctx context.Context, sb *Sandbox, e *hookEntry, _ bool) error {
	for n, gen := range e.gens {
		sb.replica(n).restartIfDown(ctx, gen)
	}
	return nil
}

func (killFault) verify(ctx context.Context, sb *Sandbox, e *hookEntry) verdict {
	return eachTarget(e.appliedTargets(), func(n string) verdict {
		left, checked := sb.probeReplica(ctx, n, e.gens[n])
		return probed(left, checked, sb.hooks.heldBy(n, e))
	})
}

// pauseFault is HookPause.
type pauseFault struct{}

func (pauseFault) scope() scope          { return scopeHealthyReplicas }
func (pauseFault) check(*HookSpec) error { return nil }

func (pauseFault) apply(_ context.Context, sb *Sandbox, e *hookEntry) []string {
	var failures []string
	for _, n := range e.targets {
		if gen, err := sb.replica(n).pause(); err != nil {
			failures = append(failures, n+": "+err.Error())
		} else {
			e.gens[n] = gen
		}
	}
	return failures
}

func (pauseFault) undo(_ context.Context, sb *Sandbox, e *hookEntry, _ bool) error {
	var errs []error
	for n, gen := range e.gens {
		errs = append(errs, sb.replica(n).resume(gen))
	}
	return errors.Join(errs...)
}

func (pauseFault) verify(ctx context.Context, sb *Sandbox, e *hookEntry) verdict {
	// The paused process, or whatever replaced it, must answer by itself:
	// generation gen-1 accepts the paused process and any successor.
	return eachTarget(e.appliedTargets(), func(n string) verdict {
		left, checked := sb.probeReplica(ctx, n, e.gens[n]-1)
		return probed(left, checked, sb.hooks.heldBy(n, e))
	})
}
