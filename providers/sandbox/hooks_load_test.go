package sandbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/providers/loadgen"
	"github.com/gameday-tui/gameday/providers/sandbox"
)

// Load in these tests stays at or under 100 req/s for at most 10 s a run.
const loadRate = 100

// measure runs the load generator against url and returns its summary.
func measure(t *testing.T, url string, d, timeout time.Duration) loadgen.Summary {
	t.Helper()
	g, err := loadgen.New(loadgen.Config{URL: url, Rate: loadRate, Duration: d, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), d+30*time.Second)
	defer cancel()
	s, err := g.Run(ctx)
	if err != nil {
		t.Fatalf("load %s: %v", url, err)
	}
	return s
}

func errorRate(s loadgen.Summary) float64 {
	if s.Requests == 0 {
		return 0
	}
	return float64(s.ErrorCount()) / float64(s.Requests)
}

// TestLoadSeesHooks measures the sandbox with the built-in load generator,
// as a game day does, and checks that each fault shows in what it measures
// and goes away after rollback.
func TestLoadSeesHooks(t *testing.T) {
	// A 3 s restart delay keeps a killed replica out for several of the
	// load generator's one-second windows.
	sb := startSandbox(t, sandbox.Options{Replicas: 4, RestartDelay: 3 * time.Second})
	c := sb.Client()
	load := sb.LoadURL()

	t.Run("latency raises p95 above the delay, rollback restores it", func(t *testing.T) {
		waitClean(t, c)
		base := measure(t, load, 3*time.Second, 2*time.Second)
		h := apply(t, c, sandbox.HookSpec{Kind: sandbox.HookLatency, Delay: 300 * time.Millisecond, TTL: time.Minute})
		during := measure(t, load, 4*time.Second, 2*time.Second)
		undo(t, c, h.ID)
		after := measure(t, load, 3*time.Second, 2*time.Second)
		t.Logf("p95 before %s, during %s, after %s", base.Latencies.P95, during.Latencies.P95, after.Latencies.P95)
		if during.Latencies.P95 <= 300*time.Millisecond || during.Latencies.P50 < 300*time.Millisecond {
			t.Errorf("p95 %s / p50 %s with a 300 ms latency hook, want above 300 ms", during.Latencies.P95, during.Latencies.P50)
		}
		if limit := base.Latencies.P95 + 100*time.Millisecond; after.Latencies.P95 > limit || after.Latencies.P95 >= 300*time.Millisecond {
			t.Errorf("p95 %s after rollback, want back near the baseline %s", after.Latencies.P95, base.Latencies.P95)
		}
		if errorRate(base) > 0 || errorRate(after) > 0 {
			t.Errorf("errors before %v, after %v", base.Errors, after.Errors)
		}
	})

	t.Run("kill 2 of 4: running count drops to 2 and comes back", func(t *testing.T) {
		waitClean(t, c)
		g, err := loadgen.New(loadgen.Config{URL: load, Rate: loadRate, Duration: 10 * time.Second, Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
		defer cancel()
		samples := loadgen.NewSource(g, c).Samples(ctx)
		var got []providers.Sample
		collected := make(chan struct{})
		go func() {
			defer close(collected)
			for s := range samples {
				got = append(got, s)
			}
		}()
		done := make(chan loadgen.Summary, 1)
		go func() {
			s, _ := g.Run(ctx)
			done <- s
		}()
		// The running count, also polled more finely than once a second.
		lowest := make(chan int, 1)
		go func() {
			low := 4
			defer func() { lowest <- low }()
			for ctx.Err() == nil {
				if n, err := c.Running(ctx); err == nil {
					low = min(low, n)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}()
		time.Sleep(2 * time.Second) // some steady state first; not an assertion
		h := apply(t, c, sandbox.HookSpec{Kind: sandbox.HookKill, Count: 2, TTL: time.Minute})
		sum := <-done
		cancel()
		<-collected
		if low := <-lowest; low != 2 {
			t.Errorf("lowest running count polled every 100 ms: %d, want 2", low)
		}

		var running []int
		minAt := -1
		for i, s := range got {
			running = append(running, s.Running)
			if s.Running >= 0 && (minAt < 0 || s.Running < got[minAt].Running) {
				minAt = i
			}
		}
		t.Logf("running count per second: %v; errors %v of %d requests", running, sum.Errors, sum.Requests)
		if minAt < 0 || got[minAt].Running != 2 {
			t.Fatalf("running count never dropped to 2: %v", running)
		}
		back := false
		for _, s := range got[minAt:] {
			back = back || s.Running == 4
		}
		if !back {
			eventually(t, 20*time.Second, "running count back to 4", func() (bool, string) {
				n, err := c.Running(bg(t))
				return err == nil && n == 4, "running " + time.Now().Format(time.TimeOnly)
			})
		}
		waitHookState(t, c, h.ID, sandbox.HookExpired, 20*time.Second)
	})

	t.Run("dependency blackhole: the resilient sandbox keeps serving", func(t *testing.T) {
		waitClean(t, c)
		measure(t, load, time.Second, 2*time.Second) // warm every replica's cache
		h := apply(t, c, sandbox.HookSpec{Kind: sandbox.HookDependencyBlackhole, TTL: time.Minute})
		during := measure(t, load, 5*time.Second, time.Second)
		undo(t, c, h.ID)
		t.Logf("resilient during a blackhole: errors %v of %d, p95 %s", during.Errors, during.Requests, during.Latencies.P95)
		if rate := errorRate(during); rate > 0.01 {
			t.Errorf("error rate %.3f during a dependency blackhole with fallback, want ≤ 1%%", rate)
		}
	})
}

// TestLoadFragileDependencyOutage is the failing hypothesis a facilitator
// shows with --fragile: the same blackhole raises the error rate.
func TestLoadFragileDependencyOutage(t *testing.T) {
	sb := sharedFragileSB(t)
	c := sb.Client()
	load := sb.LoadURL()
	base := measure(t, load, 2*time.Second, time.Second)
	h := apply(t, c, sandbox.HookSpec{Kind: sandbox.HookDependencyBlackhole, TTL: time.Minute})
	during := measure(t, load, 5*time.Second, time.Second)
	undo(t, c, h.ID)
	t.Logf("fragile: errors before %v of %d, during a blackhole %v of %d", base.Errors, base.Requests, during.Errors, during.Requests)
	if errorRate(base) > 0 {
		t.Errorf("errors before the fault: %v", base.Errors)
	}
	if rate := errorRate(during); rate < 0.5 {
		t.Errorf("error rate %.3f during a dependency blackhole without fallback, want ≥ 50%%", rate)
	}
}
