package sandbox

import (
	"context"
	"fmt"
	"time"

	"github.com/gameday-tui/gameday/providers"
)

// latency: a delay (fixed + uniform jitter) that the load balancer's proxy
// adds to every request it sends to the chosen replicas (HookLatency).
// A zero selection delays every replica's traffic.
//
// Invariants: the delay lives in the parent, keyed by hook ID on each
// target's backend, so several latency hooks add up and undoing one
// leaves the others. Its TTL is enforced where it is applied: the proxy
// ignores (and drops) a delay past its end at each request, whether or not
// the registry's timer has run. Verify checks the proxy holds no delay of
// this hook on any target; it does not care whether the replicas are
// healthy, which a latency hook does not change.

// maxDelay bounds a latency hook's delay and jitter each.
const maxDelay = time.Minute

// latencySpec maps a latency fault to its hook.
func latencySpec(f providers.Fault, spec *HookSpec) error {
	spec.Kind, spec.Delay, spec.Jitter = HookLatency, f.Params.Delay, f.Params.Jitter
	return nil
}

// latencyFault is HookLatency.
type latencyFault struct{}

func (latencyFault) scope() scope { return scopeAnyReplica }

func (latencyFault) check(spec *HookSpec) error {
	if spec.Delay < 0 || spec.Jitter < 0 || spec.Delay+spec.Jitter <= 0 || spec.Delay > maxDelay || spec.Jitter > maxDelay {
		return fmt.Errorf("latency wants delay and jitter in [0, %s], not both zero; got delay %s jitter %s", maxDelay, spec.Delay, spec.Jitter)
	}
	return nil
}

func (latencyFault) apply(_ context.Context, sb *Sandbox, e *hookEntry) []string {
	for _, n := range e.targets {
		sb.lb.setDelay(n, e.id, delay{fixed: e.spec.Delay, jitter: e.spec.Jitter, until: e.until})
		e.gens[n] = 0
	}
	return nil
}

func (latencyFault) undo(_ context.Context, sb *Sandbox, e *hookEntry, _ bool) error {
	for n := range e.gens {
		sb.lb.clearDelay(n, e.id)
	}
	return nil
}

func (latencyFault) verify(_ context.Context, sb *Sandbox, e *hookEntry) verdict {
	var v verdict
	now := time.Now()
	for _, n := range e.appliedTargets() {
		if sb.lb.hasDelay(n, e.id, now) {
			v.left = append(v.left, fmt.Sprintf("the load balancer still delays %s's traffic by hook %s", n, e.id))
		}
	}
	if len(v.left) == 0 {
		v.checked = append(v.checked, fmt.Sprintf("no delay of hook %s in the load balancer", e.id))
	}
	return v
}
