package kubernetes

import (
	"context"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/gameday-tui/gameday/providers"
)

// SystemEvents streams, from now until ctx ends, the Kubernetes Events of
// the scenario's target: those about its pods (Killing, Scheduled,
// Started, Unhealthy, BackOff …), its Deployment, ReplicaSets or
// StatefulSet (SuccessfulCreate …) and gameday's Chaos Mesh objects. They
// come from a watch (an informer on the namespace's Events), and each
// becomes a providers.SystemEvent:
//
//   - EventDetected: a Warning (Unhealthy, BackOff, Failed, Evicted,
//     OOMKilling …), a kill after a failed probe, or a controller creating
//     a pod to replace one (SuccessfulCreate);
//   - EventRecovered: a container Started;
//   - EventInfo: anything else (Killing on deletion, Scheduled, Pulled …).
//
// An event that repeats (its count grows) is streamed again. Events the
// reader is not ready for are dropped.
func (p *Provider) SystemEvents(ctx context.Context) <-chan providers.SystemEvent {
	ch := make(chan providers.SystemEvent, 64)
	go func() {
		defer close(ch)
		start := p.now().Truncate(time.Second) // Event times have whole seconds
		set, ok := retryResolve(ctx, p.scopeSet)
		if !ok {
			return
		}
		w := &eventWatch{set: set, kube: p.kube, known: map[string]bool{}}
		sel := set.labelSelector()
		podFactory := informers.NewSharedInformerFactoryWithOptions(p.kube, 0,
			informers.WithNamespace(set.namespace),
			informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = sel }))
		podInformer := podFactory.Core().V1().Pods().Informer()
		if _, err := podInformer.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc: func(obj any) {
				if pod, ok := obj.(*corev1.Pod); ok {
					w.know(pod.Name)
				}
			},
		}); err != nil {
			return
		}
		evFactory := informers.NewSharedInformerFactoryWithOptions(p.kube, 0, informers.WithNamespace(set.namespace))
		evInformer := evFactory.Core().V1().Events().Informer()
		send := func(ev *corev1.Event) {
			if eventTime(ev).Before(start) || !w.relevant(ctx, ev) {
				return
			}
			select {
			case ch <- systemEvent(ev):
			default:
			}
		}
		if _, err := evInformer.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc: func(obj any) {
				if ev, ok := obj.(*corev1.Event); ok {
					send(ev)
				}
			},
			UpdateFunc: func(oldObj, newObj any) {
				old, ok1 := oldObj.(*corev1.Event)
				ev, ok2 := newObj.(*corev1.Event)
				if ok1 && ok2 && (ev.Count > old.Count || !eventTime(ev).Equal(eventTime(old))) {
					send(ev)
				}
			},
		}); err != nil {
			return
		}
		podFactory.Start(ctx.Done())
		defer podFactory.Shutdown()
		cache.WaitForCacheSync(ctx.Done(), podInformer.HasSynced)
		evFactory.Start(ctx.Done())
		defer evFactory.Shutdown()
		<-ctx.Done()
	}()
	return ch
}

// eventWatch decides which Events are about the target.
type eventWatch struct {
	set  podSet
	kube kubernetes.Interface

	mu    sync.Mutex
	known map[string]bool // pods: true of the target (ever seen), false not
}

func (w *eventWatch) know(pod string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.known[pod] = true
}

func (w *eventWatch) ignore(pod string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.known[pod] = false
}

// lookup says whether pod is of the target, and whether that is known.
func (w *eventWatch) lookup(pod string) (mine, known bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	mine, known = w.known[pod]
	return mine, known
}

func (w *eventWatch) relevant(ctx context.Context, ev *corev1.Event) bool {
	o := ev.InvolvedObject
	if strings.HasPrefix(o.APIVersion, chaosGroup+"/") {
		return strings.HasPrefix(o.Name, "gameday-")
	}
	wl := w.set.workload
	switch o.Kind {
	case "Pod":
		if mine, known := w.lookup(o.Name); known {
			return mine
		}
		// The event may come before the pod informer has seen the pod:
		// ask once, and remember a pod that is not the target's.
		pod, err := w.kube.CoreV1().Pods(o.Namespace).Get(ctx, o.Name, metav1.GetOptions{})
		switch {
		case err == nil && w.set.matches(pod):
			w.know(pod.Name)
			return true
		case err == nil:
			w.ignore(pod.Name)
			return false
		}
		return apierrors.IsNotFound(err) && wl != nil && strings.HasPrefix(o.Name, wl.Name+"-")
	case "Deployment":
		return wl != nil && wl.Resource == "deployments.apps" && o.Name == wl.Name
	case "ReplicaSet":
		return wl != nil && wl.Resource == "deployments.apps" && strings.HasPrefix(o.Name, wl.Name+"-")
	case "StatefulSet":
		return wl != nil && wl.Resource == "statefulsets.apps" && o.Name == wl.Name
	}
	return false
}

// eventTime is when ev (last) happened.
func eventTime(ev *corev1.Event) time.Time {
	switch {
	case !ev.EventTime.IsZero():
		if ev.Series != nil && !ev.Series.LastObservedTime.IsZero() {
			return ev.Series.LastObservedTime.Time
		}
		return ev.EventTime.Time
	case !ev.LastTimestamp.IsZero():
		return ev.LastTimestamp.Time
	case !ev.FirstTimestamp.IsZero():
		return ev.FirstTimestamp.Time
	}
	return ev.CreationTimestamp.Time
}

// eventKind classifies ev for the report.
func eventKind(ev *corev1.Event) providers.EventKind {
	switch {
	case ev.Reason == "Started":
		return providers.EventRecovered
	case ev.Type == corev1.EventTypeWarning,
		ev.Reason == "SuccessfulCreate",
		ev.Reason == "Killing" && strings.Contains(ev.Message, "failed"):
		return providers.EventDetected
	}
	return providers.EventInfo
}

func systemEvent(ev *corev1.Event) providers.SystemEvent {
	source := ev.Source.Component
	if source == "" {
		source = ev.ReportingController
	}
	if source == "" {
		source = "kubernetes"
	}
	text := ev.Reason
	if ev.Message != "" {
		text += ": " + ev.Message
	}
	return providers.SystemEvent{
		At:     eventTime(ev),
		Source: source,
		Kind:   eventKind(ev),
		Target: strings.ToLower(ev.InvolvedObject.Kind) + "/" + ev.InvolvedObject.Name,
		Text:   text,
	}
}
