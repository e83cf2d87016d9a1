package kubernetes_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/providers/kubernetes"
)

// classicParams mirrors the scenario loader's classic params per kind
// (scenarios/decode.go): a provider's own params must not reuse them.
var classicParams = map[providers.Kind][]string{
	providers.InstanceStop:     {"mode"},
	providers.Latency:          {"delay", "jitter"},
	providers.CPUStress:        {"workers", "load"},
	providers.MemoryStress:     {"memory_mb"},
	providers.DBFailure:        {"mode"},
	providers.DependencyOutage: {"mode"},
	kubernetes.ChaosMesh:       {},
}

func TestSpecDeclarations(t *testing.T) {
	spec := kubernetes.Spec()
	p := kubernetes.New(nil, nil)
	if spec.Name != p.Name() {
		t.Errorf("Spec().Name %q, provider name %q", spec.Name, p.Name())
	}
	for _, k := range append(slices.Clone(providers.Kinds), kubernetes.ChaosMesh) {
		if !spec.SupportsKind(k) || !p.Supports(k) {
			t.Errorf("kind %s: Spec lists it %v, Supports %v; want both", k, spec.SupportsKind(k), p.Supports(k))
		}
	}
	checkList := func(where string, fields []providers.FieldSpec, reserved []string) {
		seen := map[string]bool{}
		for _, f := range fields {
			switch {
			case f.Name == "" || seen[f.Name]:
				t.Errorf("%s: field %q is empty or declared twice", where, f.Name)
			case slices.Contains(reserved, f.Name):
				t.Errorf("%s: field %q is already the loader's", where, f.Name)
			case f.Doc == "":
				t.Errorf("%s.%s has no Doc", where, f.Name)
			case len(f.OneOf) > 0 && f.Type != providers.FieldString:
				t.Errorf("%s.%s: OneOf on a %s", where, f.Name, f.Type)
			case f.Min != nil && f.Max != nil && *f.Min > *f.Max:
				t.Errorf("%s.%s: Min above Max", where, f.Name)
			}
			seen[f.Name] = true
		}
	}
	checkList("target", spec.Target, []string{"provider", "name", "environment"})
	checkList("faults[].target", spec.Selector, nil)
	for kind, fields := range spec.Params {
		if !spec.SupportsKind(kind) {
			t.Errorf("params declared for kind %s the spec does not list", kind)
		}
		checkList("params of "+string(kind), fields, classicParams[kind])
	}
	for kind, modes := range spec.Modes {
		if !spec.SupportsKind(kind) || len(modes) == 0 {
			t.Errorf("modes of %s: %v", kind, modes)
		}
	}
	if f := field(spec.Target, "namespace"); f == nil || !f.Required {
		t.Errorf("target.namespace must be declared and required: %+v", f)
	}
	if f := field(spec.Params[kubernetes.ChaosMesh], "manifest"); f == nil || !f.Required || f.Type != providers.FieldMapping {
		t.Errorf("chaos-mesh needs a required mapping params.manifest: %+v", f)
	}
	if f := field(spec.Params[providers.DependencyOutage], "external_targets"); f == nil || !f.Required {
		t.Errorf("dependency-outage needs params.external_targets: %+v", f)
	}

	checks := map[string]struct {
		list  []providers.FieldSpec
		field string
		good  []any
		bad   []any
	}{
		"namespace":        {spec.Target, "namespace", []any{"shop"}, []any{"Shop", "a_b", ""}},
		"selector":         {spec.Target, "selector", []any{map[string]any{"app": "web", "app.kubernetes.io/part-of": "shop"}}, []any{map[string]any{}, map[string]any{"app": "a b"}}},
		"deployment":       {spec.Target, "deployment", []any{"web"}, []any{"Web!"}},
		"names":            {spec.Selector, "names", []any{[]any{"web-0", "web-1"}}, []any{[]any{"web_0"}}},
		"external_targets": {spec.Params[providers.DependencyOutage], "external_targets", []any{[]any{"payments.example.com", "10.0.0.0/8", "192.0.2.7", "2001:db8::/32"}}, []any{[]any{}, []any{"not a host!"}}},
	}
	for name, c := range checks {
		f := field(c.list, c.field)
		if f == nil || f.Check == nil {
			t.Errorf("%s: no Check", name)
			continue
		}
		for _, v := range c.good {
			if err := f.Check(v); err != nil {
				t.Errorf("%s: %#v refused: %v", name, v, err)
			}
		}
		for _, v := range c.bad {
			if err := f.Check(v); err == nil {
				t.Errorf("%s: %#v accepted", name, v)
			}
		}
	}
}

func field(list []providers.FieldSpec, name string) *providers.FieldSpec {
	for i := range list {
		if list[i].Name == name {
			return &list[i]
		}
	}
	return nil
}

func TestCheckFault(t *testing.T) {
	spec := kubernetes.Spec()
	target := providers.Fields{"namespace": "shop", "deployment": "web"}
	manifest := func(edit func(m map[string]any)) providers.Params {
		m := map[string]any{"apiVersion": "chaos-mesh.org/v1alpha1", "kind": "PodChaos",
			"spec": map[string]any{"action": "pod-kill", "mode": "one", "selector": map[string]any{"labelSelectors": map[string]any{"app": "web"}}}}
		if edit != nil {
			edit(m)
		}
		return providers.Params{Extra: providers.Fields{"manifest": m}}
	}
	tests := map[string]struct {
		target providers.Fields
		fault  providers.Fault
		want   string // "" for no error; else a path and words of the one error
	}{
		"fine":                  {target, providers.Fault{Kind: providers.Latency, Params: providers.Params{Delay: time.Second}}, ""},
		"fault in kube-system":  {target, providers.Fault{Kind: providers.Latency, Target: providers.Fields{"namespace": "kube-system", "labels": map[string]any{"k8s-app": "kube-dns"}}, Params: providers.Params{Delay: time.Second}}, "target.namespace: kube-system is a system namespace"},
		"allowed kube-system":   {providers.Fields{"namespace": "shop", "allow_system_namespaces": true}, providers.Fault{Kind: providers.Latency, Target: providers.Fields{"namespace": "kube-system", "labels": map[string]any{"k8s-app": "kube-dns"}}, Params: providers.Params{Delay: time.Second}}, ""},
		"no pods":               {providers.Fields{"namespace": "shop"}, providers.Fault{Kind: providers.CPUStress}, "target: say which pods"},
		"two selectors":         {target, providers.Fault{Kind: providers.CPUStress, Target: providers.Fields{"deployment": "a", "statefulset": "b"}}, "target: give at most one of labels, deployment and statefulset"},
		"sandbox mode":          {target, providers.Fault{Kind: providers.InstanceStop, Params: providers.Params{Mode: "kill"}}, `params.mode: instance-stop has no mode "kill" on Kubernetes; one of delete, pod-kill`},
		"grace on pod-failure":  {target, providers.Fault{Kind: providers.DBFailure, Params: providers.Params{Extra: providers.Fields{"grace_period": "5s"}}}, "params.grace_period: grace_period applies to mode delete"},
		"loss on partition":     {target, providers.Fault{Kind: providers.DependencyOutage, Params: providers.Params{Extra: providers.Fields{"external_targets": []any{"a.example"}, "loss": 50.0}}}, "params.loss: loss applies to mode loss"},
		"latency without delay": {target, providers.Fault{Kind: providers.Latency}, "params.delay: latency needs a delay"},
		"manifest fine":         {target, providers.Fault{Kind: kubernetes.ChaosMesh, Params: manifest(nil)}, ""},
		"manifest schedule": {target, providers.Fault{Kind: kubernetes.ChaosMesh, Params: manifest(func(m map[string]any) { m["kind"] = "Schedule" })},
			`params.manifest.kind: "Schedule" is not a Chaos Mesh kind gameday can bound with a duration`},
		"manifest named": {target, providers.Fault{Kind: kubernetes.ChaosMesh, Params: manifest(func(m map[string]any) { m["metadata"] = map[string]any{"name": "mine"} })},
			"params.manifest.metadata.name: gameday names the object itself"},
		"manifest in kube-system": {target, providers.Fault{Kind: kubernetes.ChaosMesh, Params: manifest(func(m map[string]any) {
			m["spec"].(map[string]any)["selector"] = map[string]any{"namespaces": []any{"kube-system"}}
		})}, "params.manifest.spec.selector: selects pods in the system namespace kube-system"},
		"manifest with selection": {target, providers.Fault{Kind: kubernetes.ChaosMesh, Selection: providers.Selection{Count: 1}, Params: manifest(nil)}, "selection: a chaos-mesh fault's manifest says how many pods"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			errs := spec.CheckFault(tc.target, tc.fault)
			switch {
			case tc.want == "" && len(errs) > 0:
				t.Fatalf("errors %v, want none", errs)
			case tc.want != "" && (len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), tc.want)):
				t.Fatalf("errors %v, want one starting %q", errs, tc.want)
			}
		})
	}
	if errs := spec.CheckTarget(providers.Fields{"namespace": "kube-system", "selector": map[string]any{"a": "b"}}); len(errs) != 1 || errs[0].Path != "namespace" {
		t.Errorf("a kube-system target: %v", errs)
	}
	if errs := spec.CheckTarget(providers.Fields{"namespace": "shop", "selector": map[string]any{"a": "b"}, "deployment": "web"}); len(errs) != 1 {
		t.Errorf("a target with a selector and a deployment: %v", errs)
	}
}

// TestShippedScenarios checks the files of scenarios/kubernetes against
// Spec the way the scenario loader will (shippedScenario), and that they
// cover the six patterns and a raw chaos-mesh manifest.
func TestShippedScenarios(t *testing.T) {
	kinds := map[providers.Kind]int{}
	for _, path := range shippedScenarios(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			_, faults := shippedScenario(t, path)
			for _, f := range faults {
				kinds[f.Kind]++
			}
		})
	}
	for _, k := range append(slices.Clone(providers.Kinds), kubernetes.ChaosMesh) {
		if kinds[k] != 1 {
			t.Errorf("%d shipped scenarios have a %s fault, want 1", kinds[k], k)
		}
	}
}

func shippedScenarios(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "scenarios", "kubernetes", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios/kubernetes/*.yaml: %v", err)
	}
	return files
}

// shippedScenario decodes the scenario file at path into its target fields
// and faults, checking them against Spec the way the scenario loader will:
// every field declared, of its type, within its bounds, a mode the kind
// has, required params present, and the whole-target and whole-fault
// checks clean. Mistakes are test errors.
func shippedScenario(t *testing.T, path string) (providers.Fields, []providers.Fault) {
	t.Helper()
	spec := kubernetes.Spec()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Target map[string]any   `yaml:"target"`
		Faults []map[string]any `yaml:"faults"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Target["provider"] != "kubernetes" {
		t.Fatalf("target.provider %v", doc.Target["provider"])
	}
	target := providers.Fields{}
	for k, v := range doc.Target {
		if slices.Contains([]string{"provider", "name", "environment"}, k) {
			continue
		}
		if err := checkValue(spec.Target, k, v); err != nil {
			t.Errorf("target.%s: %v", k, err)
		}
		target[k] = v
	}
	for _, e := range spec.CheckTarget(target) {
		t.Errorf("target: %v", e)
	}
	var faults []providers.Fault
	for i, raw := range doc.Faults {
		f := providers.Fault{ID: fmt.Sprintf("f%d", i+1), Kind: providers.Kind(fmt.Sprint(raw["kind"])), Scope: target}
		if !spec.SupportsKind(f.Kind) {
			t.Errorf("faults[%d]: kind %s", i, f.Kind)
			continue
		}
		if sel, ok := raw["selection"].(map[string]any); ok {
			f.Selection.Count, _ = sel["count"].(int)
			if pct, ok := sel["percent"].(int); ok {
				f.Selection.Percent = float64(pct)
			}
		}
		if tgt, ok := raw["target"].(map[string]any); ok {
			f.Target = providers.Fields{}
			for k, v := range tgt {
				if err := checkValue(spec.Selector, k, v); err != nil {
					t.Errorf("faults[%d].target.%s: %v", i, k, err)
				}
				f.Target[k] = v
			}
		}
		params, _ := raw["params"].(map[string]any)
		f.Params.Extra = providers.Fields{}
		for k, v := range params {
			switch {
			case k == "mode":
				f.Params.Mode = fmt.Sprint(v)
				if !slices.Contains(spec.Modes[f.Kind], f.Params.Mode) {
					t.Errorf("faults[%d]: mode %q, want one of %v", i, v, spec.Modes[f.Kind])
				}
			case slices.Contains(classicParams[f.Kind], k):
				setClassic(t, &f.Params, k, v)
			default:
				if err := checkValue(spec.Params[f.Kind], k, v); err != nil {
					t.Errorf("faults[%d].params.%s: %v", i, k, err)
				}
				f.Params.Extra[k] = v
			}
		}
		for _, fs := range spec.Params[f.Kind] {
			if fs.Required && !f.Params.Extra.Has(fs.Name) {
				t.Errorf("faults[%d]: params.%s is required", i, fs.Name)
			}
		}
		for _, e := range spec.CheckFault(target, f) {
			t.Errorf("faults[%d]: %v", i, e)
		}
		faults = append(faults, f)
	}
	return target, faults
}

// checkValue checks v against the field declared as name in list, as the
// loader would.
func checkValue(list []providers.FieldSpec, name string, v any) error {
	f := field(list, name)
	if f == nil {
		return fmt.Errorf("not declared")
	}
	var num float64
	bounded := false
	switch f.Type {
	case providers.FieldString:
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("%#v is not text", v)
		}
		if len(f.OneOf) > 0 && !slices.Contains(f.OneOf, s) {
			return fmt.Errorf("%q is not one of %v", s, f.OneOf)
		}
	case providers.FieldStrings:
		list, ok := v.([]any)
		for _, e := range list {
			if _, isText := e.(string); !isText {
				ok = false
			}
		}
		if _, isText := v.(string); !ok && !isText {
			return fmt.Errorf("%#v is not a list of text", v)
		}
	case providers.FieldStringMap, providers.FieldMapping:
		if _, ok := v.(map[string]any); !ok {
			return fmt.Errorf("%#v is not a mapping", v)
		}
	case providers.FieldInt:
		n, ok := v.(int)
		if !ok {
			return fmt.Errorf("%#v is not a whole number", v)
		}
		num, bounded = float64(n), true
	case providers.FieldNumber:
		n, ok := providers.Fields{"v": v}.Number("v")
		if !ok {
			return fmt.Errorf("%#v is not a number", v)
		}
		num, bounded = n, true
	case providers.FieldBool:
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("%#v is not true or false", v)
		}
	case providers.FieldDuration:
		s, _ := v.(string)
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("%#v is not a duration", v)
		}
		num, bounded = d.Seconds(), true
	}
	if bounded && (f.Min != nil && num < *f.Min || f.Max != nil && num > *f.Max) {
		return fmt.Errorf("%v is out of bounds", v)
	}
	if f.Check != nil {
		return f.Check(v)
	}
	return nil
}

func setClassic(t *testing.T, p *providers.Params, k string, v any) {
	t.Helper()
	switch k {
	case "delay", "jitter":
		d, err := time.ParseDuration(fmt.Sprint(v))
		if err != nil {
			t.Errorf("params.%s: %v", k, err)
		}
		if k == "delay" {
			p.Delay = d
		} else {
			p.Jitter = d
		}
	case "workers":
		p.Workers, _ = v.(int)
	case "load":
		p.Load, _ = v.(int)
	case "memory_mb":
		p.MemoryMB, _ = v.(int)
	}
}

// TestRBACIsDocumented checks that docs/kubernetes.md shows the very Role
// the integration tests bind (rbac.yaml).
func TestRBACIsDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "kubernetes.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "```yaml\n"+kubernetes.RBAC()+"```\n") {
		t.Errorf("docs/kubernetes.md does not show rbac.yaml as it is, in a yaml block")
	}
}
