package kubernetes

import (
	"context"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/gameday-tui/gameday/providers"
)

// Verify reports inj clean when no Chaos Mesh object of inj is left (by
// name or owner label; one stuck in deletion is named with its finalizers
// and the command that clears them) and every workload it acted on is back
// to its desired count of ready pods (a Deployment's, StatefulSet's or
// ReplicaSet's spec.replicas; a pod without a controller must be ready
// again). It changes nothing.
func (p *Provider) Verify(ctx context.Context, inj providers.Injection) (providers.Verification, error) {
	refs, err := p.chaosRefs(ctx, inj)
	if err != nil {
		return providers.Verification{}, fmt.Errorf("verify %s: %w", inj.FaultID, err)
	}
	var left, checked []string
	for _, r := range refs {
		obj, err := p.getChaos(ctx, r)
		if err != nil {
			return providers.Verification{}, fmt.Errorf("verify %s: %w", inj.FaultID, err)
		}
		if obj == nil {
			checked = append(checked, r.String()+" is gone")
			continue
		}
		left = append(left, p.stuckMessage(r, obj))
	}
	if len(refs) == 0 {
		checked = append(checked, "no Chaos Mesh object of this fault exists")
	}
	for _, h := range inj.Handles {
		prefix, r, ok := parseHandle(h)
		if !ok || prefix != handleReady {
			continue
		}
		ok, detail, err := p.readiness(ctx, r)
		if err != nil {
			return providers.Verification{}, fmt.Errorf("verify %s: %w", inj.FaultID, err)
		}
		if ok {
			checked = append(checked, detail)
		} else {
			left = append(left, detail)
		}
	}
	if len(left) > 0 {
		return providers.Verification{Clean: false, Details: left}, nil
	}
	return providers.Verification{Clean: true, Details: checked}, nil
}

// readiness checks that the workload r names has its desired count of
// ready pods, and says so.
func (p *Provider) readiness(ctx context.Context, r ref) (bool, string, error) {
	apps := p.kube.AppsV1()
	var (
		desired  int
		selector *metav1.LabelSelector
		err      error
		kind     string
	)
	switch r.Resource {
	case "deployments.apps":
		var d *appsv1.Deployment
		kind = "deployment"
		if d, err = apps.Deployments(r.Namespace).Get(ctx, r.Name, metav1.GetOptions{}); err == nil {
			desired, selector = replicasOf(d.Spec.Replicas), d.Spec.Selector
		}
	case "statefulsets.apps":
		var s *appsv1.StatefulSet
		kind = "statefulset"
		if s, err = apps.StatefulSets(r.Namespace).Get(ctx, r.Name, metav1.GetOptions{}); err == nil {
			desired, selector = replicasOf(s.Spec.Replicas), s.Spec.Selector
		}
	case "replicasets.apps":
		var rs *appsv1.ReplicaSet
		kind = "replicaset"
		if rs, err = apps.ReplicaSets(r.Namespace).Get(ctx, r.Name, metav1.GetOptions{}); err == nil {
			desired, selector = replicasOf(rs.Spec.Replicas), rs.Spec.Selector
		}
	case "daemonsets.apps":
		var ds *appsv1.DaemonSet
		kind = "daemonset"
		if ds, err = apps.DaemonSets(r.Namespace).Get(ctx, r.Name, metav1.GetOptions{}); err == nil {
			desired, selector = int(ds.Status.DesiredNumberScheduled), ds.Spec.Selector
		}
	case "pods":
		pod, err := p.kube.CoreV1().Pods(r.Namespace).Get(ctx, r.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, fmt.Sprintf("pod %s/%s is gone and has no controller to replace it", r.Namespace, r.Name), nil
		}
		if err != nil {
			return false, "", callError(err, "get", schema.GroupResource{Resource: "pods"}, r.Namespace, "get pod "+r.Namespace+"/"+r.Name)
		}
		if serving(pod) {
			return true, fmt.Sprintf("pod %s/%s is ready", r.Namespace, r.Name), nil
		}
		return false, fmt.Sprintf("pod %s/%s is not ready", r.Namespace, r.Name), nil
	default:
		return true, fmt.Sprintf("%s: readiness not checked (gameday checks Deployments, StatefulSets, ReplicaSets and DaemonSets)", r), nil
	}
	name := r.Namespace + "/" + r.Name
	if apierrors.IsNotFound(err) {
		return false, fmt.Sprintf("%s %s does not exist any more", kind, name), nil
	}
	if err != nil {
		resource, group, _ := strings.Cut(r.Resource, ".")
		return false, "", callError(err, "get", schema.GroupResource{Group: group, Resource: resource}, r.Namespace, "get "+kind+" "+name)
	}
	pods, err := p.pods(ctx, podSet{namespace: r.Namespace, selector: selector})
	if err != nil {
		return false, "", err
	}
	ready, terminating := 0, 0
	for i := range pods {
		switch {
		case serving(&pods[i]):
			ready++
		case pods[i].DeletionTimestamp != nil:
			terminating++
		}
	}
	detail := fmt.Sprintf("%s %s: %d of %d pods ready", kind, name, ready, desired)
	if terminating > 0 {
		detail += fmt.Sprintf(" (%d terminating)", terminating)
	}
	return ready >= desired, detail, nil
}

func replicasOf(r *int32) int {
	if r == nil {
		return 1
	}
	return int(*r)
}
