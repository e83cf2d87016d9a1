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

// The steady-state check groups: which part of the run a sample counts
// toward. They are the Check.Phase values.
const (
	GroupBaseline = "baseline"
	GroupFault    = "fault"
	GroupRecovery = "recovery"
)

// groups lists the check groups in run order.
var groups = []string{GroupBaseline, GroupFault, GroupRecovery}

// sampleGroups sorts the samples of a run into the three check groups by
// replaying records in journal order: a sample belongs to the group of the
// phase most recently journaled before it. Baseline counts toward
// "baseline"; Injecting and Observing toward "fault"; Recovering toward
// "recovery"; RollingBack toward whichever group came before it (the end
// of the fault phase, or the phase an abort interrupted). The engine and the
// report both use it, so they cannot disagree about which sample is which.
type sampleGroups struct {
	cur     string
	reached map[string]bool
	samples map[string][]providers.Sample
}

func newSampleGroups() *sampleGroups {
	return &sampleGroups{reached: map[string]bool{}, samples: map[string][]providers.Sample{}}
}

// observe takes the next record of the journal.
func (g *sampleGroups) observe(rec Record) {
	switch rec.Type {
	case RecPhase:
		p, ok := ParsePhase(rec.Phase)
		if !ok {
			return
		}
		switch p {
		case Baseline:
			g.cur = GroupBaseline
		case Injecting, Observing:
			g.cur = GroupFault
		case Recovering:
			g.cur = GroupRecovery
		case RollingBack:
			// keeps the group it interrupted
		case Ready, Done, Aborted:
			g.cur = ""
		}
		if g.cur != "" {
			g.reached[g.cur] = true
		}
	case RecSample:
		if g.cur != "" && rec.Sample != nil {
			g.samples[g.cur] = append(g.samples[g.cur], *rec.Sample)
		}
	}
}

// ParsePhase returns the Phase whose String is name.
func ParsePhase(name string) (Phase, bool) {
	for i, n := range phaseNames {
		if n == name {
			return Phase(i), true
		}
	}
	return Ready, false
}

// aggregate returns the value of metric m over a phase's samples and how
// many samples it is computed from (0: no data).
//
//   - p95_ms: the median of the per-second p95s. Only per-second windows
//     are journaled, so a true phase p95 cannot be recomputed; the median
//     is robust to a single slow second (a GC pause, the second a replica
//     dies) that would otherwise flip a verdict at random, while a fault
//     that slows more than half of the phase shows. The peak is reported
//     separately in the findings.
//   - error_rate: errors ÷ requests over the whole phase (the mean of the
//     per-second rates if the source reports no request counts).
//   - throughput_rps: the mean.
//   - running: the minimum of the known (≥ 0) counts.
func aggregate(m scenarios.Metric, ss []providers.Sample) (float64, int) {
	if len(ss) == 0 {
		return 0, 0
	}
	switch m {
	case scenarios.P95:
		vs := make([]float64, len(ss))
		for i, s := range ss {
			vs[i] = s.P95
		}
		return median(vs), len(ss)
	case scenarios.ErrorRate:
		var req, errs int64
		var sum float64
		for _, s := range ss {
			req += s.Requests
			errs += s.Errors
			sum += s.ErrorRate
		}
		if req > 0 {
			return float64(errs) / float64(req), len(ss)
		}
		return sum / float64(len(ss)), len(ss)
	case scenarios.Throughput:
		var sum float64
		for _, s := range ss {
			sum += s.Throughput
		}
		return sum / float64(len(ss)), len(ss)
	case scenarios.Running:
		low, n := 0, 0
		for _, s := range ss {
			if s.Running < 0 {
				continue
			}
			if n == 0 || s.Running < low {
				low = s.Running
			}
			n++
		}
		return float64(low), n
	}
	return 0, 0
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

// checkGroup checks every steady-state bound of plan against the samples of
// one group, in the order of scenarios.Metrics.
func checkGroup(plan *scenarios.Plan, group string, ss []providers.Sample) []Check {
	var checks []Check
	for _, m := range scenarios.Metrics {
		b, ok := plan.SteadyState[m]
		if !ok {
			continue
		}
		v, n := aggregate(m, ss)
		checks = append(checks, Check{Phase: group, Metric: m, Value: v, Bound: b, Samples: n, Holds: n > 0 && b.Holds(v)})
	}
	return checks
}

// evaluate returns the checks of every group the run reached. A group with
// no samples is checked (and fails for lack of data) only when complete is
// set and its phase was planned to last: an aborted or unfinished run is
// not blamed for a phase it never got to measure.
func evaluate(plan *scenarios.Plan, g *sampleGroups, complete bool) []Check {
	planned := map[string]time.Duration{
		GroupBaseline: plan.Phases.Baseline,
		GroupFault:    plan.Phases.Fault,
		GroupRecovery: plan.Phases.Recovery,
	}
	var checks []Check
	for _, grp := range groups {
		ss := g.samples[grp]
		if len(ss) == 0 && !(complete && g.reached[grp] && planned[grp] > 0) {
			continue
		}
		checks = append(checks, checkGroup(plan, grp, ss)...)
	}
	return checks
}

// describeBreach says why c does not hold: "p95_ms 312 ms > 200 ms during
// baseline".
func describeBreach(c Check) string {
	if c.Samples == 0 {
		return fmt.Sprintf("%s: no samples during %s", c.Metric, c.Phase)
	}
	return fmt.Sprintf("%s %s during %s", c.Metric, breachText(c.Metric, c.Value, c.Bound), c.Phase)
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

// formatValue renders a metric value with its unit.
func formatValue(m scenarios.Metric, v float64) string {
	switch m {
	case scenarios.P95:
		return formatNum(v) + " ms"
	case scenarios.Throughput:
		return formatNum(v) + " rps"
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

// checkName names a check as a JUnit test case: "baseline: p95_ms ≤ 200".
func checkName(group string, m scenarios.Metric, b scenarios.Bound) string {
	var parts []string
	if b.Min != nil {
		parts = append(parts, fmt.Sprintf("%s ≥ %s", m, formatNum(*b.Min)))
	}
	if b.Max != nil {
		parts = append(parts, fmt.Sprintf("%s ≤ %s", m, formatNum(*b.Max)))
	}
	if len(parts) == 0 {
		parts = append(parts, string(m))
	}
	return group + ": " + strings.Join(parts, ", ")
}

// breaches returns what s breaches of plan's steady state, in metric order:
// "p95_ms 612 ms > 200 ms". An unknown running count breaches nothing.
func breaches(plan *scenarios.Plan, s providers.Sample) []string {
	var out []string
	for _, m := range scenarios.Metrics {
		b, ok := plan.SteadyState[m]
		if !ok || (m == scenarios.Running && s.Running < 0) {
			continue
		}
		if v := m.Value(s); !b.Holds(v) {
			out = append(out, fmt.Sprintf("%s %s", m, breachText(m, v, b)))
		}
	}
	return out
}

// stopWatch tracks one stop condition over the samples. Time comes from the
// samples' own timestamps, never the wall clock: a breach has lasted
// last.At − first.At + 1 s, each sample covering the second that ends at
// its At, so ten consecutive breaching samples are "for 10s".
type stopWatch struct {
	sc       scenarios.StopCondition
	since    time.Time
	breached bool
}

// add takes the next sample and returns a reason when the condition fires.
func (w *stopWatch) add(s providers.Sample) (string, bool) {
	if w.sc.Metric == scenarios.Running && s.Running < 0 {
		return "", false // unknown: neither a breach nor a recovery
	}
	v := w.sc.Metric.Value(s)
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
		w.breached, w.since = true, s.At
	}
	if s.At.Sub(w.since)+time.Second < w.sc.For {
		return "", false
	}
	return fmt.Sprintf("stop condition: %s %s for %s", w.sc.Metric, text, formatDuration(w.sc.For)), true
}

// describeStop renders a stop condition as the plan states it.
func describeStop(sc scenarios.StopCondition) string {
	var parts []string
	if sc.Above != nil {
		parts = append(parts, "> "+formatValue(sc.Metric, *sc.Above))
	}
	if sc.Below != nil {
		parts = append(parts, "< "+formatValue(sc.Metric, *sc.Below))
	}
	return fmt.Sprintf("%s %s for %s", sc.Metric, strings.Join(parts, " or "), formatDuration(sc.For))
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
