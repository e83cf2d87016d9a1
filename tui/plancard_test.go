package tui

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/scenarios"
)

// cardWidths are the widths the card is drawn at: below the list at 56
// columns, and beside it on a wide terminal.
var cardWidths = []int{56, 100}

// barePlan has nothing optional: no faults, no bounds, no stop
// conditions, no built-in load; its description has the hard line breaks
// of a YAML block scalar and a passage in Japanese.
func barePlan() *scenarios.Plan {
	return &scenarios.Plan{
		Path:        "/home/ops/scenarios/observe.yaml",
		Title:       "Observe only",
		Hypothesis:  "Nothing happens when nothing is injected",
		BlastRadius: "none",
		Rollback:    "nothing to roll back",
		Target:      scenarios.Target{Provider: "sandbox"},
		Phases:      scenarios.Phases{Baseline: 10 * time.Second, Fault: 90 * time.Second, Recovery: 0},
		Description: "Watch the system for a while\nwithout touching it.\nこれは観察だけのシナリオです。\n\nA second paragraph.",
	}
}

// TestPlanCard is the plan card on its own: each state of the preview,
// the production guard with and without a dry run, and a bare plan.
func TestPlanCard(t *testing.T) {
	twoFaults := []FaultPreview{
		{FaultID: "f1", Summary: "will delay 1 of 4 replicas: replica-3"},
		{FaultID: "f2", Summary: "will stop 1 of 4 replicas: replica-1"},
	}
	tests := map[string]planCard{
		"resolved":  {plan: latencyPlan(), preview: previewState{previews: twoFaults}},
		"resolving": {plan: latencyPlan(), preview: previewState{loading: true}},
		"unresolved": {plan: latencyPlan(), preview: previewState{
			err: errors.New("connect sandbox: dial tcp 127.0.0.1:7070: connection refused")}},
		"production": {plan: productionPlan(), preview: previewState{previews: twoFaults}},
		"production dry run": {plan: productionPlan(), dryRun: true, preview: previewState{previews: []FaultPreview{{
			FaultID: "f1", Summary: "would delay 1 of 4 replicas: replica-3",
			Calls: []string{"POST http://127.0.0.1:7070/hooks latency", "DELETE http://127.0.0.1:7070/hooks/{id}"},
		}}}},
		// Calls longer than the card: their continuation lines are
		// indented, and must still fit.
		"long calls": {plan: latencyPlan(), dryRun: true, preview: previewState{previews: []FaultPreview{{
			FaultID: "f1", Summary: "would delay 1 of 4 replicas",
			Calls: []string{"fis:StartExperiment arn:aws:fis:eu-west-1:123456789012:experiment-template/EXTabcdef0123456789 latency 300ms on i-0123456789abcdef0"},
		}}}},
		"japanese": {plan: japanesePlan()},
		"bare":     {plan: barePlan()},
		// The console's own words in Japanese: the labels line up by
		// their display width.
		"japanese labels": {plan: japanesePlan(), tr: newPrinter(engine.Japanese), preview: previewState{previews: []FaultPreview{
			{FaultID: "f1", Summary: "will stop the database: db"}}}},
	}
	for name, card := range tests {
		card.styles = DefaultStyles()
		if card.tr == nil {
			card.tr = newPrinter(engine.English)
		}
		for _, w := range cardWidths {
			t.Run(fmt.Sprintf("%s/%d", name, w), func(t *testing.T) {
				lines := card.lines(w)
				for i, l := range lines {
					if lw := ansi.StringWidth(l); lw > w {
						t.Errorf("line %d is %d cells wide, more than %d: %q", i+1, lw, w, ansi.Strip(l))
					}
				}
				golden.RequireEqual(t, []byte(ansi.Strip(strings.Join(lines, "\n"))+"\n"))
			})
		}
	}
}

func TestPlanCardWithoutPlanIsEmpty(t *testing.T) {
	if got := (planCard{styles: DefaultStyles(), tr: newPrinter(engine.English)}).lines(80); len(got) != 0 {
		t.Errorf("a card without a plan has %d lines, want none", len(got))
	}
}
