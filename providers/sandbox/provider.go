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
)

// Name returns "sandbox".
func (c *Client) Name() string { return ProviderName }

// Supports reports whether kind is one of the six classic kinds; the
// sandbox implements them all.
func (c *Client) Supports(kind providers.Kind) bool { return slices.Contains(providers.Kinds, kind) }

// SpecFor maps a fault to the hook that implements it:
//
//	instance-stop      kill (Mode "kill", default) or pause (Mode "pause") replicas
//	latency            latency (Delay, Jitter) on the replicas' traffic; zero selection = all
//	cpu-stress         cpu (Workers, Load) in replicas
//	memory-stress      memory (MemoryMB) in replicas
//	db-failure         db-stop (Mode "stop", default) or db-pause (Mode "pause")
//	dependency-outage  dependency-blackhole (Mode "blackhole", default) or dependency-error (Mode "error")
//
// The selection (count or percent) picks replicas; it is ignored for the
// database and the dependency. f.Owner becomes the hook's Label.
func SpecFor(f providers.Fault, ttl time.Duration) (HookSpec, error) {
	spec := HookSpec{TTL: ttl, Count: f.Selection.Count, Percent: f.Selection.Percent, Label: f.Owner}
	mode := f.Params.Mode
	badMode := func(want string) error {
		return fmt.Errorf("fault %s (%s): mode %q is not one of %s", f.ID, f.Kind, mode, want)
	}
	switch f.Kind {
	case providers.InstanceStop:
		switch mode {
		case "", "kill":
			spec.Kind = HookKill
		case "pause":
			spec.Kind = HookPause
		default:
			return HookSpec{}, badMode(`"kill", "pause"`)
		}
	case providers.Latency:
		spec.Kind, spec.Delay, spec.Jitter = HookLatency, f.Params.Delay, f.Params.Jitter
	case providers.CPUStress:
		spec.Kind, spec.Workers, spec.Load = HookCPU, f.Params.Workers, f.Params.Load
	case providers.MemoryStress:
		spec.Kind, spec.MemoryMB = HookMemory, f.Params.MemoryMB
	case providers.DBFailure:
		switch mode {
		case "", "stop":
			spec.Kind = HookDBStop
		case "pause":
			spec.Kind = HookDBPause
		default:
			return HookSpec{}, badMode(`"stop", "pause"`)
		}
	case providers.DependencyOutage:
		switch mode {
		case "", "blackhole":
			spec.Kind = HookDependencyBlackhole
		case "error":
			spec.Kind = HookDependencyError
		default:
			return HookSpec{}, badMode(`"blackhole", "error"`)
		}
	default:
		return HookSpec{}, fmt.Errorf("fault %s: the sandbox does not implement kind %q", f.ID, f.Kind)
	}
	if !replicaKind(spec.Kind) {
		spec.Count, spec.Percent = 0, 0
	}
	if err := validate(&spec); err != nil {
		return HookSpec{}, fmt.Errorf("fault %s (%s): %w", f.ID, f.Kind, err)
	}
	return spec, nil
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
	switch spec.Kind {
	case HookDBStop, HookDBPause:
		return []providers.Target{{ID: st.Database.Name, Name: fmt.Sprintf("%s (pid %d, %s)", st.Database.Name, st.Database.PID, st.Database.Addr)}}
	case HookDependencyBlackhole, HookDependencyError:
		return []providers.Target{{ID: st.Dependency.Name, Name: fmt.Sprintf("%s (pid %d, %s)", st.Dependency.Name, st.Dependency.PID, st.Dependency.Addr)}}
	}
	var candidates []ReplicaStatus
	for _, r := range st.Replicas {
		if spec.Kind == HookLatency || r.Healthy && r.State == ProcessRunning {
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

// ManualRollback returns the command that undoes inj's hooks by hand.
func (c *Client) ManualRollback(inj providers.Injection) string {
	switch {
	case len(inj.Handles) > 0:
		return "gameday sandbox undo " + strings.Join(inj.Handles, " ")
	case inj.Owner != "":
		return "gameday sandbox status --json   # then gameday sandbox undo ID for each active hook labelled " + inj.Owner + "; every hook ends by itself at its TTL"
	}
	return "gameday sandbox status   # nothing recorded to undo; the sandbox ends every hook at its TTL"
}

// Verify reports inj clean when none of its hooks (by Handles or by Owner
// label) is active any more and every configured replica is healthy again
// (plus, for a database or dependency fault, when those run normally
// again).
func (c *Client) Verify(ctx context.Context, inj providers.Injection) (providers.Verification, error) {
	st, err := c.Status(ctx)
	if err != nil {
		return providers.Verification{}, fmt.Errorf("verify %s: %w", inj.FaultID, err)
	}
	var details []string
	for _, h := range st.Hooks {
		mine := slices.Contains(inj.Handles, h.ID) || inj.Owner != "" && h.Spec.Label == inj.Owner
		if mine && h.State == HookActive {
			details = append(details, fmt.Sprintf("hook %s (%s on %s) is still active until %s", h.ID, h.Kind, strings.Join(h.Targets, ", "), h.ExpiresAt.Format(time.TimeOnly)))
		}
	}
	if st.Running != st.Configured {
		details = append(details, fmt.Sprintf("%d of %d replicas healthy", st.Running, st.Configured))
	}
	switch inj.Kind {
	case providers.DBFailure:
		if st.Database.State != ProcessRunning {
			details = append(details, "database is "+st.Database.State)
		}
	case providers.DependencyOutage:
		if st.Dependency.Mode != DependencyNormal {
			details = append(details, "dependency mode is "+st.Dependency.Mode)
		}
	}
	return providers.Verification{Clean: len(details) == 0, Details: details}, nil
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
