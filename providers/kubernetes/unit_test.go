package kubernetes_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8stesting "k8s.io/client-go/testing"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/providers/kubernetes"
)

// created returns the objects of the create actions of acts.
func created(acts []k8stesting.Action) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, a := range acts {
		if c, ok := a.(k8stesting.CreateAction); ok {
			if u, ok := c.GetObject().(*unstructured.Unstructured); ok {
				out = append(out, u)
			}
		}
	}
	return out
}

func TestInjectCreatesChaosMeshObjects(t *testing.T) {
	tests := map[string]struct {
		fault    providers.Fault
		resource string
		kind     string
		spec     map[string]any // fields of spec checked (besides duration)
	}{
		"latency": {
			fault: fault(providers.Latency, providers.Params{Delay: 150 * time.Millisecond, Jitter: 20 * time.Millisecond,
				Extra: providers.Fields{"correlation": 25.0}}),
			resource: "networkchaos", kind: "NetworkChaos",
			spec: map[string]any{"action": "delay", "mode": "all", "direction": "to",
				"delay":    map[string]any{"latency": "150ms", "jitter": "20ms", "correlation": "25"},
				"selector": map[string]any{"namespaces": []any{ns}, "labelSelectors": map[string]any{"app": "web"}}},
		},
		"cpu-stress one pod": {
			fault: func() providers.Fault {
				f := fault(providers.CPUStress, providers.Params{Workers: 2, Load: 80, Extra: providers.Fields{"seed": 3}})
				f.Selection = providers.Selection{Count: 1}
				return f
			}(),
			resource: "stresschaos", kind: "StressChaos",
			spec: map[string]any{"mode": "all", "stressors": map[string]any{"cpu": map[string]any{"workers": int64(2), "load": int64(80)}}},
		},
		"memory-stress": {
			fault:    fault(providers.MemoryStress, providers.Params{MemoryMB: 256}),
			resource: "stresschaos", kind: "StressChaos",
			spec: map[string]any{"stressors": map[string]any{"memory": map[string]any{"workers": int64(1), "size": "256MB"}}},
		},
		"db-failure": {
			fault: func() providers.Fault {
				f := fault(providers.DBFailure, providers.Params{})
				f.Target = providers.Fields{"statefulset": "db"}
				return f
			}(),
			resource: "podchaos", kind: "PodChaos",
			spec: map[string]any{"action": "pod-failure", "mode": "all",
				"selector": map[string]any{"namespaces": []any{ns}, "labelSelectors": map[string]any{"app": "db"}}},
		},
		"dependency-outage loss": {
			fault: fault(providers.DependencyOutage, providers.Params{Mode: "loss",
				Extra: providers.Fields{"external_targets": []any{"payments.example.com", "10.0.0.0/8"}, "loss": 50.0, "correlation": 10.0}}),
			resource: "networkchaos", kind: "NetworkChaos",
			spec: map[string]any{"action": "loss", "loss": map[string]any{"loss": "50", "correlation": "10"},
				"externalTargets": []any{"payments.example.com", "10.0.0.0/8"}, "direction": "to"},
		},
		"dependency-outage partition": {
			fault: fault(providers.DependencyOutage, providers.Params{
				Extra: providers.Fields{"external_targets": []any{"payments.example.com"}}}),
			resource: "networkchaos", kind: "NetworkChaos",
			spec: map[string]any{"action": "partition", "externalTargets": []any{"payments.example.com"}},
		},
		"instance-stop pod-kill": {
			fault: func() providers.Fault {
				f := fault(providers.InstanceStop, providers.Params{Mode: "pod-kill", Extra: providers.Fields{"grace_period": "5s", "seed": 11}})
				f.Selection = providers.Selection{Percent: 50}
				return f
			}(),
			resource: "podchaos", kind: "PodChaos",
			spec: map[string]any{"action": "pod-kill", "mode": "all", "gracePeriod": int64(5)},
		},
		"chaos-mesh manifest": {
			fault: fault(kubernetes.ChaosMesh, providers.Params{Extra: providers.Fields{"manifest": map[string]any{
				"apiVersion": "chaos-mesh.org/v1alpha1", "kind": "TimeChaos",
				"metadata": map[string]any{"labels": map[string]any{"team": "payments"}},
				"spec": map[string]any{"mode": "one", "timeOffset": "-10m",
					"selector": map[string]any{"labelSelectors": map[string]any{"app": "web"}}},
			}}}),
			resource: "timechaos", kind: "TimeChaos",
			spec: map[string]any{"mode": "one", "timeOffset": "-10m"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c := newCluster(t)
			p := c.provider()
			inj, err := p.Inject(ctx(t), tc.fault, ttl)
			if err != nil {
				t.Fatalf("Inject: %v", err)
			}
			objs := created(c.dyn.Actions())
			if len(objs) != 1 {
				t.Fatalf("created %d objects (%v), want 1", len(objs), actions(c.dyn.Actions()))
			}
			obj := objs[0]
			if obj.GetKind() != tc.kind || obj.GetNamespace() != ns || obj.GetName() != "gameday-run1-f1" {
				t.Errorf("created %s %s/%s, want %s %s/gameday-run1-f1", obj.GetKind(), obj.GetNamespace(), obj.GetName(), tc.kind, ns)
			}
			if got := obj.GetLabels()[kubernetes.OwnerLabel]; got != owner {
				t.Errorf("owner label %q, want %q", got, owner)
			}
			if d, _, _ := unstructured.NestedString(obj.Object, "spec", "duration"); d != "1m30s" {
				t.Errorf("spec.duration %q, want the TTL 1m30s", d)
			}
			spec, _, _ := unstructured.NestedMap(obj.Object, "spec")
			for k, want := range tc.spec {
				if got := spec[k]; !equalJSON(got, want) {
					t.Errorf("spec.%s = %#v, want %#v", k, got, want)
				}
			}
			wantHandle := tc.resource + ".chaos-mesh.org/shop/gameday-run1-f1"
			if len(inj.Handles) == 0 || inj.Handles[0] != wantHandle {
				t.Errorf("handles %v, want %s first", inj.Handles, wantHandle)
			}
			if inj.Owner != owner || inj.ExpiresAt.IsZero() {
				t.Errorf("injection owner %q expires %v", inj.Owner, inj.ExpiresAt)
			}
			if tc.fault.Selection != (providers.Selection{}) {
				names, _, _ := unstructured.NestedStringSlice(obj.Object, "spec", "selector", "pods", ns)
				if len(names) != len(inj.Targets) || len(names) == 0 {
					t.Errorf("selector pods %v, targets %v: want the chosen pods by name", names, inj.Targets)
				}
				if inj.Seed == 0 {
					t.Errorf("a random choice without its seed in the injection")
				}
			}
			// Rolled back: gone, and clean.
			if err := p.Rollback(ctx(t), inj); err != nil {
				t.Fatalf("Rollback: %v", err)
			}
			if _, err := c.dyn.Resource(gvr(tc.resource)).Namespace(ns).Get(ctx(t), "gameday-run1-f1", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Errorf("after rollback: %v, want NotFound", err)
			}
			v, err := p.Verify(ctx(t), inj)
			if err != nil || !v.Clean {
				t.Errorf("Verify after rollback: %+v, %v", v, err)
			}
		})
	}
}

func equalJSON(a, b any) bool {
	return strings.EqualFold(jsonOf(a), jsonOf(b))
}

func jsonOf(v any) string {
	u := unstructured.Unstructured{Object: map[string]any{"v": v}}
	b, _ := u.MarshalJSON()
	return string(b)
}

func TestInstanceStopDeletesPodsChosenWithTheSeed(t *testing.T) {
	f := fault(providers.InstanceStop, providers.Params{Extra: providers.Fields{"grace_period": "7s"}})
	f.Selection = providers.Selection{Count: 2}
	deletedBy := func(seed int64) []string {
		c := newCluster(t)
		p := c.provider(kubernetes.WithSeed(func() int64 { return seed }))
		inj, err := p.Inject(ctx(t), f, ttl)
		if err != nil {
			t.Fatalf("Inject: %v", err)
		}
		if inj.Seed != seed {
			t.Errorf("injection seed %d, want %d", inj.Seed, seed)
		}
		var names []string
		for _, a := range c.kube.Actions() {
			d, ok := a.(k8stesting.DeleteActionImpl)
			if !ok {
				continue
			}
			if d.Resource.Resource != "pods" {
				t.Errorf("deleted a %s", d.Resource.Resource)
			}
			if g := d.DeleteOptions.GracePeriodSeconds; g == nil || *g != 7 {
				t.Errorf("grace period %v, want 7", g)
			}
			if d.DeleteOptions.Preconditions == nil || d.DeleteOptions.Preconditions.UID == nil || string(*d.DeleteOptions.Preconditions.UID) != d.Name+"-uid" {
				t.Errorf("delete of %s without its UID precondition", d.Name)
			}
			names = append(names, d.Name)
		}
		var handles []string
		for _, n := range names {
			handles = append(handles, "deleted:pods/shop/"+n)
		}
		handles = append(handles, "ready:deployments.apps/shop/web")
		if !slices.Equal(inj.Handles, handles) {
			t.Errorf("handles %v, want %v", inj.Handles, handles)
		}
		if len(names) != 2 {
			t.Fatalf("deleted %v, want 2 pods", names)
		}
		return names
	}
	first := deletedBy(1)
	if again := deletedBy(1); !slices.Equal(first, again) {
		t.Errorf("seed 1 chose %v, then %v: the same seed must choose the same pods", first, again)
	}
	differs := false
	for seed := int64(2); seed < 12 && !differs; seed++ {
		differs = !slices.Equal(first, deletedBy(seed))
	}
	if !differs {
		t.Errorf("seeds 1 to 11 all chose %v: the choice does not depend on the seed", first)
	}
}

func TestForbiddenNamesVerbAndResource(t *testing.T) {
	t.Run("delete pods", func(t *testing.T) {
		c := newCluster(t)
		c.kube.PrependReactor("delete", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, a.(k8stesting.DeleteAction).GetName(),
				errors.New(`User "system:serviceaccount:shop:gameday" cannot delete resource "pods" in API group "" in the namespace "shop"`))
		})
		f := fault(providers.InstanceStop, providers.Params{})
		f.Selection = providers.Selection{Count: 1}
		_, err := c.provider().Inject(ctx(t), f, ttl)
		var fe *kubernetes.ForbiddenError
		if !errors.As(err, &fe) || fe.Verb != "delete" || fe.Resource != "pods" || fe.Namespace != ns {
			t.Fatalf("Inject: %v, want a ForbiddenError for delete pods in shop", err)
		}
		if !errors.Is(err, providers.ErrNotApplied) {
			t.Errorf("a refused first delete changed nothing, but the error does not wrap ErrNotApplied: %v", err)
		}
		for _, want := range []string{"may not delete pods in namespace shop", `add the verb "delete" on the resource "pods"`, "system:serviceaccount:shop:gameday"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
	})
	t.Run("create networkchaos", func(t *testing.T) {
		c := newCluster(t)
		c.dyn.PrependReactor("create", "networkchaos", func(a k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "chaos-mesh.org", Resource: "networkchaos"}, "", errors.New("no"))
		})
		_, err := c.provider().Inject(ctx(t), fault(providers.Latency, providers.Params{Delay: time.Second}), ttl)
		if !errors.Is(err, providers.ErrNotApplied) || !strings.Contains(err.Error(), `may not create networkchaos.chaos-mesh.org in namespace shop; add the verb "create" on the resource "networkchaos" (API group chaos-mesh.org)`) {
			t.Fatalf("Inject: %v", err)
		}
	})
	t.Run("identity", func(t *testing.T) {
		c := newCluster(t)
		c.kube.PrependReactor("get", "namespaces", func(a k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "namespaces"}, "kube-system", errors.New("no"))
		})
		_, err := c.provider().Identity(ctx(t))
		if err == nil || !strings.Contains(err.Error(), "may not get namespaces cluster-wide") || !strings.Contains(err.Error(), "ClusterRole") {
			t.Fatalf("Identity: %v", err)
		}
	})
}

func TestConflictIsRetried(t *testing.T) {
	c := newCluster(t)
	calls := 0
	c.dyn.PrependReactor("create", "networkchaos", func(a k8stesting.Action) (bool, runtime.Object, error) {
		calls++
		if calls == 1 {
			return true, nil, apierrors.NewConflict(schema.GroupResource{Group: "chaos-mesh.org", Resource: "networkchaos"}, "gameday-run1-f1", errors.New("try again"))
		}
		return false, nil, nil
	})
	inj, err := c.provider().Inject(ctx(t), fault(providers.Latency, providers.Params{Delay: time.Second}), ttl)
	if err != nil {
		t.Fatalf("Inject: %v", err)
	}
	if calls != 2 || len(inj.Handles) == 0 {
		t.Fatalf("%d create calls, handles %v: want a retry after the conflict", calls, inj.Handles)
	}
}

func TestCreateFindsItsOwnObject(t *testing.T) {
	t.Run("same owner: adopted", func(t *testing.T) {
		c := newCluster(t, withChaos(chaosObject("NetworkChaos", "gameday-run1-f1", map[string]any{kubernetes.OwnerLabel: owner})))
		inj, err := c.provider().Inject(ctx(t), fault(providers.Latency, providers.Params{Delay: time.Second}), ttl)
		if err != nil || inj.Handles[0] != "networkchaos.chaos-mesh.org/shop/gameday-run1-f1" {
			t.Fatalf("a retried inject: %+v, %v; want it to adopt its own object", inj, err)
		}
	})
	t.Run("another owner: refused", func(t *testing.T) {
		c := newCluster(t, withChaos(chaosObject("NetworkChaos", "gameday-run1-f1", map[string]any{kubernetes.OwnerLabel: "someone.else"})))
		inj, err := c.provider().Inject(ctx(t), fault(providers.Latency, providers.Params{Delay: time.Second}), ttl)
		if !errors.Is(err, providers.ErrNotApplied) || len(inj.Handles) != 0 {
			t.Fatalf("Inject over another's object: %+v, %v; want ErrNotApplied and no handle", inj, err)
		}
	})
}

func TestRollback(t *testing.T) {
	t.Run("not found is success, and idempotent", func(t *testing.T) {
		c := newCluster(t)
		p := c.provider()
		inj := providers.Injection{FaultID: "f1", Kind: providers.Latency, Owner: owner,
			Handles: []string{"networkchaos.chaos-mesh.org/shop/gameday-run1-f1", "ready:deployments.apps/shop/web"}}
		for i := range 2 {
			if err := p.Rollback(ctx(t), inj); err != nil {
				t.Fatalf("Rollback %d of what is gone: %v", i+1, err)
			}
		}
		acts := actions(c.dyn.Actions())
		if !slices.Contains(acts, "delete networkchaos") || !slices.Contains(acts, "list networkchaos") {
			t.Errorf("actions %v: want a delete by name and a list by owner label", acts)
		}
	})
	t.Run("by owner label alone", func(t *testing.T) {
		// The run died during Inject: the journal has the owner, no handle.
		c := newCluster(t, withChaos(
			chaosObject("StressChaos", "gameday-run1-f1", map[string]any{kubernetes.OwnerLabel: owner}),
			chaosObject("StressChaos", "not-ours", map[string]any{kubernetes.OwnerLabel: "run2.f1"}),
		))
		p := c.provider()
		inj := providers.Injection{FaultID: "f1", Kind: providers.CPUStress, Owner: owner}
		if err := p.Rollback(ctx(t), inj); err != nil {
			t.Fatalf("Rollback: %v", err)
		}
		list, err := c.dyn.Resource(gvr("stresschaos")).Namespace(ns).List(ctx(t), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Items) != 1 || list.Items[0].GetName() != "not-ours" {
			t.Fatalf("left %d objects, want only not-ours", len(list.Items))
		}
		if v, err := p.Verify(ctx(t), inj); err != nil || !v.Clean {
			t.Errorf("Verify: %+v, %v", v, err)
		}
	})
	t.Run("stuck finalizer", func(t *testing.T) {
		c := newCluster(t, withChaos(chaosObject("NetworkChaos", "gameday-run1-f1", map[string]any{kubernetes.OwnerLabel: owner}, "chaos-mesh/records")))
		// Chaos Mesh's controller is not running: the delete leaves the
		// object in place, held by its finalizer.
		c.dyn.PrependReactor("delete", "networkchaos", func(k8stesting.Action) (bool, runtime.Object, error) { return true, nil, nil })
		p := c.provider()
		inj := providers.Injection{FaultID: "f1", Kind: providers.Latency, Owner: owner, Handles: []string{"networkchaos.chaos-mesh.org/shop/gameday-run1-f1"}}
		patch := `kubectl --context staging patch networkchaos.chaos-mesh.org -n shop gameday-run1-f1 --type=merge -p '{"metadata":{"finalizers":null}}'`
		err := p.Rollback(ctx(t), inj)
		if err == nil || !strings.Contains(err.Error(), "stuck in deletion") || !strings.Contains(err.Error(), "chaos-mesh/records") || !strings.Contains(err.Error(), patch) {
			t.Fatalf("Rollback of a stuck object: %v; want it stuck, its finalizer and %s", err, patch)
		}
		v, err := p.Verify(ctx(t), inj)
		if err != nil || v.Clean || len(v.Details) == 0 || !strings.Contains(v.Details[0], patch) {
			t.Fatalf("Verify of a stuck object: %+v, %v", v, err)
		}
	})
}

func TestVerifyWaitsForTheDesiredReadyCount(t *testing.T) {
	c := newCluster(t, readyPods(3))
	inj := providers.Injection{FaultID: "f1", Kind: providers.InstanceStop,
		Handles: []string{"deleted:pods/shop/web-abc-3", "ready:deployments.apps/shop/web"}}
	v, err := c.provider().Verify(ctx(t), inj)
	if err != nil || v.Clean || !slices.Contains(v.Details, "deployment shop/web: 3 of 4 pods ready") {
		t.Fatalf("Verify with 3 of 4 ready: %+v, %v", v, err)
	}
	c2 := newCluster(t)
	v, err = c2.provider().Verify(ctx(t), inj)
	if err != nil || !v.Clean || !slices.Contains(v.Details, "deployment shop/web: 4 of 4 pods ready") {
		t.Fatalf("Verify with 4 of 4 ready: %+v, %v", v, err)
	}
	// By their controllers, when the scenario names no workload.
	f := fault(providers.InstanceStop, providers.Params{})
	f.Scope = providers.Fields{"namespace": ns, "selector": map[string]any{"app": "web"}}
	f.Selection = providers.Selection{Count: 1}
	inj, err = c2.provider().Inject(ctx(t), f, ttl)
	if err != nil || !slices.Contains(inj.Handles, "ready:replicasets.apps/shop/web-abc") {
		t.Fatalf("Inject by selector: %+v, %v; want the pods' ReplicaSet to verify", inj, err)
	}
}

func TestChaosMeshNotInstalled(t *testing.T) {
	c := newCluster(t, noChaosMesh())
	p := c.provider()
	f := fault(providers.Latency, providers.Params{Delay: time.Second})
	for name, call := range map[string]func() error{
		"inject": func() error { _, err := p.Inject(ctx(t), f, ttl); return err },
		"plan":   func() error { _, err := p.Plan(ctx(t), f, ttl); return err },
	} {
		err := call()
		var missing *kubernetes.CRDMissingError
		if !errors.As(err, &missing) {
			t.Fatalf("%s: %v, want a CRDMissingError", name, err)
		}
		for _, want := range []string{"Chaos Mesh is not installed", "networkchaos.chaos-mesh.org", "f1 latency needs it", "instance-stop (mode: delete)", "db-failure (mode: delete)"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %q does not say %q", name, err, want)
			}
		}
	}
	if len(created(c.dyn.Actions())) != 0 {
		t.Errorf("created Chaos Mesh objects on a cluster without Chaos Mesh")
	}
	// Deleting pods needs no Chaos Mesh.
	stop := fault(providers.InstanceStop, providers.Params{})
	stop.Selection = providers.Selection{Count: 1}
	if _, err := p.Inject(ctx(t), stop, ttl); err != nil {
		t.Fatalf("instance-stop without Chaos Mesh: %v", err)
	}
}

func TestPlanIsAServerSideDryRun(t *testing.T) {
	c := newCluster(t)
	p := c.provider()
	lines, err := p.Plan(ctx(t), fault(providers.Latency, providers.Params{Delay: 100 * time.Millisecond}), ttl)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	var creates int
	for _, a := range c.dyn.Actions() {
		if cr, ok := a.(k8stesting.CreateActionImpl); ok {
			creates++
			if !slices.Equal(cr.CreateOptions.DryRun, []string{metav1.DryRunAll}) {
				t.Errorf("create without dryRun=All: %+v", cr.CreateOptions)
			}
		}
		if a.GetVerb() == "delete" {
			t.Errorf("Plan deleted something: %v", a)
		}
	}
	if creates != 1 || len(lines) != 2 || !strings.HasPrefix(lines[0], "POST /apis/chaos-mesh.org/v1alpha1/namespaces/shop/networkchaos gameday-run1-f1 {delay 100ms") || !strings.HasPrefix(lines[1], "DELETE /apis/chaos-mesh.org/v1alpha1/namespaces/shop/networkchaos/gameday-run1-f1") {
		t.Fatalf("%d dry-run creates; lines:\n%s", creates, strings.Join(lines, "\n"))
	}

	stop := fault(providers.InstanceStop, providers.Params{})
	stop.Selection = providers.Selection{Count: 1}
	c.kube.ClearActions()
	lines, err = p.Plan(ctx(t), stop, ttl)
	if err != nil {
		t.Fatalf("Plan instance-stop: %v", err)
	}
	var deletes int
	for _, a := range c.kube.Actions() {
		if d, ok := a.(k8stesting.DeleteActionImpl); ok {
			deletes++
			if !slices.Equal(d.DeleteOptions.DryRun, []string{metav1.DryRunAll}) {
				t.Errorf("delete without dryRun=All: %+v", d.DeleteOptions)
			}
		}
	}
	if deletes != 1 || !strings.Contains(lines[0], "DELETE /api/v1/namespaces/shop/pods/") || !strings.Contains(lines[0], "chosen at random at inject time") {
		t.Fatalf("%d dry-run deletes; lines:\n%s", deletes, strings.Join(lines, "\n"))
	}
}

func TestSystemNamespacesAreRefused(t *testing.T) {
	c := newCluster(t)
	f := fault(providers.Latency, providers.Params{Delay: time.Second})
	f.Scope = providers.Fields{"namespace": "kube-system", "selector": map[string]any{"k8s-app": "kube-dns"}}
	_, err := c.provider().Inject(ctx(t), f, ttl)
	if !errors.Is(err, providers.ErrNotApplied) || !strings.Contains(err.Error(), "kube-system is a system namespace") || !strings.Contains(err.Error(), "allow_system_namespaces: true") {
		t.Fatalf("Inject in kube-system: %v", err)
	}
	if len(c.kube.Actions())+len(c.dyn.Actions()) != 0 {
		t.Errorf("a refused fault made calls: %v %v", actions(c.kube.Actions()), actions(c.dyn.Actions()))
	}
	f.Scope["allow_system_namespaces"] = true
	_, err = c.provider().Inject(ctx(t), f, ttl)
	if err == nil || strings.Contains(err.Error(), "system namespace") {
		t.Fatalf("allowed: %v, want it past the namespace check (to no pod found)", err)
	}
}

func TestManualRollback(t *testing.T) {
	p := newCluster(t).provider()
	got := p.ManualRollback(providers.Injection{FaultID: "f1", Kind: providers.Latency, Owner: owner,
		Handles: []string{"networkchaos.chaos-mesh.org/shop/gameday-run1-f1", "ready:deployments.apps/shop/web"}})
	want := "kubectl --context staging delete networkchaos.chaos-mesh.org -n shop gameday-run1-f1 --ignore-not-found && " +
		"kubectl --context staging delete networkchaos.chaos-mesh.org -n shop -l gameday.dev/owner=run1.f1 --ignore-not-found"
	if got != want {
		t.Errorf("ManualRollback:\n got %s\nwant %s", got, want)
	}
	got = p.ManualRollback(providers.Injection{FaultID: "f1", Kind: providers.InstanceStop,
		Handles: []string{"deleted:pods/shop/web-abc-1", "ready:deployments.apps/shop/web"}})
	if !strings.HasPrefix(got, "nothing to undo") || !strings.Contains(got, "deployments.apps/shop/web") {
		t.Errorf("ManualRollback of deleted pods: %s", got)
	}
}

func TestIdentity(t *testing.T) {
	id, err := newCluster(t).provider().Identity(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if id.Provider != "kubernetes" || id.ID != "cluster-uid" || id.Fields["server"] != "https://staging.example:6443" || id.Fields["namespace"] != ns || id.Fields["context"] != "staging" {
		t.Errorf("Identity: %+v", id)
	}
}

func TestPreview(t *testing.T) {
	p := newCluster(t).provider()
	targets := []providers.Target{{ID: "shop/web-abc-1", Name: "pod shop/web-abc-1"}}
	stop := fault(providers.InstanceStop, providers.Params{})
	stop.Selection = providers.Selection{Percent: 25}
	if !p.PicksAtInject(stop) {
		t.Errorf("a percent without a seed is drawn at inject time")
	}
	if got, want := p.Preview(stop, targets, 4), "will delete 1 of 4 ready pods of deployment shop/web, chosen at inject time with a journaled seed, e.g. pod shop/web-abc-1; their controller replaces them"; got != want {
		t.Errorf("Preview:\n got %s\nwant %s", got, want)
	}
	seeded := stop
	seeded.Params.Extra = providers.Fields{"seed": 7}
	if p.PicksAtInject(seeded) {
		t.Errorf("a seeded choice is the one Targets shows")
	}
	outage := fault(providers.DependencyOutage, providers.Params{Extra: providers.Fields{"external_targets": []any{"payments.example.com"}}})
	outage.Scope = providers.Fields{"namespace": ns, "selector": map[string]any{"app": "web"}}
	if got, want := p.Preview(outage, targets, 4), "will cut off payments.example.com (NetworkChaos partition) from 1 of 4 ready pods of app=web in shop: pod shop/web-abc-1"; got != want {
		t.Errorf("Preview:\n got %s\nwant %s", got, want)
	}
	manifest := fault(kubernetes.ChaosMesh, providers.Params{Extra: providers.Fields{"manifest": map[string]any{"kind": "HTTPChaos", "spec": map[string]any{"mode": "one"}}}})
	if !p.PicksAtInject(manifest) || p.PicksAtInject(fault(kubernetes.ChaosMesh, providers.Params{})) {
		t.Errorf("a manifest's mode one is Chaos Mesh's pick; no manifest is no pick")
	}
}
