package engine

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// The day goldens are rendered from a day index (testdata/day.jsonl,
// written through DayJournal with a scripted clock) and the scripted runs
// of the run goldens, moved to the minutes the day ran them: a held run,
// the violated one, the aborted one, then an experiment refused at start.

// shifted returns recs with every time in them moved by d, as if the run
// had started d later.
func shifted(t *testing.T, recs []Record, d time.Duration) []Record {
	t.Helper()
	stamp := regexp.MustCompile(`"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)"`)
	var out []Record
	for _, r := range recs {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		b = stamp.ReplaceAllFunc(b, func(m []byte) []byte {
			at, err := time.Parse(time.RFC3339Nano, string(m[1:len(m)-1]))
			if err != nil {
				t.Fatal(err)
			}
			return []byte(`"` + at.Add(d).Format(time.RFC3339Nano) + `"`)
		})
		var r2 Record
		if err := json.Unmarshal(b, &r2); err != nil {
			t.Fatal(err)
		}
		out = append(out, r2)
	}
	return out
}

// clockAt is a scripted clock: each call returns the next of its times.
func clockAt(t *testing.T, times ...time.Time) func() time.Time {
	return func() time.Time {
		if len(times) == 0 {
			t.Fatal("the scripted clock ran out of times")
		}
		at := times[0]
		times = times[1:]
		return at
	}
}

func fixtureDay() *scenarios.Day {
	return &scenarios.Day{
		Path:        "days/sandbox-day.yaml",
		Title:       "Sandbox game day",
		Date:        "2025-03-01",
		Description: "Four experiments against the sandbox, the mildest first.",
		Participants: []scenarios.Participant{
			{Name: "Sato", Role: "facilitator"}, {Name: "Tanaka", Role: "scribe"},
			{Name: "Kim", Role: "observer"}, {Name: "Kato", Role: "on-call"}, {Name: "Lee", Role: "SRE on the API"},
		},
		Checklist: []string{"Dashboards open (API, load balancer)", "On-call told", "Rollback rehearsed"},
		Experiments: []scenarios.Experiment{
			{Scenario: "latency-100ms.yaml"}, {Scenario: "instance-stop"}, {Scenario: "two-replicas.yaml"}, {Scenario: "every-replica.yaml"},
		},
		Translations: map[string]scenarios.DayText{"ja": {
			Title:       "サンドボックスのゲームデイ",
			Description: "サンドボックスに対する 4 つの実験。穏やかなものから順に。",
			Checklist:   []string{"ダッシュボードを開く（API、ロードバランサー）", "オンコールに伝える", "ロールバックを予行演習する"},
		}},
	}
}

// refusedPlan is the fourth experiment: a stop of every replica, beyond
// its own cap, so it is refused at start.
func refusedPlan() *scenarios.Plan {
	return &scenarios.Plan{
		Path:        "days/every-replica.yaml",
		Title:       "Every replica down",
		Hypothesis:  "With every replica stopped, the load balancer serves the maintenance page",
		BlastRadius: "every replica",
		Rollback:    "abort restarts them",
		Target:      scenarios.Target{Provider: "sandbox", Name: "demo"},
		Phases:      scenarios.Phases{Baseline: 10 * time.Second, Fault: 20 * time.Second, Recovery: 10 * time.Second},
		Faults:      []scenarios.Fault{{Fault: providers.Fault{ID: "f1", Kind: providers.InstanceStop, Selection: providers.Selection{Percent: 100}}}},
		MaxCount:    2,
		Translations: map[string]scenarios.Text{"ja": {
			Title:      "全レプリカ停止",
			Hypothesis: "全レプリカを停止しても、ロードバランサーがメンテナンスページを返す",
		}},
	}
}

// dayRuns are the journals of the fixture day, in the day's order; the
// fourth experiment wrote none.
func dayRuns(t *testing.T) []DayRun {
	const dir = "/home/sre/.local/state/gameday/journals/"
	violatedCharts := map[scenarios.Metric]string{}
	for _, m := range scenarios.Metrics {
		violatedCharts[m] = "./20250301T140200.000Z-random-task-stop-" + ChartName(m) + ".svg"
	}
	return []DayRun{
		{Records: heldRecords(), Journal: dir + "20250301T140000.000Z-latency-injection-100-ms.jsonl"},
		{Records: shifted(t, readFixture(t), 2*time.Minute), Journal: dir + "20250301T140200.000Z-random-task-stop.jsonl", Charts: violatedCharts},
		{Records: shifted(t, abortedRecords(), 4*time.Minute), Journal: dir + "20250301T140400.000Z-two-replicas-down-then-the-database.jsonl"},
		{},
	}
}

const dayIndexPath = "testdata/day.jsonl"

// fixtureDayIndex writes the fixture day through DayJournal: the
// checklist ticked by three people, the four experiments in turn, two
// notes between the first and the second, the refusal of the fourth.
func fixtureDayIndex(t *testing.T) []DayRecord {
	t.Helper()
	at := func(hms string) time.Time {
		tm, err := time.Parse(time.DateTime, "2025-03-01 "+hms)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	runs := dayRuns(t)
	plans := []*scenarios.Plan{runs[0].Records[0].Plan, runs[1].Records[0].Plan, runs[2].Records[0].Plan, refusedPlan()}
	var buf bytes.Buffer
	j, err := NewDayJournal(&buf, fixtureDay(), plans, "v0.6.0", clockAt(t,
		at("13:58:00"), at("13:58:40"), at("13:59:05"), at("13:59:20"),
		at("14:00:00"), at("14:00:51"), at("14:01:30"), at("14:01:45"),
		at("14:02:00"), at("14:03:01"), at("14:04:00"), at("14:04:39"),
		at("14:05:00"), at("14:05:01"), at("14:05:02"),
	))
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	base := func(p string) string { return p[strings.LastIndex(p, "/")+1:] }
	must(j.Tick(0, "Sato"))
	must(j.Tick(1, "Kato"))
	must(j.Tick(2, "--checklist-done"))
	must(j.Start(0, base(runs[0].Journal)))
	must(j.Finish(0))
	must(j.Note("-@kato 2026-12-20 page the on-call when p95 stays above 150 ms"))
	must(j.Note("+the latency showed on the API dashboard within seconds"))
	must(j.Start(1, base(runs[1].Journal)))
	must(j.Finish(1))
	must(j.Start(2, base(runs[2].Journal)))
	must(j.Finish(2))
	must(j.Start(3, "20250301T140500.000Z-every-replica-down.jsonl"))
	must(j.Refuse(3, "blast radius refused: refusing to start: f1 instance-stop would hit 4 targets, beyond the plan's max_count of 2"))
	must(j.End(""))
	if *update {
		if err := os.WriteFile(dayIndexPath, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(dayIndexPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := ReadDay(f)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func dayOptions(lang Lang) []ReportOption {
	loc := time.FixedZone("CET", 3600)
	if lang == Japanese {
		loc = time.FixedZone("JST", 9*3600)
	}
	return []ReportOption{WithLang(lang), WithLocation(loc), WithJournalPath("/home/sre/.local/state/gameday/journals/20250301T135800.000Z-sandbox-game-day.day.jsonl")}
}

func renderDay(t *testing.T, index []DayRecord, runs []DayRun, opts ...ReportOption) string {
	t.Helper()
	var a, b bytes.Buffer
	if err := WriteDayReport(&a, index, runs, opts...); err != nil {
		t.Fatal(err)
	}
	if err := WriteDayReport(&b, index, runs, opts...); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two renderings of the same day differ")
	}
	return a.String()
}

// The day report in English and Japanese. Each golden is read line by
// line when it changes: it must never lock in a sentence its own data
// contradicts.
func TestDayReportGoldens(t *testing.T) {
	index, runs := fixtureDayIndex(t), dayRuns(t)
	for _, lang := range Langs() {
		t.Run(string(lang), func(t *testing.T) {
			golden(t, "day."+string(lang)+".golden", []byte(renderDay(t, index, runs, dayOptions(lang)...)))
		})
	}
}

// lines returns the report's lines that start with prefix.
func lines(report, prefix string) []string {
	var out []string
	for l := range strings.SplitSeq(report, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}

func TestDayReport(t *testing.T) {
	index, runs := fixtureDayIndex(t), dayRuns(t)
	report := renderDay(t, index, runs, dayOptions(English)...)

	// The day's verdict is its worst experiment's, by the exit codes:
	// the refusal (3) over the abort (2) over the violation (1).
	if got := lines(report, "**Day:"); len(got) != 1 || got[0] != "**Day: 🚫 REFUSED** — 4 experiments: ✅ HELD × 1, ❌ VIOLATED × 1, ⛔ ABORTED × 1, 🚫 REFUSED × 1" {
		t.Errorf("day verdict = %q", got)
	}
	// The summary: a row per experiment, in order, the figures of every
	// goal of the ones that ran.
	rows := lines(report, "| ")
	if len(rows) < 5 || rows[0] != "| # | Experiment | Hypothesis | Verdict | Key figures vs goals |" {
		t.Fatalf("summary table = %q", rows)
	}
	for i, want := range []string{
		"| 1 | Latency injection (100 ms) | With 100 ms of added latency on half the replicas, p95 stays under 200 ms and nothing fails | ✅ HELD | ✅ **p95** 127 ms during the fault (goal ≤ 200 ms)<br>✅ **error rate** 0% during the fault (goal ≤ 0.1%)<br>✅ **throughput** 100 req/s during the fault (goal ≥ 90 req/s) |",
		"| 2 | Random task stop | Stopping 25% of replicas keeps the error rate under 0.1% | ❌ VIOLATED | ❌ **p95** 365 ms during the fault (goal ≤ 200 ms)<br>❌ **error rate** 0.289% during the fault (goal ≤ 0.1%)<br>✅ **throughput** 299 req/s during the fault (goal ≥ 250 req/s)<br>✅ **running count** lowest 3 during the fault (goal ≥ 3) |",
		"| 4 | Every replica down | With every replica stopped, the load balancer serves the maintenance page | 🚫 REFUSED: blast radius refused: refusing to start: f1 instance-stop would hit 4 targets, beyond the plan's max\\_count of 2 | — |",
	} {
		n := []int{1, 2, 4}[i]
		if rows[n] != want {
			t.Errorf("summary row %d:\n got %s\nwant %s", n, rows[n], want)
		}
	}
	if !strings.HasPrefix(rows[3], "| 3 | Two replicas down, then the database | Losing half the replicas keeps the error rate under 1% | ⛔ ABORTED | ❌ **p95**") {
		t.Errorf("summary row 3: %s", rows[3])
	}

	// One list of action items across the day, in the order they were
	// noted, with owners and due dates, each saying where it came from.
	want := []string{
		"- [ ] add a latency alert at p95 150 ms (@tanaka) — experiment 1, Latency injection (100 ms)",
		"- [ ] document the 100 ms budget in the runbook (no owner yet) — experiment 1, Latency injection (100 ms)",
		"- [ ] page the on-call when p95 stays above 150 ms (@kato, due 2026-12-20) — noted between experiments",
		"- [ ] the replica-down alert took 40 s to fire: page within 10 s (@sato, due 2026-12-15) — experiment 2, Random task stop",
		"- [ ] \\# alerts should name the replica, not \\`\\*\\` (no owner yet) — experiment 2, Random task stop",
		"- [ ] cap instance-stop at 1 replica until the autoscaler reacts faster (@kim, @sato, due 2026-12-01) — experiment 3, Two replicas down, then the database",
	}
	// (The day's list comes first; each nested report keeps its own.)
	if got := lines(report, "- [ ] "); len(got) != 11 || !slices.Equal(got[:6], want) {
		t.Errorf("action items:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(report, "- 📋 **Action items:** 6 — see below") {
		t.Error("the summary does not count the day's six action items")
	}
	// The checklist as ticked, by whom.
	if got := lines(report, "- [x] "); !slices.Equal(got, []string{
		"- [x] Dashboards open (API, load balancer) — ticked at 14:58:40 by Sato",
		"- [x] On-call told — ticked at 14:59:05 by Kato",
		"- [x] Rollback rehearsed — ticked at 14:59:20 by `--checklist-done`",
	}) {
		t.Errorf("checklist = %q", got)
	}
	// Every experiment's report, its headings one level down: no
	// experiment's own title, and the day has one level-1 heading.
	if got := lines(report, "# "); len(got) != 1 || got[0] != "# Game day: Sandbox game day" {
		t.Errorf("level-1 headings = %q", got)
	}
	if got := lines(report, "## Experiment "); !slices.Equal(got, []string{
		"## Experiment 1: Latency injection (100 ms)", "## Experiment 2: Random task stop",
		"## Experiment 3: Two replicas down, then the database", "## Experiment 4: Every replica down",
	}) {
		t.Errorf("experiment headings = %q", got)
	}
	if n := len(lines(report, "### Summary")); n != 3 {
		t.Errorf("%d nested summaries (### Summary), want one per experiment that ran", n)
	}
	if n := len(lines(report, "#### Action items")); n != 3 {
		t.Errorf("%d nested action item lists (####), want 3", n)
	}
	// Each nested report is the run's own, one level down: its lines
	// after the title are the run's report's with "#" added to headings.
	for i, run := range runs[:3] {
		own := render(t, run.Records, WithLang(English), WithLocation(time.FixedZone("CET", 3600)), WithJournalPath(run.Journal), WithChartLinks(run.Charts))
		_, body, _ := strings.Cut(own, "\n")
		var nested []string
		for l := range strings.SplitSeq(body, "\n") {
			if strings.HasPrefix(l, "#") {
				l = "#" + l
			}
			nested = append(nested, l)
		}
		if !strings.Contains(report, strings.Join(nested, "\n")) {
			t.Errorf("experiment %d: its report is not in the day's, one level down", i+1)
		}
	}
	for _, want := range []string{
		"🚫 Refused at start: blast radius refused: refusing to start: f1 instance-stop would hit 4 targets, beyond the plan's max\\_count of 2. Nothing was injected and no journal was written.",
		"- `15:01:30` after experiment 1 — 🔧 improvement: @kato 2026-12-20 page the on-call when p95 stays above 150 ms",
		"- `15:01:45` after experiment 1 — ✅ success: the latency showed on the API dashboard within seconds",
		"Started 2025-03-01 14:58:00 +01:00 and lasted 7 min 2 s. Day file: `days/sandbox-day.yaml`.",
		"- Kato (on-call)",
		"- Lee (SRE on the API)",
		"- **Journal of experiment 2:** `/home/sre/.local/state/gameday/journals/20250301T140200.000Z-random-task-stop.jsonl`",
		"(./20250301T140200.000Z-random-task-stop-p95.svg)",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("the day report lacks %q", want)
		}
	}
	if strings.Contains(report, "did not finish") || strings.Contains(report, "stopped after") {
		t.Error("a day that ran every experiment reads as unfinished or stopped")
	}
}

// A day that stopped early, one that died, one still going, and an
// experiment whose journal is gone: each reads as what it is.
func TestDayReportStates(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 3, 1, 14, 0, 0, 0, time.UTC)
	plan := testPlan(fault("f1", providers.InstanceStop))
	failed := []Record{
		{Seq: 1, At: t0, Type: RecPlan, Plan: plan},
		{Seq: 2, At: t0, Type: RecFault, Fault: &FaultStatus{Fault: plan.Faults[0], State: FaultRollbackFailed, Manual: "fakectl undo f1", Err: "timeout"}},
		{Seq: 3, At: t0.Add(time.Minute), Type: RecVerdict, Outcome: &Outcome{Verdict: VerdictRollbackFailed, Reason: "f1 not confirmed rolled back"}},
	}
	day := &scenarios.Day{Path: "d.yaml", Title: "Short day", Experiments: []scenarios.Experiment{{Scenario: "a"}, {Scenario: "b"}, {Scenario: "c"}}, Checklist: []string{"ready"}}
	plans := []*scenarios.Plan{plan, plan, plan}
	write := func(steps func(j *DayJournal)) []DayRecord {
		var buf bytes.Buffer
		n := 0
		j, err := NewDayJournal(&buf, day, plans, "v1", func() time.Time { n++; return t0.Add(time.Duration(n) * time.Minute) })
		if err != nil {
			t.Fatal(err)
		}
		steps(j)
		recs, err := ReadDay(&buf)
		if err != nil {
			t.Fatal(err)
		}
		return recs
	}
	stopped := write(func(j *DayJournal) {
		_ = j.Tick(0, "")
		_ = j.Start(0, "a.jsonl")
		_ = j.Finish(0)
		_ = j.End(DayStopRollback)
	})
	runs := []DayRun{{Records: failed, Journal: "/j/a.jsonl"}}
	report := renderDay(t, stopped, runs)
	for _, want := range []string{
		"**Day: 🚨 ROLLBACK FAILED** — 3 experiments: 🚨 ROLLBACK FAILED × 1, ⏭️ NOT RUN × 2",
		"🚨 The day stopped after experiment 1: its rollback was not confirmed",
		"| 2 | Test plan | ", "⏭️ NOT RUN | — |",
		"⏭️ Not run: the day ended before it.",
		"- [x] ready — ticked at 14:02:00",
		"`fakectl undo f1`",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("stopped day: no %q in\n%s", want, report)
		}
	}
	var junit bytes.Buffer
	if err := WriteDayJUnit(&junit, stopped, runs); err != nil {
		t.Fatal(err)
	}
	var suites junitSuites
	if err := xml.Unmarshal(junit.Bytes(), &suites); err != nil {
		t.Fatal(err)
	}
	if len(suites.Suites) != 3 || suites.Failures != 1 || suites.Suites[1].Cases[0].Skipped == nil || suites.Suites[2].Cases[0].Skipped == nil {
		t.Errorf("stopped day JUnit: %d suites, %d skipped, %d failures\n%s", len(suites.Suites), suites.Skipped, suites.Failures, junit.String())
	}

	// Died during the second experiment, whose journal never appeared.
	died := write(func(j *DayJournal) {
		_ = j.Tick(0, "Sato")
		_ = j.Start(0, "a.jsonl")
		_ = j.Finish(0)
		_ = j.Start(1, "b.jsonl")
	})
	report = renderDay(t, died, []DayRun{{Records: failed, Journal: "/j/a.jsonl"}, {Journal: "/j/b.jsonl", Err: "open /j/b.jsonl: no such file or directory"}})
	for _, want := range []string{
		"⚠️ The day did not finish",
		"| 2 | Test plan | The service keeps its error rate under 1% | ⚠️ JOURNAL UNREADABLE | — |",
		"⚠️ Its journal `/j/b.jsonl` could not be read: open /j/b.jsonl: no such file or directory.",
		"`gameday recover /j/b.jsonl`",
		"| 3 | Test plan | The service keeps its error rate under 1% | ⏭️ NOT RUN | — |",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("a day that died: no %q in\n%s", want, report)
		}
	}

	// Still going: the second experiment runs, the third is to come.
	running := []Record{failed[0], {Seq: 2, At: t0.Add(time.Second), Type: RecPhase, Phase: "baseline"}}
	report = renderDay(t, died, []DayRun{{Records: failed, Journal: "/j/a.jsonl"}, {Records: running, Journal: "/j/b.jsonl", Live: true}}, WithLive(true))
	for _, want := range []string{
		"**Day: 🚨 ROLLBACK FAILED** — 3 experiments: 🚨 ROLLBACK FAILED × 1, ⏳ IN PROGRESS × 1, ⏳ NOT YET RUN × 1",
		"Started 2025-03-01 14:01:00 +00:00; going for",
		"⏳ Not run yet.",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("a live day: no %q in\n%s", want, report)
		}
	}
	if strings.Contains(report, "did not finish") {
		t.Error("a live day reads as unfinished")
	}

	// Interrupted before anything ran.
	early := write(func(j *DayJournal) { _ = j.End(DayStopInterrupted) })
	report = renderDay(t, early, nil)
	for _, want := range []string{"**Day: ➖ NO RESULT** — 3 experiments: ⏭️ NOT RUN × 3", "interrupted before its first experiment", "- [ ] ready — not ticked"} {
		if !strings.Contains(report, want) {
			t.Errorf("a day interrupted at once: no %q in\n%s", want, report)
		}
	}
}

func TestDayJUnitGolden(t *testing.T) {
	index, runs := fixtureDayIndex(t), dayRuns(t)
	var buf bytes.Buffer
	if err := WriteDayJUnit(&buf, index, runs, WithJournalPath("/day.jsonl")); err != nil {
		t.Fatal(err)
	}
	golden(t, "day-junit.golden", buf.Bytes())
	var suites junitSuites
	if err := xml.Unmarshal(buf.Bytes(), &suites); err != nil {
		t.Fatalf("day JUnit does not parse: %v", err)
	}
	if suites.Name != "Sandbox game day" || len(suites.Suites) != 4 {
		t.Fatalf("testsuites %q with %d suites", suites.Name, len(suites.Suites))
	}
	tests, failures, errs := 0, 0, 0
	for i, s := range suites.Suites {
		if s.Props[0] != (junitProp{Name: "experiment", Value: string(rune('1' + i))}) {
			t.Errorf("suite %d: first property %+v", i+1, s.Props[0])
		}
		// Each run's suite is its own JUnit's.
		if i < 3 {
			var own bytes.Buffer
			if err := WriteJUnit(&own, runs[i].Records, WithJournalPath(runs[i].Journal)); err != nil {
				t.Fatal(err)
			}
			var alone junitSuite
			if err := xml.Unmarshal(own.Bytes(), &alone); err != nil {
				t.Fatal(err)
			}
			alone.Props = append([]junitProp{{Name: "experiment", Value: string(rune('1' + i))}}, alone.Props...)
			a, _ := xml.Marshal(alone)
			b, _ := xml.Marshal(s)
			if !bytes.Equal(a, b) {
				t.Errorf("suite %d differs from its run's own JUnit", i+1)
			}
		}
		tests, failures, errs = tests+s.Tests, failures+s.Failures, errs+s.Errors
	}
	if suites.Tests != tests || suites.Failures != failures || suites.Errors != errs {
		t.Errorf("testsuites counts %d/%d/%d, suites add up to %d/%d/%d", suites.Tests, suites.Failures, suites.Errors, tests, failures, errs)
	}
	last := suites.Suites[3]
	if len(last.Cases) != 1 || last.Cases[0].Error == nil || last.Cases[0].Error.Type != "refused" {
		t.Errorf("the refused experiment's suite: %+v", last.Cases)
	}
}

// DayJournal holds the day to its order: the whole checklist before the
// first experiment, one experiment at a time, in order.
func TestDayJournalOrder(t *testing.T) {
	t.Parallel()
	day := &scenarios.Day{Path: "d.yaml", Title: "d", Checklist: []string{"a", "b"}, Experiments: []scenarios.Experiment{{Scenario: "x"}, {Scenario: "y"}}}
	plan := testPlan(fault("f1", providers.Latency))
	var buf bytes.Buffer
	if _, err := NewDayJournal(&buf, day, []*scenarios.Plan{plan}, "v1", nil); err == nil {
		t.Error("a day journal started with one plan for two experiments")
	}
	j, err := NewDayJournal(&buf, day, []*scenarios.Plan{plan, plan}, "v1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Tick(0, "Sato"); err != nil {
		t.Fatal(err)
	}
	if err := j.Start(0, "x.jsonl"); !errors.Is(err, ErrChecklist) {
		t.Errorf("start with an item unticked: %v, want ErrChecklist", err)
	}
	if got := j.State().Unticked(); !slices.Equal(got, []int{1}) {
		t.Errorf("Unticked = %v", got)
	}
	for _, err := range []error{j.Tick(1, ""), j.Tick(1, "again"), j.Note("-@sato before we start")} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Tick(2, ""); err == nil {
		t.Error("ticked an item the checklist does not have")
	}
	if !j.State().Ready() {
		t.Error("not ready with the checklist done")
	}
	for name, err := range map[string]error{
		"out of order":    j.Start(1, "y.jsonl"),
		"a path":          j.Start(0, "../x.jsonl"),
		"finish unstared": j.Finish(0),
		"refuse the next": nil,
	} {
		if name != "refuse the next" && err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := j.Start(0, "x.jsonl"); err != nil {
		t.Fatal(err)
	}
	if err := j.Start(1, "y.jsonl"); err == nil {
		t.Error("started a second experiment while the first runs")
	}
	if err := j.Note("a note"); err == nil {
		t.Error("a day note while an experiment runs: its notes belong to its run")
	}
	if err := j.Finish(0); err != nil {
		t.Fatal(err)
	}
	if err := j.Note("   "); err == nil {
		t.Error("an empty note")
	}
	if err := j.Refuse(1, "password=hunter2 refused"); err != nil {
		t.Fatal(err)
	}
	if err := j.End(""); err != nil {
		t.Fatal(err)
	}
	if err := j.End(DayStopInterrupted); err != nil {
		t.Errorf("a second End: %v", err)
	}
	for name, err := range map[string]error{"tick": j.Tick(0, ""), "start": j.Start(1, "y.jsonl"), "note": j.Note("late")} {
		if err == nil {
			t.Errorf("%s after the end: accepted", name)
		}
	}
	if strings.Contains(buf.String(), "hunter2") {
		t.Error("the day index holds a secret")
	}
	recs, err := ReadDay(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	st := ReplayDay(recs)
	if st.End == nil || st.End.Stopped != "" || st.End.After != 1 || st.Next != 2 || st.Running != -1 {
		t.Errorf("replayed state: end %+v, next %d, running %d", st.End, st.Next, st.Running)
	}
	if st.Experiments[0].State != ExperimentEnded || st.Experiments[0].Journal != "x.jsonl" || st.Experiments[1].State != ExperimentRefused {
		t.Errorf("experiments = %+v", st.Experiments)
	}
	if len(st.Notes) != 1 || st.Notes[0].After != -1 || st.Notes[0].Note.Kind != Improvement {
		t.Errorf("notes = %+v", st.Notes)
	}
	if !IsDayIndex(bytes.NewReader(buf.Bytes())) {
		t.Error("IsDayIndex does not know a day index")
	}
}

func TestReadDay(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(dayIndexPath)
	if err != nil {
		t.Fatal(err)
	}
	// A torn last line: the records before it, and the error.
	torn := data[:len(data)-10]
	recs, err := ReadDay(bytes.NewReader(torn))
	var te *TornRecordError
	if !errors.As(err, &te) || len(recs) == 0 || recs[len(recs)-1].Type == DayRecEnd {
		t.Errorf("torn index: %d records, %v", len(recs), err)
	}
	// A run's journal is not a day index, nor is anything else.
	journal, err := os.ReadFile(fixturePath)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"a journal": journal, "empty": nil, "text": []byte("hello\n")} {
		if _, err := ReadDay(bytes.NewReader(b)); !errors.Is(err, ErrNotDay) && name != "text" {
			t.Errorf("%s: %v, want ErrNotDay", name, err)
		}
		if IsDayIndex(bytes.NewReader(b)) {
			t.Errorf("IsDayIndex(%s)", name)
		}
	}
	// A journal name that leads out of the index's directory is not
	// followed.
	evil := bytes.Replace(data, []byte(`"journal":"20250301T140000.000Z-latency-injection-100-ms.jsonl"`), []byte(`"journal":"../../../etc/passwd"`), 1)
	recs, err = ReadDay(bytes.NewReader(evil))
	if err != nil {
		t.Fatal(err)
	}
	if j := ReplayDay(recs).Experiments[0].Journal; j != "" {
		t.Errorf("the journal %q is followed", j)
	}
}
