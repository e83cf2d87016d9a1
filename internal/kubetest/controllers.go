package kubetest

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// ControllerOption configures RunControllers.
type ControllerOption func(*controllers)

// ReadyAfter makes a new pod Ready only d after it was created (default:
// at once), like a container that takes time to start, so a test can see
// a workload short of its desired count.
func ReadyAfter(d time.Duration) ControllerOption {
	return func(c *controllers) { c.readyAfter = d }
}

// RunControllers plays, for the Deployments and StatefulSets of namespace
// ns, the controllers and kubelets of a real cluster, until ctx ends or t's
// cleanup (it waits for its goroutine there, so nothing outlives t):
//
//   - a Deployment gets a ReplicaSet (owned by it, named after it with a
//     hash of its pod template, like the deployment controller's);
//   - a ReplicaSet gets spec.replicas pods named from it (generateName),
//     owned by it, and a replacement for each pod that is deleted;
//   - a StatefulSet gets pods NAME-0 … NAME-(replicas-1), owned by it, and
//     a deleted pod is created again under the same name;
//   - every pod is marked Running and Ready through the status subresource
//     (at once, or after ReadyAfter), as a kubelet would.
//
// It watches (an informer) to know when to act, and reads the API server
// directly when it acts, so it never works from a stale cache. Pods have no
// node, so the API server deletes them at once, whatever their grace
// period.
func RunControllers(ctx context.Context, t testing.TB, client kubernetes.Interface, ns string, opts ...ControllerOption) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	c := &controllers{t: t, client: client, ns: ns, kick: make(chan struct{}, 1)}
	for _, o := range opts {
		o(c)
	}
	factory := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithNamespace(ns))
	kick := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { c.wake() },
		UpdateFunc: func(any, any) { c.wake() },
		DeleteFunc: func(any) { c.wake() },
	}
	for _, inf := range []cache.SharedIndexInformer{
		factory.Apps().V1().Deployments().Informer(),
		factory.Apps().V1().ReplicaSets().Informer(),
		factory.Apps().V1().StatefulSets().Informer(),
		factory.Core().V1().Pods().Informer(),
	} {
		if _, err := inf.AddEventHandler(kick); err != nil {
			t.Fatal(err)
		}
	}
	factory.Start(ctx.Done())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.loop(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		factory.Shutdown()
	})
}

type controllers struct {
	t          testing.TB
	client     kubernetes.Interface
	ns         string
	readyAfter time.Duration
	kick       chan struct{}
}

func (c *controllers) wake() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *controllers) loop(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		next, err := c.reconcile(ctx)
		if err != nil && ctx.Err() == nil {
			c.t.Logf("kubetest controllers in %s: %v (retrying)", c.ns, err)
			next = 200 * time.Millisecond
		}
		if next <= 0 {
			next = time.Hour
		}
		timer.Reset(next)
		select {
		case <-ctx.Done():
			return
		case <-c.kick:
		case <-timer.C:
		}
	}
}

// reconcile brings the namespace to its desired shape once and says when
// it needs to look again (a pod due to become Ready); 0 for "when
// something changes".
func (c *controllers) reconcile(ctx context.Context) (time.Duration, error) {
	apps := c.client.AppsV1()
	deps, err := apps.Deployments(c.ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, err
	}
	for i := range deps.Items {
		if err := c.deployment(ctx, &deps.Items[i]); err != nil {
			return 0, err
		}
	}
	var next time.Duration
	soonest := func(d time.Duration) {
		if d > 0 && (next == 0 || d < next) {
			next = d
		}
	}
	rss, err := apps.ReplicaSets(c.ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, err
	}
	for i := range rss.Items {
		rs := &rss.Items[i]
		d, err := c.pods(ctx, owner(rs, "ReplicaSet"), rs.Spec.Selector, rs.Spec.Template, replicas(rs.Spec.Replicas), func(i int) string { return "" }, rs.Name+"-")
		if err != nil {
			return 0, err
		}
		soonest(d)
	}
	sts, err := apps.StatefulSets(c.ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, err
	}
	for i := range sts.Items {
		s := &sts.Items[i]
		d, err := c.pods(ctx, owner(s, "StatefulSet"), s.Spec.Selector, s.Spec.Template, replicas(s.Spec.Replicas), func(i int) string { return fmt.Sprintf("%s-%d", s.Name, i) }, "")
		if err != nil {
			return 0, err
		}
		soonest(d)
	}
	return next, nil
}

func replicas(r *int32) int {
	if r == nil {
		return 1
	}
	return int(*r)
}

func owner(obj metav1.Object, kind string) metav1.OwnerReference {
	return metav1.OwnerReference{
		APIVersion: "apps/v1", Kind: kind, Name: obj.GetName(), UID: obj.GetUID(),
		Controller: ptr(true), BlockOwnerDeletion: ptr(true),
	}
}

// deployment makes sure d has its ReplicaSet with d's replicas.
func (c *controllers) deployment(ctx context.Context, d *appsv1.Deployment) error {
	tmplJSON, err := json.Marshal(d.Spec.Template)
	if err != nil {
		return err
	}
	h := fnv.New32a()
	h.Write(tmplJSON)
	hash := fmt.Sprintf("%x", h.Sum32())
	name := d.Name + "-" + hash
	rsClient := c.client.AppsV1().ReplicaSets(c.ns)
	rs, err := rsClient.Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		tmpl := *d.Spec.Template.DeepCopy()
		tmpl.Labels = maps.Clone(tmpl.Labels)
		if tmpl.Labels == nil {
			tmpl.Labels = map[string]string{}
		}
		tmpl.Labels[appsv1.DefaultDeploymentUniqueLabelKey] = hash
		sel := d.Spec.Selector.DeepCopy()
		if sel.MatchLabels == nil {
			sel.MatchLabels = map[string]string{}
		}
		sel.MatchLabels[appsv1.DefaultDeploymentUniqueLabelKey] = hash
		rs = &appsv1.ReplicaSet{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: c.ns, Labels: tmpl.Labels, OwnerReferences: []metav1.OwnerReference{owner(d, "Deployment")}},
			Spec:       appsv1.ReplicaSetSpec{Replicas: d.Spec.Replicas, Selector: sel, Template: tmpl},
		}
		_, err = rsClient.Create(ctx, rs, metav1.CreateOptions{})
		return err
	case err != nil:
		return err
	case replicas(rs.Spec.Replicas) != replicas(d.Spec.Replicas):
		rs.Spec.Replicas = d.Spec.Replicas
		_, err = rsClient.Update(ctx, rs, metav1.UpdateOptions{})
		return err
	}
	return nil
}

// pods makes sure want pods owned by ref exist, creating the missing ones
// (named by name(i), or generated from generateName), and marks those due
// Ready. It returns how long until the next pod is due, if any.
func (c *controllers) pods(ctx context.Context, ref metav1.OwnerReference, sel *metav1.LabelSelector, tmpl corev1.PodTemplateSpec, want int, name func(int) string, generateName string) (time.Duration, error) {
	selector, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return 0, err
	}
	list, err := c.client.CoreV1().Pods(c.ns).List(ctx, metav1.ListOptions{LabelSelector: selector.String()})
	if err != nil {
		return 0, err
	}
	alive := map[string]bool{}
	var next time.Duration
	for i := range list.Items {
		pod := &list.Items[i]
		if !ownedBy(pod, ref) {
			continue
		}
		alive[pod.Name] = true
		if pod.DeletionTimestamp != nil || podReady(pod) {
			continue
		}
		due := pod.CreationTimestamp.Add(c.readyAfter)
		if wait := time.Until(due); wait > 0 {
			if next == 0 || wait < next {
				next = wait
			}
			continue
		}
		if err := c.markReady(ctx, pod); err != nil {
			return 0, err
		}
	}
	for i := 0; len(alive) < want && i < want+len(alive); i++ {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{
				Namespace:       c.ns,
				Labels:          maps.Clone(tmpl.Labels),
				Annotations:     maps.Clone(tmpl.Annotations),
				OwnerReferences: []metav1.OwnerReference{ref},
			},
			Spec: *tmpl.Spec.DeepCopy(),
		}
		if n := name(i); n != "" {
			if alive[n] {
				continue
			}
			pod.Name = n
		} else {
			pod.GenerateName = generateName
		}
		created, err := c.client.CoreV1().Pods(c.ns).Create(ctx, pod, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			continue // a StatefulSet pod still being deleted: the next pass
		}
		if err != nil {
			return 0, err
		}
		alive[created.Name] = true
		if c.readyAfter <= 0 {
			if err := c.markReady(ctx, created); err != nil {
				return 0, err
			}
		} else if next == 0 || c.readyAfter < next {
			next = c.readyAfter
		}
	}
	return next, nil
}

func ownedBy(pod *corev1.Pod, ref metav1.OwnerReference) bool {
	for _, o := range pod.OwnerReferences {
		if o.UID == ref.UID {
			return true
		}
	}
	return false
}

func podReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// markReady does what a kubelet does once the pod's containers run and
// pass their readiness probes.
func (c *controllers) markReady(ctx context.Context, pod *corev1.Pod) error {
	now := metav1.Now()
	pod = pod.DeepCopy()
	pod.Status.Phase = corev1.PodRunning
	pod.Status.StartTime = &now
	pod.Status.Conditions = nil
	for _, t := range []corev1.PodConditionType{corev1.PodScheduled, corev1.PodInitialized, corev1.ContainersReady, corev1.PodReady} {
		pod.Status.Conditions = append(pod.Status.Conditions, corev1.PodCondition{Type: t, Status: corev1.ConditionTrue, LastTransitionTime: now})
	}
	pod.Status.ContainerStatuses = nil
	for _, ctr := range pod.Spec.Containers {
		pod.Status.ContainerStatuses = append(pod.Status.ContainerStatuses, corev1.ContainerStatus{
			Name: ctr.Name, Image: ctr.Image, ImageID: ctr.Image, Ready: true, Started: ptr(true),
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
		})
	}
	_, err := c.client.CoreV1().Pods(c.ns).UpdateStatus(ctx, pod, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil // deleted or changed meanwhile: the next pass sees it
	}
	return err
}
