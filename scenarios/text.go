package scenarios

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Text from a scenario file reaches a terminal (the console, validate's
// and the headless run's output), the report and the JUnit file. A control
// character there is never meant: ESC (U+001B) and CSI (U+009B) start the
// escape sequences that move the cursor, clear the screen, retitle the
// window or hide a link, a carriage return or a backspace overwrite what
// was printed. YAML itself refuses them written raw, but a double-quoted
// string can hold any of them as an escape ("\e[2J", "\x9b", "\u0007").

// textKind says which characters a text field may hold.
type textKind int

const (
	// oneLine text (a title, a name, a path) holds no control character
	// at all, not even a line break or a tab.
	oneLine textKind = iota
	// prose (description, hypothesis, blast_radius, rollback, a
	// provider's own text) may also hold line breaks and tabs, as a YAML
	// block scalar (|) writes them.
	prose
)

// control reports whether r is a control character: C0, DEL or C1.
func control(r rune) bool { return r < 0x20 || r >= 0x7f && r < 0xa0 }

// badRune finds the first character s of kind may not hold: a control
// character (in prose, line breaks and tabs aside) or a byte that is not
// UTF-8. It returns the character (utf8.RuneError for a bad byte) and its
// 1-based place in s, counted in characters.
func badRune(s string, kind textKind) (r rune, at int, found bool) {
	n := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		n++
		switch {
		case r == utf8.RuneError && size <= 1:
			return utf8.RuneError, n, true
		case kind == prose && (r == '\n' || r == '\t'):
		case control(r):
			return r, n, true
		}
		i += size
	}
	return 0, 0, false
}

// runeName says what a character badRune found is, for a message.
func runeName(r rune) string {
	switch r {
	case utf8.RuneError:
		return "a byte that is not UTF-8"
	case '\n':
		return "a line break"
	case '\t':
		return "a tab"
	case '\r':
		return "a carriage return (U+000D)"
	case 0x1b:
		return "an escape character (ESC, U+001B: the start of a terminal escape code)"
	case 0x9b:
		return "a CSI character (U+009B: the start of a terminal escape code)"
	case 0x9d:
		return "an OSC character (U+009D: the start of a terminal escape code)"
	}
	return fmt.Sprintf("the control character U+%04X", r)
}

// textProblem says what is wrong with text s of kind, whose limit is max
// characters ("" if nothing).
func textProblem(s string, kind textKind, max int) string {
	if r, at, found := badRune(s, kind); found {
		return fmt.Sprintf("holds %s at character %d; control characters and terminal escape codes are not allowed in text", runeName(r), at)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return fmt.Sprintf("is %d characters long; at most %d", n, max)
	}
	return ""
}

// pathProblem says what is wrong with the path of load.path or load.url
// ("" if nothing). The path is sent to the target as written, so it must
// name a resource under the target: no dot segments (/../../etc/passwd),
// no empty segments (// at the start names another host), no
// backslashes, and none of these hidden by percent-encoding (%2e%2e,
// %5c, %00), however many times it is encoded.
func pathProblem(p string) string {
	path, _, _ := strings.Cut(p, "?")
	path, _, _ = strings.Cut(path, "#")
	for depth := 0; depth < 4; depth++ {
		enc := ""
		if depth > 0 {
			enc = "a percent-encoded "
		}
		switch {
		case strings.ContainsRune(path, '\\'):
			return "holds " + or(enc, "a ") + "backslash; write the path with / only"
		case dotSegment(path):
			return "holds " + or(enc, "a ") + ". or .. segment, which climbs out of the path it names; write the path it leads to"
		case strings.Contains(path, "//"):
			return "holds " + or(enc, "an ") + "empty segment (//); at the start it names another host"
		case strings.ContainsFunc(path, control):
			return "holds " + or(enc, "a ") + "control character"
		}
		next, err := url.PathUnescape(path)
		if err != nil {
			return "holds a malformed percent-encoding (% must be followed by two hex digits)"
		}
		if next == path {
			return ""
		}
		path = next
	}
	return "is percent-encoded more than three times over"
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// dotSegment reports whether path has a "." or ".." segment.
func dotSegment(path string) bool {
	for seg := range strings.SplitSeq(path, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// escapeControls makes text safe to print on a terminal: every control
// character (line breaks included) and every byte that is not UTF-8
// becomes its Go escape (\x1b, \u009b, \n), readable and inert.
func escapeControls(s string) string {
	if _, _, found := badRune(s, oneLine); !found {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case control(r):
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
