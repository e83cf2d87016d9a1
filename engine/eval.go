package engine

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// ParsePhase returns the Phase whose String is name.
func ParsePhase(name string) (Phase, bool) {
	for i, n := range phaseNames {
		if n == name {
			return Phase(i), true
		}
	}
	return Ready, false
}

func median(vs []float64) float64 {
	vs = slices.Clone(vs)
	slices.Sort(vs)
	n := len(vs)
	if n%2 == 1 {
		return vs[n/2]
	}
	return (vs[n/2-1] + vs[n/2]) / 2
}

// describeBreach says why c does not hold: "p95 312 ms > 200 ms during
// baseline".
func describeBreach(c Check) string {
	if c.Samples == 0 {
		return fmt.Sprintf("%s: no data during %s", metricLabel(c.Metric), c.Phase)
	}
	if c.Method == MethodPerWindow {
		return fmt.Sprintf("%s above %s in %d of %d windows during %s (worst %s)", metricLabel(c.Metric), formatValue(c.Metric, boundEdge(c.Bound)), c.Breached, c.Samples, c.Phase, formatValue(c.Metric, c.Worst))
	}
	s := fmt.Sprintf("%s %s during %s", metricLabel(c.Metric), breachText(c.Metric, c.Value, c.Bound), c.Phase)
	if c.Note != "" {
		s += " (" + c.Note + ")"
	}
	return s
}

// boundEdge is the side of b a per-window check is about: its maximum, or
// its minimum when it has none.
func boundEdge(b scenarios.Bound) float64 {
	if b.Max != nil {
		return *b.Max
	}
	if b.Min != nil {
		return *b.Min
	}
	return 0
}

// metricLabel names a metric in words: "p95", "error rate", "throughput",
// "running"; a named series keeps its name.
func metricLabel(m scenarios.Metric) string {
	switch m {
	case scenarios.P95:
		return "p95"
	case scenarios.ErrorRate:
		return "error rate"
	case scenarios.Throughput:
		return "throughput"
	case scenarios.Running:
		return "running"
	}
	return string(m)
}

// breachText renders v against the side of b it breaches: "312 ms > 200 ms".
func breachText(m scenarios.Metric, v float64, b scenarios.Bound) string {
	if b.Max != nil && v > *b.Max {
		return fmt.Sprintf("%s > %s", formatValue(m, v), formatValue(m, *b.Max))
	}
	if b.Min != nil && v < *b.Min {
		return fmt.Sprintf("%s < %s", formatValue(m, v), formatValue(m, *b.Min))
	}
	return formatValue(m, v)
}

// formatValue renders a metric value with its unit: "612 ms", "1.2%",
// "98.5 req/s", "3". An error rate, a fraction in the scenario, is shown
// as a percentage.
func formatValue(m scenarios.Metric, v float64) string {
	switch m {
	case scenarios.P95:
		return formatNum(v) + " ms"
	case scenarios.ErrorRate:
		return formatNum(v*100) + "%"
	case scenarios.Throughput:
		return formatNum(v) + " req/s"
	case scenarios.Running:
		return strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	}
	return formatNum(v)
}

// formatNum renders v compactly and deterministically: whole numbers
// without decimals, large values rounded, small ones to 3 significant
// digits (0.0012, 0.12, 1.5).
func formatNum(v float64) string {
	a := math.Abs(v)
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "n/a"
	case v == math.Trunc(v) && a < 1e15:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// formatBound renders a bound for a table cell: "≤ 200 ms", "≥ 3",
// "≥ 1 and ≤ 5".
func formatBound(m scenarios.Metric, b scenarios.Bound) string {
	var parts []string
	if b.Min != nil {
		parts = append(parts, "≥ "+formatValue(m, *b.Min))
	}
	if b.Max != nil {
		parts = append(parts, "≤ "+formatValue(m, *b.Max))
	}
	if len(parts) == 0 {
		return "any"
	}
	return strings.Join(parts, " and ")
}

// stopWatch tracks one stop condition over the samples. Time comes from the
// samples' own timestamps, never the wall clock: a breach has lasted from
// the start of the first breaching window to the end of the latest
// (last.At − first.At + the first's window), so ten consecutive breaching
// one-second samples are "for 10s".
type stopWatch struct {
	sc       scenarios.StopCondition
	since    time.Time
	breached bool
}

// add takes the next sample and returns a reason when the condition fires.
func (w *stopWatch) add(s providers.Sample) (string, bool) {
	v, ok := w.sc.Metric.Value(s)
	if !ok || (w.sc.Metric == scenarios.P95 && !carriesLatency(s)) {
		return "", false // not measured here: neither a breach nor a recovery
	}
	var bad bool
	var text string
	switch {
	case w.sc.Above != nil && v > *w.sc.Above:
		bad, text = true, fmt.Sprintf("%s > %s", formatValue(w.sc.Metric, v), formatValue(w.sc.Metric, *w.sc.Above))
	case w.sc.Below != nil && v < *w.sc.Below:
		bad, text = true, fmt.Sprintf("%s < %s", formatValue(w.sc.Metric, v), formatValue(w.sc.Metric, *w.sc.Below))
	}
	if !bad {
		w.breached = false
		return "", false
	}
	if !w.breached {
		w.breached, w.since = true, s.At.Add(-s.Window())
	}
	if s.At.Sub(w.since) < w.sc.For {
		return "", false
	}
	return fmt.Sprintf("stop condition: %s %s for %s", metricLabel(w.sc.Metric), text, formatDuration(w.sc.For)), true
}

// formatDuration renders d compactly: "10s", "2m", "1m30s", "500ms", "0s".
func formatDuration(d time.Duration) string {
	switch {
	case d == 0:
		return "0s"
	case d < time.Second:
		return d.String()
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		s := d.String() // "1h30m0s"
		return strings.TrimSuffix(s, "0s")
	}
	return d.String()
}

// sanitize replaces values JSON cannot carry (NaN, ±Inf) so that a
// misbehaving metric source cannot make the journal unwritable.
func sanitize(s providers.Sample) providers.Sample {
	fix := func(v *float64) {
		switch {
		case math.IsNaN(*v):
			*v = 0
		case math.IsInf(*v, 1):
			*v = math.MaxFloat64
		case math.IsInf(*v, -1):
			*v = -math.MaxFloat64
		}
	}
	fix(&s.P50)
	fix(&s.P95)
	fix(&s.P99)
	fix(&s.ErrorRate)
	fix(&s.Throughput)
	return s
}

// BoundedMetrics lists the metrics plan bounds, in display order.
func BoundedMetrics(plan *scenarios.Plan) []scenarios.Metric { return planMetrics(plan) }

// FormatAgainst renders v of m against its bound in words: "p95 12 ms
// (≤ 1000 ms)".
func FormatAgainst(m scenarios.Metric, v float64, b scenarios.Bound) string {
	return fmt.Sprintf("%s %s (%s)", metricLabel(m), formatValue(m, v), formatBound(m, b))
}

// formatSeconds renders a measured delay at the samples' one-second
// resolution, for the engine's own (English) reasons; the report words
// its delays through the catalog.
func formatSeconds(d time.Duration) string {
	if d < time.Second {
		return "under 1s"
	}
	return formatDuration(d.Round(time.Second))
}
