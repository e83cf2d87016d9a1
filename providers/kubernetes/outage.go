package kubernetes

import (
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/gameday-tui/gameday/providers"
)

// buildOutage: a NetworkChaos that cuts the chosen pods off from the
// dependency's hosts (params.external_targets): mode partition (the
// default) drops everything; mode loss drops params.loss percent of the
// packets (default 100), with params.correlation.
func buildOutage(a *act, f providers.Fault, ttl time.Duration, chosen []corev1.Pod, byName bool) {
	spec := map[string]any{"mode": "all", "selector": chaosSelector(a.set, chosen, byName)}
	if f.Params.Mode == modeLoss {
		rate := defaultLossRate
		if v, ok := f.Params.Extra.Number(paramLoss); ok {
			rate = v
		}
		loss := map[string]any{"loss": percent(rate)}
		a.what = "loss " + percent(rate) + "%"
		if c, ok := f.Params.Extra.Number(paramCorrelation); ok {
			loss["correlation"] = percent(c)
			a.what += ", correlation " + percent(c) + "%"
		}
		spec["action"], spec["loss"] = "loss", loss
	} else {
		spec["action"] = "partition"
		a.what = "partition"
	}
	a.what += networkScope(spec, f)
	a.chaos, a.resource = newChaos("NetworkChaos", a.set.namespace, f, ttl, spec), "networkchaos"
}
