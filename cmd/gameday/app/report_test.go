package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// `gameday report` on a journal its run still holds says IN PROGRESS and
// raises no alarm; once no run holds it (the run died), the same journal
// is UNFINISHED, with the manual banner and the recover command naming
// the real journal.
func TestReportCommandLiveThenCrashed(t *testing.T) {
	t.Setenv("GAMEDAY_STATE_DIR", t.TempDir())
	path := crashedJournal(t, "20261127T110000Z-live run.jsonl")
	live, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	if ok, err := lockJournal(live, true); err != nil || !ok {
		t.Skipf("no journal locks on this platform (%v)", err)
	}
	out, errOut, code := execRoot(context.Background(), "report", path)
	if code != ExitOK || !strings.Contains(out, "⏳ IN PROGRESS") || strings.Contains(out, "Manual action") || strings.Contains(out, "UNFINISHED") {
		t.Errorf("report of a live run: exit %d, stderr %q\n%s", code, errOut, out)
	}
	live.Close()
	out, _, code = execRoot(context.Background(), "report", path)
	quoted := "'" + path + "'"
	if code != ExitOK || !strings.Contains(out, "⚠️ UNFINISHED") || !strings.Contains(out, "Manual action needed") || !strings.Contains(out, "gameday recover "+quoted) {
		t.Errorf("report of a dead run's journal: exit %d\n%s", code, out)
	}
	if strings.Contains(out, "JOURNAL") {
		t.Errorf("the report prints a placeholder:\n%s", out)
	}
}

// `gameday report -o FILE` writes the SVG charts of the watched metrics
// beside FILE and links them; `gameday report JOURNAL` on stdout links
// the charts beside the journal's own report, so it reproduces that
// report byte for byte; --lang ja writes Japanese.
func TestReportCommandChartsAndLanguage(t *testing.T) {
	dir := t.TempDir()
	journal := filepath.Join(dir, "run.jsonl")
	writeJournal(t, journal, chartedRun())

	out := filepath.Join(dir, "run.md")
	if _, errOut, code := execRoot(context.Background(), "report", journal, "-o", out, "--lang", "ja"); code != ExitOK {
		t.Fatalf("report -o: exit %d: %s", code, errOut)
	}
	md, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# ゲームデイ実験レポート: 依存先の障害", "![p95 レイテンシ (ms)](./run-p95.svg)", "![エラー率 (%)](./run-error-rate.svg)", "## 実験結果"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, name := range []string{"run-p95.svg", "run-error-rate.svg"} {
		svg, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !strings.HasPrefix(string(svg), "<?xml") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "run-running.svg")); err == nil {
		t.Error("a chart of the running count, which the scenario does not watch")
	}
	stdout, _, code := execRoot(context.Background(), "report", journal, "--lang", "ja")
	if code != ExitOK || stdout != string(md) {
		t.Errorf("gameday report JOURNAL differs from the report written beside it (exit %d)", code)
	}
	if _, errOut, code := execRoot(context.Background(), "report", journal, "--lang", "fr"); code != ExitInvalid || !strings.Contains(errOut, "--lang") {
		t.Errorf("--lang fr: exit %d, %q", code, errOut)
	}
}

// A Japanese title names a journal readably.
func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"Random task stop":      "random-task-stop",
		"ランダムなインスタンス停止":         "ランダムなインスタンス停止",
		"レイテンシ注入（500 ms）":       "レイテンシ注入-500-ms",
		"Straße über Ünïcode!":  "straße-über-ünïcode",
		"":                      "run",
		"!!! ???":               "run",
		"../../etc/passwd":      "etc-passwd",
		strings.Repeat("あ", 50): strings.Repeat("あ", 40),
	} {
		if got := slug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
	plan := &scenarios.Plan{Title: "Dependency outage", Translations: map[string]scenarios.Text{"ja": {Title: "外部依存の障害"}}}
	t.Setenv("GAMEDAY_STATE_DIR", "/state")
	p, err := defaultJournalPath(plan, engine.Japanese, time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC))
	if err != nil || filepath.Base(p) != "20261129T100000.000Z-外部依存の障害.jsonl" {
		t.Errorf("journal path = %q, %v", p, err)
	}
}

// chartedRun is a short finished run that watches p95 and the error rate.
func chartedRun() []engine.Record {
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	max := func(v float64) *float64 { return &v }
	f1 := scenarios.Fault{Fault: providers.Fault{ID: "f1", Kind: providers.DependencyOutage}}
	plan := &scenarios.Plan{
		Title: "Dependency outage", Path: "dep.yaml", Hypothesis: "h", BlastRadius: "b", Rollback: "r",
		Target:       scenarios.Target{Provider: "sandbox"},
		SteadyState:  map[scenarios.Metric]scenarios.Bound{scenarios.P95: {Max: max(200)}, scenarios.ErrorRate: {Max: max(0.01)}},
		Phases:       scenarios.Phases{Baseline: 3 * time.Second, Fault: 3 * time.Second, Recovery: 3 * time.Second},
		Faults:       []scenarios.Fault{f1},
		Translations: map[string]scenarios.Text{"ja": {Title: "依存先の障害"}},
	}
	recs := []engine.Record{{Type: engine.RecPlan, Plan: plan, Env: &engine.Environment{Provider: "sandbox", RunID: "run1"}}, {Type: engine.RecPhase, Phase: "baseline"}}
	for i := 1; i <= 9; i++ {
		if i == 4 {
			recs = append(recs, engine.Record{Type: engine.RecPhase, Phase: "observing"},
				engine.Record{Type: engine.RecFault, Fault: &engine.FaultStatus{Fault: f1, State: engine.FaultInjecting}},
				engine.Record{Type: engine.RecFault, Fault: &engine.FaultStatus{Fault: f1, State: engine.FaultActive}})
		}
		if i == 7 {
			recs = append(recs, engine.Record{Type: engine.RecFault, Fault: &engine.FaultStatus{Fault: f1, State: engine.FaultRollingBack}},
				engine.Record{Type: engine.RecFault, Fault: &engine.FaultStatus{Fault: f1, State: engine.FaultRolledBack}},
				engine.Record{Type: engine.RecPhase, Phase: "recovering"})
		}
		recs = append(recs, engine.Record{Type: engine.RecSample, Sample: &providers.Sample{At: t0.Add(time.Duration(i) * time.Second), P95: 100 + float64(i), Requests: 100, Throughput: 100, Running: 4}})
	}
	recs = append(recs, engine.Record{Type: engine.RecPhase, Phase: "done"}, engine.Record{Type: engine.RecVerdict, Outcome: &engine.Outcome{Verdict: engine.VerdictHeld}})
	last := t0
	for i := range recs {
		recs[i].Seq = i + 1
		if recs[i].Sample != nil {
			last = recs[i].Sample.At
		} else if i > 0 {
			last = last.Add(time.Millisecond)
		}
		recs[i].At = last
	}
	return recs
}

func writeJournal(t *testing.T, path string, recs []engine.Record) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	enc := engine.NewEncoder(f)
	for _, r := range recs {
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
	}
}

// A chart's link keeps a Japanese name readable and encodes only what
// would end or break a markdown link.
func TestChartLink(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/j/20261129T111645.471Z-ランダムなインスタンス停止-p95.svg": "./20261129T111645.471Z-ランダムなインスタンス停止-p95.svg",
		"/j/my report (v2)-p95.svg": "./my%20report%20%28v2%29-p95.svg",
		"x/a:b<c>[d]#e?%.svg":       "./a:b%3Cc%3E%5Bd%5D%23e%3F%25.svg",
	} {
		if got := chartLink(in); got != want {
			t.Errorf("chartLink(%q) = %q, want %q", in, got, want)
		}
	}
}
