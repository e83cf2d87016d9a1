package engine

import (
	"bytes"
	"fmt"
	"image/color"
	"strconv"
	"strings"
	"time"
	"unicode"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/gameday-tui/gameday/scenarios"
)

// HistoryChart is one small SVG chart of the history: one figure of one
// scenario over its runs.
type HistoryChart struct {
	// Name is the chart's part of a file name, the scenario's and the
	// figure's: "instance-stop-p95" (REVIEW-instance-stop-p95.svg).
	// WithHistoryChartLinks takes links by it.
	Name     string
	Scenario string
	Provider string
	SVG      []byte
}

// The history's charts are small: several sit side by side in a review.
const (
	historyChartWidth  = 10 * vg.Centimeter
	historyChartHeight = 5 * vg.Centimeter
)

// HistoryCharts draws, for each scenario, a chart of each figure the
// trend compares over the runs it compares (finished runs that injected
// for real) — time to detect, time to recover, worst p95, worst error
// rate, widest step that held — when at least two of them have it: the
// run's start on the x axis, a point per run (red for a run that did not
// hold), the goal of p95 and of the error rate as the latest run's plan
// states it, dashed. The style is the report's (WriteCharts), and like
// it they are a pure function of their input: the same runs give the
// same bytes.
func HistoryCharts(groups []ScenarioRuns, opts ...ReportOption) ([]HistoryChart, error) {
	cfg := newReportConfig(opts)
	wd := &words{pr: NewPrinter(cfg.lang), loc: cfg.loc}
	slugs := historySlugs(groups)
	var out []HistoryChart
	for i, g := range groups {
		runs := g.compared()
		for _, f := range histFigures {
			p, err := historyChart(runs, f, wd)
			if err != nil {
				return nil, fmt.Errorf("draw the history chart %s: %w", historyChartName(slugs[i], f), err)
			}
			if p == nil {
				continue
			}
			c := vgsvg.New(historyChartWidth, historyChartHeight)
			p.Draw(draw.New(c))
			var buf bytes.Buffer
			if _, err := c.WriteTo(&buf); err != nil {
				return nil, fmt.Errorf("draw the history chart %s: %w", historyChartName(slugs[i], f), err)
			}
			out = append(out, HistoryChart{Name: historyChartName(slugs[i], f), Scenario: g.Scenario, Provider: g.Provider, SVG: buf.Bytes()})
		}
	}
	return out, nil
}

// historyChartName names figure f's chart of the scenario whose file-name
// part is slug.
func historyChartName(slug string, f histFigure) string {
	switch f {
	case figDetect:
		return slug + "-detect"
	case figRecover:
		return slug + "-recover"
	case figP95:
		return slug + "-p95"
	case figErrors:
		return slug + "-error-rate"
	case figStep:
	}
	return slug + "-step"
}

// historySlugs gives each scenario a file-name part: its name with
// anything but letters and digits made "-" ("aws/latency" →
// "aws-latency"); the provider's follows when two scenarios would share
// one, then a number.
func historySlugs(groups []ScenarioRuns) []string {
	used := map[string]bool{}
	out := make([]string, len(groups))
	for i, g := range groups {
		s := fileSlug(g.Scenario)
		if used[s] {
			s += "-" + fileSlug(g.Provider)
		}
		base := s
		for n := 2; used[s]; n++ {
			s = base + "-" + strconv.Itoa(n)
		}
		used[s] = true
		out[i] = s
	}
	return out
}

// fileSlug keeps s's letters and digits (any script's), "_" and ".",
// every other run of characters one "-"; "scenario" when nothing is
// left.
func fileSlug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '.':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.Trim(b.String(), "-.")
	if out == "" {
		return "scenario"
	}
	return out
}

// historyChart plots figure f over runs; nil when fewer than two runs
// have it (or a ladder changed from counts to percents).
func historyChart(runs []RunSummary, f histFigure, wd *words) (*plot.Plot, error) {
	var all, notHeld plotter.XYs
	unit := ""
	hi := 0.0
	for _, r := range runs {
		v := f.of(r)
		if !v.known {
			continue
		}
		if len(all) > 0 && v.unit != unit {
			return nil, nil
		}
		unit = v.unit
		y := v.v
		if f == figErrors {
			y *= 100 // in percent, like every figure of the report
		}
		xy := plotter.XY{X: float64(r.Start.Unix()), Y: y}
		all = append(all, xy)
		if r.Verdict != VerdictHeld {
			notHeld = append(notHeld, xy)
		}
		hi = max(hi, y)
	}
	if len(all) < 2 {
		return nil, nil
	}
	var goal *float64
	if f == figP95 || f == figErrors {
		if b, ok := runs[len(runs)-1].Plan.SteadyState[f.metric()]; ok && b.Max != nil {
			g := clampPlot(*b.Max)
			if f == figErrors {
				g *= 100
			}
			goal = &g
			hi = max(hi, g)
		}
	}
	if hi <= 0 {
		hi = 1
	}
	// Room at the top for the legend, so that it never covers a point;
	// a little on each side, so that no point sits on the frame.
	xmin, xmax := all[0].X, all[len(all)-1].X
	pad := max((xmax-xmin)*0.06, 12*3600)

	dataColor := color.NRGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	goalColor := color.NRGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
	p := plot.New()
	sans := func(size vg.Length) font.Font {
		return font.Font{Typeface: "Liberation", Variant: "Sans", Size: size}
	}
	hw := &historyWriter{wd: wd}
	p.Title.Text = hw.figureLabel(f)
	p.Title.TextStyle.Font = sans(10)
	p.X.Label.Text = wd.t("hist.chart.date", wd.loc.String())
	p.Y.Label.Text = historyUnit(wd, f, unit)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = sans(8)
		a.Tick.Label.Font = sans(7)
	}
	p.Legend.TextStyle.Font = sans(7)
	p.Legend.Top = true
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = xmin-pad, xmax+pad, 0, hi*1.45
	p.X.Tick.Marker = runTicks{runs: all, loc: wd.loc}
	p.Y.Tick.Marker = numberTicks{whole: f == figDetect || f == figRecover || unit == "count"}
	p.Add(plotter.NewGrid())

	if goal != nil {
		line, err := plotter.NewLine(plotter.XYs{{X: xmin - pad, Y: *goal}, {X: xmax + pad, Y: *goal}})
		if err != nil {
			return nil, err
		}
		line.Color, line.Width = goalColor, vg.Points(1.2)
		line.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		p.Add(line)
		b := runs[len(runs)-1].Plan.SteadyState[f.metric()]
		p.Legend.Add(wd.t("chart.goal", unescape(wd.goal(f.metric(), scenarios.Bound{Max: b.Max}))), line)
	}
	line, err := plotter.NewLine(all)
	if err != nil {
		return nil, err
	}
	line.Color, line.Width = dataColor, vg.Points(1.5)
	p.Add(line)
	dots, err := plotter.NewScatter(all)
	if err != nil {
		return nil, err
	}
	dots.GlyphStyle = draw.GlyphStyle{Color: dataColor, Radius: vg.Points(2.5), Shape: draw.CircleGlyph{}}
	p.Add(dots)
	p.Legend.Add(unescape(hw.figureLabel(f)), line, dots)
	if len(notHeld) > 0 {
		bad, err := plotter.NewScatter(notHeld)
		if err != nil {
			return nil, err
		}
		bad.GlyphStyle = draw.GlyphStyle{Color: goalColor, Radius: vg.Points(2.5), Shape: draw.CircleGlyph{}}
		p.Add(bad)
		p.Legend.Add(wd.t("hist.chart.notheld"), bad)
	}
	return p, nil
}

// historyUnit is the y axis's unit of figure f.
func historyUnit(wd *words, f histFigure, unit string) string {
	switch f {
	case figDetect, figRecover:
		return wd.t("hist.unit.s")
	case figP95:
		return "ms"
	case figErrors:
		return "%"
	case figStep:
	}
	if unit == "%" {
		return "%"
	}
	return wd.t("hist.unit.targets")
}

// runTicks label the x axis with the date of each run when there are
// few, else with dates plot.TimeTicks chooses.
type runTicks struct {
	runs plotter.XYs
	loc  *time.Location
}

// maxRunTicks is how many run dates fit under a small chart.
const maxRunTicks = 6

func (r runTicks) Ticks(lo, hi float64) []plot.Tick {
	date := func(v float64) time.Time { return time.Unix(int64(v), 0).In(r.loc) }
	if len(r.runs) > maxRunTicks {
		return plot.TimeTicks{Format: "01-02", Time: date}.Ticks(lo, hi)
	}
	ticks := make([]plot.Tick, 0, len(r.runs))
	for _, xy := range r.runs {
		ticks = append(ticks, plot.Tick{Value: xy.X, Label: date(xy.X).Format("01-02")})
	}
	return ticks
}
