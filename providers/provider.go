// Package providers holds the vocabulary shared by the engine and every
// backend that touches a real system: fault kinds, selections, injections,
// metric samples, and the small interfaces a backend implements.
//
// Each backend lives in its own package under providers/ and imports only
// this package. The engine talks to backends through these interfaces alone;
// only cmd builds concrete clients and hands them in.
package providers

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// Kind names a fault the way a scenario file does. Every provider maps the
// kinds it supports to its own mechanism (docs/architecture.md has the
// table of kind × provider → file).
type Kind string

// The six classic fault kinds. Providers may add native kinds of their own.
const (
	InstanceStop     Kind = "instance-stop"
	Latency          Kind = "latency"
	CPUStress        Kind = "cpu-stress"
	MemoryStress     Kind = "memory-stress"
	DBFailure        Kind = "db-failure"
	DependencyOutage Kind = "dependency-outage"
)

// Kinds lists the six classic kinds in the order the seed presents them.
var Kinds = []Kind{InstanceStop, Latency, CPUStress, MemoryStress, DBFailure, DependencyOutage}

// Selection says how many of the matching targets a fault hits: a percentage
// (like AWS FIS PERCENT(10)) or a fixed count. Exactly one is set; a zero
// Selection means "all targets the kind applies to" for kinds that have a
// single target (a database, a dependency).
type Selection struct {
	Percent float64 `json:"percent,omitempty" yaml:"percent,omitempty"`
	Count   int     `json:"count,omitempty" yaml:"count,omitempty"`
}

// Of returns how many of n targets the selection picks. A percentage rounds
// up, so 10% of 4 replicas is 1 (FIS does the same); the result never
// exceeds n. A zero selection picks all n.
func (s Selection) Of(n int) int {
	switch {
	case n <= 0:
		return 0
	case s.Count > 0:
		return min(s.Count, n)
	case s.Percent > 0:
		return min(int(math.Ceil(float64(n)*s.Percent/100-1e-9)), n)
	default:
		return n
	}
}

// String renders the selection as a scenario author wrote it.
func (s Selection) String() string {
	switch {
	case s.Count > 0:
		return fmt.Sprintf("count %d", s.Count)
	case s.Percent > 0:
		return fmt.Sprintf("%g%%", s.Percent)
	default:
		return "all"
	}
}

// Params are a fault's parameters. Which fields apply depends on the kind;
// the scenario loader rejects the others.
type Params struct {
	// Delay and Jitter apply to latency: each request is delayed by Delay
	// plus a uniform random amount in [0, Jitter).
	Delay  time.Duration `json:"delay,omitempty"`
	Jitter time.Duration `json:"jitter,omitempty"`
	// Workers and Load apply to cpu-stress: Workers burners, each busy
	// Load percent of the time.
	Workers int `json:"workers,omitempty"`
	Load    int `json:"load,omitempty"`
	// MemoryMB applies to memory-stress: memory held and touched.
	MemoryMB int `json:"memory_mb,omitempty"`
	// Mode selects a variant: instance-stop "kill" (default) or "pause";
	// dependency-outage "blackhole" (default) or "error"; db-failure "stop"
	// (default). A provider may offer other modes (its Spec.Modes).
	Mode string `json:"mode,omitempty"`
	// Extra holds the params a provider adds to a kind, or a native kind's
	// params, as its Spec.Params declares them (a NetworkChaos
	// correlation, an FIS template id, a raw Chaos Mesh manifest).
	Extra Fields `json:"extra,omitempty"`
}

// Fault is one fault of a plan, resolved from the scenario file.
type Fault struct {
	// ID is unique within a plan ("f1", "f2", …) and names the fault in the
	// journal and on the console's number keys.
	ID        string    `json:"id"`
	Kind      Kind      `json:"kind"`
	Selection Selection `json:"selection"`
	Params    Params    `json:"params"`
	// Target narrows what the fault hits, in the provider's own terms, as
	// its Spec.Selector declares them: a namespace and labels, pod or task
	// names, ARNs, tags. Empty means the scenario's target as a whole.
	Target Fields `json:"target,omitempty"`
	// Scope is the scenario's target fields (target: { namespace: … }),
	// handed to the provider with every fault so that Targets, Inject and
	// Rollback need nothing else from the plan.
	Scope Fields `json:"scope,omitempty"`
	// Owner, when set, is a label Inject attaches to everything it applies
	// for this fault (a sandbox hook label, a Kubernetes label, an AWS
	// tag). The engine sets it to "RUN.FAULT" (OwnerLabel) and journals it, in an
	// Injection, before it calls Inject; it is not part of a scenario file.
	// It lets Rollback find what was applied when the caller died before
	// Inject returned the Handles (see Injection.Owner).
	Owner string `json:"owner,omitempty"`
}

// Target is one thing a fault can hit: a replica, a task, a pod, a database.
type Target struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Injection describes what an Inject applied, with enough to undo it later,
// even from another process (gameday recover reads it back from the
// journal). It is written to the journal, so it holds no secrets.
type Injection struct {
	FaultID  string   `json:"fault_id"`
	Provider string   `json:"provider"`
	Kind     Kind     `json:"kind"`
	Targets  []Target `json:"targets,omitempty"`
	// Handles are the provider's own identifiers of what it applied (sandbox
	// hook IDs, Chaos Mesh resource names, FIS experiment IDs).
	Handles []string `json:"handles,omitempty"`
	// Owner is the Fault.Owner that Inject labelled everything with. An
	// Injection may have an Owner and no Handles: the engine journals one
	// before calling Inject, so that if it dies during the call, `gameday
	// recover` can still find and undo what was applied.
	Owner string `json:"owner,omitempty"`
	// ExpiresAt is when the system that applied the fault ends it by itself
	// if nobody rolls it back.
	ExpiresAt time.Time `json:"expires_at"`
	// Seed is the seed of the random choice of Targets among the matching
	// ones (AWS picks ECS tasks with it, Kubernetes pods), so the choice can
	// be explained and replayed (the Kubernetes provider's params.seed);
	// 0 when nothing was chosen at random.
	Seed int64 `json:"seed,omitempty"`
}

// ErrNotApplied is wrapped by an Inject error when the provider knows that
// nothing was changed. Any other Inject error means the target may still be
// affected, and the engine rolls the Injection back.
var ErrNotApplied = errors.New("fault not applied")

// Provider injects and rolls back faults on one kind of system.
//
// Every method must honour ctx: the engine calls them off the UI loop with a
// deadline, and a call that outlives its context is treated as failed.
//
// Crash safety is part of the contract, for every provider (the sandbox
// today, Kubernetes and AWS to come):
//
//   - TTL. A fault never outlives its planned duration plus a margin, even
//     if the console dies. The engine passes ttl = planned duration +
//     margin to Inject, and the system that applies the fault — not
//     gameday — must end it by itself when ttl passes: the sandbox expires
//     its own hooks; Chaos Mesh resources get `duration`; FIS experiment
//     templates get their action duration. A provider that cannot have the
//     target enforce a TTL must not support the kind.
//   - Owner. Everything Inject applies is labelled with Fault.Owner, so
//     that Rollback of an Injection that has only an Owner (no Handles:
//     the caller died during Inject) finds and undoes it.
//   - Idempotent rollback. Rollback may be called any number of times, from
//     another process, on what already expired: `gameday recover` replays
//     Injections read back from a journal.
type Provider interface {
	// Name is the provider's name as scenario files spell it ("sandbox").
	Name() string
	// Supports reports whether the provider implements kind.
	Supports(kind Kind) bool
	// Targets resolves f's selection against the system as it is now and
	// returns the targets Inject would hit, without changing anything. It
	// is what the plan card and dry run show. No match is not an error.
	Targets(ctx context.Context, f Fault) ([]Target, error)
	// Inject applies f for at most ttl. The TTL is a contract: the system
	// that applies the fault must end it by itself when ttl passes, even if
	// the caller dies (the sandbox expires its hooks; Chaos Mesh has
	// duration; FIS experiments have a duration). Everything applied is
	// labelled with f.Owner when set. The returned Injection (with Owner
	// copied from f) describes whatever was applied, even when err is not
	// nil; if err wraps ErrNotApplied nothing was changed.
	Inject(ctx context.Context, f Fault, ttl time.Duration) (Injection, error)
	// Rollback undoes inj: everything named by its Handles and, when
	// inj.Owner is set, everything labelled with that Owner. It is
	// idempotent: rolling back what already expired or was rolled back, or
	// an Injection of which nothing was applied, succeeds. It returns only
	// once the undo is confirmed by the system (or an error).
	Rollback(ctx context.Context, inj Injection) error
	// ManualRollback returns the exact command a person can run to finish
	// rolling back inj by hand when Rollback cannot be confirmed.
	ManualRollback(inj Injection) string
}

// Verifier is implemented by providers that can check, after a rollback,
// that a fault is really gone. Every provider that can should: the engine
// verifies each confirmed rollback (retrying until clean or its deadline,
// since a system may still be settling, e.g. a replica restarting), and
// `gameday recover` verifies what it rolled back; the console and the
// report show the outcome.
type Verifier interface {
	// Verify reports whether inj has left no trace, without changing
	// anything. Clean means both that nothing inj applied (by Handles or by
	// Owner) is still in force and that what inj changed is back to its
	// normal shape — checked on the targets themselves, not on a view that
	// lags. What another fault changed is reported in Details as another
	// fault's, never as this one's failure:
	//   - sandbox: no active hook of inj, and its targets back (a killed
	//     replica's replacement alive and healthy on its own port, the
	//     database running, the dependency normal);
	//   - Kubernetes: the Chaos Mesh resource is gone (not stuck in
	//     deletion) and the selected pods are ready;
	//   - AWS: the FIS experiment is in a final state (stopped, completed)
	//     and the ECS service's running count equals its desired count.
	// When not clean, Details say what is left, in words a person can act
	// on. An error means the check itself could not be made (which is not
	// clean either).
	Verify(ctx context.Context, inj Injection) (Verification, error)
}

// Verification is the outcome of Verify.
type Verification struct {
	// Clean is true when the fault left no trace.
	Clean bool `json:"clean"`
	// Details say what was checked, or what is left when not clean.
	Details []string `json:"details,omitempty"`
}

// Planner is implemented by providers that can say, for a dry run, every
// call Inject and Rollback would make, without making them.
type Planner interface {
	Plan(ctx context.Context, f Fault, ttl time.Duration) ([]string, error)
}

// TargetCounter is implemented by providers that can say how many targets
// a fault of some kind could hit in all, whatever its selection: the
// denominator of a plan's max_percent cap (the engine's preflight refuses a
// run whose resolved selection is beyond it). Without it the engine counts
// Targets of the fault with a 100% selection.
type TargetCounter interface {
	// TargetCount returns how many targets of f's kind exist now (all the
	// sandbox's replicas for a replica kind, 1 for its database or its
	// dependency), without changing anything. f's selection is ignored.
	TargetCount(ctx context.Context, f Fault) (int, error)
}

// RunningCounter is implemented by whatever knows how many instances are
// running and healthy: the sandbox's load balancer, Kubernetes ready pods,
// ECS runningCount.
type RunningCounter interface {
	Running(ctx context.Context) (int, error)
}
