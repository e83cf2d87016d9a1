package scenarios_test

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// TestShippedDrill: the free-form drill gives every fault kind a number
// key from day one. Every fault is fired by hand (none by the schedule),
// ends by itself after a duration, and the fault phase is long enough for
// a game day; it is a valid sandbox plan, also with shortened phases.
func TestShippedDrill(t *testing.T) {
	var data []byte
	for _, f := range scenarios.ShippedFiles() {
		if f.Path == drillPath {
			data = f.Data
		}
	}
	if data == nil {
		t.Fatalf("%s is not shipped", drillPath)
	}
	p, err := scenarios.Parse(drillPath, data, testOptions())
	if err != nil {
		t.Fatalf("the drill is invalid:\n%v", err)
	}
	if err := p.Validate(testOptions()); err != nil {
		t.Errorf("the drill does not validate: %v", err)
	}
	if p.Target.Provider != "sandbox" || p.Target.Production() {
		t.Errorf("target = %+v, want the sandbox, not production", p.Target)
	}
	if p.Phases.Fault < 10*time.Minute || p.Phases.Baseline < 10*time.Second || p.Phases.Recovery < 30*time.Second {
		t.Errorf("phases %+v: want a long fault phase (10 min or more) between a real baseline and recovery", p.Phases)
	}
	if len(p.Faults) > 9 {
		t.Errorf("%d faults: only 9 have a number key", len(p.Faults))
	}
	var kinds []providers.Kind
	for _, f := range p.Faults {
		kinds = append(kinds, f.Kind)
		if !f.Manual {
			t.Errorf("%s %s fires by itself; in the drill every fault is fired by key", f.ID, f.Kind)
		}
		if f.Duration <= 0 || f.Duration > 2*time.Minute {
			t.Errorf("%s %s lasts %s; want a duration of its own, at most 2 min", f.ID, f.Kind, f.Duration)
		}
	}
	for _, k := range providers.Kinds {
		if !slices.Contains(kinds, k) {
			t.Errorf("the drill has no %s fault", k)
		}
	}
	if len(p.StopConditions) == 0 {
		t.Error("the drill has no stop condition")
	}
	// English in the fields, Japanese in translations.ja, as the six
	// patterns.
	isJapanese := func(s string) bool {
		return strings.ContainsFunc(s, func(r rune) bool { return unicode.In(r, unicode.Hiragana, unicode.Katakana, unicode.Han) })
	}
	ja := p.Localized("ja")
	for i, s := range []string{p.Title, p.Hypothesis, p.BlastRadius, p.Rollback, p.Description} {
		if isJapanese(s) || !isJapanese([]string{ja.Title, ja.Hypothesis, ja.BlastRadius, ja.Rollback, ja.Description}[i]) {
			t.Errorf("text field %d: English %q, Japanese %q", i, s, []string{ja.Title, ja.Hypothesis, ja.BlastRadius, ja.Rollback, ja.Description}[i])
		}
	}
	short := p.WithPhases(scenarios.Phases{Baseline: 2 * time.Second, Fault: 30 * time.Second, Recovery: 2 * time.Second})
	if err := short.Validate(testOptions()); err != nil {
		t.Errorf("the drill with short phases is invalid: %v", err)
	}
}
