package sandbox_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/providers/sandbox"
)

// TestSpec checks what the sandbox declares a scenario may say to it, and
// that SpecFor honours the names selector.
func TestSpec(t *testing.T) {
	s := sandbox.Spec()
	if s.Name != "sandbox" || !slices.Equal(s.Kinds, providers.Kinds) || s.NoLoadNeeded || len(s.Target) != 0 || len(s.Params) != 0 {
		t.Errorf("Spec = %+v: want the sandbox, the six classic kinds, no target fields or extra params, and load needed", s)
	}
	for kind, want := range map[providers.Kind][]string{
		providers.InstanceStop:     {"kill", "pause"},
		providers.DBFailure:        {"stop", "pause"},
		providers.DependencyOutage: {"blackhole", "error"},
	} {
		if !slices.Equal(s.Modes[kind], want) {
			t.Errorf("modes of %s: %v, want %v (the first is the default)", kind, s.Modes[kind], want)
		}
		// Every mode it declares, SpecFor takes.
		for _, m := range want {
			if _, err := sandbox.SpecFor(providers.Fault{ID: "f1", Kind: kind, Params: providers.Params{Mode: m}}, time.Minute); err != nil {
				t.Errorf("SpecFor %s mode %s: %v", kind, m, err)
			}
		}
	}
	if len(s.Selector) != 1 || s.Selector[0].Name != "names" || s.Selector[0].Type != providers.FieldStrings || s.Selector[0].Check == nil {
		t.Fatalf("Selector = %+v, want names, a list of text", s.Selector)
	}
	check := s.Selector[0].Check
	for name, tc := range map[string]struct {
		v    any
		want string
	}{
		"list":        {[]any{"replica-1", "replica-12"}, ""},
		"one":         {"replica-2", ""},
		"empty":       {[]any{}, "at least one"},
		"not a name":  {[]any{"db"}, `"db" is not a replica name`},
		"zero":        {[]any{"replica-0"}, "not a replica name"},
		"named twice": {[]string{"replica-1", "replica-1"}, "named twice"},
	} {
		err := check(tc.v)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: Check(%v) = %v, want %q", name, tc.v, err, tc.want)
		}
	}
	names := providers.Fields{"names": []any{"replica-2"}}
	for name, tc := range map[string]struct {
		f    providers.Fault
		want string
	}{
		"names on a replica kind": {providers.Fault{Kind: providers.CPUStress, Target: names}, ""},
		"names and a selection":   {providers.Fault{Kind: providers.InstanceStop, Target: names, Selection: providers.Selection{Percent: 50}}, "selection: the fault names its replicas in target.names; drop the selection"},
		"names on the database":   {providers.Fault{Kind: providers.DBFailure, Target: names}, "target.names: a db-failure acts on the sandbox's one database"},
		"names on the dependency": {providers.Fault{Kind: providers.DependencyOutage, Target: names}, "target.names: a dependency-outage acts on the sandbox's one dependency"},
		"no names":                {providers.Fault{Kind: providers.DBFailure}, ""},
	} {
		errs := s.CheckFault(nil, tc.f)
		if tc.want == "" && len(errs) > 0 || tc.want != "" && (len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.want)) {
			t.Errorf("%s: CheckFault = %v, want %q", name, errs, tc.want)
		}
	}
	spec, err := sandbox.SpecFor(providers.Fault{ID: "f1", Kind: providers.MemoryStress, Target: names, Params: providers.Params{MemoryMB: 8}}, time.Minute)
	if err != nil || !slices.Equal(spec.Replicas, []string{"replica-2"}) {
		t.Errorf("SpecFor with names: %s, %v; want replicas [replica-2]", spec, err)
	}
	var c sandbox.Client
	for f, want := range map[*providers.Fault]bool{
		{ID: "f1", Kind: providers.InstanceStop, Selection: providers.Selection{Percent: 25}}:                       true,
		{ID: "f2", Kind: providers.InstanceStop, Target: names}:                                                     false,
		{ID: "f3", Kind: providers.Latency, Params: providers.Params{Delay: time.Millisecond}}:                      false,
		{ID: "f4", Kind: providers.DBFailure, Selection: providers.Selection{Count: 1}}:                             false,
		{ID: "f5", Kind: providers.CPUStress, Selection: providers.Selection{Count: 1}, Params: providers.Params{}}: true,
	} {
		if got := c.PicksAtInject(*f); got != want {
			t.Errorf("PicksAtInject(%s %s) = %v, want %v", f.ID, f.Kind, got, want)
		}
	}
}
