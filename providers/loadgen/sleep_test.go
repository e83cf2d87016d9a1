package loadgen

import (
	"testing"
	"time"
)

// TestSleeperNeverWakesEarly: a request must never be sent before it is
// due, so the sleeper may overshoot but never undershoot.
func TestSleeperNeverWakesEarly(t *testing.T) {
	t.Parallel()
	s := newSleeper()
	defer s.close()
	for _, d := range []time.Duration{50 * time.Microsecond, 300 * time.Microsecond, 2 * time.Millisecond} {
		for range 20 {
			start := time.Now()
			s.sleep(d)
			if got := time.Since(start); got < d {
				t.Fatalf("sleep(%v) returned after %v", d, got)
			}
		}
	}
}

func BenchmarkSleeper100us(b *testing.B) {
	s := newSleeper()
	defer s.close()
	var late time.Duration
	for b.Loop() {
		start := time.Now()
		s.sleep(100 * time.Microsecond)
		late += time.Since(start) - 100*time.Microsecond
	}
	b.ReportMetric(float64(late.Microseconds())/float64(b.N), "µs-late/op")
}
