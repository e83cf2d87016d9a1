package sandbox_test

import (
	"math"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/gameday-tui/gameday/providers/sandbox"
)

// scrape reads the load balancer's /metrics as Prometheus would.
func scrape(t *testing.T, lb string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(lb + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return mfs
}

// metric returns the metric of family name whose labels include want.
func metric(mfs map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Metric {
	mf := mfs[name]
	if mf == nil {
		return nil
	}
	for _, m := range mf.GetMetric() {
		ok := true
		for k, v := range want {
			found := false
			for _, l := range m.GetLabel() {
				found = found || l.GetName() == k && l.GetValue() == v
			}
			ok = ok && found
		}
		if ok {
			return m
		}
	}
	return nil
}

// quantile is Prometheus's histogram_quantile over the increase from a to
// b of a classic histogram.
func quantile(q float64, a, b *dto.Histogram) float64 {
	var bounds, counts []float64
	for i, bk := range b.GetBucket() {
		prev := 0.0
		if a != nil {
			prev = float64(a.GetBucket()[i].GetCumulativeCount())
		}
		bounds = append(bounds, bk.GetUpperBound())
		counts = append(counts, float64(bk.GetCumulativeCount())-prev)
	}
	total := float64(b.GetSampleCount())
	if a != nil {
		total -= float64(a.GetSampleCount())
	}
	rank := q * total
	for i, c := range counts {
		if c >= rank {
			lo, below := 0.0, 0.0
			if i > 0 {
				lo, below = bounds[i-1], counts[i-1]
			}
			return lo + (bounds[i]-lo)*(rank-below)/(c-below)
		}
	}
	return math.Inf(1)
}

// TestMetrics scrapes the load balancer's /metrics, parses it with
// Prometheus's own parser, and checks the usual names: a request-duration
// histogram by code and method fine enough that its p95 lands near the
// real one, request counters by code and method, and the ready replicas.
func TestMetrics(t *testing.T) {
	sb := sharedSB(t)
	c := sb.Client()
	lb := sb.URL()

	before := scrape(t, lb)
	for name, typ := range map[string]dto.MetricType{
		"http_request_duration_seconds":       dto.MetricType_HISTOGRAM,
		"http_requests_total":                 dto.MetricType_COUNTER,
		"gameday_sandbox_proxy_errors_total":  dto.MetricType_COUNTER,
		"gameday_sandbox_ready_replicas":      dto.MetricType_GAUGE,
		"gameday_sandbox_configured_replicas": dto.MetricType_GAUGE,
		"gameday_sandbox_replica_up":          dto.MetricType_GAUGE,
	} {
		if mf := before[name]; name != "http_request_duration_seconds" && name != "http_requests_total" && (mf == nil || mf.GetType() != typ) {
			t.Errorf("%s: %v, want a %s", name, mf, typ)
		}
	}
	if m := metric(before, "gameday_sandbox_ready_replicas", nil); m.GetGauge().GetValue() != 4 {
		t.Errorf("ready replicas %v, want 4", m.GetGauge().GetValue())
	}
	if m := metric(before, "gameday_sandbox_replica_up", map[string]string{"replica": "replica-3"}); m.GetGauge().GetValue() != 1 {
		t.Errorf("replica-3 up %v, want 1", m.GetGauge().GetValue())
	}

	// 40 requests, each delayed 100 ms by a latency hook on every replica.
	h := apply(t, c, sandbox.HookSpec{Kind: sandbox.HookLatency, Delay: 100 * time.Millisecond, TTL: time.Minute})
	took := make([]time.Duration, 40)
	var wg sync.WaitGroup
	for i := range took {
		wg.Go(func() {
			a := fetch(sb.LoadURL(), 5*time.Second)
			if a.Code != 200 {
				t.Errorf("request %d: %s", i, a)
			}
			took[i] = a.Took
		})
		if i%10 == 9 {
			wg.Wait()
		}
	}
	wg.Wait()
	undo(t, c, h.ID)
	after := scrape(t, lb)

	get := map[string]string{"code": "200", "method": "GET"}
	hist := metric(after, "http_request_duration_seconds", get)
	if after["http_request_duration_seconds"].GetType() != dto.MetricType_HISTOGRAM || hist == nil {
		t.Fatalf("no http_request_duration_seconds histogram with code and method labels: %v", after["http_request_duration_seconds"])
	}
	var bounds []float64
	for _, b := range hist.GetHistogram().GetBucket() {
		bounds = append(bounds, b.GetUpperBound())
	}
	if bounds[0] > 0.001 || bounds[len(bounds)-1] < 5 {
		t.Errorf("buckets %v do not span 1 ms to 5 s", bounds)
	}
	for i := 1; i < len(bounds); i++ {
		if bounds[i-1] >= 0.001 && bounds[i] <= 5 && bounds[i]/bounds[i-1] > 1.34 {
			t.Errorf("buckets %g and %g are too far apart for a p95 between 1 ms and 5 s", bounds[i-1], bounds[i])
		}
	}
	var prev *dto.Histogram
	if m := metric(before, "http_request_duration_seconds", get); m != nil {
		prev = m.GetHistogram()
	}
	p95 := quantile(0.95, prev, hist.GetHistogram())
	slices.Sort(took)
	real := took[len(took)*95/100-1].Seconds()
	t.Logf("p95 from the histogram %.4f s; measured by the client %.4f s", p95, real)
	if p95 < 0.1 || math.Abs(p95-real) > real/3 {
		t.Errorf("p95 from the histogram %.4f s, measured %.4f s: want within a third", p95, real)
	}

	count := func(mfs map[string]*dto.MetricFamily) float64 {
		return metric(mfs, "http_requests_total", get).GetCounter().GetValue()
	}
	if after["http_requests_total"].GetType() != dto.MetricType_COUNTER {
		t.Fatalf("http_requests_total is a %s", after["http_requests_total"].GetType())
	}
	if n := count(after) - count(before); n < 40 {
		t.Errorf("http_requests_total{code=200,method=GET} grew by %v, want at least 40", n)
	}
}
