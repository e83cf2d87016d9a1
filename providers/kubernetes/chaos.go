package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/util/retry"

	"github.com/gameday-tui/gameday/providers"
)

const (
	chaosGroup   = "chaos-mesh.org"
	chaosVersion = "v1alpha1"
	chaosAPI     = chaosGroup + "/" + chaosVersion
	fieldManager = "gameday"
)

// chaosKinds maps each Chaos Mesh kind that has spec.duration (so Chaos
// Mesh ends it by itself: the TTL contract) to its resource. Schedules,
// Workflows and the Pod*Chaos kinds Chaos Mesh manages itself have none
// and are refused.
var chaosKinds = map[string]string{
	"AWSChaos":             "awschaos",
	"AzureChaos":           "azurechaos",
	"BlockChaos":           "blockchaos",
	"DNSChaos":             "dnschaos",
	"GCPChaos":             "gcpchaos",
	"HTTPChaos":            "httpchaos",
	"IOChaos":              "iochaos",
	"JVMChaos":             "jvmchaos",
	"KernelChaos":          "kernelchaos",
	"NetworkChaos":         "networkchaos",
	"PhysicalMachineChaos": "physicalmachinechaos",
	"PodChaos":             "podchaos",
	"StressChaos":          "stresschaos",
	"TimeChaos":            "timechaos",
}

// chaosResources returns every resource of chaosKinds, sorted.
func chaosResources() []string {
	out := make([]string, 0, len(chaosKinds))
	for _, r := range chaosKinds {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}

// resourcesOf returns the Chaos Mesh resources a fault of kind may have
// created: where Rollback and Verify look by owner label.
func resourcesOf(kind providers.Kind) []string {
	switch kind {
	case providers.InstanceStop, providers.DBFailure:
		return []string{"podchaos"}
	case providers.Latency, providers.DependencyOutage:
		return []string{"networkchaos"}
	case providers.CPUStress, providers.MemoryStress:
		return []string{"stresschaos"}
	}
	return chaosResources()
}

func chaosGVR(resource string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: chaosGroup, Version: chaosVersion, Resource: resource}
}

// The prefixes of an Injection's Handles. A handle is one of
//
//	<resource>.chaos-mesh.org/<namespace>/<name>   a Chaos Mesh object created (deleted on rollback)
//	deleted:pods/<namespace>/<name>                a pod deleted (nothing to undo: its controller replaces it)
//	ready:<resource>/<namespace>/<name>            a workload (deployments.apps, statefulsets.apps,
//	                                               replicasets.apps, pods) whose pods Verify expects ready
//
// so a journal says, in words, what was done and what is checked.
const (
	handleDeleted = "deleted:"
	handleReady   = "ready:"
)

// ref names one object: a resource ("podchaos", "pods",
// "deployments.apps"), its namespace and its name.
type ref struct {
	Resource, Namespace, Name string
}

func (r ref) String() string { return r.Resource + "/" + r.Namespace + "/" + r.Name }

// chaos reports whether r names a Chaos Mesh object, and its resource.
func (r ref) chaos() (string, bool) {
	return strings.CutSuffix(r.Resource, "."+chaosGroup)
}

func chaosRef(resource, ns, name string) ref {
	return ref{Resource: resource + "." + chaosGroup, Namespace: ns, Name: name}
}

// parseHandle splits a handle into its prefix (handleDeleted, handleReady
// or "") and the object it names.
func parseHandle(h string) (string, ref, bool) {
	prefix := ""
	for _, p := range []string{handleDeleted, handleReady} {
		if rest, ok := strings.CutPrefix(h, p); ok {
			prefix, h = p, rest
		}
	}
	parts := strings.SplitN(h, "/", 3)
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return "", ref{}, false
	}
	return prefix, ref{Resource: parts[0], Namespace: parts[1], Name: parts[2]}, true
}

// objectName is the name of the Chaos Mesh object of f: derived from its
// owner, so that a retried Inject finds what the first attempt created;
// empty (the server generates one from the prefix) without an owner.
func objectName(f providers.Fault) (name, generate string) {
	if f.Owner == "" {
		return "", "gameday-" + dnsSafe(f.ID) + "-"
	}
	return "gameday-" + dnsSafe(f.Owner), ""
}

// dnsSafe lowercases s and replaces what an object name may not hold.
func dnsSafe(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '-'
	}, s)
	return strings.Trim(s, "-")
}

// newChaos returns a Chaos Mesh object of kind in ns for f: spec as given,
// with spec.duration = ttl, mode "all" unless spec says otherwise, the
// owner label and gameday's name.
func newChaos(kind, ns string, f providers.Fault, ttl time.Duration, spec map[string]any) *unstructured.Unstructured {
	name, generate := objectName(f)
	labels := map[string]any{ManagedByLabel: "gameday"}
	if f.Owner != "" {
		labels[OwnerLabel] = f.Owner
	}
	meta := map[string]any{
		"namespace": ns,
		"labels":    labels,
		"annotations": map[string]any{
			"gameday.dev/fault": f.ID + " " + string(f.Kind),
		},
	}
	if name != "" {
		meta["name"] = name
	} else {
		meta["generateName"] = generate
	}
	spec["duration"] = ttl.String()
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": chaosAPI,
		"kind":       kind,
		"metadata":   meta,
		"spec":       spec,
	}}
}

// hasChaosMesh checks that the API server serves resource of Chaos Mesh.
// Discovery is open to every authenticated user, so it needs no Role.
func (p *Provider) hasChaosMesh(ctx context.Context, resource string, f providers.Fault) error {
	list, err := p.kube.Discovery().ServerResourcesForGroupVersionWithContext(ctx, chaosAPI)
	if err != nil {
		if apierrors.IsNotFound(err) {
			return &CRDMissingError{Resource: resource, Fault: f.ID + " " + string(f.Kind), Err: err}
		}
		return callError(err, "get", schema.GroupResource{}, "", "discover the Chaos Mesh API")
	}
	for _, r := range list.APIResources {
		if r.Name == resource {
			return nil
		}
	}
	return &CRDMissingError{Resource: resource, Fault: f.ID + " " + string(f.Kind), Err: fmt.Errorf("%s serves no %s", chaosAPI, resource)}
}

// createChaos creates obj (or, with dryRun, has the server validate it
// without storing it) and returns what the server holds. A retried Inject
// finds the object its first attempt created (same name, same owner) and
// adopts it; an object of that name not labelled with this owner is not
// touched.
func (p *Provider) createChaos(ctx context.Context, resource string, obj *unstructured.Unstructured, dryRun bool) (*unstructured.Unstructured, error) {
	ns := obj.GetNamespace()
	client := p.dyn.Resource(chaosGVR(resource)).Namespace(ns)
	opts := metav1.CreateOptions{FieldManager: fieldManager}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	gr := schema.GroupResource{Group: chaosGroup, Resource: resource}
	what := fmt.Sprintf("create %s %s/%s", resource, ns, nameOf(obj))
	var created *unstructured.Unstructured
	err := retry.OnError(retry.DefaultRetry, apierrors.IsConflict, func() error {
		var err error
		created, err = client.Create(ctx, obj, opts)
		return err
	})
	if apierrors.IsAlreadyExists(err) && !dryRun {
		existing, gerr := client.Get(ctx, obj.GetName(), metav1.GetOptions{})
		if gerr != nil {
			return nil, callError(gerr, "get", gr, ns, what)
		}
		if owner := obj.GetLabels()[OwnerLabel]; owner != "" && existing.GetLabels()[OwnerLabel] == owner {
			return existing, nil
		}
		return nil, fmt.Errorf("%s: %w: an object of that name exists and is not this fault's (its %s label is %q)", what, providers.ErrNotApplied, OwnerLabel, existing.GetLabels()[OwnerLabel])
	}
	if err != nil {
		return nil, callError(err, "create", gr, ns, what)
	}
	return created, nil
}

func nameOf(obj *unstructured.Unstructured) string {
	if n := obj.GetName(); n != "" {
		return n
	}
	return obj.GetGenerateName() + "…"
}

// deleteChaos deletes one Chaos Mesh object; one already gone is fine.
func (p *Provider) deleteChaos(ctx context.Context, r ref) error {
	resource, _ := r.chaos()
	gr := schema.GroupResource{Group: chaosGroup, Resource: resource}
	err := retry.OnError(retry.DefaultRetry, apierrors.IsConflict, func() error {
		return p.dyn.Resource(chaosGVR(resource)).Namespace(r.Namespace).Delete(ctx, r.Name, metav1.DeleteOptions{})
	})
	if err == nil || apierrors.IsNotFound(err) {
		return nil
	}
	return callError(err, "delete", gr, r.Namespace, "delete "+r.String())
}

// getChaos returns the object r names, or nil when it is gone.
func (p *Provider) getChaos(ctx context.Context, r ref) (*unstructured.Unstructured, error) {
	resource, _ := r.chaos()
	obj, err := p.dyn.Resource(chaosGVR(resource)).Namespace(r.Namespace).Get(ctx, r.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, callError(err, "get", schema.GroupResource{Group: chaosGroup, Resource: resource}, r.Namespace, "get "+r.String())
	}
	return obj, nil
}

// owned lists the Chaos Mesh objects labelled with owner in the given
// namespaces, among resources. A resource the server does not serve
// (Chaos Mesh not installed) has none.
func (p *Provider) owned(ctx context.Context, owner string, namespaces, resources []string) ([]ref, error) {
	if owner == "" {
		return nil, nil
	}
	var out []ref
	var errs []error
	sel := OwnerLabel + "=" + owner
	for _, ns := range namespaces {
		for _, resource := range resources {
			list, err := p.dyn.Resource(chaosGVR(resource)).Namespace(ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
			if apierrors.IsNotFound(err) {
				continue
			}
			if err != nil {
				errs = append(errs, callError(err, "list", schema.GroupResource{Group: chaosGroup, Resource: resource}, ns, "find the "+resource+" labelled "+sel))
				continue
			}
			for _, item := range list.Items {
				out = append(out, chaosRef(resource, ns, item.GetName()))
			}
		}
	}
	return out, errors.Join(errs...)
}

// stuckMessage says why obj is still there after its deletion and how to
// clear it.
func (p *Provider) stuckMessage(r ref, obj *unstructured.Unstructured) string {
	if obj.GetDeletionTimestamp() == nil {
		return fmt.Sprintf("%s still exists (not deleted)", r)
	}
	fin := obj.GetFinalizers()
	resource, _ := r.chaos()
	return fmt.Sprintf("%s is stuck in deletion since %s, held by the finalizers %s: Chaos Mesh's controller removes them once it has undone the fault (is chaos-controller-manager running?). If it cannot, clear them by hand: %s",
		r, obj.GetDeletionTimestamp().UTC().Format(time.RFC3339), strings.Join(fin, ", "),
		p.kubectl("patch", resource+"."+chaosGroup, "-n", r.Namespace, r.Name, "--type=merge", "-p", `'{"metadata":{"finalizers":null}}'`))
}

// kubectl renders a kubectl command line with the provider's context.
func (p *Provider) kubectl(args ...string) string {
	cmd := []string{"kubectl"}
	if p.kubeContext != "" && p.kubeContext != inClusterContext {
		cmd = append(cmd, "--context", p.kubeContext)
	}
	return strings.Join(append(cmd, args...), " ")
}
