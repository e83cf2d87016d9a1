package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/gameday-tui/gameday/providers"
)

// act is what one fault does to the cluster, worked out before any change:
// Inject applies it, Plan has the server dry-run it and prints it, Targets
// shows whom it hits.
type act struct {
	set podSet
	// chaos is the Chaos Mesh object to create (resource is its
	// resource, what says what it does), or nil.
	chaos    *unstructured.Unstructured
	resource string
	what     string
	// del are the pods to delete, with grace as their grace period (nil:
	// each pod's own).
	del   []corev1.Pod
	grace *int64
	// targets are the pods hit; ready are the ready: handles Verify
	// checks.
	targets []providers.Target
	ready   []string
	// seed chose the pods when random is true (a count or percent of the
	// matching pods).
	seed   int64
	random bool
	// bySelector is true when the Chaos Mesh object selects pods by label
	// rather than by name.
	bySelector bool
}

// seedParam returns the fault's params.seed, or 0.
func seedParam(f providers.Fault) int64 {
	return int64(f.Params.Extra.Int(paramSeed))
}

// build works out f's act. seed chooses the pods of a count or percent
// selection; 0 previews the first ones by name. Nothing is changed; an
// error means f cannot be applied as it is (it wraps
// providers.ErrNotApplied when the cluster said so).
func (p *Provider) build(ctx context.Context, f providers.Fault, ttl time.Duration, seed int64) (act, error) {
	scope := p.scopeOf(f)
	if err := checkOrErr(scope, f); err != nil {
		return act{}, err
	}
	if f.Kind == ChaosMesh {
		return p.buildManifest(ctx, scope, f, ttl)
	}
	set, err := p.resolve(ctx, scope, f)
	if err != nil {
		return act{}, err
	}
	all, err := p.pods(ctx, set)
	if err != nil {
		return act{}, err
	}
	candidates := servingOf(all)
	a := act{set: set, seed: seed}
	chosen := candidates
	byName := len(set.names) > 0
	if f.Selection != (providers.Selection{}) {
		chosen = pick(candidates, f.Selection, seed)
		a.random = len(chosen) < len(candidates)
		byName = true
	}
	a.targets = podTargets(chosen)
	a.ready = readyRefs(set, chosen)
	a.bySelector = !byName && set.selector != nil
	switch f.Kind {
	case providers.InstanceStop:
		buildInstanceStop(&a, f, ttl, chosen, byName)
	case providers.Latency:
		buildLatency(&a, f, ttl, chosen, byName)
	case providers.CPUStress, providers.MemoryStress:
		buildStress(&a, f, ttl, chosen, byName)
	case providers.DBFailure:
		buildDBFailure(&a, f, ttl, chosen, byName)
	case providers.DependencyOutage:
		buildOutage(&a, f, ttl, chosen, byName)
	default:
		return act{}, fmt.Errorf("fault %s: %w: the Kubernetes provider has no kind %q", f.ID, providers.ErrNotApplied, f.Kind)
	}
	return a, nil
}

// Targets returns the pods f would hit if injected now: the ready pods of
// its target, all of them or its selection's share. A count or percent is
// chosen at random at inject time unless the fault gives params.seed, so
// for those this is a preview: the right number, the first ones by name.
// A raw chaos-mesh manifest hits the pods its selector matches (Chaos Mesh
// applies its mode to them).
func (p *Provider) Targets(ctx context.Context, f providers.Fault) ([]providers.Target, error) {
	a, err := p.build(ctx, f, time.Minute, seedParam(f))
	if err != nil {
		return nil, fmt.Errorf("resolve the targets of %s: %w", f.ID, err)
	}
	return a.targets, nil
}

// TargetCount returns how many ready pods f's target has, whatever its
// selection: the denominator of a plan's max_percent.
func (p *Provider) TargetCount(ctx context.Context, f providers.Fault) (int, error) {
	if f.Kind == ChaosMesh {
		t, err := p.Targets(ctx, f)
		return len(t), err
	}
	all := f
	all.Selection = providers.Selection{}
	t, err := p.Targets(ctx, all)
	return len(t), err
}

// Inject applies f for at most ttl: it creates its Chaos Mesh object, with
// spec.duration = ttl and the owner label, or deletes its pods (a
// deletion is over at once; the pods' controller replaces them). A count
// or percent of pods is chosen at random with params.seed or a new seed,
// recorded in the Injection. An error wrapping providers.ErrNotApplied
// means nothing changed: the fault was refused (a system namespace, a
// missing workload, no ready pod, Chaos Mesh not installed) or the API
// server refused the first change (Forbidden names the missing
// permission).
func (p *Provider) Inject(ctx context.Context, f providers.Fault, ttl time.Duration) (providers.Injection, error) {
	inj := providers.Injection{FaultID: f.ID, Provider: ProviderName, Kind: f.Kind, Owner: f.Owner}
	seed := seedParam(f)
	if seed == 0 {
		seed = p.seed()
	}
	a, err := p.build(ctx, f, ttl, seed)
	if err != nil {
		return inj, fmt.Errorf("inject %s: %w", f.ID, notApplied(err))
	}
	inj.Targets = a.targets
	if a.random {
		inj.Seed = seed
	}
	if len(a.targets) == 0 && f.Kind != ChaosMesh {
		return inj, fmt.Errorf("inject %s: %w: no ready pod of %s", f.ID, providers.ErrNotApplied, a.set)
	}
	if a.chaos != nil {
		return p.injectChaos(ctx, f, ttl, a, inj)
	}
	return p.deletePods(ctx, f, a, inj)
}

// notApplied wraps err with providers.ErrNotApplied unless it already is.
func notApplied(err error) error {
	if errors.Is(err, providers.ErrNotApplied) {
		return err
	}
	return fmt.Errorf("%w: %w", providers.ErrNotApplied, err)
}

// answered reports whether err is an answer of the API server (which then
// refused the call, changing nothing), rather than a call that may or may
// not have reached it (a timeout, a broken connection).
func answered(err error) bool {
	var status apierrors.APIStatus
	return errors.As(err, &status)
}

func (p *Provider) injectChaos(ctx context.Context, f providers.Fault, ttl time.Duration, a act, inj providers.Injection) (providers.Injection, error) {
	if err := p.hasChaosMesh(ctx, a.resource, f); err != nil {
		return inj, fmt.Errorf("inject %s: %w", f.ID, notApplied(err))
	}
	inj.ExpiresAt = p.now().Add(ttl)
	created, err := p.createChaos(ctx, a.resource, a.chaos, false)
	if err != nil {
		if answered(err) || errors.Is(err, providers.ErrNotApplied) {
			return inj, fmt.Errorf("inject %s: %w", f.ID, notApplied(err))
		}
		// Without an answer the object may exist: Rollback finds it by
		// its name or owner label, and Chaos Mesh ends it at the TTL.
		if name := a.chaos.GetName(); name != "" {
			inj.Handles = append(inj.Handles, chaosRef(a.resource, a.chaos.GetNamespace(), name).String())
		}
		inj.Handles = append(inj.Handles, a.ready...)
		return inj, fmt.Errorf("inject %s: %w", f.ID, err)
	}
	inj.Handles = append([]string{chaosRef(a.resource, created.GetNamespace(), created.GetName()).String()}, a.ready...)
	if ts := created.GetCreationTimestamp(); !ts.IsZero() {
		inj.ExpiresAt = ts.Add(ttl)
	}
	return inj, nil
}
