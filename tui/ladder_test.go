package tui

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// ladderPlan is latencyPlan whose f1 widens 1 target → 50% → 100%, each
// step held 30 s, for two minutes (a plan validate takes: the steps before
// the widest need 1 min).
func ladderPlan() *scenarios.Plan {
	p := latencyPlan()
	p.Faults[0].Duration = 2 * time.Minute
	p.Faults[0].Ladder = &scenarios.Ladder{Steps: []providers.Selection{{Count: 1}, {Percent: 50}, {Percent: 100}}, Hold: 30 * time.Second}
	p.Faults[0].Selection = providers.Selection{Count: 1}
	return p
}

// ladderSnap is ladderPlan 75 s in, as the engine journals it: step 1
// started at 0:31 on replica-3 and held at 1:01, was rolled back, and
// step 2 started at 1:02 on two replicas; its hold ends at 1:32, the
// fault at 2:31.
func ladderSnap() engine.Snapshot {
	p := ladderPlan()
	s := baselineSnap(p)
	s.Phase = engine.Observing
	s.PhaseStarted = t0.Add(31 * time.Second)
	s.PhaseEnds = t0.Add(151 * time.Second)
	s.Samples = samples(75, false)
	at := func(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }
	r3 := []providers.Target{{ID: "r3", Name: "replica-3"}}
	r13 := []providers.Target{{ID: "r1", Name: "replica-1"}, {ID: "r3", Name: "replica-3"}}
	fault := func(st engine.FaultState, step int, targets []providers.Target, injected int) *engine.FaultStatus {
		f := &engine.FaultStatus{Fault: p.Faults[0], State: st, Step: step, Targets: targets}
		if injected > 0 {
			f.InjectedAt, f.EndsAt = at(injected), at(151)
		}
		if st == engine.FaultRolledBack {
			f.Verification = &providers.Verification{Clean: true}
		}
		return f
	}
	stepRec := func(seq, sec, step int, what string, targets []providers.Target) engine.Record {
		sel := p.Faults[0].Ladder.Steps[step-1]
		return engine.Record{Seq: seq, At: at(sec), Type: engine.RecStep, Step: &engine.StepRecord{
			FaultID: "f1", Step: step, Of: 3, Selection: sel, What: what, From: at(sec), Targets: targets}}
	}
	s.Timeline = append(s.Timeline,
		phaseRec(3, at(30), "injecting"),
		engine.Record{Seq: 4, At: at(30), Type: engine.RecFault, Fault: fault(engine.FaultRequested, 1, nil, 0)},
		engine.Record{Seq: 5, At: at(31), Type: engine.RecFault, Fault: fault(engine.FaultActive, 1, r3, 31)},
		stepRec(6, 31, 1, engine.StepStarted, r3),
		phaseRec(7, at(31), "observing"),
		stepRec(8, 61, 1, engine.StepHeld, r3),
		engine.Record{Seq: 9, At: at(61), Type: engine.RecFault, Fault: fault(engine.FaultRollingBack, 1, r3, 31)},
		engine.Record{Seq: 10, At: at(61), Type: engine.RecFault, Fault: fault(engine.FaultRolledBack, 1, r3, 31)},
		engine.Record{Seq: 11, At: at(61), Type: engine.RecFault, Fault: fault(engine.FaultRequested, 2, nil, 0)},
		engine.Record{Seq: 12, At: at(62), Type: engine.RecFault, Fault: fault(engine.FaultActive, 2, r13, 62)},
		stepRec(13, 62, 2, engine.StepStarted, r13),
	)
	s.Faults[0] = *fault(engine.FaultActive, 2, r13, 62)
	return s
}

// TestConsoleLadder is the console and the presenter view while f1's
// ladder climbs: the ladder under its fault, with the keys that act on it.
func TestConsoleLadder(t *testing.T) {
	for _, layout := range []string{"console", "presenter"} {
		for _, sz := range sizes {
			t.Run(fmt.Sprintf("%s/%dx%d", layout, sz.w, sz.h), func(t *testing.T) {
				m, _ := consoleAt(t, ladderSnap(), sz.w, sz.h, t0.Add(75*time.Second))
				if layout == "presenter" {
					m, _ = step(t, m, keyMsg("p"))
				}
				requireView(t, m.View(), sz.w, sz.h)
			})
		}
	}
}

// TestLadderLineCountsFromTheStepsStart: the time to the next step is the
// current step's "started" record plus the hold — not the first step's,
// not the fault's injection, not the phase's start.
func TestLadderLineCountsFromTheStepsStart(t *testing.T) {
	s := ladderSnap()
	// A status whose injection time is the first step's: a line counted
	// from it would say the hold is over.
	s.Faults[0].InjectedAt = t0.Add(31 * time.Second)
	m, _ := consoleAt(t, s, 160, 48, t0.Add(75*time.Second))
	want := "▮▮▯ step 2/3 (50%) · widening to 100% in 0:17 · h hold · W widen now"
	if v := view(m); !strings.Contains(v, want) {
		t.Errorf("the ladder line is not %q:\n%s", want, v)
	}
	// Five seconds later, five seconds less.
	m, _ = consoleAt(t, s, 160, 48, t0.Add(80*time.Second))
	if v := view(m); !strings.Contains(v, "widening to 100% in 0:12") {
		t.Errorf("5 s later the ladder does not say 0:12:\n%s", v)
	}
}

// TestLadderStates: the ladder line says where the ladder is at each of
// the engine's moves, and the keys show (in the line and in help) only
// while it climbs.
func TestLadderStates(t *testing.T) {
	p := ladderPlan()
	at := func(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }
	stepRec := func(seq, sec, step int, what string) engine.Record {
		return engine.Record{Seq: seq, At: at(sec), Type: engine.RecStep, Step: &engine.StepRecord{
			FaultID: "f1", Step: step, Of: 3, Selection: p.Faults[0].Ladder.Steps[step-1], What: what}}
	}
	faultRec := func(seq, sec int, st engine.FaultState, step int) engine.Record {
		return engine.Record{Seq: seq, At: at(sec), Type: engine.RecFault, Fault: &engine.FaultStatus{Fault: p.Faults[0], State: st, Step: step}}
	}
	with := func(f func(s *engine.Snapshot)) engine.Snapshot {
		s := ladderSnap()
		f(&s)
		return s
	}
	tests := map[string]struct {
		snap engine.Snapshot
		now  int
		want string
		keys bool // h and W in the line and in help
		hold bool // h alone: the widest step
	}{
		"climbing":                {snap: ladderSnap(), now: 75, want: "▮▮▯ step 2/3 (50%) · widening to 100% in 0:17", keys: true},
		"hold over, being judged": {snap: ladderSnap(), now: 93, want: "▮▮▯ step 2/3 (50%) · judging the step…", keys: true},
		"held, widening": {snap: with(func(s *engine.Snapshot) {
			s.Timeline = append(s.Timeline, stepRec(14, 92, 2, engine.StepHeld), faultRec(15, 92, engine.FaultRollingBack, 2))
			s.Faults[0].State = engine.FaultRollingBack
		}), now: 92, want: "▮▮▯ step 2/3 (50%) · held · widening to 100%…"},
		"next step starting": {snap: with(func(s *engine.Snapshot) {
			s.Timeline = append(s.Timeline, stepRec(14, 92, 2, engine.StepHeld), faultRec(15, 93, engine.FaultRequested, 3))
			s.Faults[0].State, s.Faults[0].Step = engine.FaultInjecting, 3
		}), now: 93, want: "▮▮▮ step 3/3 (100%) · starting…"},
		"widest step climbing": {snap: with(func(s *engine.Snapshot) {
			s.Timeline = append(s.Timeline, stepRec(14, 92, 2, engine.StepHeld), faultRec(15, 93, engine.FaultRequested, 3), stepRec(16, 94, 3, engine.StepStarted))
			s.Faults[0].Step = 3
		}), now: 100, want: "▮▮▮ step 3/3 (100%) · the widest step · judged in 0:24", hold: true},
		"held by the facilitator": {snap: with(func(s *engine.Snapshot) {
			s.Timeline = append(s.Timeline, stepRec(14, 70, 2, engine.StepHeldByFacilitator))
		}), now: 75, want: "▮▮▯ step 2/3 (50%) · held here by the facilitator until the fault ends"},
		"breached": {snap: with(func(s *engine.Snapshot) {
			s.Timeline = append(s.Timeline, stepRec(14, 70, 2, engine.StepBreached), faultRec(15, 70, engine.FaultRollingBack, 2))
			s.Faults[0].State = engine.FaultRollingBack
		}), now: 75, want: "▮▮▯ step 2/3 (50%) · ✘ breached · rolling the step back"},
		"breached, the last step that held again": {snap: with(func(s *engine.Snapshot) {
			s.Plan.Faults[0].Ladder.OnBreach = scenarios.OnBreachHold
			s.Timeline = append(s.Timeline, stepRec(14, 70, 2, engine.StepBreached), faultRec(15, 70, engine.FaultRollingBack, 2),
				faultRec(16, 71, engine.FaultRolledBack, 2), faultRec(17, 71, engine.FaultRequested, 1), stepRec(18, 72, 1, engine.StepStarted))
			s.Faults[0].Step = 1
		}), now: 80, want: "▮▯▯ step 1/3 (1 target) · the last step that held, after step 2 breached · until the fault ends"},
		"stopped after a breach": {snap: with(func(s *engine.Snapshot) {
			s.Timeline = append(s.Timeline, stepRec(14, 70, 2, engine.StepBreached), faultRec(15, 70, engine.FaultRollingBack, 2), faultRec(16, 71, engine.FaultRolledBack, 2))
			s.Faults[0].State = engine.FaultRolledBack
		}), now: 75, want: "▮▮▯ step 2/3 (50%) · ✘ breached · the ladder stopped"},
		"fault ended mid-step": {snap: with(func(s *engine.Snapshot) {
			s.Timeline = append(s.Timeline, faultRec(14, 91, engine.FaultRollingBack, 2), faultRec(15, 91, engine.FaultRolledBack, 2))
			s.Faults[0].State = engine.FaultRolledBack
		}), now: 92, want: "▮▮▯ step 2/3 (50%) · ended before the step was judged"},
		"held, then the fault ended before the next step": {snap: with(func(s *engine.Snapshot) {
			s.Phase = engine.Recovering
			s.Timeline = append(s.Timeline, stepRec(14, 92, 2, engine.StepHeld), faultRec(15, 92, engine.FaultRollingBack, 2), faultRec(16, 93, engine.FaultRolledBack, 2))
			s.Faults[0].State = engine.FaultRolledBack
		}), now: 95, want: "▮▮▯ step 2/3 (50%) · held · the fault ended before the next step"},
		"the fault ends before the step's hold": {snap: with(func(s *engine.Snapshot) {
			s.Faults[0].EndsAt = t0.Add(91 * time.Second)
		}), now: 75, want: "▮▮▯ step 2/3 (50%) · the fault ends in 0:16, before the step's hold", keys: true},
		"rolling back at the phase's end": {snap: with(func(s *engine.Snapshot) {
			s.Phase = engine.RollingBack
			s.Faults[0].State = engine.FaultRollingBack
		}), now: 91, want: "▮▮▯ step 2/3 (50%) · rolling back…"},
		"fired again: starts over": {snap: with(func(s *engine.Snapshot) {
			s.Timeline = append(s.Timeline, stepRec(14, 70, 2, engine.StepBreached), faultRec(15, 71, engine.FaultRolledBack, 2),
				faultRec(16, 80, engine.FaultRequested, 1), stepRec(17, 81, 1, engine.StepStarted))
			s.Faults[0].Step = 1
		}), now: 90, want: "▮▯▯ step 1/3 (1 target) · widening to 50% in 0:21", keys: true},
		"fired again after holding the last step that held: starts over": {snap: with(func(s *engine.Snapshot) {
			s.Plan.Faults[0].Ladder.OnBreach = scenarios.OnBreachHold
			s.Timeline = append(s.Timeline, stepRec(14, 70, 2, engine.StepBreached), faultRec(15, 71, engine.FaultRolledBack, 2),
				faultRec(16, 71, engine.FaultRequested, 1), stepRec(17, 72, 1, engine.StepStarted), faultRec(18, 91, engine.FaultRolledBack, 1),
				faultRec(19, 100, engine.FaultRequested, 1), stepRec(20, 101, 1, engine.StepStarted))
			s.Faults[0].Step = 1
		}), now: 110, want: "▮▯▯ step 1/3 (1 target) · widening to 50% in 0:21", keys: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			m, _ := consoleAt(t, tc.snap, 160, 48, t0.Add(time.Duration(tc.now)*time.Second))
			v := view(m)
			if !strings.Contains(v, tc.want) {
				t.Errorf("the ladder line lacks %q:\n%s", tc.want, v)
			}
			h := helpText(m)
			hasHold, hasWiden := strings.Contains(h, "h hold"), strings.Contains(h, "W widen now")
			if hasHold != (tc.keys || tc.hold) || hasWiden != tc.keys {
				t.Errorf("help %q: hold %v widen %v, want %v %v", h, hasHold, hasWiden, tc.keys || tc.hold, tc.keys)
			}
			if line := lineWith(v, tc.want); strings.Contains(line, "W widen now") != tc.keys {
				t.Errorf("the ladder line %q offers W: %v, want %v", line, !tc.keys, tc.keys)
			}
		})
	}
}

// lineWith is the line of v that holds s.
func lineWith(v, s string) string {
	for _, l := range strings.Split(v, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

// TestLadderKeys: h and W call the run while a ladder climbs and say so on
// the status line; otherwise they call nothing and say why. In dry run
// they are not bound.
func TestLadderKeys(t *testing.T) {
	t.Run("hold", func(t *testing.T) {
		m, run := consoleAt(t, ladderSnap(), 80, 24, t0.Add(75*time.Second))
		m, cmd := step(t, m, keyMsg("h"))
		m, _ = through[ladderDoneMsg](t, m, cmd)
		if got := run.ladderCalls(); !slices.Equal(got, []string{"hold f1"}) {
			t.Errorf("h called %v, want [hold f1]", got)
		}
		if want := "f1 latency: held at step 2 of 3 (50%) until the fault ends."; m.banner != want {
			t.Errorf("h says %q, want %q", m.banner, want)
		}
	})
	t.Run("widen now", func(t *testing.T) {
		m, run := consoleAt(t, ladderSnap(), 80, 24, t0.Add(75*time.Second))
		m, cmd := step(t, m, keyMsg("W"))
		m, _ = through[ladderDoneMsg](t, m, cmd)
		if got := run.ladderCalls(); !slices.Equal(got, []string{"widen f1"}) {
			t.Errorf("W called %v, want [widen f1]", got)
		}
		if want := "f1 latency: step 2 of 3 is judged now; if it held, the ladder widens to 100%."; m.banner != want {
			t.Errorf("W says %q, want %q", m.banner, want)
		}
	})
	t.Run("the run refuses", func(t *testing.T) {
		m, run := consoleAt(t, ladderSnap(), 80, 24, t0.Add(75*time.Second))
		run.ladderErr = errors.New("widen f1: step 2 has measured nothing yet; give it a few seconds")
		m, cmd := step(t, m, keyMsg("W"))
		m, _ = through[errMsg](t, m, cmd)
		if !strings.Contains(m.banner, "step 2 has measured nothing yet") {
			t.Errorf("the run's refusal is not on the status line: %q", m.banner)
		}
	})
	p := latencyPlan()
	widest := ladderSnap()
	widest.Faults[0].Step = 3
	widest.Timeline = append(widest.Timeline,
		engine.Record{Seq: 14, At: t0.Add(92 * time.Second), Type: engine.RecStep, Step: &engine.StepRecord{FaultID: "f1", Step: 3, Of: 3, What: engine.StepStarted}})
	kept := ladderSnap()
	kept.Timeline = append(kept.Timeline,
		engine.Record{Seq: 14, At: t0.Add(70 * time.Second), Type: engine.RecStep, Step: &engine.StepRecord{FaultID: "f1", Step: 2, Of: 3, What: engine.StepHeldByFacilitator}})
	baseline := baselineSnap(ladderPlan())
	tests := map[string]struct {
		snap   engine.Snapshot
		key    string
		dryRun bool
		want   string
	}{
		"no ladder":           {snap: activeSnap(p), key: "h", want: "Key h: this plan has no ladder."},
		"not started":         {snap: baseline, key: "W", want: "Key W: no ladder is climbing; f1 latency has not started."},
		"held by facilitator": {snap: kept, key: "h", want: "Key h: no ladder is climbing now (f1 latency: step 2/3 (50%) · held here by the facilitator until the fault ends)."},
		"widest step":         {snap: widest, key: "W", want: "f1 latency is at its widest step (3 of 3): nothing to widen to; h holds it."},
		"dry run":             {snap: ladderSnap(), key: "W", dryRun: true, want: "Key W: dry run: nothing is injected, so no ladder climbs."},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			run := newFakeRun(t, tc.snap)
			cfg := testConfig(run, 80, 24, t0.Add(100*time.Second))
			cfg.DryRun = tc.dryRun
			m := New(cfg)
			m, _ = step(t, m, startedMsg{plan: tc.snap.Plan, run: run})
			m, _ = step(t, m, snapshotMsg{gen: m.gen, snap: tc.snap})
			if got := answer(t, m, tc.key); got != tc.want {
				t.Errorf("%s says %q, want %q", tc.key, got, tc.want)
			}
			if got := run.ladderCalls(); len(got) != 0 {
				t.Errorf("%s called the run: %v", tc.key, got)
			}
			if tc.dryRun && (m.console.keys.Hold.Enabled() || m.console.keys.Widen.Enabled() || strings.Contains(helpText(m), "widen")) {
				t.Error("the ladder keys are bound in dry run")
			}
		})
	}
	t.Run("aborting", func(t *testing.T) {
		m, run := consoleAt(t, ladderSnap(), 80, 24, t0.Add(75*time.Second))
		m, _ = step(t, m, keyMsg("ctrl+x"))
		m, _ = step(t, m, keyMsg("esc"))
		if got := answer(t, m, "h"); !strings.HasPrefix(got, "Key h: no ladder is climbing now (f1 latency: step 2/3 (50%) · no longer widening") {
			t.Errorf("h while aborting says %q", got)
		}
		if got := run.ladderCalls(); len(got) != 0 {
			t.Errorf("h while aborting called the run: %v", got)
		}
	})
}

// TestFlowLadderKeys drives the program: h reaches the run and the status
// line says so; abort works as always after it.
func TestFlowLadderKeys(t *testing.T) {
	run := newFakeRun(t, ladderSnap())
	run.finishOnAbort = true
	tm := startConsole(t, testConfig(run, 80, 24, t0.Add(75*time.Second)))
	tm.Type("h")
	teatest.WaitFor(t, tm.Output(), contains("held at step 2 of 3 (50%)"), teatest.WithDuration(waitLong))
	tm.Send(keyMsg("ctrl+x"))
	recv(t, run.abortCh, "Abort")
	tm.Send(keyMsg("esc"))
	tm.Send(keyMsg("q"))
	fm := finalModel(t, tm)
	if got := run.ladderCalls(); !slices.Equal(got, []string{"hold f1"}) {
		t.Errorf("ladder calls %v, want [hold f1]", got)
	}
	if !fm.Aborted() {
		t.Error("ctrl+x after h did not abort")
	}
}

// TestLadderLineFitsNarrow: at 80 columns a ladder of counts ("2 targets"
// is longer than "50%") leaves out the next step's selection rather than
// cut the keys, in both languages.
func TestLadderLineFitsNarrow(t *testing.T) {
	for lang, want := range map[engine.Lang][]string{
		engine.English:  {"▮▮▯ step 2/3 (2 targets) · widening in 0:17 · h hold · W widen now"},
		engine.Japanese: {"▮▮▯ 段階 2/3 (2 件) · 0:17 後に 3 件 へ拡大 · h 維持 · W 今すぐ拡大"},
	} {
		t.Run(string(lang), func(t *testing.T) {
			s := ladderSnap()
			s.Plan.Faults[0].Ladder.Steps = []providers.Selection{{Count: 1}, {Count: 2}, {Count: 3}}
			run := newFakeRun(t, s)
			cfg := testConfig(run, 80, 24, t0.Add(75*time.Second))
			cfg.Lang = lang
			m := New(cfg)
			m, _ = step(t, m, startedMsg{plan: s.Plan, run: run})
			m, _ = step(t, m, snapshotMsg{gen: m.gen, snap: s})
			for _, layout := range []string{"console", "presenter"} {
				v := view(m)
				for _, w := range want {
					if !strings.Contains(v, w) {
						t.Errorf("%s: the ladder line is not %q:\n%s", layout, w, v)
					}
				}
				m, _ = step(t, m, keyMsg("p"))
			}
		})
	}
}
