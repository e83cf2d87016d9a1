package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/providers/loadgen"
)

// execLoad runs `gameday load args...` in-process (see execRoot).
func execLoad(ctx context.Context, args ...string) (string, string, int) {
	return execRoot(ctx, append([]string{"load"}, args...)...)
}

func okServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path == "/fail" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestLoadRejectsBadInput(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		args []string
		want string
	}{
		"no URL":           {nil, "exactly one URL"},
		"two URLs":         {[]string{"http://127.0.0.1:1/", "http://127.0.0.1:2/"}, "exactly one URL"},
		"not http":         {[]string{"ftp://127.0.0.1/"}, "http:// or https://"},
		"no scheme":        {[]string{"127.0.0.1"}, "write it with its scheme, e.g. http://127.0.0.1"},
		"no host":          {[]string{"http:///x"}, "no host"},
		"negative rate":    {[]string{"http://127.0.0.1:1/", "--rate", "-5"}, "--rate -5"},
		"rate not number":  {[]string{"http://127.0.0.1:1/", "--rate", "lots"}, "--rate"},
		"negative dur":     {[]string{"http://127.0.0.1:1/", "--duration", "-1s"}, "--duration -1s"},
		"zero timeout":     {[]string{"http://127.0.0.1:1/", "--timeout", "0s"}, "--timeout 0s"},
		"zero workers":     {[]string{"http://127.0.0.1:1/", "--rate", "0", "--workers", "0"}, "--workers 0"},
		"zero max":         {[]string{"http://127.0.0.1:1/", "--max-in-flight", "0"}, "--max-in-flight 0"},
		"unknown flag":     {[]string{"http://127.0.0.1:1/", "--speed", "9"}, "unknown flag"},
		"bad duration val": {[]string{"http://127.0.0.1:1/", "--duration", "soon"}, "--duration"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out, errOut, code := execLoad(context.Background(), tc.args...)
			if code != ExitInvalid || !strings.Contains(errOut, tc.want) || out != "" {
				t.Errorf("code %d stderr %q stdout %q; want exit 3 and %q", code, errOut, out, tc.want)
			}
		})
	}
}

func TestLoadJSONSummary(t *testing.T) {
	t.Parallel()
	srv, hits := okServer(t)
	out, errOut, code := execLoad(context.Background(), srv.URL+"/fail", "--rate", "40", "--duration", "500ms", "--json")
	// Every request failed (503): the summary still comes, and the exit
	// code says so.
	if code != ExitViolated {
		t.Fatalf("exit %d, want %d (no request succeeded): %s", code, ExitViolated, errOut)
	}
	var s loadgen.Summary
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("stdout is not a JSON summary: %v\n%s", err, out)
	}
	if s.Requests != 20 || hits.Load() != 20 || s.StatusCodes["503"] != 20 || s.Errors[loadgen.Status5xx] != 20 || s.Success != 0 {
		t.Errorf("summary %+v (served %d); want 20 requests, all 503", s, hits.Load())
	}
	if s.Mode != "rate" || s.TargetRate != 40 || s.Latencies.P95 <= 0 {
		t.Errorf("summary %+v", s)
	}
	// Not a terminal: no live lines, only the reason for the exit code.
	if errOut != "load: not one of 20 requests succeeded (see Errors above)" {
		t.Errorf("stderr %q, want no live lines when it is not a terminal", errOut)
	}
}

func TestLoadTextSummaryAndMaxMode(t *testing.T) {
	t.Parallel()
	srv, _ := okServer(t)
	out, errOut, code := execLoad(context.Background(), srv.URL, "--rate", "0", "--workers", "2", "--duration", "300ms")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"max, " + srv.URL, "Requests      [total, rate, throughput]", "Latencies     [min, mean, 50, 90, 95, 99, max]", "Success       [ratio]                           100.00%", "200:", "Errors        [category:count]                  none"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}

func TestLoadInterruptedStillPrintsSummary(t *testing.T) {
	t.Parallel()
	srv, hits := okServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for deadline := time.Now().Add(20 * time.Second); hits.Load() < 10 && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
		cancel() // what SIGINT does through Main's signal.NotifyContext
	}()
	out, errOut, code := execLoad(ctx, srv.URL, "--rate", "100", "--duration", "1m", "--json")
	if code != ExitAborted {
		t.Errorf("exit %d, want %d (aborted): %s", code, ExitAborted, errOut)
	}
	var s loadgen.Summary
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("no JSON summary after interrupt: %v\n%s", err, out)
	}
	if !s.Interrupted || s.Requests < 10 || s.OK < 10 {
		t.Errorf("summary %+v", s)
	}
}

func TestLiveLine(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	w := loadgen.Window{
		Start: start, End: start.Add(time.Second), Requests: 100, OK: 97,
		Errors: map[loadgen.Category]int64{loadgen.Timeout: 1, loadgen.Status5xx: 2},
		P50:    5 * time.Millisecond, P95: 7500 * time.Microsecond, P99: 12 * time.Millisecond,
		Throughput: 97, InFlight: 6,
	}
	got := liveLine(w, 3*time.Second)
	want := "    3s    100.0 req/s  ok    97.0/s  p50 5.0ms  p95 7.5ms  p99 12.0ms  errors 3.00% (5xx:2 timeout:1)  in flight 6"
	if got != want {
		t.Errorf("live line\n got %q\nwant %q", got, want)
	}
}

// TestLoadBinarySIGINT builds gameday and interrupts a real run with SIGINT:
// it stops early, prints the summary and exits 2.
func TestLoadBinarySIGINT(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	t.Parallel()
	srv, hits := okServer(t)
	bin := filepath.Join(t.TempDir(), "gameday")
	build := exec.Command("go", "build", "-o", bin, "github.com/gameday-tui/gameday/cmd/gameday")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "load", srv.URL, "--rate", "100", "--duration", "1m")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	for deadline := time.Now().Add(20 * time.Second); hits.Load() < 10; {
		if time.Now().After(deadline) {
			t.Fatal("no traffic within 20s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != ExitAborted {
		t.Errorf("exit %v, want code %d; stderr %s", err, ExitAborted, errOut.String())
	}
	if !strings.Contains(out.String(), "Interrupted before the end of the run.") || !strings.Contains(out.String(), "200:") {
		t.Errorf("summary after SIGINT:\n%s", out.String())
	}
}

// A URL without its scheme gets a plain message; a run in which no request
// succeeded exits 1; "other" errors say what they were.
func TestLoadEverydayEdges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, errOut, code := execLoad(ctx, "127.0.0.1:8080/health", "--duration", "1s")
	if code != ExitInvalid || !strings.Contains(errOut, `"127.0.0.1:8080/health" is not a URL: write it with its scheme, e.g. http://127.0.0.1:8080/health`) {
		t.Errorf("no scheme: exit %d, stderr %q", code, errOut)
	}

	// A server that answers every request with a line that is not HTTP.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 4096)
				_, _ = c.Read(buf)
				_, _ = c.Write([]byte("garbage that is not HTTP\r\n\r\n"))
			}()
		}
	}()
	out, errOut, code := execLoad(ctx, "http://"+ln.Addr().String()+"/", "--rate", "10", "--duration", "1s")
	if code != ExitViolated || !strings.Contains(errOut, "not one of") {
		t.Errorf("every request failed: exit %d, stderr %q", code, errOut)
	}
	if !strings.Contains(out, "Other error   [count: text]") || !strings.Contains(out, "status line") {
		t.Errorf("the summary does not say what the other errors were:\n%s", out)
	}
}
