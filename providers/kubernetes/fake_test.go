package kubernetes_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	fakediscovery "k8s.io/client-go/discovery/fake"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/providers/kubernetes"
)

const (
	ns    = "shop"
	owner = "run1.f1"
	ttl   = 90 * time.Second
)

var chaosResources = []string{"podchaos", "networkchaos", "stresschaos", "iochaos", "timechaos", "httpchaos",
	"awschaos", "azurechaos", "blockchaos", "dnschaos", "gcpchaos", "jvmchaos", "kernelchaos", "physicalmachinechaos"}

func gvr(resource string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: "chaos-mesh.org", Version: "v1alpha1", Resource: resource}
}

// cluster is a fake cluster: a Deployment web (4 replicas) whose
// ReplicaSet web-abc has 4 ready pods web-abc-0 … web-abc-3, a StatefulSet
// db with one ready pod db-0, and, unless noChaosMesh, Chaos Mesh's API in
// discovery.
type cluster struct {
	kube *fake.Clientset
	dyn  *dynamicfake.FakeDynamicClient
}

type clusterOpt func(*clusterSetup)

type clusterSetup struct {
	noChaosMesh bool
	ready       int
	chaos       []*unstructured.Unstructured
}

func noChaosMesh() clusterOpt { return func(s *clusterSetup) { s.noChaosMesh = true } }

func readyPods(n int) clusterOpt { return func(s *clusterSetup) { s.ready = n } }

func withChaos(objs ...*unstructured.Unstructured) clusterOpt {
	return func(s *clusterSetup) { s.chaos = append(s.chaos, objs...) }
}

func newCluster(t *testing.T, opts ...clusterOpt) *cluster {
	t.Helper()
	setup := clusterSetup{ready: 4}
	for _, o := range opts {
		o(&setup)
	}
	labels := map[string]string{"app": "web"}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns, UID: "dep-uid"},
		Spec:       appsv1.DeploymentSpec{Replicas: ptr(int32(4)), Selector: &metav1.LabelSelector{MatchLabels: labels}},
	}
	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web-abc", Namespace: ns, UID: "rs-uid"},
		Spec:       appsv1.ReplicaSetSpec{Replicas: ptr(int32(4)), Selector: &metav1.LabelSelector{MatchLabels: labels}},
	}
	db := &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: ns, UID: "sts-uid"},
		Spec:       appsv1.StatefulSetSpec{Replicas: ptr(int32(1)), Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}},
	}
	objs := []runtime.Object{dep, rs, db,
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kube-system", UID: "cluster-uid"}},
		pod("db-0", map[string]string{"app": "db"}, "StatefulSet", "db", "sts-uid", true),
	}
	for i := range 4 {
		objs = append(objs, pod(fmt.Sprintf("web-abc-%d", i), labels, "ReplicaSet", "web-abc", "rs-uid", i < setup.ready))
	}
	kube := fake.NewClientset(objs...)
	if !setup.noChaosMesh {
		var res []metav1.APIResource
		for _, r := range chaosResources {
			res = append(res, metav1.APIResource{Name: r, Namespaced: true})
		}
		kube.Discovery().(*fakediscovery.FakeDiscovery).Resources = []*metav1.APIResourceList{{GroupVersion: "chaos-mesh.org/v1alpha1", APIResources: res}}
	}
	listKinds := map[schema.GroupVersionResource]string{}
	for _, r := range chaosResources {
		listKinds[gvr(r)] = r + "List"
	}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), listKinds)
	for _, obj := range setup.chaos {
		// The tracker would guess the plural of a kind ("networkchaoses");
		// Chaos Mesh's are the kind in lower case.
		resource := strings.ToLower(obj.GetKind())
		if err := dyn.Tracker().Create(gvr(resource), obj, obj.GetNamespace()); err != nil {
			t.Fatal(err)
		}
	}
	return &cluster{kube: kube, dyn: dyn}
}

func pod(name string, labels map[string]string, ownerKind, ownerName string, ownerUID types.UID, ready bool) *corev1.Pod {
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: ns, Labels: labels, UID: types.UID(name + "-uid"),
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: ownerKind, Name: ownerName, UID: ownerUID, Controller: ptr(true)}},
		},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: status}}},
	}
}

// chaosObject returns a Chaos Mesh object as the dynamic fake holds it.
func chaosObject(kind, name string, labels map[string]any, finalizers ...string) *unstructured.Unstructured {
	meta := map[string]any{"name": name, "namespace": ns, "labels": labels}
	if len(finalizers) > 0 {
		list := make([]any, len(finalizers))
		for i, f := range finalizers {
			list[i] = f
		}
		meta["finalizers"] = list
		meta["deletionTimestamp"] = "2026-11-29T10:00:00Z"
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "chaos-mesh.org/v1alpha1", "kind": kind, "metadata": meta,
		"spec": map[string]any{"mode": "all"},
	}}
}

func (c *cluster) provider(opts ...kubernetes.Option) *kubernetes.Provider {
	base := []kubernetes.Option{
		kubernetes.WithScope(providers.Fields{"namespace": ns, "deployment": "web"}),
		kubernetes.WithKubeContext("staging"),
		kubernetes.WithServer("https://staging.example:6443"),
		kubernetes.WithDeleteWait(300 * time.Millisecond),
		kubernetes.WithPollInterval(20 * time.Millisecond),
	}
	return kubernetes.New(c.kube, c.dyn, append(base, opts...)...)
}

// fault returns a fault on the scenario's target (deployment web in shop).
func fault(kind providers.Kind, params providers.Params) providers.Fault {
	return providers.Fault{
		ID: "f1", Kind: kind, Params: params, Owner: owner,
		Scope: providers.Fields{"namespace": ns, "deployment": "web"},
	}
}

// actions returns the verbs and resources of the fake's recorded actions,
// as "verb resource" strings, skipping discovery.
func actions(acts []k8stesting.Action) []string {
	var out []string
	for _, a := range acts {
		if a.GetResource().Resource == "resource" {
			continue // fake discovery
		}
		s := a.GetVerb() + " " + a.GetResource().Resource
		if a.GetSubresource() != "" {
			s += "/" + a.GetSubresource()
		}
		out = append(out, s)
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}
