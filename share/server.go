package share

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/netutil"
	"golang.org/x/time/rate"
)

// Defaults for Options.
const (
	DefaultAddr         = "127.0.0.1:0"
	DefaultMaxWatchers  = 100
	DefaultMaxLag       = 4096
	DefaultWriteTimeout = 10 * time.Second
	DefaultPing         = 15 * time.Second
	// DefaultNoteRate is how many notes a second the scribes may send
	// together, in bursts of noteBurst: every note is synced to the
	// journal under the run's lock, so a flood would slow the run.
	DefaultNoteRate = 2.0
	noteBurst       = 10
)

// Options configure a Server. The zero value serves on 127.0.0.1 on a
// port of the system's choosing.
type Options struct {
	// Addr is where to listen (default 127.0.0.1:0).
	Addr string
	// Version is the facilitator's gameday version, sent in the hello.
	Version string
	// MaxWatchers bounds the streams served at once (default 100); one
	// more is answered 503.
	MaxWatchers int
	// MaxLag is how many records a watcher may be behind the run once it
	// has its history (default 4096: over an hour of samples); beyond it
	// the watcher is dropped with a message.
	MaxLag int
	// WriteTimeout bounds each write to a watcher (default 10s): a
	// watcher whose connection takes nothing for that long is dropped.
	WriteTimeout time.Duration
	// Ping is how often an idle stream says the server is there (default
	// 15s); watchers give up after three silent pings.
	Ping time.Duration
	// NoteRate bounds the scribes' notes a second (default 2, in bursts
	// of 10); beyond it a note is answered 429.
	NoteRate float64
	// Logf receives a line for each watcher that joins, leaves or is
	// dropped (nil: discarded). It must not block.
	Logf func(format string, args ...any)
}

// Noter journals a scribe's note with its author: engine.Run.NoteBy.
type Noter interface {
	NoteBy(author, text string) error
}

// Server serves the facilitator's current run (the Feed last written to)
// to watchers. Create it with Listen; it is safe for concurrent use.
type Server struct {
	opts      Options
	ln        net.Listener
	srv       *http.Server
	served    chan struct{}
	watchTok  []byte
	scribeTok []byte
	addr      string // host:port in join lines
	notes     *rate.Limiter

	mu       sync.Mutex
	current  *Feed
	changed  chan struct{} // closed and replaced when current changes
	closing  chan struct{} // closed by Close
	closed   bool
	watchers int
	nextID   int
}

// Listen starts serving on opts.Addr with two new tokens.
func Listen(opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	if opts.MaxWatchers <= 0 {
		opts.MaxWatchers = DefaultMaxWatchers
	}
	if opts.MaxLag <= 0 {
		opts.MaxLag = DefaultMaxLag
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = DefaultWriteTimeout
	}
	if opts.Ping <= 0 {
		opts.Ping = DefaultPing
	}
	if opts.NoteRate <= 0 {
		opts.NoteRate = DefaultNoteRate
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("share: listen on %s: %w", opts.Addr, err)
	}
	s := &Server{
		opts:      opts,
		ln:        ln,
		served:    make(chan struct{}),
		watchTok:  []byte(newToken()),
		scribeTok: []byte(newToken()),
		addr:      ReachableAddr(ln.Addr()),
		notes:     rate.NewLimiter(rate.Limit(opts.NoteRate), noteBurst),
		changed:   make(chan struct{}),
		closing:   make(chan struct{}),
	}
	s.srv = &http.Server{
		Handler: s,
		// No ReadTimeout: past it the server cancels a request's context,
		// which would end every stream; a note bounds its own body's read.
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       30 * time.Second,
		MaxHeaderBytes:    8 << 10,
		ErrorLog:          log.New(logWriter(opts.Logf), "share: ", 0),
	}
	// Connections beyond the watchers (notes, a refused watcher) are
	// few; the rest wait in the kernel's backlog.
	limited := netutil.LimitListener(ln, 2*opts.MaxWatchers+16)
	go func() {
		defer close(s.served)
		_ = s.srv.Serve(limited)
	}()
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Join returns where the holder of role's token connects.
func (s *Server) Join(role Role) Join {
	tok := s.watchTok
	if role == RoleScribe {
		tok = s.scribeTok
	}
	return Join{Token: string(tok), Addr: s.addr}
}

// WatchLine is the line a teammate runs to follow the run.
func (s *Server) WatchLine() string { return "gameday watch " + s.Join(RoleWatch).String() }

// ScribeLine is the line the scribe runs, NAME replaced by theirs.
func (s *Server) ScribeLine() string {
	return "gameday watch --scribe NAME " + s.Join(RoleScribe).String()
}

// Watchers returns how many streams are being served.
func (s *Server) Watchers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.watchers
}

// Close ends every stream, the current run's with reason (after the
// records not yet sent), stops listening and waits up to 3 s for the
// streams to finish. It is idempotent.
func (s *Server) Close(reason string) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	f := s.current
	close(s.closing)
	s.mu.Unlock()
	if f != nil {
		f.End(reason)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if err != nil {
		err = s.srv.Close()
	}
	<-s.served
	return err
}

// NewFeed returns the feed of a run about to start. It becomes the
// server's current run with its first line: a run that never journals
// anything (refused before it started) never replaces the one before.
func (s *Server) NewFeed() *Feed {
	return &Feed{srv: s, wake: make(chan struct{})}
}

// promote makes f the current run; the one before ends.
func (s *Server) promote(f *Feed) {
	s.mu.Lock()
	old := s.current
	s.current = f
	close(s.changed)
	s.changed = make(chan struct{})
	closed := s.closed
	s.mu.Unlock()
	if old != nil {
		old.End("the facilitator started another run: join again to follow it")
	}
	if closed {
		f.End("the facilitator's console closed")
	}
}

// ServeHTTP authenticates every request, then routes it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	role, ok := s.authenticate(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="gameday"`)
		writeError(w, http.StatusUnauthorized, "no valid token: use the join line the facilitator's console shows")
		return
	}
	switch r.URL.Path {
	case StreamPath:
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			writeError(w, http.StatusMethodNotAllowed, "the stream is read with GET")
			return
		}
		s.stream(w, r, role)
	case NotesPath:
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeError(w, http.StatusMethodNotAllowed, "notes are sent with POST")
			return
		}
		if role != RoleScribe {
			writeError(w, http.StatusForbidden, "this join line is a watcher's: notes need the scribe's")
			return
		}
		s.note(w, r)
	default:
		writeError(w, http.StatusNotFound, "no such path: "+StreamPath+" and "+NotesPath+" are served")
	}
}

// authenticate compares the request's bearer token with both tokens, in
// constant time, and says whose it is.
func (s *Server) authenticate(r *http.Request) (Role, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	t := []byte(strings.TrimSpace(tok))
	watch := subtle.ConstantTimeCompare(t, s.watchTok)
	scribe := subtle.ConstantTimeCompare(t, s.scribeTok)
	switch {
	case scribe == 1:
		return RoleScribe, true
	case watch == 1:
		return RoleWatch, true
	}
	return "", false
}

// errorBody is the body of every answer that is not a success.
type errorBody struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(errorBody{Error: msg})
}

// admit counts a watcher in, unless there are enough.
func (s *Server) admit() (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.watchers >= s.opts.MaxWatchers {
		return 0, false
	}
	s.watchers++
	s.nextID++
	return s.nextID, true
}

func (s *Server) release() {
	s.mu.Lock()
	s.watchers--
	s.mu.Unlock()
}

// stream serves one watcher: hello, the history, then each line as it
// comes, until the run's stream ends, the watcher leaves or falls behind.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, role Role) {
	id, ok := s.admit()
	if !ok {
		writeError(w, http.StatusServiceUnavailable, fmt.Sprintf("the facilitator's console already serves %d watchers", s.opts.MaxWatchers))
		return
	}
	defer s.release()
	who := fmt.Sprintf("watcher %d (%s, %s)", id, r.RemoteAddr, role)
	s.opts.Logf("share: %s joined", who)
	h := w.Header()
	h.Set("Content-Type", "application/x-ndjson")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	out := &streamWriter{w: w, rc: http.NewResponseController(w), timeout: s.opts.WriteTimeout}
	gone := func(err error) {
		s.opts.Logf("share: %s dropped: its connection took nothing for %s (%v)", who, s.opts.WriteTimeout, err)
	}
	if err := out.control(Control{Kind: Hello, Role: role, Version: s.opts.Version}); err != nil {
		gone(err)
		return
	}
	ping := time.NewTicker(s.opts.Ping)
	defer ping.Stop()

	f, err := s.waitFeed(r.Context(), out, ping.C)
	if err != nil {
		gone(err)
		return
	}
	if f == nil {
		s.opts.Logf("share: %s left", who)
		return
	}
	cursor := 0
	history := f.count()
	live := false
	var flushed time.Time
	for {
		// At most one write per coalesce: a burst of records is one
		// write to each watcher, not one per record.
		if wait := coalesce - time.Since(flushed); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				s.opts.Logf("share: %s left", who)
				return
			}
		}
		lines, wake, ended, why := f.from(cursor)
		if live && len(lines) > s.opts.MaxLag {
			reason := fmt.Sprintf("this watcher fell %d records behind the run (a slow connection, or a terminal that stopped reading): join again to follow it from its start", len(lines))
			_ = out.control(Control{Kind: Dropped, Reason: reason})
			s.opts.Logf("share: %s dropped: %d records behind", who, len(lines))
			return
		}
		if len(lines) > 0 {
			if err := out.lines(lines); err != nil {
				gone(err)
				return
			}
			flushed = time.Now()
		}
		cursor += len(lines)
		if !live && cursor >= history {
			live = true
			if err := out.control(Control{Kind: Live}); err != nil {
				gone(err)
				return
			}
		}
		if ended {
			if err := out.control(Control{Kind: End, Reason: why}); err != nil {
				gone(err)
				return
			}
			s.opts.Logf("share: %s: the stream ended (%s)", who, why)
			return
		}
		select {
		case <-wake:
		case <-ping.C:
			if err := out.control(Control{Kind: Ping}); err != nil {
				gone(err)
				return
			}
		case <-r.Context().Done():
			s.opts.Logf("share: %s left", who)
			return
		}
	}
}

// waitFeed returns the current run, saying waiting (and pinging) until
// there is one. It returns nil when the watcher left or the server
// closed first (then having said so).
func (s *Server) waitFeed(ctx context.Context, out *streamWriter, ping <-chan time.Time) (*Feed, error) {
	said := false
	for {
		s.mu.Lock()
		f, changed, closed := s.current, s.changed, s.closed
		s.mu.Unlock()
		if f != nil {
			return f, nil
		}
		if closed {
			return nil, out.control(Control{Kind: End, Reason: "the facilitator's console closed before a run started"})
		}
		if !said {
			said = true
			if err := out.control(Control{Kind: Waiting}); err != nil {
				return nil, err
			}
		}
		select {
		case <-changed:
		case <-s.closing:
		case <-ping:
			if err := out.control(Control{Kind: Ping}); err != nil {
				return nil, err
			}
		case <-ctx.Done():
			return nil, nil
		}
	}
}

// coalesce is the shortest time between two writes to a watcher: the
// records of a burst (a fault's states, an abort's rollbacks, a hundred
// samples a second) go out together, so that each watcher costs the
// facilitator's machine a few writes a second, whatever the rate of
// records. A watcher sees a record at most this much later.
const coalesce = 100 * time.Millisecond

// streamWriter writes a stream's lines, each batch with its own deadline.
type streamWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
}

// batch is how many lines are written under one deadline: a long history
// goes out in batches, each of which must be taken within the timeout.
const batch = 256

func (o *streamWriter) lines(ls [][]byte) error {
	for len(ls) > 0 {
		n := min(len(ls), batch)
		if err := o.rc.SetWriteDeadline(time.Now().Add(o.timeout)); err != nil {
			return err
		}
		for _, l := range ls[:n] {
			if _, err := o.w.Write(l); err != nil {
				return err
			}
		}
		if err := o.rc.Flush(); err != nil {
			return err
		}
		ls = ls[n:]
	}
	return nil
}

func (o *streamWriter) control(c Control) error {
	b, err := json.Marshal(controlLine{Share: &c})
	if err != nil {
		return err
	}
	return o.lines([][]byte{append(b, '\n')})
}

// note journals a scribe's note through the current run.
func (s *Server) note(w http.ResponseWriter, r *http.Request) {
	if !s.notes.Allow() {
		writeError(w, http.StatusTooManyRequests, fmt.Sprintf("too many notes at once (at most %g a second): send it again in a moment", s.opts.NoteRate))
		return
	}
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(10 * time.Second))
	r.Body = http.MaxBytesReader(w, r.Body, maxNoteBody)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	var n Note
	if err := dec.Decode(&n); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("a note's request is at most %d bytes", maxNoteBody))
			return
		}
		writeError(w, http.StatusBadRequest, "a note is {\"author\": NAME, \"text\": TEXT}: "+err.Error())
		return
	}
	author, text, err := CheckNote(n)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.Lock()
	f := s.current
	s.mu.Unlock()
	if f == nil {
		writeError(w, http.StatusConflict, "no run has started yet")
		return
	}
	noter, ended := f.noterState()
	switch {
	case ended:
		writeError(w, http.StatusConflict, "the run's journal is closed: no more notes")
		return
	case noter == nil:
		writeError(w, http.StatusConflict, "the run is starting: send it again in a moment")
		return
	}
	if err := noter.NoteBy(author, text); err != nil {
		writeError(w, http.StatusConflict, err.Error())
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// CheckNote checks a scribe's note and returns its author and text
// trimmed: a name of 1 to MaxAuthor characters and a text of 1 to
// MaxNoteText, each on one line without control characters. (The
// journal redacts both, like every string.)
func CheckNote(n Note) (author, text string, err error) {
	author, text = strings.TrimSpace(n.Author), strings.TrimSpace(n.Text)
	check := func(what, s string, most int) error {
		switch {
		case s == "":
			return fmt.Errorf("the %s is empty", what)
		case !utf8.ValidString(s):
			return fmt.Errorf("the %s is not UTF-8", what)
		case utf8.RuneCountInString(s) > most:
			return fmt.Errorf("the %s is longer than %d characters", what, most)
		case strings.IndexFunc(s, unicode.IsControl) >= 0:
			return fmt.Errorf("the %s has a control character or a line break: it is one line of text", what)
		}
		return nil
	}
	if err := check("scribe's name", author, MaxAuthor); err != nil {
		return "", "", err
	}
	if err := check("note", text, MaxNoteText); err != nil {
		return "", "", err
	}
	return author, text, nil
}

// Feed is one run's stream of records: the journal's lines, kept in order
// for every watcher. Write it through Journal; it never blocks and never
// fails. It is safe for concurrent use.
type Feed struct {
	srv *Server

	mu       sync.Mutex
	lines    [][]byte // each a whole line with its newline; never changed once appended
	partial  []byte   // a line not yet ended
	wake     chan struct{}
	promoted bool
	ended    bool
	why      string
	noter    Noter
}

// SetNoter says which run takes the scribes' notes (the engine.Run the
// journal is written by).
func (f *Feed) SetNoter(n Noter) {
	f.mu.Lock()
	f.noter = n
	f.mu.Unlock()
}

func (f *Feed) noterState() (Noter, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.noter, f.ended
}

// Write takes journal bytes (whole lines, as the engine writes one record
// per call) and wakes the watchers. It copies p, never blocks on a
// watcher, and always returns len(p), nil.
func (f *Feed) Write(p []byte) (int, error) {
	f.mu.Lock()
	if f.ended {
		f.mu.Unlock()
		return len(p), nil
	}
	rest := p
	added := false
	for len(rest) > 0 {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			f.partial = append(f.partial, rest...)
			break
		}
		line := make([]byte, 0, len(f.partial)+i+1)
		line = append(append(line, f.partial...), rest[:i+1]...)
		f.partial = f.partial[:0]
		rest = rest[i+1:]
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		f.lines = append(f.lines, line)
		added = true
	}
	promote := added && !f.promoted
	if promote {
		f.promoted = true
	}
	var wake chan struct{}
	if added {
		wake = f.wake
		f.wake = make(chan struct{})
	}
	f.mu.Unlock()
	if wake != nil {
		close(wake)
	}
	if promote && f.srv != nil {
		f.srv.promote(f)
	}
	return len(p), nil
}

// End ends the run's stream: watchers get every line written so far, then
// the reason. Only the first call counts.
func (f *Feed) End(reason string) {
	f.mu.Lock()
	if f.ended {
		f.mu.Unlock()
		return
	}
	f.ended, f.why = true, reason
	wake := f.wake
	f.wake = make(chan struct{})
	f.mu.Unlock()
	close(wake)
}

// count returns how many lines the feed holds.
func (f *Feed) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.lines)
}

// from returns the lines from cursor on, the channel closed at the next
// change, and whether (and why) the stream has ended; ended is only true
// once no line is left after those returned.
func (f *Feed) from(cursor int) (lines [][]byte, wake <-chan struct{}, ended bool, why string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if cursor < len(f.lines) {
		lines = f.lines[cursor:len(f.lines):len(f.lines)]
	}
	return lines, f.wake, f.ended, f.why
}

// Journal returns a writer for engine.Options.Journal that writes to
// journal (the file) and, once journal took them, feeds the same bytes to
// f. It has Sync when journal has, so the engine still syncs each record.
func (f *Feed) Journal(journal io.Writer) io.Writer {
	if s, ok := journal.(syncer); ok {
		return &syncTee{teeJournal{w: journal, f: f}, s}
	}
	return &teeJournal{w: journal, f: f}
}

type syncer interface{ Sync() error }

// logWriter hands the HTTP server's own log lines to Options.Logf.
type logWriter func(format string, args ...any)

func (l logWriter) Write(p []byte) (int, error) {
	l("%s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

type teeJournal struct {
	w io.Writer
	f *Feed
}

func (t *teeJournal) Write(p []byte) (int, error) {
	n, err := t.w.Write(p)
	if n > 0 {
		_, _ = t.f.Write(p[:n])
	}
	return n, err
}

type syncTee struct {
	teeJournal
	s syncer
}

func (t *syncTee) Sync() error { return t.s.Sync() }
