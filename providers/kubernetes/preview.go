package kubernetes

import (
	"fmt"
	"strings"

	"github.com/gameday-tui/gameday/providers"
)

var (
	_ providers.Previewer    = (*Provider)(nil)
	_ providers.RandomPicker = (*Provider)(nil)
)

// PicksAtInject reports whether f's pods are drawn at inject time: a count
// or percent of the target's ready pods chosen with a new seed (a fault
// with params.seed makes the same choice as Targets), or a raw manifest
// whose mode has Chaos Mesh choose.
func (p *Provider) PicksAtInject(f providers.Fault) bool {
	if f.Kind == ChaosMesh {
		spec, _ := f.Params.Extra.Map(paramManifest)["spec"].(map[string]any)
		mode, _ := spec["mode"].(string)
		return mode != "" && mode != "all"
	}
	return f.Selection != (providers.Selection{}) && !f.Params.Extra.Has(paramSeed)
}

// Preview says what f will do to targets, as the plan card and the
// headless blast line show it: "will delete 1 of 4 ready pods of
// deployment shop/web, chosen at inject time with a journaled seed, e.g.
// pod shop/web-7d9-abc; its controller replaces them".
func (p *Provider) Preview(f providers.Fault, targets []providers.Target, total int) string {
	if len(targets) == 0 {
		return "matches no ready pod right now"
	}
	names := make([]string, len(targets))
	for i, t := range targets {
		names[i] = t.Name
	}
	list := strings.Join(names, ", ")
	scope := p.scopeOf(f)
	of := fmt.Sprintf("%d of %d ready pods of %s", len(targets), total, describeTarget(scope, f))
	if total <= 0 {
		of = fmt.Sprintf("%d ready pod(s) of %s", len(targets), describeTarget(scope, f))
	}
	if p.PicksAtInject(f) {
		of += ", chosen at inject time with a journaled seed, e.g. " + list
	} else {
		of += ": " + list
	}
	mode := f.Params.Mode
	switch f.Kind {
	case providers.InstanceStop:
		if mode == modePodKill {
			return "will have Chaos Mesh kill (PodChaos pod-kill) " + of
		}
		return "will delete " + of + "; their controller replaces them"
	case providers.Latency:
		d := netemDuration(f.Params.Delay)
		if f.Params.Jitter > 0 {
			d += " ± " + netemDuration(f.Params.Jitter)
		}
		return fmt.Sprintf("will delay by %s (NetworkChaos) the traffic of %s", d, of)
	case providers.CPUStress:
		return fmt.Sprintf("will burn CPU (StressChaos, %d worker(s) at %d%%) in %s", max(f.Params.Workers, 1), f.Params.Load, of)
	case providers.MemoryStress:
		return fmt.Sprintf("will hold %d MB (StressChaos) in %s", f.Params.MemoryMB, of)
	case providers.DBFailure:
		if mode == modeDelete {
			return "will delete " + of + "; their controller brings them back"
		}
		return "will make the containers of " + of + " fail (PodChaos pod-failure)"
	case providers.DependencyOutage:
		hosts := strings.Join(f.Params.Extra.Strings(paramExternalTargets), ", ")
		if mode == modeLoss {
			return fmt.Sprintf("will drop packets to %s (NetworkChaos loss) from %s", hosts, of)
		}
		return fmt.Sprintf("will cut off %s (NetworkChaos partition) from %s", hosts, of)
	case ChaosMesh:
		kind, _ := f.Params.Extra.Map(paramManifest)["kind"].(string)
		return fmt.Sprintf("will apply the scenario's %s to pods its selector matches, now %d: %s", kind, len(targets), list)
	}
	return "will hit " + list
}

// describeTarget names the pods f acts on, from the scenario's fields:
// "deployment shop/web", "statefulset shop/postgres", "app=web in shop".
func describeTarget(scope providers.Fields, f providers.Fault) string {
	ns := namespaceOf(scope, f)
	src, labelsKey := scope, fieldSelector
	if countSet(f.Target, fieldLabels, fieldDeployment, fieldStatefulSet) > 0 {
		src, labelsKey = f.Target, fieldLabels
	}
	switch {
	case src.Has(fieldDeployment):
		return "deployment " + ns + "/" + src.String(fieldDeployment)
	case src.Has(fieldStatefulSet):
		return "statefulset " + ns + "/" + src.String(fieldStatefulSet)
	case src.Has(labelsKey):
		return podSet{selector: labelSelectorOf(src.StringMap(labelsKey))}.labelSelector() + " in " + ns
	}
	return "namespace " + ns
}
