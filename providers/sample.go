package providers

import (
	"context"
	"fmt"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// The names of the four classic series. Every source may deliver any of
// them; a scenario bounds them in steady_state under these names.
const (
	SeriesP95        = "p95_ms"
	SeriesErrorRate  = "error_rate"
	SeriesThroughput = "throughput_rps"
	SeriesRunning    = "running"
)

// Sample is one window of metrics from one source, stamped with the end of
// the window it covers (At) and its length (Span). Latencies are in
// milliseconds.
//
// A sample carries the series its source measures and nothing else. The
// built-in load generator fills the classic fields (and its latency
// histogram, Hist); other sources put every series they measure in Values
// by name, the classic ones under the Series* names. Value reads either.
//
// The journal keeps every sample as written, so its fields only grow:
// journals from before Source, Span and Values decode as load-generator
// samples of one second.
type Sample struct {
	At time.Time `json:"at"`
	// Source names the source ("loadgen", "prometheus", …); empty in
	// journals written before sources had names, which were all the load
	// generator's.
	Source string `json:"source,omitempty"`
	// Span is how long a window the sample covers, ending at At; zero
	// means one second.
	Span time.Duration `json:"span,omitempty"`

	// The load generator's fields.
	P50        float64          `json:"p50_ms"`
	P95        float64          `json:"p95_ms"`
	P99        float64          `json:"p99_ms"`
	Requests   int64            `json:"requests"`
	Errors     int64            `json:"errors"`
	ErrorRate  float64          `json:"error_rate"`
	Throughput float64          `json:"throughput_rps"`
	InFlight   int              `json:"in_flight"`
	Running    int              `json:"running"` // -1 when unknown
	ErrorsBy   map[string]int64 `json:"errors_by,omitempty"`
	// Offered is the rate the load generator actually offered in the
	// window (requests due per second), so throughput can be judged
	// against what was asked of the system; 0 when unknown.
	Offered float64 `json:"offered_rps,omitempty"`
	// Hist is the window's latency histogram of every request sent
	// (EncodeHist): a phase's percentiles come from merging these, never
	// from the per-window percentiles.
	Hist string `json:"hist,omitempty"`

	// Values are named series: the classic ones from sources other than
	// the load generator, and any other a scenario bounds (queue_depth).
	Values map[string]float64 `json:"values,omitempty"`
}

// Window returns the span the sample covers (one second when unset).
func (s Sample) Window() time.Duration {
	if s.Span <= 0 {
		return time.Second
	}
	return s.Span
}

// Mid is the middle of the window the sample covers: the instant by which
// it is assigned to a phase.
func (s Sample) Mid() time.Time { return s.At.Add(-s.Window() / 2) }

// legacy reports whether the sample's classic fields hold the load
// generator's figures.
func (s Sample) legacy() bool { return s.Source == "" || s.Source == SourceLoadgen }

// Value returns the value of the series name in s and whether s carries it.
// A running count of -1 is not carried.
func (s Sample) Value(name string) (float64, bool) {
	if v, ok := s.Values[name]; ok {
		return v, true
	}
	if !s.legacy() {
		return 0, false
	}
	switch name {
	case SeriesP95:
		return s.P95, true
	case SeriesErrorRate:
		return s.ErrorRate, true
	case SeriesThroughput:
		return s.Throughput, true
	case SeriesRunning:
		if s.Running < 0 {
			return 0, false
		}
		return float64(s.Running), true
	}
	return 0, false
}

// SourceLoadgen is the built-in load generator's source name.
const SourceLoadgen = "loadgen"

// MetricSource delivers the metrics of a run.
type MetricSource interface {
	// Samples streams one Sample for each window the source completes
	// until ctx is done, then closes the channel. A slow reader must not
	// stall the source: samples it cannot deliver are dropped, never
	// queued without bound. A sample may arrive after later windows of
	// another source: each is judged by its own At, not by when it came.
	Samples(ctx context.Context) <-chan Sample
}

// SourceInfo describes a source's timing: how long a window its samples
// cover and how late, at most, a sample arrives after its window ends.
type SourceInfo struct {
	Name string
	// Resolution is the length of a window (the load generator: 1 s; a
	// Prometheus scrape interval; CloudWatch's period).
	Resolution time.Duration
	// Lag is how long after the end of a window its sample may arrive: the
	// engine waits this long past the end of a phase (or until the
	// source has delivered a sample beyond it) before judging the phase.
	Lag time.Duration
}

// Described is implemented by sources that declare their timing. A source
// that does not is taken as one-second windows arriving within DefaultLag.
type Described interface {
	Info() SourceInfo
}

// DefaultLag is the lag of a source that does not declare one.
const DefaultLag = 2 * time.Second

// InfoOf returns src's SourceInfo, with defaults for what it leaves out.
func InfoOf(src MetricSource) SourceInfo {
	var in SourceInfo
	if d, ok := src.(Described); ok {
		in = d.Info()
	}
	if in.Resolution <= 0 {
		in.Resolution = time.Second
	}
	if in.Lag <= 0 {
		in.Lag = DefaultLag
	}
	if in.Name == "" {
		in.Name = fmt.Sprintf("%T", src)
	}
	return in
}

// Latency histograms: microseconds from 1 µs to one hour, three
// significant digits (0.1 % resolution). Longer latencies are clamped.
const (
	HistLowest  = 1
	HistHighest = int64(time.Hour / time.Microsecond)
	HistDigits  = 3
)

// NewHist returns an empty latency histogram with the shared geometry.
func NewHist() *hdrhistogram.Histogram {
	return hdrhistogram.New(HistLowest, HistHighest, HistDigits)
}

// EncodeHist returns h in HdrHistogram's compressed V2 encoding (base64),
// the form Sample.Hist holds; "" for an empty histogram.
func EncodeHist(h *hdrhistogram.Histogram) string {
	if h == nil || h.TotalCount() == 0 {
		return ""
	}
	b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return ""
	}
	return string(b)
}

// DecodeHist reverses EncodeHist.
func DecodeHist(s string) (*hdrhistogram.Histogram, error) {
	if s == "" {
		return NewHist(), nil
	}
	h, err := hdrhistogram.Decode([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("decode latency histogram: %w", err)
	}
	return h, nil
}
