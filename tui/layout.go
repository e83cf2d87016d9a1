package tui

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// Layout helpers. Widths are display cells (ansi.StringWidth), never bytes
// or runes, so CJK text lines up; truncation keeps escape codes intact.

// width is the display width of s in cells. It is ansi.StringWidth with a
// fast path for the text the console draws most (ASCII, SGR escapes, box
// drawing, the symbols of its states): grapheme segmentation of every
// line of every frame would cost most of the frame budget. Anything else
// goes to ansi.StringWidth. TestWidthMatchesAnsi checks the fast path.
func width(s string) int {
	w := 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == 0x1b:
			if i+1 >= len(s) || s[i+1] != '[' {
				return ansi.StringWidth(s)
			}
			j := i + 2
			for j < len(s) && (s[j] < 0x40 || s[j] > 0x7e) {
				j++
			}
			i = j + 1
		case c < 0x20 || c == 0x7f:
			return ansi.StringWidth(s)
		case c < 0x80:
			w++
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if !narrow(r) {
				return ansi.StringWidth(s)
			}
			w++
			i += size
		}
	}
	return w
}

// narrow reports whether r is one cell wide and needs no grapheme
// segmentation (no combining marks, no emoji, no East Asian wide forms).
func narrow(r rune) bool {
	switch {
	case r >= 0xa0 && r < 0x300 && r != 0xad: // Latin-1 and Latin Extended, not the soft hyphen
		return true
	case r >= 0x2010 && r <= 0x2027: // dashes, quotes, bullet, ellipsis
		return true
	case r >= 0x2190 && r <= 0x21ff: // arrows
		return true
	case r >= 0x2200 && r <= 0x22ff: // mathematical operators (≤ ≥)
		return true
	case r >= 0x2500 && r <= 0x259f: // box drawing, block elements
		return true
	case r >= 0x25a0 && r <= 0x25fc: // geometric shapes (■ ○ ● ◔ ◑ ▲)
		return true
	}
	switch r {
	case '✔', '✘', '✎', '✚':
		return true
	}
	return false
}

// fit truncates s to w cells (ending in "…" when cut) and pads it with
// spaces to exactly w cells.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	sw := width(s)
	if sw > w {
		s = ansi.Truncate(s, w, "…")
		sw = width(s)
	}
	if sw < w {
		s += strings.Repeat(" ", w-sw)
	}
	return s
}

// clip truncates s to w cells without padding.
func clip(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if width(s) > w {
		return ansi.Truncate(s, w, "…")
	}
	return s
}

// block fits lines into a w×h rectangle: each line fitted to w, missing
// lines blank, extra lines dropped.
func block(lines []string, w, h int) []string {
	out := make([]string, h)
	for i := range out {
		if i < len(lines) {
			out[i] = fit(lines[i], w)
		} else {
			out[i] = strings.Repeat(" ", max(w, 0))
		}
	}
	return out
}

// beside joins rectangles of equal height side by side with sep between
// them. Each block must already be fitted to its width.
func beside(sep string, blocks ...[]string) []string {
	h := 0
	for _, b := range blocks {
		h = max(h, len(b))
	}
	out := make([]string, h)
	var sb strings.Builder
	for i := range h {
		sb.Reset()
		for j, b := range blocks {
			if j > 0 {
				sb.WriteString(sep)
			}
			if i < len(b) {
				sb.WriteString(b[i])
			}
		}
		out[i] = sb.String()
	}
	return out
}

// wrapText word-wraps s to w cells and returns its lines (at least one).
// Text with Japanese (or any wide script) in it may break between two wide
// characters, as Japanese does — ansi.Wrap breaks at spaces only, so a
// Japanese sentence, which has none, went whole to the next line and was
// cut there by cells, "myapp-" from "db" included.
func wrapText(s string, w int) []string {
	if w <= 0 {
		return nil
	}
	if hasWide(s) && !strings.Contains(s, "\x1b") {
		var out []string
		for _, para := range strings.Split(s, "\n") {
			out = append(out, wrapWide(para, w)...)
		}
		return out
	}
	return strings.Split(ansi.Wrap(s, w, ""), "\n")
}

// wrapWide fills lines of w cells greedily with the units of one line of
// plain text: a run of narrow characters between spaces (a word, kept
// whole unless it is longer than a line), or one wide character. Closing
// punctuation stays with what it closes and opening punctuation with what
// it opens (a line never starts with 、 or 。 nor ends with 「).
func wrapWide(s string, w int) []string {
	var lines []string
	var line strings.Builder
	lw := 0 // cells in line
	flush := func() {
		lines = append(lines, strings.TrimRight(line.String(), " "))
		line.Reset()
		lw = 0
	}
	for _, u := range wrapUnits(s) {
		uw := ansi.StringWidth(u)
		if u == " " {
			if lw > 0 && lw < w {
				line.WriteString(u)
				lw++
			}
			continue
		}
		if lw+uw > w && lw > 0 {
			flush()
		}
		for uw > w { // a word longer than the line: cut it by cells
			head := ansi.Truncate(u, w, "")
			lines = append(lines, head)
			u = u[len(head):]
			uw = ansi.StringWidth(u)
		}
		line.WriteString(u)
		lw += uw
	}
	if lw > 0 || len(lines) == 0 {
		flush()
	}
	return lines
}

// wrapUnits cuts s into the units wrapWide places: spaces (one each),
// narrow words, runs of katakana (a loanword: オンコール stays whole), and
// other wide characters one by one, with punctuation attached to what it
// opens or closes.
func wrapUnits(s string) []string {
	const opening, closing = "（「『【〔［｛〈《([{", "、。，．）」』】〕］｝〉》・：；？！ぁぃぅぇぉっゃゅょゎ々)]},.:;!?"
	var units []string
	var word strings.Builder // the narrow word being read
	inKatakana := false      // the last unit is a run of katakana still open
	pendingOpen := ""
	endWord := func() {
		if word.Len() > 0 {
			units = append(units, word.String())
			word.Reset()
		}
	}
	attach := func() bool { // a closing mark goes with what it closes
		if word.Len() > 0 {
			return false
		}
		return len(units) > 0 && units[len(units)-1] != " "
	}
	for _, r := range s {
		c := string(r)
		wide := ansi.StringWidth(c) == 2
		switch {
		case r == ' ':
			endWord()
			units = append(units, " ")
			inKatakana = false
		case strings.ContainsRune(opening, r):
			endWord()
			pendingOpen += c
			inKatakana = false
		case strings.ContainsRune(closing, r) && pendingOpen == "" && (word.Len() > 0 || attach()):
			if word.Len() > 0 {
				word.WriteString(c)
			} else {
				units[len(units)-1] += c
			}
			inKatakana = false
		case wide && isKatakana(r) && inKatakana && pendingOpen == "":
			units[len(units)-1] += c
		case wide:
			endWord()
			units = append(units, pendingOpen+c)
			pendingOpen = ""
			inKatakana = isKatakana(r)
		default:
			word.WriteString(pendingOpen)
			pendingOpen = ""
			word.WriteString(c)
			inKatakana = false
		}
	}
	endWord()
	if pendingOpen != "" {
		units = append(units, pendingOpen)
	}
	return units
}

// isKatakana says whether r is katakana or its long vowel mark ー.
func isKatakana(r rune) bool {
	return r >= 0x30A0 && r <= 0x30FF || r >= 0x31F0 && r <= 0x31FF
}

// reflow undoes the hard line breaks of a YAML block scalar so the card can
// wrap the text to its own width: a line break inside a sentence becomes a
// space; one after the end of a sentence (".", "!", "?", ":", "。") and
// blank lines between paragraphs are kept, so a passage in another script
// stays on its own line.
func reflow(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	var b strings.Builder
	for i, l := range lines {
		l = strings.TrimSpace(l)
		if i > 0 {
			prev := strings.TrimSpace(lines[i-1])
			switch {
			case l == "" || prev == "" || strings.HasSuffix(prev, ".") || strings.HasSuffix(prev, "!") ||
				strings.HasSuffix(prev, "?") || strings.HasSuffix(prev, ":") || strings.HasSuffix(prev, "。"):
				b.WriteString("\n")
			default:
				b.WriteString(" ")
			}
		}
		b.WriteString(l)
	}
	return b.String()
}

// rightAlign puts right at the end of a w-cell line that starts with left,
// cutting left if they do not both fit.
func rightAlign(left, right string, w int) string {
	rw := width(right)
	if rw >= w {
		return fit(right, w)
	}
	return fit(left, w-rw-1) + " " + right
}

// fmtDuration formats a plan duration compactly: "30s", "2m", "1m30s".
func fmtDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	s := d.Round(time.Second).String()
	if d < time.Second {
		s = d.String()
	}
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// fmtClock formats a duration as a countdown or elapsed clock: "4:05",
// "1:02:03". Negative durations show as 0:00.
func fmtClock(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	secs := int(d / time.Second)
	if secs >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", secs/3600, secs/60%60, secs%60)
	}
	return fmt.Sprintf("%d:%02d", secs/60, secs%60)
}

// fmtT formats a time relative to the start of a run: "T+01:05".
func fmtT(d time.Duration) string {
	sign := "+"
	if d < 0 {
		sign = "-"
		d = -d
	}
	secs := int(d / time.Second)
	if secs >= 3600 {
		return fmt.Sprintf("T%s%d:%02d:%02d", sign, secs/3600, secs/60%60, secs%60)
	}
	return fmt.Sprintf("T%s%02d:%02d", sign, secs/60, secs%60)
}

// rule is a panel title followed by a horizontal line to width w.
func rule(title string, w int) string {
	return fit(title+" "+strings.Repeat("─", max(w-width(title)-1, 0)), w)
}
