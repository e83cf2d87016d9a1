package share

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/scenarios"
)

// Errors of Dial that say the join line is wrong, not the network.
var (
	// ErrUnauthorized: the facilitator's console does not know the token.
	ErrUnauthorized = errors.New("the facilitator's console refused the token: check the join line (a new console makes new tokens)")
	// ErrNotScribe: --scribe with a watcher's join line.
	ErrNotScribe = errors.New("this join line is a watcher's: a scribe needs the scribe's line")
)

// ErrReadOnly is what a watcher's Inject and (without the scribe's token)
// Note return: only the facilitator's console changes the run.
var ErrReadOnly = errors.New("a watcher follows the run read-only: only the facilitator's console triggers faults and aborts")

// maxLine bounds a stream line: the plan record carries the scenario,
// which is at most 1 MiB of YAML.
const maxLine = 16 << 20

// DialOptions configure a Watcher.
type DialOptions struct {
	// Scribe is the scribe's name: the join must then be the scribe's,
	// and Note sends notes under this name.
	Scribe string
	// Report are the options the watcher's report is rendered with (its
	// language and time zone); WithLive is added.
	Report []engine.ReportOption
	// Client makes the requests (default: a client of its own, with no
	// overall timeout: the stream lasts the run).
	Client *http.Client
	// Silence is how long the stream may say nothing before the watcher
	// gives up on it (default three pings of the server's default).
	Silence time.Duration
}

// Watcher follows a run served by a facilitator's Server: it reads the
// record stream into an engine.Replayer, so its Snapshot is the
// facilitator's, and it has the methods of the console's Run. It changes
// nothing: Inject, HoldLadder and WidenNow fail, Abort and AbortNow do
// nothing, and only a scribe's Note reaches the run (through the server,
// which journals it). It is safe for concurrent use.
type Watcher struct {
	join   Join
	opts   DialOptions
	client *http.Client
	cancel context.CancelFunc
	role   Role

	events chan engine.Record
	ready  chan struct{} // the plan and the history are in
	done   chan struct{} // the verdict is in
	gone   chan struct{} // the stream has ended

	mu       sync.Mutex
	rep      engine.Replayer
	records  []engine.Record
	plan     *scenarios.Plan
	live     bool
	verdict  bool
	why      string
	readyOne sync.Once
	doneOne  sync.Once
}

// Dial connects to the facilitator's console named by join (TOKEN@HOST:
// PORT) and starts following its run. ctx bounds the connection and the
// server's hello, not the stream.
func Dial(ctx context.Context, join string, opts DialOptions) (*Watcher, error) {
	j, err := ParseJoin(join)
	if err != nil {
		return nil, err
	}
	opts.Scribe = strings.TrimSpace(opts.Scribe)
	if opts.Scribe != "" {
		if _, _, err := CheckNote(Note{Author: opts.Scribe, Text: "-"}); err != nil {
			return nil, fmt.Errorf("--scribe: %w", err)
		}
	}
	if opts.Silence <= 0 {
		opts.Silence = 3 * DefaultPing
	}
	client := opts.Client
	if client == nil {
		client = &http.Client{Transport: &http.Transport{
			Proxy:                 nil, // the facilitator's console, never a proxy
			ResponseHeaderTimeout: 30 * time.Second,
			MaxIdleConns:          2,
		}}
	}
	sctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(sctx, http.MethodGet, "http://"+j.Addr+StreamPath, nil)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("watch %s: %w", j.Addr, err)
	}
	req.Header.Set("Authorization", "Bearer "+j.Token)
	req.Header.Set("Accept", "application/x-ndjson")
	stop := context.AfterFunc(ctx, cancel)
	fail := func(err error) (*Watcher, error) {
		stop()
		cancel()
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", err, ctx.Err())
		}
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fail(fmt.Errorf("connect to the facilitator's console at %s: %w", j.Addr, err))
	}
	if resp.StatusCode != http.StatusOK {
		msg := errorText(resp)
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusUnauthorized:
			return fail(ErrUnauthorized)
		default:
			return fail(fmt.Errorf("the facilitator's console at %s answered %s: %s", j.Addr, resp.Status, msg))
		}
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	var hello Control
	if !sc.Scan() || !readControl(sc.Bytes(), &hello) || hello.Kind != Hello {
		resp.Body.Close()
		return fail(fmt.Errorf("the facilitator's console at %s did not say hello: is it a gameday share?", j.Addr))
	}
	if !stop() {
		resp.Body.Close()
		return fail(fmt.Errorf("watch %s: %w", j.Addr, ctx.Err()))
	}
	if opts.Scribe != "" && hello.Role != RoleScribe {
		resp.Body.Close()
		cancel()
		return nil, ErrNotScribe
	}
	w := &Watcher{
		join:   j,
		opts:   opts,
		client: client,
		cancel: cancel,
		role:   hello.Role,
		events: make(chan engine.Record, 64),
		ready:  make(chan struct{}),
		done:   make(chan struct{}),
		gone:   make(chan struct{}),
	}
	go w.read(sc, resp.Body)
	return w, nil
}

// readControl decodes a control line; it reports false for a record.
func readControl(line []byte, c *Control) bool {
	if !bytes.HasPrefix(line, []byte(`{"share":`)) {
		return false
	}
	var cl controlLine
	if json.Unmarshal(line, &cl) != nil || cl.Share == nil {
		return false
	}
	*c = *cl.Share
	return true
}

// errorText is the error an answer carries, or its status.
func errorText(resp *http.Response) string {
	var e errorBody
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if json.Unmarshal(b, &e) == nil && e.Error != "" {
		return e.Error
	}
	return strings.TrimSpace(string(b))
}

// read applies the stream to the replayer until it ends, then says why.
func (w *Watcher) read(sc *bufio.Scanner, body io.Closer) {
	var why string
	silent := time.AfterFunc(w.opts.Silence, func() {
		w.mu.Lock()
		if w.why == "" {
			w.why = fmt.Sprintf("the facilitator's console stopped answering (nothing for %s)", w.opts.Silence)
		}
		w.mu.Unlock()
		w.cancel()
	})
	defer silent.Stop()
	for sc.Scan() {
		silent.Reset(w.opts.Silence)
		line := sc.Bytes()
		var c Control
		if readControl(line, &c) {
			switch c.Kind {
			case Live:
				w.mu.Lock()
				w.live = true
				ready := w.plan != nil
				w.mu.Unlock()
				if ready {
					w.readyOne.Do(func() { close(w.ready) })
				}
			case End:
				why = "the run's stream ended: " + c.Reason
			case Dropped:
				why = "the facilitator's console dropped this watcher: " + c.Reason
			case Hello, Waiting, Ping:
			}
			continue
		}
		var rec engine.Record
		if err := json.Unmarshal(line, &rec); err != nil {
			why = fmt.Sprintf("the stream sent a line that is not a record (%v)", err)
			break
		}
		w.apply(rec)
	}
	if why == "" {
		switch err := sc.Err(); {
		case err != nil:
			why = "lost the connection to the facilitator's console: " + err.Error()
		default:
			why = "the facilitator's console closed the connection without ending the stream: it is gone, or it dropped this watcher for not reading (a stopped terminal, a slow link); join again to follow the run"
		}
	}
	body.Close()
	w.cancel()
	w.mu.Lock()
	if w.why == "" {
		w.why = why
	}
	w.mu.Unlock()
	close(w.events)
	close(w.gone)
}

// apply takes one record: into the replayer and the records, then to the
// console (once live; when it is behind, the event is skipped: the
// snapshot has it).
func (w *Watcher) apply(rec engine.Record) {
	w.mu.Lock()
	w.rep.Apply(rec)
	w.records = append(w.records, rec)
	if rec.Type == engine.RecPlan && rec.Plan != nil {
		w.plan = rec.Plan
	}
	verdict := rec.Type == engine.RecVerdict
	if verdict {
		w.verdict = true
	}
	live, ready := w.live, w.live && w.plan != nil
	w.mu.Unlock()
	if ready {
		w.readyOne.Do(func() { close(w.ready) })
	}
	if verdict {
		w.doneOne.Do(func() { close(w.done) })
	}
	if live {
		select {
		case w.events <- rec:
		default:
		}
	}
}

// Role is the join token's role.
func (w *Watcher) Role() Role { return w.role }

// Ready is closed once the run's plan and its history are in: the console
// can open on it.
func (w *Watcher) Ready() <-chan struct{} { return w.ready }

// Plan is the run's plan, nil before Ready.
func (w *Watcher) Plan() *scenarios.Plan {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.plan
}

// Gone is closed when the stream has ended: the run's stream is over, the
// facilitator's console is gone, or this watcher was dropped (Why says).
func (w *Watcher) Gone() <-chan struct{} { return w.gone }

// Why says why the stream ended ("" while it goes on).
func (w *Watcher) Why() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.why
}

// Close stops following the run.
func (w *Watcher) Close() { w.cancel() }

// Events delivers the records as they arrive after the history; when the
// console falls behind, some are skipped (Snapshot has every one). It is
// closed when the stream ends.
func (w *Watcher) Events() <-chan engine.Record { return w.events }

// Snapshot is the run's state as of the last record received: what the
// facilitator's console shows.
func (w *Watcher) Snapshot() engine.Snapshot {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.rep.Snapshot()
}

// Done is closed when the run's verdict has arrived. A stream that ends
// before it (the facilitator's console died) leaves it open: Gone says so.
func (w *Watcher) Done() <-chan struct{} { return w.done }

// Inject fails: a watcher triggers nothing.
func (w *Watcher) Inject(faultID string) error {
	return fmt.Errorf("trigger %s: %w", faultID, ErrReadOnly)
}

// HoldLadder fails: a watcher holds no ladder.
func (w *Watcher) HoldLadder(faultID string) error {
	return fmt.Errorf("hold %s: %w", faultID, ErrReadOnly)
}

// WidenNow fails: a watcher widens no ladder.
func (w *Watcher) WidenNow(faultID string) error {
	return fmt.Errorf("widen %s: %w", faultID, ErrReadOnly)
}

// Abort does nothing: only the facilitator's console aborts the run.
func (w *Watcher) Abort(string) {}

// AbortNow does nothing: only the facilitator's console aborts the run.
func (w *Watcher) AbortNow(string) {}

// Note sends a scribe's note to the facilitator's console, which journals
// it under the scribe's name; a watcher without the scribe's token gets
// ErrReadOnly.
func (w *Watcher) Note(text string) error {
	if w.role != RoleScribe || w.opts.Scribe == "" {
		return fmt.Errorf("note: %w", ErrReadOnly)
	}
	body, err := json.Marshal(Note{Author: w.opts.Scribe, Text: text})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+w.join.Addr+NotesPath, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+w.join.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("send the note to the facilitator's console: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("the facilitator's console refused the note: %s", errorText(resp))
	}
	return nil
}

// Report renders the report from the records received so far, IN
// PROGRESS until the verdict has arrived.
func (w *Watcher) Report() (string, error) {
	w.mu.Lock()
	recs := slices.Clone(w.records)
	live := !w.verdict
	w.mu.Unlock()
	var b strings.Builder
	if err := engine.WriteReport(&b, recs, append(slices.Clone(w.opts.Report), engine.WithLive(live))...); err != nil {
		return "", err
	}
	return b.String(), nil
}

// SaveReport fails: the facilitator's console saves the report.
func (w *Watcher) SaveReport() (string, error) {
	return "", errors.New("a watcher saves nothing: the facilitator's console saves the report (r shows it here)")
}
