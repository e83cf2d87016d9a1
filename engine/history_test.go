package engine

import (
	"bytes"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

const historyDir = "testdata/history"

// TestHistoryFixture writes testdata/history with -update, and otherwise
// checks that the files are what the fixture's code writes: the journals
// are reproducible, and a change to how the engine journals shows here.
func TestHistoryFixture(t *testing.T) {
	v030, err := os.ReadFile("testdata/v0.3.0-run.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range historyFixture(v030) {
		want, err := f.bytes()
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(historyDir, filepath.FromSlash(f.name))
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (go test -update writes it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is not what the fixture writes (go test -update)", f.name)
		}
	}
}

// readHistory reads every journal under dir as `gameday history` does:
// a torn last line is left off, a file that is not a journal skipped.
func readHistory(t *testing.T, dir string) (runs []RunSummary, torn, skipped []string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".jsonl") {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		recs, err := ReadJournal(f)
		var tr *TornRecordError
		if errors.As(err, &tr) {
			torn, err = append(torn, filepath.Base(path)), nil
		}
		if err != nil {
			skipped = append(skipped, filepath.Base(path))
			return nil
		}
		r, err := Summarize(recs)
		if err != nil {
			skipped = append(skipped, filepath.Base(path))
			return nil
		}
		runs = append(runs, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return runs, torn, skipped
}

// historyGroups are the fixture's scenarios, without the dry run (as
// `gameday history` shows them by default).
func historyGroups(t *testing.T) []ScenarioRuns {
	t.Helper()
	runs, _, _ := readHistory(t, historyDir)
	runs = slices.DeleteFunc(runs, func(r RunSummary) bool { return r.DryRun })
	return GroupRuns(runs)
}

// Every run of the fixture, summed up: each figure against the data the
// fixture scripted, in words a reader can check against the journal.
func TestSummarizeFixture(t *testing.T) {
	runs, torn, skipped := readHistory(t, historyDir)
	if !slices.Equal(torn, []string{"20250405T140000.000Z-random-instance-stop.jsonl"}) {
		t.Errorf("torn: %q", torn)
	}
	if !slices.Equal(skipped, []string{"k6-summary.jsonl"}) {
		t.Errorf("skipped: %q", skipped)
	}
	byDay := map[string]RunSummary{}
	for _, r := range runs {
		byDay[r.Start.UTC().Format("01-02")] = r
	}
	type want struct {
		scenario        string
		verdict         Verdict
		detect, recover string // as the table shows them
		p95, errors     string
		step            string
		dry, unfinished bool
	}
	wants := map[string]want{
		// v0.3.0, before the shipped files moved: the same scenario. Its
		// run recorded violated; judged again it is still violated. The
		// figures are its report's: detected under 1 s, recovered 18 s
		// after, peaks 340 ms and 2%.
		"03-01": {scenario: "instance-stop", verdict: VerdictViolated, detect: "under 1 s", recover: "18 s", p95: "340 ms", errors: "2%", step: "—"},
		// A replica down from second 12 to 19, requests failing 12–15.
		"03-08": {scenario: "instance-stop", verdict: VerdictViolated, detect: "2 s", recover: "8 s", p95: "420 ms", errors: "2.67%", step: "—"},
		"03-15": {scenario: "instance-stop", verdict: VerdictAborted, detect: "under 1 s", recover: "8 s", p95: "480 ms", errors: "6.67%", step: "—"},
		"03-22": {scenario: "instance-stop", verdict: VerdictHeld, detect: "2 s", recover: "3 s", p95: "170 ms", errors: "0.333%", step: "—"},
		// Only the running count dropped: no error, p95 as ever.
		"03-29": {scenario: "instance-stop", verdict: VerdictHeld, detect: "under 1 s", recover: "2 s", p95: "122 ms", errors: "0%", step: "—"},
		"04-02": {scenario: "instance-stop", verdict: VerdictHeld, detect: "not injected", recover: "not injected", p95: "122 ms", errors: "0%", step: "—", dry: true},
		// Died at 14.5 s, the replica still down: detected, never
		// rolled back.
		"04-05": {scenario: "instance-stop", detect: "2 s", recover: "not rolled back", p95: "260 ms", errors: "0.667%", step: "—", unfinished: true},
		// The second step (25%, from 30.6 s) breached: p95 450 ms from
		// the sample whose window is past it, 22 s after the first
		// injection; back 10 s later.
		"03-03": {scenario: "checkout-latency", verdict: VerdictViolated, detect: "22 s", recover: "10 s", p95: "450 ms", errors: "0%", step: "10% (step 1 of 3)"},
		"03-17": {scenario: "checkout-latency", verdict: VerdictViolated, detect: "42 s", recover: "10 s", p95: "380 ms", errors: "0%", step: "25% (step 2 of 3)"},
		// Every step held: p95 at most 260 ms, never beyond 300 ms.
		"03-31": {scenario: "checkout-latency", verdict: VerdictHeld, detect: "no impact", recover: "no impact", p95: "260 ms", errors: "0%", step: "50% (step 3 of 3)"},
	}
	if len(runs) != len(wants) {
		t.Errorf("%d runs read, want %d", len(runs), len(wants))
	}
	hw := &historyWriter{wd: &words{pr: NewPrinter(English), loc: time.UTC}}
	for day, w := range wants {
		r, ok := byDay[day]
		if !ok {
			t.Errorf("%s: no run", day)
			continue
		}
		got := want{
			scenario: r.Scenario, verdict: r.Verdict,
			detect: hw.delayCell(r.Detect), recover: hw.delayCell(r.Recover),
			p95: hw.worstCell(scenarios.P95, r.WorstP95), errors: hw.worstCell(scenarios.ErrorRate, r.WorstErrorRate),
			step: hw.stepCell(r.Ladders), dry: r.DryRun, unfinished: r.Unfinished(),
		}
		if got != w {
			t.Errorf("%s:\n got %+v\nwant %+v", day, got, w)
		}
		if r.Provider != "sandbox" {
			t.Errorf("%s: provider %q", day, r.Provider)
		}
	}
	if r := byDay["03-01"]; r.Recorded != VerdictViolated || r.Rejudged() || r.Version != "v0.3.0" {
		t.Errorf("v0.3.0 run: recorded %q, version %q", r.Recorded, r.Version)
	}
}

// The fixture's runs group into two scenarios, however their path and
// title changed between versions and machines.
func TestGroupRunsFixture(t *testing.T) {
	groups := historyGroups(t)
	var got []string
	for _, g := range groups {
		var days []string
		for _, r := range g.Runs {
			days = append(days, r.Start.UTC().Format("01-02"))
		}
		got = append(got, g.Scenario+"/"+g.Provider+": "+strings.Join(days, " "))
	}
	want := []string{
		"checkout-latency/sandbox: 03-03 03-17 03-31",
		"instance-stop/sandbox: 03-01 03-08 03-15 03-22 03-29 04-05",
	}
	if !slices.Equal(got, want) {
		t.Errorf("groups\n got %q\nwant %q", got, want)
	}
	for arg, want := range map[string]string{
		"instance-stop":                   "instance-stop",
		"random instance stop":            "instance-stop",
		"Random task stop":                "instance-stop", // the v0.3.0 title
		"ランダムなインスタンス停止":                   "instance-stop",
		"checkout-latency":                "checkout-latency",
		"scenarios/checkout-latency.yaml": "checkout-latency",
		"latency":                         "",
	} {
		var matched []string
		for _, g := range groups {
			if g.Matches(arg) {
				matched = append(matched, g.Scenario)
			}
		}
		if strings.Join(matched, ",") != want {
			t.Errorf("%q matches %q, want %q", arg, matched, want)
		}
	}
}

// A run read twice — from the state directory and from CI artifacts — is
// one run; the copy recover appended to wins. Runs of one name on two
// providers are two scenarios.
func TestGroupRunsDedup(t *testing.T) {
	t.Parallel()
	plan := &scenarios.Plan{Path: "scenarios/api.yaml", Title: "API", Target: scenarios.Target{Provider: "sandbox"}}
	aws := &scenarios.Plan{Path: "scenarios/api.yaml", Title: "API", Target: scenarios.Target{Provider: "aws"}}
	t0 := time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)
	run := func(id string, p *scenarios.Plan, start time.Time, records int) RunSummary {
		return RunSummary{Scenario: scenarios.Name(p.Path), Provider: p.Target.Provider, Plan: p, RunID: id, Start: start, Records: records}
	}
	groups := GroupRuns([]RunSummary{
		run("b", plan, t0.Add(time.Hour), 10),
		run("a", plan, t0, 10),
		run("a", plan, t0, 12), // the same run, with recover's records
		run("", plan, t0.Add(2*time.Hour), 5),
		run("", plan, t0.Add(2*time.Hour), 5), // no run id: the same start and title
		run("c", aws, t0, 3),
	})
	if len(groups) != 2 || groups[0].Provider != "aws" || groups[1].Provider != "sandbox" {
		t.Fatalf("groups: %+v", groups)
	}
	runs := groups[1].Runs
	if len(runs) != 3 || runs[0].RunID != "a" || runs[0].Records != 12 || runs[1].RunID != "b" {
		t.Errorf("runs: %+v", runs)
	}
}

// Each figure's better way, and no trend where the figures shown are
// the same.
func TestHistoryCompare(t *testing.T) {
	t.Parallel()
	v := func(x float64) figValue { return figValue{known: true, v: x} }
	cases := map[string]struct {
		f         histFigure
		cur, base figValue
		want      comparison
	}{
		"detect faster":         {figDetect, v(2), v(4), comparison{ok: true, up: false, change: -50, better: true}},
		"recover slower":        {figRecover, v(9), v(6), comparison{ok: true, up: true, change: 50, better: false}},
		"p95 higher":            {figP95, v(612), v(437), comparison{ok: true, up: true, change: (612 - 437) / 437.0 * 100, better: false}},
		"p95 shown the same":    {figP95, v(122.2), v(122.4), comparison{ok: true, same: true, change: math.NaN()}},
		"errors from nothing":   {figErrors, v(0.02), v(0), comparison{ok: true, up: true, change: math.NaN(), better: false}},
		"errors 0.289% = 0.289": {figErrors, v(0.002891), v(0.002889), comparison{ok: true, same: true, change: math.NaN()}},
		"wider step":            {figStep, figValue{known: true, v: 50, unit: "%"}, figValue{known: true, v: 25, unit: "%"}, comparison{ok: true, up: true, change: math.NaN(), better: true}},
		"no step held before":   {figStep, figValue{known: true, v: 10, unit: "%"}, figValue{known: true, unit: "%"}, comparison{ok: true, up: true, change: math.NaN(), better: true}},
		"steps of two units":    {figStep, figValue{known: true, v: 2, unit: "count"}, figValue{known: true, v: 25, unit: "%"}, comparison{}},
		"nothing before":        {figDetect, v(3), figValue{}, comparison{}},
	}
	for name, c := range cases {
		got := c.f.compare(c.cur, c.base)
		same := got.ok == c.want.ok && got.same == c.want.same && got.up == c.want.up && got.better == c.want.better &&
			(math.IsNaN(got.change) && math.IsNaN(c.want.change) || math.Abs(got.change-c.want.change) < 1e-9 || !got.ok && !c.want.ok)
		if !same {
			t.Errorf("%s: got %+v, want %+v", name, got, c.want)
		}
	}
	for p, want := range map[float64]string{40: "+40%", -10: "−10%", 5.46: "+5.5%", -0.04: "−<0.1%", 9.96: "+10%", 150: "+150%"} {
		if got := percentChange(p); got != want {
			t.Errorf("percentChange(%v) = %q, want %q", p, got, want)
		}
	}
}

// The history of the fixture as `gameday history` prints it and as its
// --markdown writes it, in English and Japanese. Read each golden line
// by line when it changes: no sentence may say what the table does not.
func TestHistoryGoldens(t *testing.T) {
	groups := historyGroups(t)
	for _, lang := range Langs() {
		opts := goldenOptions(lang, false)
		charts, err := HistoryCharts(groups, opts...)
		if err != nil {
			t.Fatal(err)
		}
		links := map[string]string{}
		for _, c := range charts {
			links[c.Name] = "./review-" + c.Name + ".svg"
		}
		var text, md bytes.Buffer
		if err := WriteHistory(&text, groups, opts...); err != nil {
			t.Fatal(err)
		}
		if err := WriteHistoryMarkdown(&md, groups, append(opts, WithHistoryChartLinks(links))...); err != nil {
			t.Fatal(err)
		}
		golden(t, "history."+string(lang)+".golden", text.Bytes())
		golden(t, "history."+string(lang)+".md.golden", md.Bytes())
		checkMarkdown(t, md.String())
		for _, bad := range []string{"%!", "MISSING", "EXTRA", "hist.", "badge."} {
			if strings.Contains(text.String()+md.String(), bad) {
				t.Errorf("%s: the history holds %q", lang, bad)
			}
		}
	}
}

// What the English history says, sentence by sentence, against the
// fixture's data.
func TestHistoryText(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteHistory(&buf, historyGroups(t), goldenOptions(English, false)...); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"Game day history — 2 scenarios, 9 runs; times in CET (UTC+01:00).",
		"Random instance stop — instance-stop (sandbox): 6 runs, 2025-03-01 15:00 to 2025-04-05 15:00",
		"Checkout latency ladder — checkout-latency (sandbox): 3 runs, 2025-03-03 10:00 to 2025-03-31 10:00",
		// The unfinished run is a row, but the trend is of the latest
		// finished one.
		"2025-04-05 15:00  ⚠️ UNFINISHED  2 s        not rolled back  260 ms",
		"Trend of the latest finished run (2025-03-29 15:00) against the one before it (2025-03-22 15:00) and the first (2025-03-01 15:00).",
		// p95 122 ms after 170 ms (−28.2%), and after 340 ms in the
		// first run (−64.1%).
		"Worst p95         122 ms     ↓ −28% vs previous (170 ms), better; ↓ −64% vs first (340 ms), better",
		// From errors to none: no percent, which would only say −100%.
		"Worst error rate  0%         ↓ vs previous (0.333%), better; ↓ vs first (2%), better",
		"Recover           2 s        ↓ −33% vs previous (3 s), better; ↓ −89% vs first (18 s), better",
		// Under 1 s is below what one-second samples measure: no
		// percent, and the same as the first run's under 1 s.
		"Detect            under 1 s  ↓ vs previous (2 s), better; same as first (under 1 s)",
		"Lower is better for detect, recover, p95 and the error rate.\n",
		// The ladder got one step wider each time; its last run showed
		// no impact, so there is no time to compare.
		"Widest step       50%        ↑ vs previous (25%), better; ↑ vs first (10%), better",
		"Detect            no impact  (previous 42 s, first 22 s)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("history lacks %q\n%s", want, out)
		}
	}
	if strings.Contains(out, "2025-04-02") {
		t.Error("the dry run is shown")
	}
}

// The markdown links a chart per figure that two finished runs have, and
// the p95 chart of the instance stop is a golden: the report's style,
// the same bytes for the same runs.
func TestHistoryCharts(t *testing.T) {
	groups := historyGroups(t)
	opts := goldenOptions(English, false)
	charts, err := HistoryCharts(groups, opts...)
	if err != nil {
		t.Fatal(err)
	}
	again, err := HistoryCharts(groups, opts...)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for i, c := range charts {
		names = append(names, c.Name)
		if !bytes.Equal(c.SVG, again[i].SVG) {
			t.Errorf("%s: two drawings differ", c.Name)
		}
		if !strings.HasPrefix(string(c.SVG), "<?xml") {
			t.Errorf("%s is not SVG", c.Name)
		}
	}
	want := []string{
		// The ladder's first two runs have times to detect and recover
		// (its last showed no impact): two points are a chart.
		"checkout-latency-detect", "checkout-latency-recover", "checkout-latency-p95", "checkout-latency-error-rate", "checkout-latency-step",
		"instance-stop-detect", "instance-stop-recover", "instance-stop-p95", "instance-stop-error-rate",
	}
	if !slices.Equal(names, want) {
		t.Errorf("charts %q\nwant %q", names, want)
	}
	for _, c := range charts {
		if c.Name != "instance-stop-p95" {
			continue
		}
		golden(t, "history-chart-p95.svg.golden", c.SVG)
		svg := string(c.SVG)
		for _, want := range []string{"Worst p95", "goal ≤ 200 ms", "run that did not hold", "run started (CET)", "stroke-dasharray"} {
			if !strings.Contains(svg, want) {
				t.Errorf("p95 chart lacks %q", want)
			}
		}
	}
}

// The picker's badge: when a scenario last ran and how.
func TestLastRunBadge(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 4, 12, 12, 0, 0, 0, time.UTC)
	run := func(v Verdict, ago time.Duration, live bool) *RunSummary {
		return &RunSummary{Verdict: v, Start: now.Add(-ago), Live: live}
	}
	cases := []struct {
		r    *RunSummary
		lang Lang
		want string
	}{
		{nil, English, "never run"},
		{run(VerdictHeld, 7*24*time.Hour+time.Hour, false), English, "✅ held 7 days ago"},
		{run(VerdictViolated, 35*24*time.Hour, false), English, "❌ violated 35 days ago"},
		{run(VerdictAborted, 25*time.Hour, false), English, "⛔ aborted 1 day ago"},
		{run(VerdictNotSteady, 3*time.Hour, false), English, "❌ not steady 3 hours ago"},
		{run("", 90*time.Minute, false), English, "⚠️ unfinished 1 hour ago"},
		{run("", 5*time.Minute, true), English, "⏳ running now (started 5 minutes ago)"},
		{run(VerdictHeld, 20*time.Second, false), English, "✅ held just now"},
		{run(VerdictHeld, 7*24*time.Hour, false), Japanese, "✅ 成立（7 日前）"},
		{nil, Japanese, "未実行"},
	}
	for _, c := range cases {
		if got := LastRunBadge(c.r, now, c.lang); got != c.want {
			t.Errorf("LastRunBadge = %q, want %q", got, c.want)
		}
	}
}

// A ladder step's unit decides whether two runs compare: a ladder of
// counts is never compared with one of percents.
func TestHistoryStepFigure(t *testing.T) {
	t.Parallel()
	reach := func(steps []providers.Selection, held int) RunSummary {
		return RunSummary{Ladders: []LadderReach{{FaultID: "f1", Steps: steps, Reached: true, Held: held}}}
	}
	counts := []providers.Selection{{Count: 1}, {Count: 2}}
	pcts := []providers.Selection{{Percent: 10}, {Percent: 25}}
	if v := figStep.of(reach(counts, 2)); !v.known || v.v != 2 || v.unit != "count" {
		t.Errorf("counts: %+v", v)
	}
	if v := figStep.of(reach(pcts, 0)); !v.known || v.v != 0 || v.unit != "%" {
		t.Errorf("none held: %+v", v)
	}
	if c := figStep.compare(figStep.of(reach(counts, 2)), figStep.of(reach(pcts, 2))); c.ok {
		t.Errorf("compared counts with percents: %+v", c)
	}
	if v := figStep.of(RunSummary{Ladders: []LadderReach{{FaultID: "f1", Steps: pcts}}}); v.known {
		t.Errorf("a ladder never reached has a figure: %+v", v)
	}
}

// Times are the reader's, with the zone as each run's start was in it:
// a zone that changed to summer time between runs names both.
func TestHistoryDaylightSaving(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skipf("no time zone database: %v", err)
	}
	var buf bytes.Buffer
	if err := WriteHistory(&buf, historyGroups(t), WithLocation(berlin)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"times in CET (UTC+01:00), CEST (UTC+02:00).",
		"2025-03-29 15:00  ✅ HELD", // 14:00 UTC, winter time
		"2025-03-31 11:00  ✅ HELD", // 09:00 UTC, summer time since the 30th
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("history lacks %q\n%s", want, buf.String())
		}
	}
}

// Two runs that started in one minute are told apart by their seconds.
func TestHistorySameMinute(t *testing.T) {
	t.Parallel()
	plan := &scenarios.Plan{Path: "embedded:sandbox/latency.yaml", Title: "Latency", Target: scenarios.Target{Provider: "sandbox"}}
	t0 := time.Date(2026, 11, 29, 12, 7, 16, 0, time.UTC)
	run := func(id string, start time.Time) RunSummary {
		return RunSummary{Scenario: "latency", Provider: "sandbox", Plan: plan, RunID: id, Start: start, Verdict: VerdictHeld}
	}
	var buf bytes.Buffer
	if err := WriteHistory(&buf, GroupRuns([]RunSummary{run("a", t0), run("b", t0.Add(40*time.Second))})); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"2026-11-29 12:07:16  ✅ HELD", "2026-11-29 12:07:56  ✅ HELD", "(2026-11-29 12:07:56) against the one before it (2026-11-29 12:07:16)"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("history lacks %q\n%s", want, buf.String())
		}
	}
}
