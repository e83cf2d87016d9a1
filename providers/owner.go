package providers

import "strings"

// MaxOwnerLen is the longest owner label: a Kubernetes label value holds
// at most 63 characters.
const MaxOwnerLen = 63

// OwnerLabel returns the owner label of fault id in run runID, the value
// Fault.Owner carries: "RUN.FAULT". It is valid as a Kubernetes label value
// (at most 63 characters of [A-Za-z0-9._-], beginning and ending with a
// letter or digit) and as an AWS tag value, so every provider can put it on
// what it applies as it is. Characters a label may not hold become "-";
// a label too long keeps its run id and the end of the fault id.
func OwnerLabel(runID, id string) string {
	clean := func(s string) string {
		return strings.Map(func(r rune) rune {
			switch {
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
				return r
			}
			return '-'
		}, s)
	}
	run, f := clean(runID), clean(id)
	if len(run) > 40 {
		run = run[:40]
	}
	s := run + "." + f
	if len(s) > MaxOwnerLen {
		s = run + "." + f[len(f)-(MaxOwnerLen-len(run)-1):]
	}
	alnum := func(b byte) bool {
		return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
	}
	s = strings.TrimLeftFunc(s, func(r rune) bool { return r < 128 && !alnum(byte(r)) })
	for len(s) > 0 && !alnum(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	if s == "" {
		return "gameday"
	}
	return s
}
