package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/gameday-tui/gameday/providers"
)

// Health checking, like an ALB target group: every healthInterval each
// replica's GET /healthz must answer 200 within healthTimeout; a replica is
// taken out after unhealthyThreshold consecutive failures and put back after
// healthyThreshold consecutive passes. A (re)started replica starts out of
// rotation, as a newly registered target does.
const (
	healthInterval     = time.Second
	healthTimeout      = 500 * time.Millisecond
	unhealthyThreshold = 2
	healthyThreshold   = 2
	proxyTimeout       = 30 * time.Second
)

// backend is one replica as the load balancer sees it.
type backend struct {
	name string

	mu      sync.Mutex
	addr    string
	pid     int
	healthy bool
	passes  int
	fails   int
	delays  map[string]delay // latency hooks by hook ID
	// everIn is true once the replica has been in rotation: its first
	// entry at start is no event, every later one is.
	everIn bool
	// firstFail is when the current run of failed checks began; downAt
	// when the sandbox last saw the process die or paused it (zero if it
	// has not since it was registered).
	firstFail time.Time
	downAt    time.Time
	// breaker is the replica process's circuit breaker as its last health
	// check reported it (nil: no report yet from this process).
	breaker *breakerReport
}

// delay is a latency hook applied in the proxy to one replica's traffic.
type delay struct {
	fixed  time.Duration
	jitter time.Duration
	until  time.Time
}

// delayFor returns the delay to add to a request sent now: the sum of the
// latency hooks that have not expired. Expiry is checked here, where the
// delay is applied, so a latency hook ends at its TTL by itself.
func (be *backend) delayFor(now time.Time) time.Duration {
	be.mu.Lock()
	defer be.mu.Unlock()
	var d time.Duration
	for id, l := range be.delays {
		if !now.Before(l.until) {
			delete(be.delays, id)
			continue
		}
		d += l.fixed
		if l.jitter > 0 {
			d += rand.N(l.jitter)
		}
	}
	return d
}

// balancer is the sandbox's load balancer: a reverse proxy doing round
// robin over healthy replicas, with active health checks and Prometheus
// metrics at /metrics (metrics.go).
//
// If a proxied request cannot connect (the replica died and health checks
// have not noticed yet), the balancer tries it on the next healthy replica,
// each at most once. An ALB does not do this (it answers 502 until its
// health checks catch up); the sandbox does so that a killed replica shows
// in the running count rather than as a burst of 502s. Only requests that
// never reached a replica are retried, so nothing runs twice; a request
// that fails once connected, or times out, is answered 502/504.
//
// Its health checks are also how the parent learns what the replicas do by
// themselves: each check's answer carries the replica's circuit breaker,
// and every change in rotation or breaker is a system event (events.go).
type balancer struct {
	backends  []*backend
	transport *http.Transport
	checker   *http.Client
	emit      func(providers.SystemEvent)

	mu   sync.Mutex
	next int

	metrics *lbMetrics
}

func newBalancer(names []string, emit func(providers.SystemEvent)) *balancer {
	b := &balancer{
		transport: &http.Transport{
			DialContext:         dialer(time.Second),
			MaxIdleConns:        512,
			MaxIdleConnsPerHost: 128,
			IdleConnTimeout:     30 * time.Second,
		},
		checker: &http.Client{
			Timeout:   healthTimeout,
			Transport: &http.Transport{DisableKeepAlives: true, DialContext: dialer(healthTimeout)},
		},
		emit:    emit,
		metrics: newLBMetrics(names),
	}
	for _, n := range names {
		b.backends = append(b.backends, &backend{name: n, delays: map[string]delay{}})
	}
	return b
}

func (b *balancer) backend(name string) *backend {
	for _, be := range b.backends {
		if be.name == name {
			return be
		}
	}
	return nil
}

// register points name at a freshly started process (pid) at addr. It
// starts out of rotation until it passes its health checks.
func (b *balancer) register(name, addr string, pid int) {
	be := b.backend(name)
	if be == nil {
		return
	}
	be.mu.Lock()
	be.addr, be.pid, be.healthy, be.passes, be.fails = addr, pid, false, 0, 0
	be.firstFail, be.downAt, be.breaker = time.Time{}, time.Time{}, nil
	be.mu.Unlock()
	b.updateGauges()
}

// noteDown records that name's process died or was paused at t, so that
// taking it out can say how long the health checks took to notice.
func (b *balancer) noteDown(name string, t time.Time) {
	if be := b.backend(name); be != nil {
		be.mu.Lock()
		be.downAt = t
		be.mu.Unlock()
	}
}

// healthy returns the number of replicas in rotation.
func (b *balancer) healthy() int {
	n := 0
	for _, be := range b.backends {
		be.mu.Lock()
		if be.healthy {
			n++
		}
		be.mu.Unlock()
	}
	return n
}

func (b *balancer) isHealthy(name string) bool {
	be := b.backend(name)
	if be == nil {
		return false
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	return be.healthy
}

// updateGauges sets the ready-replica gauges from the rotation.
func (b *balancer) updateGauges() {
	n := 0
	for _, be := range b.backends {
		be.mu.Lock()
		in := be.healthy
		be.mu.Unlock()
		if in {
			n++
		}
		b.metrics.replicaUp.WithLabelValues(be.name).Set(boolFloat(in))
	}
	b.metrics.ready.Set(float64(n))
}

func boolFloat(v bool) float64 {
	if v {
		return 1
	}
	return 0
}

// checkLoop health-checks every replica each healthInterval until ctx is
// done, starting at once.
func (b *balancer) checkLoop(ctx context.Context) {
	t := time.NewTicker(healthInterval)
	defer t.Stop()
	for {
		var wg sync.WaitGroup
		for _, be := range b.backends {
			wg.Add(1)
			go func() {
				defer wg.Done()
				b.check(ctx, be)
			}()
		}
		wg.Wait()
		b.updateGauges()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (b *balancer) check(ctx context.Context, be *backend) {
	be.mu.Lock()
	addr := be.addr
	be.mu.Unlock()
	if addr == "" {
		return
	}
	ok := false
	var hz healthzResponse
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/healthz", nil)
	if err == nil {
		resp, err := b.checker.Do(req)
		if err == nil {
			hz = decodeHealthz(resp.Body)
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			ok = resp.StatusCode == http.StatusOK
		}
	}
	if ctx.Err() != nil {
		return
	}
	now := time.Now()
	var events []providers.SystemEvent
	be.mu.Lock()
	if be.addr != addr {
		be.mu.Unlock()
		return // re-registered meanwhile
	}
	if ok {
		be.passes, be.fails = be.passes+1, 0
		if !be.healthy && be.passes >= healthyThreshold {
			be.healthy = true
			if be.everIn {
				events = append(events, providers.SystemEvent{At: now, Source: "load balancer", Kind: providers.EventRecovered, Target: be.name,
					Text: fmt.Sprintf("health check put %s (pid %d) back in after %d passed checks", be.name, be.pid, be.passes)})
			}
			be.everIn = true
		}
		if hz.Breaker != nil {
			events = append(events, be.breakerEvents(*hz.Breaker)...)
		}
	} else {
		be.passes, be.fails = 0, be.fails+1
		if be.fails == 1 {
			be.firstFail = now
		}
		if be.healthy && be.fails >= unhealthyThreshold {
			be.healthy = false
			since := "its first failed check"
			from := be.firstFail
			if !be.downAt.IsZero() {
				since, from = "it went down", be.downAt
			}
			events = append(events, providers.SystemEvent{At: now, Source: "load balancer", Kind: providers.EventDetected, Target: be.name,
				Text: fmt.Sprintf("health check took %s out after %d failed checks, %.1f s after %s", be.name, be.fails, now.Sub(from).Seconds(), since)})
		}
	}
	be.mu.Unlock()
	for _, ev := range events {
		b.emit(ev)
	}
}

// breakerEvents compares the breaker a health check reported with the last
// report from the same process and returns its openings and closings. A
// breaker that opened and closed between two checks still shows both
// (its trip count moved). be.mu is held.
func (be *backend) breakerEvents(now breakerReport) []providers.SystemEvent {
	prev := be.breaker
	be.breaker = &now
	if prev == nil {
		prev = &breakerReport{State: breakerClosed.String()}
	}
	var events []providers.SystemEvent
	if now.Trips > prev.Trips {
		text := fmt.Sprintf("circuit breaker in %s opened after %d consecutive dependency failures", be.name, breakerThreshold)
		if n := now.Trips - prev.Trips; n > 1 {
			text += fmt.Sprintf(" (%d times since the last health check)", n)
		}
		events = append(events, providers.SystemEvent{At: now.OpenedAt, Source: "circuit breaker", Kind: providers.EventDetected, Target: be.name, Text: text})
	}
	wasOpen := prev.State != breakerClosed.String() || now.Trips > prev.Trips
	if wasOpen && now.State == breakerClosed.String() {
		events = append(events, providers.SystemEvent{At: now.ClosedAt, Source: "circuit breaker", Kind: providers.EventRecovered, Target: be.name,
			Text: fmt.Sprintf("circuit breaker in %s closed: the dependency answered its probe", be.name)})
	}
	return events
}

// pick returns the next healthy backend in round-robin order, skipping
// those already tried, or nil when there is none.
func (b *balancer) pick(tried []*backend) (*backend, string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := len(b.backends)
	for i := range n {
		be := b.backends[(b.next+i)%n]
		if slices.Contains(tried, be) {
			continue
		}
		be.mu.Lock()
		healthy, addr := be.healthy, be.addr
		be.mu.Unlock()
		if healthy {
			b.next = (b.next + i + 1) % n
			return be, addr
		}
	}
	return nil, ""
}

func (b *balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/metrics" {
		b.metrics.handler.ServeHTTP(w, r)
		return
	}
	start := time.Now()
	code := b.proxy(w, r)
	if code == 0 {
		return // the client went away; nothing was answered
	}
	b.metrics.observe(r.Method, code, time.Since(start))
}

// proxy forwards r and returns the status code it answered with, or 0 if
// the client went away first.
func (b *balancer) proxy(w http.ResponseWriter, r *http.Request) int {
	if len(r.URL.Path) >= 8 && r.URL.Path[:8] == "/_admin/" {
		writeError(w, http.StatusNotFound, "not found")
		return http.StatusNotFound
	}
	ctx, cancel := context.WithTimeout(r.Context(), proxyTimeout)
	defer cancel()
	retryable := r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0
	var tried []*backend
	for {
		be, addr := b.pick(tried)
		if be == nil {
			if len(tried) > 0 {
				break
			}
			b.metrics.proxyError("no_healthy_replica")
			writeError(w, http.StatusServiceUnavailable, "no healthy replica")
			return http.StatusServiceUnavailable
		}
		tried = append(tried, be)
		if d := be.delayFor(time.Now()); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return b.gone(w, r)
			case <-t.C:
			}
		}
		resp, err := b.roundTrip(ctx, r, addr)
		if err != nil {
			if r.Context().Err() != nil {
				return b.gone(w, r)
			}
			if retryable && isConnectError(err) {
				continue
			}
			b.metrics.proxyError("replica_failed")
			writeError(w, http.StatusBadGateway, "replica "+be.name+": "+err.Error())
			return http.StatusBadGateway
		}
		defer resp.Body.Close()
		for k, vs := range resp.Header {
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
		w.Header().Set("X-Sandbox-Replica", be.name)
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
		return resp.StatusCode
	}
	b.metrics.proxyError("replicas_unreachable")
	writeError(w, http.StatusBadGateway, "replicas unreachable")
	return http.StatusBadGateway
}

func (b *balancer) gone(w http.ResponseWriter, r *http.Request) int {
	if r.Context().Err() != nil {
		return 0
	}
	b.metrics.proxyError("timeout")
	writeError(w, http.StatusGatewayTimeout, "replica did not answer in time")
	return http.StatusGatewayTimeout
}

func (b *balancer) roundTrip(ctx context.Context, r *http.Request, addr string) (*http.Response, error) {
	out := r.Clone(ctx)
	out.RequestURI = ""
	out.URL.Scheme = "http"
	out.URL.Host = addr
	out.Host = addr
	out.Header.Del("Connection")
	if r.ContentLength == 0 {
		out.Body = nil
	}
	return b.transport.RoundTrip(out)
}

// isConnectError reports whether err means the request never reached the
// replica: the connection was refused or could not be made.
func isConnectError(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}

func (b *balancer) setDelay(name, hookID string, d delay) {
	if be := b.backend(name); be != nil {
		be.mu.Lock()
		be.delays[hookID] = d
		be.mu.Unlock()
	}
}

func (b *balancer) clearDelay(name, hookID string) {
	if be := b.backend(name); be != nil {
		be.mu.Lock()
		delete(be.delays, hookID)
		be.mu.Unlock()
	}
}

// activeDelays returns the latency hook IDs in force on name.
func (b *balancer) activeDelays(name string, now time.Time) []string {
	be := b.backend(name)
	if be == nil {
		return nil
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	var ids []string
	for id, l := range be.delays {
		if now.Before(l.until) {
			ids = append(ids, id)
		}
	}
	return ids
}

// hasDelay reports whether latency hook hookID still delays name's traffic
// at now.
func (b *balancer) hasDelay(name, hookID string, now time.Time) bool {
	be := b.backend(name)
	if be == nil {
		return false
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	d, ok := be.delays[hookID]
	return ok && now.Before(d.until)
}
