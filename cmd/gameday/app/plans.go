package app

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/gameday-tui/gameday/scenarios"
)

// scenarioOptions are the providers and sources this build knows, for the
// scenario loader.
func scenarioOptions() scenarios.Options { return defaultRegistry().options() }

// planName is the name `gameday run` accepts for p, as `gameday list`
// shows it: a shipped sandbox scenario by its file name ("latency"), a
// shipped scenario of another provider with the provider in front
// ("aws/latency", "kubernetes/latency"), a user's file by its file name.
func planName(p *scenarios.Plan) string { return scenarios.Name(p.Path) }

// findPlan resolves a scenario argument: a path to a file, or the name of a
// shipped or user scenario — its name as `gameday list` shows it
// ("latency", "aws/latency"), its embedded path, or its title
// (case-insensitive).
func findPlan(arg string, extraDirs []string) (*scenarios.Plan, error) {
	return findPlanWith(arg, extraDirs, scenarioOptions())
}

// findPlanWith is findPlan with the loader's options.
func findPlanWith(arg string, extraDirs []string, opts scenarios.Options) (*scenarios.Plan, error) {
	if fi, err := os.Stat(arg); err == nil && !fi.IsDir() {
		return scenarios.LoadFile(arg, opts)
	}
	return findPlanNamed(arg, extraDirs, opts)
}

// findPlanNamed finds a shipped or user scenario by its name as `gameday
// list` shows it, its embedded path, or its title — never a file in the
// working directory.
func findPlanNamed(arg string, extraDirs []string, opts scenarios.Options) (*scenarios.Plan, error) {
	plans, _ := scenarios.Discover(scenarios.SearchDirs(extraDirs), opts)
	var matches []*scenarios.Plan
	for _, p := range plans {
		if p.Path == arg || planName(p) == arg || strings.EqualFold(p.Title, arg) {
			matches = append(matches, p)
		}
	}
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		names := make([]string, 0, len(plans))
		for _, p := range plans {
			names = append(names, planName(p))
		}
		return nil, fmt.Errorf("scenario %q: no such file or scenario (known: %s; see gameday list)", arg, strings.Join(names, ", "))
	}
	paths := make([]string, len(matches))
	for i, p := range matches {
		paths[i] = p.Path
	}
	return nil, errors.New("scenario " + fmt.Sprintf("%q", arg) + " is ambiguous: " + strings.Join(paths, ", ") + "; give a path")
}
