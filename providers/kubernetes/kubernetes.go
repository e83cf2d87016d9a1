// Package kubernetes is gameday's Kubernetes provider. It runs the six
// classic faults, and raw Chaos Mesh manifests, against the workloads of one
// namespace:
//
//	instance-stop      delete the selected pods (mode delete), or a PodChaos pod-kill
//	latency            a NetworkChaos delay (latency, jitter, correlation)
//	cpu-stress         a StressChaos with a cpu stressor
//	memory-stress      a StressChaos with a memory stressor
//	db-failure         a PodChaos pod-failure on the database's pods, or deleting them
//	dependency-outage  a NetworkChaos partition or loss towards the dependency's hosts
//	chaos-mesh         any Chaos Mesh manifest the scenario gives
//
// Chaos Mesh objects go through the dynamic client as unstructured objects,
// so the product needs no Chaos Mesh Go module; the CRDs' own OpenAPI
// schemas validate them on the server. Every object is created with
// spec.duration set to the fault's TTL (Chaos Mesh ends it by itself) and
// labelled gameday.dev/owner=<Fault.Owner> (gameday recover finds it by
// label), and is deleted on rollback.
//
// The provider never builds its own clients: cmd builds them (LoadConfig
// reads a kubeconfig or the in-cluster config) and hands a
// kubernetes.Interface and a dynamic.Interface to New.
//
// Where to find what: spec.go declares what a scenario may say (Spec);
// target.go resolves which pods a fault hits; one file per fault kind
// (instancestop.go, latency.go, stress.go, dbfailure.go, outage.go,
// manifest.go) builds what it applies; chaos.go creates and deletes Chaos
// Mesh objects; inject.go, rollback.go, verify.go and plan.go run them;
// running.go and events.go watch the target; errors.go turns API errors
// into messages that name the fix; rbac.yaml is the documented Role.
package kubernetes

import (
	"math/rand/v2"
	"slices"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/gameday-tui/gameday/providers"
)

// ProviderName is the provider's name in scenario files.
const ProviderName = "kubernetes"

// ChaosMesh is the native kind whose params.manifest is a Chaos Mesh object
// applied as it is (with gameday's duration, name and owner label).
const ChaosMesh providers.Kind = "chaos-mesh"

// OwnerLabel is the label every object the provider creates carries, with
// the fault's owner (providers.OwnerLabel: "RUN.FAULT") as its value.
const OwnerLabel = "gameday.dev/owner"

// ManagedByLabel marks every object the provider creates.
const ManagedByLabel = "app.kubernetes.io/managed-by"

var (
	_ providers.Provider       = (*Provider)(nil)
	_ providers.Verifier       = (*Provider)(nil)
	_ providers.Planner        = (*Provider)(nil)
	_ providers.TargetCounter  = (*Provider)(nil)
	_ providers.RunningCounter = (*Provider)(nil)
	_ providers.EventStreamer  = (*Provider)(nil)
	_ providers.Identifier     = (*Provider)(nil)
	_ providers.Tuned          = (*Provider)(nil)
)

// Provider runs faults against one Kubernetes cluster. It is safe for
// concurrent use.
type Provider struct {
	kube kubernetes.Interface
	dyn  dynamic.Interface

	scope       providers.Fields
	namespaces  []string
	kubeContext string
	server      string
	seed        func() int64
	now         func() time.Time
	deleteWait  time.Duration
	poll        time.Duration
	resolution  time.Duration

	// running is the pod cache of a RunningSource while one runs, so
	// Running reads the informer instead of listing.
	running runningCache
}

// Option configures a Provider.
type Option func(*Provider)

// WithScope sets the scenario's target fields (namespace, selector,
// deployment, statefulset, allow_system_namespaces). The running count and
// the system events follow that target, and Rollback searches its
// namespace for objects labelled with an Injection's owner.
func WithScope(scope providers.Fields) Option {
	return func(p *Provider) { p.scope = scope }
}

// WithNamespaces adds namespaces Rollback and Verify search by owner label,
// beyond the scope's: those the plan's faults name in their own target.
func WithNamespaces(ns ...string) Option {
	return func(p *Provider) { p.namespaces = append(p.namespaces, ns...) }
}

// WithKubeContext names the kubeconfig context the clients were built
// from; manual rollback commands pass it to kubectl (--context) and
// Identity reports it.
func WithKubeContext(name string) Option {
	return func(p *Provider) { p.kubeContext = name }
}

// WithServer names the API server URL the clients talk to, for Identity.
func WithServer(url string) Option {
	return func(p *Provider) { p.server = url }
}

// WithSeed sets where the seed of a random pod selection comes from when a
// fault gives none (params.seed). The seed used is recorded in the
// Injection either way.
func WithSeed(seed func() int64) Option {
	return func(p *Provider) { p.seed = seed }
}

// WithClock sets the clock (tests).
func WithClock(now func() time.Time) Option {
	return func(p *Provider) { p.now = now }
}

// WithDeleteWait bounds how long Rollback waits for a deleted Chaos Mesh
// object to be gone (Chaos Mesh removes its finalizer once it has undone
// the fault) before it reports it stuck; the caller's context bounds it
// too. Default 30 s.
func WithDeleteWait(d time.Duration) Option {
	return func(p *Provider) { p.deleteWait = d }
}

// WithPollInterval sets how often Rollback checks that a deleted object is
// gone. Default 250 ms.
func WithPollInterval(d time.Duration) Option {
	return func(p *Provider) { p.poll = d }
}

// WithResolution sets the window of the running-count samples. Default
// one second.
func WithResolution(d time.Duration) Option {
	return func(p *Provider) { p.resolution = d }
}

// New returns a provider that acts through kube (pods, workloads, events)
// and dyn (Chaos Mesh objects). Both are built by the caller (cmd), from a
// kubeconfig or the in-cluster config (LoadConfig), or are fakes in tests.
func New(kube kubernetes.Interface, dyn dynamic.Interface, opts ...Option) *Provider {
	p := &Provider{
		kube:       kube,
		dyn:        dyn,
		seed:       func() int64 { return rand.Int64N(1<<31-1) + 1 },
		now:        time.Now,
		deleteWait: 30 * time.Second,
		poll:       250 * time.Millisecond,
		resolution: time.Second,
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

// Name returns "kubernetes".
func (p *Provider) Name() string { return ProviderName }

// Supports reports whether kind is one of the six classic kinds or
// chaos-mesh.
func (p *Provider) Supports(kind providers.Kind) bool {
	return kind == ChaosMesh || slices.Contains(providers.Kinds, kind)
}

// Timeouts are the provider's bounds: API calls answer in well under a
// second, but a Chaos Mesh object is gone only once its controller has
// undone the fault and removed its finalizer, which takes seconds, and a
// replaced pod takes tens of seconds to be Ready again.
func (p *Provider) Timeouts() providers.Timeouts {
	return providers.Timeouts{
		Call:             45 * time.Second,
		RollbackDeadline: 3 * time.Minute,
		TTLMargin:        30 * time.Second,
	}
}
