package sandbox

import (
	"sync"
	"time"
)

// breaker is a circuit breaker: after threshold consecutive failures it
// opens and rejects calls for cooldown; then it lets one probe through
// (half-open) and closes again on success or reopens on failure.
//
// It counts its trips (closed → open) and remembers when it last tripped
// and last closed, so that whoever reads its report now and then (the
// load balancer's health checks) sees every opening and closing, even
// those between two reads.
type breaker struct {
	threshold int
	cooldown  time.Duration

	mu        sync.Mutex
	state     breakerState
	failures  int
	openedAt  time.Time // of the current open period (re-opens included)
	probing   bool
	trips     int
	trippedAt time.Time
	closedAt  time.Time
}

// breakerReport is the breaker as a health check reports it.
type breakerReport struct {
	State string `json:"state"`
	// Trips counts closed → open transitions since the process started.
	Trips    int       `json:"trips"`
	OpenedAt time.Time `json:"opened_at,omitzero"` // the last trip
	ClosedAt time.Time `json:"closed_at,omitzero"` // the last close after a trip
}

// report returns the breaker's state and history.
func (b *breaker) report() breakerReport {
	b.mu.Lock()
	defer b.mu.Unlock()
	return breakerReport{State: b.state.String(), Trips: b.trips, OpenedAt: b.trippedAt, ClosedAt: b.closedAt}
}

type breakerState int

const (
	breakerClosed breakerState = iota
	breakerOpen
	breakerHalfOpen
)

func (s breakerState) String() string {
	switch s {
	case breakerClosed:
		return "closed"
	case breakerOpen:
		return "open"
	case breakerHalfOpen:
		return "half-open"
	}
	return "unknown"
}

func newBreaker(threshold int, cooldown time.Duration) *breaker {
	return &breaker{threshold: threshold, cooldown: cooldown}
}

// allow reports whether a call may go ahead at now. In half-open state only
// one probe is in flight at a time.
func (b *breaker) allow(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case breakerOpen:
		if now.Sub(b.openedAt) < b.cooldown {
			return false
		}
		b.state, b.probing = breakerHalfOpen, true
		return true
	case breakerHalfOpen:
		if b.probing {
			return false
		}
		b.probing = true
		return true
	default:
		return true
	}
}

// success records a call that worked: the breaker closes.
func (b *breaker) success() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state != breakerClosed {
		b.closedAt = time.Now()
	}
	b.state, b.failures, b.probing = breakerClosed, 0, false
}

// failure records a call that failed at now.
func (b *breaker) failure(now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case breakerHalfOpen:
		b.state, b.openedAt, b.probing = breakerOpen, now, false
	case breakerClosed:
		b.failures++
		if b.failures >= b.threshold {
			b.state, b.openedAt = breakerOpen, now
			b.trips++
			b.trippedAt = now
		}
	}
}

// current returns the breaker's state.
func (b *breaker) current() breakerState {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.state
}
