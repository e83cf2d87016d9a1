package sandbox

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/providers"
)

func TestEventLog(t *testing.T) {
	l := newEventLog()
	if evs, last, missed, _ := l.after(0); len(evs) != 0 || last != 0 || missed != 0 {
		t.Fatalf("empty log: %v %d %d", evs, last, missed)
	}
	for i := range maxEvents + 5 {
		l.add(providers.SystemEvent{Source: "test", Text: strings.Repeat("x", i%3)})
	}
	evs, last, missed, _ := l.after(0)
	if len(evs) != maxEvents || last != maxEvents+5 || missed != 5 || evs[0].Seq != 6 || evs[0].At.IsZero() {
		t.Fatalf("after 0: %d events from seq %d, last %d, missed %d; want %d from 6, last %d, missed 5", len(evs), evs[0].Seq, last, missed, maxEvents, maxEvents+5)
	}
	if evs, _, missed, _ := l.after(last - 2); len(evs) != 2 || missed != 0 || evs[1].Seq != last {
		t.Fatalf("after last-2: %v, missed %d", evs, missed)
	}

	// wait returns as soon as an event comes, and nothing when ctx ends.
	go func() {
		time.Sleep(50 * time.Millisecond)
		l.add(providers.SystemEvent{Source: "test", Text: "late"})
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if evs, _, _ := l.wait(ctx, last); len(evs) != 1 || evs[0].Text != "late" {
		t.Fatalf("wait: %v", evs)
	}
	short, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if evs, _, _ := l.wait(short, last+1); len(evs) != 0 {
		t.Fatalf("wait with nothing new: %v", evs)
	}
	// close wakes a waiter, and nothing is logged after it.
	go func() {
		time.Sleep(50 * time.Millisecond)
		l.close()
	}()
	if evs, _, _ := l.wait(ctx, last+1); len(evs) != 0 || ctx.Err() != nil {
		t.Fatalf("wait across close: %v, %v", evs, ctx.Err())
	}
	l.add(providers.SystemEvent{Text: "after close"})
	if _, after, _, _ := l.after(0); after != last+1 {
		t.Errorf("logged after close: last %d", after)
	}
}

func TestBreakerEvents(t *testing.T) {
	t0 := time.Unix(1000, 0)
	be := &backend{name: "replica-2"}
	kinds := func(evs []providers.SystemEvent) string {
		var s []string
		for _, ev := range evs {
			s = append(s, string(ev.Kind))
		}
		return strings.Join(s, ",")
	}
	for i, step := range []struct {
		report breakerReport
		want   string
	}{
		{breakerReport{State: "closed"}, ""},
		{breakerReport{State: "open", Trips: 1, OpenedAt: t0}, "detected"},
		{breakerReport{State: "half-open", Trips: 1, OpenedAt: t0}, ""},
		{breakerReport{State: "closed", Trips: 1, OpenedAt: t0, ClosedAt: t0.Add(time.Second)}, "recovered"},
		// Opened and closed twice between two checks: both show.
		{breakerReport{State: "closed", Trips: 3, OpenedAt: t0.Add(5 * time.Second), ClosedAt: t0.Add(6 * time.Second)}, "detected,recovered"},
		{breakerReport{State: "open", Trips: 4, OpenedAt: t0.Add(7 * time.Second)}, "detected"},
	} {
		evs := be.breakerEvents(step.report)
		if got := kinds(evs); got != step.want {
			t.Errorf("step %d (%+v): events %s, want %s: %v", i, step.report, got, step.want, evs)
		}
		for _, ev := range evs {
			if ev.Source != "circuit breaker" || ev.Target != "replica-2" || ev.At.IsZero() || !strings.Contains(ev.Text, "circuit breaker in replica-2") {
				t.Errorf("step %d: event %+v", i, ev)
			}
		}
	}
	if evs := be.breakerEvents(breakerReport{State: "open", Trips: 6, OpenedAt: t0}); !strings.Contains(evs[0].Text, "2 times since the last health check") {
		t.Errorf("two trips between checks: %q", evs[0].Text)
	}
}
