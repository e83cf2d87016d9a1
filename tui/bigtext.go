package tui

import "strings"

// A block font for the presenter view's numbers, of our own: glyphs five
// pixels tall, most three wide, drawn with "█". The digits and what goes
// with them (. : % / - ) use the whole height; the units' letters (ms,
// req/s) are lowercase, four pixels tall, so they read as a unit beside
// a number. A pixel is drawn pw cells wide and ph rows tall: at 2×1 a
// pixel is about square (a cell is twice as tall as it is wide).
var bigGlyphs = map[rune][bigRows]string{
	'0': {"###", "#.#", "#.#", "#.#", "###"},
	'1': {".#.", "##.", ".#.", ".#.", "###"},
	'2': {"###", "..#", "###", "#..", "###"},
	'3': {"###", "..#", ".##", "..#", "###"},
	'4': {"#.#", "#.#", "###", "..#", "..#"},
	'5': {"###", "#..", "###", "..#", "###"},
	'6': {"###", "#..", "###", "#.#", "###"},
	'7': {"###", "..#", ".#.", ".#.", ".#."},
	'8': {"###", "#.#", "###", "#.#", "###"},
	'9': {"###", "#.#", "###", "..#", "###"},
	'.': {".", ".", ".", ".", "#"},
	':': {".", "#", ".", "#", "."},
	'%': {"#.#", "..#", ".#.", "#..", "#.#"},
	'/': {"..#", "..#", ".#.", "#..", "#.."},
	'-': {"...", "...", "###", "...", "..."},
	'm': {".....", "####.", "#.#.#", "#.#.#", "#.#.#"},
	's': {"...", ".##", "#..", "..#", "##."},
	'r': {"....", "#.##", "##..", "#...", "#..."},
	'e': {"....", ".##.", "####", "#...", ".###"},
	'q': {"...", ".##", "#.#", ".##", "..#"},
}

// bigRows is the height of a glyph in pixels.
const bigRows = 5

// bigScale is the size of a pixel: pw cells wide, ph rows tall.
type bigScale struct{ pw, ph int }

// canBig reports whether every rune of s has a glyph.
func canBig(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if _, ok := bigGlyphs[r]; !ok {
			return false
		}
	}
	return true
}

// bigWidth is the width in cells of s drawn at sc: its glyphs with one
// pixel between them.
func bigWidth(s string, sc bigScale) int {
	px := 0
	for i, r := range []rune(s) {
		if i > 0 {
			px++
		}
		px += len(bigGlyphs[r][0])
	}
	return px * sc.pw
}

// bigText draws s (every rune with a glyph: canBig) at sc: bigRows×ph
// lines, each bigWidth(s, sc) cells wide.
func bigText(s string, sc bigScale) []string {
	rows := make([]string, 0, bigRows*sc.ph)
	on, off := strings.Repeat("█", sc.pw), strings.Repeat(" ", sc.pw)
	var b strings.Builder
	for y := range bigRows {
		b.Reset()
		for i, r := range []rune(s) {
			if i > 0 {
				b.WriteString(off)
			}
			for _, px := range bigGlyphs[r][y] {
				if px == '#' {
					b.WriteString(on)
				} else {
					b.WriteString(off)
				}
			}
		}
		for range sc.ph {
			rows = append(rows, b.String())
		}
	}
	return rows
}
