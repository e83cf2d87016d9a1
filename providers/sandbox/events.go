package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gameday-tui/gameday/providers"
)

// System events: what the sandbox does by itself, as a real system would
// show it in its logs and dashboards.
//
//	load balancer    took replica-N out after K failed health checks
//	                 (detected); put it back in (recovered)
//	supervisor       replica-N (pid) died (info); restarted replica-N
//	                 with a new pid after how long (recovered), and the
//	                 same for the database and the dependency
//	circuit breaker  opened in replica-N (detected); closed (recovered).
//	                 The breaker lives in the replica process; the load
//	                 balancer's health checks carry its state to the
//	                 parent (healthzResponse), so no extra polling
//	sandbox          database stopped, paused, resumed; dependency
//	                 blackholed, erroring, back to normal; a hook ended at
//	                 its TTL (info: the fault's own effects, not the
//	                 system's reaction to them)
//
// The parent keeps the last maxEvents in an eventLog, numbered from 1.
// GET /events?after=SEQ long-polls it; Client.SystemEvents streams it.
//
// Invariants: sequence numbers only grow, with no gaps, for the life of a
// sandbox instance; an event is never changed once logged. A reader that
// falls more than maxEvents behind is told how many it missed (Missed), and
// carries on.

// maxEvents is how many events the sandbox keeps for readers.
const maxEvents = 1000

// Event is one system event with its sequence number.
type Event struct {
	Seq int64 `json:"seq"`
	providers.SystemEvent
}

// eventLog is the parent's log of system events.
type eventLog struct {
	mu      sync.Mutex
	events  []Event // the last maxEvents, oldest first
	last    int64   // the last sequence number given
	changed chan struct{}
	closed  bool
}

func newEventLog() *eventLog { return &eventLog{changed: make(chan struct{})} }

// add logs ev, stamped now if it has no time.
func (l *eventLog) add(ev providers.SystemEvent) {
	if ev.At.IsZero() {
		ev.At = time.Now()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	l.last++
	l.events = append(l.events, Event{Seq: l.last, SystemEvent: ev})
	if len(l.events) > maxEvents {
		l.events = append(l.events[:0:0], l.events[len(l.events)-maxEvents:]...)
	}
	close(l.changed)
	l.changed = make(chan struct{})
}

// lastSeq returns the last sequence number given.
func (l *eventLog) lastSeq() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last
}

// close wakes every waiting reader; nothing is logged after it.
func (l *eventLog) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.closed = true
		close(l.changed)
	}
}

// after returns the events after seq, the last sequence number, how many
// events after seq were dropped before anyone read them, and a channel
// closed at the next change.
func (l *eventLog) after(seq int64) (evs []Event, last, missed int64, changed <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.events) > 0 && seq < l.events[0].Seq-1 {
		missed = l.events[0].Seq - 1 - seq
	}
	for _, ev := range l.events {
		if ev.Seq > seq {
			evs = append(evs, ev)
		}
	}
	return evs, l.last, missed, l.changed
}

// wait returns the events after seq as soon as there are any, or none
// when ctx is done.
func (l *eventLog) wait(ctx context.Context, seq int64) (evs []Event, last, missed int64) {
	for {
		evs, last, missed, changed := l.after(seq)
		if len(evs) > 0 || missed > 0 {
			return evs, last, missed
		}
		select {
		case <-ctx.Done():
			return nil, last, 0
		case <-changed:
			l.mu.Lock()
			closed := l.closed
			l.mu.Unlock()
			if closed {
				evs, last, missed, _ = l.after(seq)
				return evs, last, missed
			}
		}
	}
}

// emit logs a system event and writes it to the sandbox's log. Nothing is
// logged once the sandbox is closing: its processes are stopped on
// purpose then.
func (sb *Sandbox) emit(ev providers.SystemEvent) {
	if sb.ctx.Err() != nil {
		return
	}
	sb.logf("event: %s: %s", ev.Source, ev.Text)
	sb.events.add(ev)
}

// EventsResponse is the answer of GET /events.
type EventsResponse struct {
	// Instance is the sandbox's instance ID: a reader that sees it change
	// is talking to another sandbox.
	Instance string `json:"instance"`
	// Last is the sequence number of the last event logged: the after of
	// the next request.
	Last int64 `json:"last"`
	// Missed counts the events after the requested one that were dropped
	// before they were read.
	Missed int64   `json:"missed,omitempty"`
	Events []Event `json:"events"`
}

// Long-poll bounds of GET /events.
const (
	defaultEventsWait = 25 * time.Second
	maxEventsWait     = 60 * time.Second
)

// serveEvents answers GET /events?after=SEQ&wait=DURATION: the events after
// SEQ, waiting up to DURATION (default 25 s, at most 60 s) for one. Without
// after it answers at once with no events and the last sequence number, so
// a reader starts from now.
func (sb *Sandbox) serveEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !q.Has("after") {
		writeJSON(w, http.StatusOK, EventsResponse{Instance: sb.instance, Last: sb.events.lastSeq(), Events: []Event{}})
		return
	}
	after, err := strconv.ParseInt(q.Get("after"), 10, 64)
	if err != nil || after < 0 {
		writeError(w, http.StatusBadRequest, "after: want a sequence number ≥ 0")
		return
	}
	wait := defaultEventsWait
	if s := q.Get("wait"); s != "" {
		if wait, err = time.ParseDuration(s); err != nil || wait < 0 {
			writeError(w, http.StatusBadRequest, "wait: want a duration like 25s")
			return
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), min(wait, maxEventsWait))
	defer cancel()
	evs, last, missed := sb.events.wait(ctx, after)
	if evs == nil {
		evs = []Event{}
	}
	writeJSON(w, http.StatusOK, EventsResponse{Instance: sb.instance, Last: last, Missed: missed, Events: evs})
}

// Events returns the events after seq, waiting up to wait for one (0: answer
// at once). A negative seq asks only for the last sequence number.
func (c *Client) Events(ctx context.Context, seq int64, wait time.Duration) (EventsResponse, error) {
	path := "/events"
	if seq >= 0 {
		path += fmt.Sprintf("?after=%d&wait=%s", seq, wait)
	}
	var res EventsResponse
	err := c.do(ctx, http.MethodGet, path, nil, &res)
	return res, err
}

// goneAfter is how long the control API must refuse connections before the
// event stream says the sandbox is gone (when its pid cannot tell sooner).
const goneAfter = 3 * time.Second

// eventsPoll is the long-poll wait of SystemEvents; eventsRetry the pause
// after a failed poll.
const (
	eventsPoll  = 20 * time.Second
	eventsRetry = 250 * time.Millisecond
)

// SystemEvents streams the sandbox's system events from now on, until ctx
// is done, and then closes the channel. Like every providers.EventStreamer
// it never blocks on a slow reader: events that cannot be delivered at
// once are dropped (the channel holds 64) — all but the last, gone event,
// which waits for room.
//
// When the sandbox itself is gone — its process is not alive, or its
// control API has refused connections for goneAfter, or another sandbox
// answers at its address — it sends one providers.EventGone event ("the
// sandbox (pid N) is gone; its faults ended with it") and closes the
// channel. A control API that does not answer (a stopped process, a busy
// machine) is not gone: the faults may still be in force, and the stream
// keeps asking.
func (c *Client) SystemEvents(ctx context.Context) <-chan providers.SystemEvent {
	ch := make(chan providers.SystemEvent, 64)
	go func() {
		defer close(ch)
		send := func(ev providers.SystemEvent) {
			select {
			case ch <- ev:
			default:
			}
		}
		// The gone event is the one a reader must not miss: it waits for
		// room (or ctx) instead of being dropped.
		gone := func(why string) {
			select {
			case ch <- c.goneEvent(why):
			case <-ctx.Done():
			}
		}
		seq := int64(-1)
		instance := c.instanceID()
		var refusedSince time.Time
		for ctx.Err() == nil {
			if seq < 0 {
				pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				res, err := c.Events(pctx, -1, 0)
				cancel()
				if ctx.Err() != nil {
					return
				}
				if err == nil {
					seq, refusedSince = res.Last, time.Time{}
					if instance == "" {
						instance = res.Instance
						c.learn(res.Instance, 0, "")
					}
					if res.Instance != instance {
						gone("another sandbox (" + res.Instance + ") now answers at its control address")
						return
					}
					continue
				}
				if why, isGone := c.goneAfterError(err, &refusedSince); isGone {
					gone(why)
					return
				}
				sleepCtx(ctx, eventsRetry)
				continue
			}
			pctx, cancel := context.WithTimeout(ctx, eventsPoll+10*time.Second)
			res, err := c.Events(pctx, seq, eventsPoll)
			cancel()
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				if why, isGone := c.goneAfterError(err, &refusedSince); isGone {
					gone(why)
					return
				}
				sleepCtx(ctx, eventsRetry)
				continue
			}
			refusedSince = time.Time{}
			if res.Instance != instance {
				gone("another sandbox (" + res.Instance + ") now answers at its control address")
				return
			}
			if res.Missed > 0 {
				send(providers.SystemEvent{At: time.Now(), Source: "sandbox", Kind: providers.EventInfo,
					Text: fmt.Sprintf("%d system events were missed (the reader fell behind)", res.Missed)})
			}
			for _, ev := range res.Events {
				send(ev.SystemEvent)
			}
			seq = res.Last
		}
	}()
	return ch
}

// goneAfterError decides, after a failed call, whether the sandbox is gone:
// its local instance closed, its pid is not alive, or its control API has
// refused connections since *refusedSince for goneAfter, or another
// sandbox answers at its address (its token is refused there).
func (c *Client) goneAfterError(err error, refusedSince *time.Time) (string, bool) {
	if c.localClosed() {
		return "it was closed", true
	}
	var ae *APIError
	if errors.As(err, &ae) && ae.StatusCode == http.StatusUnauthorized {
		// The token is refused: is it another sandbox at the same port?
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		id, ierr := c.publicIdentity(ctx)
		if want := c.instanceID(); ierr == nil && want != "" && id.Instance != want {
			return "another sandbox (" + id.Instance + ") now answers at its control address", true
		}
		return "", false
	}
	if !isConnectError(err) {
		*refusedSince = time.Time{}
		return "", false
	}
	if pid := c.pidOf(); pid > 0 {
		if alive, known := processAlive(pid); known && !alive {
			return fmt.Sprintf("its process (pid %d) is not alive", pid), true
		}
	}
	if refusedSince.IsZero() {
		*refusedSince = time.Now()
	}
	if time.Since(*refusedSince) >= goneAfter {
		return fmt.Sprintf("its control API at %s has refused connections for %s", c.addr(), goneAfter), true
	}
	return "", false
}

// goneEvent is the last event of a stream whose sandbox is gone.
func (c *Client) goneEvent(why string) providers.SystemEvent {
	who := "the sandbox"
	if pid := c.pidOf(); pid > 0 {
		who = fmt.Sprintf("the sandbox (pid %d)", pid)
	}
	return providers.SystemEvent{At: time.Now(), Source: "sandbox", Kind: providers.EventGone,
		Text: who + " is gone; its faults ended with it (" + why + ")"}
}

// sleepCtx sleeps d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
