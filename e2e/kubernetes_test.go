package e2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	k8s "k8s.io/client-go/kubernetes"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/internal/kubetest"
	"github.com/gameday-tui/gameday/providers/kubernetes"
)

// kubeCluster is a real kube-apiserver with the Chaos Mesh CRDs and the
// namespace the shipped Kubernetes scenarios expect: shop, with a
// Deployment web (4 replicas) and a StatefulSet postgres (1), kept by
// kubetest's fake controllers, and the documented RBAC. gameday reaches it
// through a kubeconfig holding the ServiceAccount gameday's token, and
// nothing else.
type kubeCluster struct {
	c          *kubetest.Cluster
	kubeconfig string
}

func startKubeCluster(t *testing.T) *kubeCluster {
	t.Helper()
	start := time.Now()
	c := kubetest.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	c.Namespace(t, "shop")
	kubetest.RunControllers(ctx, t, c.Kube(), "shop", kubetest.ReadyAfter(time.Second))
	c.Workload(t, "shop", "Deployment", "web", 4)
	c.Workload(t, "shop", "StatefulSet", "postgres", 1)
	c.Apply(t, kubernetes.RBAC())
	c.WaitReady(t, "shop", "app=web", 4)
	sa := c.Token(t, "shop", "gameday")
	// The authorizer learns of the bindings through a watch.
	client := k8s.NewForConfigOrDie(sa)
	err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := client.CoreV1().Namespaces().Get(ctx, "kube-system", metav1.GetOptions{})
		_, err2 := client.AppsV1().Deployments("shop").Get(ctx, "web", metav1.GetOptions{})
		return err == nil && err2 == nil, nil
	})
	if err != nil {
		t.Fatalf("the documented RBAC never took effect: %v", err)
	}
	t.Logf("cluster ready in %s", time.Since(start).Round(time.Millisecond))
	return &kubeCluster{c: c, kubeconfig: kubetest.Kubeconfig(t, sa, "kubetest")}
}

// chaosObjects lists the Chaos Mesh objects of shop, as the admin.
func (k *kubeCluster) chaosObjects(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, r := range []string{"podchaos", "networkchaos", "stresschaos", "httpchaos"} {
		gvr := schema.GroupVersionResource{Group: "chaos-mesh.org", Version: "v1alpha1", Resource: r}
		list, err := k.c.Dynamic().Resource(gvr).Namespace("shop").List(context.Background(), metav1.ListOptions{})
		if err != nil {
			t.Fatalf("list %s: %v", r, err)
		}
		for _, item := range list.Items {
			out = append(out, r+"/"+item.GetName())
		}
	}
	return out
}

// kubeScenario copies the shipped scenarios/kubernetes/NAME.yaml into w,
// with its built-in load sent to url instead of a port-forward.
func kubeScenario(t *testing.T, w *world, name, url string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(moduleDir, "scenarios", "kubernetes", name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(b), "http://127.0.0.1:8080", url)
	if s == string(b) {
		t.Fatalf("%s.yaml has no load URL on 127.0.0.1:8080 to replace", name)
	}
	return writeFile(t, filepath.Join(w.work, name+".yaml"), s)
}

// TestKubernetes drives the gameday binary against a real API server as a
// user would: the shipped Kubernetes scenarios validate; a dry run lists
// its calls after a server-side dry run and stores nothing; headless runs
// reach a verdict with every rollback verified (a NetworkChaos created and
// deleted; a pod deleted and its replacement awaited); and a run SIGKILLed
// mid-fault leaves its NetworkChaos behind until gameday recover deletes
// it, found through the journal.
func TestKubernetes(t *testing.T) {
	k := startKubeCluster(t)
	w := newWorld(t)
	// The service under test: built-in load goes here (no traffic reaches
	// pods that no kubelet runs).
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) { _, _ = rw.Write([]byte("ok")) }))
	t.Cleanup(srv.Close)
	kc := []string{"--kubeconfig", k.kubeconfig}

	t.Run("validate", func(t *testing.T) {
		files, _ := filepath.Glob(filepath.Join(moduleDir, "scenarios", "kubernetes", "*.yaml"))
		if p, code := w.run(t, time.Minute, append([]string{"validate"}, files...)...); code != 0 || len(files) != 7 {
			t.Fatalf("validate %d files: exit %d\n%s", len(files), code, p.output())
		}
	})

	t.Run("dry run", func(t *testing.T) {
		for _, name := range []string{"latency", "instance-stop", "chaos-mesh-http-abort"} {
			file := kubeScenario(t, w, name, srv.URL)
			p, code := w.run(t, time.Minute, append([]string{"run", file, "--dry-run"}, kc...)...)
			out := p.stdout.String()
			if code != 0 || !strings.Contains(out, "dry run accepted by the API server") || !strings.Contains(out, "nothing was changed") {
				t.Fatalf("%s: exit %d\n%s", name, code, p.output())
			}
			t.Logf("%s:\n%s", name, out)
		}
		if objs := k.chaosObjects(t); len(objs) != 0 {
			t.Fatalf("a dry run stored %v", objs)
		}
		k.c.WaitReady(t, "shop", "app=web", 4)
	})

	t.Run("headless", func(t *testing.T) {
		for _, name := range []string{"latency", "instance-stop"} {
			file := kubeScenario(t, w, name, srv.URL)
			journal := filepath.Join(w.state, name+".jsonl")
			start := time.Now()
			p, code := w.run(t, 3*time.Minute, append([]string{"run", file, "--headless", "--journal", journal,
				"--baseline", "3s", "--fault", "6s", "--recovery", "4s"}, kc...)...)
			if code != 0 {
				t.Fatalf("%s: exit %d, want 0 (hypothesis held)\n%s", name, code, p.output())
			}
			recs := readJournal(t, journal)
			if o := outcome(t, recs); o.Verdict != engine.VerdictHeld {
				t.Errorf("%s: verdict %s", name, o.Verdict)
			}
			st := checkFaultCycle(t, recs, "f1")
			t.Logf("%s: %s in %s; f1 on %v, verified: %v", name, outcome(t, recs).Verdict, time.Since(start).Round(100*time.Millisecond), targetNames(st.Targets), st.Verification.Details)
			if name == "instance-stop" && (st.Injection == nil || st.Injection.Seed == 0 || !slices.ContainsFunc(st.Verification.Details, func(d string) bool { return strings.Contains(d, "deployment shop/web: 4 of 4 pods ready") })) {
				t.Errorf("instance-stop: injection %+v, verification %v: want the seed journaled and the Deployment back to 4 ready pods", st.Injection, st.Verification.Details)
			}
			running := false
			for _, s := range samples(recs) {
				if v, ok := s.Value("running"); ok && s.Source == "kubernetes" && v >= 3 {
					running = true
				}
			}
			if !running {
				t.Errorf("%s: no running count from the cluster in the journal", name)
			}
			if objs := k.chaosObjects(t); len(objs) != 0 {
				t.Fatalf("%s: left %v", name, objs)
			}
			k.c.WaitReady(t, "shop", "app=web", 4)
		}
	})

	t.Run("kill and recover", func(t *testing.T) {
		file := kubeScenario(t, w, "latency", srv.URL)
		journal := filepath.Join(w.state, "killed.jsonl")
		p := w.start(t, 3*time.Minute, append([]string{"run", file, "--headless", "--journal", journal,
			"--baseline", "2s", "--fault", "2m", "--recovery", "2s"}, kc...)...)
		err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
			return len(k.chaosObjects(t)) == 1 || p.exited(), nil
		})
		if err != nil || p.exited() {
			t.Fatalf("the NetworkChaos never appeared: %v\n%s", err, p.output())
		}
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		p.wait(t, 10*time.Second)
		objs := k.chaosObjects(t)
		if len(objs) != 1 {
			t.Fatalf("after the kill: %v, want the NetworkChaos still there", objs)
		}
		rp, code := w.run(t, 2*time.Minute, append([]string{"recover", journal}, kc...)...)
		if code != 0 || !strings.Contains(rp.stdout.String(), "f1 latency: rolled back, verified clean") {
			t.Fatalf("recover: exit %d\n%s", code, rp.output())
		}
		t.Logf("recover:\n%s", rp.stdout.String())
		if objs := k.chaosObjects(t); len(objs) != 0 {
			t.Fatalf("after recover: %v", objs)
		}
		if rp, code := w.run(t, time.Minute, append([]string{"recover", journal}, kc...)...); code != 0 || !strings.Contains(rp.stdout.String(), "nothing to recover") {
			t.Errorf("a second recover: exit %d\n%s", code, rp.output())
		}
	})
}
