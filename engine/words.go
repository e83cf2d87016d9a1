package engine

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// phrase is a sentence before it is worded: a catalog key and its
// arguments. Findings hold phrases; the renderer words them in the
// reader's language, formatting each argument by its type:
//
//   - userText: text a person typed or a system reported, escaped for
//     markdown;
//   - string: an identifier (a fault id, a kind), escaped the same way;
//   - valueOf, goalOf: a metric's value or bound with its unit;
//   - measured, precise, planned: durations at the samples' resolution, at
//     the events', and as planned;
//   - moment: a time, as the reader's clock and relative to the start;
//   - metricWord, groupWord, phaseWord, stateWord, windowWord, selWord:
//     words of the catalog;
//   - phrase, and list/orList of phrases;
//   - int: a count.
type phrase struct {
	key  string
	args []any
}

// say makes a phrase. Its key is a string literal wherever it is called,
// so that TestCatalogComplete finds it.
func say(key string, args ...any) phrase { return phrase{key: key, args: args} }

type (
	userText string
	valueOf  struct {
		m scenarios.Metric
		v float64
	}
	goalOf struct {
		m scenarios.Metric
		b scenarios.Bound
	}
	measured   time.Duration
	precise    time.Duration
	planned    time.Duration
	moment     time.Time
	metricWord scenarios.Metric
	groupWord  string
	phaseWord  Phase
	stateWord  FaultState
	windowWord bool // true: the windows are seconds
	selWord    providers.Selection
	// phraseList joins its phrases with the language's separator; or
	// with its "or".
	phraseList struct {
		items     []phrase
		or, comma bool
	}
)

// list joins clauses ("; "), commas joins items (", "), orList
// alternatives (" or ").
func list(ps []phrase) phraseList   { return phraseList{items: ps} }
func commas(ps []phrase) phraseList { return phraseList{items: ps, comma: true} }
func orList(ps []phrase) phraseList { return phraseList{items: ps, or: true} }

// words renders phrases and values in one language and time zone.
type words struct {
	pr    *Printer
	loc   *time.Location
	start time.Time
}

// t words key with args, each formatted by its type (see phrase).
func (w *words) t(key string, args ...any) string {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = w.arg(a)
	}
	return w.pr.T(key, out...)
}

// phrase words a phrase.
func (w *words) phrase(p phrase) string { return w.t(p.key, p.args...) }

func (w *words) arg(a any) any {
	switch a := a.(type) {
	case phrase:
		return w.phrase(a)
	case phraseList:
		parts := make([]string, len(a.items))
		for i, p := range a.items {
			parts[i] = w.phrase(p)
		}
		switch {
		case a.or:
			return strings.Join(parts, w.t("sep.or"))
		case a.comma:
			return strings.Join(parts, w.t("sep.comma"))
		}
		return strings.Join(parts, w.t("sep.list"))
	case userText:
		return escapeText(string(a))
	case providers.Kind:
		return escapeText(string(a))
	case valueOf:
		return w.value(a.m, a.v)
	case goalOf:
		return w.goal(a.m, a.b)
	case measured:
		return w.measured(time.Duration(a))
	case precise:
		return w.precise(time.Duration(a))
	case planned:
		return w.duration(time.Duration(a))
	case moment:
		return w.moment(time.Time(a))
	case metricWord:
		return w.metric(scenarios.Metric(a))
	case groupWord:
		return w.group(string(a))
	case phaseWord:
		return w.phase(Phase(a))
	case stateWord:
		return w.state(FaultState(a))
	case selWord:
		return w.selection(providers.Selection(a))
	case windowWord:
		if a {
			return w.t("word.second")
		}
		return w.t("word.window")
	}
	return a
}

// metric names a metric: "p95", "error rate"; a named series keeps its
// name.
func (w *words) metric(m scenarios.Metric) string {
	switch m {
	case scenarios.P95:
		return w.t("metric.p95")
	case scenarios.ErrorRate:
		return w.t("metric.error_rate")
	case scenarios.Throughput:
		return w.t("metric.throughput")
	case scenarios.Running:
		return w.t("metric.running")
	}
	return escapeText(string(m))
}

func (w *words) group(g string) string {
	switch g {
	case GroupBaseline:
		return w.t("group.baseline")
	case GroupFault:
		return w.t("group.fault")
	case GroupRecovery:
		return w.t("group.recovery")
	}
	return escapeText(g)
}

func (w *words) phase(p Phase) string {
	switch p {
	case Ready:
		return w.t("phase.ready")
	case Baseline:
		return w.t("phase.baseline")
	case Injecting, Observing:
		return w.t("phase.fault")
	case RollingBack:
		return w.t("phase.rollingback")
	case Recovering:
		return w.t("phase.recovery")
	case Done:
		return w.t("phase.done")
	case Aborted:
		return w.t("phase.aborted")
	}
	return escapeText(p.String())
}

func (w *words) state(st FaultState) string {
	switch st {
	case FaultPending:
		return w.t("state.pending")
	case FaultRequested:
		return w.t("state.requested")
	case FaultInjecting:
		return w.t("state.injecting")
	case FaultActive:
		return w.t("state.active")
	case FaultRollingBack:
		return w.t("state.rollingback")
	case FaultRolledBack:
		return w.t("state.rolledback")
	case FaultRollbackFailed:
		return w.t("state.rollbackfailed")
	case FaultSkipped:
		return w.t("state.skipped")
	case FaultInjectFailed:
		return w.t("state.injectfailed")
	case FaultDryRun:
		return w.t("state.dryrun")
	case FaultGone:
		return w.t("state.gone")
	}
	return escapeText(st.String())
}

// selection renders a fault's selection: "25%", "3 targets", "all".
func (w *words) selection(sel providers.Selection) string {
	switch {
	case sel.Count > 0:
		return w.t("sel.count", sel.Count)
	case sel.Percent > 0:
		return formatNum(sel.Percent) + "%"
	}
	return w.t("sel.all")
}

// value renders a metric value with its unit: "612 ms", "1.2 s", "0.05%",
// "98.5 req/s", "3". An error rate, a fraction in the scenario, is shown
// as a percentage.
func (w *words) value(m scenarios.Metric, v float64) string {
	switch m {
	case scenarios.P95:
		if math.Abs(v) >= 1000 {
			return formatNum(v/1000) + " s"
		}
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

// goal renders a bound: "≤ 200 ms", "≥ 3", "≥ 1 and ≤ 5".
func (w *words) goal(m scenarios.Metric, b scenarios.Bound) string {
	switch {
	case b.Min != nil && b.Max != nil:
		return w.t("goal.range", "≥ "+w.value(m, *b.Min), "≤ "+w.value(m, *b.Max))
	case b.Min != nil:
		return "≥ " + w.value(m, *b.Min)
	case b.Max != nil:
		return "≤ " + w.value(m, *b.Max)
	}
	return w.t("goal.any")
}

// duration renders a planned duration exactly, in the language's units:
// "1 min 30 s", "500 ms", "1 h".
func (w *words) duration(d time.Duration) string {
	if d < 0 {
		if d == math.MinInt64 {
			d++ // its negation is itself: a journal may say anything
		}
		return "-" + w.duration(-d)
	}
	switch {
	case d == 0:
		return w.t("unit.s", "0")
	case d < time.Second:
		return formatNum(float64(d)/float64(time.Millisecond)) + " ms"
	}
	h, m := int64(d/time.Hour), int64(d%time.Hour/time.Minute)
	sec := float64(d%time.Minute) / float64(time.Second)
	var parts []string
	if h > 0 {
		parts = append(parts, w.t("unit.h", strconv.FormatInt(h, 10)))
	}
	if m > 0 {
		parts = append(parts, w.t("unit.min", strconv.FormatInt(m, 10)))
	}
	if sec > 0 {
		parts = append(parts, w.t("unit.s", formatNum(sec)))
	}
	return strings.Join(parts, w.t("sep.unit"))
}

// measured renders a delay measured on the samples, at their one-second
// resolution.
func (w *words) measured(d time.Duration) string {
	if d < time.Second {
		return w.t("unit.under1s")
	}
	return w.duration(d.Round(time.Second))
}

// precise renders a delay measured between system events: a tenth of a
// second under a minute, whole seconds above.
func (w *words) precise(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	if d < time.Minute {
		return w.t("unit.s", strconv.FormatFloat(d.Seconds(), 'f', 1, 64))
	}
	return w.duration(d.Round(time.Second))
}

// clock renders t as the reader's wall clock, with the date when it is not
// the day the run started.
func (w *words) clock(t time.Time) string {
	lt, ls := t.In(w.loc), w.start.In(w.loc)
	if lt.Year() != ls.Year() || lt.YearDay() != ls.YearDay() {
		return lt.Format("2006-01-02 15:04:05")
	}
	return lt.Format("15:04:05")
}

// rel renders t relative to the start of the run: "T+01:05", counted in
// the whole seconds of the clock, so that it agrees with clock(t).
func (w *words) rel(t time.Time) string {
	d := max(t.Truncate(time.Second).Sub(w.start.Truncate(time.Second)), 0)
	secs := int(d / time.Second)
	return fmt.Sprintf("T+%02d:%02d", secs/60, secs%60)
}

// moment renders t as "15:00:12 (T+00:12)".
func (w *words) moment(t time.Time) string {
	return w.clock(t) + " (" + w.rel(t) + ")"
}

// stamp renders the start of the run with its date and UTC offset.
func (w *words) stamp(t time.Time) string {
	return t.In(w.loc).Format("2006-01-02 15:04:05 -07:00")
}

// targets renders targets for the report: "r2 (replica-2)".
func (w *words) targets(ts []providers.Target, none string) string {
	if len(ts) == 0 {
		return none
	}
	parts := make([]string, len(ts))
	for i, t := range ts {
		switch {
		case t.Name == "" || t.Name == t.ID:
			parts[i] = escapeText(t.ID)
		case strings.HasPrefix(t.Name, t.ID):
			parts[i] = escapeText(t.Name) // "replica-1 (pid 42)" already names it
		default:
			parts[i] = escapeText(t.ID) + " (" + escapeText(t.Name) + ")"
		}
	}
	return strings.Join(parts, ", ")
}

// escapeText makes text a person typed, or a system reported, safe to
// put anywhere in a markdown line or table cell: every character that
// markdown, or the HTML and math GitHub allows, could read as markup is
// escaped with a backslash (so "<replica-4>" shows as typed and "<!--"
// cannot hide the rest of the report), and so is what would start a
// heading, a quote or a list at the start of the text; line breaks become
// spaces and control characters are dropped. Letters, digits, spaces and
// most punctuation are left alone, so the text still reads as typed.
func escapeText(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	rs := []rune(s)
	lead := true // nothing but spaces so far
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == '\n' || r == '\r' || r == '\t' || r == '\u2028' || r == '\u2029':
			r = ' '
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			continue
		}
		if lead && r >= '0' && r <= '9' {
			// "12. " or "1) " would start an ordered list.
			j := i
			for j < len(rs) && rs[j] >= '0' && rs[j] <= '9' {
				j++
			}
			b.WriteString(string(rs[i:j]))
			if j < len(rs) && (rs[j] == '.' || rs[j] == ')') {
				b.WriteByte('\\')
				b.WriteRune(rs[j])
				j++
			}
			i, lead = j-1, false
			continue
		}
		if strings.ContainsRune("\\`*_[]<>|&~$", r) || lead && strings.ContainsRune("#+-=", r) {
			b.WriteByte('\\')
		}
		if r != ' ' {
			lead = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// code renders s as inline code, whatever backticks it holds, safe in a
// table cell.
func code(s string) string {
	s = strings.NewReplacer("\r", "", "\n", " ").Replace(s)
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	s = strings.ReplaceAll(s, "|", `\|`)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// cell makes already escaped text fit one table cell.
func cell(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}
