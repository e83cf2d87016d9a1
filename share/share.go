// Package share serves a facilitator's run to teammates who follow it
// from their own terminals (gameday watch), and lets one of them, the
// scribe, add notes to it.
//
// The protocol is HTTP/1.1 on one address, 127.0.0.1 unless the
// facilitator says otherwise. Every request carries one of two random
// tokens, made per Server, in an Authorization header ("Bearer TOKEN"):
// the watch token follows the run, the scribe token also writes notes.
// A join line names both halves, TOKEN@HOST:PORT (see Join), and copies
// into any shell as it is.
//
//	GET  /v1/stream  the run's records as NDJSON: first every record so far
//	                 (a late joiner gets the whole history), then each one
//	                 as it is journaled. Records are the journal's own
//	                 lines, byte for byte (redacted); the server's own
//	                 lines are objects with a "share" field (Control).
//	POST /v1/notes   {"author": NAME, "text": TEXT}: a scribe's note,
//	                 journaled by the run with its author. Scribe token
//	                 only.
//
// A stream begins with a hello (the token's role), says waiting while no
// run has started, live once the history is sent, ping every Options.Ping,
// and ends with end (the run's stream is over, and why) or dropped (this
// watcher fell behind). A watcher reads the records into an
// engine.Replayer and so shows what the facilitator's console shows.
//
// The facilitator's run never waits for a watcher. A Feed keeps one run's
// lines in one append-only log that every watcher reads with its own
// cursor: writing a line is an append and a wake-up, whatever the number
// of watchers, and a watcher's backlog is only its cursor's distance from
// the end. A watcher more than Options.MaxLag lines behind once it has its
// history, or whose connection takes nothing for Options.WriteTimeout, is
// dropped; the number of watchers, request sizes, note sizes and the note
// rate are bounded.
package share

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
)

// Role is what a token lets its holder do.
type Role string

// The roles.
const (
	// RoleWatch follows the run, read-only.
	RoleWatch Role = "watch"
	// RoleScribe follows the run and adds notes to its journal.
	RoleScribe Role = "scribe"
)

// The paths of the protocol.
const (
	StreamPath = "/v1/stream"
	NotesPath  = "/v1/notes"
)

// Control is a line of the stream that is the server's, not a record:
// {"share": {"kind": "hello", "role": "watch"}}.
type Control struct {
	Kind ControlKind `json:"kind"`
	// Role is the token's, in a hello.
	Role Role `json:"role,omitempty"`
	// Version is the facilitator's gameday, in a hello.
	Version string `json:"version,omitempty"`
	// Reason says why the stream ends, in an end or a dropped.
	Reason string `json:"reason,omitempty"`
}

// ControlKind names a control line.
type ControlKind string

// The control lines, in the order a stream may send them.
const (
	Hello   ControlKind = "hello"   // first line: the token's role
	Waiting ControlKind = "waiting" // no run has started yet
	Live    ControlKind = "live"    // every record so far was sent; live from here
	Ping    ControlKind = "ping"    // nothing happened for a while; the server is there
	End     ControlKind = "end"     // the run's stream is over (Reason)
	Dropped ControlKind = "dropped" // this watcher fell behind and is disconnected (Reason)
)

// controlLine is how a Control travels.
type controlLine struct {
	Share *Control `json:"share"`
}

// Note is the body of a scribe's POST.
type Note struct {
	Author string `json:"author"`
	Text   string `json:"text"`
}

// Bounds on what a scribe sends.
const (
	// MaxAuthor is the longest scribe name, in characters.
	MaxAuthor = 64
	// MaxNoteText is the longest note, in characters: the console's
	// note input takes as many.
	MaxNoteText = 500
	// maxNoteBody bounds a note request's body in bytes.
	maxNoteBody = 8 << 10
)

// Join is where a watcher connects and with which token: TOKEN@HOST:PORT.
type Join struct {
	Token string
	Addr  string // host:port
}

// String is the join's text as a watcher passes it to gameday watch:
// TOKEN@HOST:PORT, in single quotes when the address has characters a
// shell would act on (an IPv6 address's brackets).
func (j Join) String() string {
	s := j.Token + "@" + j.Addr
	if strings.ContainsAny(s, "[]*?#~!$&;|<>(){}'\"\\ ") {
		return "'" + s + "'"
	}
	return s
}

// ErrBadJoin says a join text is not TOKEN@HOST:PORT.
var ErrBadJoin = errors.New("a join is TOKEN@HOST:PORT, as the facilitator's console shows it")

// ParseJoin reads TOKEN@HOST:PORT (quotes around it, as String may write,
// are taken off).
func ParseJoin(s string) (Join, error) {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'' {
		s = s[1 : len(s)-1]
	}
	tok, addr, ok := strings.Cut(s, "@")
	if !ok || tok == "" || addr == "" {
		return Join{}, fmt.Errorf("%q: %w", s, ErrBadJoin)
	}
	if !validToken(tok) {
		return Join{}, fmt.Errorf("%q: the token has characters no token has: %w", s, ErrBadJoin)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" || port == "" {
		return Join{}, fmt.Errorf("%q: no host:port after the @: %w", s, ErrBadJoin)
	}
	return Join{Token: tok, Addr: addr}, nil
}

// tokenEncoding writes tokens in lower-case base32: letters and digits
// only, so that they copy whole with a double click and need no quoting.
var tokenEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newToken returns 128 random bits as 26 letters and digits.
func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return tokenEncoding.EncodeToString(b[:])
}

func validToken(s string) bool {
	if len(s) > 128 {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && (r < 'A' || r > 'Z') {
			return false
		}
	}
	return true
}

// ReachableAddr is the address a join line names for a server listening
// on ln: the address itself, except that an unspecified host (0.0.0.0,
// ::) is replaced by the machine's host name, which teammates can reach.
func ReachableAddr(ln net.Addr) string {
	addr := ln.String()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		if h, err := os.Hostname(); err == nil && h != "" {
			return net.JoinHostPort(h, port)
		}
	}
	return addr
}
