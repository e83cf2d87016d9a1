package scenarios_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// drillPath is the shipped free-form drill: every fault kind, fired by
// key (drill_test.go), not one of the six patterns.
const drillPath = "embedded:sandbox/drill.yaml"

// sandboxFiles are the shipped scenarios of the sandbox: the six patterns.
func sandboxFiles() []scenarios.File {
	var out []scenarios.File
	for _, f := range scenarios.ShippedFiles() {
		if strings.HasPrefix(f.Path, "embedded:sandbox/") && f.Path != drillPath {
			out = append(out, f)
		}
	}
	return out
}

func TestShippedScenariosParse(t *testing.T) {
	files := sandboxFiles()
	if len(files) != 6 {
		t.Fatalf("%d shipped sandbox files, want 6", len(files))
	}
	var kinds []providers.Kind
	japanese := false
	for _, f := range files {
		t.Run(f.Path, func(t *testing.T) {
			if !strings.HasPrefix(f.Path, "embedded:sandbox/") || !strings.HasSuffix(f.Path, ".yaml") {
				t.Errorf("path %q is not embedded:sandbox/*.yaml", f.Path)
			}
			p, err := scenarios.Parse(f.Path, f.Data, testOptions())
			if err != nil {
				t.Fatalf("shipped scenario is invalid:\n%v", err)
			}
			if err := p.Validate(testOptions()); err != nil {
				t.Errorf("shipped plan does not validate: %v", err)
			}
			if p.Target.Provider != "sandbox" || p.Target.Production() {
				t.Errorf("target = %+v, want the sandbox, not production", p.Target)
			}
			for _, s := range []string{p.Title, p.Hypothesis, p.BlastRadius, p.Rollback, p.Description} {
				if strings.TrimSpace(s) == "" {
					t.Errorf("a text field is empty: %+v", p)
				}
			}
			if p.Load == nil || p.Load.Rate < 100 || p.Load.Rate > 200 || p.Load.Path == "" || p.Load.Timeout <= 0 {
				t.Errorf("load = %+v, want a modest built-in load (100–200 req/s) with a path and timeout", p.Load)
			}
			if b, ok := p.SteadyState[scenarios.ErrorRate]; !ok || b.Max == nil || *b.Max > 0.05 {
				t.Errorf("error_rate bound = %+v, want a max of at most 5%%", b)
			}
			if b, ok := p.SteadyState[scenarios.Throughput]; !ok || b.Min == nil || *b.Min > p.Load.Rate {
				t.Errorf("throughput bound = %+v, want a min the load can reach", b)
			}
			if len(p.StopConditions) == 0 {
				t.Error("no stop conditions")
			}
			if p.Phases.Baseline < 10*time.Second || p.Phases.Fault < 30*time.Second || p.Phases.Recovery < 30*time.Second {
				t.Errorf("phases %+v are shorter than a realistic run", p.Phases)
			}
			if len(p.Faults) != 1 {
				t.Fatalf("want one fault per shipped pattern, got %d", len(p.Faults))
			}
			kinds = append(kinds, p.Faults[0].Kind)
			// Each text field is English, with its Japanese in
			// translations.ja: the report takes the language asked for
			// instead of printing both.
			isJapanese := func(s string) bool {
				return strings.ContainsFunc(s, func(r rune) bool {
					return unicode.In(r, unicode.Hiragana, unicode.Katakana, unicode.Han)
				})
			}
			for _, s := range []string{p.Title, p.Hypothesis, p.BlastRadius, p.Rollback, p.Description} {
				if isJapanese(s) {
					t.Errorf("an English text field holds Japanese: %q", s)
				}
			}
			ja := p.Localized("ja")
			for _, s := range []string{ja.Title, ja.Hypothesis, ja.BlastRadius, ja.Rollback, ja.Description} {
				if !isJapanese(s) {
					t.Errorf("translations.ja lacks a field, or it is not Japanese: %q", s)
				}
			}
			japanese = japanese || isJapanese(ja.Title)
			// Tests and CI shorten the phases; the plan must stay valid.
			short := p.WithPhases(scenarios.Phases{Baseline: 2 * time.Second, Fault: 5 * time.Second, Recovery: 2 * time.Second})
			if err := short.Validate(testOptions()); err != nil {
				t.Errorf("shortened plan is invalid: %v", err)
			}
		})
	}
	for _, k := range providers.Kinds {
		if !slices.Contains(kinds, k) {
			t.Errorf("no shipped scenario for %s", k)
		}
	}
	if !japanese {
		t.Error("no shipped scenario has a Japanese translation")
	}
}

// Every shipped scenario, the AWS and Kubernetes ones too, has English in
// its text fields and each of them in Japanese in translations.ja: a
// console with --lang ja shows none of them in English.
func TestShippedTranslations(t *testing.T) {
	isJapanese := func(s string) bool {
		return strings.ContainsFunc(s, func(r rune) bool {
			return unicode.In(r, unicode.Hiragana, unicode.Katakana, unicode.Han)
		})
	}
	for _, f := range scenarios.ShippedFiles() {
		t.Run(f.Path, func(t *testing.T) {
			p, err := scenarios.Parse(f.Path, f.Data, testOptions())
			if err != nil {
				t.Fatalf("shipped scenario is invalid:\n%v", err)
			}
			ja := p.Localized("ja")
			names := []string{"title", "hypothesis", "blast_radius", "rollback", "description"}
			en, tr := []string{p.Title, p.Hypothesis, p.BlastRadius, p.Rollback, p.Description}, []string{ja.Title, ja.Hypothesis, ja.BlastRadius, ja.Rollback, ja.Description}
			for i, name := range names {
				if strings.TrimSpace(en[i]) == "" || isJapanese(en[i]) {
					t.Errorf("%s is empty or holds Japanese: %q", name, en[i])
				}
				if !isJapanese(tr[i]) {
					t.Errorf("translations.ja.%s is missing or not Japanese: %q", name, tr[i])
				}
			}
		})
	}
}

func TestShippedPatterns(t *testing.T) {
	byKind := map[providers.Kind]*scenarios.Plan{}
	plans, err := scenarios.Shipped(testOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range plans {
		if p.Target.Provider == "sandbox" {
			byKind[p.Faults[0].Kind] = p
		}
	}
	if f := byKind[providers.InstanceStop].Faults[0]; f.Selection.Percent != 10 {
		t.Errorf("instance stop selects %v, want 10%%", f.Selection)
	}
	if f := byKind[providers.Latency].Faults[0]; f.Params.Delay != 500*time.Millisecond {
		t.Errorf("latency injects %s, want 500ms", f.Params.Delay)
	}
	// The latency hypothesis is that the system survives the delay, so its
	// p95 bound must sit above the injected 500 ms.
	if b := byKind[providers.Latency].SteadyState[scenarios.P95]; b.Max == nil || *b.Max <= 500 {
		t.Errorf("latency p95 bound = %+v, want above the 500 ms delay", b)
	}
	if p := byKind[providers.Latency]; p.Load.Timeout <= p.Faults[0].Params.Delay+p.Faults[0].Params.Jitter {
		t.Errorf("latency load timeout %s does not leave room for the delay", p.Load.Timeout)
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDiscover(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(a, "b-good.yaml"), strings.Replace(valid, "Random task stop", "From A", 1))
	writeFile(t, filepath.Join(a, "a-bad.yml"), strings.Replace(valid, "percent: 10", "percent: 150", 1))
	writeFile(t, filepath.Join(a, "notes.txt"), "not a scenario")
	if err := os.Mkdir(filepath.Join(a, "dir.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(b, "good.yml"), strings.Replace(valid, "Random task stop", "From B", 1))
	missing := filepath.Join(a, "missing")

	plans, errs := scenarios.Discover([]string{a, missing, b, a}, testOptions())
	var titles []string
	for _, p := range plans {
		titles = append(titles, p.Title)
	}
	shipped := len(scenarios.ShippedFiles())
	if len(plans) != shipped+2 || titles[shipped] != "From A" || titles[shipped+1] != "From B" {
		t.Errorf("titles = %q, want the %d shipped, then From A, From B", titles, shipped)
	}
	if !strings.HasPrefix(plans[0].Path, scenarios.EmbeddedPrefix) || plans[shipped].Path != filepath.Join(a, "b-good.yaml") {
		t.Errorf("paths = %q, %q", plans[0].Path, plans[shipped].Path)
	}
	if len(errs) != 1 {
		t.Fatalf("errors = %v, want one for a-bad.yml", errs)
	}
	var es scenarios.Errors
	if !errors.As(errs[0], &es) || es[0].Path != filepath.Join(a, "a-bad.yml") || es[0].Line != 13 {
		t.Errorf("error = %v", errs[0])
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.yaml")
	writeFile(t, path, valid)
	p, err := scenarios.LoadFile(path, testOptions())
	if err != nil || p.Path != path {
		t.Fatalf("LoadFile = %v, %v", p, err)
	}
	_, err = scenarios.LoadFile(filepath.Join(dir, "nope.yaml"), testOptions())
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadFile of a missing file = %v, want ErrNotExist", err)
	}
}

func TestSearchDirs(t *testing.T) {
	root := t.TempDir()
	t.Chdir(root)
	config := filepath.Join(root, "config")
	t.Setenv("XDG_CONFIG_HOME", config)
	t.Setenv("HOME", root)
	extra := filepath.Join(root, "extra")
	for _, d := range []string{"scenarios", extra, filepath.Join(config, "gameday", "scenarios")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	got := scenarios.SearchDirs([]string{extra, filepath.Join(root, "missing"), "./scenarios"})
	want := []string{"scenarios", extra, filepath.Join(config, "gameday", "scenarios")}
	if !slices.Equal(got, want) {
		t.Errorf("SearchDirs = %q, want %q", got, want)
	}
	if err := os.Remove("scenarios"); err != nil {
		t.Fatal(err)
	}
	if got := scenarios.SearchDirs(nil); !slices.Equal(got, want[2:]) {
		t.Errorf("without ./scenarios, SearchDirs = %q, want %q", got, want[2:])
	}
}

// A scenario's name is the same wherever its file lies and in every
// version of the shipped tree, so that runs of it group together.
func TestName(t *testing.T) {
	t.Parallel()
	for path, want := range map[string]string{
		"embedded:sandbox/latency.yaml":                     "latency",
		"embedded:instance-stop.yaml":                       "instance-stop", // v0.3.0, before sandbox/
		"embedded:aws/latency.yaml":                         "aws/latency",
		"embedded:kubernetes/cpu-spike.yaml":                "kubernetes/cpu-spike",
		"scenarios/checkout.yaml":                           "checkout",
		"/home/runner/work/app/scenarios/checkout.yaml":     "checkout",
		`C:\Users\sato\scenarios\checkout.yml`:              "checkout",
		"/home/sato/.config/gameday/scenarios/aws/api.yaml": "api", // a user's file: no provider in front
	} {
		if got := scenarios.Name(path); got != want {
			t.Errorf("Name(%q) = %q, want %q", path, got, want)
		}
	}
}
