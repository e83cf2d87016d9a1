package engine

import (
	"sort"
	"strings"
	"time"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// The report goldens are rendered from scripted runs with fixed times: a
// violated run (fixtureRecords, also the journal fixture testdata/run.jsonl),
// a held run and an aborted one. Each is built as the engine journals a
// run — samples every second, faults with their intent first, system
// events, notes — and judged with the engine's own evaluate.

// script collects the records of a run at seconds from its start.
type script struct {
	t0   time.Time
	rate float64 // the load the generator offers
	evs  []scripted
}

type scripted struct {
	at  time.Time
	rec Record
}

func newScript(rate float64) *script {
	return &script{t0: time.Date(2025, 3, 1, 14, 0, 0, 0, time.UTC), rate: rate}
}

func (s *script) at(sec float64) time.Time {
	return s.t0.Add(time.Duration(sec * float64(time.Second)))
}

func (s *script) add(sec float64, rec Record) { s.evs = append(s.evs, scripted{s.at(sec), rec}) }

func (s *script) phase(sec float64, p Phase) { s.add(sec, Record{Type: RecPhase, Phase: p.String()}) }

func (s *script) fault(sec float64, fs FaultStatus) { s.add(sec, Record{Type: RecFault, Fault: &fs}) }

func (s *script) note(sec float64, kind NoteKind, text string) {
	s.add(sec, Record{Type: RecNote, Note: &Note{Kind: kind, Text: text}})
}

func (s *script) system(sec float64, src string, kind providers.EventKind, target, text string) {
	s.add(sec, Record{Type: RecSystem, Event: &providers.SystemEvent{At: s.at(sec), Source: src, Kind: kind, Target: target, Text: text}})
}

// sample adds the load generator's window ending at sec.
func (s *script) sample(sec float64, smp providers.Sample) {
	smp.At, smp.Span, smp.Offered = s.at(sec), time.Second, s.rate
	if smp.Requests > 0 {
		smp.ErrorRate = float64(smp.Errors) / float64(smp.Requests)
	}
	withLatency(&smp)
	s.add(sec, Record{Type: RecSample, Sample: &smp})
}

// records sorts the script, numbers it, and appends the verdict verdict
// gives for the samples (nil: no verdict, a run cut short).
func (s *script) records(verdict func(*sampleGroups) *Outcome, at float64) []Record {
	sort.SliceStable(s.evs, func(i, j int) bool { return s.evs[i].at.Before(s.evs[j].at) })
	var recs []Record
	g := newSampleGroups()
	for i, e := range s.evs {
		e.rec.Seq, e.rec.At = i+1, e.at
		g.observe(e.rec)
		recs = append(recs, e.rec)
	}
	if verdict != nil {
		if out := verdict(g); out != nil {
			recs = append(recs, Record{Seq: len(recs) + 1, At: s.at(at), Type: RecVerdict, Outcome: out})
		}
	}
	return recs
}

// judged is the verdict of a run that ran to its end, as the engine words
// it.
func judged(plan *scenarios.Plan) func(*sampleGroups) *Outcome {
	return func(g *sampleGroups) *Outcome {
		checks := evaluate(plan, g, true)
		out := &Outcome{Verdict: VerdictHeld, Reason: "steady state held during fault and recovery", Checks: checks}
		var bad []string
		for _, c := range checks {
			if c.Phase != GroupBaseline && !c.Holds {
				bad = append(bad, describeBreach(c))
			}
		}
		if len(bad) > 0 {
			out.Verdict, out.Reason = VerdictViolated, strings.Join(bad, "; ")
		}
		return out
	}
}

var fixtureReplicas = []providers.Target{{ID: "r1", Name: "replica-1"}, {ID: "r2", Name: "replica-2"}, {ID: "r3", Name: "replica-3"}, {ID: "r4", Name: "replica-4"}}

// fixtureRecords scripts a violated run: a random task stop with a manual
// latency fault, the error rate and p95 beyond their bounds during the
// fault, the load balancer and the supervisor reacting, notes of every
// kind (an action item with an owner and a due date, text that would be
// markup), verified rollbacks. It is written to testdata/run.jsonl with
// -update; the violated goldens and the JUnit golden are rendered from
// that file.
func fixtureRecords() []Record {
	s := newScript(300)
	f1 := scenarios.Fault{Fault: providers.Fault{ID: "f1", Kind: providers.InstanceStop, Selection: providers.Selection{Percent: 25}}, Duration: 15 * time.Second}
	f2 := scenarios.Fault{Fault: providers.Fault{ID: "f2", Kind: providers.Latency, Params: providers.Params{Delay: 300 * time.Millisecond, Jitter: 50 * time.Millisecond}}, Duration: 12 * time.Second, Manual: true}
	plan := &scenarios.Plan{
		Path:        "embedded:instance-stop.yaml",
		Title:       "Random task stop",
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
		Faults:         []scenarios.Fault{f1, f2},
		StopConditions: []scenarios.StopCondition{{Metric: scenarios.ErrorRate, Above: fp(0.05), For: 5 * time.Second}},
		Participants:   []scenarios.Participant{{Name: "Sato", Role: "facilitator"}, {Name: "Tanaka", Role: "scribe"}, {Name: "Kim", Role: "SRE on the API"}},
		Links: []scenarios.Link{
			{Title: "API dashboard", URL: "https://grafana.example.com/d/api?from=1740837600000&to=1740837661000"},
			{URL: "https://tickets.example.com/GD-12"},
		},
		Translations: map[string]scenarios.Text{"ja": {
			Title:       "ランダムなタスク停止",
			Hypothesis:  "レプリカの 25% を停止しても、エラー率は 0.1% 未満を保つ",
			BlastRadius: "API レプリカの 25%",
			Rollback:    "エラー率が 5 秒間 5% を超えたら中止する",
		}},
	}
	s.add(0, Record{Type: RecPlan, Plan: plan, Env: &Environment{RunID: "20250301t140000-1a2b3c4d", Provider: "sandbox", Targets: fixtureReplicas, Version: "v0.4.0"}})
	s.phase(0.001, Baseline)
	for i := 1; i <= 60; i++ {
		smp := providers.Sample{P50: 40, P95: 120 + float64(i%3), P99: 160, Requests: 300, Throughput: 300, Running: 4}
		switch {
		case i >= 11 && i <= 13: // a replica dies: retries, a few errors
			smp.P95, smp.Errors, smp.Running, smp.Throughput = 240, 6, 3, 290
		case i >= 14 && i <= 17:
			smp.Running, smp.Errors = 3, 2
		case i >= 18 && i <= 28: // the latency fault delays every request by 300 ms
			smp.P50, smp.P95, smp.P99 = 340, 390, 400
		}
		s.sample(float64(i), smp)
	}
	inj1 := &providers.Injection{FaultID: "f1", Provider: "sandbox", Kind: providers.InstanceStop, Targets: fixtureReplicas[1:2], Handles: []string{"kill-r2"}, Owner: "20250301t140000-1a2b3c4d.f1", ExpiresAt: s.at(55.2)}
	inj2 := &providers.Injection{FaultID: "f2", Provider: "sandbox", Kind: providers.Latency, Targets: []providers.Target{{ID: "lb", Name: "load balancer"}}, Handles: []string{"hook-7"}, Owner: "20250301t140000-1a2b3c4d.f2", ExpiresAt: s.at(58)}
	s.add(10.0, Record{Type: RecClose, Group: GroupBaseline, Until: s.at(10.0)})
	s.phase(10.005, Observing)
	s.fault(10.01, FaultStatus{Fault: f1, State: FaultRequested})
	s.fault(10.02, FaultStatus{Fault: f1, State: FaultInjecting})
	s.phase(10.03, Injecting)
	s.fault(10.2, FaultStatus{Fault: f1, State: FaultActive, Targets: inj1.Targets, Injection: inj1, InjectedAt: s.at(10.2), EndsAt: s.at(25.2)})
	s.phase(10.21, Observing)
	s.system(10.25, "supervisor", providers.EventInfo, "replica-2", "replica-2 (pid 4242) died (signal: killed)")
	s.system(12.1, "load balancer", providers.EventDetected, "replica-2", "health check took replica-2 out after 2 failed checks")
	s.system(15.3, "supervisor", providers.EventRecovered, "replica-2", "restarted replica-2 (pid 4242 → 4301) 5.1 s after it died")
	s.system(17.4, "load balancer", providers.EventRecovered, "replica-2", "health check put replica-2 back in after 2 passed checks")
	s.note(14.5, Success, "load balancer took the dead replica out within 2 s")
	s.fault(16.0, FaultStatus{Fault: f2, State: FaultRequested})
	s.fault(16.01, FaultStatus{Fault: f2, State: FaultInjecting})
	s.phase(16.02, Injecting)
	s.fault(16.3, FaultStatus{Fault: f2, State: FaultActive, Targets: inj2.Targets, Injection: inj2, InjectedAt: s.at(16.3), EndsAt: s.at(28.3)})
	s.phase(16.31, Observing)
	s.note(20.0, Improvement, "@sato 2026-12-15 the replica-down alert took 40 s to fire: page within 10 s")
	s.note(22.0, Observation, "replica-4 (<replica-4>) looked fine <!-- nothing after this should hide")
	s.fault(25.2, FaultStatus{Fault: f1, State: FaultRollingBack, Targets: inj1.Targets, Injection: inj1, InjectedAt: s.at(10.2), EndsAt: s.at(25.2)})
	s.fault(25.4, FaultStatus{Fault: f1, State: FaultRolledBack, Targets: inj1.Targets, Injection: inj1, InjectedAt: s.at(10.2), EndsAt: s.at(25.2)})
	s.fault(26.0, FaultStatus{Fault: f1, State: FaultRolledBack, Targets: inj1.Targets, Injection: inj1, InjectedAt: s.at(10.2), EndsAt: s.at(25.2), Verification: &providers.Verification{Clean: true, Details: []string{"4/4 replicas running"}}})
	s.fault(28.3, FaultStatus{Fault: f2, State: FaultRollingBack, Targets: inj2.Targets, Injection: inj2, InjectedAt: s.at(16.3), EndsAt: s.at(28.3)})
	s.fault(28.5, FaultStatus{Fault: f2, State: FaultRolledBack, Targets: inj2.Targets, Injection: inj2, InjectedAt: s.at(16.3), EndsAt: s.at(28.3)})
	s.fault(29.0, FaultStatus{Fault: f2, State: FaultRolledBack, Targets: inj2.Targets, Injection: inj2, InjectedAt: s.at(16.3), EndsAt: s.at(28.3), Verification: &providers.Verification{Clean: true, Details: []string{"no hooks installed"}}})
	s.phase(40.0, RollingBack)
	s.phase(40.01, Recovering)
	s.note(45.0, Observation, "dashboards | lagged by about 5 s")
	s.note(50.0, Improvement, "# alerts should name the replica, not `*`")
	s.add(60.0, Record{Type: RecClose, Group: GroupRecovery, Until: s.at(60.0)})
	s.phase(60.5, Done)
	return s.records(judged(plan), 60.51)
}

// heldRecords scripts a held run: 100 ms of latency on half the replicas
// keeps p95 within its bound; the plan does not watch the running count,
// and the system reports no events.
func heldRecords() []Record {
	s := newScript(100)
	f1 := scenarios.Fault{Fault: providers.Fault{ID: "f1", Kind: providers.Latency, Selection: providers.Selection{Percent: 50}, Params: providers.Params{Delay: 100 * time.Millisecond}}, StartAfter: 5 * time.Second, Duration: 20 * time.Second}
	plan := &scenarios.Plan{
		Path:        "scenarios/latency-100ms.yaml",
		Title:       "Latency injection (100 ms)",
		Description: "Add 100 ms to half the replicas, like a slow network path.",
		Hypothesis:  "With 100 ms of added latency on half the replicas, p95 stays under 200 ms and nothing fails",
		BlastRadius: "50% of the replicas (2 of 4), for at most 20 s",
		Rollback:    "abort removes the delay at once",
		Target:      scenarios.Target{Provider: "sandbox", Name: "demo", Environment: "staging"},
		Load:        &scenarios.Load{Rate: 100},
		SteadyState: map[scenarios.Metric]scenarios.Bound{
			scenarios.P95:        {Max: fp(200)},
			scenarios.ErrorRate:  {Max: fp(0.001)},
			scenarios.Throughput: {Min: fp(90)},
		},
		Phases: scenarios.Phases{Baseline: 10 * time.Second, Fault: 30 * time.Second, Recovery: 10 * time.Second},
		Faults: []scenarios.Fault{f1},
		Translations: map[string]scenarios.Text{"ja": {
			Title:       "レイテンシ注入（100 ms）",
			Description: "レプリカの半数に 100 ms の遅延を加える。遅いネットワーク経路を想定。",
			Hypothesis:  "レプリカの半数に 100 ms の遅延を加えても、p95 は 200 ms 未満で、失敗するリクエストはない",
			BlastRadius: "レプリカの 50%（4 台中 2 台）、最長 20 秒",
			Rollback:    "中止で遅延をすぐに取り除く",
		}},
	}
	s.add(0, Record{Type: RecPlan, Plan: plan, Env: &Environment{RunID: "20250301t140000-5e6f7a8b", Provider: "sandbox", Targets: fixtureReplicas, Version: "v0.5.0"}})
	s.phase(0.001, Baseline)
	for i := 1; i <= 50; i++ {
		smp := providers.Sample{P50: 40, P95: 120 + float64(i%2), P99: 150, Requests: 100, Throughput: 100, Running: 4}
		if i >= 16 && i <= 35 {
			smp.P50, smp.P95, smp.P99 = 90, 160+float64(i%4), 175
		}
		s.sample(float64(i), smp)
	}
	targets := fixtureReplicas[2:4]
	inj := &providers.Injection{FaultID: "f1", Provider: "sandbox", Kind: providers.Latency, Targets: targets, Handles: []string{"hook-3"}, Owner: "20250301t140000-5e6f7a8b.f1", ExpiresAt: s.at(65)}
	s.add(10.0, Record{Type: RecClose, Group: GroupBaseline, Until: s.at(10.0)})
	s.phase(10.005, Observing)
	s.fault(15.0, FaultStatus{Fault: f1, State: FaultRequested})
	s.fault(15.01, FaultStatus{Fault: f1, State: FaultInjecting})
	s.phase(15.02, Injecting)
	s.fault(15.2, FaultStatus{Fault: f1, State: FaultActive, Targets: targets, Injection: inj, InjectedAt: s.at(15.2), EndsAt: s.at(35.2)})
	s.phase(15.21, Observing)
	s.note(21.0, Success, "p95 rose by 40 ms and stayed there: the retries did not pile up")
	s.fault(35.2, FaultStatus{Fault: f1, State: FaultRollingBack, Targets: targets, Injection: inj, InjectedAt: s.at(15.2), EndsAt: s.at(35.2)})
	s.fault(35.4, FaultStatus{Fault: f1, State: FaultRolledBack, Targets: targets, Injection: inj, InjectedAt: s.at(15.2), EndsAt: s.at(35.2), Verification: &providers.Verification{Clean: true, Details: []string{"no hooks installed"}}})
	s.add(40.0, Record{Type: RecClose, Group: GroupFault, Until: s.at(40.0)})
	s.phase(40.01, Recovering)
	s.note(44.0, Improvement, "@tanaka add a latency alert at p95 150 ms")
	s.note(46.0, Improvement, "document the 100 ms budget in the runbook")
	s.add(50.0, Record{Type: RecClose, Group: GroupRecovery, Until: s.at(50.0)})
	s.phase(50.5, Done)
	return s.records(judged(plan), 50.51)
}

// abortedRecords scripts an aborted run: stopping two replicas drives the
// error rate beyond the stop condition, the run aborts, rolls back, and
// watches the system come back; the second fault never runs.
func abortedRecords() []Record {
	s := newScript(200)
	f1 := scenarios.Fault{Fault: providers.Fault{ID: "f1", Kind: providers.InstanceStop, Selection: providers.Selection{Count: 2}}}
	f2 := scenarios.Fault{Fault: providers.Fault{ID: "f2", Kind: providers.DBFailure}, StartAfter: 20 * time.Second, Duration: 5 * time.Second}
	plan := &scenarios.Plan{
		Path:        "scenarios/two-replicas.yaml",
		Title:       "Two replicas down, then the database",
		Hypothesis:  "Losing half the replicas keeps the error rate under 1%",
		BlastRadius: "2 of the 4 replicas, then the database for 5 s",
		Rollback:    "abort when the error rate exceeds 5% for 5 s",
		Target:      scenarios.Target{Provider: "sandbox", Name: "demo"},
		Load:        &scenarios.Load{Rate: 200},
		SteadyState: map[scenarios.Metric]scenarios.Bound{
			scenarios.P95:       {Max: fp(300)},
			scenarios.ErrorRate: {Max: fp(0.01)},
			scenarios.Running:   {Min: fp(3)},
		},
		Phases:         scenarios.Phases{Baseline: 10 * time.Second, Fault: 40 * time.Second, Recovery: 15 * time.Second},
		Faults:         []scenarios.Fault{f1, f2},
		StopConditions: []scenarios.StopCondition{{Metric: scenarios.ErrorRate, Above: fp(0.05), For: 5 * time.Second}},
		Translations: map[string]scenarios.Text{"ja": {
			Title:       "レプリカ 2 台停止、次にデータベース",
			Hypothesis:  "レプリカの半数を失っても、エラー率は 1% 未満を保つ",
			BlastRadius: "4 台中 2 台のレプリカ、次にデータベースを 5 秒間",
			Rollback:    "エラー率が 5 秒間 5% を超えたら中止する",
		}},
	}
	s.add(0, Record{Type: RecPlan, Plan: plan, Env: &Environment{RunID: "20250301t140000-9c0d1e2f", Provider: "sandbox", Targets: fixtureReplicas, Version: "v0.5.0"}})
	s.phase(0.001, Baseline)
	for i := 1; i <= 38; i++ {
		smp := providers.Sample{P50: 40, P95: 130, P99: 170, Requests: 200, Throughput: 200, Running: 4}
		switch {
		case i >= 11 && i <= 17: // two replicas gone: the other two are overloaded
			smp.P95, smp.P99, smp.Errors, smp.Running, smp.Throughput = 480, 900, 16, 2, 184
		case i >= 18 && i <= 20: // the supervisor brings them back
			smp.P95, smp.Errors, smp.Running = 260, 3, 3
		}
		s.sample(float64(i), smp)
	}
	inj := &providers.Injection{FaultID: "f1", Provider: "sandbox", Kind: providers.InstanceStop, Targets: []providers.Target{fixtureReplicas[0], fixtureReplicas[2]}, Handles: []string{"kill-r1", "kill-r3"}, Owner: "20250301t140000-9c0d1e2f.f1", ExpiresAt: s.at(80)}
	s.add(10.0, Record{Type: RecClose, Group: GroupBaseline, Until: s.at(10.0)})
	s.phase(10.005, Observing)
	s.fault(10.01, FaultStatus{Fault: f1, State: FaultRequested})
	s.fault(10.02, FaultStatus{Fault: f1, State: FaultInjecting})
	s.phase(10.03, Injecting)
	s.fault(10.3, FaultStatus{Fault: f1, State: FaultActive, Targets: inj.Targets, Injection: inj, InjectedAt: s.at(10.3), EndsAt: s.at(50.3)})
	s.phase(10.31, Observing)
	s.system(11.9, "load balancer", providers.EventDetected, "replica-1", "health check took replica-1 out after 2 failed checks")
	s.system(12.0, "load balancer", providers.EventDetected, "replica-3", "health check took replica-3 out after 2 failed checks")
	s.note(14.0, Observation, "both survivors at 100% CPU")
	s.add(15.0, Record{Type: RecAbort, Reason: "stop condition: error rate 8% > 5% for 5s"})
	s.fault(15.01, FaultStatus{Fault: f2, State: FaultSkipped})
	s.phase(15.02, RollingBack)
	s.fault(15.03, FaultStatus{Fault: f1, State: FaultRollingBack, Targets: inj.Targets, Injection: inj, InjectedAt: s.at(10.3), EndsAt: s.at(50.3)})
	s.fault(17.6, FaultStatus{Fault: f1, State: FaultRolledBack, Targets: inj.Targets, Injection: inj, InjectedAt: s.at(10.3), EndsAt: s.at(50.3), Verification: &providers.Verification{Clean: true, Details: []string{"4/4 replicas running"}}})
	s.system(16.2, "supervisor", providers.EventRecovered, "replica-1", "restarted replica-1 (pid 5101 → 5230) at the rollback")
	s.system(16.4, "supervisor", providers.EventRecovered, "replica-3", "restarted replica-3 (pid 5103 → 5231) at the rollback")
	s.system(19.5, "load balancer", providers.EventRecovered, "replica-1", "health check put replica-1 back in after 2 passed checks")
	s.system(19.6, "load balancer", providers.EventRecovered, "replica-3", "health check put replica-3 back in after 2 passed checks")
	s.phase(17.61, Recovering)
	s.note(30.0, Improvement, "@kim @sato 2026-12-01 cap instance-stop at 1 replica until the autoscaler reacts faster")
	s.add(32.61, Record{Type: RecClose, Group: GroupRecovery, Until: s.at(32.61)})
	s.phase(38.5, Aborted)
	return s.records(func(g *sampleGroups) *Outcome {
		out := &Outcome{Verdict: VerdictAborted, Reason: "stop condition: error rate 8% > 5% for 5s", Checks: evaluate(plan, g, false)}
		var refuted, back []string
		for _, c := range out.Checks {
			switch {
			case c.Phase == GroupFault && !c.Holds && c.Samples > 0:
				refuted = append(refuted, describeBreach(c))
			case c.Phase == GroupRecovery && !c.Holds:
				back = append(back, describeBreach(c))
			}
		}
		if len(refuted) > 0 {
			out.Reason += "; the hypothesis was already refuted: " + strings.Join(refuted, "; ")
		}
		if len(back) == 0 {
			out.Reason += "; after the rollback the steady state held again"
		}
		return out
	}, 38.51)
}
