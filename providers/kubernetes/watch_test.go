package kubernetes_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/providers/kubernetes"
)

// waitAction waits until the fake has recorded an action "verb resource".
func (c *cluster) waitAction(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, a := range actions(c.kube.Actions()) {
			if a == want {
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no %q among %v", want, actions(c.kube.Actions()))
}

func (c *cluster) count(want string) int {
	n := 0
	for _, a := range actions(c.kube.Actions()) {
		if a == want {
			n++
		}
	}
	return n
}

func TestRunningComesFromAWatch(t *testing.T) {
	c := newCluster(t)
	p := c.provider(kubernetes.WithResolution(10 * time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	src := p.RunningSource()
	if in := providers.InfoOf(src); in.Name != "kubernetes" || in.Resolution != 10*time.Millisecond {
		t.Errorf("Info: %+v", in)
	}
	samples := src.Samples(ctx)
	next := func(want float64) {
		t.Helper()
		for s := range samples {
			if s.Source != "kubernetes" {
				t.Fatalf("sample from %q", s.Source)
			}
			if v, ok := s.Value(providers.SeriesRunning); ok && v == want {
				return
			}
		}
		t.Fatalf("samples ended before running = %g", want)
	}
	next(4)
	c.waitAction(t, "watch pods")
	pod, err := c.kube.CoreV1().Pods(ns).Get(ctx, "web-abc-2", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse}}
	if _, err := c.kube.CoreV1().Pods(ns).UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	next(3)
	if n, err := p.Running(ctx); err != nil || n != 3 {
		t.Errorf("Running while the source runs: %d, %v", n, err)
	}
	for range 20 {
		<-samples
	}
	if lists := c.count("list pods"); lists != 1 {
		t.Errorf("%d pod lists for 20+ samples and a Running call: want one list and then the watch", lists)
	}
	cancel()
	for range samples {
	}
}

func TestRunningWithoutASourceLists(t *testing.T) {
	c := newCluster(t, readyPods(2))
	n, err := c.provider().Running(ctx(t))
	if err != nil || n != 2 {
		t.Fatalf("Running: %d, %v; want 2", n, err)
	}
}

func TestSystemEventsOfTheTarget(t *testing.T) {
	c := newCluster(t)
	now := time.Now()
	p := c.provider(kubernetes.WithClock(func() time.Time { return now }))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	events := p.SystemEvents(ctx)
	c.waitAction(t, "watch events")
	emit := func(name, kind, object, typ, reason, msg string, at time.Time) {
		t.Helper()
		ev := &corev1.Event{
			ObjectMeta:     metav1.ObjectMeta{Name: name, Namespace: ns},
			InvolvedObject: corev1.ObjectReference{Kind: kind, Name: object, Namespace: ns},
			Type:           typ, Reason: reason, Message: msg,
			Source:        corev1.EventSource{Component: "kubelet"},
			LastTimestamp: metav1.NewTime(at),
		}
		if _, err := c.kube.CoreV1().Events(ns).Create(ctx, ev, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	emit("e0", "Pod", "web-abc-1", corev1.EventTypeWarning, "Unhealthy", "an hour ago", now.Add(-time.Hour))
	emit("e1", "Pod", "other-1", corev1.EventTypeWarning, "Unhealthy", "not the target", now)
	emit("e2", "Pod", "web-abc-1", corev1.EventTypeWarning, "Unhealthy", "Readiness probe failed: 503", now)
	emit("e3", "Pod", "web-abc-7", corev1.EventTypeNormal, "Started", "Started container web", now)
	emit("e4", "ReplicaSet", "web-abc", corev1.EventTypeNormal, "SuccessfulCreate", "Created pod: web-abc-7", now)
	emit("e5", "Pod", "web-abc-1", corev1.EventTypeNormal, "Killing", "Stopping container web", now)

	want := []providers.SystemEvent{
		{Source: "kubelet", Kind: providers.EventDetected, Target: "pod/web-abc-1", Text: "Unhealthy: Readiness probe failed: 503"},
		{Source: "kubelet", Kind: providers.EventRecovered, Target: "pod/web-abc-7", Text: "Started: Started container web"},
		{Source: "kubelet", Kind: providers.EventDetected, Target: "replicaset/web-abc", Text: "SuccessfulCreate: Created pod: web-abc-7"},
		{Source: "kubelet", Kind: providers.EventInfo, Target: "pod/web-abc-1", Text: "Killing: Stopping container web"},
	}
	for i, w := range want {
		select {
		case got := <-events:
			got.At = time.Time{}
			if got != w {
				t.Errorf("event %d:\n got %+v\nwant %+v", i, got, w)
			}
		case <-ctx.Done():
			t.Fatalf("event %d never came: want %+v", i, w)
		}
	}
	select {
	case got := <-events:
		t.Errorf("an extra event: %+v", got)
	case <-time.After(100 * time.Millisecond):
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config")
	kubeconfig := `apiVersion: v1
kind: Config
clusters:
- name: a
  cluster: {server: "https://a.example:6443"}
- name: b
  cluster: {server: "https://b.example:6443"}
users:
- name: u
  user: {token: t0ken}
contexts:
- name: staging
  context: {cluster: a, user: u}
- name: prod
  context: {cluster: b, user: u}
current-context: staging
`
	if err := os.WriteFile(path, []byte(kubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	cfg, name, err := kubernetes.LoadConfig(path, "")
	if err != nil || name != "staging" || cfg.Host != "https://a.example:6443" || cfg.BearerToken != "t0ken" {
		t.Fatalf("current context: %v %q %v", cfg, name, err)
	}
	cfg, name, err = kubernetes.LoadConfig(path, "prod")
	if err != nil || name != "prod" || cfg.Host != "https://b.example:6443" {
		t.Fatalf("--context prod: %v %q %v", cfg, name, err)
	}
	_, _, err = kubernetes.LoadConfig(path, "qa")
	if err == nil || !strings.Contains(err.Error(), `no context "qa": the contexts are prod, staging`) {
		t.Fatalf("a missing context: %v", err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err = kubernetes.LoadConfig(empty, "")
	if err == nil || !strings.Contains(err.Error(), "not running inside a cluster") {
		t.Fatalf("an empty kubeconfig outside a cluster: %v", err)
	}
}
