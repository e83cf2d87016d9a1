//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// `gameday history` as a user runs it after a game day: a real headless
// run in the state directory, the journals a CI job left (the engine's
// history fixture, a k6 summary among them) in a --dir; then the same
// as markdown with its charts for the review.
func TestHistoryAfterARun(t *testing.T) {
	w := newWorld(t)
	w.extraEnv = []string{"TZ=UTC"}
	if p, code := w.run(t, runLimit, append([]string{"run", "latency", "--headless"}, shortPhases...)...); code != 0 && code != 1 {
		t.Fatalf("the run exited %d\n%s", code, p.output())
	}
	ci := filepath.Join(moduleDir, "engine", "testdata", "history")
	p, code := w.run(t, runLimit, "history", "--dir", ci)
	if code != 0 {
		t.Fatalf("history exited %d\n%s", code, p.output())
	}
	out := p.stdout.String()
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^Game day history — 3 scenarios, 10 runs; times in UTC \(UTC\+00:00\)\.$`),
		// The run just made: its row and, alone, no trend.
		regexp.MustCompile(`(?m)^Latency injection \(500 ms\) — latency \(sandbox\): 1 run, \d{4}-\d\d-\d\d \d\d:\d\d$`),
		regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\d \d\d:\d\d  (✅ HELD|❌ VIOLATED) +\S`),
		regexp.MustCompile(`(?m)^One finished run so far \(`),
		// The CI journals: the v0.3.0 one grouped with the later runs,
		// the torn one a row.
		regexp.MustCompile(`(?m)^Random instance stop — instance-stop \(sandbox\): 6 runs, 2025-03-01 14:00 to 2025-04-05 14:00$`),
		regexp.MustCompile(`(?m)^2025-04-05 14:00  ⚠️ UNFINISHED `),
		regexp.MustCompile(`(?m)^  Worst p95 +122 ms +↓ −28% vs previous \(170 ms\), better; ↓ −64% vs first \(340 ms\), better$`),
	} {
		if !want.MatchString(out) {
			t.Errorf("history lacks %s\n%s", want, out)
		}
	}
	if errOut := p.stderr.String(); !strings.Contains(errOut, "k6-summary.jsonl is not a gameday journal") {
		t.Errorf("stderr: %q", errOut)
	}

	review := filepath.Join(w.work, "review.md")
	p, code = w.run(t, runLimit, "history", "latency", "--markdown", review, "--lang", "ja")
	if code != 0 {
		t.Fatalf("history --markdown exited %d\n%s", code, p.output())
	}
	md, err := os.ReadFile(review)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "## レイテンシ注入（500 ms）") || !strings.Contains(string(md), "| 日時 | 判定 |") {
		t.Errorf("review.md:\n%s", md)
	}
	// One run draws no chart (a chart needs two).
	if charts, _ := filepath.Glob(filepath.Join(w.work, "review-*.svg")); len(charts) != 0 {
		t.Errorf("charts of one run: %q", charts)
	}
	if p, code := w.run(t, runLimit, "history", "cpu-spike"); code != 3 || !strings.Contains(p.stderr.String(), `no run of "cpu-spike"`) {
		t.Errorf("a scenario never run: exit %d\n%s", code, p.output())
	}
}
