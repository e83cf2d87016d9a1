package providers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// SystemEvent is something the target system did by itself during a run:
// the load balancer took a replica out, the supervisor restarted one, a
// circuit breaker opened, Kubernetes killed a pod, ECS started a task. The
// engine journals each one and shows it on the timeline; the report names
// the first detection after an injection ("load balancer health check took
// replica-2 out after 2.1 s").
type SystemEvent struct {
	At time.Time `json:"at"`
	// Source says which part of the system acted, in words: "load
	// balancer", "supervisor", "circuit breaker", "kubelet", "ECS".
	Source string `json:"source"`
	// Kind classifies the event for the report: EventDetected when the
	// system noticed a failure (a health check took an instance out, a
	// breaker opened), EventRecovered when it healed (an instance back in,
	// a restart, a breaker closed), EventInfo otherwise.
	Kind EventKind `json:"kind"`
	// Target names what it acted on ("replica-2"), if anything.
	Target string `json:"target,omitempty"`
	// Text says what happened, as a sentence without the time:
	// "health check took replica-2 out after 2 failed checks".
	Text string `json:"text"`
	// Stop says the event is a stop condition firing (a CloudWatch alarm
	// the scenario named as a stop alarm went to ALARM): the engine
	// aborts the run on it, with rollback, as FIS stops an experiment.
	Stop bool `json:"stop,omitempty"`
}

// EventKind classifies a SystemEvent.
type EventKind string

// The kinds of system event.
const (
	EventDetected  EventKind = "detected"
	EventRecovered EventKind = "recovered"
	EventInfo      EventKind = "info"
	// EventGone says the system itself is gone (the sandbox's process
	// died, the cluster stopped answering for good): the engine aborts
	// the run, and the faults that lived in that system are reported as
	// ended with it, never with a manual command that cannot work.
	EventGone EventKind = "gone"
)

// EventStreamer is implemented by providers that can report what the
// system does by itself.
type EventStreamer interface {
	// SystemEvents streams events from now on until ctx is done, then
	// closes the channel. Like MetricSource, it never blocks on a slow
	// reader: events that cannot be delivered are dropped.
	SystemEvents(ctx context.Context) <-chan SystemEvent
}

// Identity says which system a run acted on, precisely enough that
// `gameday recover` can tell whether it reaches that very system or
// another one: the sandbox's control address, instance id and pid; a
// Kubernetes cluster's server and namespace; an AWS account and region. It
// is journaled with the run (no secrets).
type Identity struct {
	Provider string `json:"provider"`
	// ID identifies the instance of the system (the sandbox's instance
	// id, a cluster's UID). Two identities with the same Provider and ID
	// are the same system.
	ID string `json:"id"`
	// Fields say, for a person, where it is ("control":
	// "127.0.0.1:41234", "pid": "4242").
	Fields map[string]string `json:"fields,omitempty"`
}

// String renders the identity for messages: "sandbox 3f2a… (control
// 127.0.0.1:41234, pid 4242)".
func (id Identity) String() string {
	s := id.Provider
	if id.ID != "" {
		s += " " + id.ID
	}
	if len(id.Fields) > 0 {
		parts := make([]string, 0, len(id.Fields))
		for _, k := range Fields(toAny(id.Fields)).Keys() {
			parts = append(parts, k+" "+id.Fields[k])
		}
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	return s
}

func toAny(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Identifier is implemented by providers that can say which system they
// act on. Recover compares the journaled identity with the system it
// reaches before it confirms anything.
type Identifier interface {
	Identity(ctx context.Context) (Identity, error)
}

// LeaseRequest asks for the exclusive use of a target for one run.
type LeaseRequest struct {
	// Target names what is leased, as the scenario's target says it.
	Target string `json:"target"`
	RunID  string `json:"run_id"`
	// Owner is who runs it: user@host, and the process.
	Owner string    `json:"owner"`
	Since time.Time `json:"since"`
	// TTL bounds the lease if the holder dies without releasing it.
	TTL time.Duration `json:"ttl"`
}

// Lease is a granted LeaseRequest.
type Lease interface {
	// Renew extends the lease by its TTL; the run calls it periodically.
	Renew(ctx context.Context) error
	// Release gives the target up. It is idempotent.
	Release(ctx context.Context) error
}

// Leaser is implemented by providers whose system can hold a lease itself
// (the sandbox, through its control API). Where none can, the app takes a
// lock file named after the target in the state directory.
type Leaser interface {
	// Lease grants req or returns an error wrapping *LeaseHeldError
	// naming the run that holds the target.
	Lease(ctx context.Context, req LeaseRequest) (Lease, error)
}

// LeaseHeldError says that another run holds the target.
type LeaseHeldError struct {
	Holder LeaseRequest
}

func (e *LeaseHeldError) Error() string {
	return fmt.Sprintf("the target %s is in use by run %s of %s, started %s", e.Holder.Target, e.Holder.RunID, e.Holder.Owner, e.Holder.Since.Local().Format("2006-01-02 15:04:05 MST"))
}

// ErrLeaseHeld matches any *LeaseHeldError with errors.Is.
var ErrLeaseHeld = errors.New("target in use by another run")

// Is makes errors.Is(err, ErrLeaseHeld) true.
func (e *LeaseHeldError) Is(target error) bool { return target == ErrLeaseHeld }

// Timeouts are a provider's own bounds on its calls. A sandbox hook is
// applied in milliseconds; an FIS experiment takes tens of seconds to
// stop, so one set of numbers cannot fit every provider.
type Timeouts struct {
	// Call bounds each Inject, Rollback and Verify call.
	Call time.Duration
	// RollbackDeadline bounds one fault's rollback, retries included,
	// and, separately, its verification.
	RollbackDeadline time.Duration
	// TTLMargin is added to a fault's planned life to make its TTL.
	TTLMargin time.Duration
}

// Tuned is implemented by providers whose calls need other bounds than
// the engine's defaults.
type Tuned interface {
	Timeouts() Timeouts
}

// Previewer is implemented by providers that can say in their own words
// what a fault will do to the targets Targets resolved, for the plan card
// and the headless blast line: "will stop 1 of 4 replicas, chosen at
// inject time, e.g. replica-3". total is how many targets of the kind
// exist (0 when unknown).
type Previewer interface {
	Preview(f Fault, targets []Target, total int) string
}

// RandomPicker is implemented by providers whose selection is drawn at
// inject time (a percent or count of matching targets): Targets then only
// shows an example, and the plan card and report say so.
type RandomPicker interface {
	PicksAtInject(f Fault) bool
}
