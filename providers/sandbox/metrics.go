package sandbox

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The load balancer's Prometheus metrics, at its /metrics, named as
// Prometheus users expect of an HTTP service:
//
//	http_request_duration_seconds{code,method}  histogram of every answered
//	    request, from arrival to response. Its buckets run from 1 ms to
//	    10 s at 1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6 and 8 of each decade: no
//	    bucket is more than a third wider than the one below, so a p95
//	    anywhere between 1 ms and 5 s (histogram_quantile) lands within a
//	    third of its value — fine enough to judge "p95 ≤ 200 ms".
//	http_requests_total{code,method}  answered requests; errors are
//	    code=~"5..".
//	gameday_sandbox_proxy_errors_total{reason}  the load balancer's own
//	    error answers (no healthy replica, replica unreachable or failed,
//	    timeout), apart from the replicas' errors it passes on.
//	gameday_sandbox_ready_replicas  replicas in rotation now.
//	gameday_sandbox_configured_replicas  replicas the sandbox runs when
//	    nothing is broken.
//	gameday_sandbox_replica_up{replica}  1 while that replica is in
//	    rotation, 0 while it is out (an up-style gauge per replica).
//
// Requests whose client went away before an answer are not counted: no
// one saw an answer.

// durationBuckets are the upper bounds of http_request_duration_seconds:
// 1 ms to 10 s, ten to a decade, round numbers a person reads at a glance.
func durationBuckets() []float64 {
	steps := []float64{1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8}
	var b []float64
	for _, decade := range []float64{1e-3, 1e-2, 1e-1, 1} {
		for _, s := range steps {
			// Rounded to 6 digits so that 3 ms is 0.003, not 0.0030000000000000005.
			b = append(b, math.Round(s*decade*1e6)/1e6)
		}
	}
	return append(b, 10)
}

type lbMetrics struct {
	handler    http.Handler
	duration   *prometheus.HistogramVec
	requests   *prometheus.CounterVec
	proxyErrs  *prometheus.CounterVec
	ready      prometheus.Gauge
	configured prometheus.Gauge
	replicaUp  *prometheus.GaugeVec
}

func newLBMetrics(names []string) *lbMetrics {
	reg := prometheus.NewRegistry()
	m := &lbMetrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "http_request_duration_seconds",
			Help:    "Time from a request reaching the sandbox load balancer to its response, by status code and method.",
			Buckets: durationBuckets(),
		}, []string{"code", "method"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total",
			Help: "Requests answered by the sandbox load balancer, by status code and method.",
		}, []string{"code", "method"}),
		proxyErrs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gameday_sandbox_proxy_errors_total",
			Help: "Error answers the sandbox load balancer made itself, by reason.",
		}, []string{"reason"}),
		ready: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gameday_sandbox_ready_replicas",
			Help: "Replicas in the sandbox load balancer's rotation now.",
		}),
		configured: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gameday_sandbox_configured_replicas",
			Help: "Replicas the sandbox runs when nothing is broken.",
		}),
		replicaUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gameday_sandbox_replica_up",
			Help: "1 while the replica is in the load balancer's rotation, 0 while it is out.",
		}, []string{"replica"}),
	}
	m.configured.Set(float64(len(names)))
	for _, n := range names {
		m.replicaUp.WithLabelValues(n).Set(0)
	}
	for _, r := range []string{"no_healthy_replica", "replicas_unreachable", "replica_failed", "timeout"} {
		m.proxyErrs.WithLabelValues(r) // every reason shows, at 0, from the start
	}
	reg.MustRegister(m.duration, m.requests, m.proxyErrs, m.ready, m.configured, m.replicaUp)
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return m
}

// observe counts one answered request.
func (m *lbMetrics) observe(method string, code int, took time.Duration) {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
	default:
		method = "other" // a label's values must stay few
	}
	c := strconv.Itoa(code)
	m.duration.WithLabelValues(c, method).Observe(took.Seconds())
	m.requests.WithLabelValues(c, method).Inc()
}

// proxyError counts one error answer the load balancer made itself.
func (m *lbMetrics) proxyError(reason string) { m.proxyErrs.WithLabelValues(reason).Inc() }
