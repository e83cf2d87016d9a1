package loadgen

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/providers"
)

// countingServer is an httptest server on 127.0.0.1 that counts requests
// and runs delay (if any) before answering 200.
type countingServer struct {
	*httptest.Server
	hits atomic.Int64
}

func newCountingServer(t *testing.T, delay func() time.Duration) *countingServer {
	t.Helper()
	return newHandlerServer(t, func(n int64, w http.ResponseWriter, r *http.Request) {
		if delay != nil {
			if d := delay(); d > 0 {
				select {
				case <-time.After(d):
				case <-r.Context().Done():
				}
			}
		}
		w.Write([]byte("ok"))
	})
}

// newHandlerServer is a countingServer running h with the request's number
// (from 1).
func newHandlerServer(t *testing.T, h func(n int64, w http.ResponseWriter, r *http.Request)) *countingServer {
	t.Helper()
	s := &countingServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h(s.hits.Add(1), w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func newGen(t *testing.T, cfg Config) *Generator {
	t.Helper()
	g, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		cfg  Config
		want string
	}{
		"no scheme":        {Config{URL: "localhost:8080", Rate: 1}, "scheme"},
		"ftp":              {Config{URL: "ftp://127.0.0.1/", Rate: 1}, "scheme must be http or https"},
		"no host":          {Config{URL: "http:///x", Rate: 1}, "no host"},
		"unparsable":       {Config{URL: "http://[::1", Rate: 1}, "URL"},
		"negative rate":    {Config{URL: "http://127.0.0.1/", Rate: -1}, "rate"},
		"negative timeout": {Config{URL: "http://127.0.0.1/", Rate: 1, Timeout: -time.Second}, "timeout"},
		"negative dur":     {Config{URL: "http://127.0.0.1/", Rate: 1, Duration: -1}, "duration"},
		"negative workers": {Config{URL: "http://127.0.0.1/", Workers: -1}, "workers"},
		"negative max":     {Config{URL: "http://127.0.0.1/", Rate: 1, MaxInFlight: -1}, "in-flight"},
	}
	for name, tc := range cases {
		if _, err := New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want one mentioning %q", name, err, tc.want)
		}
	}
	g := newGen(t, Config{URL: "http://127.0.0.1:1/", Rate: 5})
	if g.cfg.Timeout != DefaultTimeout || g.cfg.MaxInFlight != DefaultMaxInFlight || g.cfg.Keep != DefaultKeep {
		t.Errorf("defaults not applied: %+v", g.cfg)
	}
}

func TestRunSendsRateTimesDuration(t *testing.T) {
	t.Parallel()
	srv := newCountingServer(t, nil)
	g := newGen(t, Config{URL: srv.URL, Rate: 200, Duration: time.Second})
	s, err := g.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s.Requests != 200 || s.OK != 200 || srv.hits.Load() != 200 {
		t.Errorf("requests %d ok %d served %d; want 200 each", s.Requests, s.OK, srv.hits.Load())
	}
	if s.Success != 1 || s.StatusCodes["200"] != 200 || len(s.Errors) != 0 {
		t.Errorf("summary %+v", s)
	}
	if s.Rate < 150 || s.Rate > 250 || s.Mode != "rate" || s.Interrupted {
		t.Errorf("rate %v mode %q interrupted %v", s.Rate, s.Mode, s.Interrupted)
	}
	if _, err := g.Run(context.Background()); !errors.Is(err, ErrAlreadyRun) {
		t.Errorf("second Run: %v, want ErrAlreadyRun", err)
	}
}

// TestOpenModel: a slow server does not slow the arrivals. At 100/s for 2s
// against a 300 ms handler, all 200 requests are sent on schedule (a closed
// loop of one client would manage about 7), and about 30 are in flight.
func TestOpenModel(t *testing.T) {
	t.Parallel()
	srv := newCountingServer(t, func() time.Duration { return 300 * time.Millisecond })
	g := newGen(t, Config{URL: srv.URL, Rate: 100, Duration: 2 * time.Second, Timeout: 5 * time.Second})
	g.window = 500 * time.Millisecond
	var peak atomic.Int64
	g.Subscribe(func(w Window) {
		if int64(w.InFlight) > peak.Load() {
			peak.Store(int64(w.InFlight))
		}
	})
	s, err := g.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s.Requests != 200 || s.OK != 200 {
		t.Errorf("scheduled %d ok %d, want 200 each", s.Requests, s.OK)
	}
	if s.Rate < 80 || s.Rate > 120 {
		t.Errorf("achieved arrival rate %v, want about 100/s", s.Rate)
	}
	if p := peak.Load(); p < 10 {
		t.Errorf("peak in-flight %d, want about 30 (requests overlap)", p)
	}
	if s.Latencies.P50 < 300*time.Millisecond {
		t.Errorf("p50 %v below the handler's 300ms", s.Latencies.P50)
	}
}

// TestCoordinatedOmission: the server stalls once for 500 ms (every request
// arriving during the stall waits for its end). The requests scheduled
// during the stall carry it in their latency, so p99 shows it, though only
// one request "caused" it.
func TestCoordinatedOmission(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var stalled atomic.Bool
	// The stall: the 100th request holds the server's lock for 500 ms.
	srv := newHandlerServer(t, func(n int64, w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if n == 100 {
			time.Sleep(500 * time.Millisecond) // the stall under test, not a wait for the test
			stalled.Store(true)
		}
		mu.Unlock()
		w.Write([]byte("ok"))
	})
	g := newGen(t, Config{URL: srv.URL, Rate: 200, Duration: 2 * time.Second, Timeout: 5 * time.Second})
	s, err := g.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !stalled.Load() {
		t.Fatal("the server never stalled")
	}
	// About 100 of 400 requests were scheduled during the stall, with
	// latencies spread from 500 ms down to 0: the top 1 % are above 400 ms.
	if s.Latencies.P99 < 400*time.Millisecond {
		t.Errorf("p99 %v hides the 500ms stall", s.Latencies.P99)
	}
	if s.Latencies.P90 < 100*time.Millisecond {
		t.Errorf("p90 %v: the stall touched ~25%% of requests", s.Latencies.P90)
	}
	if s.Latencies.Max < 490*time.Millisecond {
		t.Errorf("max %v, want the whole stall", s.Latencies.Max)
	}
}

// TestLatencyFromScheduledTime: a request sent late (the generator itself
// stalled) is measured from when it was due, not when it left.
func TestLatencyFromScheduledTime(t *testing.T) {
	t.Parallel()
	srv := newCountingServer(t, nil)
	g := newGen(t, Config{URL: srv.URL, Rate: 1})
	g.start = time.Now()
	rec := NewRecorder(g.start, 5)
	rq := g.newRequest()
	defer rq.Close()
	// Due 300 ms ago: it is being sent 300 ms late.
	g.send(rq, rec, -300*time.Millisecond)
	tot := rec.totals()
	if tot.sent != 1 || tot.min < 300*time.Millisecond {
		t.Errorf("latency %v, want at least the 300ms it was late", tot.min)
	}
}

func TestSetRateMidRun(t *testing.T) {
	t.Parallel()
	srv := newCountingServer(t, nil)
	g := newGen(t, Config{URL: srv.URL, Rate: 50, Duration: 3 * time.Second})
	g.window = 500 * time.Millisecond
	windows := make(chan Window, 16)
	g.Subscribe(func(w Window) {
		select {
		case windows <- w:
		default:
		}
	})
	done := make(chan Summary, 1)
	go func() {
		s, _ := g.Run(context.Background())
		done <- s
	}()
	<-windows // the first half second ran at 50/s
	g.SetRate(400)
	if g.Rate() != 400 {
		t.Errorf("Rate() = %v after SetRate(400)", g.Rate())
	}
	s := <-done
	ws := g.Windows()
	if len(ws) < 5 {
		t.Fatalf("%d windows", len(ws))
	}
	// Whole windows well after the change run at 400/s (200 per half second).
	for _, w := range ws[2 : len(ws)-1] {
		if w.Requests < 160 || w.Requests > 240 {
			t.Errorf("window at %v: %d requests, want about 200 at 400/s", w.Start.Sub(ws[0].Start), w.Requests)
		}
	}
	if first := ws[0].Requests; first > 40 {
		t.Errorf("first window %d requests, want about 25 at 50/s", first)
	}
	// 0.5 s at 50/s + 2.5 s at 400/s ≈ 1,025 requests.
	if s.Requests < 850 || s.Requests > 1150 {
		t.Errorf("%d requests, want about 1025", s.Requests)
	}
}

func TestMaxInFlightDrops(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := newHandlerServer(t, func(_ int64, w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) })
	g := newGen(t, Config{URL: srv.URL, Rate: 100, Duration: 500 * time.Millisecond, MaxInFlight: 3, Timeout: 2 * time.Second})
	s, err := g.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s.Requests != 50 {
		t.Errorf("scheduled %d, want 50: the schedule must not block", s.Requests)
	}
	if s.Errors[Dropped] != 47 || s.Errors[Timeout] != 3 {
		t.Errorf("errors %v, want 47 dropped and 3 timeouts", s.Errors)
	}
}

func TestMaxMode(t *testing.T) {
	t.Parallel()
	srv := newCountingServer(t, nil)
	g := newGen(t, Config{URL: srv.URL, Rate: 0, Workers: 2, Duration: 300 * time.Millisecond})
	s, err := g.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s.Mode != "max" || s.Requests < 10 || s.OK != s.Requests || srv.hits.Load() != s.Requests {
		t.Errorf("max mode: mode %q requests %d ok %d served %d", s.Mode, s.Requests, s.OK, srv.hits.Load())
	}
}

func TestRunStopsOnContextAndReportsInterrupted(t *testing.T) {
	t.Parallel()
	srv := newCountingServer(t, nil)
	g := newGen(t, Config{URL: srv.URL, Rate: 100, Duration: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for deadline := time.Now().Add(20 * time.Second); srv.hits.Load() < 20 && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	s, err := g.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Interrupted || s.Requests < 20 || s.Requests > 1000 || s.Duration > 30*time.Second {
		t.Errorf("interrupted %v requests %d duration %v", s.Interrupted, s.Requests, s.Duration)
	}
}

func TestWindowsBoundedDuringRun(t *testing.T) {
	t.Parallel()
	srv := newCountingServer(t, nil)
	g := newGen(t, Config{URL: srv.URL, Rate: 100, Duration: time.Second, Keep: 3})
	g.window = 50 * time.Millisecond
	if g.Windows() != nil {
		t.Errorf("windows before Run")
	}
	if _, err := g.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	ws := g.Windows()
	if len(ws) != 3 {
		t.Errorf("%d windows kept, want 3", len(ws))
	}
	if last := ws[len(ws)-1]; last.Requests == 0 {
		t.Errorf("last window empty: %+v", last)
	}
}

type fakeCounter struct {
	n   int
	err error
}

func (f fakeCounter) Running(context.Context) (int, error) { return f.n, f.err }

func TestSourceSamples(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		rc   providers.RunningCounter
		want int
	}{
		"counter": {fakeCounter{n: 3}, 3},
		"nil":     {nil, -1},
		"failing": {fakeCounter{err: errors.New("down")}, -1},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := newCountingServer(t, nil)
			g := newGen(t, Config{URL: srv.URL, Rate: 100, Duration: 2 * time.Second})
			g.window = 200 * time.Millisecond
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			samples := NewSource(g, tc.rc).Samples(ctx)
			go g.Run(ctx)
			smp, ok := <-samples
			if !ok {
				t.Fatal("samples closed early")
			}
			if smp.Running != tc.want || smp.Requests == 0 || smp.Throughput <= 0 {
				t.Errorf("sample %+v, want running %d and traffic", smp, tc.want)
			}
			cancel()
			for range samples { // closes once ctx is done
			}
		})
	}
}

// TestSourceSlowReaderDoesNotBlock: nobody reads the samples, yet the run
// ends on time with every request sent.
func TestSourceSlowReaderDoesNotBlock(t *testing.T) {
	t.Parallel()
	srv := newCountingServer(t, nil)
	g := newGen(t, Config{URL: srv.URL, Rate: 200, Duration: time.Second})
	g.window = 10 * time.Millisecond // 100 windows, far more than the buffers
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	samples := NewSource(g, fakeCounter{n: 1}).Samples(ctx)
	s, err := g.Run(context.Background())
	if err != nil || s.Requests != 200 {
		t.Fatalf("run: %d requests, %v", s.Requests, err)
	}
	n := 0
	for len(samples) > 0 {
		<-samples
		n++
	}
	if n == 0 || n > cap(samples) {
		t.Errorf("%d samples buffered, want between 1 and %d", n, cap(samples))
	}
}

// TestRunCategoriesEndToEnd runs the generator (the pooled fast path for
// http, and net/http when a Client is given) against servers failing in
// each way.
func TestRunCategoriesEndToEnd(t *testing.T) {
	t.Parallel()
	fail := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(500) }))
	t.Cleanup(fail.Close)
	notFound := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(notFound.Close)
	resetter := newScriptServer(t, func(c net.Conn, br *bufio.Reader) {
		readRequest(br)
		c.(*net.TCPConn).SetLinger(0)
	})
	// One request per connection, closed without notice after the
	// response: the next request on it must be retried, not failed.
	oneShot := newScriptServer(t, func(c net.Conn, br *bufio.Reader) {
		if _, ok := readRequest(br); ok {
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		}
	})
	closer := newScriptServer(t, replyAll("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"))
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); slow.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := "http://" + ln.Addr().String() + "/"
	ln.Close()

	cases := map[string]struct {
		url  string
		want Category
	}{
		"500":         {fail.URL, Status5xx},
		"404":         {notFound.URL, Status4xx},
		"reset":       {resetter.url(), Reset},
		"one-shot":    {oneShot.url(), Success},
		"close":       {closer.url(), Success},
		"slow":        {slow.URL, Timeout},
		"closed port": {closedPort, Refused},
	}
	for name, tc := range cases {
		for _, client := range []string{"raw", "net/http"} {
			t.Run(name+"/"+client, func(t *testing.T) {
				t.Parallel()
				cfg := Config{URL: tc.url, Rate: 50, Duration: 300 * time.Millisecond, Timeout: 200 * time.Millisecond}
				if client == "net/http" {
					cfg.Client = &http.Client{}
				}
				s, err := newGen(t, cfg).Run(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				got := s.OK
				if tc.want != Success {
					got = s.Errors[tc.want]
				}
				if s.Requests != 15 || got != 15 {
					t.Errorf("%d requests, %d %q; want 15 of 15 (summary %+v)", s.Requests, got, tc.want, s)
				}
			})
		}
	}
}

// A redirect is an error of its own category unless the configuration
// accepts redirects, on the pooled fast path and in the max mode alike;
// it is never followed.
func TestRunRedirects(t *testing.T) {
	t.Parallel()
	var followed atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/login" {
			followed.Add(1)
			return
		}
		http.Redirect(w, r, "/login", http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	for name, cfg := range map[string]Config{
		"rate": {URL: srv.URL + "/api", Rate: 50, Duration: 300 * time.Millisecond},
		"max":  {URL: srv.URL + "/api", Workers: 2, Duration: 200 * time.Millisecond},
	} {
		for _, accept := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/accept=%v", name, accept), func(t *testing.T) {
				t.Parallel()
				cfg.AcceptRedirects = accept
				s, err := newGen(t, cfg).Run(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				ok, redirects := s.OK, s.Errors[Status3xx]
				if accept {
					ok, redirects = redirects, ok
				}
				if s.Requests == 0 || redirects != s.Requests || ok != 0 || s.StatusCodes["302"] != s.Requests {
					t.Errorf("accept %v: %d requests, %d ok, errors %v, codes %v", accept, s.Requests, s.OK, s.Errors, s.StatusCodes)
				}
				var text strings.Builder
				if err := s.WriteText(&text); err != nil {
					t.Fatal(err)
				}
				if got := strings.Contains(text.String(), "3xx:"); got == accept {
					t.Errorf("accept %v: the summary lists 3xx: %v\n%s", accept, got, text.String())
				}
			})
		}
	}
	if n := followed.Load(); n != 0 {
		t.Errorf("%d redirects were followed", n)
	}
}
