package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/gameday-tui/gameday/providers/loadgen"
)

// loadOptions are the flags of gameday load.
type loadOptions struct {
	rate        float64
	duration    time.Duration
	timeout     time.Duration
	workers     int
	maxInFlight int
	json        bool
}

func newLoadCmd() *cobra.Command {
	var o loadOptions
	cmd := &cobra.Command{
		Use:   "load URL",
		Short: "Send HTTP load at a constant rate and report latency and errors",
		Long: `Send GET requests to URL at a constant arrival rate (an open model: requests
go out on schedule whether or not earlier ones returned) and report what they
saw. Latency is measured from each request's scheduled send time, so a stall
anywhere shows up in the percentiles (no coordinated omission).

While running, a line per second goes to stderr when it is a terminal. At the
end a summary like vegeta report is printed, or JSON on stdout with --json.
Ctrl+C stops early and still prints the summary (exit code 2). A run in
which not one request succeeded exits 1; a bad URL or flag exits 3.

--rate 0 is the max mode: a closed loop of --workers workers, each sending
its next request as soon as the previous one returned (like vegeta -rate=0).

A request that falls due while --max-in-flight requests are already in flight
is not sent and counts as "dropped".`,
		Example: `  gameday load http://127.0.0.1:8080/api/users/1 --rate 200 --duration 30s
  gameday load http://127.0.0.1:8080/ --rate 0 --workers 50 --duration 10s --json`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return invalid(fmt.Errorf("load: want exactly one URL argument, got %d", len(args)))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLoad(cmd, args[0], o)
		},
	}
	f := cmd.Flags()
	f.Float64Var(&o.rate, "rate", 50, "requests per second; 0 = as fast as possible with --workers (closed loop)")
	f.DurationVar(&o.duration, "duration", 10*time.Second, "how long to send; 0 = until interrupted")
	f.DurationVar(&o.timeout, "timeout", loadgen.DefaultTimeout, "per-request timeout")
	f.IntVar(&o.workers, "workers", loadgen.DefaultWorkers, "workers (connections) in the max mode (--rate 0)")
	f.IntVar(&o.maxInFlight, "max-in-flight", loadgen.DefaultMaxInFlight, "most requests in flight at a fixed rate; more are dropped")
	f.BoolVar(&o.json, "json", false, "print the summary as JSON on stdout")
	return cmd
}

// validateLoad checks the URL and flags, naming the flag at fault.
func validateLoad(rawURL string, o loadOptions) error {
	if !strings.Contains(rawURL, "://") {
		return fmt.Errorf("load: %q is not a URL: write it with its scheme, e.g. http://%s", rawURL, strings.TrimPrefix(rawURL, "//"))
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("load: URL %q: %w", rawURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("load: URL %q: want an http:// or https:// URL", rawURL)
	}
	if u.Host == "" {
		return fmt.Errorf("load: URL %q: no host", rawURL)
	}
	switch {
	case o.rate < 0 || math.IsNaN(o.rate) || math.IsInf(o.rate, 0):
		return fmt.Errorf("load: --rate %v: want requests per second > 0, or 0 for as fast as possible", o.rate)
	case o.duration < 0:
		return fmt.Errorf("load: --duration %v: want a duration >= 0 (0 = until interrupted)", o.duration)
	case o.timeout <= 0:
		return fmt.Errorf("load: --timeout %v: want a duration > 0", o.timeout)
	case o.workers < 1:
		return fmt.Errorf("load: --workers %d: want at least 1", o.workers)
	case o.maxInFlight < 1:
		return fmt.Errorf("load: --max-in-flight %d: want at least 1", o.maxInFlight)
	}
	return nil
}

func runLoad(cmd *cobra.Command, rawURL string, o loadOptions) error {
	if err := validateLoad(rawURL, o); err != nil {
		return invalid(err)
	}
	stderr := cmd.ErrOrStderr()
	cfg := loadgen.Config{
		URL:         rawURL,
		Rate:        o.rate,
		Duration:    o.duration,
		Timeout:     o.timeout,
		Workers:     o.workers,
		MaxInFlight: o.maxInFlight,
	}
	var live chan loadgen.Window
	if isTerminal(stderr) {
		// The window callback must not block: hand windows to a printer.
		live = make(chan loadgen.Window, 8)
		cfg.OnWindow = func(w loadgen.Window) {
			select {
			case live <- w:
			default:
			}
		}
	}
	g, err := loadgen.New(cfg)
	if err != nil {
		return invalid(err)
	}
	printed := make(chan struct{})
	if live != nil {
		go func() {
			defer close(printed)
			start := time.Time{}
			for w := range live {
				if start.IsZero() {
					start = w.Start
				}
				// The last window of a run is cut short; its per-second
				// rates would mislead, and the summary follows anyway.
				if w.End.Sub(w.Start) < 900*time.Millisecond {
					continue
				}
				fmt.Fprintln(stderr, liveLine(w, w.End.Sub(start)))
			}
		}()
	} else {
		close(printed)
	}
	s, err := g.Run(cmd.Context())
	if live != nil {
		close(live) // Run has returned: no more windows close
	}
	<-printed
	if err != nil {
		return fmt.Errorf("load %s: %w", rawURL, err)
	}
	if o.json {
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		if err := enc.Encode(s); err != nil {
			return fmt.Errorf("write summary: %w", err)
		}
	} else if err := s.WriteText(cmd.OutOrStdout()); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	if s.Interrupted {
		return withCode(ExitAborted, errors.New("load: interrupted; the summary covers the run until then"))
	}
	if s.Requests > 0 && s.OK == 0 {
		return withCode(ExitViolated, fmt.Errorf("load: not one of %d requests succeeded (see Errors above)", s.Requests))
	}
	return nil
}

// liveLine is the one-line view of a window printed while running.
func liveLine(w loadgen.Window, at time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%6s  %7.1f req/s  ok %7.1f/s  p50 %s  p95 %s  p99 %s  errors %.2f%%",
		at.Round(time.Second), float64(w.Requests)/w.End.Sub(w.Start).Seconds(), w.Throughput,
		liveDur(w.P50), liveDur(w.P95), liveDur(w.P99), 100*w.ErrorRate())
	if len(w.Errors) > 0 {
		cats := make([]string, 0, len(w.Errors))
		for c, n := range w.Errors {
			cats = append(cats, fmt.Sprintf("%s:%d", c, n))
		}
		sort.Strings(cats)
		fmt.Fprintf(&b, " (%s)", strings.Join(cats, " "))
	}
	fmt.Fprintf(&b, "  in flight %d", w.InFlight)
	return b.String()
}

func liveDur(d time.Duration) string {
	return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
}

// isTerminal reports whether w is a terminal (the live lines are for
// people, not logs).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
