package sandbox

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
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
	healthy bool
	passes  int
	fails   int
	delays  map[string]delay // latency hooks by hook ID
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
func (b *backend) delayFor(now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	var d time.Duration
	for id, l := range b.delays {
		if !now.Before(l.until) {
			delete(b.delays, id)
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
// metrics at /metrics.
//
// If a proxied request cannot connect (the replica died and health checks
// have not noticed yet), the balancer tries it on the next healthy replica,
// each at most once. An ALB does not do this (it answers 502 until its
// health checks catch up); the sandbox does so that a killed replica shows
// in the running count rather than as a burst of 502s. Only requests that
// never reached a replica are retried, so nothing runs twice; a request
// that fails once connected, or times out, is answered 502/504.
type balancer struct {
	backends  []*backend
	transport *http.Transport
	checker   *http.Client

	mu   sync.Mutex
	next int

	registry  *prometheus.Registry
	duration  prometheus.Histogram
	responses *prometheus.CounterVec
	healthyG  prometheus.Gauge
}

func newBalancer(names []string) *balancer {
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
		registry: prometheus.NewRegistry(),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "gameday_sandbox_request_duration_seconds",
			Help:    "Time from a request reaching the sandbox load balancer to its response.",
			Buckets: []float64{.005, .01, .025, .05, .1, .2, .3, .5, 1, 2.5, 5, 10},
		}),
		responses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gameday_sandbox_responses_total",
			Help: "Responses of the sandbox load balancer by HTTP status code.",
		}, []string{"code"}),
		healthyG: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gameday_sandbox_healthy_replicas",
			Help: "Replicas currently healthy in the sandbox load balancer.",
		}),
	}
	configured := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "gameday_sandbox_configured_replicas",
		Help: "Replicas the sandbox is configured to run.",
	})
	configured.Set(float64(len(names)))
	b.registry.MustRegister(b.duration, b.responses, b.healthyG, configured)
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

// register points name at a freshly started process at addr. It starts out
// of rotation until it passes its health checks.
func (b *balancer) register(name, addr string) {
	be := b.backend(name)
	if be == nil {
		return
	}
	be.mu.Lock()
	be.addr, be.healthy, be.passes, be.fails = addr, false, 0, 0
	be.mu.Unlock()
	b.updateGauge()
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

func (b *balancer) updateGauge() { b.healthyG.Set(float64(b.healthy())) }

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
		b.updateGauge()
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
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/healthz", nil)
	if err == nil {
		resp, err := b.checker.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			ok = resp.StatusCode == http.StatusOK
		}
	}
	if ctx.Err() != nil {
		return
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	if be.addr != addr {
		return // re-registered meanwhile
	}
	if ok {
		be.passes, be.fails = be.passes+1, 0
		if !be.healthy && be.passes >= healthyThreshold {
			be.healthy = true
		}
	} else {
		be.passes, be.fails = 0, be.fails+1
		if be.healthy && be.fails >= unhealthyThreshold {
			be.healthy = false
		}
	}
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
		promhttp.HandlerFor(b.registry, promhttp.HandlerOpts{}).ServeHTTP(w, r)
		return
	}
	start := time.Now()
	code := b.proxy(w, r)
	if code == 0 {
		return // the client went away; nothing was answered
	}
	b.duration.Observe(time.Since(start).Seconds())
	b.responses.WithLabelValues(strconv.Itoa(code)).Inc()
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
	writeError(w, http.StatusBadGateway, "replicas unreachable")
	return http.StatusBadGateway
}

func (b *balancer) gone(w http.ResponseWriter, r *http.Request) int {
	if r.Context().Err() != nil {
		return 0
	}
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
