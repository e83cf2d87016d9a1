package engine

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

var update = flag.Bool("update", false, "regenerate the golden files (and the journal fixture) in testdata")

const fixturePath = "testdata/run.jsonl"

// fixtureRecords scripts a complete run with fixed times: a random task
// stop with a manual latency fault, a breach of the error rate during the
// fault, notes of every kind, verified rollbacks and a violated verdict.
// It is written to testdata/run.jsonl with -update; the report golden is
// rendered from that file.
func fixtureRecords() []Record {
	t0 := time.Date(2025, 3, 1, 14, 0, 0, 0, time.UTC)
	at := func(sec float64) time.Time { return t0.Add(time.Duration(sec * float64(time.Second))) }
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
	}
	replicas := []providers.Target{{ID: "r1", Name: "replica-1"}, {ID: "r2", Name: "replica-2"}, {ID: "r3", Name: "replica-3"}, {ID: "r4", Name: "replica-4"}}
	type ev struct {
		at  time.Time
		rec Record
	}
	var evs []ev
	add := func(sec float64, rec Record) { evs = append(evs, ev{at(sec), rec}) }
	phase := func(sec float64, p Phase) { add(sec, Record{Type: RecPhase, Phase: p.String()}) }
	faultRec := func(sec float64, fs FaultStatus) { add(sec, Record{Type: RecFault, Fault: &fs}) }

	add(0, Record{Type: RecPlan, Plan: plan, Env: &Environment{RunID: "20250301t140000-1a2b3c4d", Provider: "sandbox", Targets: replicas, Version: "v0.4.0"}})
	phase(0.001, Baseline)
	for i := 1; i <= 60; i++ {
		s := providers.Sample{At: at(float64(i)), P50: 40, P95: 120 + float64(i%3), P99: 160, Requests: 300, Throughput: 300, Running: 4}
		switch {
		case i >= 11 && i <= 13: // a replica dies: retries, a few errors
			s.P95, s.Errors, s.Running, s.Throughput = 240, 6, 3, 290
		case i >= 14 && i <= 17:
			s.Running, s.Errors = 3, 2
		case i >= 18 && i <= 28: // the latency fault delays every request by 300 ms
			s.P50, s.P95, s.P99 = 340, 390, 400
		}
		s.ErrorRate = float64(s.Errors) / float64(s.Requests)
		s.Offered = 300
		s.Span = time.Second
		withLatency(&s)
		add(float64(i), Record{Type: RecSample, Sample: &s})
	}
	inj1 := &providers.Injection{FaultID: "f1", Provider: "sandbox", Kind: providers.InstanceStop, Targets: replicas[1:2], Handles: []string{"kill-r2"}, Owner: "20250301t140000-1a2b3c4d.f1", ExpiresAt: at(55.2)}
	inj2 := &providers.Injection{FaultID: "f2", Provider: "sandbox", Kind: providers.Latency, Targets: []providers.Target{{ID: "lb", Name: "load balancer"}}, Handles: []string{"hook-7"}, Owner: "20250301t140000-1a2b3c4d.f2", ExpiresAt: at(58)}
	add(10.0, Record{Type: RecClose, Group: GroupBaseline, Until: at(10.0)})
	phase(10.005, Observing)
	faultRec(10.01, FaultStatus{Fault: f1, State: FaultRequested})
	faultRec(10.02, FaultStatus{Fault: f1, State: FaultInjecting})
	phase(10.03, Injecting)
	faultRec(10.2, FaultStatus{Fault: f1, State: FaultActive, Targets: inj1.Targets, Injection: inj1, InjectedAt: at(10.2), EndsAt: at(25.2)})
	phase(10.21, Observing)
	sys := func(sec float64, src string, kind providers.EventKind, target, text string) {
		add(sec, Record{Type: RecSystem, Event: &providers.SystemEvent{At: at(sec), Source: src, Kind: kind, Target: target, Text: text}})
	}
	sys(12.1, "load balancer", providers.EventDetected, "replica-2", "health check took replica-2 out after 2 failed checks")
	sys(15.3, "supervisor", providers.EventRecovered, "replica-2", "restarted replica-2 (pid 4242) 5.1 s after it died")
	sys(17.4, "load balancer", providers.EventRecovered, "replica-2", "health check put replica-2 back in after 2 passed checks")
	add(14.5, Record{Type: RecNote, Note: &Note{Kind: Success, Text: "load balancer took the dead replica out within 2 s"}})
	faultRec(16.0, FaultStatus{Fault: f2, State: FaultRequested})
	faultRec(16.01, FaultStatus{Fault: f2, State: FaultInjecting})
	phase(16.02, Injecting)
	faultRec(16.3, FaultStatus{Fault: f2, State: FaultActive, Targets: inj2.Targets, Injection: inj2, InjectedAt: at(16.3), EndsAt: at(28.3)})
	phase(16.31, Observing)
	add(20.0, Record{Type: RecNote, Note: &Note{Kind: Improvement, Text: "the replica-down alert took 40 s to fire"}})
	faultRec(25.2, FaultStatus{Fault: f1, State: FaultRollingBack, Targets: inj1.Targets, Injection: inj1, InjectedAt: at(10.2), EndsAt: at(25.2)})
	faultRec(25.4, FaultStatus{Fault: f1, State: FaultRolledBack, Targets: inj1.Targets, Injection: inj1, InjectedAt: at(10.2), EndsAt: at(25.2)})
	faultRec(26.0, FaultStatus{Fault: f1, State: FaultRolledBack, Targets: inj1.Targets, Injection: inj1, InjectedAt: at(10.2), EndsAt: at(25.2), Verification: &providers.Verification{Clean: true, Details: []string{"4/4 replicas running"}}})
	faultRec(28.3, FaultStatus{Fault: f2, State: FaultRollingBack, Targets: inj2.Targets, Injection: inj2, InjectedAt: at(16.3), EndsAt: at(28.3)})
	faultRec(28.5, FaultStatus{Fault: f2, State: FaultRolledBack, Targets: inj2.Targets, Injection: inj2, InjectedAt: at(16.3), EndsAt: at(28.3)})
	faultRec(29.0, FaultStatus{Fault: f2, State: FaultRolledBack, Targets: inj2.Targets, Injection: inj2, InjectedAt: at(16.3), EndsAt: at(28.3), Verification: &providers.Verification{Clean: true, Details: []string{"no hooks installed"}}})
	phase(40.0, RollingBack)
	phase(40.01, Recovering)
	add(45.0, Record{Type: RecNote, Note: &Note{Kind: Observation, Text: "dashboards | lagged by about 5 s"}})
	add(60.0, Record{Type: RecClose, Group: GroupRecovery, Until: at(60.0)})
	phase(60.5, Done)

	sort.SliceStable(evs, func(i, j int) bool { return evs[i].at.Before(evs[j].at) })
	var recs []Record
	g := newSampleGroups()
	for i, e := range evs {
		e.rec.Seq, e.rec.At = i+1, e.at
		g.observe(e.rec)
		recs = append(recs, e.rec)
	}
	checks := evaluate(plan, g, true)
	out := Outcome{Verdict: VerdictHeld, Reason: "steady state held during fault and recovery", Checks: checks}
	var bad []string
	for _, c := range checks {
		if c.Phase != GroupBaseline && !c.Holds {
			bad = append(bad, describeBreach(c))
		}
	}
	if len(bad) > 0 {
		out.Verdict, out.Reason = VerdictViolated, strings.Join(bad, "; ")
	}
	recs = append(recs, Record{Seq: len(recs) + 1, At: at(60.51), Type: RecVerdict, Outcome: &out})
	return recs
}

func readFixture(t *testing.T) []Record {
	t.Helper()
	if *update {
		var buf bytes.Buffer
		enc := NewEncoder(&buf)
		for _, r := range fixtureRecords() {
			if err := enc.Encode(r); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(fixturePath, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(fixturePath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := ReadJournal(f)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// golden compares got with testdata/name, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update to accept):\n%s", name, firstDiff(string(want), string(got)))
	}
}

func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(wl), len(gl)) {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + itoa(i+1) + ":\nwant: " + w + "\n got: " + g
		}
	}
	return "(no line differs)"
}

func itoa(i int) string { return formatNum(float64(i)) }

func TestReportGolden(t *testing.T) {
	recs := readFixture(t)
	var buf bytes.Buffer
	if err := WriteReport(&buf, recs); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.golden", buf.Bytes())

	// Deterministic: a second rendering is identical.
	var again bytes.Buffer
	if err := WriteReport(&again, recs); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("two renderings of the same journal differ")
	}

	report := buf.String()
	for _, want := range []string{
		// The p95 of every request of the fault phase, not the median of
		// the per-second p95s (which was 122 ms, "held").
		"**Verdict: ❌ VIOLATED** — p95 365 ms > 200 ms during fault; error rate 0.289% > 0.1% during fault",
		"| p95 | ≤ 200 ms | 120 ms ✅ held | 365 ms ❌ breached (14 of 30 windows beyond, worst 390 ms) | 120 ms ✅ held |",
		"| error rate | ≤ 0.1% | 0% ✅ held | 0.289% ❌ breached (7 of 30 windows beyond, worst 2%) | 0% ✅ held |",
		"| throughput | ≥ 250 req/s | 300 req/s of 300 offered ✅ held |",
		"- **Time to detect:** under 1s — p95 240 ms > 200 ms at T+00:11",
		"- **Detected by the system:** load balancer: health check took replica-2 out after 2 failed checks, 2s after the first injection",
		"- **Time to recover:** 18s after detection",
		"- **Peak p95:** 390 ms at T+00:18 (fault)",
		"- **Lowest running count:** 3 at T+00:11 (fault)",
		"- `T+00:14` ✅ success: load balancer took the dead replica out within 2 s",
		"- the replica-down alert took 40 s to fire (note at T+00:20)",
		"- p95 365 ms > 200 ms during fault (bound ≤ 200 ms)",
		"- throughput held ≥ 250 req/s: fault 299 req/s, recovery 300 req/s; worst window 290 req/s",
		"^ fault",
		"- **gameday version:** v0.4.0",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// The misleading line of the median-of-p95s days must not come back.
	if strings.Contains(report, "p95 held") || strings.Contains(report, "p95_ms stayed") {
		t.Error("report says p95 held during the fault")
	}
	// Graphs stay within 72 columns.
	inBlock := false
	for _, l := range strings.Split(report, "\n") {
		if strings.HasPrefix(l, "```") {
			inBlock = !inBlock
			continue
		}
		if inBlock && utf8.RuneCountInString(l) > 72 {
			t.Errorf("graph line is %d columns wide: %q", utf8.RuneCountInString(l), l)
		}
	}
}

// A journal written by an older version (v0.3.0: no histograms, checks
// without a method, the median-of-p95s verdict "held"-ish) still renders,
// and the report says what the same samples give when judged on every
// window, instead of repeating a verdict its data contradicts.
func TestReportOfOlderJournal(t *testing.T) {
	f, err := os.Open("testdata/v0.3.0-run.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := ReadJournal(f)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteReport(&buf, recs); err != nil {
		t.Fatal(err)
	}
	golden(t, "v0.3.0-report.golden", buf.Bytes())
	report := buf.String()
	for _, want := range []string{
		"**Verdict: ❌ VIOLATED** — p95 above 200 ms in 14 of 30 windows during fault (worst 340 ms)",
		"The run itself (gameday v0.3.0) recorded **❌ VIOLATED** — error_rate 0.00289 > 0.001 during fault",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestJUnitGolden(t *testing.T) {
	recs := readFixture(t)
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, recs); err != nil {
		t.Fatal(err)
	}
	golden(t, "junit.golden", buf.Bytes())

	var suite junitSuite
	if err := xml.Unmarshal(buf.Bytes(), &suite); err != nil {
		t.Fatalf("junit output does not parse: %v", err)
	}
	if suite.Name != "Random task stop" {
		t.Errorf("suite name = %q", suite.Name)
	}
	// 4 metrics × 3 phases, 2 rollbacks, 1 run.
	if suite.Tests != 15 || len(suite.Cases) != 15 {
		t.Errorf("tests = %d (%d cases), want 15", suite.Tests, len(suite.Cases))
	}
	var failed []string
	for _, c := range suite.Cases {
		if c.Failure != nil {
			failed = append(failed, c.Name+": "+c.Failure.Message)
		}
	}
	if want := []string{"fault: p95 ≤ 200 ms: p95 365 ms > 200 ms during fault", "fault: error rate ≤ 0.1%: error rate 0.289% > 0.1% during fault"}; !slices.Equal(failed, want) || suite.Failures != 2 {
		t.Errorf("failures = %q (%d), want %q", failed, suite.Failures, want)
	}
}

func TestJUnitNotSteadyAndRollbackFailed(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 3, 1, 14, 0, 0, 0, time.UTC)
	plan := testPlan(fault("f1", providers.InstanceStop))
	notSteady := []Record{
		{Seq: 1, At: t0, Type: RecPlan, Plan: plan},
		{Seq: 2, At: t0, Type: RecPhase, Phase: "baseline"},
		{Seq: 3, At: t0.Add(time.Second), Type: RecSample, Sample: &providers.Sample{At: t0.Add(time.Second), P95: 312, Requests: 100, Throughput: 100, Running: 4}},
		{Seq: 4, At: t0.Add(2 * time.Second), Type: RecFault, Fault: &FaultStatus{Fault: plan.Faults[0], State: FaultSkipped}},
		{Seq: 5, At: t0.Add(2 * time.Second), Type: RecPhase, Phase: "done"},
	}
	g := newSampleGroups()
	for _, r := range notSteady {
		g.observe(r)
	}
	checks := judge(plan, GroupBaseline, g.data[GroupBaseline])
	notSteady = append(notSteady, Record{Seq: 6, At: t0.Add(2 * time.Second), Type: RecVerdict, Outcome: &Outcome{Verdict: VerdictNotSteady, Reason: describeBreach(checks[0]), Checks: checks}})

	var buf bytes.Buffer
	if err := WriteJUnit(&buf, notSteady); err != nil {
		t.Fatal(err)
	}
	var suite junitSuite
	if err := xml.Unmarshal(buf.Bytes(), &suite); err != nil {
		t.Fatal(err)
	}
	if suite.Failures != 1 || suite.Skipped != 8 {
		t.Errorf("not steady: %d failures, %d skipped; want 1 and 8\n%s", suite.Failures, suite.Skipped, buf.String())
	}
	if c := suite.Cases[0]; c.Name != "baseline: p95 ≤ 200 ms" || c.Failure == nil || c.Failure.Message != "p95 above 200 ms in 1 of 1 windows during baseline (worst 312 ms)" {
		t.Errorf("first case = %+v", c)
	}

	// A crashed run with a fault left active: the rollback case fails with
	// the manual command, and the run case errors.
	crashed := []Record{
		{Seq: 1, At: t0, Type: RecPlan, Plan: plan},
		{Seq: 2, At: t0, Type: RecPhase, Phase: "observing"},
		{Seq: 3, At: t0, Type: RecFault, Fault: &FaultStatus{Fault: plan.Faults[0], State: FaultRollbackFailed, Manual: "fakectl undo f1", Err: "timeout"}},
	}
	buf.Reset()
	if err := WriteJUnit(&buf, crashed); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "manual: fakectl undo f1") || !strings.Contains(buf.String(), `<error message="the journal ends without a verdict`) {
		t.Errorf("crashed run junit:\n%s", buf.String())
	}
	var report bytes.Buffer
	if err := WriteReport(&report, crashed); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"⚠️ UNFINISHED", "🚨 **Manual action needed.**", "`fakectl undo f1`"} {
		if !strings.Contains(report.String(), want) {
			t.Errorf("report of a crashed run lacks %q", want)
		}
	}
}

func TestReportRejectsBadJournal(t *testing.T) {
	t.Parallel()
	if err := WriteReport(&bytes.Buffer{}, nil); err == nil {
		t.Error("WriteReport(no records) succeeded")
	}
	if err := WriteJUnit(&bytes.Buffer{}, []Record{{Type: RecPhase}}); err == nil {
		t.Error("WriteJUnit(no plan) succeeded")
	}
}

// A run's report, rendered from what the run published, equals the report
// rendered from its journal file read back.
func TestReportFromRunEqualsReportFromJournal(t *testing.T) {
	t.Parallel()
	prov := newFakeProvider(t)
	prov.targets["f1"] = []providers.Target{{ID: "r1", Name: "replica-1"}}
	h := start(t, testPlan(fault("f1", providers.InstanceStop)), prov, prov, metricsFor(nil))
	if err := h.run.Note("+ it worked"); err != nil {
		t.Fatal(err)
	}
	var live []Record
	for rec := range h.run.Events() {
		live = append(live, rec)
	}
	h.wait(t)
	var fromRun, fromJournal bytes.Buffer
	if err := WriteReport(&fromRun, live); err != nil {
		t.Fatal(err)
	}
	if err := WriteReport(&fromJournal, h.records(t)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fromRun.Bytes(), fromJournal.Bytes()) {
		t.Errorf("reports differ:\n%s", firstDiff(fromRun.String(), fromJournal.String()))
	}
	if !strings.Contains(fromRun.String(), "✅ HELD") || !strings.Contains(fromRun.String(), "it worked") {
		t.Errorf("unexpected report:\n%s", fromRun.String())
	}
}

// Secrets planted in the plan, the environment, notes, provider errors and
// manual commands never reach the journal bytes, the events or the report.
func TestSecretsNeverWritten(t *testing.T) {
	t.Parallel()
	secrets := []string{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI", "hunter2", "eyJhbGciOiJIUzI1NiJ9", "s3cr3tT0k3n", "pa55w0rd"}
	prov := newFakeProvider(t)
	prov.injectErr["f1"] = errors.New("POST https://deploy:pa55w0rd@api.internal/x failed")
	prov.rollbackErr["f1"] = errors.New("denied for key AKIAIOSFODNN7EXAMPLE")
	plan := testPlan(fault("f1", providers.InstanceStop))
	plan.Hypothesis = "holds with AKIAIOSFODNN7EXAMPLE"
	plan.Description = "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	plan.Target.Fields = providers.Fields{"dsn": "postgres://admin:hunter2@db:5432/app", "header": "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.x"}
	plan.BlastRadius = "https://x/?token=s3cr3tT0k3n"
	h := start(t, plan, prov, prov, metricsFor(nil), func(o *Options) {
		o.Env.Targets = []providers.Target{{ID: "r1", Name: "https://ops:hunter2@host"}}
		o.RollbackDeadline = 500 * time.Millisecond
		o.RollbackRetries = -1
	})
	if err := h.run.Note("- we pasted Bearer eyJhbGciOiJIUzI1NiJ9.abc and password=pa55w0rd in chat"); err != nil {
		t.Fatal(err)
	}
	var live []Record
	for rec := range h.run.Events() {
		live = append(live, rec)
	}
	out := h.wait(t)
	if out.Verdict != VerdictRollbackFailed {
		t.Fatalf("verdict = %s; the test wants the error paths exercised", out.Verdict)
	}
	journal := h.journal.Synced()
	var report, junit bytes.Buffer
	if err := WriteReport(&report, live); err != nil {
		t.Fatal(err)
	}
	if err := WriteJUnit(&junit, live); err != nil {
		t.Fatal(err)
	}
	snap := mustJSON(t, h.run.Snapshot())
	for _, s := range secrets {
		for what, text := range map[string]string{"journal": string(journal), "report": report.String(), "junit": junit.String(), "snapshot": snap} {
			if strings.Contains(text, s) {
				t.Errorf("secret %q found in the %s", s, what)
			}
		}
	}
	if !bytes.Contains(journal, []byte("[REDACTED]")) {
		t.Error("nothing was redacted: the test planted nothing?")
	}
}

// Records appended by `gameday recover` after the verdict update the
// faults' final state, without stretching the run.
func TestReportAfterRecover(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 3, 1, 14, 0, 0, 0, time.UTC)
	plan := testPlan(fault("f1", providers.InstanceStop))
	f1 := plan.Faults[0]
	recs := []Record{
		{Seq: 1, At: t0, Type: RecPlan, Plan: plan},
		{Seq: 2, At: t0, Type: RecPhase, Phase: "observing"},
		{Seq: 3, At: t0.Add(time.Second), Type: RecFault, Fault: &FaultStatus{Fault: f1, State: FaultRollbackFailed, Manual: "fakectl undo f1"}},
		{Seq: 4, At: t0.Add(2 * time.Second), Type: RecPhase, Phase: "aborted"},
		{Seq: 5, At: t0.Add(2 * time.Second), Type: RecVerdict, Outcome: &Outcome{Verdict: VerdictRollbackFailed, Reason: "rollback not confirmed"}},
		{Seq: 6, At: t0.Add(3 * time.Hour), Type: RecRecover, Fault: &FaultStatus{Fault: f1, State: FaultRolledBack, Verification: &providers.Verification{Clean: true}}},
	}
	if u := Unfinished(recs); len(u) != 0 {
		t.Errorf("Unfinished after recover = %+v", u)
	}
	var b bytes.Buffer
	if err := WriteReport(&b, recs); err != nil {
		t.Fatal(err)
	}
	report := b.String()
	if strings.Contains(report, "Manual action needed") {
		t.Error("report still asks for manual action after a successful recover")
	}
	for _, want := range []string{"lasted 2s", "`T+180:00` recover: f1 (instance-stop) rolled back, verified clean"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

// The report lists the failed requests of each phase by kind, a 3xx
// among them, and says when the plan counts redirects as successes.
func TestReportErrorKinds(t *testing.T) {
	t.Parallel()
	recs := fixtureRecords()
	var plain bytes.Buffer
	if err := WriteReport(&plain, recs); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.String(), "Failed requests by kind") || strings.Contains(plain.String(), "redirect") {
		t.Errorf("a journal without kinds gets a kinds line:\n%s", plain.String())
	}
	plan := *recs[0].Plan
	load := *plan.Load
	load.AcceptRedirects = true
	plan.Load = &load
	recs[0].Plan = &plan
	for i, rec := range recs {
		if rec.Type != RecSample {
			continue
		}
		s := *rec.Sample
		switch sec := s.At.Sub(recs[0].At).Seconds(); {
		case sec >= 12 && sec <= 13:
			s.ErrorsBy = map[string]int64{"3xx": 4, "timeout": 2}
		case sec == 20:
			s.ErrorsBy = map[string]int64{"5xx": 1}
		case sec == 50:
			s.ErrorsBy = map[string]int64{"reset": 3}
		}
		recs[i].Sample = &s
	}
	var b bytes.Buffer
	if err := WriteReport(&b, recs); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Failed requests by kind: baseline none; during fault 3xx 8, 5xx 1, timeout 4; recovery reset 3.",
		"- **Load:** 300 req/s (built-in load generator; a redirect (3xx) counts as a success)",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
}
