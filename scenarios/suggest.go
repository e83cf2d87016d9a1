package scenarios

import (
	"fmt"
	"strings"
)

// suggest returns `; did you mean "x"?` for the known name closest to got,
// or, when none is close, `; expected one of: a, b, c`.
func suggest(got string, known []string) string {
	if best, ok := closest(got, known); ok {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	return knownList("; expected one of", known)
}

// hint returns `; did you mean "x"? (what: a, b, c)` when a known name is
// close to got, else `; what: a, b, c`.
func hint(got string, known []string, what string) string {
	if len(known) == 0 {
		return ""
	}
	if best, ok := closest(got, known); ok {
		return fmt.Sprintf("; did you mean %q? (%s: %s)", best, what, strings.Join(known, ", "))
	}
	return knownList("; "+what, known)
}

// knownList renders "prefix: a, b, c", or nothing for an empty list.
func knownList(prefix string, known []string) string {
	if len(known) == 0 {
		return ""
	}
	return prefix + ": " + strings.Join(known, ", ")
}

// closest returns the known name nearest to got by edit distance, if it is
// near enough to be a typo: one edit for a short name, otherwise two, or a
// third of the name.
func closest(got string, known []string) (string, bool) {
	best, bestDist := "", -1
	for _, k := range known {
		d := distance(strings.ToLower(got), strings.ToLower(k))
		if bestDist < 0 || d < bestDist {
			best, bestDist = k, d
		}
	}
	limit := max(2, len([]rune(got))/3)
	if len([]rune(got)) <= 4 {
		limit = 1
	}
	return best, bestDist >= 0 && bestDist <= limit
}

// distance is the edit distance between a and b in runes, counting a swap
// of two neighbours as one edit ("nmae" is one edit from "name").
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		// No field name is that long; don't spend quadratic time on junk.
		return max(len(ra), len(rb))
	}
	// d[i][j] is the distance between ra[:i] and rb[:j].
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
