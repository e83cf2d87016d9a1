package kubernetes

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/gameday-tui/gameday/providers"
)

// manifestErrors checks a chaos-mesh fault's manifest without a cluster:
// a Chaos Mesh kind that has spec.duration, no name of its own (gameday
// names it after the run and fault, so recover finds it), in the fault's
// namespace, and no system namespace in its selector unless allowed.
// Paths are relative to the manifest (".kind").
func manifestErrors(raw map[string]any, ns string, allowSystem bool) []providers.FieldError {
	if raw == nil {
		return []providers.FieldError{{Msg: "give the Chaos Mesh object as a mapping (apiVersion, kind, spec)"}}
	}
	m, err := jsonObject(raw)
	if err != nil {
		return []providers.FieldError{{Msg: err.Error()}}
	}
	var errs []providers.FieldError
	add := func(path, format string, args ...any) {
		errs = append(errs, providers.NewFieldError(path, format, args...))
	}
	u := unstructured.Unstructured{Object: m}
	if v, _ := m["apiVersion"].(string); v != chaosAPI {
		add(".apiVersion", "want %s, got %q", chaosAPI, v)
	}
	kind, _ := m["kind"].(string)
	if _, ok := chaosKinds[kind]; !ok {
		kinds := slices.Sorted(maps.Keys(chaosKinds))
		add(".kind", "%q is not a Chaos Mesh kind gameday can bound with a duration; one of %s", kind, strings.Join(kinds, ", "))
	}
	if meta, ok := m["metadata"]; ok {
		if _, isMap := meta.(map[string]any); !isMap {
			add(".metadata", "metadata is a mapping")
		} else {
			if u.GetName() != "" || u.GetGenerateName() != "" {
				add(".metadata.name", "gameday names the object itself (gameday-RUN-FAULT), so that recover finds it; leave the name out")
			}
			if got := u.GetNamespace(); got != "" && got != ns {
				add(".metadata.namespace", "the object goes to the fault's namespace %s; set target.namespace to put it elsewhere", ns)
			}
		}
	}
	spec, ok := m["spec"].(map[string]any)
	if !ok {
		add(".spec", "a Chaos Mesh object needs a spec mapping")
		return errs
	}
	if d, ok := spec["duration"]; ok {
		s, _ := d.(string)
		if v, err := time.ParseDuration(s); err != nil || v <= 0 {
			add(".spec.duration", "%v is not a duration like 30s (gameday sets the TTL; a shorter duration here is kept)", d)
		}
	}
	if !allowSystem {
		namespaces, _, _ := unstructured.NestedStringSlice(m, "spec", "selector", "namespaces")
		pods, _, _ := unstructured.NestedMap(m, "spec", "selector", "pods")
		for n := range pods {
			namespaces = append(namespaces, n)
		}
		for _, n := range namespaces {
			if systemNamespace(n) {
				add(".spec.selector", "selects pods in the system namespace %s; refused unless the scenario's target says allow_system_namespaces: true", n)
			}
		}
	}
	return errs
}

// buildManifest: the scenario's Chaos Mesh object, named gameday-OWNER in
// the fault's namespace, labelled with the owner, and with spec.duration
// the TTL (or the manifest's own duration when shorter).
func (p *Provider) buildManifest(ctx context.Context, scope providers.Fields, f providers.Fault, ttl time.Duration) (act, error) {
	m, err := jsonObject(f.Params.Extra.Map(paramManifest))
	if err != nil {
		return act{}, fmt.Errorf("fault %s: %w: params.manifest: %w", f.ID, providers.ErrNotApplied, err)
	}
	ns := namespaceOf(scope, f)
	kind, _ := m["kind"].(string)
	spec, _ := m["spec"].(map[string]any)
	if d, err := time.ParseDuration(fmt.Sprint(spec["duration"])); err == nil && d > 0 && d < ttl {
		ttl = d
	}
	obj := newChaos(kind, ns, f, ttl, spec)
	if meta, ok := m["metadata"].(map[string]any); ok {
		u := unstructured.Unstructured{Object: map[string]any{"metadata": meta}}
		labels := u.GetLabels()
		maps.Copy(labels, obj.GetLabels())
		obj.SetLabels(labels)
		annotations := u.GetAnnotations()
		if annotations == nil {
			annotations = map[string]string{}
		}
		maps.Copy(annotations, obj.GetAnnotations())
		obj.SetAnnotations(annotations)
	}
	a := act{set: podSet{namespace: ns}, chaos: obj, resource: chaosKinds[kind], what: kind + " from the scenario's manifest"}
	if action, ok := spec["action"].(string); ok {
		a.what = kind + " " + action + " from the scenario's manifest"
	}
	targets, err := p.manifestTargets(ctx, ns, spec)
	if err != nil {
		return act{}, err
	}
	a.targets = targets
	return a, nil
}

// manifestTargets returns the pods a manifest's spec.selector matches (all
// of them: Chaos Mesh applies the manifest's mode among them), or, for a
// kind that selects no pods (AWSChaos, …), the object itself.
func (p *Provider) manifestTargets(ctx context.Context, ns string, spec map[string]any) ([]providers.Target, error) {
	sel, ok := spec["selector"].(map[string]any)
	if !ok {
		return []providers.Target{{ID: ns + "/manifest", Name: "what the manifest names (not pods)"}}, nil
	}
	var pods []corev1.Pod
	if byNS, ok := sel["pods"].(map[string]any); ok {
		for n, names := range byNS {
			set := podSet{namespace: n, names: providers.Fields{"v": names}.Strings("v")}
			got, err := p.pods(ctx, set)
			if err != nil {
				return nil, err
			}
			pods = append(pods, got...)
		}
		return podTargets(servingOf(pods)), nil
	}
	namespaces, _, _ := unstructured.NestedStringSlice(spec, "selector", "namespaces")
	if len(namespaces) == 0 {
		namespaces = []string{ns}
	}
	labels, _, _ := unstructured.NestedStringMap(spec, "selector", "labelSelectors")
	for _, n := range namespaces {
		set := podSet{namespace: n, selector: labelSelectorOf(labels)}
		got, err := p.pods(ctx, set)
		if err != nil {
			return nil, err
		}
		pods = append(pods, got...)
	}
	return podTargets(servingOf(pods)), nil
}

// jsonObject returns a deep copy of m holding only the values an
// unstructured object may hold (int64 for whole numbers, []any, map[string]any):
// a manifest decoded from YAML has int and, from Go, []string.
func jsonObject(m map[string]any) (map[string]any, error) {
	v, err := jsonValue(m)
	if err != nil {
		return nil, err
	}
	return v.(map[string]any), nil
}

func jsonValue(v any) (any, error) {
	switch v := v.(type) {
	case nil, string, bool, int64, float64:
		return v, nil
	case int:
		return int64(v), nil
	case int32:
		return int64(v), nil
	case uint64:
		return int64(v), nil
	case float32:
		return float64(v), nil
	case []string:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = e
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			c, err := jsonValue(e)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case map[string]string:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = e
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			c, err := jsonValue(e)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = c
		}
		return out, nil
	}
	return nil, fmt.Errorf("%v (%T) is not a JSON value", v, v)
}
