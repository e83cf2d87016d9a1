package kubernetes

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/gameday-tui/gameday/providers"
)

// podSet is which pods a fault acts on, resolved against the cluster: a
// namespace, a label selector (from the fault's labels, the scenario's
// selector, or a workload's spec.selector), and optionally pod names.
type podSet struct {
	namespace string
	// selector is nil when only names select (every pod of the
	// namespace, narrowed to names).
	selector *metav1.LabelSelector
	names    []string
	// workload is the Deployment or StatefulSet the pods belong to, when
	// the scenario names one.
	workload *ref
}

// String says what the set is, for messages: "deployment shop/web",
// "pods app=web in shop".
func (s podSet) String() string {
	var b strings.Builder
	switch {
	case s.workload != nil:
		kind, _, _ := strings.Cut(s.workload.Resource, ".")
		fmt.Fprintf(&b, "%s %s/%s", strings.TrimSuffix(kind, "s"), s.namespace, s.workload.Name)
	case s.selector != nil:
		fmt.Fprintf(&b, "pods %s in %s", s.labelSelector(), s.namespace)
	default:
		fmt.Fprintf(&b, "pods in %s", s.namespace)
	}
	if len(s.names) > 0 {
		fmt.Fprintf(&b, " named %s", strings.Join(s.names, ", "))
	}
	return b.String()
}

// labelSelector renders the selector the way kubectl -l takes it.
func (s podSet) labelSelector() string {
	if s.selector == nil {
		return ""
	}
	sel, err := metav1.LabelSelectorAsSelector(s.selector)
	if err != nil {
		return ""
	}
	return sel.String()
}

// scopeOf returns the scenario's target fields for f: its own Scope, or
// the provider's (WithScope).
func (p *Provider) scopeOf(f providers.Fault) providers.Fields {
	if len(f.Scope) > 0 {
		return f.Scope
	}
	return p.scope
}

// namespaceOf returns the namespace f acts in.
func namespaceOf(scope providers.Fields, f providers.Fault) string {
	return cmp.Or(f.Target.String(fieldNamespace), scope.String(fieldNamespace))
}

// resolve works out f's pod set: the fault's own labels, deployment or
// statefulset if it gives one, else the scenario's selector, deployment or
// statefulset; the fault's names narrow either.
func (p *Provider) resolve(ctx context.Context, scope providers.Fields, f providers.Fault) (podSet, error) {
	set := podSet{namespace: namespaceOf(scope, f), names: f.Target.Strings(fieldNames)}
	src, labelsKey := scope, fieldSelector
	if countSet(f.Target, fieldLabels, fieldDeployment, fieldStatefulSet) > 0 {
		src, labelsKey = f.Target, fieldLabels
	}
	switch {
	case src.Has(labelsKey):
		set.selector = &metav1.LabelSelector{MatchLabels: src.StringMap(labelsKey)}
	case src.Has(fieldDeployment):
		name := src.String(fieldDeployment)
		d, err := p.kube.AppsV1().Deployments(set.namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return set, workloadError(err, "deployments", set.namespace, name)
		}
		set.selector, set.workload = d.Spec.Selector, &ref{Resource: "deployments.apps", Namespace: set.namespace, Name: name}
	case src.Has(fieldStatefulSet):
		name := src.String(fieldStatefulSet)
		s, err := p.kube.AppsV1().StatefulSets(set.namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return set, workloadError(err, "statefulsets", set.namespace, name)
		}
		set.selector, set.workload = s.Spec.Selector, &ref{Resource: "statefulsets.apps", Namespace: set.namespace, Name: name}
	}
	if set.selector == nil && len(set.names) == 0 {
		return set, fmt.Errorf("fault %s: %w: no pods selected: give the scenario's target a selector, deployment or statefulset, or the fault a target", f.ID, providers.ErrNotApplied)
	}
	return set, nil
}

func workloadError(err error, resource, ns, name string) error {
	what := fmt.Sprintf("get %s %s/%s", strings.TrimSuffix(resource, "s"), ns, name)
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("%s: %w: it does not exist (kubectl get %s -n %s lists those that do)", what, providers.ErrNotApplied, resource, ns)
	}
	return fmt.Errorf("%w: %w", providers.ErrNotApplied, callError(err, "get", schema.GroupResource{Group: "apps", Resource: resource}, ns, what))
}

// pods lists the pods of set (terminating ones included), sorted by name.
func (p *Provider) pods(ctx context.Context, set podSet) ([]corev1.Pod, error) {
	opts := metav1.ListOptions{LabelSelector: set.labelSelector()}
	list, err := p.kube.CoreV1().Pods(set.namespace).List(ctx, opts)
	if err != nil {
		return nil, callError(err, "list", schema.GroupResource{Resource: "pods"}, set.namespace, "list "+set.String())
	}
	out := list.Items[:0]
	for _, pod := range list.Items {
		if len(set.names) == 0 || slices.Contains(set.names, pod.Name) {
			out = append(out, pod)
		}
	}
	slices.SortFunc(out, func(a, b corev1.Pod) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

// serving reports whether pod is Ready and not being deleted: a pod that
// serves traffic now.
func serving(pod *corev1.Pod) bool {
	if pod.DeletionTimestamp != nil {
		return false
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func servingOf(pods []corev1.Pod) []corev1.Pod {
	var out []corev1.Pod
	for i := range pods {
		if serving(&pods[i]) {
			out = append(out, pods[i])
		}
	}
	return out
}

// pick returns sel's share of pods (sorted by name): chosen at random with
// seed, or, with seed 0, the first ones by name (a preview).
func pick(pods []corev1.Pod, sel providers.Selection, seed int64) []corev1.Pod {
	k := sel.Of(len(pods))
	pods = slices.Clone(pods)
	if seed != 0 {
		r := rand.New(rand.NewPCG(uint64(seed), uint64(seed)>>1^0x9e3779b97f4a7c15))
		r.Shuffle(len(pods), func(i, j int) { pods[i], pods[j] = pods[j], pods[i] })
	}
	pods = pods[:k]
	slices.SortFunc(pods, func(a, b corev1.Pod) int { return cmp.Compare(a.Name, b.Name) })
	return pods
}

func podTargets(pods []corev1.Pod) []providers.Target {
	out := make([]providers.Target, 0, len(pods))
	for _, pod := range pods {
		out = append(out, providers.Target{ID: pod.Namespace + "/" + pod.Name, Name: "pod " + pod.Namespace + "/" + pod.Name})
	}
	return out
}

// readyRefs returns what Verify checks is back to its desired ready count
// after a fault on pods: the workload the scenario names, or else the
// controllers of the pods (a ReplicaSet, a StatefulSet), or the pods
// themselves when they have none.
func readyRefs(set podSet, pods []corev1.Pod) []string {
	if set.workload != nil {
		return []string{handleReady + set.workload.String()}
	}
	seen := map[string]bool{}
	var out []string
	for _, pod := range pods {
		r := ref{Resource: "pods", Namespace: pod.Namespace, Name: pod.Name}
		if c := metav1.GetControllerOf(&pod); c != nil {
			gv, _ := schema.ParseGroupVersion(c.APIVersion)
			res := strings.ToLower(c.Kind) + "s"
			if gv.Group != "" {
				res += "." + gv.Group
			}
			r = ref{Resource: res, Namespace: pod.Namespace, Name: c.Name}
		}
		if h := handleReady + r.String(); !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	slices.Sort(out)
	return out
}

// chaosSelector returns the Chaos Mesh selector of pods: by name when the
// fault picked some of them (so Chaos Mesh hits exactly the pods gameday
// chose, journaled and shown), else by the set's labels, so pods that
// replace others during the fault are hit too.
func chaosSelector(set podSet, chosen []corev1.Pod, byName bool) map[string]any {
	if byName || set.selector == nil {
		names := make([]any, 0, len(chosen))
		for _, pod := range chosen {
			names = append(names, pod.Name)
		}
		return map[string]any{"pods": map[string]any{set.namespace: names}}
	}
	sel := map[string]any{"namespaces": []any{set.namespace}}
	if len(set.selector.MatchLabels) > 0 {
		m := map[string]any{}
		for _, k := range slices.Sorted(maps.Keys(set.selector.MatchLabels)) {
			m[k] = set.selector.MatchLabels[k]
		}
		sel["labelSelectors"] = m
	}
	if len(set.selector.MatchExpressions) > 0 {
		var exprs []any
		for _, e := range set.selector.MatchExpressions {
			values := make([]any, 0, len(e.Values))
			for _, v := range e.Values {
				values = append(values, v)
			}
			exprs = append(exprs, map[string]any{"key": e.Key, "operator": string(e.Operator), "values": values})
		}
		sel["expressionSelectors"] = exprs
	}
	return sel
}

// matches reports whether pod's labels match set's selector.
func (s podSet) matches(pod *corev1.Pod) bool {
	if s.selector == nil {
		return len(s.names) == 0 || slices.Contains(s.names, pod.Name)
	}
	sel, err := metav1.LabelSelectorAsSelector(s.selector)
	if err != nil {
		return false
	}
	return sel.Matches(labels.Set(pod.Labels)) && (len(s.names) == 0 || slices.Contains(s.names, pod.Name))
}

// labelSelectorOf returns the selector of pods carrying every label of m
// (every pod when m is empty).
func labelSelectorOf(m map[string]string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: m}
}
