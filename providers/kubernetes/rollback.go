package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/gameday-tui/gameday/providers"
)

// chaosRefs returns the Chaos Mesh objects of inj: those its Handles name
// and those labelled with its Owner in the namespaces it may have used.
func (p *Provider) chaosRefs(ctx context.Context, inj providers.Injection) ([]ref, error) {
	var refs []ref
	for _, h := range inj.Handles {
		if prefix, r, ok := parseHandle(h); ok && prefix == "" {
			if _, isChaos := r.chaos(); isChaos {
				refs = append(refs, r)
			}
		}
	}
	owned, err := p.owned(ctx, inj.Owner, p.searchNamespaces(inj), resourcesOf(inj.Kind))
	for _, r := range owned {
		if !slices.Contains(refs, r) {
			refs = append(refs, r)
		}
	}
	return refs, err
}

// searchNamespaces returns where to look for inj's objects by owner label:
// the namespaces of its handles, the scope's and WithNamespaces'.
func (p *Provider) searchNamespaces(inj providers.Injection) []string {
	var out []string
	add := func(ns string) {
		if ns != "" && !slices.Contains(out, ns) {
			out = append(out, ns)
		}
	}
	for _, h := range inj.Handles {
		if _, r, ok := parseHandle(h); ok {
			add(r.Namespace)
		}
	}
	add(p.scope.String(fieldNamespace))
	for _, ns := range p.namespaces {
		add(ns)
	}
	return out
}

// Rollback deletes every Chaos Mesh object of inj, by the names in its
// Handles and by its owner label, and returns once they are gone: Chaos
// Mesh removes its finalizer only after it has undone the fault, so gone
// means undone. An object already gone is fine, so Rollback is
// idempotent. Deleted pods have nothing to undo: their controller
// replaces them (Verify checks it has). An object stuck in deletion past
// the wait is an error that says how to clear it.
func (p *Provider) Rollback(ctx context.Context, inj providers.Injection) error {
	refs, err := p.chaosRefs(ctx, inj)
	errs := []error{err}
	var deleted []ref
	for _, r := range refs {
		if err := p.deleteChaos(ctx, r); err != nil {
			errs = append(errs, err)
			continue
		}
		deleted = append(deleted, r)
	}
	errs = append(errs, p.waitGone(ctx, deleted))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("roll back %s: %w", inj.FaultID, err)
	}
	return nil
}

// waitGone waits until every object of refs is gone, for at most the
// provider's delete wait.
func (p *Provider) waitGone(ctx context.Context, refs []ref) error {
	if len(refs) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, p.deleteWait)
	defer cancel()
	var left []string // what the last complete check found
	err := wait.PollUntilContextCancel(ctx, p.poll, true, func(ctx context.Context) (bool, error) {
		var now []string
		for _, r := range refs {
			obj, err := p.getChaos(ctx, r)
			switch {
			case err != nil && ctx.Err() != nil:
				return false, ctx.Err() // the wait is over; left says what was left
			case err != nil:
				return false, err
			}
			if obj != nil {
				now = append(now, p.stuckMessage(r, obj))
			}
		}
		left = now
		return len(left) == 0, nil
	})
	if err == nil {
		return nil
	}
	if len(left) == 0 {
		return err
	}
	return fmt.Errorf("not gone after %s: %s", p.deleteWait, strings.Join(left, "; "))
}

// ManualRollback returns the kubectl commands that finish rolling back inj
// by hand: delete its Chaos Mesh objects by name, then by owner label.
// Deleted pods need nothing: their controller replaces them.
func (p *Provider) ManualRollback(inj providers.Injection) string {
	var cmds []string
	var ready []string
	for _, h := range inj.Handles {
		prefix, r, ok := parseHandle(h)
		if !ok {
			continue
		}
		switch {
		case prefix == "" && strings.HasSuffix(r.Resource, "."+chaosGroup):
			cmds = append(cmds, p.kubectl("delete", r.Resource, "-n", r.Namespace, r.Name, "--ignore-not-found"))
		case prefix == handleReady:
			ready = append(ready, r.String())
		}
	}
	if inj.Owner != "" {
		resources := resourcesOf(inj.Kind)
		for i, r := range resources {
			resources[i] = r + "." + chaosGroup
		}
		for _, ns := range p.searchNamespaces(inj) {
			cmds = append(cmds, p.kubectl("delete", strings.Join(resources, ","), "-n", ns, "-l", OwnerLabel+"="+inj.Owner, "--ignore-not-found"))
		}
	}
	if len(cmds) == 0 {
		msg := "nothing to undo: deleted pods are replaced by their controller"
		if len(ready) > 0 {
			msg += "; check " + strings.Join(ready, ", ") + " is back to its ready count with " + p.kubectl("get", "pods", "-n", firstNamespace(ready), "-w")
		}
		return msg
	}
	return strings.Join(cmds, " && ")
}

func firstNamespace(handles []string) string {
	for _, h := range handles {
		if _, r, ok := parseHandle(handleReady + h); ok {
			return r.Namespace
		}
	}
	return "default"
}

// inClusterContext is the context name LoadConfig reports for the
// in-cluster config, which kubectl cannot name.
const inClusterContext = "in-cluster"
