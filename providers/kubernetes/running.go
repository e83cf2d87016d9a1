package kubernetes

import (
	"context"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/gameday-tui/gameday/providers"
)

// SourceName is the name of the running-count source in samples.
const SourceName = "kubernetes"

// retryEvery is how often a watch that could not start (the target's
// Deployment missing, a Forbidden list) tries again.
const retryEvery = 2 * time.Second

// runningCache is the pod cache of the RunningSource that runs now, if
// any: Running reads it instead of listing.
type runningCache struct {
	mu     sync.Mutex
	ns     string
	lister corelisters.PodLister
}

func (c *runningCache) set(ns string, l corelisters.PodLister) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ns, c.lister = ns, l
}

func (c *runningCache) clear(l corelisters.PodLister) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lister == l {
		c.lister = nil
	}
}

func (c *runningCache) count() (int, bool) {
	c.mu.Lock()
	ns, l := c.ns, c.lister
	c.mu.Unlock()
	if l == nil {
		return 0, false
	}
	pods, err := l.Pods(ns).List(labels.Everything())
	if err != nil {
		return 0, false
	}
	return countServing(pods), true
}

func countServing(pods []*corev1.Pod) int {
	n := 0
	for _, pod := range pods {
		if serving(pod) {
			n++
		}
	}
	return n
}

// scopeSet resolves the scenario's target (WithScope) to its pods: its
// selector, Deployment or StatefulSet, or every pod of its namespace.
func (p *Provider) scopeSet(ctx context.Context) (podSet, error) {
	if countSet(p.scope, fieldSelector, fieldDeployment, fieldStatefulSet) == 0 {
		return podSet{namespace: p.scope.String(fieldNamespace), selector: labelSelectorOf(nil)}, nil
	}
	return p.resolve(ctx, p.scope, providers.Fault{ID: "target"})
}

// Running returns how many pods of the scenario's target are ready and not
// being deleted. While a RunningSource runs it reads that source's
// informer cache; otherwise it lists the pods once.
func (p *Provider) Running(ctx context.Context) (int, error) {
	if n, ok := p.running.count(); ok {
		return n, nil
	}
	set, err := p.scopeSet(ctx)
	if err != nil {
		return 0, err
	}
	pods, err := p.pods(ctx, set)
	if err != nil {
		return 0, err
	}
	return len(servingOf(pods)), nil
}

// RunningSource is the running count as a providers.MetricSource: the
// ready pods of the scenario's target, kept by an informer (one list, then
// a watch; no call per sample), sampled once per second from its cache.
type RunningSource struct {
	p *Provider
}

var (
	_ providers.MetricSource = (*RunningSource)(nil)
	_ providers.Described    = (*RunningSource)(nil)
)

// RunningSource returns the provider's running-count source.
func (p *Provider) RunningSource() *RunningSource { return &RunningSource{p: p} }

// Info declares one-second windows, each delivered at its end: the count
// comes from a cache the watch keeps current, so a sample is as late as
// the watch (well under a second).
func (s *RunningSource) Info() providers.SourceInfo {
	return providers.SourceInfo{Name: SourceName, Resolution: s.p.resolution, Lag: providers.DefaultLag}
}

// Samples watches the target's pods and sends, every second until ctx
// ends, a sample whose running series is the count of ready pods. A
// sample the reader is not ready for is dropped. If the watch cannot start
// (the Deployment is missing, the list is forbidden) it tries again every
// 2 s, sending nothing meanwhile.
func (s *RunningSource) Samples(ctx context.Context) <-chan providers.Sample {
	ch := make(chan providers.Sample, 4)
	go func() {
		defer close(ch)
		p := s.p
		set, ok := retryResolve(ctx, p.scopeSet)
		if !ok {
			return
		}
		sel := set.labelSelector()
		factory := informers.NewSharedInformerFactoryWithOptions(p.kube, 0,
			informers.WithNamespace(set.namespace),
			informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = sel }))
		pods := factory.Core().V1().Pods()
		informer, lister := pods.Informer(), pods.Lister()
		factory.Start(ctx.Done())
		defer factory.Shutdown()
		if !cache.WaitForCacheSync(ctx.Done(), informer.HasSynced) {
			return
		}
		p.running.set(set.namespace, lister)
		defer p.running.clear(lister)
		tick := time.NewTicker(p.resolution)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-tick.C:
				cached, _ := lister.Pods(set.namespace).List(labels.Everything())
				n := countServing(cached)
				sample := providers.Sample{
					At: now, Source: SourceName, Span: p.resolution, Running: n,
					Values: map[string]float64{providers.SeriesRunning: float64(n)},
				}
				select {
				case ch <- sample:
				default:
				}
			}
		}
	}()
	return ch
}

// retryResolve calls resolve until it succeeds or ctx ends.
func retryResolve(ctx context.Context, resolve func(context.Context) (podSet, error)) (podSet, bool) {
	for {
		set, err := resolve(ctx)
		if err == nil {
			return set, true
		}
		select {
		case <-ctx.Done():
			return podSet{}, false
		case <-time.After(retryEvery):
		}
	}
}
