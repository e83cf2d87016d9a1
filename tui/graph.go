package tui

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
	"github.com/guptarohit/asciigraph"
)

// Charts are pure view code: given samples, a bound and fault windows they
// return lines of text, so they golden-test. The console caches them per
// data version and size (graphCache), because plotting four 300-point
// series on every 4 Hz frame would be wasted work.

// axisWidth is the width of a plot's y-axis: a 6-cell label and "┤".
const axisWidth = 7

// window is a span of time during which a fault was (or is) active.
type window struct{ from, to time.Time }

// column is the span of samples one plot column stands for.
type column struct{ from, to time.Time }

// series is one metric's values, bucketed to at most cols columns. Each
// column holds the worst value of its samples against the bound (max for a
// ceiling, min for a floor), so a one-second spike survives downsampling.
type series struct {
	values []float64
	cols   []column
}

// bucket reduces samples to at most n columns.
func bucket(m scenarios.Metric, b scenarios.Bound, samples []providers.Sample, n int) series {
	if n <= 0 || len(samples) == 0 {
		return series{}
	}
	cols := min(n, len(samples))
	s := series{values: make([]float64, cols), cols: make([]column, cols)}
	floor := b.Max == nil && b.Min != nil
	for c := range cols {
		lo := c * len(samples) / cols
		hi := (c + 1) * len(samples) / cols
		v := math.NaN()
		for _, smp := range samples[lo:hi] {
			x := metricValue(m, smp)
			switch {
			case math.IsNaN(x):
			case math.IsNaN(v):
				v = x
			case floor:
				v = min(v, x)
			default:
				v = max(v, x)
			}
		}
		s.values[c] = v
		s.cols[c] = column{from: samples[lo].At.Add(-time.Second), to: samples[hi-1].At}
	}
	return s
}

// metricValue is m's value in s, NaN when s does not carry it (a running
// count of -1, a sample of another source, a window without requests).
func metricValue(m scenarios.Metric, s providers.Sample) float64 {
	v, ok := m.Value(s)
	if !ok || m == scenarios.P95 && s.Requests == 0 && s.Hist == "" && (s.Source == "" || s.Source == providers.SourceLoadgen) {
		return math.NaN()
	}
	return v
}

// threshold returns the bound's line to draw: the ceiling, else the floor.
func threshold(b scenarios.Bound) (float64, bool) {
	switch {
	case b.Max != nil:
		return *b.Max, true
	case b.Min != nil:
		return *b.Min, true
	}
	return 0, false
}

// plot draws s with its threshold line as exactly h lines of exactly w
// cells: a y-axis of axisWidth cells, then one cell per column. The
// threshold is a dashed line ("╌"); parts of the series beyond it are red
// when colour is on. Values never go below zero, so the axis starts at 0.
func plot(m scenarios.Metric, b scenarios.Bound, s series, w, h int, st Styles) []string {
	if h <= 0 {
		return nil
	}
	if len(s.values) == 0 {
		return block([]string{fit("", axisWidth) + " waiting for samples…"}, w, h)
	}
	if h == 1 {
		return block([]string{fit("", axisWidth) + sparkline(s.values)}, w, 1)
	}
	th, hasTh := threshold(b)
	top := 0.0
	for _, v := range s.values {
		if !math.IsNaN(v) {
			top = max(top, v)
		}
	}
	if hasTh {
		top = max(top, th*1.25)
	}
	if top <= 0 {
		top = 1
	}
	opts := []asciigraph.Option{
		asciigraph.Height(h - 1),
		asciigraph.LowerBound(0),
		asciigraph.UpperBound(top),
		asciigraph.Offset(2),
		asciigraph.YAxisValueFormatter(func(v float64) string { return fmt.Sprintf("%5s", axisLabel(m, v)) }),
	}
	data := [][]float64{s.values}
	if hasTh {
		line := make([]float64, len(s.values))
		for i := range line {
			line[i] = th
		}
		// The threshold goes first so the series is drawn over it.
		data = [][]float64{line, s.values}
		opts = append(opts, asciigraph.SeriesChars(asciigraph.CreateCharSet("╌"), asciigraph.DefaultCharSet))
		if st.Color {
			ratio := float64(h-1) / top
			row := math.Round(th*ratio) / ratio
			half := 0.5 / ratio
			opts = append(opts, asciigraph.SeriesColors(st.GraphThreshold, st.GraphLine))
			if b.Max != nil {
				opts = append(opts, asciigraph.ColorAbove(st.GraphBreach, row+half))
			} else {
				opts = append(opts, asciigraph.ColorBelow(st.GraphBreach, row-half))
			}
		}
	}
	out := asciigraph.PlotMany(data, opts...)
	return block(strings.Split(out, "\n"), w, h)
}

// sparkBlocks are the eight heights of a one-line chart.
var sparkBlocks = []rune("▁▂▃▄▅▆▇█")

// sparkline draws values as one line of block characters, scaled to their
// maximum; unknown values are blank.
func sparkline(values []float64) string {
	top := 0.0
	for _, v := range values {
		if !math.IsNaN(v) {
			top = max(top, v)
		}
	}
	var sb strings.Builder
	for _, v := range values {
		switch {
		case math.IsNaN(v):
			sb.WriteByte(' ')
		case top <= 0:
			sb.WriteRune(sparkBlocks[0])
		default:
			i := int(math.Round(v / top * float64(len(sparkBlocks)-1)))
			sb.WriteRune(sparkBlocks[min(max(i, 0), len(sparkBlocks)-1)])
		}
	}
	return sb.String()
}

// faultRow marks with "━" the columns during which a fault was active, under
// a plot of w cells; blank when no fault window touches the plot.
func faultRow(cols []column, windows []window, w int, st Styles) string {
	var sb strings.Builder
	marked := false
	for _, c := range cols {
		hit := false
		for _, win := range windows {
			if win.from.Before(c.to) && win.to.After(c.from) {
				hit = true
				break
			}
		}
		if hit {
			marked = true
			sb.WriteString("━")
		} else {
			sb.WriteByte(' ')
		}
	}
	if !marked {
		return fit("", w)
	}
	return fit(st.Near.Render(fmt.Sprintf("%*s", axisWidth-1, "fault")+" "+sb.String()), w)
}

// axisLabel formats a y-axis value of m in at most 5 cells.
func axisLabel(m scenarios.Metric, v float64) string {
	switch m {
	case scenarios.ErrorRate:
		p := v * 100
		switch {
		case p == 0:
			return "0%"
		case p < 1:
			return fmt.Sprintf("%.2f%%", p)
		case p < 10:
			return fmt.Sprintf("%.1f%%", p)
		}
		return fmt.Sprintf("%.0f%%", p)
	case scenarios.P95, scenarios.Throughput:
		switch {
		case v >= 10000:
			return fmt.Sprintf("%.0fk", v/1000)
		case v >= 1000:
			return fmt.Sprintf("%.2fk", v/1000) // 1.25k: rows a few ms apart stay distinct
		case v > 0 && v < 10:
			return fmt.Sprintf("%.1f", v)
		}
		return fmt.Sprintf("%.0f", v)
	case scenarios.Running:
		// Rows fall between whole instances on short graphs: "3.5", not a
		// second "3" (or "4") that reads like a different count.
		if math.Abs(v-math.Round(v)) < 0.05 {
			return fmt.Sprintf("%.0f", v)
		}
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

// metricName is the console's name for m.
func metricName(m scenarios.Metric) string {
	switch m {
	case scenarios.P95:
		return "p95 latency"
	case scenarios.ErrorRate:
		return "error rate"
	case scenarios.Throughput:
		return "throughput"
	case scenarios.Running:
		return "running"
	}
	return string(m)
}

// formatValue formats a value of m with its unit.
func formatValue(m scenarios.Metric, v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	switch m {
	case scenarios.P95:
		if v < 10 {
			return fmt.Sprintf("%.1f ms", v)
		}
		return fmt.Sprintf("%.0f ms", v)
	case scenarios.ErrorRate:
		return fmt.Sprintf("%.2f %%", v*100)
	case scenarios.Throughput:
		return fmt.Sprintf("%.0f req/s", v)
	case scenarios.Running:
		// Rows fall between whole instances on short graphs: "3.5", not a
		// second "3" (or "4") that reads like a different count.
		if math.Abs(v-math.Round(v)) < 0.05 {
			return fmt.Sprintf("%.0f", v)
		}
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%g", v)
}

// formatBound says a bound in words and symbols: "≤ 200 ms", "≥ 3".
func formatBound(m scenarios.Metric, b scenarios.Bound) string {
	var parts []string
	if b.Min != nil {
		parts = append(parts, "≥ "+formatValue(m, *b.Min))
	}
	if b.Max != nil {
		parts = append(parts, "≤ "+formatValue(m, *b.Max))
	}
	if len(parts) == 0 {
		return "no bound"
	}
	return strings.Join(parts, ", ")
}

// levelOf says how v of m stands against plan's bound: engine.LevelOf,
// the one rule behind the console's colours and the report's words.
func levelOf(plan *scenarios.Plan, m scenarios.Metric, v, offered float64) level {
	switch engine.LevelOf(plan, m, v, offered) {
	case engine.LevelUnbounded:
		return levelUnbounded
	case engine.LevelHolding:
		return levelHolding
	case engine.LevelNear:
		return levelNear
	case engine.LevelBreached:
		return levelBreached
	case engine.LevelNone:
	}
	return levelNone
}

// graphKey identifies a rendered chart: same key, same lines.
type graphKey struct {
	metric     scenarios.Metric
	w, h       int
	n          int
	first      time.Time
	last       time.Time
	color      bool
	boundLo    float64
	boundHi    float64
	boundFlags int
}

// graphCache keeps the last chart drawn for each metric. It is shared by
// copies of the console (a pointer), which is safe because Bubble Tea calls
// Update and View from one goroutine.
type graphCache struct {
	entries map[scenarios.Metric]graphEntry
}

type graphEntry struct {
	key   graphKey
	lines []string
	cols  []column
}

func newGraphCache() *graphCache {
	return &graphCache{entries: map[scenarios.Metric]graphEntry{}}
}

// chart returns m's plot (w×h) and the columns it stands for, from the
// cache when nothing changed.
func (c *graphCache) chart(m scenarios.Metric, b scenarios.Bound, samples []providers.Sample, w, h int, st Styles) ([]string, []column) {
	k := graphKey{metric: m, w: w, h: h, n: len(samples), color: st.Color}
	if len(samples) > 0 {
		k.first, k.last = samples[0].At, samples[len(samples)-1].At
	}
	if b.Min != nil {
		k.boundLo, k.boundFlags = *b.Min, k.boundFlags|1
	}
	if b.Max != nil {
		k.boundHi, k.boundFlags = *b.Max, k.boundFlags|2
	}
	if c != nil {
		if e, ok := c.entries[m]; ok && e.key == k {
			return e.lines, e.cols
		}
	}
	s := bucket(m, b, samples, w-axisWidth)
	lines := plot(m, b, s, w, h, st)
	if c != nil {
		c.entries[m] = graphEntry{key: k, lines: lines, cols: s.cols}
	}
	return lines, s.cols
}
