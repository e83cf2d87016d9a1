package engine

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// The history fixture: the journals of two scenarios run over five weeks,
// as a team's state directory and a CI job's artifacts would hold them
// (testdata/history, written with -update):
//
//   - the shipped random instance stop, weekly on Saturdays at 15:00 CET:
//     a v0.3.0 journal (testdata/v0.3.0-run.jsonl, from before the
//     shipped files moved into sandbox/ and the title changed), a
//     violated run, an aborted one, two that held, a dry run, and a run
//     that died in its fault phase, its last line torn;
//   - a team's checkout latency ladder (10% → 25% → 50%), every other
//     Monday: first from a laptop (scenarios/checkout-latency.yaml), then
//     from CI (/home/runner/work/shop/shop/scenarios/…, in the artifact
//     folders of two CI runs); it breaks off at the second step, then the
//     third, then holds at every step.
//
// A k6 summary in JSON lines sits among the artifacts: not a journal.
// Each run is scripted as the engine journals one (fixtures_test.go) and
// judged with the engine's own judge.

// historyFile is one file of the fixture.
type historyFile struct {
	name string
	recs []Record
	// tornAfter, when > 0, keeps only the records up to that second and
	// writes the next one half: the run died while writing it.
	tornAfter float64
	// raw is written as it is (the v0.3.0 journal, the k6 summary).
	raw []byte
}

func stopPlan(path, title, titleJa string) *scenarios.Plan {
	f1 := scenarios.Fault{Fault: providers.Fault{ID: "f1", Kind: providers.InstanceStop, Selection: providers.Selection{Percent: 25}}, Duration: 15 * time.Second}
	return &scenarios.Plan{
		Path:        path,
		Title:       title,
		Hypothesis:  "Stopping 25% of replicas keeps the error rate under 0.1%",
		BlastRadius: "25% of the API replicas",
		Rollback:    "abort when the error rate exceeds 5% for 5 s",
		Target:      scenarios.Target{Provider: "sandbox", Name: "demo"},
		Load:        &scenarios.Load{Rate: 300},
		SteadyState: map[scenarios.Metric]scenarios.Bound{
			scenarios.P95:        {Max: fp(200)},
			scenarios.ErrorRate:  {Max: fp(0.001)},
			scenarios.Throughput: {Min: fp(250)},
			scenarios.Running:    {Min: fp(3)},
		},
		Phases:         scenarios.Phases{Baseline: 10 * time.Second, Fault: 30 * time.Second, Recovery: 20 * time.Second},
		Faults:         []scenarios.Fault{f1},
		StopConditions: []scenarios.StopCondition{{Metric: scenarios.ErrorRate, Above: fp(0.05), For: 5 * time.Second}},
		Translations:   map[string]scenarios.Text{"ja": {Title: titleJa, Hypothesis: "レプリカの 25% を停止しても、エラー率は 0.1% 未満を保つ"}},
	}
}

// stopOpts are what one run of the instance stop did.
type stopOpts struct {
	day            time.Time // the run's start
	runID, version string
	dryRun         bool
	// down are the seconds (samples) a replica was down: the running
	// count 3 of 4. bad are those whose requests also suffered: p95 and
	// errors of 300.
	down, bad [2]int
	p95       float64
	errs      int64
	// abortAt, when > 0, is when the stop condition fired; the faults are
	// rolled back at once and the recovery watched for 20 s.
	abortAt float64
}

func in(i int, span [2]int) bool { return span[0] > 0 && i >= span[0] && i <= span[1] }

// stopRun scripts one run of the random instance stop.
func stopRun(o stopOpts, plan *scenarios.Plan) []Record {
	s := &script{t0: o.day, rate: 300}
	f1 := plan.Faults[0]
	s.add(0, Record{Type: RecPlan, Plan: plan, Env: &Environment{RunID: o.runID, Provider: "sandbox", Targets: fixtureReplicas, Version: o.version, DryRun: o.dryRun}})
	s.phase(0.001, Baseline)
	last := 60
	if o.abortAt > 0 {
		last = int(o.abortAt) + 22
	}
	for i := 1; i <= last; i++ {
		smp := providers.Sample{P50: 40, P95: 120 + float64(i%3), P99: 160, Requests: 300, Throughput: 300, Running: 4}
		if in(i, o.down) {
			smp.Running = 3
		}
		if in(i, o.bad) {
			smp.P95, smp.P99, smp.Errors, smp.Throughput = o.p95, o.p95+40, o.errs, 300-float64(o.errs)
		}
		s.sample(float64(i), smp)
	}
	s.add(10.0, Record{Type: RecClose, Group: GroupBaseline, Until: s.at(10.0)})
	s.phase(10.005, Observing)
	target := fixtureReplicas[1:2]
	if o.dryRun {
		s.fault(10.01, FaultStatus{Fault: f1, State: FaultDryRun, Targets: target, Calls: []string{
			"POST http://127.0.0.1:34369/hooks {kind: kill, percent: 25, ttl: 45s}",
			"DELETE http://127.0.0.1:34369/hooks/{id}",
		}})
	} else {
		inj := &providers.Injection{FaultID: "f1", Provider: "sandbox", Kind: providers.InstanceStop, Targets: target, Handles: []string{"kill-r2"}, Owner: o.runID + ".f1", ExpiresAt: s.at(55.2)}
		st := func(state FaultState) FaultStatus {
			return FaultStatus{Fault: f1, State: state, Targets: target, Injection: inj, InjectedAt: s.at(10.2), EndsAt: s.at(25.2)}
		}
		s.fault(10.01, FaultStatus{Fault: f1, State: FaultRequested})
		s.fault(10.02, FaultStatus{Fault: f1, State: FaultInjecting})
		s.phase(10.03, Injecting)
		s.fault(10.2, st(FaultActive))
		s.phase(10.21, Observing)
		s.system(10.25, "supervisor", providers.EventInfo, "replica-2", "replica-2 (pid 4242) died (signal: killed)")
		if o.down[0] > 0 {
			s.system(float64(o.down[0])-0.4, "load balancer", providers.EventDetected, "replica-2", "health check took replica-2 out after 2 failed checks")
			s.system(float64(o.down[1])+0.3, "supervisor", providers.EventRecovered, "replica-2", "restarted replica-2 (pid 4242 → 4301)")
			s.system(float64(o.down[1])+0.6, "load balancer", providers.EventRecovered, "replica-2", "health check put replica-2 back in after 2 passed checks")
		}
		verified := st(FaultRolledBack)
		verified.Verification = &providers.Verification{Clean: true, Details: []string{"4/4 replicas running"}}
		if o.abortAt > 0 {
			a := o.abortAt
			s.add(a, Record{Type: RecAbort, Reason: "stop condition: error rate 6.67% > 5% for 5s"})
			s.phase(a+0.01, RollingBack)
			s.fault(a+0.02, st(FaultRollingBack))
			s.fault(a+1.5, verified)
			s.phase(a+1.51, Recovering)
			s.add(a+21.51, Record{Type: RecClose, Group: GroupRecovery, Until: s.at(a + 21.51)})
			s.phase(a+22.0, Aborted)
			return s.records(func(g *sampleGroups) *Outcome {
				out := &Outcome{Verdict: VerdictAborted, Reason: "stop condition: error rate 6.67% > 5% for 5s", Checks: evaluate(plan, g, false)}
				for _, c := range out.Checks {
					if c.Phase == GroupFault && !c.Holds && c.Samples > 0 {
						out.Reason += "; the hypothesis was already refuted: " + describeBreach(c)
					}
				}
				return out
			}, a+22.01)
		}
		s.fault(25.2, st(FaultRollingBack))
		s.fault(25.4, st(FaultRolledBack))
		s.fault(26.0, verified)
	}
	s.add(40.0, Record{Type: RecClose, Group: GroupFault, Until: s.at(40.0)})
	s.phase(40.0, RollingBack)
	s.phase(40.01, Recovering)
	s.add(60.0, Record{Type: RecClose, Group: GroupRecovery, Until: s.at(60.0)})
	s.phase(60.5, Done)
	verdict := judged(plan)
	if o.dryRun {
		verdict = func(g *sampleGroups) *Outcome {
			out := judged(plan)(g)
			out.Reason = "dry run, nothing injected: " + out.Reason
			return out
		}
	}
	return s.records(verdict, 60.51)
}

func ladderPlan(path string) *scenarios.Plan {
	steps := []providers.Selection{{Percent: 10}, {Percent: 25}, {Percent: 50}}
	f1 := scenarios.Fault{
		Fault:  providers.Fault{ID: "f1", Kind: providers.Latency, Selection: steps[0], Params: providers.Params{Delay: 250 * time.Millisecond}},
		Ladder: &scenarios.Ladder{Steps: steps, Hold: 20 * time.Second, OnBreach: scenarios.OnBreachStop},
	}
	return &scenarios.Plan{
		Path:        path,
		Title:       "Checkout latency ladder",
		Hypothesis:  "With 250 ms of latency on up to half the checkout replicas, p95 stays under 300 ms",
		BlastRadius: "10%, then 25%, then 50% of the checkout replicas, 20 s each",
		Rollback:    "the ladder stops at the first breach and rolls the step back",
		Target:      scenarios.Target{Provider: "sandbox", Name: "shop"},
		Load:        &scenarios.Load{Rate: 100},
		SteadyState: map[scenarios.Metric]scenarios.Bound{
			scenarios.P95:        {Max: fp(300)},
			scenarios.ErrorRate:  {Max: fp(0.005)},
			scenarios.Throughput: {Min: fp(90)},
		},
		Phases: scenarios.Phases{Baseline: 10 * time.Second, Fault: 70 * time.Second, Recovery: 20 * time.Second},
		Faults: []scenarios.Fault{f1},
		Translations: map[string]scenarios.Text{"ja": {
			Title:      "チェックアウトの遅延（段階的）",
			Hypothesis: "チェックアウトのレプリカの最大半数に 250 ms の遅延を加えても、p95 は 300 ms 未満を保つ",
		}},
	}
}

// ladderOpts are what one run of the ladder did: p95 while each step was
// in force, and the step that breached (0: none did).
type ladderOpts struct {
	day            time.Time
	runID, version string
	p95            [3]float64
	breach         int
}

// ladderRun scripts one run of the checkout latency ladder as the engine
// runs a ladder (ladder.go): each step injected, held for 20 s (or
// breached once 10 s of it are measured), rolled back, the next one
// injected; a breach ends the fault phase; the widest step, once it held,
// stays until the fault phase ends.
func ladderRun(o ladderOpts, plan *scenarios.Plan) []Record {
	s := &script{t0: o.day, rate: 100}
	f := plan.Faults[0]
	steps := f.Ladder.Steps
	s.add(0, Record{Type: RecPlan, Plan: plan, Env: &Environment{RunID: o.runID, Provider: "sandbox", Targets: fixtureReplicas, Version: o.version}})
	s.phase(0.001, Baseline)
	s.add(10.0, Record{Type: RecClose, Group: GroupBaseline, Until: s.at(10.0)})
	s.phase(10.005, Observing)
	type span struct{ from, to float64 }
	var active []span
	at := 10.0
	faultEnd := 80.0
	for k := range steps {
		sel := steps[k]
		n := int(sel.Percent / 25)
		targets := fixtureReplicas[:max(n, 1)]
		fs := func(state FaultState, inj *providers.Injection) FaultStatus {
			return FaultStatus{Fault: f, State: state, Targets: targets, Injection: inj, Step: k + 1}
		}
		owner := o.runID + ".f1"
		if k > 0 {
			owner += fmt.Sprintf("-s%d", k+1)
		}
		inj := &providers.Injection{FaultID: "f1", Provider: "sandbox", Kind: providers.Latency, Targets: targets, Handles: []string{fmt.Sprintf("hook-%d", k+1)}, Owner: owner, ExpiresAt: s.at(at + 100)}
		s.fault(at+0.01, fs(FaultRequested, nil))
		s.fault(at+0.02, fs(FaultInjecting, inj))
		s.phase(at+0.03, Injecting)
		from := at + 0.2
		s.fault(from, fs(FaultActive, inj))
		s.phase(from+0.001, Observing)
		s.add(from+0.002, Record{Type: RecStep, Step: &StepRecord{FaultID: "f1", Step: k + 1, Of: len(steps), Selection: sel, What: StepStarted, From: s.at(from), Targets: targets}})
		end, what := from+20, StepHeld
		if o.breach == k+1 {
			end, what = from+10, StepBreached
		}
		active = append(active, span{from, end})
		// The step is judged over the samples of its own window, as the
		// engine judges a step.
		checks := judge(plan, GroupFault, stepData(o, k, from, end, s))
		s.add(end, Record{Type: RecStep, Step: &StepRecord{FaultID: "f1", Step: k + 1, Of: len(steps), Selection: sel, What: what, From: s.at(from), Targets: targets, Checks: checks}})
		top := k == len(steps)-1 && what == StepHeld
		rb := end
		if top {
			rb = faultEnd
			active[len(active)-1].to = faultEnd
		}
		s.fault(rb, fs(FaultRollingBack, inj))
		done := fs(FaultRolledBack, inj)
		done.Verification = &providers.Verification{Clean: true, Details: []string{"no hooks installed"}}
		s.fault(rb+0.2, done)
		at = rb + 0.2
		if what == StepBreached || top {
			if what == StepBreached {
				faultEnd = at
			}
			break
		}
	}
	p95At := func(i int) float64 {
		mid := float64(i) - 0.5
		for k, sp := range active {
			if mid >= sp.from && mid < sp.to {
				return o.p95[k]
			}
		}
		return 120 + float64(i%2)
	}
	last := int(faultEnd) + 20
	for i := 1; i <= last; i++ {
		p := p95At(i)
		s.sample(float64(i), providers.Sample{P50: p / 3, P95: p, P99: p + 30, Requests: 100, Throughput: 100})
	}
	if o.breach == 0 {
		s.add(faultEnd, Record{Type: RecClose, Group: GroupFault, Until: s.at(faultEnd)})
	}
	s.phase(faultEnd+0.01, RollingBack)
	s.phase(faultEnd+0.02, Recovering)
	s.add(faultEnd+20.02, Record{Type: RecClose, Group: GroupRecovery, Until: s.at(faultEnd + 20.02)})
	s.phase(faultEnd+20.5, Done)
	return s.records(func(g *sampleGroups) *Outcome {
		out := judged(plan)(g)
		if o.breach > 0 {
			reason := fmt.Sprintf("f1's ladder breached at step %d of %d (%s) after 10s: p95 %s > 300 ms during fault", o.breach, len(steps), steps[o.breach-1], formatNum(o.p95[o.breach-1]))
			if o.breach > 1 {
				reason += fmt.Sprintf("; the widest step that held: %d (%s)", o.breach-1, steps[o.breach-2])
			}
			if out.Verdict == VerdictHeld {
				out.Verdict, out.Reason = VerdictViolated, reason
			} else {
				out.Reason += "; " + reason
			}
		}
		return out
	}, faultEnd+20.51)
}

// stepData is the data a ladder step is judged on: the samples of its
// window, with the p95 the step held to.
func stepData(o ladderOpts, k int, from, end float64, s *script) *groupData {
	d := &groupData{}
	for i := int(from) + 1; float64(i) <= end+0.5; i++ {
		if mid := float64(i) - 0.5; mid < from || mid >= end {
			continue
		}
		smp := providers.Sample{At: s.at(float64(i)), Span: time.Second, P50: o.p95[k] / 3, P95: o.p95[k], P99: o.p95[k] + 30, Requests: 100, Throughput: 100, Offered: 100}
		withLatency(&smp)
		d.add(smp)
	}
	return d
}

// historyFixture is every file of testdata/history.
func historyFixture(v030 []byte) []historyFile {
	saturday := func(d int) time.Time { return time.Date(2025, 3, d, 14, 0, 0, 0, time.UTC) }
	shipped := stopPlan("embedded:sandbox/instance-stop.yaml", "Random instance stop", "ランダムなインスタンス停止")
	laptop := ladderPlan("scenarios/checkout-latency.yaml")
	ci := ladderPlan("/home/runner/work/shop/shop/scenarios/checkout-latency.yaml")
	k6 := strings.Join([]string{
		`{"type":"Metric","data":{"name":"http_reqs","type":"counter","contains":"default","thresholds":[],"submetrics":null},"metric":"http_reqs"}`,
		`{"type":"Point","data":{"time":"2025-03-17T09:00:01.000000Z","value":1,"tags":{"method":"GET","status":"200"}},"metric":"http_reqs"}`,
	}, "\n") + "\n"
	return []historyFile{
		{name: "20250301T140000.000Z-random-task-stop.jsonl", raw: v030},
		{name: "20250308T140000.000Z-random-instance-stop.jsonl", recs: stopRun(stopOpts{day: saturday(8), runID: "20250308t140000-0a1b2c3d", version: "v0.4.0", down: [2]int{12, 19}, bad: [2]int{12, 15}, p95: 420, errs: 8}, shipped)},
		{name: "20250315T140000.000Z-random-instance-stop.jsonl", recs: stopRun(stopOpts{day: saturday(15), runID: "20250315t140000-4e5f6a7b", version: "v0.5.0", down: [2]int{11, 18}, bad: [2]int{11, 17}, p95: 480, errs: 20, abortAt: 16}, shipped)},
		{name: "20250322T140000.000Z-random-instance-stop.jsonl", recs: stopRun(stopOpts{day: saturday(22), runID: "20250322t140000-8c9d0e1f", version: "v0.5.0", down: [2]int{12, 14}, bad: [2]int{12, 12}, p95: 170, errs: 1}, shipped)},
		{name: "20250329T140000.000Z-random-instance-stop.jsonl", recs: stopRun(stopOpts{day: saturday(29), runID: "20250329t140000-2a3b4c5d", version: "v0.6.0", down: [2]int{11, 12}}, shipped)},
		{name: "20250402T140000.000Z-random-instance-stop.jsonl", recs: stopRun(stopOpts{day: time.Date(2025, 4, 2, 14, 0, 0, 0, time.UTC), runID: "20250402t140000-6e7f8a9b", version: "v0.6.0", dryRun: true}, shipped)},
		{name: "20250405T140000.000Z-random-instance-stop.jsonl", tornAfter: 14.5, recs: stopRun(stopOpts{day: time.Date(2025, 4, 5, 14, 0, 0, 0, time.UTC), runID: "20250405t140000-0c1d2e3f", version: "v0.6.0", down: [2]int{12, 30}, bad: [2]int{12, 30}, p95: 260, errs: 2}, shipped)},
		{name: "20250303T090000.000Z-checkout-latency-ladder.jsonl", recs: ladderRun(ladderOpts{day: time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC), runID: "20250303t090000-1f2e3d4c", version: "v0.5.0", p95: [3]float64{200, 450, 0}, breach: 2}, laptop)},
		{name: "ci/run-4412/20250317T090000.000Z-checkout-latency-ladder.jsonl", recs: ladderRun(ladderOpts{day: time.Date(2025, 3, 17, 9, 0, 0, 0, time.UTC), runID: "20250317t090000-5b6a7988", version: "v0.6.0", p95: [3]float64{160, 240, 380}, breach: 3}, ci)},
		{name: "ci/run-4412/k6-summary.jsonl", raw: []byte(k6)},
		{name: "ci/run-4587/20250331T090000.000Z-checkout-latency-ladder.jsonl", recs: ladderRun(ladderOpts{day: time.Date(2025, 3, 31, 9, 0, 0, 0, time.UTC), runID: "20250331t090000-9c8b7a6d", version: "v0.6.0", p95: [3]float64{150, 190, 260}}, ci)},
	}
}

// bytes is the file as written: the records as the engine's encoder
// writes them, the torn one cut in its last line.
func (f historyFile) bytes() ([]byte, error) {
	if f.raw != nil {
		return f.raw, nil
	}
	var buf bytes.Buffer
	enc := NewEncoder(&buf)
	for _, r := range f.recs {
		if f.tornAfter > 0 && r.At.Sub(f.recs[0].At).Seconds() > f.tornAfter {
			line, err := marshalRecord(r)
			if err != nil {
				return nil, err
			}
			buf.Write(line[:len(line)/2])
			return buf.Bytes(), nil
		}
		if err := enc.Encode(r); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}
