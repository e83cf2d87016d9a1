package engine

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

var update = flag.Bool("update", false, "regenerate the golden files (and the journal fixture) in testdata")

const fixturePath = "testdata/run.jsonl"

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

// goldenOptions are the options the goldens are rendered with: a reader
// in Central Europe (English) or Japan (Japanese), the journal's real
// path, and (for the violated run) the SVG charts beside the report.
func goldenOptions(lang Lang, charts bool) []ReportOption {
	loc := time.FixedZone("CET", 3600)
	if lang == Japanese {
		loc = time.FixedZone("JST", 9*3600)
	}
	opts := []ReportOption{WithLang(lang), WithLocation(loc), WithJournalPath("/home/sre/.local/state/gameday/journals/20250301T140000.000Z-random-task-stop.jsonl")}
	if charts {
		links := map[scenarios.Metric]string{}
		for _, m := range scenarios.Metrics {
			links[m] = "20250301T140000.000Z-random-task-stop-" + ChartName(m) + ".svg"
		}
		opts = append(opts, WithChartLinks(links))
	}
	return opts
}

func render(t *testing.T, recs []Record, opts ...ReportOption) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteReport(&buf, recs, opts...); err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := WriteReport(&again, recs, opts...); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("two renderings of the same journal differ")
	}
	return buf.String()
}

// The report of a held, a violated and an aborted run, in English and in
// Japanese. Each golden is read line by line when it changes: it must
// never lock in a sentence its own data contradicts.
func TestReportGoldens(t *testing.T) {
	runs := map[string][]Record{
		"violated": readFixture(t),
		"held":     heldRecords(),
		"aborted":  abortedRecords(),
	}
	for name, recs := range runs {
		for _, lang := range Langs() {
			t.Run(name+"/"+string(lang), func(t *testing.T) {
				report := render(t, recs, goldenOptions(lang, name == "violated")...)
				golden(t, "report-"+name+"."+string(lang)+".golden", []byte(report))
				checkMarkdown(t, report)
			})
		}
	}
}

// checkMarkdown holds a report to what every report must be: no raw
// markup from user text, no placeholder command, graphs within 72
// columns.
func checkMarkdown(t *testing.T, report string) {
	t.Helper()
	for _, bad := range []string{"recover JOURNAL", "%!", "(MISSING)", "(EXTRA"} {
		if strings.Contains(report, bad) {
			t.Errorf("report holds %q", bad)
		}
	}
	// User text is escaped: no "<" reaches GitHub as the start of a tag
	// or a comment (the only ones are autolinks the report makes; "2 < 3"
	// starts nothing).
	for _, l := range strings.Split(report, "\n") {
		for i := strings.Index(l, "<"); i >= 0; i = next(l, i) {
			tag := i+1 < len(l) && strings.ContainsAny(l[i+1:i+2], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ/!?")
			if tag && (i == 0 || l[i-1] != '\\') && !strings.HasPrefix(l[i:], "<https://") && !strings.HasPrefix(l[i:], "<http://") {
				t.Errorf("unescaped < in %q", l)
				break
			}
		}
	}
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

// next returns the index of the next "<" in l after i, -1 if none.
func next(l string, i int) int {
	j := strings.Index(l[i+1:], "<")
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

// What the violated run's report says, sentence by sentence, against the
// data it comes from.
func TestReportViolated(t *testing.T) {
	recs := readFixture(t)
	report := render(t, recs, goldenOptions(English, true)...)
	for _, want := range []string{
		// The p95 of every request of the fault phase, not the median of
		// the per-second p95s (which was 122 ms, "held").
		"**Verdict: ❌ VIOLATED** — p95 365 ms > 200 ms during the fault; error rate 0.289% > 0.1% during the fault",
		"Started 2025-03-01 15:00:00 +01:00 and lasted 1 min 1 s.",
		"- ❌ **error rate** 0.289% during the fault (goal ≤ 0.1%) — not met; worst second 2% at 15:00:11 (T+00:11); back to 0% in the recovery",
		"- ✅ **throughput** 299 req/s during the fault (goal ≥ 250 req/s) — met; worst second 290 req/s at 15:00:11 (T+00:11)",
		"- 🩺 **The system reacted** 2.1 s after the first injection — load balancer: health check took replica-2 out after 2 failed checks",
		"| p95 | ≤ 200 ms | 120 ms ✅ held | 365 ms ❌ breached (14 of 30 windows beyond, worst 390 ms) | 120 ms ✅ held |",
		"| error rate | ≤ 0.1% | 0% ✅ held | 0.289% ❌ breached (7 of 30 windows beyond, worst 2%) | 0% ✅ held |",
		"- [ ] the replica-down alert took 40 s to fire: page within 10 s (@sato, due 2026-12-15)",
		"- [ ] \\# alerts should name the replica, not \\`\\*\\` (no owner yet)",
		"- **Participants:** Sato (facilitator), Tanaka (scribe), Kim (SRE on the API)",
		"  - [API dashboard](https://grafana.example.com/d/api?from=1740837600000&to=1740837661000)",
		"| f1 | instance-stop | 25% | — | at +0 s for 15 s | r2 (replica-2) |",
		"- load balancer took replica-2 out at 15:00:12 (T+00:12), 2.1 s after the first injection, and put it back in 5.3 s later, at 15:00:17 (T+00:17)",
		"- Running count 4 in the baseline; lowest 3 at 15:00:11 (T+00:11); back to 4 at 15:00:18 (T+00:18), 7 s later.",
		"![p95 latency (ms)](20250301T140000.000Z-random-task-stop-p95.svg)",
		"replica-4 (\\<replica-4\\>) looked fine \\<!-- nothing after this should hide",
		"dashboards \\| lagged by about 5 s",
		"- **Times:** CET (UTC+01:00); the journal keeps UTC",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// The misleading line of the median-of-p95s days must not come back.
	if strings.Contains(report, "p95 held") {
		t.Error("report says p95 held during the fault")
	}
	// A line of the timeline is never said twice, and the mere wish to
	// inject ("requested") is not a line of its own.
	seen := map[string]bool{}
	for _, l := range strings.Split(report[strings.Index(report, "## Timeline"):strings.Index(report, "## Notes")], "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		text := l[strings.Index(l, "T+")+7:]
		if seen[l] {
			t.Errorf("timeline line twice: %q", l)
		}
		seen[l] = true
		if strings.Contains(text, "requested") {
			t.Errorf("timeline shows a request: %q", l)
		}
	}
}

// A held run: no impact was visible, so the report says so instead of
// "not detected"; the running count is not watched, so it has no summary
// line, no section and no graph.
func TestReportHeld(t *testing.T) {
	report := render(t, heldRecords(), goldenOptions(English, false)...)
	for _, want := range []string{
		"**Verdict: ✅ HELD** — the steady state held during the fault and the recovery",
		"- 🔎 **Detection:** no impact was visible — no metric went beyond its goal after the first injection",
		"- [ ] add a latency alert at p95 150 ms (@tanaka)",
		"- [ ] document the 100 ms budget in the runbook (no owner yet)",
		"The system reported no events during the run",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, bad := range []string{"running count", "Running", "not detected", "Manual action"} {
		if strings.Contains(report, bad) {
			t.Errorf("report of a run that does not watch the running count says %q", bad)
		}
	}
}

// An aborted run: the stop condition that fired is found again from the
// samples, with its value; the fault never run is skipped, not a manual
// action; the recovery it watched after the abort is said.
func TestReportAborted(t *testing.T) {
	report := render(t, abortedRecords(), goldenOptions(English, false)...)
	for _, want := range []string{
		"**Verdict: ⛔ ABORTED** — aborted: stop condition “error rate > 5% for 5 s” fired: error rate 8% at 15:00:15 (T+00:15); the hypothesis was already refuted: ",
		"; after the rollback the steady state held again",
		"| f2 | db-failure | ➖ skipped |",
		"- [ ] cap instance-stop at 1 replica until the autoscaler reacts faster (@kim, @sato, due 2026-12-01)",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(report, "Manual action") {
		t.Error("an aborted run whose rollback was confirmed asks for manual action")
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
		"**Verdict: ❌ VIOLATED** — p95 above 200 ms in 14 of 30 windows during the fault (worst 340 ms); error rate 0.289% > 0.1% during the fault",
		"The run itself (gameday v0.3.0) recorded **❌ VIOLATED** — `error_rate 0.00289 > 0.001 during fault`",
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
	if want := []string{"fault: p95 ≤ 200 ms: p95 365 ms > 200 ms during the fault", "fault: error rate ≤ 0.1%: error rate 0.289% > 0.1% during the fault"}; !slices.Equal(failed, want) || suite.Failures != 2 {
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
	if c := suite.Cases[0]; c.Name != "baseline: p95 ≤ 200 ms" || c.Failure == nil || c.Failure.Message != "p95 above 200 ms in 1 of 1 window during the baseline (worst 312 ms)" {
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
	for _, want := range []string{"lasted 2 s", "- `17:00:00` T+180:00 recover: f1 (instance-stop) rolled back, verified clean"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

// A journal whose run is still going reads as IN PROGRESS: its active
// faults are active, no manual banner, no "not recovered". The same
// journal from a run that died reads as UNFINISHED, with the banner and
// the recover command naming the real journal — never a placeholder.
func TestReportLiveAndCrashed(t *testing.T) {
	all := readFixture(t)
	var cut []Record
	for _, r := range all {
		if r.At.Sub(all[0].At) > 20*time.Second {
			break
		}
		cut = append(cut, r)
	}
	path := "/home/sre/journals/20250301T140000.000Z-random task stop.jsonl"
	live := render(t, cut, WithJournalPath(path), WithLive(true))
	for _, want := range []string{
		"**Verdict: ⏳ IN PROGRESS** — the run is in its fault phase (journal as of 14:00:20 (T+00:20))",
		"> ⏳ The run is still going; active now: f1 (instance-stop) active, f2 (latency) active.",
		"| f1 | instance-stop | ⏳ active (the run is still going) |",
		"Started 2025-03-01 14:00:00 +00:00; running for 20 s so far.",
	} {
		if !strings.Contains(live, want) {
			t.Errorf("live report lacks %q", want)
		}
	}
	for _, bad := range []string{"Manual action", "UNFINISHED", "not recovered", "Not recovered", "may still be active", "gameday recover"} {
		if strings.Contains(live, bad) {
			t.Errorf("live report says %q:\n%s", bad, live)
		}
	}

	crashed := render(t, cut, WithJournalPath(path))
	for _, want := range []string{
		"**Verdict: ⚠️ UNFINISHED** — the journal ends at 14:00:20 (T+00:20) without a verdict; the run did not finish",
		"> 🚨 **Manual action needed.**",
		"> - f1 (instance-stop, active): `gameday recover '/home/sre/journals/20250301T140000.000Z-random task stop.jsonl'`",
		"| f2 | latency | ⚠️ active (may still be active) |",
	} {
		if !strings.Contains(crashed, want) {
			t.Errorf("crashed report lacks %q", want)
		}
	}
	// Without the journal's path the command is said in words.
	anon := render(t, cut)
	if !strings.Contains(anon, "`gameday recover` with this run's journal") || strings.Contains(anon, "JOURNAL") {
		t.Errorf("a report without the journal's path:\n%s", anon)
	}
	// A manual command older versions journaled with the placeholder
	// names the journal.
	old := slices.Clone(cut)
	var f FaultStatus
	for _, r := range old {
		if r.Fault != nil && r.Fault.Fault.ID == "f2" {
			f = *r.Fault
		}
	}
	f.State, f.Manual = FaultRollbackFailed, "gameday recover JOURNAL   # the sandbox provider gave no manual command for f2"
	old = append(old, Record{Seq: 999, At: old[len(old)-1].At, Type: RecFault, Fault: &f})
	if r := render(t, old, WithJournalPath("/j.jsonl")); strings.Contains(r, "recover JOURNAL") || !strings.Contains(r, "gameday recover /j.jsonl") {
		t.Errorf("placeholder in:\n%s", r)
	}
	// Live, a rollback the engine already gave up on is still an alarm.
	if r := render(t, old, WithLive(true)); !strings.Contains(r, "Manual action needed") || !strings.Contains(r, "f2 (latency, rollback failed)") {
		t.Errorf("a live run with a failed rollback has no banner:\n%s", r)
	}
}

// Every text a person typed or a system reported is escaped: nothing in a
// note, a title, a target or an error can hide the rest of the report or
// start markup of its own.
func TestReportEscapesUserText(t *testing.T) {
	t.Parallel()
	hostile := []string{
		"<!-- hide everything after this",
		"<replica-4>",
		"<img src=x onerror=alert(1)>",
		"[click](javascript:alert(1))",
		"line one\n# a heading\n[x]: https://evil.example",
		"a | b | c",
		"`unclosed code",
		"**bold** _em_ ~~strike~~ $x$",
		"1. not a list",
		"&lt;entity&gt;",
	}
	recs := readFixture(t)
	plan := *recs[0].Plan
	plan.Title = hostile[0]
	plan.Hypothesis = hostile[1]
	plan.Participants = []scenarios.Participant{{Name: hostile[2], Role: hostile[3]}}
	plan.Links = []scenarios.Link{{Title: hostile[4], URL: "https://x.example/a(b)<c>"}, {Title: "js", URL: "javascript:alert(1)"}}
	recs[0].Plan = &plan
	for i, h := range hostile {
		recs = append(recs, Record{Seq: 1000 + i, At: recs[len(recs)-1].At, Type: RecNote, Note: &Note{Kind: Improvement, Text: h}})
	}
	report := render(t, recs)
	checkMarkdown(t, report)
	// Each of these may appear only escaped: right after a backslash.
	for _, bad := range []string{"\n# a heading", "\n[x]: https", "](javascript:", "<img", "| a | b |", "**bold**", "\n1. not", "&lt;"} {
		for i := strings.Index(report, bad); i >= 0; {
			if i == 0 || report[i-1] != '\\' {
				t.Errorf("report holds the raw %q", bad)
				break
			}
			j := strings.Index(report[i+1:], bad)
			if j < 0 {
				break
			}
			i += 1 + j
		}
	}
	if !strings.Contains(report, "(https://x.example/a%28b%29%3Cc%3E)") || !strings.Contains(report, "js (`javascript:alert(1)`)") {
		t.Errorf("links are not made safe:\n%s", report[strings.Index(report, "**Links:**"):][:400])
	}
}

func TestEscapeText(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"plain text, 40 s":  "plain text, 40 s",
		"<!-- x":            `\<!-- x`,
		"# title":           `\# title`,
		"- item":            `\- item`,
		"12. item":          `12\. item`,
		"3) item":           `3\) item`,
		"2 of 3 and 4. ok":  "2 of 3 and 4. ok",
		"a|b":               `a\|b`,
		"snake_case *x*":    `snake\_case \*x\*`,
		"two\nlines\r\n":    "two lines  ",
		"bell\a and tab\t.": "bell and tab .",
		"日本語のメモ":            "日本語のメモ",
	} {
		if got := escapeText(in); got != want {
			t.Errorf("escapeText(%q) = %q, want %q", in, got, want)
		}
	}
}

// The SVG charts: one per watched classic metric, the same bytes for the
// same journal, with the threshold dashed and labelled and the fault
// window shaded. The p95 chart of the violated run is a golden.
func TestCharts(t *testing.T) {
	recs := readFixture(t)
	opts := goldenOptions(English, false)
	charts, err := WriteCharts(recs, opts...)
	if err != nil {
		t.Fatal(err)
	}
	again, err := WriteCharts(recs, opts...)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for i, c := range charts {
		names = append(names, c.Name)
		if !bytes.Equal(c.SVG, again[i].SVG) {
			t.Errorf("%s: two drawings of the same journal differ", c.Name)
		}
		svg := string(c.SVG)
		for _, want := range []string{"<svg", "stroke-dasharray", "goal ", "fill:#FF9832;fill-opacity:0.25", "15:00:30"} {
			if !strings.Contains(svg, want) {
				t.Errorf("%s chart lacks %q", c.Name, want)
			}
		}
		if c.Name == "p95" {
			golden(t, "chart-p95.svg.golden", c.SVG)
			for _, want := range []string{"p95 latency (ms)", "goal ≤ 200 ms", "time (CET, UTC+01:00)"} {
				if !strings.Contains(svg, want) {
					t.Errorf("p95 chart lacks %q", want)
				}
			}
		}
	}
	if want := []string{"error-rate", "p95", "throughput", "running"}; !slices.Equal(names, want) {
		t.Errorf("charts %q, want %q", names, want)
	}
	// The held run does not watch the running count: no chart for it.
	held, err := WriteCharts(heldRecords(), WithLang(Japanese))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range held {
		if c.Name == "running" {
			t.Error("a chart of a metric the scenario does not watch")
		}
		if c.Name == "p95" && !strings.Contains(string(c.SVG), "目標 ≤ 200 ms") {
			t.Error("the Japanese chart is not in Japanese")
		}
	}
	if len(held) != 3 {
		t.Errorf("held run: %d charts, want 3", len(held))
	}
}

// The report lists the failed requests of each phase by kind, a 3xx
// among them, and says when the plan counts redirects as successes.
func TestReportErrorKinds(t *testing.T) {
	t.Parallel()
	recs := fixtureRecords()
	plain := render(t, recs)
	if strings.Contains(plain, "Failed requests by kind") || strings.Contains(plain, "redirect") {
		t.Errorf("a journal without kinds gets a kinds line:\n%s", plain)
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
	report := render(t, recs)
	for _, want := range []string{
		"Failed requests by kind: baseline none; fault 3xx 8, 5xx 1, timeout 4; recovery reset 3.",
		"- **Load:** 300 req/s (built-in load generator; a redirect (3xx) counts as a success)",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	if ja := render(t, recs, WithLang(Japanese)); !strings.Contains(ja, "失敗したリクエストの種類別件数: ベースライン なし、障害フェーズ 3xx 8 件、5xx 1 件、timeout 4 件、回復フェーズ reset 3 件。") {
		t.Errorf("Japanese kinds line missing:\n%s", ja)
	}
}

// A ladder that breaks off: the verdict, the summary and the improvements
// name the step that breached and the widest that held; the timeline has
// each step; the plan shows the ladder — in both languages.
func TestReportLadder(t *testing.T) {
	t.Parallel()
	prov := newFakeProvider(t)
	f := fault("f1", providers.Latency)
	f.Ladder = &scenarios.Ladder{Steps: []providers.Selection{{Count: 1}, {Count: 2}, {Count: 3}}, Hold: 400 * time.Millisecond, OnBreach: scenarios.OnBreachStop}
	plan := testPlan(f)
	plan.Phases = scenarios.Phases{Baseline: 200 * time.Millisecond, Fault: 8 * time.Second, Recovery: 300 * time.Millisecond}
	h := start(t, plan, prov, prov, metricsFor(func(s *providers.Sample) bool {
		if prov.activeSelection("f1").Count >= 3 {
			s.P50, s.P95, s.P99 = 500, 900, 950
		}
		return true
	}))
	if out := h.wait(t); out.Verdict != VerdictViolated {
		t.Fatalf("verdict %s (%s)", out.Verdict, out.Reason)
	}
	recs := h.records(t)
	en := render(t, recs)
	for _, want := range []string{
		"f1's ladder breached at step 3 of 3 (3 targets) after ",
		"; the widest step that held: 2 (2 targets)",
		"- 🪜 **Ladder:** f1's ladder breached at step 3 of 3",
		"f1 ladder step 1 of 3 (1 target) held",
		"f1 ladder step 3 of 3 (3 targets) **breached**",
		"| f1 | latency | 1 target → 2 targets → 3 targets, each held 400 ms; on a breach, stop |",
	} {
		if !strings.Contains(en, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Count(en, "**Verdict: ❌ VIOLATED** — ") != 1 || !strings.Contains(en[:strings.Index(en, "\n\n## ")], "ladder breached") {
		t.Errorf("the verdict does not say the ladder breached:\n%s", en[:400])
	}
	ja := render(t, recs, WithLang(Japanese))
	for _, want := range []string{"f1 の段階 3/3（3 件）が ", "維持できた最も広い段階: 2（2 件）", "🪜 **段階的な影響範囲:**"} {
		if !strings.Contains(ja, want) {
			t.Errorf("Japanese report lacks %q", want)
		}
	}
}

// TestReportNoteAuthor: a scribe's note says who wrote it in the notes,
// the timeline and the lessons, in both languages, with the name escaped
// like every text someone typed.
func TestReportNoteAuthor(t *testing.T) {
	t.Parallel()
	recs := readFixture(t)
	at := recs[len(recs)-1].At
	recs = append(recs,
		Record{Seq: 1000, At: at, Type: RecNote, Note: &Note{Kind: Improvement, Text: "@sato raise the alert threshold", Author: "Tanaka"}},
		Record{Seq: 1001, At: at, Type: RecNote, Note: &Note{Kind: Success, Text: "the breaker opened", Author: "<b>Sato</b>"}},
		Record{Seq: 1002, At: at, Type: RecNote, Note: &Note{Kind: Observation, Text: "dashboards lag", Author: "Tanaka"}},
	)
	tests := map[string]struct {
		lang Lang
		want []string
	}{
		"en": {English, []string{
			"🔧 improvement by Tanaka: @sato raise the alert threshold",
			"✅ success by \\<b\\>Sato\\</b\\>: the breaker opened",
			"📝 note by Tanaka: dashboards lag",
			"raise the alert threshold — note at ",
			" by Tanaka",
		}},
		"ja": {Japanese, []string{
			"🔧 改善点（Tanaka）: @sato raise the alert threshold",
			"📝 メモ（Tanaka）: dashboards lag",
			" の Tanaka のメモ",
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			report := render(t, recs, goldenOptions(tc.lang, false)...)
			checkMarkdown(t, report)
			for _, want := range tc.want {
				if !strings.Contains(report, want) {
					t.Errorf("the report lacks %q", want)
				}
			}
			if strings.Contains(report, "<b>") {
				t.Error("the report holds a scribe's name unescaped")
			}
		})
	}
	// The facilitator's notes of the fixture have no author and read as
	// before (the goldens hold them).
	plain := render(t, readFixture(t), goldenOptions(English, false)...)
	for _, label := range []string{"success by", "improvement by", "note by", "note at 15:00:45 (T+00:45) by"} {
		if strings.Contains(plain, label) {
			t.Errorf("a note without an author is said to be by someone: %q", label)
		}
	}
}
