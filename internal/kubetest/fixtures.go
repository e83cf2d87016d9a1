package kubetest

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	yamlutil "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Apply creates, as the admin, every object of the multi-document YAML
// manifests, as kubectl create -f would (namespaced objects in their
// metadata.namespace).
func (c *Cluster) Apply(t testing.TB, manifests string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(c.kube.Discovery()))
	dec := yamlutil.NewYAMLOrJSONDecoder(strings.NewReader(manifests), 4096)
	for {
		var obj map[string]any
		if err := dec.Decode(&obj); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode the manifests: %v", err)
		}
		if obj == nil {
			continue
		}
		u := &unstructured.Unstructured{Object: obj}
		gvk := u.GroupVersionKind()
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			t.Fatalf("%s: %v", gvk, err)
		}
		res := c.dyn.Resource(m.Resource)
		var create func() error
		if m.Scope.Name() == meta.RESTScopeNameNamespace {
			create = func() error {
				_, err := res.Namespace(u.GetNamespace()).Create(ctx, u, metav1.CreateOptions{})
				return err
			}
		} else {
			create = func() error { _, err := res.Create(ctx, u, metav1.CreateOptions{}); return err }
		}
		if err := create(); err != nil {
			t.Fatalf("create %s %s: %v", gvk.Kind, u.GetName(), err)
		}
	}
}

// Workload creates, as the admin, a Deployment (kind "Deployment") or a
// StatefulSet (kind "StatefulSet") name in ns with replicas pods labelled
// app=name, one container each. RunControllers makes its pods.
func (c *Cluster) Workload(t testing.TB, ns, kind, name string, replicas int32) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	labels := map[string]string{"app": name}
	tmpl := corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: name, Image: "registry.invalid/" + name + ":1"}}},
	}
	sel := &metav1.LabelSelector{MatchLabels: labels}
	var err error
	switch kind {
	case "Deployment":
		_, err = c.kube.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec:       appsv1.DeploymentSpec{Replicas: &replicas, Selector: sel, Template: tmpl},
		}, metav1.CreateOptions{})
	case "StatefulSet":
		_, err = c.kube.AppsV1().StatefulSets(ns).Create(ctx, &appsv1.StatefulSet{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec:       appsv1.StatefulSetSpec{Replicas: &replicas, Selector: sel, Template: tmpl},
		}, metav1.CreateOptions{})
	default:
		t.Fatalf("Workload: kind %q is neither Deployment nor StatefulSet", kind)
	}
	if err != nil {
		t.Fatalf("create %s %s/%s: %v", kind, ns, name, err)
	}
}

// WaitReady waits until exactly n pods of ns match selector, all Ready and
// none terminating.
func (c *Cluster) WaitReady(t testing.TB, ns, selector string, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var got int
	err := wait.PollUntilContextCancel(ctx, 50*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		list, err := c.kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			return false, err
		}
		got = 0
		for i := range list.Items {
			if list.Items[i].DeletionTimestamp == nil && podReady(&list.Items[i]) {
				got++
			}
		}
		return got == n && len(list.Items) == n, nil
	})
	if err != nil {
		t.Fatalf("%s in %s: %d ready pods, want %d: %v", selector, ns, got, n, err)
	}
}

// Kubeconfig writes a kubeconfig file with cfg (server, CA, token) as its
// only context, named context, and returns its path, as a user would hand
// gameday --kubeconfig.
func Kubeconfig(t testing.TB, cfg *rest.Config, context string) string {
	t.Helper()
	kc := clientcmdapi.NewConfig()
	kc.Clusters[context] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos[context] = &clientcmdapi.AuthInfo{Token: cfg.BearerToken}
	kc.Contexts[context] = &clientcmdapi.Context{Cluster: context, AuthInfo: context}
	kc.CurrentContext = context
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
