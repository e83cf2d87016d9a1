package share_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/share"
)

func TestJoin(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in      string
		want    share.Join
		wantErr bool
	}{
		"v4":             {in: "abc234@127.0.0.1:4100", want: share.Join{Token: "abc234", Addr: "127.0.0.1:4100"}},
		"host name":      {in: " abc@gameday.lan:4100\n", want: share.Join{Token: "abc", Addr: "gameday.lan:4100"}},
		"v6, quoted":     {in: "'abc@[::1]:4100'", want: share.Join{Token: "abc", Addr: "[::1]:4100"}},
		"no token":       {in: "@127.0.0.1:4100", wantErr: true},
		"no at":          {in: "127.0.0.1:4100", wantErr: true},
		"no port":        {in: "abc@127.0.0.1", wantErr: true},
		"a URL":          {in: "http://127.0.0.1:4100", wantErr: true},
		"odd token":      {in: "ab/c@127.0.0.1:4100", wantErr: true},
		"the whole line": {in: "gameday watch abc@127.0.0.1:1", wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := share.ParseJoin(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("ParseJoin(%q) = %v, %v; want error %v", tc.in, got, err, tc.wantErr)
			}
			if err != nil {
				if !errors.Is(err, share.ErrBadJoin) {
					t.Errorf("error %v is not ErrBadJoin", err)
				}
				return
			}
			if got != tc.want {
				t.Errorf("ParseJoin(%q) = %+v, want %+v", tc.in, got, tc.want)
			}
			// What String writes, ParseJoin reads.
			if back, err := share.ParseJoin(got.String()); err != nil || back != got {
				t.Errorf("ParseJoin(%q) = %+v, %v; want %+v", got.String(), back, err, got)
			}
		})
	}
	if s := (share.Join{Token: "abc", Addr: "[::1]:4100"}).String(); s != "'abc@[::1]:4100'" {
		t.Errorf("an IPv6 join is %s, want it quoted for a shell", s)
	}
}

// TestServerLines: two tokens, both 26 letters and digits, in lines
// that copy into a shell; the default address is loopback.
func TestServerLines(t *testing.T) {
	t.Parallel()
	srv, err := share.Listen(share.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close("done")
	if ip := srv.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
		t.Errorf("the default address is %s, want loopback", srv.Addr())
	}
	w, s := srv.Join(share.RoleWatch), srv.Join(share.RoleScribe)
	if w.Token == s.Token || len(w.Token) != 26 || len(s.Token) != 26 {
		t.Errorf("tokens %q and %q: want two different 26-letter tokens", w.Token, s.Token)
	}
	if want := "gameday watch " + w.Token + "@" + srv.Addr().String(); srv.WatchLine() != want {
		t.Errorf("watch line %q, want %q", srv.WatchLine(), want)
	}
	if want := "gameday watch --scribe NAME " + s.Token + "@" + srv.Addr().String(); srv.ScribeLine() != want {
		t.Errorf("scribe line %q, want %q", srv.ScribeLine(), want)
	}
	// A second server has tokens of its own.
	other, err := share.Listen(share.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close("done")
	if other.Join(share.RoleWatch).Token == w.Token {
		t.Error("two servers share a token")
	}
}

// TestAuth: every request needs a token in its Authorization header; the
// watch token reads the stream but cannot write notes.
func TestAuth(t *testing.T) {
	t.Parallel()
	sr := startShared(t, share.Options{})
	watch, scribe := sr.srv.Join(share.RoleWatch).Token, sr.srv.Join(share.RoleScribe).Token
	// The scribe's token with its first letter changed.
	wrongScribe := "a" + scribe[1:]
	if scribe[0] == 'a' {
		wrongScribe = "b" + scribe[1:]
	}
	base := "http://" + sr.srv.Addr().String()
	note := `{"author":"Tanaka","text":"the cache held"}`
	tests := map[string]struct {
		method, path, auth, body string
		want                     int
	}{
		"stream, no token":         {method: "GET", path: share.StreamPath, want: 401},
		"stream, wrong token":      {method: "GET", path: share.StreamPath, auth: "Bearer " + strings.Repeat("a", 26), want: 401},
		"stream, token in basic":   {method: "GET", path: share.StreamPath, auth: "Basic " + watch, want: 401},
		"stream, bare token":       {method: "GET", path: share.StreamPath, auth: watch, want: 401},
		"stream, a token's prefix": {method: "GET", path: share.StreamPath, auth: "Bearer " + watch[:25], want: 401},
		"stream, watch token":      {method: "GET", path: share.StreamPath, auth: "Bearer " + watch, want: 200},
		"stream, scribe token":     {method: "GET", path: share.StreamPath, auth: "bearer " + scribe, want: 200},
		"stream, POST":             {method: "POST", path: share.StreamPath, auth: "Bearer " + watch, want: 405},
		"note, no token":           {method: "POST", path: share.NotesPath, body: note, want: 401},
		"note, wrong token":        {method: "POST", path: share.NotesPath, auth: "Bearer " + wrongScribe, body: note, want: 401},
		"note, watch token":        {method: "POST", path: share.NotesPath, auth: "Bearer " + watch, body: note, want: 403},
		"note, scribe token":       {method: "POST", path: share.NotesPath, auth: "Bearer " + scribe, body: note, want: 204},
		"note, GET":                {method: "GET", path: share.NotesPath, auth: "Bearer " + scribe, want: 405},
		"note, not JSON":           {method: "POST", path: share.NotesPath, auth: "Bearer " + scribe, body: "the cache held", want: 400},
		"note, unknown field":      {method: "POST", path: share.NotesPath, auth: "Bearer " + scribe, body: `{"author":"T","text":"x","kind":"abort"}`, want: 400},
		"note, too big":            {method: "POST", path: share.NotesPath, auth: "Bearer " + scribe, body: `{"author":"T","text":"` + strings.Repeat("x", 9000) + `"}`, want: 413},
		"note, too long":           {method: "POST", path: share.NotesPath, auth: "Bearer " + scribe, body: `{"author":"T","text":"` + strings.Repeat("x", 501) + `"}`, want: 400},
		"note, escape code":        {method: "POST", path: share.NotesPath, auth: "Bearer " + scribe, body: `{"author":"T","text":"\u001b[2J"}`, want: 400},
		"unknown path, no token":   {method: "GET", path: "/", want: 401},
		"unknown path, token":      {method: "GET", path: "/v1/abort", auth: "Bearer " + scribe, want: 404},
	}
	t.Run("requests", func(t *testing.T) {
		for name, tc := range tests {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				req, err := http.NewRequestWithContext(ctx, tc.method, base+tc.path, strings.NewReader(tc.body))
				if err != nil {
					t.Fatal(err)
				}
				if tc.auth != "" {
					req.Header.Set("Authorization", tc.auth)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				if resp.StatusCode != tc.want {
					b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
					t.Fatalf("%s %s with %q: %s (%s), want %d", tc.method, tc.path, tc.auth, resp.Status, b, tc.want)
				}
				if tc.want == 401 && resp.Header.Get("WWW-Authenticate") == "" {
					t.Error("a 401 without WWW-Authenticate")
				}
			})
		}
	})
	// The watch token's note never reached the journal; the scribe's did.
	within(t, 10*time.Second, "the scribe's note in the journal", func() bool {
		for _, r := range sr.journal.records(t) {
			if r.Type == engine.RecNote && r.Note.Author == "Tanaka" {
				return true
			}
		}
		return false
	})
	n := 0
	for _, r := range sr.journal.records(t) {
		if r.Type == engine.RecNote {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d notes in the journal, want only the scribe's", n)
	}
}

// TestLateJoin: a watcher that joins in the middle of a run gets every
// record so far, then the rest as they come, and its Snapshot is at every
// point the facilitator's (Replay of the journal so far).
func TestLateJoin(t *testing.T) {
	t.Parallel()
	lines := fixtureLines(t)
	recs := decode(t, lines)
	srv, err := share.Listen(share.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close("done")
	feed := srv.NewFeed()
	half := len(lines) / 2
	for _, l := range lines[:half] {
		_, _ = feed.Write(l)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	w, err := share.Dial(ctx, srv.Join(share.RoleWatch).String(), share.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	select {
	case <-w.Ready():
	case <-w.Gone():
		t.Fatalf("the stream ended before the history was in: %s", w.Why())
	case <-time.After(10 * time.Second):
		t.Fatal("no history within 10s")
	}
	if got, want := w.Snapshot(), engine.Replay(recs[:half]); !reflect.DeepEqual(got, want) {
		t.Fatalf("after joining late the snapshot is not the run's:\n got %+v\nwant %+v", got, want)
	}
	if w.Plan() == nil || w.Plan().Title != recs[0].Plan.Title {
		t.Errorf("plan %v", w.Plan())
	}
	select {
	case <-w.Done():
		t.Fatal("Done before the verdict")
	default:
	}
	// Then live: the rest of the run, one record at a time.
	for _, l := range lines[half:] {
		_, _ = feed.Write(l)
	}
	select {
	case <-w.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the verdict did not arrive")
	}
	if got, want := w.Snapshot(), engine.Replay(recs); !reflect.DeepEqual(got, want) {
		t.Fatalf("at the end the snapshot is not the run's:\n got %+v\nwant %+v", got, want)
	}
	// A watcher joining after the run has the whole of it.
	late, err := share.Dial(ctx, srv.Join(share.RoleWatch).String(), share.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer late.Close()
	select {
	case <-late.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("a watcher joining after the run did not get its verdict")
	}
	if got, want := late.Snapshot(), engine.Replay(recs); !reflect.DeepEqual(got, want) {
		t.Fatal("a watcher joining after the run does not see the run")
	}
	// Its report is the journal's, byte for byte.
	rep, err := late.Report()
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	if err := engine.WriteReport(&want, recs, engine.WithLive(false)); err != nil {
		t.Fatal(err)
	}
	if rep != want.String() {
		t.Error("the watcher's report differs from the journal's")
	}
	// The stream ends with the reason the facilitator gives.
	feed.End("the run is over")
	select {
	case <-w.Gone():
	case <-time.After(10 * time.Second):
		t.Fatal("the stream did not end")
	}
	if !strings.Contains(w.Why(), "the run is over") {
		t.Errorf("Why = %q", w.Why())
	}
	if _, ok := <-w.Events(); ok {
		// drain: events may still hold records; the channel must close.
		for range w.Events() {
		}
	}
}

// rawStream opens a stream without reading it: a watcher whose terminal
// stopped. It returns the connection.
func rawStream(t *testing.T, srv *share.Server) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	// A small receive buffer, so that the server's writes block soon.
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(4 << 10)
	}
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n", share.StreamPath, srv.Join(share.RoleWatch).Token)
	return c
}

// TestStalledWatchersDropped: watchers that stop reading, or read a line
// a second, are dropped once their connection takes nothing for the write
// timeout, while the writer (the engine's journal) never waits for them
// and a watcher that keeps up gets every line.
func TestStalledWatchersDropped(t *testing.T) {
	t.Parallel()
	var log logs
	srv, err := share.Listen(share.Options{WriteTimeout: time.Second, Logf: log.logf})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close("done")
	feed := srv.NewFeed()
	_, _ = feed.Write(fixtureLines(t)[0])

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	good, err := share.Dial(ctx, srv.Join(share.RoleWatch).String(), share.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()
	<-good.Ready()
	for range 4 {
		rawStream(t, srv)
	}
	// One reads, but a line a second.
	slow := rawStream(t, srv)
	slowEnd := make(chan error, 1)
	go func() {
		r := bufio.NewReader(slow)
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				slowEnd <- err
				return
			}
			if strings.HasPrefix(l, `{"seq"`) {
				time.Sleep(time.Second)
			}
		}
	}()
	within(t, 10*time.Second, "six watchers", func() bool { return srv.Watchers() == 6 })

	// 1,000 records of 8 KiB each: far more than the kernel buffers of
	// the stalled connections hold.
	pad := strings.Repeat("x", 8<<10)
	var worst time.Duration
	for i := range 1000 {
		line := fmt.Appendf(nil, `{"seq":%d,"at":"2025-03-01T14:00:00Z","type":"system","event":{"source":"test","text":%q}}`+"\n", 1000+i, pad)
		start := time.Now()
		_, _ = feed.Write(line)
		worst = max(worst, time.Since(start))
	}
	// A write is an append and a wake-up; had it waited for a stalled
	// watcher, it would have taken the write timeout (1 s).
	if worst > 200*time.Millisecond {
		t.Errorf("the slowest Write took %s: the writer waited for a watcher", worst)
	}
	t.Logf("the slowest of 1,000 writes with 5 stalled watchers took %s", worst)

	within(t, 30*time.Second, "the stalled watchers dropped", func() bool { return srv.Watchers() == 1 })
	if !log.has("dropped: its connection took nothing for 1s") {
		t.Errorf("no drop was logged:\n%s", log.String())
	}
	select {
	case <-good.Gone():
		t.Fatalf("the watcher that kept up was dropped: %s", good.Why())
	default:
	}
	within(t, 30*time.Second, "the good watcher has every record", func() bool {
		tl := good.Snapshot().Timeline
		return len(tl) > 0 && tl[len(tl)-1].Seq == 1999
	})
	// The slow reader's connection ends (after what its buffers held).
	_ = slow.SetReadDeadline(time.Now().Add(time.Second))
	select {
	case <-slowEnd:
	case <-time.After(30 * time.Second):
		t.Error("the slow reader's connection did not end")
	}
}

// TestLaggingWatcherToldWhy: a watcher that falls more than MaxLag
// records behind while its connection still takes data is dropped with a
// message saying so.
func TestLaggingWatcherToldWhy(t *testing.T) {
	t.Parallel()
	var log logs
	srv, err := share.Listen(share.Options{MaxLag: 5, Logf: log.logf})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close("done")
	feed := srv.NewFeed()
	lines := fixtureLines(t)
	_, _ = feed.Write(lines[0])
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	w, err := share.Dial(ctx, srv.Join(share.RoleWatch).String(), share.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	<-w.Ready()
	// Twenty records in one write: the server finds the watcher twenty
	// behind at once.
	_, _ = feed.Write(bytes.Join(lines[1:21], nil))
	select {
	case <-w.Gone():
	case <-time.After(10 * time.Second):
		t.Fatal("the lagging watcher was not dropped")
	}
	if why := w.Why(); !strings.Contains(why, "dropped this watcher") || !strings.Contains(why, "20 records behind") || !strings.Contains(why, "join again") {
		t.Errorf("Why = %q", why)
	}
	if !log.has("dropped: 20 records behind") {
		t.Errorf("the drop was not logged:\n%s", log.String())
	}
	// The stream goes on for the others.
	other, err := share.Dial(ctx, srv.Join(share.RoleWatch).String(), share.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	<-other.Ready()
	if got := len(other.Snapshot().Timeline); got == 0 {
		t.Error("a new watcher got nothing")
	}
}

// TestScribeNote: a scribe's note, sent from its watcher, lands in the
// run's journal with the scribe's name and comes back on every stream; a
// watcher cannot note, trigger or abort anything.
func TestScribeNote(t *testing.T) {
	t.Parallel()
	sr := startShared(t, share.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := share.Dial(ctx, sr.srv.Join(share.RoleWatch).String(), share.DialOptions{Scribe: "Tanaka"}); !errors.Is(err, share.ErrNotScribe) {
		t.Errorf("--scribe with the watch token: %v, want ErrNotScribe", err)
	}
	scribe, err := share.Dial(ctx, sr.srv.Join(share.RoleScribe).String(), share.DialOptions{Scribe: " Tanaka "})
	if err != nil {
		t.Fatal(err)
	}
	defer scribe.Close()
	watcher, err := share.Dial(ctx, sr.srv.Join(share.RoleWatch).String(), share.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer watcher.Close()
	<-scribe.Ready()
	<-watcher.Ready()

	if err := scribe.Note("-@sato raise the alert threshold"); err != nil {
		t.Fatal(err)
	}
	if err := scribe.Note("password=hunter2 was in the dashboard URL"); err != nil {
		t.Fatal(err)
	}
	if err := scribe.Note(strings.Repeat("x", 501)); err == nil || !strings.Contains(err.Error(), "longer than 500") {
		t.Errorf("a note too long: %v", err)
	}
	if err := watcher.Note("I am only watching"); !errors.Is(err, share.ErrReadOnly) {
		t.Errorf("a watcher's note: %v, want ErrReadOnly", err)
	}
	if err := watcher.Inject("f1"); !errors.Is(err, share.ErrReadOnly) {
		t.Errorf("a watcher's inject: %v, want ErrReadOnly", err)
	}
	watcher.Abort("a watcher's ctrl+x")
	watcher.AbortNow("a watcher's q")
	scribe.Abort("a scribe's ctrl+x")

	want := []engine.Note{
		{Kind: engine.Improvement, Text: "@sato raise the alert threshold", Author: "Tanaka"},
		{Kind: engine.Observation, Text: "password=[REDACTED] was in the dashboard URL", Author: "Tanaka"},
	}
	notes := func(tl []engine.Record) []engine.Note {
		var out []engine.Note
		for _, r := range tl {
			if r.Type == engine.RecNote {
				out = append(out, *r.Note)
			}
		}
		return out
	}
	within(t, 10*time.Second, "the notes on the watcher's stream", func() bool {
		return reflect.DeepEqual(notes(watcher.Snapshot().Timeline), want)
	})
	if got := notes(sr.journal.records(t)); !reflect.DeepEqual(got, want) {
		t.Errorf("journaled notes %+v, want %+v", got, want)
	}
	// Nothing else changed: the run is in its baseline, not aborted.
	if ph := sr.run.Snapshot().Phase; ph != engine.Baseline {
		t.Errorf("the run is %s after a watcher's abort, want baseline", ph)
	}
	for _, r := range sr.journal.records(t) {
		if r.Type == engine.RecAbort || r.Type == engine.RecFault {
			t.Errorf("the journal has a %s record after watchers pressed keys: %+v", r.Type, r)
		}
	}
}

// TestNoteRate: notes beyond the rate are refused, and say so.
func TestNoteRate(t *testing.T) {
	t.Parallel()
	sr := startShared(t, share.Options{NoteRate: 0.01})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	scribe, err := share.Dial(ctx, sr.srv.Join(share.RoleScribe).String(), share.DialOptions{Scribe: "Tanaka"})
	if err != nil {
		t.Fatal(err)
	}
	defer scribe.Close()
	var refused error
	for i := range 20 {
		if err := scribe.Note(fmt.Sprint("note ", i)); err != nil {
			refused = err
			break
		}
	}
	if refused == nil || !strings.Contains(refused.Error(), "too many notes") {
		t.Errorf("20 notes at once: %v, want too many notes", refused)
	}
}

// TestStreamEnds: a watcher waiting for a run is told so, follows the
// run that starts, and is told when the facilitator starts another run or
// closes the console; a watcher beyond the limit is refused.
func TestStreamEnds(t *testing.T) {
	t.Parallel()
	srv, err := share.Listen(share.Options{MaxWatchers: 2})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	early, err := share.Dial(ctx, srv.Join(share.RoleWatch).String(), share.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer early.Close()
	lines := fixtureLines(t)
	first := srv.NewFeed()
	// A feed that never journals anything is never the current run.
	_ = srv.NewFeed()
	for _, l := range lines[:5] {
		_, _ = first.Write(l)
	}
	select {
	case <-early.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("a watcher that joined before the run did not get it")
	}
	second, err := share.Dial(ctx, srv.Join(share.RoleScribe).String(), share.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	within(t, 10*time.Second, "two watchers", func() bool { return srv.Watchers() == 2 })
	if _, err := share.Dial(ctx, srv.Join(share.RoleWatch).String(), share.DialOptions{}); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("a third watcher over a limit of two: %v, want 503", err)
	}
	// Another run: the first one's watchers are told.
	next := srv.NewFeed()
	_, _ = next.Write(lines[0])
	for _, w := range []*share.Watcher{early, second} {
		select {
		case <-w.Gone():
		case <-time.After(10 * time.Second):
			t.Fatal("the stream of a replaced run did not end")
		}
		if !strings.Contains(w.Why(), "another run") {
			t.Errorf("Why = %q", w.Why())
		}
	}
	third, err := share.Dial(ctx, srv.Join(share.RoleWatch).String(), share.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer third.Close()
	<-third.Ready()
	if err := srv.Close("the facilitator's console closed"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-third.Gone():
	case <-time.After(10 * time.Second):
		t.Fatal("closing the server did not end the stream")
	}
	if !strings.Contains(third.Why(), "the facilitator's console closed") {
		t.Errorf("Why = %q", third.Why())
	}
	if _, err := share.Dial(ctx, srv.Join(share.RoleWatch).String(), share.DialOptions{}); err == nil {
		t.Error("dialled a closed server")
	}
}

// TestDialErrors: a wrong token and a server that is not there say what
// is wrong.
func TestDialErrors(t *testing.T) {
	t.Parallel()
	srv, err := share.Listen(share.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close("done")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := share.Dial(ctx, "wrongtoken@"+srv.Addr().String(), share.DialOptions{}); !errors.Is(err, share.ErrUnauthorized) {
		t.Errorf("a wrong token: %v, want ErrUnauthorized", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	if _, err := share.Dial(ctx, "abc@"+addr, share.DialOptions{}); err == nil || !strings.Contains(err.Error(), "connect to the facilitator's console") {
		t.Errorf("nobody there: %v", err)
	}
	if _, err := share.Dial(ctx, srv.Join(share.RoleScribe).String(), share.DialOptions{Scribe: "a\nb"}); err == nil || !strings.Contains(err.Error(), "--scribe") {
		t.Errorf("a name on two lines: %v", err)
	}
}

// TestSilentServer: a watcher gives up on a stream that says nothing.
func TestSilentServer(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var wg sync.WaitGroup
	defer wg.Wait()
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		fmt.Fprintln(w, `{"share":{"kind":"hello","role":"watch"}}`)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})}
	wg.Add(1)
	go func() { defer wg.Done(); _ = hs.Serve(ln) }()
	defer hs.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	w, err := share.Dial(ctx, "abc@"+ln.Addr().String(), share.DialOptions{Silence: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-w.Gone():
	case <-time.After(10 * time.Second):
		t.Fatal("a silent server kept the watcher")
	}
	if !strings.Contains(w.Why(), "stopped answering") {
		t.Errorf("Why = %q", w.Why())
	}
}

func TestCheckNote(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in      share.Note
		author  string
		text    string
		wantErr string
	}{
		"plain":          {in: share.Note{Author: " Tanaka ", Text: " -@sato fix it "}, author: "Tanaka", text: "-@sato fix it"},
		"japanese":       {in: share.Note{Author: "田中", Text: "+キャッシュが効いた"}, author: "田中", text: "+キャッシュが効いた"},
		"no name":        {in: share.Note{Text: "x"}, wantErr: "name is empty"},
		"no text":        {in: share.Note{Author: "T", Text: "  "}, wantErr: "note is empty"},
		"long name":      {in: share.Note{Author: strings.Repeat("名", 65), Text: "x"}, wantErr: "longer than 64"},
		"longest text":   {in: share.Note{Author: "T", Text: strings.Repeat("字", 500)}, author: "T", text: strings.Repeat("字", 500)},
		"long text":      {in: share.Note{Author: "T", Text: strings.Repeat("字", 501)}, wantErr: "longer than 500"},
		"two lines":      {in: share.Note{Author: "T", Text: "a\nb"}, wantErr: "line break"},
		"escape in name": {in: share.Note{Author: "T\x1b[31m", Text: "x"}, wantErr: "control character"},
		"C1 control":     {in: share.Note{Author: "T", Text: "a\u009bb"}, wantErr: "control character"},
		"not UTF-8":      {in: share.Note{Author: "T", Text: "a\xffb"}, wantErr: "UTF-8"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			author, text, err := share.CheckNote(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("CheckNote(%+v) = %v, want an error with %q", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil || author != tc.author || text != tc.text {
				t.Errorf("CheckNote(%+v) = %q, %q, %v; want %q, %q", tc.in, author, text, err, tc.author, tc.text)
			}
		})
	}
}

// TestFeedSplitsLines: the feed takes whatever the journal writes and
// keeps whole lines.
func TestFeedSplitsLines(t *testing.T) {
	t.Parallel()
	srv, err := share.Listen(share.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close("done")
	lines := fixtureLines(t)[:6]
	all := bytes.Join(lines, nil)
	var journal bytes.Buffer
	feed := srv.NewFeed()
	jw := feed.Journal(&journal)
	// In odd pieces, and one blank line.
	for len(all) > 0 {
		n := min(len(all), 37)
		if _, err := jw.Write(all[:n]); err != nil {
			t.Fatal(err)
		}
		all = all[n:]
	}
	_, _ = jw.Write([]byte("\n"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	w, err := share.Dial(ctx, srv.Join(share.RoleWatch).String(), share.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	<-w.Ready()
	if got, want := w.Snapshot(), engine.Replay(decode(t, lines)); !reflect.DeepEqual(got, want) {
		t.Error("a journal written in pieces reaches the watcher otherwise")
	}
	if !bytes.Equal(journal.Bytes(), append(bytes.Join(lines, nil), '\n')) {
		t.Error("the journal behind the feed did not get every byte")
	}
}
