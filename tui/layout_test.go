package tui

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

func TestWidthMatchesAnsi(t *testing.T) {
	// Every rune of the fast path, alone and in context.
	for r := rune(0x20); r < 0x3000; r++ {
		if r >= 0x7f && !narrow(r) {
			continue
		}
		s := string(r)
		if got, want := width(s), ansi.StringWidth(s); got != want {
			t.Errorf("width(%q U+%04X) = %d, ansi.StringWidth = %d", s, r, got, want)
		}
	}
	for _, s := range []string{
		"", "plain", "\x1b[1;31m✘ BREACHED\x1b[0m", "データベース障害", "mixed 日本 text",
		"e\u0301", "👍", "\x1b]8;;http://x\x07link\x1b]8;;\x07", "tab\there", "╌╌┼─╮│╯ ━ ▁▂█",
	} {
		if got, want := width(s), ansi.StringWidth(s); got != want {
			t.Errorf("width(%q) = %d, ansi.StringWidth = %d", s, got, want)
		}
	}
}

func TestFitHandlesWideText(t *testing.T) {
	tests := map[string]struct {
		in   string
		w    int
		want string
	}{
		"pad":        {"ab", 4, "ab  "},
		"cut":        {"abcdef", 4, "abc…"},
		"cjk pad":    {"日本", 6, "日本  "},
		"cjk cut":    {"日本語テキスト", 7, "日本語…"},
		"cjk odd":    {"日本語", 5, "日本…"},
		"styled cut": {"\x1b[1mabcdef\x1b[0m", 4, "abc…"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := fit(tc.in, tc.w)
			if ansi.Strip(got) != tc.want {
				t.Errorf("fit(%q, %d) = %q, want %q", tc.in, tc.w, ansi.Strip(got), tc.want)
			}
			if w := ansi.StringWidth(got); w != tc.w {
				t.Errorf("fit(%q, %d) is %d cells wide", tc.in, tc.w, w)
			}
		})
	}
}

func TestPickerCardLinesUpWithCJK(t *testing.T) {
	cfg := testConfig(nil, 160, 30, t0)
	m := New(cfg)
	m, _ = step(t, m, keyMsg("j"))
	m, _ = step(t, m, keyMsg("j")) // the Japanese plan
	lines := strings.Split(ansi.Strip(m.View()), "\n")
	col := -1
	for i, l := range lines[1 : len(lines)-1] {
		idx := strings.Index(l, "│")
		if idx < 0 {
			continue
		}
		c := ansi.StringWidth(l[:idx])
		if col < 0 {
			col = c
		}
		if c != col {
			t.Errorf("line %d: separator at cell %d, want %d: %q", i+2, c, col, l)
		}
	}
	if col < 0 {
		t.Fatal("no list/card separator found")
	}
	if !strings.Contains(m.View(), "データベース障害") {
		t.Error("the Japanese plan's card is not shown")
	}
}

func TestBucketKeepsWorstValue(t *testing.T) {
	ss := samples(300, false)
	ss[150].P95 = 5000     // a one-second spike
	ss[200].Throughput = 1 // a one-second dip
	p95 := bucket(scenarios.P95, scenarios.Bound{Max: fp(500)}, ss, 60)
	if len(p95.values) != 60 {
		t.Fatalf("%d columns, want 60", len(p95.values))
	}
	if top := slicesMax(p95.values); top != 5000 {
		t.Errorf("p95 spike lost in downsampling: max column %v", top)
	}
	tp := bucket(scenarios.Throughput, scenarios.Bound{Min: fp(250)}, ss, 60)
	if low := slicesMin(tp.values); low != 1 {
		t.Errorf("throughput dip lost in downsampling: min column %v", low)
	}
	short := bucket(scenarios.P95, scenarios.Bound{}, ss[:10], 60)
	if len(short.values) != 10 {
		t.Errorf("10 samples gave %d columns, want one per sample", len(short.values))
	}
}

func slicesMax(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

func slicesMin(v []float64) float64 {
	m := math.Inf(1)
	for _, x := range v {
		m = min(m, x)
	}
	return m
}

func TestPlotSizeAndThreshold(t *testing.T) {
	st := DefaultStyles()
	b := scenarios.Bound{Max: fp(500)}
	for _, h := range []int{1, 2, 3, 8, 16} {
		s := bucket(scenarios.P95, b, samples(120, false), 60)
		lines := plot(scenarios.P95, b, s, 70, h, st, newPrinter(engine.English))
		if len(lines) != h {
			t.Errorf("h=%d: %d lines", h, len(lines))
		}
		for i, l := range lines {
			if w := ansi.StringWidth(l); w != 70 {
				t.Errorf("h=%d line %d: %d cells", h, i, w)
			}
		}
		if h >= 3 && !strings.Contains(strings.Join(lines, "\n"), "╌") {
			t.Errorf("h=%d: no threshold line:\n%s", h, strings.Join(lines, "\n"))
		}
	}
	// All-zero data with no bound must not collapse to one line.
	zero := []providers.Sample{{At: t0}, {At: t0.Add(time.Second)}}
	if got := plot(scenarios.ErrorRate, scenarios.Bound{}, bucket(scenarios.ErrorRate, scenarios.Bound{}, zero, 10), 30, 4, st, newPrinter(engine.English)); len(got) != 4 {
		t.Errorf("zero series: %d lines, want 4", len(got))
	}
}

// TestPlotThresholdOnItsRow: the threshold is drawn on the row labelled
// with its very value, at every height and for ceilings and floors alike,
// never on a neighbouring row it was rounded to ("625" for a bound of
// 500, "2.9" for a floor of 3).
func TestPlotThresholdOnItsRow(t *testing.T) {
	tests := map[string]struct {
		m    scenarios.Metric
		b    scenarios.Bound
		peak float64
		want string
	}{
		"p95 ceiling":          {scenarios.P95, scenarios.Bound{Max: fp(500)}, 412, "500"},
		"p95 breached":         {scenarios.P95, scenarios.Bound{Max: fp(500)}, 612, "500"},
		"far above":            {scenarios.P95, scenarios.Bound{Max: fp(200)}, 90000, "200"},
		"error rate ceiling":   {scenarios.ErrorRate, scenarios.Bound{Max: fp(0.001)}, 0.0004, "0.10%"},
		"throughput floor":     {scenarios.Throughput, scenarios.Bound{Min: fp(250)}, 304, "250"},
		"running floor":        {scenarios.Running, scenarios.Bound{Min: fp(3)}, 4, "3"},
		"running floor, equal": {scenarios.Running, scenarios.Bound{Min: fp(3)}, 3, "3"},
	}
	for name, tc := range tests {
		for _, h := range []int{2, 3, 4, 5, 8, 13, 16} {
			t.Run(fmt.Sprintf("%s/%d", name, h), func(t *testing.T) {
				s := series{values: []float64{tc.peak / 2, tc.peak, tc.peak / 3}, cols: make([]column, 3)}
				lines := plot(tc.m, tc.b, s, 30, h, DefaultStyles(), newPrinter(engine.English))
				found := false
				for _, l := range lines {
					if !strings.Contains(l, "╌") {
						continue
					}
					found = true
					label := strings.TrimSpace(strings.SplitN(l, "┤", 2)[0])
					label = strings.TrimSpace(strings.SplitN(label, "┼", 2)[0])
					if label != tc.want {
						t.Errorf("the threshold is drawn on the row labelled %q, want %q:\n%s", label, tc.want, strings.Join(lines, "\n"))
					}
				}
				if !found && !strings.Contains(strings.Join(lines, ""), tc.want) {
					t.Errorf("no threshold line:\n%s", strings.Join(lines, "\n"))
				}
			})
		}
	}
}

func TestFaultRowMarksWindow(t *testing.T) {
	tr := newPrinter(engine.English)
	ss := samples(10, false)
	s := bucket(scenarios.P95, scenarios.Bound{}, ss, 10)
	row := ansi.Strip(faultRow(s.cols, []window{{from: t0.Add(3 * time.Second), to: t0.Add(6 * time.Second)}}, 30, DefaultStyles(), tr))
	// Samples end at t0+1s … t0+10s; each covers the second before it, so
	// the window 3s–6s covers the samples stamped 4s, 5s and 6s.
	if want := " fault " + "   ━━━    " + strings.Repeat(" ", 13); row != want {
		t.Errorf("fault row\n%q, want\n%q", row, want)
	}
	if blank := ansi.Strip(faultRow(s.cols, nil, 30, DefaultStyles(), tr)); strings.TrimSpace(blank) != "" {
		t.Errorf("fault row without windows = %q, want blank", blank)
	}
}

// TestTimeRow: the time axis labels the first and the last column and
// columns between where there is room; merged with the fault row, a
// label never covers a fault's mark.
func TestTimeRow(t *testing.T) {
	tr := newPrinter(engine.English)
	s := bucket(scenarios.P95, scenarios.Bound{}, samples(40, false), 40)
	win := []window{{from: t0.Add(13 * time.Second), to: t0.Add(16 * time.Second)}}
	row := ansi.Strip(timeRow(s.cols, win, false, t0, 50, DefaultStyles(), tr))
	want := strings.Repeat(" ", axisWidth) + "T+00:01" + strings.Repeat(" ", 8) + "T+00:16" + strings.Repeat(" ", 11) + "T+00:40" + "   "
	if row != want {
		t.Errorf("time row\n%q, want\n%q", row, want)
	}
	// Merged: the window's marks (columns 13–15) keep the middle label off.
	merged := ansi.Strip(timeRow(s.cols, win, true, t0, 50, DefaultStyles(), tr))
	if want := " fault " + "T+00:01" + strings.Repeat(" ", 6) + "━━━" + strings.Repeat(" ", 17) + "T+00:40" + "   "; merged != want {
		t.Errorf("merged row\n%q, want\n%q", merged, want)
	}
	// A fault active to the last column: its marks show, and the time
	// of the last column ends the row over their end.
	live := ansi.Strip(timeRow(s.cols, []window{{from: t0.Add(20 * time.Second), to: t0.Add(41 * time.Second)}}, true, t0, 50, DefaultStyles(), tr))
	if want := " fault " + "T+00:01" + strings.Repeat(" ", 13) + strings.Repeat("━", 13) + "T+00:40" + "   "; live != want {
		t.Errorf("live fault row\n%q, want\n%q", live, want)
	}
	covered := ansi.Strip(timeRow(s.cols, []window{{from: t0, to: t0.Add(3 * time.Second)}}, true, t0, 50, DefaultStyles(), tr))
	if !strings.HasPrefix(covered, " fault ━━━ ") || !strings.Contains(covered, "T+00:16") {
		t.Errorf("the first label covered the fault's marks: %q", covered)
	}
}

func TestNoColorAbortBlockKeepsBrackets(t *testing.T) {
	st := DefaultStyles() // tests run with the Ascii profile, as under NO_COLOR
	if st.Color {
		t.Fatal("styles report colour under the Ascii profile")
	}
	if got := st.abortLabel(newPrinter(engine.English)); got != "[ctrl+x ABORT]" {
		t.Errorf("abort label %q", got)
	}
	st.Color = true
	if got := ansi.Strip(st.abortLabel(newPrinter(engine.English))); ansi.StringWidth(got) != len("[ctrl+x ABORT]") {
		t.Errorf("coloured abort label %q changes the footer's width", got)
	}
}

func TestPickerKeepsCursorInView(t *testing.T) {
	for _, w := range []int{80, 160} {
		cfg := testConfig(nil, w, 24, t0)
		for i := range 18 {
			pl := cpuPlan()
			pl.Title = fmt.Sprintf("Scenario %02d", i)
			cfg.Plans = append(cfg.Plans, pl)
		}
		m := New(cfg)
		for range 17 {
			m, _ = step(t, m, keyMsg("j"))
		}
		want := "› " + m.picker.selected().Title
		if v := ansi.Strip(m.View()); !strings.Contains(v, want) {
			t.Errorf("%d cols: selected row %q not on screen:\n%s", w, want, v)
		}
	}
}

func TestReflow(t *testing.T) {
	tests := map[string]struct{ in, want string }{
		"soft breaks joined": {"Kill 10% of the replicas\nwith SIGKILL, the way a host\nfailure would.", "Kill 10% of the replicas with SIGKILL, the way a host failure would."},
		"sentence end kept":  {"The LB should take it out.\nランダムなインスタンス停止。\nNext.", "The LB should take it out.\nランダムなインスタンス停止。\nNext."},
		"paragraphs kept":    {"one\ntwo\n\nthree", "one two\n\nthree"},
		"trailing newline":   {"a\nb\n", "a b"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := reflow(tc.in); got != tc.want {
				t.Errorf("reflow(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
