package kubernetes

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/gameday-tui/gameday/providers"
)

// buildInstanceStop: mode delete (the default) deletes the chosen pods
// with params.grace_period; mode pod-kill has Chaos Mesh kill them (a
// PodChaos pod-kill, gracePeriod likewise).
func buildInstanceStop(a *act, f providers.Fault, ttl time.Duration, chosen []corev1.Pod, byName bool) {
	grace := gracePeriod(f)
	if f.Params.Mode == modePodKill {
		spec := map[string]any{"action": "pod-kill", "mode": "all", "selector": chaosSelector(a.set, chosen, byName)}
		if grace != nil {
			spec["gracePeriod"] = *grace
		}
		a.chaos, a.resource = newChaos("PodChaos", a.set.namespace, f, ttl, spec), "podchaos"
		a.what = "pod-kill" + graceText(grace)
		return
	}
	a.del, a.grace = chosen, grace
}

// gracePeriod returns params.grace_period in whole seconds, or nil.
func gracePeriod(f providers.Fault) *int64 {
	if !f.Params.Extra.Has(paramGracePeriod) {
		return nil
	}
	s := int64(f.Params.Extra.Duration(paramGracePeriod) / time.Second)
	return &s
}

func graceText(grace *int64) string {
	if grace == nil {
		return ""
	}
	return fmt.Sprintf(", gracePeriod %ds", *grace)
}

func deleteOptions(pod corev1.Pod, grace *int64, dryRun bool) metav1.DeleteOptions {
	// The UID precondition keeps a retried delete from hitting the pod
	// that replaced this one under the same name (a StatefulSet's).
	opts := metav1.DeleteOptions{GracePeriodSeconds: grace, Preconditions: &metav1.Preconditions{UID: &pod.UID}}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	return opts
}

// deletePods deletes a's pods. A pod already gone, or already replaced
// under its name, counts as deleted. Deleting is over at once: the
// pods' controller replaces them, and Verify waits for that.
func (p *Provider) deletePods(ctx context.Context, f providers.Fault, a act, inj providers.Injection) (providers.Injection, error) {
	inj.ExpiresAt = p.now()
	var deleted []string
	fail := func(err error) (providers.Injection, error) {
		inj.Handles = append(deleted, a.ready...)
		if len(deleted) == 0 && (answered(err) || isForbidden(err)) {
			err = notApplied(err)
		}
		return inj, fmt.Errorf("inject %s: %w", f.ID, err)
	}
	for _, pod := range a.del {
		err := p.kube.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, deleteOptions(pod, a.grace, false))
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			continue // gone, or replaced: nothing of this pod to stop
		}
		if err != nil {
			return fail(callError(err, "delete", schema.GroupResource{Resource: "pods"}, pod.Namespace, "delete pod "+pod.Namespace+"/"+pod.Name))
		}
		deleted = append(deleted, handleDeleted+ref{Resource: "pods", Namespace: pod.Namespace, Name: pod.Name}.String())
	}
	inj.Handles = append(deleted, a.ready...)
	return inj, nil
}
