package kubetest_test

import (
	"context"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/gameday-tui/gameday/internal/kubetest"
)

// TestCluster starts a real API server and checks what the provider's
// integration tests rely on: the Chaos Mesh schemas are enforced, a
// ServiceAccount has exactly its Role's permissions, and the fake
// controllers keep a Deployment and a StatefulSet at their replica counts.
func TestCluster(t *testing.T) {
	start := time.Now()
	c := kubetest.Start(t)
	t.Logf("etcd + kube-apiserver + %d CRDs Established in %s", c.CRDs, time.Since(start).Round(time.Millisecond))
	if c.CRDs != 23 {
		t.Errorf("installed %d Chaos Mesh CRDs, want the 23 of manifests/crd.yaml", c.CRDs)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	t.Run("chaos mesh schema", func(t *testing.T) {
		ns := c.Namespace(t, "schema")
		podchaos := c.Dynamic().Resource(schema.GroupVersionResource{Group: "chaos-mesh.org", Version: "v1alpha1", Resource: "podchaos"}).Namespace(ns)
		obj := func(mode string) *unstructured.Unstructured {
			return &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": "chaos-mesh.org/v1alpha1", "kind": "PodChaos",
				"metadata": map[string]any{"name": "kill-" + mode},
				"spec": map[string]any{"action": "pod-kill", "mode": mode, "duration": "30s",
					"selector": map[string]any{"labelSelectors": map[string]any{"app": "web"}}},
			}}
		}
		if _, err := podchaos.Create(ctx, obj("one"), metav1.CreateOptions{}); err != nil {
			t.Fatalf("a valid PodChaos was refused: %v", err)
		}
		_, err := podchaos.Create(ctx, obj("most"), metav1.CreateOptions{})
		if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "spec.mode") {
			t.Fatalf("a PodChaos with mode most: got %v, want Invalid naming spec.mode (the CRD's schema)", err)
		}
	})

	t.Run("service account", func(t *testing.T) {
		ns := c.Namespace(t, "rbac")
		role := &rbacv1.Role{
			ObjectMeta: metav1.ObjectMeta{Name: "reader"},
			Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"list"}}},
		}
		cfg := c.ServiceAccount(t, ns, "reader", role)
		client := kubernetes.NewForConfigOrDie(cfg)
		if _, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{}); err != nil {
			t.Fatalf("list pods as the ServiceAccount: %v", err)
		}
		_, err := client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
		if !apierrors.IsForbidden(err) {
			t.Fatalf("list pods in another namespace: got %v, want Forbidden", err)
		}
		err = client.CoreV1().Pods(ns).Delete(ctx, "any", metav1.DeleteOptions{})
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "system:serviceaccount:rbac:reader") {
			t.Fatalf("delete a pod: got %v, want Forbidden for the ServiceAccount", err)
		}
	})

	t.Run("controllers", func(t *testing.T) {
		ns := c.Namespace(t, "ctrl")
		kube := c.Kube()
		kubetest.RunControllers(ctx, t, kube, ns, kubetest.ReadyAfter(300*time.Millisecond))
		labels := map[string]string{"app": "web"}
		tmpl := corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: labels},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "registry.invalid/web:1"}}},
		}
		if _, err := kube.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: "web"},
			Spec:       appsv1.DeploymentSpec{Replicas: ptr(int32(3)), Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: tmpl},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		dbLabels := map[string]string{"app": "db"}
		dbTmpl := *tmpl.DeepCopy()
		dbTmpl.Labels = dbLabels
		if _, err := kube.AppsV1().StatefulSets(ns).Create(ctx, &appsv1.StatefulSet{
			ObjectMeta: metav1.ObjectMeta{Name: "db"},
			Spec:       appsv1.StatefulSetSpec{Replicas: ptr(int32(2)), Selector: &metav1.LabelSelector{MatchLabels: dbLabels}, Template: dbTmpl},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		web := waitReady(ctx, t, kube, ns, "app=web", 3)
		db := waitReady(ctx, t, kube, ns, "app=db", 2)
		if names := podNames(db); !slices.Equal(names, []string{"db-0", "db-1"}) {
			t.Fatalf("StatefulSet pods %v, want db-0 and db-1", names)
		}

		gone := web[0]
		if err := kube.CoreV1().Pods(ns).Delete(ctx, gone.Name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		web = waitReady(ctx, t, kube, ns, "app=web", 3)
		if slices.Contains(podNames(web), gone.Name) {
			t.Fatalf("deleted pod %s is still there: %v", gone.Name, podNames(web))
		}

		old := db[1]
		if err := kube.CoreV1().Pods(ns).Delete(ctx, old.Name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		err := wait.PollUntilContextCancel(ctx, 50*time.Millisecond, true, func(ctx context.Context) (bool, error) {
			pod, err := kube.CoreV1().Pods(ns).Get(ctx, old.Name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return false, nil
			}
			return err == nil && pod.UID != old.UID && ready(pod), err
		})
		if err != nil {
			t.Fatalf("StatefulSet pod %s was not created again and made Ready: %v", old.Name, err)
		}
	})
}

// TestNothingOutlivesTheTest starts a cluster in a subtest and checks that
// its processes are gone once the subtest's cleanup has run.
func TestNothingOutlivesTheTest(t *testing.T) {
	var pids []int
	t.Run("cluster", func(t *testing.T) {
		c := kubetest.Start(t)
		pids = childPIDs(t)
		if len(pids) < 2 {
			t.Fatalf("found %d child processes (%v) of the test binary, want etcd and kube-apiserver; dir %s", len(pids), pids, c.Dir)
		}
	})
	if t.Failed() || len(pids) == 0 {
		return
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); err == nil {
			t.Errorf("process %d outlived the test that started it", pid)
		}
	}
}

// childPIDs returns the pids whose parent is this process (Linux /proc).
func childPIDs(t *testing.T) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	self := os.Getpid()
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may hold spaces, so cut at the last ')'.
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) > 1 && fields[1] == strconv.Itoa(self) {
			out = append(out, pid)
		}
	}
	return out
}

func waitReady(ctx context.Context, t *testing.T, kube kubernetes.Interface, ns, selector string, want int) []corev1.Pod {
	t.Helper()
	var pods []corev1.Pod
	err := wait.PollUntilContextCancel(ctx, 50*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		list, err := kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			return false, err
		}
		pods = pods[:0]
		for _, p := range list.Items {
			if p.DeletionTimestamp == nil && ready(&p) {
				pods = append(pods, p)
			}
		}
		return len(pods) == want && len(list.Items) == want, nil
	})
	if err != nil {
		t.Fatalf("%s: %d ready pods (%v), want %d: %v", selector, len(pods), podNames(pods), want, err)
	}
	return pods
}

func ready(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func podNames(pods []corev1.Pod) []string {
	var out []string
	for _, p := range pods {
		out = append(out, p.Name)
	}
	slices.Sort(out)
	return out
}

func ptr[T any](v T) *T { return &v }
