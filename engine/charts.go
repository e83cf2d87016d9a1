package engine

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/gameday-tui/gameday/scenarios"
)

// Chart is one SVG chart of a run, drawn beside the markdown report.
type Chart struct {
	Metric scenarios.Metric
	// Name is the chart's part of a file name: "error-rate", "p95",
	// "throughput" or "running" (REPORT-p95.svg).
	Name string
	SVG  []byte
}

// ChartName is the file-name part of metric m's chart.
func ChartName(m scenarios.Metric) string {
	switch m {
	case scenarios.ErrorRate:
		return "error-rate"
	case scenarios.P95:
		return "p95"
	case scenarios.Throughput:
		return "throughput"
	}
	return "running"
}

// The charts' size.
const (
	chartWidth  = 16 * vg.Centimeter
	chartHeight = 8 * vg.Centimeter
)

// WriteCharts draws the charts of the classic metrics the plan watches —
// error rate, p95, throughput, running count, in the report's order — as
// SVG with gonum's plot: time on the x axis in the reader's zone, the
// data as a solid line, each threshold as a dashed, labelled line, the
// fault window shaded, the y axis fitted to the data and the thresholds.
// Like the report they are a pure function of the records and the
// options: the same journal gives the same bytes.
func WriteCharts(records []Record, opts ...ReportOption) ([]Chart, error) {
	cfg := newReportConfig(opts)
	s, err := derive(records, cfg.live)
	if err != nil {
		return nil, fmt.Errorf("draw charts: %w", err)
	}
	if len(s.samples) < 2 {
		return nil, nil
	}
	wd := &words{pr: NewPrinter(cfg.lang), loc: cfg.loc, start: s.start}
	var out []Chart
	for _, m := range []scenarios.Metric{scenarios.ErrorRate, scenarios.P95, scenarios.Throughput, scenarios.Running} {
		if !s.watched(m) {
			continue
		}
		p, err := chartOf(s, wd, m)
		if err != nil {
			return nil, fmt.Errorf("draw the %s chart: %w", m, err)
		}
		if p == nil {
			continue
		}
		c := vgsvg.New(chartWidth, chartHeight)
		p.Draw(draw.New(c))
		var buf bytes.Buffer
		if _, err := c.WriteTo(&buf); err != nil {
			return nil, fmt.Errorf("draw the %s chart: %w", m, err)
		}
		out = append(out, Chart{Metric: m, Name: ChartName(m), SVG: buf.Bytes()})
	}
	return out, nil
}

// chartOf plots one metric; nil when no sample carries it.
func chartOf(s *findings, wd *words, m scenarios.Metric) (*plot.Plot, error) {
	scale := 1.0
	if m == scenarios.ErrorRate {
		scale = 100 // shown in percent, like every figure of the report
	}
	x := func(t time.Time) float64 { return t.Sub(s.start).Seconds() }
	// The data, split where a sample does not carry the metric.
	var segments []plotter.XYs
	var cur plotter.XYs
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, smp := range s.samples {
		v, ok := m.Value(smp)
		if !ok || (m == scenarios.P95 && !carriesLatency(smp)) || math.IsNaN(v) || math.IsInf(v, 0) {
			if len(cur) > 0 {
				segments, cur = append(segments, cur), nil
			}
			continue
		}
		v = clampPlot(v) * scale
		cur = append(cur, plotter.XY{X: x(smp.At), Y: v})
		lo, hi = min(lo, v), max(hi, v)
	}
	if len(cur) > 0 {
		segments = append(segments, cur)
	}
	if len(segments) == 0 {
		return nil, nil
	}
	b := s.plan.SteadyState[m]
	var limits []float64
	for _, lim := range []*float64{b.Min, b.Max} {
		if lim != nil {
			v := clampPlot(*lim) * scale
			limits = append(limits, v)
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	span := hi - lo
	if span < 1e-9 {
		span = max(math.Abs(hi)*0.2, 1)
	}
	// Room at the top for the legend, so that it never covers the data.
	ymin, ymax := lo-span*0.1, hi+span*0.35
	if lo >= 0 {
		ymin = max(ymin, 0)
	}
	xmin, xmax := 0.0, x(s.end)
	if xmax <= xmin {
		xmax = xmin + 1
	}

	dataColor := color.NRGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	goalColor := color.NRGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
	faultColor := color.NRGBA{R: 0xff, G: 0x99, B: 0x33, A: 0x40}
	p := plot.New()
	sans := func(size vg.Length) font.Font {
		return font.Font{Typeface: "Liberation", Variant: "Sans", Size: size}
	}
	p.Title.Text = chartTitle(wd, m)
	p.Title.TextStyle.Font = sans(11)
	p.X.Label.Text = wd.t("chart.time", wd.cfgZone())
	p.Y.Label.Text = chartUnit(wd, m)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = sans(9)
		a.Tick.Label.Font = sans(8)
	}
	p.Legend.TextStyle.Font = sans(8)
	p.Legend.Top = true
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = xmin, xmax, ymin, ymax
	p.X.Tick.Marker = plot.TimeTicks{Format: "15:04:05", Time: func(v float64) time.Time {
		return s.start.Add(time.Duration(v * float64(time.Second))).In(wd.loc)
	}}
	p.Y.Tick.Marker = numberTicks{whole: m == scenarios.Running}
	p.Add(plotter.NewGrid())

	if from, to, ok := s.faultSpan(); ok {
		shade, err := plotter.NewPolygon(plotter.XYs{{X: x(from), Y: ymin}, {X: x(to), Y: ymin}, {X: x(to), Y: ymax}, {X: x(from), Y: ymax}})
		if err != nil {
			return nil, err
		}
		shade.Color, shade.LineStyle.Width = faultColor, 0
		p.Add(shade)
		p.Legend.Add(wd.t("graph.fault"), shade)
	}
	for _, v := range limits {
		line, err := plotter.NewLine(plotter.XYs{{X: xmin, Y: v}, {X: xmax, Y: v}})
		if err != nil {
			return nil, err
		}
		line.Color, line.Width = goalColor, vg.Points(1.2)
		line.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		p.Add(line)
		label, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: xmin, Y: v}}, Labels: []string{wd.t("chart.goal", unescape(wd.goal(m, b)))}})
		if err != nil {
			return nil, err
		}
		for i := range label.TextStyle {
			label.TextStyle[i].Font = sans(8)
			label.TextStyle[i].Color = goalColor
			label.TextStyle[i].YAlign = draw.YBottom
		}
		label.Offset = vg.Point{X: vg.Points(3), Y: vg.Points(1)}
		p.Add(label)
		if len(limits) == 1 || v == limits[0] {
			p.Legend.Add(wd.t("chart.goal", unescape(wd.goal(m, b))), line)
		}
	}
	for i, seg := range segments {
		line, err := plotter.NewLine(seg)
		if err != nil {
			return nil, err
		}
		line.Color, line.Width = dataColor, vg.Points(1.5)
		p.Add(line)
		if i == 0 {
			p.Legend.Add(unescape(wd.metric(m)), line)
		}
	}
	return p, nil
}

// cfgZone names the reader's zone with its offset at the start of the
// run: "Asia/Tokyo, UTC+09:00".
func (w *words) cfgZone() string {
	return w.loc.String() + ", UTC" + w.start.In(w.loc).Format("-07:00")
}

func chartUnit(wd *words, m scenarios.Metric) string {
	switch m {
	case scenarios.P95:
		return "ms"
	case scenarios.ErrorRate:
		return "%"
	case scenarios.Throughput:
		return "req/s"
	}
	return wd.t("chart.unit.instances")
}

// numberTicks are the default ticks labelled like the report's numbers;
// for a count (whole), only whole numbers are labelled.
type numberTicks struct{ whole bool }

func (n numberTicks) Ticks(lo, hi float64) []plot.Tick {
	if n.whole && hi-lo <= 12 {
		var ticks []plot.Tick
		for v := math.Ceil(lo); v <= hi; v++ {
			ticks = append(ticks, plot.Tick{Value: v, Label: formatNum(v)})
		}
		return ticks
	}
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = formatNum(ticks[i].Value)
		}
	}
	return ticks
}
