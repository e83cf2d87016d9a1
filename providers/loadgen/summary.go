package loadgen

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Summary is the whole-run report of a Generator, the counterpart of
// `vegeta report`. Durations are in nanoseconds in JSON.
type Summary struct {
	// URL is the target.
	URL string `json:"url"`
	// Mode is "rate" (open model at a fixed rate) or "max" (closed loop).
	Mode string `json:"mode"`
	// TargetRate is the configured rate (0 in the max mode). A rate
	// changed while running is not reflected here; see Rate.
	TargetRate float64 `json:"target_rate"`
	// Requests counts every scheduled request: sent or dropped.
	Requests int64 `json:"requests"`
	// Rate is Requests per second of Duration: the achieved arrival rate.
	Rate float64 `json:"rate"`
	// Throughput is successful responses per second of Duration+Wait.
	Throughput float64 `json:"throughput"`
	// Duration is the attack: from the start to when the schedule ended.
	Duration time.Duration `json:"duration_ns"`
	// Wait is from the end of the schedule to the last response.
	Wait time.Duration `json:"wait_ns"`
	// Latencies of every sent request, from its scheduled time.
	Latencies Latencies `json:"latencies"`
	// OK counts successful responses; Success is OK / Requests.
	OK      int64   `json:"ok"`
	Success float64 `json:"success"`
	// StatusCodes counts responses by HTTP status code.
	StatusCodes map[string]int64 `json:"status_codes"`
	// Errors counts failed requests by category (3xx, 4xx and 5xx included).
	Errors map[Category]int64 `json:"errors"`
	// OtherErrors counts the texts of the errors of category "other"
	// (a few distinct ones): what a DNS failure or a malformed response
	// said.
	OtherErrors map[string]int64 `json:"other_errors,omitempty"`
	// Interrupted is true when the run was stopped (its context done)
	// before its Duration.
	Interrupted bool `json:"interrupted"`
}

// Latencies are the latency statistics of a run. Percentiles come from an
// HDR histogram with 0.1 % resolution; Min, Mean and Max are exact.
type Latencies struct {
	Min  time.Duration `json:"min_ns"`
	Mean time.Duration `json:"mean_ns"`
	P50  time.Duration `json:"p50_ns"`
	P90  time.Duration `json:"p90_ns"`
	P95  time.Duration `json:"p95_ns"`
	P99  time.Duration `json:"p99_ns"`
	Max  time.Duration `json:"max_ns"`
}

// ErrorCount returns the number of failed requests.
func (s Summary) ErrorCount() int64 {
	var n int64
	for _, c := range s.Errors {
		n += c
	}
	return n
}

func (g *Generator) summarize(t totals, scheduled int64, attack, wait time.Duration) Summary {
	s := Summary{
		URL:         g.cfg.URL,
		Mode:        "rate",
		TargetRate:  g.cfg.Rate,
		Requests:    scheduled,
		Duration:    attack,
		Wait:        max(wait, 0),
		OK:          t.cats[0],
		StatusCodes: map[string]int64{},
		Errors:      map[Category]int64{},
		Latencies: Latencies{
			Min: t.min, Mean: t.mean, Max: t.max,
			P50: t.p50, P90: t.p90, P95: t.p95, P99: t.p99,
		},
	}
	if g.cfg.Rate == 0 {
		s.Mode = "max"
	}
	if secs := attack.Seconds(); secs > 0 {
		s.Rate = float64(scheduled) / secs
	}
	if secs := (attack + s.Wait).Seconds(); secs > 0 {
		s.Throughput = float64(s.OK) / secs
	}
	if scheduled > 0 {
		s.Success = float64(s.OK) / float64(scheduled)
	}
	for c, n := range t.codes {
		s.StatusCodes[strconv.Itoa(c)] = n
	}
	if t.otherCodes > 0 {
		s.StatusCodes["other"] = t.otherCodes
	}
	for i, n := range t.cats[1:] {
		if n > 0 {
			s.Errors[Categories[i]] = n
		}
	}
	s.OtherErrors = g.otherTexts()
	return s
}

// WriteText writes the summary in the layout of `vegeta report`.
func (s Summary) WriteText(w io.Writer) error {
	l := s.Latencies
	var b strings.Builder
	fmt.Fprintf(&b, "Target        [mode, url]                       %s, %s\n", s.Mode, s.URL)
	fmt.Fprintf(&b, "Requests      [total, rate, throughput]         %d, %.2f, %.2f\n", s.Requests, s.Rate, s.Throughput)
	fmt.Fprintf(&b, "Duration      [total, attack, wait]             %s, %s, %s\n",
		fmtDur(s.Duration+s.Wait), fmtDur(s.Duration), fmtDur(s.Wait))
	fmt.Fprintf(&b, "Latencies     [min, mean, 50, 90, 95, 99, max]  %s, %s, %s, %s, %s, %s, %s\n",
		fmtDur(l.Min), fmtDur(l.Mean), fmtDur(l.P50), fmtDur(l.P90), fmtDur(l.P95), fmtDur(l.P99), fmtDur(l.Max))
	fmt.Fprintf(&b, "Success       [ratio]                           %.2f%%\n", 100*s.Success)
	fmt.Fprintf(&b, "Status Codes  [code:count]                      %s\n", joinCounts(s.StatusCodes))
	errs := make(map[string]int64, len(s.Errors))
	for c, n := range s.Errors {
		errs[string(c)] = n
	}
	fmt.Fprintf(&b, "Errors        [category:count]                  %s\n", joinCounts(errs))
	if len(s.OtherErrors) > 0 {
		texts := make([]string, 0, len(s.OtherErrors))
		for t := range s.OtherErrors {
			texts = append(texts, t)
		}
		slices.Sort(texts)
		for _, t := range texts {
			fmt.Fprintf(&b, "Other error   [count: text]                     %d: %s\n", s.OtherErrors[t], t)
		}
	}
	if s.Interrupted {
		b.WriteString("Interrupted before the end of the run.\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func joinCounts(m map[string]int64) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s:%d", k, m[k])
	}
	return strings.Join(parts, "  ")
}

// fmtDur rounds d for reading: microseconds below a second, milliseconds
// above.
func fmtDur(d time.Duration) string {
	if d >= time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(time.Microsecond).String()
}
