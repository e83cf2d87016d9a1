package tui

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/scenarios"
)

// productionPlan is the fixture plan against a target marked production.
func productionPlan() *scenarios.Plan {
	p := latencyPlan()
	p.Title = "Payments latency"
	p.Target = scenarios.Target{Provider: "sandbox", Name: "payments-prod", Environment: "production"}
	return p
}

// startRecorder is a Start that hands out run and reports each plan it
// was asked to start.
func startRecorder(run *fakeRun) (func(context.Context, *scenarios.Plan) (Run, error), chan *scenarios.Plan) {
	ch := make(chan *scenarios.Plan, 8)
	return func(_ context.Context, p *scenarios.Plan) (Run, error) {
		ch <- p
		return run, nil
	}, ch
}

func noStart(t *testing.T, ch chan *scenarios.Plan, when string) {
	t.Helper()
	select {
	case p := <-ch:
		t.Fatalf("%s: %q was started", when, p.Title)
	default:
	}
}

// TestFlowProductionGuard: enter on a production plan asks for the
// target's name; a wrong name keeps the run from starting and says so,
// esc cancels, and only the exact name starts it.
func TestFlowProductionGuard(t *testing.T) {
	run := newFakeRun(t, baselineSnap(productionPlan()))
	run.finishOnAbort = true
	cfg := testConfig(run, 80, 24, t0.Add(10*time.Second))
	cfg.Plans = []*scenarios.Plan{productionPlan(), latencyPlan()}
	var started chan *scenarios.Plan
	cfg.Start, started = startRecorder(run)

	tm := teatest.NewTestModel(t, New(cfg), teatest.WithInitialTermSize(80, 24))
	t.Cleanup(func() { _ = tm.Quit() })
	out := tm.Output()
	teatest.WaitFor(t, out, contains("starting asks you to type payments-prod"), teatest.WithDuration(waitLong))

	tm.Send(keyMsg("enter"))
	teatest.WaitFor(t, out, contains("type payments-prod to start against production"), teatest.WithDuration(waitLong))
	// Keys that mean something elsewhere are text here.
	tm.Type("payments q?X")
	tm.Send(keyMsg("enter"))
	teatest.WaitFor(t, out, contains(`"payments q?X" is not payments-prod`), teatest.WithDuration(waitLong))
	noStart(t, started, "a wrong name")

	tm.Send(keyMsg("esc"))
	teatest.WaitFor(t, out, contains("Not started"), teatest.WithDuration(waitLong))
	noStart(t, started, "esc")

	tm.Send(keyMsg("enter"))
	teatest.WaitFor(t, out, contains("type payments-prod to start"), teatest.WithDuration(waitLong))
	tm.Type("payments-prod")
	tm.Send(keyMsg("enter"))
	if p := recv(t, started, "Start"); p.Title != "Payments latency" {
		t.Errorf("started %q, want the production plan", p.Title)
	}
	teatest.WaitFor(t, out, contains("Timeline"), teatest.WithDuration(waitLong))
	noStart(t, started, "one confirmation")
	tm.Send(keyMsg("ctrl+c"))
	finalModel(t, tm)
}

// In a dry run nothing is injected, so a production plan starts at once.
func TestProductionGuardNotNeededInDryRun(t *testing.T) {
	run := newFakeRun(t, baselineSnap(productionPlan()))
	cfg := testConfig(run, 80, 24, t0)
	cfg.Plans = []*scenarios.Plan{productionPlan()}
	cfg.DryRun = true
	var started chan *scenarios.Plan
	cfg.Start, started = startRecorder(run)
	m := New(cfg)
	if v := ansi.Strip(m.View()); !strings.Contains(v, "a dry run injects nothing") {
		t.Errorf("the card does not say the dry run needs no confirmation:\n%s", v)
	}
	m, cmd := step(t, m, keyMsg("enter"))
	if m.picker.confirming != nil || cmd == nil {
		t.Fatalf("dry run: confirming %v, command %v; want a start without confirmation", m.picker.confirming != nil, cmd != nil)
	}
	_, cmd = through[startRunMsg](t, m, cmd)
	runAll(cmd)
	if p := recv(t, started, "Start"); p.Title != "Payments latency" {
		t.Errorf("started %q", p.Title)
	}
}

// A run the engine's preflight refuses (blast radius) shows an error
// banner and stays in the picker, ready to start again.
func TestStartRefusedShowsBanner(t *testing.T) {
	cfg := testConfig(nil, 80, 24, t0)
	refusal := fmt.Errorf("%w: refusing to start: f1 latency matches nothing right now", engine.ErrBlastRadius)
	cfg.Start = func(context.Context, *scenarios.Plan) (Run, error) { return nil, refusal }
	tm := teatest.NewTestModel(t, New(cfg), teatest.WithInitialTermSize(80, 24))
	t.Cleanup(func() { _ = tm.Quit() })
	teatest.WaitFor(t, tm.Output(), contains("pick a scenario"), teatest.WithDuration(waitLong))
	tm.Send(keyMsg("enter"))
	teatest.WaitFor(t, tm.Output(), contains("blast radius refused: refusing to start"), teatest.WithDuration(waitLong))
	if err := tm.Quit(); err != nil { // not a key: a key would clear the banner
		t.Fatal(err)
	}
	m := finalModel(t, tm)
	if m.screen != screenPicker || m.run != nil {
		t.Fatalf("a refused start left the picker (screen %d)", m.screen)
	}
	if m.bannerKind != bannerError || !strings.Contains(m.banner, "matches nothing right now") {
		t.Errorf("banner %q (kind %d), want the refusal as an error", m.banner, m.bannerKind)
	}
	if !m.picker.keys.Start.Enabled() {
		t.Error("the start key is not bound again after a refusal")
	}
}

func TestPickerCardShowsDryRunCalls(t *testing.T) {
	cfg := testConfig(nil, 100, 40, t0)
	cfg.DryRun = true
	m := New(cfg)
	m, _ = step(t, m, previewMsg{plan: cfg.Plans[0], previews: []FaultPreview{{
		FaultID: "f1", Summary: "will delay 1 of 4 replicas: replica-3",
		Calls: []string{"POST http://127.0.0.1:7070/hooks latency", "DELETE http://127.0.0.1:7070/hooks/{id}"},
	}}})
	v := ansi.Strip(m.View())
	for _, want := range []string{"each fault would call", "f1: POST http://127.0.0.1:7070/hooks latency", "f1: DELETE http://127.0.0.1:7070/hooks/{id}"} {
		if !strings.Contains(v, want) {
			t.Errorf("card lacks %q:\n%s", want, v)
		}
	}
}

// The console shows a dry-run fault as not injected, with its calls.
func TestConsoleShowsDryRunFault(t *testing.T) {
	s := faultPhaseSnap(latencyPlan())
	s.Faults[0].State = engine.FaultDryRun
	s.Faults[0].Calls = []string{"POST http://127.0.0.1:7070/hooks latency"}
	m, _ := consoleAt(t, s, 100, 40, t0.Add(40*time.Second))
	v := ansi.Strip(m.View())
	for _, want := range []string{"◌ dry run: not injected", "would call: POST http://127.0.0.1:7070/hooks latency"} {
		if !strings.Contains(v, want) {
			t.Errorf("console lacks %q:\n%s", want, v)
		}
	}
}

// runAll runs cmd and every command of a batch or a sequence it returns,
// in order; only for commands known not to block.
func runAll(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	msg := cmd()
	if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeFor[tea.Cmd]() {
		for i := range v.Len() {
			runAll(v.Index(i).Interface().(tea.Cmd))
		}
	}
}
