package kubernetes

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/gameday-tui/gameday/providers"
)

// buildStress: a StressChaos in the chosen pods: for cpu-stress, params.
// workers CPU stressors (default 1) each busy params.load percent of the
// time; for memory-stress, one memory stressor holding params.memory_mb.
// params.containers narrows it to those containers.
func buildStress(a *act, f providers.Fault, ttl time.Duration, chosen []corev1.Pod, byName bool) {
	var stressors map[string]any
	if f.Kind == providers.CPUStress {
		workers := int64(max(f.Params.Workers, 1))
		cpu := map[string]any{"workers": workers}
		a.what = fmt.Sprintf("cpu: %d worker(s)", workers)
		if f.Params.Load > 0 {
			cpu["load"] = int64(f.Params.Load)
			a.what += fmt.Sprintf(" at %d%%", f.Params.Load)
		}
		stressors = map[string]any{"cpu": cpu}
	} else {
		size := fmt.Sprintf("%dMB", f.Params.MemoryMB)
		stressors = map[string]any{"memory": map[string]any{"workers": int64(1), "size": size}}
		a.what = "memory: " + size
	}
	spec := map[string]any{"mode": "all", "selector": chaosSelector(a.set, chosen, byName), "stressors": stressors}
	if containers := f.Params.Extra.Strings(paramContainers); len(containers) > 0 {
		list := make([]any, len(containers))
		for i, c := range containers {
			list[i] = c
		}
		spec["containerNames"] = list
		a.what += fmt.Sprintf(", containers %v", containers)
	}
	a.chaos, a.resource = newChaos("StressChaos", a.set.namespace, f, ttl, spec), "stresschaos"
}
