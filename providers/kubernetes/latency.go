package kubernetes

import (
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/gameday-tui/gameday/providers"
)

// buildLatency: a NetworkChaos delay on the chosen pods' traffic: latency
// (params.delay), jitter, correlation, direction (default to), and, with
// params.external_targets, only the traffic to those hosts.
func buildLatency(a *act, f providers.Fault, ttl time.Duration, chosen []corev1.Pod, byName bool) {
	delay := map[string]any{"latency": netemDuration(f.Params.Delay)}
	what := "delay " + netemDuration(f.Params.Delay)
	if f.Params.Jitter > 0 {
		delay["jitter"] = netemDuration(f.Params.Jitter)
		what += " ± " + netemDuration(f.Params.Jitter)
	}
	if c, ok := f.Params.Extra.Number(paramCorrelation); ok {
		delay["correlation"] = percent(c)
		what += ", correlation " + percent(c) + "%"
	}
	spec := map[string]any{"action": "delay", "mode": "all", "selector": chaosSelector(a.set, chosen, byName), "delay": delay}
	what += networkScope(spec, f)
	a.chaos, a.resource, a.what = newChaos("NetworkChaos", a.set.namespace, f, ttl, spec), "networkchaos", what
}

// networkScope sets a NetworkChaos's direction and external targets from
// the fault's params and says so.
func networkScope(spec map[string]any, f providers.Fault) string {
	dir := f.Params.Extra.String(paramDirection)
	if dir == "" {
		dir = directionTo
	}
	spec["direction"] = dir
	what := ", direction " + dir
	if hosts := f.Params.Extra.Strings(paramExternalTargets); len(hosts) > 0 {
		list := make([]any, len(hosts))
		for i, h := range hosts {
			list[i] = h
		}
		spec["externalTargets"] = list
		what += ", towards " + strings.Join(hosts, ", ")
	}
	return what
}

// percent renders a percentage the way NetworkChaos's text fields take it.
func percent(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
