package kubernetes_test

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	yamlutil "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
	k8s "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/gameday-tui/gameday/internal/kubetest"
	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/providers/kubernetes"
)

const integrationTTL = 2 * time.Minute

// shop is the namespace "shop" of a real API server, as the shipped
// scenarios expect it: a Deployment web (4 replicas) and a StatefulSet
// postgres (1), kept by kubetest's fake controllers, and the documented
// RBAC (rbac.yaml, applied as it is) bound to the ServiceAccount gameday.
type shop struct {
	c *kubetest.Cluster
	// sa is the config of the ServiceAccount gameday: the provider acts
	// with nothing else.
	sa *rest.Config
	p  *kubernetes.Provider
}

func (s *shop) provider(cfg *rest.Config, opts ...kubernetes.Option) *kubernetes.Provider {
	base := []kubernetes.Option{
		kubernetes.WithScope(providers.Fields{"namespace": ns, "deployment": "web"}),
		kubernetes.WithServer(s.c.URL),
		kubernetes.WithKubeContext("kubetest"),
		kubernetes.WithDeleteWait(15 * time.Second),
		kubernetes.WithPollInterval(50 * time.Millisecond),
	}
	return kubernetes.New(k8s.NewForConfigOrDie(cfg), dynamic.NewForConfigOrDie(cfg), append(base, opts...)...)
}

func setupShop(ctx context.Context, t *testing.T) *shop {
	t.Helper()
	start := time.Now()
	c := kubetest.Start(t)
	t.Logf("etcd + kube-apiserver + %d Chaos Mesh CRDs ready in %s", c.CRDs, time.Since(start).Round(time.Millisecond))
	c.Namespace(t, ns)
	admin := c.Kube()
	kubetest.RunControllers(ctx, t, admin, ns, kubetest.ReadyAfter(2*time.Second))
	c.Workload(t, ns, "Deployment", "web", 4)
	c.Workload(t, ns, "StatefulSet", "postgres", 1)
	// The documented RBAC, as docs/kubernetes.md shows it, with the
	// ServiceAccount it binds.
	c.Apply(t, kubernetes.RBAC())
	s := &shop{c: c, sa: c.Token(t, ns, "gameday")}
	s.p = s.provider(s.sa)
	// The authorizer learns of new bindings through a watch: wait until it
	// has (the provider's own calls below must then never be Forbidden).
	waitFor(ctx, t, "the RBAC bindings to take effect", func() (bool, error) {
		_, err := s.p.Identity(ctx)
		_, err2 := k8s.NewForConfigOrDie(s.sa).AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
		return err == nil && err2 == nil, nil
	})
	waitFor(ctx, t, "4 ready web pods and a ready postgres pod", func() (bool, error) {
		web, err := s.p.Running(ctx)
		if err != nil {
			return false, err
		}
		pg, err := admin.CoreV1().Pods(ns).Get(ctx, "postgres-0", metav1.GetOptions{})
		return web == 4 && err == nil && isReady(pg), nil
	})
	return s
}

type rbac struct {
	role               *rbacv1.Role
	clusterRole        *rbacv1.ClusterRole
	roleBinding        *rbacv1.RoleBinding
	clusterRoleBinding *rbacv1.ClusterRoleBinding
}

// rbacDocs decodes kubernetes.RBAC(), the YAML docs/kubernetes.md shows.
func rbacDocs(t *testing.T) rbac {
	t.Helper()
	var out rbac
	dec := yamlutil.NewYAMLOrJSONDecoder(strings.NewReader(kubernetes.RBAC()), 4096)
	for {
		var obj map[string]any
		if err := dec.Decode(&obj); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		var target any
		switch obj["kind"] {
		case "Role":
			out.role = &rbacv1.Role{}
			target = out.role
		case "ClusterRole":
			out.clusterRole = &rbacv1.ClusterRole{}
			target = out.clusterRole
		case "RoleBinding":
			out.roleBinding = &rbacv1.RoleBinding{}
			target = out.roleBinding
		case "ClusterRoleBinding":
			out.clusterRoleBinding = &rbacv1.ClusterRoleBinding{}
			target = out.clusterRoleBinding
		case "ServiceAccount":
			continue
		default:
			t.Fatalf("rbac.yaml holds a %v", obj["kind"])
		}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(obj, target, true); err != nil {
			t.Fatalf("rbac.yaml: %v: %v", obj["kind"], err)
		}
	}
	if out.role == nil || out.clusterRole == nil || out.roleBinding == nil || out.clusterRoleBinding == nil {
		t.Fatalf("rbac.yaml lacks a Role, ClusterRole or binding: %+v", out)
	}
	return out
}

func waitFor(ctx context.Context, t *testing.T, what string, ok func() (bool, error)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var last error
	err := wait.PollUntilContextCancel(ctx, 50*time.Millisecond, true, func(context.Context) (bool, error) {
		done, err := ok()
		last = err
		return done, nil
	})
	if err != nil {
		t.Fatalf("waiting for %s: %v (last error: %v)", what, err, last)
	}
}

func isReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// chaosObjects lists every Chaos Mesh object of the namespace, as admin.
func (s *shop) chaosObjects(ctx context.Context, t *testing.T) []string {
	t.Helper()
	var out []string
	for _, r := range chaosResources {
		list, err := s.c.Dynamic().Resource(gvr(r)).Namespace(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatalf("list %s: %v", r, err)
		}
		for _, item := range list.Items {
			out = append(out, r+"/"+item.GetName())
		}
	}
	return out
}

func (s *shop) podUIDs(ctx context.Context, t *testing.T) map[string]types.UID {
	t.Helper()
	list, err := s.c.Kube().CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]types.UID{}
	for _, p := range list.Items {
		out[p.Name] = p.UID
	}
	return out
}

// verifyClean polls Verify until it reports clean.
func (s *shop) verifyClean(ctx context.Context, t *testing.T, p *kubernetes.Provider, inj providers.Injection) providers.Verification {
	t.Helper()
	var v providers.Verification
	waitFor(ctx, t, "a clean verification of "+inj.FaultID, func() (bool, error) {
		var err error
		v, err = p.Verify(ctx, inj)
		return err == nil && v.Clean, err
	})
	return v
}

// TestAgainstARealAPIServer runs every shipped Kubernetes scenario's fault
// against a real kube-apiserver with the real Chaos Mesh CRDs, as the
// ServiceAccount bound to the documented Role and nothing else: a dry run
// stores nothing, each Chaos Mesh object passes Chaos Mesh's own schema,
// carries the owner label and the TTL as spec.duration, is gone after
// rollback, and verification reports clean; deleted pods are replaced by
// the (fake) ReplicaSet before verification says so.
func TestAgainstARealAPIServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	s := setupShop(ctx, t)

	t.Run("shipped scenarios", func(t *testing.T) {
		for _, path := range shippedScenarios(t) {
			name := strings.TrimSuffix(filepath.Base(path), ".yaml")
			_, faults := shippedScenario(t, path)
			for _, f := range faults {
				t.Run(name+"/"+f.ID, func(t *testing.T) {
					f.Owner = providers.OwnerLabel("it-"+name, f.ID)
					before := s.podUIDs(ctx, t)
					lines, err := s.p.Plan(ctx, f, integrationTTL)
					if err != nil {
						t.Fatalf("Plan: %v", err)
					}
					t.Logf("dry run of %s %s:\n  %s", f.ID, f.Kind, strings.Join(lines, "\n  "))
					if objs := s.chaosObjects(ctx, t); len(objs) > 0 {
						t.Fatalf("the dry run stored %v", objs)
					}
					if after := s.podUIDs(ctx, t); len(after) != len(before) {
						t.Fatalf("the dry run changed the pods: %v, then %v", before, after)
					}

					inj, err := s.p.Inject(ctx, f, integrationTTL)
					if err != nil {
						t.Fatalf("Inject: %v", err)
					}
					if _, r, ok := chaosHandle(inj); ok {
						obj, err := s.c.Dynamic().Resource(gvr(r.resource)).Namespace(ns).Get(ctx, r.name, metav1.GetOptions{})
						if err != nil {
							t.Fatalf("the %s gameday created: %v", r.resource, err)
						}
						if got := obj.GetLabels()[kubernetes.OwnerLabel]; got != f.Owner {
							t.Errorf("owner label %q, want %q", got, f.Owner)
						}
						if d, _, _ := unstructured.NestedString(obj.Object, "spec", "duration"); d != "2m0s" {
							t.Errorf("spec.duration %q, want the TTL 2m0s", d)
						}
					} else if f.Params.Mode != "delete" {
						t.Fatalf("no Chaos Mesh object among the handles %v", inj.Handles)
					}
					if err := s.p.Rollback(ctx, inj); err != nil {
						t.Fatalf("Rollback: %v", err)
					}
					if objs := s.chaosObjects(ctx, t); len(objs) > 0 {
						t.Fatalf("left after rollback: %v", objs)
					}
					v := s.verifyClean(ctx, t, s.p, inj)
					t.Logf("verified: %s", strings.Join(v.Details, "; "))
				})
			}
		}
	})

	t.Run("instance-stop waits for the replacement", func(t *testing.T) {
		f := fault(providers.InstanceStop, providers.Params{Mode: "delete", Extra: providers.Fields{"grace_period": "0s"}})
		f.Selection = providers.Selection{Count: 1}
		before := s.podUIDs(ctx, t)
		inj, err := s.p.Inject(ctx, f, integrationTTL)
		if err != nil {
			t.Fatalf("Inject: %v", err)
		}
		if len(inj.Targets) != 1 || inj.Seed == 0 {
			t.Fatalf("injection %+v: want one pod, chosen with a journaled seed", inj)
		}
		victim := strings.TrimPrefix(inj.Targets[0].ID, ns+"/")
		if _, ok := before[victim]; !ok {
			t.Fatalf("target %s was not a pod before", victim)
		}
		if _, err := s.c.Kube().CoreV1().Pods(ns).Get(ctx, victim, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Fatalf("pod %s after Inject: %v, want NotFound", victim, err)
		}
		// The replacement takes 2 s to be Ready (ReadyAfter): until then
		// verification must say the Deployment is short.
		v, err := s.p.Verify(ctx, inj)
		if err != nil || v.Clean || !slices.Contains(v.Details, "deployment shop/web: 3 of 4 pods ready") {
			t.Fatalf("Verify right after the delete: %+v, %v; want 3 of 4 ready", v, err)
		}
		v = s.verifyClean(ctx, t, s.p, inj)
		if !slices.Contains(v.Details, "deployment shop/web: 4 of 4 pods ready") {
			t.Errorf("clean verification says %v", v.Details)
		}
		if err := s.p.Rollback(ctx, inj); err != nil {
			t.Errorf("Rollback of a pod deletion: %v", err)
		}
	})

	t.Run("recover by owner label", func(t *testing.T) {
		// The run died during Inject: the journal holds an Injection with
		// the owner and no handle; recover builds a fresh provider.
		f := fault(providers.Latency, providers.Params{Delay: 100 * time.Millisecond})
		f.Owner = "crashed-run.f1"
		if _, err := s.p.Inject(ctx, f, integrationTTL); err != nil {
			t.Fatal(err)
		}
		if objs := s.chaosObjects(ctx, t); len(objs) != 1 {
			t.Fatalf("objects %v, want the one NetworkChaos", objs)
		}
		journaled := providers.Injection{FaultID: "f1", Provider: "kubernetes", Kind: providers.Latency, Owner: f.Owner}
		recoverer := s.provider(s.sa)
		if err := recoverer.Rollback(ctx, journaled); err != nil {
			t.Fatalf("Rollback by owner: %v", err)
		}
		if objs := s.chaosObjects(ctx, t); len(objs) != 0 {
			t.Fatalf("left after recover: %v", objs)
		}
		s.verifyClean(ctx, t, recoverer, journaled)
	})

	t.Run("stuck finalizer", func(t *testing.T) {
		f := fault(providers.CPUStress, providers.Params{Workers: 1, Load: 50})
		f.Owner = "stuck-run.f1"
		inj, err := s.p.Inject(ctx, f, integrationTTL)
		if err != nil {
			t.Fatal(err)
		}
		_, r, _ := chaosHandle(inj)
		res := s.c.Dynamic().Resource(gvr(r.resource)).Namespace(ns)
		t.Cleanup(func() { // so that a failure here leaves nothing to the next subtests
			_, _ = res.Patch(context.Background(), r.name, types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{})
			_ = res.Delete(context.Background(), r.name, metav1.DeleteOptions{})
		})
		// What Chaos Mesh's controller does; none runs here to remove it.
		if _, err := res.Patch(ctx, r.name, types.MergePatchType, []byte(`{"metadata":{"finalizers":["chaos-mesh/records"]}}`), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
		impatient := s.provider(s.sa, kubernetes.WithDeleteWait(time.Second))
		err = impatient.Rollback(ctx, inj)
		patch := `kubectl --context kubetest patch stresschaos.chaos-mesh.org -n shop ` + r.name + ` --type=merge -p '{"metadata":{"finalizers":null}}'`
		if err == nil || !strings.Contains(err.Error(), "stuck in deletion") || !strings.Contains(err.Error(), "chaos-mesh/records") || !strings.Contains(err.Error(), patch) {
			t.Fatalf("Rollback of an object held by a finalizer: %v; want it named stuck, with %s", err, patch)
		}
		v, err := impatient.Verify(ctx, inj)
		if err != nil || v.Clean {
			t.Fatalf("Verify of a stuck object: %+v, %v", v, err)
		}
		// The command the message gives (run as an admin) clears it.
		if _, err := res.Patch(ctx, r.name, types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
		s.verifyClean(ctx, t, impatient, inj)
	})

	t.Run("chaos mesh schema refuses", func(t *testing.T) {
		f := fault(kubernetes.ChaosMesh, providers.Params{Extra: providers.Fields{"manifest": map[string]any{
			"apiVersion": "chaos-mesh.org/v1alpha1", "kind": "PodChaos",
			"spec": map[string]any{"action": "pod-kill", "mode": "most", "selector": map[string]any{"labelSelectors": map[string]any{"app": "web"}}},
		}}})
		_, err := s.p.Plan(ctx, f, integrationTTL)
		if err == nil || !strings.Contains(err.Error(), "refused the PodChaos in a dry run") || !strings.Contains(err.Error(), "spec.mode") {
			t.Fatalf("Plan of a PodChaos with mode most: %v; want the CRD schema's refusal", err)
		}
		_, err = s.p.Inject(ctx, f, integrationTTL)
		if !errors.Is(err, providers.ErrNotApplied) {
			t.Fatalf("Inject: %v, want ErrNotApplied", err)
		}
		if objs := s.chaosObjects(ctx, t); len(objs) != 0 {
			t.Fatalf("stored %v", objs)
		}
	})

	t.Run("one verb fewer is Forbidden, by name", func(t *testing.T) {
		docs := rbacDocs(t)
		for i, tc := range []struct {
			group, verb string
			fault       providers.Fault
			want        string
		}{
			{"", "delete", func() providers.Fault {
				f := fault(providers.InstanceStop, providers.Params{})
				f.Selection = providers.Selection{Count: 1}
				return f
			}(), `may not delete pods in namespace shop; add the verb "delete" on the resource "pods"`},
			{"chaos-mesh.org", "create", fault(providers.Latency, providers.Params{Delay: time.Second}),
				`may not create networkchaos.chaos-mesh.org in namespace shop; add the verb "create" on the resource "networkchaos"`},
		} {
			role := docs.role.DeepCopy()
			role.Name = "gameday-minus-" + tc.verb
			for j := range role.Rules {
				if slices.Contains(role.Rules[j].APIGroups, tc.group) {
					role.Rules[j].Verbs = slices.DeleteFunc(role.Rules[j].Verbs, func(v string) bool { return v == tc.verb })
				}
			}
			cfg := s.c.ServiceAccount(t, ns, "minus-"+tc.verb, role)
			p := s.provider(cfg)
			lines, err := p.Plan(ctx, tc.fault, integrationTTL)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%d: Plan as the Role without %s: %v, %v; want %q", i, tc.verb, lines, err, tc.want)
			}
			_, err = p.Inject(ctx, tc.fault, integrationTTL)
			t.Logf("without %s: %v", tc.verb, err)
			var fe *kubernetes.ForbiddenError
			if !errors.As(err, &fe) || fe.Verb != tc.verb || !errors.Is(err, providers.ErrNotApplied) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%d: Inject as the Role without %s: %v; want %q", i, tc.verb, err, tc.want)
			}
		}
		if objs := s.chaosObjects(ctx, t); len(objs) != 0 {
			t.Fatalf("stored %v", objs)
		}
	})

	t.Run("running count and events", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		p := s.provider(s.sa, kubernetes.WithResolution(100*time.Millisecond))
		samples := p.RunningSource().Samples(ctx)
		events := p.SystemEvents(ctx)
		for sample := range samples {
			if v, ok := sample.Value(providers.SeriesRunning); ok && v == 4 {
				break
			}
		}
		pods, err := s.c.Kube().CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
		if err != nil || len(pods.Items) == 0 {
			t.Fatal(pods, err)
		}
		victim := pods.Items[0].Name
		// What a kubelet would report when a probe fails.
		waitFor(ctx, t, "the Unhealthy event on the timeline", func() (bool, error) {
			ev := &corev1.Event{
				ObjectMeta:     metav1.ObjectMeta{GenerateName: "probe-", Namespace: ns},
				InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: victim, Namespace: ns, APIVersion: "v1"},
				Type:           corev1.EventTypeWarning, Reason: "Unhealthy", Message: "Readiness probe failed: HTTP probe failed with statuscode: 503",
				Source: corev1.EventSource{Component: "kubelet"}, LastTimestamp: metav1.Now(), FirstTimestamp: metav1.Now(), Count: 1,
			}
			if _, err := s.c.Kube().CoreV1().Events(ns).Create(ctx, ev, metav1.CreateOptions{}); err != nil {
				return false, err
			}
			select {
			case got := <-events:
				return got.Kind == providers.EventDetected && got.Target == "pod/"+victim && strings.HasPrefix(got.Text, "Unhealthy: Readiness probe failed"), nil
			case <-time.After(time.Second):
				return false, nil
			}
		})
		// A pod is deleted: the watch brings the count down until the
		// replacement is Ready, 2 s later.
		if err := s.c.Kube().CoreV1().Pods(ns).Delete(ctx, victim, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		seen := map[float64]bool{}
		for sample := range samples {
			v, _ := sample.Value(providers.SeriesRunning)
			seen[v] = true
			if seen[3] && v == 4 {
				break
			}
		}
		if !seen[3] || !seen[4] {
			t.Fatalf("running counts seen %v: want 3 while the replacement starts, then 4", seen)
		}
	})

	t.Run("identity", func(t *testing.T) {
		id, err := s.p.Identity(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sys, err := s.c.Kube().CoreV1().Namespaces().Get(ctx, "kube-system", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if id.ID != string(sys.UID) || id.Fields["server"] != s.c.URL {
			t.Errorf("Identity %+v, want the UID of kube-system %s", id, sys.UID)
		}
	})
}

type chaosRef struct{ resource, name string }

// chaosHandle returns the Chaos Mesh object among inj's handles.
func chaosHandle(inj providers.Injection) (string, chaosRef, bool) {
	for _, h := range inj.Handles {
		first, rest, _ := strings.Cut(h, "/")
		if res, ok := strings.CutSuffix(first, ".chaos-mesh.org"); ok {
			_, name, _ := strings.Cut(rest, "/")
			return h, chaosRef{res, name}, true
		}
	}
	return "", chaosRef{}, false
}
