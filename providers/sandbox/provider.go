package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gameday-tui/gameday/providers"
)

// ProviderName is the sandbox's name in scenario files.
const ProviderName = "sandbox"

var (
	_ providers.Provider       = (*Client)(nil)
	_ providers.Verifier       = (*Client)(nil)
	_ providers.Planner        = (*Client)(nil)
	_ providers.RunningCounter = (*Client)(nil)
	_ providers.TargetCounter  = (*Client)(nil)
	_ providers.EventStreamer  = (*Client)(nil)
	_ providers.Identifier     = (*Client)(nil)
	_ providers.Leaser         = (*Client)(nil)
	_ providers.Tuned          = (*Client)(nil)
	_ providers.RandomPicker   = (*Client)(nil)
)

// Timeouts are the sandbox's bounds on provider calls (providers.Tuned).
//
//   - Call 5 s: a hook applies in milliseconds (a signal, a map entry in
//     the proxy, one admin call per replica); the slowest call, the undo
//     of a db stop, waits for the database to listen again, well under a
//     second even on a loaded 2-core machine. 5 s leaves room for that
//     without letting a hung sandbox hold an abort for the engine's
//     default 30 s. An undo cut short is safe to retry: undo is idempotent
//     and goes on in the sandbox (it does not stop with the request).
//   - RollbackDeadline 30 s: retries of rollback, and, separately,
//     verification, which waits for a restarted replica to pass two
//     health checks (about 2 s after it listens); 30 s is several times
//     the worst restart plus checks.
//   - TTLMargin 30 s: the sandbox ends each hook at its TTL by itself,
//     within milliseconds, so the margin only has to outlast the engine's
//     own rollback of a fault due to end (its RollbackDeadline), so that
//     the TTL never cuts a planned fault short, while bounding what a dead
//     console leaves behind to half a minute.
func (c *Client) Timeouts() providers.Timeouts {
	return providers.Timeouts{Call: 5 * time.Second, RollbackDeadline: 30 * time.Second, TTLMargin: 30 * time.Second}
}

// Name returns "sandbox".
func (c *Client) Name() string { return ProviderName }

// Supports reports whether kind is one of the six classic kinds; the
// sandbox implements them all.
func (c *Client) Supports(kind providers.Kind) bool { return slices.Contains(providers.Kinds, kind) }

// SpecFor maps a fault to the hook that implements it, as the file of
// each kind says (fault_*.go):
//
//	instance-stop      kill (Mode "kill", default) or pause (Mode "pause") replicas
//	latency            latency (Delay, Jitter) on the replicas' traffic; zero selection = all
//	cpu-stress         cpu (Workers, Load) in replicas
//	memory-stress      memory (MemoryMB) in replicas
//	db-failure         db-stop (Mode "stop", default) or db-pause (Mode "pause")
//	dependency-outage  dependency-blackhole (Mode "blackhole", default) or dependency-error (Mode "error")
//
// The fault's target selector "names" (f.Target, see Spec) picks replicas
// by name; otherwise the selection (count or percent) picks them at random
// at inject time. Names are refused for the database and the dependency,
// whose selection is ignored. f.Owner becomes the hook's Label.
func SpecFor(f providers.Fault, ttl time.Duration) (HookSpec, error) {
	spec := HookSpec{TTL: ttl, Count: f.Selection.Count, Percent: f.Selection.Percent, Label: f.Owner}
	var err error
	switch f.Kind {
	case providers.InstanceStop:
		err = instanceStopSpec(f, &spec)
	case providers.Latency:
		err = latencySpec(f, &spec)
	case providers.CPUStress:
		err = cpuSpec(f, &spec)
	case providers.MemoryStress:
		err = memorySpec(f, &spec)
	case providers.DBFailure:
		err = dbSpec(f, &spec)
	case providers.DependencyOutage:
		err = dependencySpec(f, &spec)
	default:
		return HookSpec{}, fmt.Errorf("fault %s: the sandbox does not implement kind %q", f.ID, f.Kind)
	}
	if err != nil {
		return HookSpec{}, err
	}
	if names := f.Target.Strings(SelectorNames); len(names) > 0 {
		if !replicaKind(spec.Kind) {
			return HookSpec{}, fmt.Errorf("fault %s (%s): target.%s: the %s has no replicas to name", f.ID, f.Kind, SelectorNames, scopeNoun(spec.Kind))
		}
		if spec.Count > 0 || spec.Percent > 0 {
			return HookSpec{}, fmt.Errorf("fault %s (%s): give target.%s or a selection, not both", f.ID, f.Kind, SelectorNames)
		}
		spec.Replicas = names
	}
	if !replicaKind(spec.Kind) {
		spec.Count, spec.Percent = 0, 0
	}
	if err := validate(&spec); err != nil {
		return HookSpec{}, fmt.Errorf("fault %s (%s): %w", f.ID, f.Kind, err)
	}
	return spec, nil
}

// scopeNoun names what a non-replica hook kind targets.
func scopeNoun(k HookKind) string {
	if mechanismFor(k).scope() == scopeDatabase {
		return "database"
	}
	return "dependency"
}

// Targets returns the targets Inject would hit if called now. Replicas are
// chosen at random at inject time among the healthy ones, so for a count or
// percent this is a preview: the right number, the first ones by name.
func (c *Client) Targets(ctx context.Context, f providers.Fault) ([]providers.Target, error) {
	spec, err := SpecFor(f, time.Minute)
	if err != nil {
		return nil, err
	}
	st, err := c.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("resolve targets of %s: %w", f.ID, err)
	}
	return previewTargets(st, spec), nil
}

// TargetCount returns how many targets f's kind has in all: every
// configured replica for a replica kind (healthy or not), 1 for the
// database or the dependency. It is the denominator of a plan's
// max_percent cap.
func (c *Client) TargetCount(ctx context.Context, f providers.Fault) (int, error) {
	spec, err := SpecFor(f, time.Minute)
	if err != nil {
		return 0, err
	}
	if !replicaKind(spec.Kind) {
		return 1, nil
	}
	st, err := c.Status(ctx)
	if err != nil {
		return 0, fmt.Errorf("count the targets of %s: %w", f.ID, err)
	}
	return max(st.Configured, len(st.Replicas)), nil
}

func previewTargets(st Status, spec HookSpec) []providers.Target {
	switch mechanismFor(spec.Kind).scope() {
	case scopeDatabase:
		return []providers.Target{{ID: st.Database.Name, Name: fmt.Sprintf("%s (pid %d, %s)", st.Database.Name, st.Database.PID, st.Database.Addr)}}
	case scopeDependency:
		return []providers.Target{{ID: st.Dependency.Name, Name: fmt.Sprintf("%s (pid %d, %s)", st.Dependency.Name, st.Dependency.PID, st.Dependency.Addr)}}
	}
	var candidates []ReplicaStatus
	for _, r := range st.Replicas {
		if len(spec.Replicas) > 0 && !slices.Contains(spec.Replicas, r.Name) {
			continue
		}
		if mechanismFor(spec.Kind).scope() == scopeAnyReplica || r.Healthy && r.State == ProcessRunning {
			candidates = append(candidates, r)
		}
	}
	k := providers.Selection{Count: spec.Count, Percent: spec.Percent}.Of(len(candidates))
	targets := make([]providers.Target, 0, k)
	for _, r := range candidates[:k] {
		targets = append(targets, providers.Target{ID: r.Name, Name: fmt.Sprintf("%s (pid %d)", r.Name, r.PID)})
	}
	return targets
}

// Inject applies f as one hook for ttl, labelled with f.Owner; the sandbox
// ends it by itself at the TTL. The Injection's Handles hold the hook ID.
// An error wrapping providers.ErrNotApplied means nothing changed; any
// other error may leave part of the fault applied, and the Injection says
// what to roll back. (If the request itself times out, the hook ID is
// unknown: Rollback finds the hook by its Owner label, and the TTL ends it
// in any case.)
func (c *Client) Inject(ctx context.Context, f providers.Fault, ttl time.Duration) (providers.Injection, error) {
	inj := providers.Injection{FaultID: f.ID, Provider: ProviderName, Kind: f.Kind, Owner: f.Owner}
	spec, err := SpecFor(f, ttl)
	if err != nil {
		return inj, fmt.Errorf("inject %s: %w: %w", f.ID, providers.ErrNotApplied, err)
	}
	h, err := c.Apply(ctx, spec)
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) && ae.nothingChanged() || isConnectError(err) {
			return inj, fmt.Errorf("inject %s: %w: %w", f.ID, providers.ErrNotApplied, err)
		}
		return inj, fmt.Errorf("inject %s: %w", f.ID, err)
	}
	inj.Handles = []string{h.ID}
	inj.ExpiresAt = h.ExpiresAt
	for _, t := range h.Targets {
		inj.Targets = append(inj.Targets, providers.Target{ID: t, Name: t})
	}
	if h.Error != "" {
		return inj, fmt.Errorf("inject %s: hook %s: %s", f.ID, h.ID, h.Error)
	}
	return inj, nil
}

// Rollback undoes every hook of inj: those its Handles name and, when
// inj.Owner is set, every active hook labelled with it (so an Injection
// journaled before Inject answered is rolled back too). It is idempotent,
// and an Injection of which nothing was applied rolls back at once.
func (c *Client) Rollback(ctx context.Context, inj providers.Injection) error {
	ids := slices.Clone(inj.Handles)
	var errs []error
	owned, err := c.ownedHooks(ctx, inj)
	if err != nil {
		errs = append(errs, err)
	}
	for _, h := range owned {
		if !slices.Contains(ids, h.ID) {
			ids = append(ids, h.ID)
		}
	}
	for _, id := range ids {
		if err := c.Undo(ctx, id); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("roll back %s: %w", inj.FaultID, err)
	}
	return nil
}

// ownedHooks returns the active hooks labelled inj.Owner (none when inj
// has no Owner).
func (c *Client) ownedHooks(ctx context.Context, inj providers.Injection) ([]Hook, error) {
	if inj.Owner == "" {
		return nil, nil
	}
	st, err := c.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("find the hooks labelled %s: %w", inj.Owner, err)
	}
	var out []Hook
	for _, h := range st.Hooks {
		if h.Spec.Label == inj.Owner && h.State == HookActive {
			out = append(out, h)
		}
	}
	return out, nil
}

// ManualRollback returns the command that undoes inj's hooks by hand. When
// the sandbox is provably gone (it lived in this process and was closed,
// or its process is not alive and its control address refuses
// connections) there is nothing to undo, and it says so instead of giving
// a command that cannot work: the sandbox's faults ended with it.
func (c *Client) ManualRollback(inj providers.Injection) string {
	if why, gone := c.gone(context.Background()); gone {
		return "nothing to undo: " + why + "; its faults ended with it"
	}
	switch {
	case len(inj.Handles) > 0:
		return "gameday sandbox undo " + strings.Join(inj.Handles, " ")
	case inj.Owner != "":
		return "gameday sandbox status --json   # then gameday sandbox undo ID for each active hook labelled " + inj.Owner + "; every hook ends by itself at its TTL"
	}
	return "gameday sandbox status   # nothing recorded to undo; the sandbox ends every hook at its TTL"
}

// Plan returns the control API calls Inject and Rollback would make for f.
func (c *Client) Plan(ctx context.Context, f providers.Fault, ttl time.Duration) ([]string, error) {
	spec, err := SpecFor(f, ttl)
	if err != nil {
		return nil, err
	}
	st, err := c.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("plan %s: %w", f.ID, err)
	}
	var names []string
	for _, t := range previewTargets(st, spec) {
		names = append(names, t.ID)
	}
	hit := "would hit " + strings.Join(names, ", ")
	if replicaKind(spec.Kind) && len(spec.Replicas) == 0 && (spec.Count > 0 || spec.Percent > 0) {
		hit = fmt.Sprintf("would hit %d replica(s) chosen at random at inject time, e.g. %s", len(names), strings.Join(names, ", "))
	}
	if len(names) == 0 {
		hit = "no target now: the inject would be refused"
	}
	return []string{
		fmt.Sprintf("POST %s/hooks %s  # %s", c.base, spec, hit),
		fmt.Sprintf("DELETE %s/hooks/{id}  # at rollback; the sandbox ends it by itself after %s", c.base, ttl),
	}, nil
}

// Running returns how many replicas are healthy in the load balancer.
func (c *Client) Running(ctx context.Context) (int, error) {
	var r runningResponse
	if err := c.do(ctx, http.MethodGet, "/running", nil, &r); err != nil {
		return 0, err
	}
	return r.Running, nil
}

// PicksAtInject reports whether f's targets are drawn at inject time: a
// replica kind with a count or percent and no names (providers.RandomPicker).
// Targets then shows an example only.
func (c *Client) PicksAtInject(f providers.Fault) bool {
	spec, err := SpecFor(f, time.Minute)
	return err == nil && replicaKind(spec.Kind) && len(spec.Replicas) == 0 && (spec.Count > 0 || spec.Percent > 0)
}
