package sandbox_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/providers/sandbox"
)

// recorder collects a SystemEvents stream.
type recorder struct {
	mu     sync.Mutex
	events []providers.SystemEvent
	closed bool
}

func record(ctx context.Context, s providers.EventStreamer) *recorder {
	r := &recorder{}
	ch := s.SystemEvents(ctx)
	go func() {
		for ev := range ch {
			r.mu.Lock()
			r.events = append(r.events, ev)
			r.mu.Unlock()
		}
		r.mu.Lock()
		r.closed = true
		r.mu.Unlock()
	}()
	return r
}

// waitFor waits until an event matching match arrives and returns it.
func (r *recorder) waitFor(t *testing.T, timeout time.Duration, what string, match func(providers.SystemEvent) bool) providers.SystemEvent {
	t.Helper()
	var found providers.SystemEvent
	eventually(t, timeout, what, func() (bool, string) {
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, ev := range r.events {
			if match(ev) {
				found = ev
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d events: %s", len(r.events), describe(r.events))
	})
	return found
}

func (r *recorder) isClosed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}

func describe(evs []providers.SystemEvent) string {
	var s []string
	for _, ev := range evs {
		s = append(s, fmt.Sprintf("[%s %s %s: %s]", ev.Kind, ev.Source, ev.Target, ev.Text))
	}
	return strings.Join(s, " ")
}

// is matches an event by source, kind, target and a part of its text.
func is(source string, kind providers.EventKind, target, text string) func(providers.SystemEvent) bool {
	return func(ev providers.SystemEvent) bool {
		return ev.Source == source && ev.Kind == kind && ev.Target == target && strings.Contains(ev.Text, text) && !ev.At.IsZero()
	}
}

// traffic starts a request to url every 20 ms, without waiting for the
// previous one (a paused replica holds its requests), until the returned
// stop is called.
func traffic(url string) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				wg.Go(func() { fetch(url, 2*time.Second) })
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}

// TestSystemEvents checks that what the sandbox does by itself reaches a
// SystemEvents stream with the right kind: the load balancer taking a
// paused replica out (detected) and putting it back (recovered); the
// supervisor restarting a killed replica with a new pid (recovered); the
// circuit breakers in the replica processes opening (detected) and closing
// (recovered); the database stopped and started again; the dependency
// changing mode.
func TestSystemEvents(t *testing.T) {
	sb := sharedSB(t)
	c := sb.Client()
	load := sb.LoadURL()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := record(ctx, c)

	// One outage of each kind at once, to keep the test short: a paused
	// replica (load balancer), a killed one (supervisor), and a failing
	// dependency (breakers in the replicas, which need traffic to trip).
	t.Run("load balancer, supervisor, circuit breakers, dependency", func(t *testing.T) {
		waitClean(t, c)
		for range 8 { // warm every replica's cache
			fetch(load, 5*time.Second)
		}
		pid := replicaStatus(status(t, c), "replica-2").PID
		stop := traffic(load)
		defer stop()
		pause := apply(t, c, sandbox.HookSpec{Kind: sandbox.HookPause, Replicas: []string{"replica-1"}, TTL: time.Minute})
		apply(t, c, sandbox.HookSpec{Kind: sandbox.HookKill, Replicas: []string{"replica-2"}, TTL: time.Minute})
		dep := apply(t, c, sandbox.HookSpec{Kind: sandbox.HookDependencyError, TTL: time.Minute})

		rec.waitFor(t, 5*time.Second, "dependency erroring", is("sandbox", providers.EventInfo, "dependency", "dependency error by hook "+dep.ID))
		rec.waitFor(t, 10*time.Second, "replica-2 died", is("supervisor", providers.EventInfo, "replica-2", fmt.Sprintf("replica-2 (pid %d) died", pid)))
		ev := rec.waitFor(t, 15*time.Second, "replica-2 restarted", is("supervisor", providers.EventRecovered, "replica-2", fmt.Sprintf("restarted replica-2 (pid %d → ", pid)))
		if !strings.Contains(ev.Text, "s after it died") {
			t.Errorf("restart: %q, want how long after it died", ev.Text)
		}
		out := rec.waitFor(t, 15*time.Second, "replica-1 taken out", is("load balancer", providers.EventDetected, "replica-1", "health check took replica-1 out after 2 failed checks"))
		if !strings.Contains(out.Text, "after it went down") {
			t.Errorf("out: %q, want how long after the replica went down", out.Text)
		}
		opened := rec.waitFor(t, 15*time.Second, "a breaker opened", func(ev providers.SystemEvent) bool {
			return ev.Source == "circuit breaker" && ev.Kind == providers.EventDetected && strings.HasPrefix(ev.Target, "replica-") &&
				strings.Contains(ev.Text, "circuit breaker in "+ev.Target+" opened")
		})

		undo(t, c, pause.ID)
		undo(t, c, dep.ID)
		rec.waitFor(t, 5*time.Second, "dependency normal", is("sandbox", providers.EventInfo, "dependency", "dependency back to normal"))
		rec.waitFor(t, 15*time.Second, "replica-1 back in", is("load balancer", providers.EventRecovered, "replica-1", "put replica-1"))
		rec.waitFor(t, 20*time.Second, "the breaker closed", is("circuit breaker", providers.EventRecovered, opened.Target, "closed"))
	})

	t.Run("database", func(t *testing.T) {
		waitClean(t, c)
		pid := status(t, c).Database.PID
		h := apply(t, c, sandbox.HookSpec{Kind: sandbox.HookDBStop, TTL: time.Minute})
		rec.waitFor(t, 5*time.Second, "database stopped", is("sandbox", providers.EventInfo, "database", fmt.Sprintf("database stopped (pid %d", pid)))
		undo(t, c, h.ID)
		rec.waitFor(t, 10*time.Second, "database started again", is("supervisor", providers.EventRecovered, "database", fmt.Sprintf("restarted database (pid %d → ", pid)))
	})

	t.Run("GET /events long-polls, with the token only", func(t *testing.T) {
		waitClean(t, c)
		now, err := c.Events(bg(t), -1, 0)
		if err != nil || now.Instance != sb.State().Instance || len(now.Events) != 0 {
			t.Fatalf("Events from now: %+v, %v", now, err)
		}
		h := apply(t, c, sandbox.HookSpec{Kind: sandbox.HookLatency, Delay: time.Millisecond, TTL: time.Second})
		start, after := time.Now(), now.Last
		for found := false; !found; {
			res, err := c.Events(bg(t), after, 15*time.Second)
			if err != nil || len(res.Events) == 0 {
				t.Fatalf("Events after %d: %+v, %v; want an event (the hook ends at its TTL)", after, res, err)
			}
			for i, ev := range res.Events {
				if ev.Seq != after+int64(i)+1 {
					t.Fatalf("Events after %d: event %d has seq %d, want no gap", after, i, ev.Seq)
				}
				found = found || ev.Kind == providers.EventInfo && strings.Contains(ev.Text, "hook "+h.ID) && strings.Contains(ev.Text, "ended at its TTL")
			}
			after = res.Last
			if time.Since(start) > 10*time.Second {
				t.Fatalf("no event of hook %s ending at its 1 s TTL after %s", h.ID, time.Since(start))
			}
		}
		_, err = sandbox.NewClient(sb.State().Control, "wrong").Events(bg(t), 0, 0)
		var ae *sandbox.APIError
		if !errors.As(err, &ae) || ae.StatusCode != http.StatusUnauthorized {
			t.Errorf("Events with a wrong token: %v, want 401", err)
		}
	})
	if rec.isClosed() {
		t.Errorf("the stream closed while the sandbox runs")
	}
}

// TestSystemEventsGone checks the end of a stream when the sandbox goes
// away: one EventGone, then the channel closes. The client of a sandbox in
// this process knows at once; another client learns it when the control
// API has refused connections for a few seconds. A closed sandbox also
// changes ManualRollback: nothing to undo, the faults ended with it.
func TestSystemEventsGone(t *testing.T) {
	sb := startSandbox(t, sandbox.Options{Replicas: 1})
	local := sb.Client()
	st := sb.State()
	remote := sandbox.NewClient(st.Control, st.Token)
	if err := remote.Ping(bg(t)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	recLocal, recRemote := record(ctx, local), record(ctx, remote)
	inj, err := local.Inject(bg(t), providers.Fault{ID: "f1", Kind: providers.Latency, Params: providers.Params{Delay: time.Millisecond}}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if m := local.ManualRollback(inj); !strings.Contains(m, "gameday sandbox undo "+inj.Handles[0]) {
		t.Errorf("ManualRollback while the sandbox runs = %q, want the undo command", m)
	}
	time.Sleep(200 * time.Millisecond) // both streams are polling
	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}
	closedAt := time.Now()
	for name, rec := range map[string]*recorder{"local": recLocal, "remote": recRemote} {
		ev := rec.waitFor(t, 15*time.Second, name+": gone", func(ev providers.SystemEvent) bool { return ev.Kind == providers.EventGone })
		want := fmt.Sprintf("the sandbox (pid %d) is gone; its faults ended with it", st.PID)
		if !strings.Contains(ev.Text, want) || ev.Source != "sandbox" {
			t.Errorf("%s: gone event %+v, want %q", name, ev, want)
		}
		eventually(t, 5*time.Second, name+": stream closed", func() (bool, string) { return rec.isClosed(), "" })
		rec.mu.Lock()
		if n := len(rec.events); rec.events[n-1].Kind != providers.EventGone {
			t.Errorf("%s: the last event is %+v, want the gone event", name, rec.events[n-1])
		}
		rec.mu.Unlock()
	}
	if took := time.Since(closedAt); took > 12*time.Second {
		t.Errorf("gone after %s", took)
	}
	m := local.ManualRollback(inj)
	if strings.Contains(m, "gameday sandbox undo") || !strings.Contains(m, "ended with it") {
		t.Errorf("ManualRollback after the sandbox closed = %q, want no undo command and that the faults ended with it", m)
	}
}
