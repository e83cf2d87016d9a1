package loadgen

import (
	"testing"
	"time"
)

// rateChange is a SetRate at a virtual time.
type rateChange struct {
	at  time.Duration
	rps float64
}

// simulate drives p on a virtual clock the way the generator's scheduler
// does, applying changes when the clock reaches them, and returns the due
// time of every hit sent. It also checks that a hit is never sent before it
// is due. until bounds runs without a Duration.
func simulate(t *testing.T, p *Pacer, changes []rateChange, until time.Duration) []time.Duration {
	t.Helper()
	var now time.Duration
	var hits uint64
	var dues []time.Duration
	for now < until {
		if len(changes) > 0 && now >= changes[0].at {
			p.SetRate(changes[0].rps, now, hits)
			changes = changes[1:]
			continue
		}
		wait, stop := p.Pace(now, hits)
		if stop {
			break
		}
		if wait > 0 {
			next := now + wait
			if len(changes) > 0 && changes[0].at < next {
				next = changes[0].at
			}
			now = next
			continue
		}
		due := p.Due(hits)
		if due > now {
			t.Fatalf("hit %d sent at %v before it was due at %v", hits, now, due)
		}
		dues = append(dues, due)
		hits++
	}
	return dues
}

func countIn(dues []time.Duration, from, to time.Duration) int {
	n := 0
	for _, d := range dues {
		if d >= from && d < to {
			n++
		}
	}
	return n
}

func TestPacerConstantRate(t *testing.T) {
	t.Parallel()
	p := NewPacer(100, time.Second)
	cases := map[string]struct {
		elapsed  time.Duration
		hits     uint64
		wantWait time.Duration
		wantStop bool
	}{
		"first hit at once":         {0, 0, 0, false},
		"second hit one gap later":  {0, 1, 10 * time.Millisecond, false},
		"partly waited":             {4 * time.Millisecond, 1, 6 * time.Millisecond, false},
		"overdue is sent at once":   {35 * time.Millisecond, 1, 0, false},
		"last hit before duration":  {985 * time.Millisecond, 99, 5 * time.Millisecond, false},
		"stop at duration":          {time.Second, 100, 0, true},
		"nothing due: wait for end": {995 * time.Millisecond, 100, 5 * time.Millisecond, false},
		"hit 50 due at half second": {400 * time.Millisecond, 50, 100 * time.Millisecond, false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			wait, stop := p.Pace(tc.elapsed, tc.hits)
			if wait != tc.wantWait || stop != tc.wantStop {
				t.Errorf("Pace(%v, %d) = %v, %v; want %v, %v", tc.elapsed, tc.hits, wait, stop, tc.wantWait, tc.wantStop)
			}
		})
	}
}

func TestPacerCountsRateTimesDuration(t *testing.T) {
	t.Parallel()
	for _, rps := range []float64{1, 3, 100, 1000, 4999, 12345.5} {
		dues := simulate(t, NewPacer(rps, 10*time.Second), nil, time.Hour)
		want := int(rps*10 + 0.999999)
		if len(dues) != want {
			t.Errorf("rate %v for 10s: %d hits, want %d", rps, len(dues), want)
		}
	}
}

func TestPacerRaiseRateNoBurst(t *testing.T) {
	t.Parallel()
	p := NewPacer(100, 3*time.Second)
	dues := simulate(t, p, []rateChange{{time.Second + 3*time.Millisecond, 1000}}, time.Hour)
	if n := countIn(dues, 0, time.Second); n != 100 {
		t.Errorf("first second at 100/s: %d hits", n)
	}
	if n := countIn(dues, 1100*time.Millisecond, 2100*time.Millisecond); n < 999 || n > 1001 {
		t.Errorf("a second after raising to 1000/s: %d hits, want 1000±1", n)
	}
	// Every gap after the change is the new interval: no catch-up burst.
	for i := 1; i < len(dues); i++ {
		if dues[i] > time.Second+3*time.Millisecond {
			if gap := dues[i] - dues[i-1]; gap < time.Millisecond-time.Microsecond {
				t.Fatalf("gap %v between hits %d and %d is shorter than the new interval", gap, i-1, i)
			}
		}
	}
	// The first hit at the new rate comes 1 ms after the last one at the
	// old rate was due (1s), i.e. at once when the change comes at 1.003s.
	for _, d := range dues {
		if d > time.Second {
			if d != time.Second+3*time.Millisecond {
				t.Errorf("first hit after the change due at %v, want at the change (1.003s)", d)
			}
			break
		}
	}
}

func TestPacerLowerRateNoGap(t *testing.T) {
	t.Parallel()
	p := NewPacer(1000, 2*time.Second)
	change := 500*time.Millisecond + 300*time.Microsecond
	dues := simulate(t, p, []rateChange{{change, 10}}, time.Hour)
	var last, first time.Duration
	for _, d := range dues {
		if d <= change {
			last = d
		} else {
			first = d
			break
		}
	}
	if gap := first - last; gap != 100*time.Millisecond {
		t.Errorf("gap across the change is %v, want the new interval 100ms", gap)
	}
	if n := countIn(dues, time.Second, 2*time.Second); n != 10 {
		t.Errorf("a second at 10/s: %d hits", n)
	}
}

func TestPacerRaiseFromVeryLowRateDoesNotCatchUp(t *testing.T) {
	t.Parallel()
	// At 0.1/s hit 0 is at 0 and hit 1 would be at 10s. Raising to 1000/s
	// at 3s must start now, not at 1 ms (which would owe 3,000 hits at once).
	p := NewPacer(0.1, 5*time.Second)
	dues := simulate(t, p, []rateChange{{3 * time.Second, 1000}}, time.Hour)
	if n := countIn(dues, 0, 3*time.Second); n != 1 {
		t.Errorf("%d hits before the change, want 1", n)
	}
	if dues[1] != 3*time.Second {
		t.Errorf("first hit after the change due at %v, want 3s", dues[1])
	}
	if n := countIn(dues, 3*time.Second, 4*time.Second); n != 1000 {
		t.Errorf("%d hits in the second after raising to 1000/s", n)
	}
}

func TestPacerBehindKeepsDueTimes(t *testing.T) {
	t.Parallel()
	// At 100/s the sender stalls: it sent hit 0 and comes back at 95 ms,
	// with hits 1–9 overdue. A change to 50/s then keeps hit 1 due at 10 ms
	// (its latency counts from then) and spaces the rest 20 ms apart.
	p := NewPacer(100, 0)
	if wait, _ := p.Pace(0, 0); wait != 0 {
		t.Fatalf("hit 0 not due at once")
	}
	p.SetRate(50, 95*time.Millisecond, 1)
	if got := p.Due(1); got != 10*time.Millisecond {
		t.Errorf("overdue hit 1 due at %v after the change, want 10ms", got)
	}
	if got := p.Due(2); got != 30*time.Millisecond {
		t.Errorf("hit 2 due at %v, want 30ms", got)
	}
	if wait, stop := p.Pace(95*time.Millisecond, 1); wait != 0 || stop {
		t.Errorf("overdue hit: Pace = %v, %v; want 0, false", wait, stop)
	}
}

func TestPacerPauseAndResume(t *testing.T) {
	t.Parallel()
	p := NewPacer(100, 3*time.Second)
	dues := simulate(t, p, []rateChange{{time.Second, 0}, {2 * time.Second, 100}}, time.Hour)
	if n := countIn(dues, time.Second+time.Nanosecond, 2*time.Second); n != 0 {
		t.Errorf("%d hits while paused", n)
	}
	if n := countIn(dues, 2*time.Second, 3*time.Second); n != 100 {
		t.Errorf("%d hits in the second after resuming at 100/s", n)
	}
	// Paused with a duration: waits until the end, then stops.
	q := NewPacer(0, 2*time.Second)
	if wait, stop := q.Pace(500*time.Millisecond, 0); wait != 1500*time.Millisecond || stop {
		t.Errorf("paused Pace = %v, %v; want 1.5s, false", wait, stop)
	}
	if _, stop := q.Pace(2*time.Second, 0); !stop {
		t.Errorf("paused pacer did not stop at its duration")
	}
	// Paused without one: a long wait, never a stop.
	r := NewPacer(0, 0)
	if wait, stop := r.Pace(time.Hour, 0); wait < time.Minute || stop {
		t.Errorf("paused Pace without duration = %v, %v", wait, stop)
	}
}

func BenchmarkPacer(b *testing.B) {
	p := NewPacer(5000, 0)
	var hits uint64
	var elapsed time.Duration
	for b.Loop() {
		wait, _ := p.Pace(elapsed, hits)
		if wait > 0 {
			elapsed += wait
		} else {
			hits++
		}
	}
}
