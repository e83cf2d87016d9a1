package sandbox

import (
	"strings"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/providers"
)

func TestBreaker(t *testing.T) {
	b := newBreaker(3, time.Second)
	t0 := time.Unix(1000, 0)
	for i := range 2 {
		if !b.allow(t0) {
			t.Fatalf("closed breaker refused call %d", i)
		}
		b.failure(t0)
	}
	if b.current() != breakerClosed {
		t.Fatalf("opened after 2 of 3 failures")
	}
	b.success() // a success resets the count
	for range 3 {
		b.allow(t0)
		b.failure(t0)
	}
	if b.current() != breakerOpen || b.allow(t0.Add(999*time.Millisecond)) {
		t.Fatalf("after 3 failures: %s, want open and refusing", b.current())
	}
	t1 := t0.Add(time.Second)
	if !b.allow(t1) {
		t.Fatal("no probe after the cooldown")
	}
	if b.current() != breakerHalfOpen || b.allow(t1) {
		t.Fatalf("half-open breaker let a second call through (%s)", b.current())
	}
	b.failure(t1)
	if b.current() != breakerOpen || b.allow(t1.Add(500*time.Millisecond)) {
		t.Fatalf("failed probe: %s, want open again", b.current())
	}
	t2 := t1.Add(time.Second)
	if !b.allow(t2) {
		t.Fatal("no second probe")
	}
	b.success()
	if b.current() != breakerClosed || !b.allow(t2) || !b.allow(t2) {
		t.Fatalf("successful probe: %s, want closed", b.current())
	}
	// Reopening after a failed probe is the same trip; each close after a
	// trip is remembered.
	if r := b.report(); r.State != "closed" || r.Trips != 1 || !r.OpenedAt.Equal(t0) || r.ClosedAt.IsZero() {
		t.Errorf("report %+v, want closed after 1 trip at %s", r, t0)
	}
}

func TestSpecFor(t *testing.T) {
	tests := map[string]struct {
		fault   providers.Fault
		want    HookSpec
		wantErr string
	}{
		"instance-stop kills by default": {
			fault: providers.Fault{ID: "f1", Kind: providers.InstanceStop, Selection: providers.Selection{Percent: 50}},
			want:  HookSpec{Kind: HookKill, Percent: 50, TTL: time.Minute},
		},
		"instance-stop pause": {
			fault: providers.Fault{ID: "f1", Kind: providers.InstanceStop, Selection: providers.Selection{Count: 1}, Params: providers.Params{Mode: "pause"}},
			want:  HookSpec{Kind: HookPause, Count: 1, TTL: time.Minute},
		},
		"latency": {
			fault: providers.Fault{ID: "f1", Kind: providers.Latency, Params: providers.Params{Delay: time.Second, Jitter: time.Millisecond}},
			want:  HookSpec{Kind: HookLatency, Delay: time.Second, Jitter: time.Millisecond, TTL: time.Minute},
		},
		"cpu defaults": {
			fault: providers.Fault{ID: "f1", Kind: providers.CPUStress},
			want:  HookSpec{Kind: HookCPU, Workers: 1, Load: 100, TTL: time.Minute},
		},
		"memory": {
			fault: providers.Fault{ID: "f1", Kind: providers.MemoryStress, Params: providers.Params{MemoryMB: 256}},
			want:  HookSpec{Kind: HookMemory, MemoryMB: 256, TTL: time.Minute},
		},
		"db-failure ignores the selection": {
			fault: providers.Fault{ID: "f1", Kind: providers.DBFailure, Selection: providers.Selection{Count: 3}},
			want:  HookSpec{Kind: HookDBStop, TTL: time.Minute},
		},
		"dependency error": {
			fault: providers.Fault{ID: "f1", Kind: providers.DependencyOutage, Params: providers.Params{Mode: "error"}},
			want:  HookSpec{Kind: HookDependencyError, TTL: time.Minute},
		},
		"bad mode":      {fault: providers.Fault{ID: "f9", Kind: providers.DependencyOutage, Params: providers.Params{Mode: "flaky"}}, wantErr: `fault f9 (dependency-outage): mode "flaky"`},
		"unknown kind":  {fault: providers.Fault{ID: "f9", Kind: "meteor"}, wantErr: `does not implement kind "meteor"`},
		"memory needed": {fault: providers.Fault{ID: "f9", Kind: providers.MemoryStress}, wantErr: "memory_mb"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := SpecFor(tc.fault, time.Minute)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tc.want.String() {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestBackendDelayExpiresByItself(t *testing.T) {
	be := &backend{delays: map[string]delay{}}
	now := time.Unix(1000, 0)
	be.delays["h1"] = delay{fixed: 300 * time.Millisecond, until: now.Add(time.Second)}
	be.delays["h2"] = delay{fixed: 100 * time.Millisecond, jitter: 50 * time.Millisecond, until: now.Add(2 * time.Second)}
	if d := be.delayFor(now); d < 400*time.Millisecond || d >= 450*time.Millisecond {
		t.Errorf("both hooks: delay %s, want [400ms, 450ms)", d)
	}
	if d := be.delayFor(now.Add(time.Second)); d < 100*time.Millisecond || d >= 150*time.Millisecond {
		t.Errorf("after the first TTL: delay %s, want [100ms, 150ms)", d)
	}
	if d := be.delayFor(now.Add(2 * time.Second)); d != 0 || len(be.delays) != 0 {
		t.Errorf("after both TTLs: delay %s, %d hooks left", d, len(be.delays))
	}
}
