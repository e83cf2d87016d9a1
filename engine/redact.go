package engine

import (
	"encoding/json"
	"regexp"
	"strings"
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
func Redact(s string) string {
	for _, p := range secretPatterns {
		if p.re.MatchString(s) {
			s = p.re.ReplaceAllString(s, p.repl)
		}
	}
	return s
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
