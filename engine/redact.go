package engine

import (
	"encoding/json"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Redacted replaces every secret Redact finds.
const Redacted = "[REDACTED]"

// secretPatterns are applied in order. Each keeps whatever names the secret
// (the key, the scheme, the user) and replaces only the secret itself, so a
// redacted journal still says what was there. Every replacement is stable:
// redacting a redacted string changes nothing.
var secretPatterns = []struct {
	re   *regexp.Regexp
	repl string
}{
	// PEM private keys, whole block.
	{regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)`), Redacted},
	// AWS access key IDs (long-term AKIA…, temporary ASIA…).
	{regexp.MustCompile(`\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\b`), Redacted},
	// GitHub and Slack tokens.
	{regexp.MustCompile(`\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abprs]-[A-Za-z0-9-]{10,})`), Redacted},
	// Credentials in URLs: scheme://user:password@host keeps the user.
	{regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://[^/\s:@'"]*):[^/\s@'"]+@`), "${1}:" + Redacted + "@"},
	// Authorization headers, whatever the scheme: the value up to the end
	// of the line or a closing quote.
	{regexp.MustCompile(`(?i)(\b(?:proxy-)?authorization\s*[:=]\s*)[^\r\n'"]+`), "${1}" + Redacted},
	// Bearer tokens anywhere else.
	{regexp.MustCompile(`(?i)(\bbearer\s+)[A-Za-z0-9\-._~+/]+=*`), "${1}" + Redacted},
	// Command-line flags: --password x, --token=x, --aws-secret-access-key x.
	// Only a flag of its own: "-f1-token-service" inside a resource name
	// is not one.
	{regexp.MustCompile(`(?i)((?:^|[\s'"])--?[a-z0-9_-]*(?:password|passwd|token|secret|api-?key|access-?key|credentials?)[a-z0-9_-]*(?:=|\s+))[^\s'"&]+`), "${1}" + Redacted},
	// key=value and key: value pairs, in query strings, env, config text
	// and JSON. The key is a word of its own (not a segment of an ARN or a
	// resource name: "arn:aws:secretsmanager:…:secret:prod/db" and
	// "podchaos/password-reset" are identifiers), ending in the secret's
	// name or in an _suffix of it ("aws_secret_access_key", not
	// "tokens"); a colon separates only when followed by a space or a
	// quote, as in YAML and JSON, never as in an ARN.
	{regexp.MustCompile(`(?i)((?:^|[\s"'&?,;{(\[/])(?:[a-z0-9]+[_.-])*(?:password|passwd|pwd|token|secret|api_?key|apikey|access_?key|private_?key|credentials?|session_?id|cookie)(?:_[a-z0-9]+)*["']?(?:\s*=\s*["']?|\s*:\s+["']?|:["']))[^\s&'",;]+`), "${1}" + Redacted},
}

// Redact returns s with secrets replaced by "[REDACTED]": AWS access key
// IDs, aws_secret_access_key=… and any other password=, token=, secret=,
// api_key= style pair (in a query string, key=value or key: value text),
// bearer tokens, Authorization header values, passwords in user:pass@ URLs,
// GitHub and Slack tokens and PEM private keys. It is applied to every
// string the journal writes, so nothing typed in a note, a scenario field or
// an error message from a provider can leak a credential into a journal or
// a report.
//
// First it makes s safe for a terminal (see Printable): the report, the
// JUnit file, the headless lines and the console's timeline are all
// rendered from the journal, so none of them can carry an escape code. That
// comes before the secret patterns, so an escape code cannot split a
// secret to hide it from them ("pass\x1b[0mword=…").
func Redact(s string) string {
	s = Printable(s)
	for _, p := range secretPatterns {
		if p.re.MatchString(s) {
			s = p.re.ReplaceAllString(s, p.repl)
		}
	}
	return s
}

// Printable returns s without what a terminal would act on instead of
// print: escape sequences — ESC or the C1 CSI, OSC, DCS, SOS, PM and APC
// introducers (U+009B, U+009D, U+0090, U+0098, U+009E, U+009F) with what
// they take, up to the sequence's final byte or string terminator — are
// removed whole, so "\x1b[31mred\x1b[0m" reads "red". Other control
// characters (C0, DEL, C1) become U+FFFD, a line break written \r\n or \r
// becomes \n, and bytes that are not UTF-8 become U+FFFD; line breaks
// and tabs are kept. What it returns holds no control character but \n
// and \t, so Printable(Printable(s)) == Printable(s).
func Printable(s string) string {
	if printable(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	esc := newEscapes(s)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			b.WriteRune(utf8.RuneError)
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r == '\r':
			if !strings.HasPrefix(s[i+1:], "\n") {
				b.WriteByte('\n')
			}
		case r == 0x1b || r >= 0x80 && r < 0xa0 && c1Introducer(r):
			i += esc.length(i, r, size)
			continue
		case r < 0x20 || r >= 0x7f && r < 0xa0:
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// printable reports whether s is valid UTF-8 without control characters
// other than \n and \t: whether Printable leaves it as it is.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < 0x20 && c != '\n' && c != '\t', c == 0x7f:
			return false
		case c >= 0x80:
			// C1 characters are U+0080–U+009F: 0xc2 0x80–0x9f.
			return utf8.ValidString(s[i:]) && !strings.ContainsFunc(s[i:], func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' || r >= 0x7f && r < 0xa0 })
		}
	}
	return true
}

// c1Introducer reports whether the C1 character r starts an escape
// sequence: CSI, or a control string (OSC, DCS, SOS, PM, APC).
func c1Introducer(r rune) bool {
	switch r {
	case 0x9b, 0x9d, 0x90, 0x98, 0x9e, 0x9f:
		return true
	}
	return false
}

// escapes finds where the escape sequences of one string end. It keeps
// the next place of each string terminator, so that a string full of
// control-string introducers without terminators is still read once, not
// once per introducer.
type escapes struct {
	s    string
	next [3]int // of BEL, ST (U+009C), ESC \; -1 for none left
	from [3]int // where each was searched from
}

var terminators = [3]string{"\x07", "\u009c", "\x1b\\"}

func newEscapes(s string) *escapes {
	e := &escapes{s: s}
	for k := range e.next {
		e.next[k], e.from[k] = -2, 0 // not searched yet
	}
	return e
}

// terminator returns the place of the next terminator k at or after i.
func (e *escapes) terminator(k, i int) int {
	if e.next[k] == -1 && e.from[k] <= i || e.next[k] >= i {
		return e.next[k]
	}
	e.from[k] = i
	if j := strings.Index(e.s[i:], terminators[k]); j >= 0 {
		e.next[k] = i + j
	} else {
		e.next[k] = -1
	}
	return e.next[k]
}

// length returns the length in bytes of the escape sequence at s[i:],
// which starts with r (ESC or a C1 introducer) of size bytes. The forms
// are ECMA-48's: a control sequence (ESC [ or CSI: parameter bytes
// 0x30–0x3F, intermediate bytes 0x20–0x2F, a final byte 0x40–0x7E); a
// control string (ESC ] P X ^ _ or OSC DCS SOS PM APC, up to the string
// terminator ESC \ or ST (U+009C), or BEL after OSC); or ESC, intermediate
// bytes and a final byte 0x30–0x7E (ESC c resets the terminal). A
// sequence cut short ends where it stops matching: only what belongs to
// it is dropped, and the rest stays as text.
func (e *escapes) length(i int, r rune, size int) int {
	s := e.s[i:]
	kind := r
	n := size
	if r == 0x1b {
		if n >= len(s) {
			return n
		}
		switch s[n] {
		case '[':
			kind, n = 0x9b, n+1
		case ']':
			kind, n = 0x9d, n+1
		case 'P':
			kind, n = 0x90, n+1
		case 'X':
			kind, n = 0x98, n+1
		case '^':
			kind, n = 0x9e, n+1
		case '_':
			kind, n = 0x9f, n+1
		default:
			for n < len(s) && s[n] >= 0x20 && s[n] <= 0x2f {
				n++
			}
			if n < len(s) && s[n] >= 0x30 && s[n] <= 0x7e {
				n++
			}
			return n
		}
	}
	if kind == 0x9b {
		for n < len(s) && s[n] >= 0x30 && s[n] <= 0x3f {
			n++
		}
		for n < len(s) && s[n] >= 0x20 && s[n] <= 0x2f {
			n++
		}
		if n < len(s) && s[n] >= 0x40 && s[n] <= 0x7e {
			n++
		}
		return n
	}
	// A control string: up to its terminator, which is dropped with it.
	// Without one, only the introducer goes.
	end := -1
	for k := range terminators {
		if k == 0 && kind != 0x9d {
			continue // BEL ends only an OSC
		}
		if j := e.terminator(k, i+n); j >= 0 && (end < 0 || j+len(terminators[k]) < end) {
			end = j + len(terminators[k])
		}
	}
	if end < 0 {
		return n
	}
	return end - i
}

// redactJSON returns the JSON text b with Redact applied to every string
// literal in it (keys and values), keeping everything else byte for byte.
// Working on each decoded literal, not on the raw text, means escapes such
// as \u0026 or \" cannot hide a secret from the patterns or let a
// replacement break the JSON.
func redactJSON(b []byte) []byte {
	var out []byte // nil until the first change
	last := 0
	for i := 0; i < len(b); i++ {
		if b[i] != '"' {
			continue
		}
		start := i
		for i++; i < len(b) && b[i] != '"'; i++ {
			if b[i] == '\\' {
				i++
			}
		}
		if i >= len(b) {
			break // unterminated: not valid JSON, leave it
		}
		lit := b[start : i+1]
		var s string
		if json.Unmarshal(lit, &s) != nil {
			continue
		}
		r := Redact(s)
		if r == s {
			continue
		}
		enc, err := marshalNoEscape(r)
		if err != nil {
			continue
		}
		out = append(out, b[last:start]...)
		out = append(out, enc...)
		last = i + 1
	}
	if out == nil {
		return b
	}
	return append(out, b[last:]...)
}

// marshalNoEscape encodes v as JSON without HTML escaping and without the
// trailing newline json.Encoder adds.
func marshalNoEscape(v any) ([]byte, error) {
	var sb strings.Builder
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return []byte(strings.TrimSuffix(sb.String(), "\n")), nil
}
