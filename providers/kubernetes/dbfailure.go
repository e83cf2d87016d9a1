package kubernetes

import (
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/gameday-tui/gameday/providers"
)

// buildDBFailure: mode pod-failure (the default) has Chaos Mesh make the
// database's pods fail for the TTL (a PodChaos pod-failure: their
// containers' images are swapped for a pause image, so the pods stay but
// serve nothing); mode delete deletes them, with params.grace_period, and
// the StatefulSet (or other controller) brings them back.
func buildDBFailure(a *act, f providers.Fault, ttl time.Duration, chosen []corev1.Pod, byName bool) {
	if f.Params.Mode == modeDelete {
		a.del, a.grace = chosen, gracePeriod(f)
		return
	}
	spec := map[string]any{"action": "pod-failure", "mode": "all", "selector": chaosSelector(a.set, chosen, byName)}
	a.chaos, a.resource, a.what = newChaos("PodChaos", a.set.namespace, f, ttl, spec), "podchaos", "pod-failure"
}
