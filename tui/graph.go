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

// scaleTop returns the top of a plot of h rows (h-1 steps from 0) over
// values up to peak, so that the threshold th falls exactly on a row: th
// is the k-th of the h-1 steps. The row the threshold is drawn on is then
// labelled with its very value, never with a neighbour's ("500", not the
// "542" of a row it was rounded to). Of the steps that do so, the
// smallest round one (1, 2, 2.5 or 5 times a power of ten; whole numbers
// for a count) that holds peak is taken, so rows read 0, 50, 100…; else
// k as large as the values allow. A ceiling keeps at least one row above
// it, where a breach shows. When even k = 1 cannot hold peak, the values
// above top are drawn at top (clipped): the label beside the plot says
// the value.
func scaleTop(m scenarios.Metric, th float64, hasTh, ceiling bool, peak float64, h int) float64 {
	steps := h - 1
	if !hasTh || th <= 0 || steps < 1 {
		top := peak
		if hasTh {
			top = max(top, th*1.25)
		}
		if top <= 0 {
			top = 1
		}
		return top
	}
	maxK := steps
	if ceiling && steps >= 2 {
		maxK = steps - 1
	}
	if step, ok := roundStep(m, th, maxK, steps, peak); ok {
		return step * float64(steps)
	}
	k := maxK
	if peak > 0 {
		k = min(maxK, int(math.Floor(th*float64(steps)/peak)))
	}
	k = max(k, 1)
	return th * float64(steps) / float64(k)
}

// roundStep is the smallest round step that puts th on one of the first
// maxK rows and reaches peak in steps rows.
func roundStep(m scenarios.Metric, th float64, maxK, steps int, peak float64) (float64, bool) {
	e := math.Floor(math.Log10(th)) - 3
	for ; e <= math.Log10(th)+1; e++ {
		for _, f := range []float64{1, 2, 2.5, 5} {
			step := f * math.Pow(10, e)
			if m == scenarios.Running && (step < 1 || step != math.Trunc(step)) {
				continue
			}
			k := th / step
			if math.Abs(k-math.Round(k)) > 1e-9*k || math.Round(k) < 1 || int(math.Round(k)) > maxK {
				continue
			}
			if step*float64(steps) >= peak {
				return step, true
			}
		}
	}
	return 0, false
}

// plot draws s with its threshold line as exactly h lines of exactly w
// cells: a y-axis of axisWidth cells, then one cell per column. The
// threshold is a dashed line ("╌") on the row labelled with its value
// (scaleTop); parts of the series beyond it are red when colour is on.
// Values never go below zero, so the axis starts at 0.
func plot(m scenarios.Metric, b scenarios.Bound, s series, w, h int, st Styles, tr *printer) []string {
	if h <= 0 {
		return nil
	}
	if len(s.values) == 0 {
		return block([]string{fit("", axisWidth) + " " + tr.S("ui.graph.waiting")}, w, h)
	}
	if h == 1 {
		return block([]string{fit("", axisWidth) + sparkline(s.values)}, w, 1)
	}
	th, hasTh := threshold(b)
	peak := 0.0
	for _, v := range s.values {
		if !math.IsNaN(v) {
			peak = max(peak, v)
		}
	}
	top := scaleTop(m, th, hasTh, b.Max != nil, peak, h)
	step := top / float64(h-1)
	values := make([]float64, len(s.values))
	for i, v := range s.values {
		values[i] = v
		if math.IsNaN(v) {
			continue
		}
		// A value beyond the bound is never drawn on the threshold's row,
		// where rounding to rows would put one less than half a row past
		// it: it is drawn a row beyond, so that a breach always shows as
		// one. The label beside the plot says the value.
		switch {
		case !hasTh:
		case b.Max != nil && v > th && v < th+step/2:
			v = th + 0.6*step
		case b.Max == nil && b.Min != nil && v < th && v > th-step/2:
			v = max(th-0.6*step, 0)
		}
		values[i] = min(v, top)
	}
	opts := []asciigraph.Option{
		asciigraph.Height(h - 1),
		asciigraph.LowerBound(0),
		asciigraph.UpperBound(top),
		asciigraph.Offset(2),
		asciigraph.YAxisValueFormatter(func(v float64) string { return fmt.Sprintf("%5s", axisLabel(m, v)) }),
	}
	data := [][]float64{values}
	if hasTh {
		line := make([]float64, len(values))
		for i := range line {
			line[i] = th
		}
		// The threshold goes first so the series is drawn over it.
		data = [][]float64{line, values}
		opts = append(opts, asciigraph.SeriesChars(asciigraph.CreateCharSet("╌"), asciigraph.DefaultCharSet))
		if st.Color {
			// Rows are whole steps of top/(h-1) and th is one of them:
			// half a step past it is the first row beyond it.
			half := 0.5 * top / float64(h-1)
			opts = append(opts, asciigraph.SeriesColors(st.GraphThreshold, st.GraphLine))
			if b.Max != nil {
				opts = append(opts, asciigraph.ColorAbove(st.GraphBreach, th+half))
			} else {
				opts = append(opts, asciigraph.ColorBelow(st.GraphBreach, th-half))
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

// faultMarks says which plot columns a fault window touches.
func faultMarks(cols []column, windows []window) ([]bool, bool) {
	marks := make([]bool, len(cols))
	marked := false
	for i, c := range cols {
		for _, win := range windows {
			if win.from.Before(c.to) && win.to.After(c.from) {
				marks[i], marked = true, true
				break
			}
		}
	}
	return marks, marked
}

// faultRow marks with "━" the columns during which a fault was active,
// under a plot of w cells, with the word "fault" under the y-axis; blank
// when no fault window touches the plot.
func faultRow(cols []column, windows []window, w int, st Styles, tr *printer) string {
	marks, marked := faultMarks(cols, windows)
	if !marked {
		return fit("", w)
	}
	var sb strings.Builder
	for _, m := range marks {
		if m {
			sb.WriteString("━")
		} else {
			sb.WriteByte(' ')
		}
	}
	return fit(st.Near.Render(faultLegend(tr)+sb.String()), w)
}

// faultLegend is "fault" right-aligned under the y-axis, and a space.
func faultLegend(tr *printer) string {
	word := tr.S("ui.graph.fault")
	return fit(strings.Repeat(" ", max(axisWidth-1-width(word), 0))+word, axisWidth-1) + " "
}

// timeRow is the time axis under a plot of w cells: the time since start
// (T+01:05) of the first column, of the last one (ending there) and of
// columns in between where there is room, with a space between labels.
// With marks, it is also the fault row (when there is no room for two
// rows): the fault windows are drawn as in faultRow, and only the last
// label may cover marks, of a fault that reaches the last column.
func timeRow(cols []column, windows []window, marks bool, start time.Time, w int, st Styles, tr *printer) string {
	n := len(cols)
	fm, marked := make([]bool, n), false
	if marks {
		fm, marked = faultMarks(cols, windows)
	}
	cells := make([]string, n)
	for i := range cells {
		cells[i] = " "
		if fm[i] {
			cells[i] = st.Near.Render("━")
		}
	}
	label := func(i int) string { return fmtT(cols[i].to.Sub(start)) }
	taken := make([]bool, n)
	// put writes s from column i on when the columns it covers, and one
	// on each side, are free: not taken by another label, and not marked
	// unless over is set.
	put := func(i int, s string, over bool) bool {
		l := width(s)
		if i < 0 || i+l > n {
			return false
		}
		for j := max(i-1, 0); j < min(i+l+1, n); j++ {
			if fm[j] && !over || taken[j] {
				return false
			}
		}
		for j, r := range []rune(s) {
			cells[i+j] = string(r)
			if fm[i+j] {
				cells[i+j] = st.Near.Render(string(r))
			}
			taken[i+j] = true
		}
		return true
	}
	if n > 0 && !start.IsZero() {
		// The last column's time ends the row. Under a fault still active
		// there, it goes over the end of the fault's marks when they are
		// long enough to show before it; else just before them (with the
		// time of its own column), and over them only when it cannot.
		lw := width(label(n - 1))
		if !put(n-lw, label(n-1), false) {
			j := n - 1
			for j >= 0 && fm[j] {
				j--
			}
			switch {
			case n-1-j >= lw+3:
				put(n-lw, label(n-1), true)
			case j-lw < 0 || !put(j-lw, label(j-lw), false):
				put(n-lw, label(n-1), true)
			}
		}
		put(0, label(0), false)
		for i := lw + 8; i+lw < n-lw-1; i += lw + 8 {
			put(i, label(i), false)
		}
	}
	legend := strings.Repeat(" ", axisWidth)
	if marked {
		legend = st.Near.Render(faultLegend(tr))
	}
	return fit(legend+strings.Join(cells, ""), w)
}

// axisLabel formats a y-axis value of m in at most 5 cells.
func axisLabel(m scenarios.Metric, v float64) string {
	switch m {
	case scenarios.ErrorRate:
		p := v * 100
		switch {
		case math.Abs(p) < 1e-9:
			return "0%"
		case p < 1:
			return fmt.Sprintf("%.2f%%", p)
		case p < 10:
			return fmt.Sprintf("%.1f%%", p)
		}
		return fmt.Sprintf("%.0f%%", p)
	case scenarios.P95, scenarios.Throughput:
		switch {
		case math.Abs(v) < 1e-9:
			return "0"
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

// metricName is the console's plain name for m: "p95 latency", never
// the scenario's key "p95_ms".
func metricName(tr *printer, m scenarios.Metric) string {
	switch m {
	case scenarios.P95:
		return tr.S("ui.metric.p95")
	case scenarios.ErrorRate:
		return tr.S("ui.metric.errorRate")
	case scenarios.Throughput:
		return tr.S("ui.metric.throughput")
	case scenarios.Running:
		return tr.S("ui.metric.running")
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
func formatBound(tr *printer, m scenarios.Metric, b scenarios.Bound) string {
	var parts []string
	if b.Min != nil {
		parts = append(parts, "≥ "+formatValue(m, *b.Min))
	}
	if b.Max != nil {
		parts = append(parts, "≤ "+formatValue(m, *b.Max))
	}
	if len(parts) == 0 {
		return tr.S("ui.bound.none")
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
func (c *graphCache) chart(m scenarios.Metric, b scenarios.Bound, samples []providers.Sample, w, h int, st Styles, tr *printer) ([]string, []column) {
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
	lines := plot(m, b, s, w, h, st, tr)
	if c != nil {
		c.entries[m] = graphEntry{key: k, lines: lines, cols: s.cols}
	}
	return lines, s.cols
}
