package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// Japanese breaks between characters: a sentence without spaces fills
// its lines instead of going whole to the next one and being cut there,
// a line never starts with 、 or 。, and nothing is lost or reordered.
func TestWrapTextJapanese(t *testing.T) {
	cases := []struct {
		text      string
		w         int
		firstLine string
	}{
		{"Aurora クラスターをフェイルオーバーしても、障害フェーズを通じてエラー率は 1% 未満、p95 は 1 秒未満を保つ", 66, "Aurora クラスターをフェイルオーバーしても、障害フェーズを通じて"},
		// A katakana loanword and what is in brackets around it stay whole.
		{"Sato (ファシリテーター) · Kato (オンコール) · Kim (オブザーバー)", 32, "Sato (ファシリテーター) · Kato"},
		{"Aurora クラスター myapp-db（すべてのタスクが依存）、フェイルオーバーが続く間", 30, "Aurora クラスター myapp-db（す"},
		{"レプリカの 25% を停止しても、エラー率は 0.1% 未満を保つ。", 20, "レプリカの 25% を停"},
	}
	for _, c := range cases {
		lines := wrapText(c.text, c.w)
		if lines[0] != c.firstLine {
			t.Errorf("%q at %d: first line %q, want %q (all: %q)", c.text, c.w, lines[0], c.firstLine, lines)
		}
		for i, l := range lines {
			if ansi.StringWidth(l) > c.w {
				t.Errorf("%q at %d: line %d %q is %d cells", c.text, c.w, i, l, ansi.StringWidth(l))
			}
			if strings.HasPrefix(l, "、") || strings.HasPrefix(l, "。") || strings.HasPrefix(l, "）") || strings.HasSuffix(l, "（") || strings.HasSuffix(l, "(") || strings.HasPrefix(l, ")") || strings.HasPrefix(l, "ー") {
				t.Errorf("%q at %d: line %d %q breaks at punctuation", c.text, c.w, i, l)
			}
		}
		if got, want := strings.ReplaceAll(strings.Join(lines, ""), " ", ""), strings.ReplaceAll(c.text, " ", ""); got != want {
			t.Errorf("%q at %d: wrapped text reads %q", c.text, c.w, got)
		}
	}
	// English keeps ansi.Wrap's word wrap.
	if got := wrapText("the quick brown fox jumps", 10); strings.Join(got, "|") != "the quick|brown fox|jumps" {
		t.Errorf("English wrapped as %q", got)
	}
}

// A table too wide for the screen becomes a list: the day's summary, whose
// first header only numbers the rows, gets no "#" heading of its own, and
// a cell's line breaks (its key figures) stay apart.
func TestStackWideTables(t *testing.T) {
	md := "## Summary\n\n" +
		"| # | Experiment | Verdict | Key figures vs goals |\n|---|---|---|---|\n" +
		"| 1 | Latency injection | ✅ HELD | ✅ **p95** 545 ms (goal ≤ 1 s)<br>✅ **error rate** 0% (goal ≤ 1%) |\n\n" +
		"| Metric | Threshold | Baseline |\n|---|---|---|\n| p95 | ≤ 200 ms | 120 ms |\n"
	got := stackWideTables(md, 40)
	for _, want := range []string{
		"- **1** — Experiment: Latency injection · Verdict: ✅ HELD · Key figures vs goals: ✅ **p95** 545 ms (goal ≤ 1 s); ✅ **error rate** 0% (goal ≤ 1%)",
		"| Metric | Threshold | Baseline |", // fits: stays a table
	} {
		if !strings.Contains(got, want) {
			t.Errorf("stacked tables lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "**#**") || strings.Contains(got, "<br>") {
		t.Errorf("stacked tables keep a '#' heading or a <br>:\n%s", got)
	}
}
