package aws_test

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
	gdaws "github.com/gameday-tui/gameday/providers/aws"
)

var classicParams = []string{"delay", "jitter", "workers", "load", "memory_mb", "mode"}

// TestSpecIsConsistent: what Spec declares agrees with itself and with
// the Provider.
func TestSpecIsConsistent(t *testing.T) {
	s := gdaws.Spec()
	p := gdaws.New(gdaws.Clients{}, nil)
	if s.Name != p.Name() {
		t.Errorf("spec %q, provider %q", s.Name, p.Name())
	}
	for _, k := range append(slices.Clone(providers.Kinds), gdaws.FISTemplate, "pod-chaos") {
		if s.SupportsKind(k) != p.Supports(k) {
			t.Errorf("kind %s: spec says %v, provider %v", k, s.SupportsKind(k), p.Supports(k))
		}
	}
	for _, k := range append(slices.Clone(providers.Kinds), gdaws.FISTemplate) {
		if !s.SupportsKind(k) {
			t.Errorf("kind %s missing", k)
		}
	}
	unique := func(where string, fs []providers.FieldSpec, reserved []string) {
		seen := map[string]bool{}
		for _, f := range fs {
			if seen[f.Name] || slices.Contains(reserved, f.Name) {
				t.Errorf("%s: field %s declared twice or shadows a common one", where, f.Name)
			}
			seen[f.Name] = true
			if f.Doc == "" {
				t.Errorf("%s: field %s has no Doc", where, f.Name)
			}
			if f.OneOf != nil && f.Type != providers.FieldString {
				t.Errorf("%s: field %s has OneOf but is not text", where, f.Name)
			}
		}
	}
	unique("target", s.Target, []string{"provider", "name", "environment"})
	unique("selector", s.Selector, nil)
	for k, fs := range s.Params {
		if !s.SupportsKind(k) {
			t.Errorf("params for kind %s, which the spec lacks", k)
		}
		unique("params of "+string(k), fs, classicParams)
	}
	for k, modes := range s.Modes {
		if !s.SupportsKind(k) || len(modes) == 0 {
			t.Errorf("modes for kind %s: %v", k, modes)
		}
	}
	if errs := s.CheckTarget(providers.Fields{}); len(errs) == 0 {
		t.Error("an empty aws target passed CheckTarget")
	}
	src := gdaws.CloudWatchSourceSpec()
	unique("metrics", src.Fields, []string{"source"})
	if src.Name != "cloudwatch" || !slices.ContainsFunc(src.Fields, func(f providers.FieldSpec) bool { return f.Name == "alb" && f.Required }) {
		t.Errorf("cloudwatch source spec %+v", src)
	}
	if errs := src.Check(providers.Fields{"alb": "app/a/0123", "period": "45s"}); len(errs) != 1 {
		t.Errorf("a 45 s CloudWatch period passed: %v", errs)
	}
}

// scenarioFile is the part of a scenario file the provider owns, decoded
// the way the scenario loader hands it over.
type scenarioFile struct {
	Title       string         `yaml:"title"`
	Hypothesis  string         `yaml:"hypothesis"`
	Rollback    string         `yaml:"rollback"`
	Target      map[string]any `yaml:"target"`
	Metrics     map[string]any `yaml:"metrics"`
	Phases      map[string]string
	MaxPercent  float64                       `yaml:"max_percent"`
	MaxCount    int                           `yaml:"max_count"`
	SteadyState map[string]map[string]float64 `yaml:"steady_state"`
	Faults      []struct {
		Kind      string              `yaml:"kind"`
		Selection providers.Selection `yaml:"selection"`
		Duration  string              `yaml:"duration"`
		Params    map[string]any      `yaml:"params"`
		Target    map[string]any      `yaml:"target"`
	} `yaml:"faults"`
}

type shipped struct {
	path   string
	file   scenarioFile
	target providers.Fields
	faults []providers.Fault
	// life is each fault's planned duration: its own, or the fault phase.
	life []time.Duration
}

func loadShipped(t *testing.T) []shipped {
	t.Helper()
	paths, err := filepath.Glob("../../scenarios/aws/*.yaml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no shipped AWS scenarios: %v", err)
	}
	var out []shipped
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var sf scenarioFile
		if err := yaml.Unmarshal(data, &sf); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		sh := shipped{path: filepath.Base(path), file: sf, target: providers.Fields{}}
		for k, v := range sf.Target {
			if k != "provider" && k != "name" && k != "environment" {
				sh.target[k] = v
			}
		}
		phase, _ := time.ParseDuration(sf.Phases["fault"])
		for i, ff := range sf.Faults {
			f := providers.Fault{ID: fmt.Sprintf("f%d", i+1), Kind: providers.Kind(ff.Kind), Selection: ff.Selection, Target: ff.Target, Params: providers.Params{Extra: providers.Fields{}}}
			for k, v := range ff.Params {
				switch k {
				case "delay":
					f.Params.Delay, _ = time.ParseDuration(v.(string))
				case "jitter":
					f.Params.Jitter, _ = time.ParseDuration(v.(string))
				case "workers":
					f.Params.Workers = v.(int)
				case "load":
					f.Params.Load = v.(int)
				case "memory_mb":
					f.Params.MemoryMB = v.(int)
				case "mode":
					f.Params.Mode = v.(string)
				default:
					f.Params.Extra[k] = v
				}
			}
			life := phase
			if ff.Duration != "" {
				life, _ = time.ParseDuration(ff.Duration)
			}
			sh.faults = append(sh.faults, f)
			sh.life = append(sh.life, life)
		}
		out = append(out, sh)
	}
	return out
}

// checkField checks one value against its declaration, as the loader does.
func checkField(fs providers.FieldSpec, v any) error {
	var ok bool
	switch fs.Type {
	case providers.FieldString:
		_, ok = v.(string)
	case providers.FieldStrings:
		_, ok = v.([]any)
		if _, s := v.(string); s {
			ok = true
		}
	case providers.FieldStringMap, providers.FieldMapping:
		_, ok = v.(map[string]any)
	case providers.FieldNumber, providers.FieldInt:
		switch v.(type) {
		case int, float64:
			ok = true
		}
	case providers.FieldBool:
		_, ok = v.(bool)
	case providers.FieldDuration:
		s, isStr := v.(string)
		_, err := time.ParseDuration(s)
		ok = isStr && err == nil
	}
	if !ok {
		return fmt.Errorf("%s: %v is not %s", fs.Name, v, fs.Type)
	}
	if fs.OneOf != nil && !slices.Contains(fs.OneOf, v.(string)) {
		return fmt.Errorf("%s: %v is not one of %v", fs.Name, v, fs.OneOf)
	}
	if fs.Check != nil {
		if err := fs.Check(v); err != nil {
			return fmt.Errorf("%s: %w", fs.Name, err)
		}
	}
	return nil
}

func checkFields(t *testing.T, where string, decl []providers.FieldSpec, values map[string]any, skip ...string) {
	t.Helper()
	for k, v := range values {
		if slices.Contains(skip, k) {
			continue
		}
		i := slices.IndexFunc(decl, func(f providers.FieldSpec) bool { return f.Name == k })
		if i < 0 {
			t.Errorf("%s: %s is not declared in the spec", where, k)
			continue
		}
		if err := checkField(decl[i], v); err != nil {
			t.Errorf("%s: %v", where, err)
		}
	}
	for _, f := range decl {
		if _, ok := values[f.Name]; f.Required && !ok {
			t.Errorf("%s: required %s missing", where, f.Name)
		}
	}
}

// TestShippedScenariosValidate: every shipped AWS scenario uses only what
// Spec and CloudWatchSourceSpec declare, passes their checks, and
// together they cover the six patterns and fis-template; the random task
// stop is the seed's plan.
func TestShippedScenariosValidate(t *testing.T) {
	spec, src := gdaws.Spec(), gdaws.CloudWatchSourceSpec()
	kinds := map[providers.Kind]bool{}
	for _, sh := range loadShipped(t) {
		if sh.file.Target["provider"] != "aws" || sh.file.Title == "" || sh.file.Hypothesis == "" || sh.file.Rollback == "" {
			t.Errorf("%s: provider, title, hypothesis and rollback are required", sh.path)
		}
		checkFields(t, sh.path+": target", spec.Target, sh.file.Target, "provider", "name", "environment")
		for _, e := range spec.CheckTarget(sh.target) {
			t.Errorf("%s: target.%v", sh.path, e)
		}
		if sh.file.Metrics["source"] != "cloudwatch" {
			t.Errorf("%s: metrics source %v", sh.path, sh.file.Metrics["source"])
		}
		checkFields(t, sh.path+": metrics", src.Fields, sh.file.Metrics, "source")
		for _, e := range src.Check(providers.Fields(sh.file.Metrics)) {
			t.Errorf("%s: metrics.%v", sh.path, e)
		}
		for i, f := range sh.faults {
			kinds[f.Kind] = true
			where := fmt.Sprintf("%s: faults[%d]", sh.path, i)
			if !spec.SupportsKind(f.Kind) {
				t.Errorf("%s: kind %s", where, f.Kind)
			}
			checkFields(t, where+".target", spec.Selector, f.Target)
			params := map[string]any{}
			for k, v := range f.Params.Extra {
				params[k] = v
			}
			checkFields(t, where+".params", spec.Params[f.Kind], params)
			if m := f.Params.Mode; m != "" && !slices.Contains(spec.Modes[f.Kind], m) {
				t.Errorf("%s: mode %s", where, m)
			}
			for _, e := range spec.CheckFault(sh.target, f) {
				t.Errorf("%s: %v", where, e)
			}
		}
	}
	for _, k := range append(slices.Clone(providers.Kinds), gdaws.FISTemplate) {
		if !kinds[k] {
			t.Errorf("no shipped AWS scenario for %s", k)
		}
	}
	for _, sh := range loadShipped(t) {
		if sh.path != "instance-stop.yaml" {
			continue
		}
		if sh.file.Hypothesis != "10% of tasks stop, error rate stays under 0.1%" || sh.file.SteadyState["error_rate"]["max"] != 0.001 ||
			sh.faults[0].Selection.Percent != 10 || !slices.Equal(sh.target.Strings("stop_alarms"), []string{"HighErrorRateAlarm"}) {
			t.Errorf("instance-stop.yaml is not the seed's plan: %+v", sh.file)
		}
	}
}

// TestCheckFaultCatchesMistakes: the combinations field types cannot say.
func TestCheckFaultCatchesMistakes(t *testing.T) {
	spec := gdaws.Spec()
	ecsTarget := providers.Fields{"cluster": cluster, "service": service}
	tests := map[string]struct {
		target providers.Fields
		f      providers.Fault
		path   string
	}{
		"no role":        {ecsTarget, fault(providers.CPUStress), "params.role_arn"},
		"no memory":      {target(), fault(providers.MemoryStress), "params.memory_mb"},
		"no port":        {target(), fault(providers.DependencyOutage), "params.port"},
		"no delay":       {target(), fault(providers.Latency), "params.delay"},
		"no service":     {providers.Fields{"role_arn": roleARN, "cluster": cluster}, fault(providers.Latency, func(f *providers.Fault) { f.Params.Delay = time.Second }), "target.service"},
		"reboot no inst": {target(), fault(providers.DBFailure, func(f *providers.Fault) { f.Params.Mode = "reboot" }), "target.db_instance"},
		"bad mode":       {target(), fault(providers.DBFailure, func(f *providers.Fault) { f.Params.Mode = "stop" }), "params.mode"},
		"fractional":     {target(), fault(providers.CPUStress, func(f *providers.Fault) { f.Params.Extra["action_duration"] = "1500ms" }), "params.action_duration"},
	}
	for name, tc := range tests {
		errs := spec.CheckFault(tc.target, tc.f)
		if !slices.ContainsFunc(errs, func(e providers.FieldError) bool { return e.Path == tc.path }) {
			t.Errorf("%s: errors %v, want one at %s", name, errs, tc.path)
		}
	}
	if errs := spec.CheckFault(ecsTarget, fault(providers.CPUStress, func(f *providers.Fault) { f.Params.Extra["template_id"] = "EXT1" })); len(errs) != 0 {
		t.Errorf("an existing template needs no role: %v", errs)
	}
	if strings.TrimSpace(string(gdaws.IAMPolicy())) == "" {
		t.Error("no IAM policy")
	}
}
