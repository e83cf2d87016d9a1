package loadgen

import (
	"math"
	"time"
)

// maxWait is what Pace returns while the pacer is paused (rate 0): long
// enough to mean "not before something changes", short enough to add to an
// elapsed time without overflow.
const maxWait = time.Hour

// Pacer is the schedule of an open-model, constant-arrival-rate run. It is
// pure arithmetic on elapsed time and hit counts — it never reads a clock —
// so it is tested without sleeping (the shape of vegeta's Pacer).
//
// Hit n (0-based) is due at Due(n). With a constant rate r, hit n is due at
// n/r: hit 0 at once, then one every 1/r. A rate change (SetRate) rebases
// the schedule so that the rate after the change is the new one without a
// burst or a gap, and hits already late under the old schedule keep their
// due times (their latency is still measured from when they were due).
//
// The zero Pacer is paused. A Pacer is not safe for concurrent use; the
// generator's scheduler goroutine owns it.
type Pacer struct {
	// Duration, if positive, ends the schedule: no hit is due at or after
	// Duration.
	Duration time.Duration

	rate    float64       // hits per second; <= 0 means paused
	at      time.Duration // when hit n0 is due
	n0      uint64
	last    time.Duration // when hit n0-1 was due, if hasLast
	hasLast bool
}

// NewPacer returns a pacer at rps hits per second that stops at duration
// (0 = never).
func NewPacer(rps float64, duration time.Duration) *Pacer {
	return &Pacer{Duration: duration, rate: rps}
}

// Rate returns the current rate in hits per second (0 when paused).
func (p *Pacer) Rate() float64 { return max(p.rate, 0) }

// Due returns when hit n is due, as time elapsed since the start. It is
// meaningful for n at or after the last rebase (the hits not yet sent); while
// paused it returns maxWait past the rebase point.
func (p *Pacer) Due(n uint64) time.Duration {
	if p.rate <= 0 {
		return p.at + maxWait
	}
	if n < p.n0 {
		// Hits before the rebase were scheduled under an older rate; the
		// generator stamps each hit with its due time when it sends it, so
		// nothing asks for these. Answer with the rebase point.
		return p.at
	}
	return p.at + time.Duration(math.Round(float64(n-p.n0)*1e9/p.rate))
}

// Pace says how long to wait, at elapsed time since the start, before
// sending the next hit, given that hits hits have been sent. A zero wait
// means the hit is due now (or overdue: the caller sends it at once and it
// keeps its due time). When the next hit would be due at or after Duration,
// Pace waits until Duration (a rate change may still bring hits before it)
// and then returns stop. While paused, Pace waits until Duration (or a long time
// if there is none) and stops once it has passed.
func (p *Pacer) Pace(elapsed time.Duration, hits uint64) (wait time.Duration, stop bool) {
	if p.rate <= 0 {
		if p.Duration > 0 {
			if elapsed >= p.Duration {
				return 0, true
			}
			return min(maxWait, p.Duration-elapsed), false
		}
		return maxWait, false
	}
	due := p.Due(hits)
	if p.Duration > 0 && due >= p.Duration {
		// Nothing more is due, unless the rate changes before the end.
		if elapsed >= p.Duration {
			return 0, true
		}
		return p.Duration - elapsed, false
	}
	if due <= elapsed {
		return 0, false
	}
	return due - elapsed, false
}

// SetRate changes the rate to rps at elapsed time, when hits hits have
// been sent. From then on hits are spaced 1/rps apart:
//
//   - if the schedule was on time (the next hit not yet due), the next hit is
//     due one new interval after the previous hit was due, or now if that is
//     already past — so raising the rate never bursts to "catch up" and
//     lowering it never leaves a gap longer than the new interval;
//   - if the schedule was behind (the next hit already due), the next hit
//     keeps its due time, so late hits are still measured from when they
//     were due, and the backlog drains at the new rate.
//
// A rate <= 0 pauses the schedule; setting a positive rate later resumes it
// from elapsed.
func (p *Pacer) SetRate(rps float64, elapsed time.Duration, hits uint64) {
	prev, hasPrev := p.prevDue(hits)
	next := elapsed
	if p.rate > 0 {
		if due := p.Due(hits); due <= elapsed {
			next = due
		} else if hasPrev && rps > 0 {
			next = max(prev+time.Duration(math.Round(1e9/rps)), elapsed)
		}
	}
	p.rate = rps
	p.at = next
	p.n0 = hits
	p.last, p.hasLast = prev, hasPrev
}

// prevDue returns when hit hits-1 was due, if there was one.
func (p *Pacer) prevDue(hits uint64) (time.Duration, bool) {
	switch {
	case hits == 0:
		return 0, false
	case hits > p.n0 && p.rate > 0:
		return p.Due(hits - 1), true
	case hits == p.n0:
		return p.last, p.hasLast
	default:
		return 0, false
	}
}
