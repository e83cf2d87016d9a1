package tui

import (
	"fmt"
	"math"
	"strings"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/scenarios"
)

// The presenter view (p) is the console laid out to be read from a shrunk
// video window: the phase and the verdict first, each as a symbol, a word
// and a colour; what is live now (the header's second line) and any
// ladder climbing; the four headline numbers in block digits in the
// colour of their level, each with its name, its level in words and its
// bound; then the graphs, as space allows. Everything else — the fault
// panel, the timeline — is one key away; the keys work as on the console.

// presentTall is the height from which the phase and the verdict are
// blocks three rows tall (in colour: without it they would be blank).
const presentTall = 30

// presentGap is the space between the numbers' columns.
const presentGap = 2

// bigGraphRows is what the graphs keep under numbers drawn two rows a
// pixel: the digits grow only when the graphs still have their room.
const bigGraphRows = 16

// presenterView renders the presenter view in the console's size. The
// note line (or the reason prompt) is the last line, as on the console.
func (c consoleScreen) presenterView() string {
	w, h := c.width, c.height
	lines := c.presentHeader(w, c.styles.Color && h >= presentTall)
	lines = append(lines, c.statusLines(w, true)...)
	if c.presentPanel() {
		// The header's line sends the eye to the fault panel: show it,
		// for the faults fired so far (with their ladders).
		lines = append(lines, rule(c.styles.Title.Render(c.tr.S("ui.faults.title")), w))
		for i, f := range c.faults() {
			if f.State != engine.FaultPending && f.State != engine.FaultSkipped {
				lines = append(lines, c.faultRow(i, f, w)...)
			}
		}
	} else {
		lines = append(lines, c.ladderLines(w, true)...)
	}
	// The numbers and the graphs share what is left, as if a banner took
	// its line (the graphs keep their height when one comes and goes).
	room := h - len(lines) - 1 - c.reserve
	nums := c.bigNumbers(w, room-1)
	if len(nums) > 0 {
		lines = append(lines, "")
		lines = append(lines, nums...)
	}
	if g := room - len(nums) - 2; g >= 3 {
		lines = append(lines, "")
		lines = append(lines, c.graphLines(w, g)...)
	}
	lines = block(lines, w, h-1)
	lines = append(lines, c.bottomLine(w))
	return strings.Join(lines, "\n")
}

// presentPanel reports whether the header's second line refers to the
// fault panel: an abort's rollback (and the watch after it), a rollback
// to finish by hand, a rollback not confirmed.
func (c consoleScreen) presentPanel() bool {
	if c.aborting {
		return true
	}
	if o := c.snap.Outcome; o != nil && o.Verdict == engine.VerdictRollbackFailed {
		return true
	}
	for _, f := range c.faults() {
		if c.needsManual(f) {
			return true
		}
	}
	return false
}

// phaseSymbol marks a phase without colour: ◇ before any fault, ◆ the
// fault phase, ↺ its rollback, ◈ the recovery, ■ the end.
func phaseSymbol(p engine.Phase) string {
	switch p {
	case engine.Ready:
		return "·"
	case engine.Baseline:
		return "◇"
	case engine.Injecting, engine.Observing:
		return "◆"
	case engine.RollingBack:
		return "↺"
	case engine.Recovering:
		return "◈"
	case engine.Done, engine.Aborted:
		return "■"
	}
	return "·"
}

// presentHeader is the phase (symbol, word, countdown) as a block of its
// colour on the left, the verdict as a block of its own on the right,
// the clock and the title between them. Tall, the blocks are three rows
// high, for a window shrunk to a thumbnail. The phase, the clock and the
// verdict are never cut; the title and then the names of what breached
// give way.
func (c consoleScreen) presentHeader(w int, tall bool) []string {
	st, tr := c.styles, c.tr
	word, pstyle := c.phaseParts()
	phase := phaseSymbol(c.phase()) + " " + word
	text, vstyle := c.verdictParts(true)
	if st.Color {
		phase = " " + phase + " "
		vstyle = vstyle.Reverse(true)
	}
	const sep = " │ "
	fixed := pstyle.Render(phase) + sep + fmtT(c.elapsed())
	if c.dryRun {
		fixed += sep + tr.S("ui.header.dryRun")
	}
	block := func(s string) string {
		if st.Color {
			return " " + s + " "
		}
		return s
	}
	verdict := vstyle.Render(block(text))
	room := w - width(fixed) - width(verdict) - 1 - width(sep)
	if room < 12 {
		text, _ = c.verdictParts(false)
		verdict = vstyle.Render(block(text))
		room = w - width(fixed) - width(verdict) - 1 - width(sep)
	}
	left := fixed
	if room >= 4 {
		left += sep + st.Title.Render(clip(c.title, room))
	}
	line := rightAlign(left, verdict, w)
	if !tall {
		return []string{line}
	}
	pw, vw := width(phase), width(verdict)
	pad := pstyle.Render(strings.Repeat(" ", pw)) + strings.Repeat(" ", max(w-pw-vw, 0)) + vstyle.Render(strings.Repeat(" ", vw))
	return []string{fit(pad, w), line, fit(pad, w)}
}

// bigValue is m's value for the block digits, and its unit when the
// digits do not carry it: "612" "ms", "0.04%" "", "304" "req/s". The
// digits are those of formatValue, fewer for a large error rate.
func bigValue(m scenarios.Metric, v float64) (string, string) {
	if math.IsNaN(v) {
		return "-", ""
	}
	switch m {
	case scenarios.P95:
		if v < 10 {
			return fmt.Sprintf("%.1f", v), "ms"
		}
		return fmt.Sprintf("%.0f", v), "ms"
	case scenarios.ErrorRate:
		p := v * 100
		switch {
		case p < 10:
			return fmt.Sprintf("%.2f%%", p), ""
		case p < 100:
			return fmt.Sprintf("%.1f%%", p), ""
		}
		return fmt.Sprintf("%.0f%%", p), ""
	case scenarios.Throughput:
		return fmt.Sprintf("%.0f", v), "req/s"
	case scenarios.Running:
	}
	return formatValue(m, v), ""
}

// bigNumbers renders the four headline numbers side by side in at most h
// lines: each metric's name, its value in block digits in the colour of
// its level, the level in words, its bound. The digits take the
// largest scale at which every value fits its column (and, two rows a
// pixel, the graphs keep bigGraphRows); a value that fits at no scale is
// written as text. The unit follows the digits, in the block font when it
// fits at their scale, else as text on their baseline, else only in the
// bound under them.
func (c consoleScreen) bigNumbers(w, h int) []string {
	st, tr := c.styles, c.tr
	cw := (w - presentGap*(len(scenarios.Metrics)-1)) / len(scenarios.Metrics)
	if cw < 8 || h < 4 {
		return nil
	}
	type number struct {
		m          scenarios.Metric
		text, unit string
		l          level
	}
	var nums []number
	for _, m := range scenarios.Metrics {
		v, _ := c.current(m)
		text, unit := bigValue(m, v)
		nums = append(nums, number{m: m, text: text, unit: unit, l: c.level(m)})
	}
	sc, ok := bigScale{}, false
	for _, s := range []bigScale{{2, 2}, {2, 1}, {1, 1}} {
		rows := bigRows*s.ph + 3
		if rows > h || s.ph > 1 && h-rows < bigGraphRows {
			continue
		}
		fits := true
		for _, n := range nums {
			fits = fits && canBig(n.text) && bigWidth(n.text, s) <= cw
		}
		if fits {
			sc, ok = s, true
			break
		}
	}
	if !ok && h >= bigRows+3 {
		sc, ok = bigScale{1, 1}, true // the values that do not fit are text
	}
	cells := make([][]string, len(nums))
	for i, n := range nums {
		style := st.style(n.l)
		head := st.Title.Render(metricName(tr, n.m))
		// The level in words on a line of its own: never cut, so that
		// colour never says it alone.
		word := style.Render(n.l.word(tr))
		b, hasBound := c.plan.SteadyState[n.m]
		foot := ""
		if hasBound && (b.Min != nil || b.Max != nil) {
			foot = tr.S("ui.graph.limit", formatBound(tr, n.m, b))
		}
		var digits []string
		switch {
		case !ok:
			// No room for block digits: the value as text.
			digits = []string{style.Render(formatValue(n.m, c.valueOf(n.m)))}
		case canBig(n.text) && bigWidth(n.text, sc) <= cw:
			dw := bigWidth(n.text, sc)
			digits = bigText(n.text, sc)
			for j := range digits {
				digits[j] = style.Render(digits[j])
			}
			switch gap := strings.Repeat(" ", presentGap); {
			case n.unit == "":
			case canBig(n.unit) && dw+presentGap+bigWidth(n.unit, sc) <= cw:
				// The unit in the block font, at the digits' scale: a
				// smaller one beside them reads as noise.
				for k, u := range bigText(n.unit, sc) {
					digits[k] += gap + style.Render(u)
				}
			case dw+1+width(n.unit) <= cw:
				digits[len(digits)-1] += " " + n.unit
			case foot == "":
				foot = n.unit // no room beside the digits, no bound to say it
			}
		default:
			mid := make([]string, bigRows*sc.ph)
			mid[len(mid)/2] = style.Render(formatValue(n.m, c.valueOf(n.m)))
			digits = mid
		}
		cell := append([]string{head}, digits...)
		cells[i] = block(append(cell, word, foot), cw, len(digits)+3)
	}
	return beside(strings.Repeat(" ", presentGap), cells...)
}

// valueOf is m's latest value (NaN without one).
func (c consoleScreen) valueOf(m scenarios.Metric) float64 {
	v, _ := c.current(m)
	return v
}
