package kubernetes

import (
	"context"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/gameday-tui/gameday/providers"
)

// Plan returns every call Inject and Rollback would make for f, one line
// each, after the API server has checked each change in a server-side dry
// run (dryRun=All): a Chaos Mesh object against its CRD's schema, RBAC and
// admission, a pod deletion against RBAC and admission. Nothing is stored.
// Chaos Mesh not installed is an error that says so and names the faults
// that still work; a Forbidden answer names the missing permission.
func (p *Provider) Plan(ctx context.Context, f providers.Fault, ttl time.Duration) ([]string, error) {
	seed := seedParam(f)
	a, err := p.build(ctx, f, ttl, seed)
	if err != nil {
		return nil, fmt.Errorf("plan %s: %w", f.ID, err)
	}
	hit := hitText(a, seed)
	if len(a.targets) == 0 && f.Kind != ChaosMesh {
		return []string{fmt.Sprintf("# no ready pod of %s now: the inject would be refused", a.set)}, nil
	}
	if a.chaos != nil {
		return p.planChaos(ctx, f, ttl, a, hit)
	}
	var lines []string
	for _, pod := range a.del {
		err := p.kube.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, deleteOptions(pod, a.grace, true))
		if err != nil {
			return nil, fmt.Errorf("plan %s: dry run: %w", f.ID, callError(err, "delete", schema.GroupResource{Resource: "pods"}, pod.Namespace, "delete pod "+pod.Namespace+"/"+pod.Name))
		}
		grace := ""
		if a.grace != nil {
			grace = fmt.Sprintf("?gracePeriodSeconds=%d", *a.grace)
		}
		lines = append(lines, fmt.Sprintf("DELETE /api/v1/namespaces/%s/pods/%s%s  # dry run accepted by the API server; %s", pod.Namespace, pod.Name, grace, hit))
	}
	lines = append(lines, fmt.Sprintf("# no rollback call: the pods' controller replaces them; verified when %s is back to its ready count", strings.Join(trimPrefixes(a.ready), ", ")))
	return lines, nil
}

func (p *Provider) planChaos(ctx context.Context, f providers.Fault, ttl time.Duration, a act, hit string) ([]string, error) {
	if err := p.hasChaosMesh(ctx, a.resource, f); err != nil {
		return nil, fmt.Errorf("plan %s: %w", f.ID, err)
	}
	if _, err := p.createChaos(ctx, a.resource, a.chaos, true); err != nil {
		return nil, fmt.Errorf("plan %s: the API server refused the %s in a dry run: %w", f.ID, a.chaos.GetKind(), err)
	}
	path := fmt.Sprintf("/apis/%s/namespaces/%s/%s", chaosAPI, a.chaos.GetNamespace(), a.resource)
	// Before a run the owner is not known yet: the object will be named
	// after the run's id.
	name, owner := a.chaos.GetName(), f.Owner
	if owner == "" {
		name, owner = "gameday-RUN-"+dnsSafe(f.ID), "RUN."+f.ID
	}
	duration, _, _ := unstructured.NestedString(a.chaos.Object, "spec", "duration")
	lines := []string{
		fmt.Sprintf("POST %s %s {%s; duration %s; label %s=%s}  # dry run accepted by the API server; %s", path, name, a.what, duration, OwnerLabel, owner, hit),
		fmt.Sprintf("DELETE %s/%s  # at rollback, then GET until it is gone; gameday recover also finds it by its label; Chaos Mesh ends it by itself after %s", path, name, duration),
	}
	return lines, nil
}

// hitText says which pods a plan's calls hit.
func hitText(a act, seed int64) string {
	names := make([]string, 0, len(a.targets))
	for _, t := range a.targets {
		names = append(names, t.ID)
	}
	list := strings.Join(names, ", ")
	switch {
	case a.random && seed == 0:
		return fmt.Sprintf("%d pod(s) chosen at random at inject time (the seed is journaled), e.g. %s", len(names), list)
	case a.random:
		return fmt.Sprintf("%d pod(s) chosen with seed %d: %s", len(names), seed, list)
	case a.chaos != nil && a.bySelector:
		return fmt.Sprintf("every ready pod of %s (and any that replace them), now %d: %s", a.set, len(names), list)
	}
	return "hits " + list
}

func trimPrefixes(handles []string) []string {
	out := make([]string, len(handles))
	for i, h := range handles {
		out[i] = strings.TrimPrefix(h, handleReady)
	}
	return out
}
