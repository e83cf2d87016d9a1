package share_test

import (
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
	"github.com/gameday-tui/gameday/share"
	"github.com/gameday-tui/gameday/tui"
)

// The benchmarks of this file answer one question: does a facilitator
// notice 50 watchers? Each runs with no watcher and with 50 — 25 that
// read every line and 25 that stopped reading (their connections fill up
// and their writes block, as a suspended terminal's would; the write
// timeout is an hour so that none is dropped during the benchmark). The
// readers only read and discard: a watcher's own console runs on the
// watcher's machine. Compare the pairs with benchstat.

// benchWatchers connects n watchers to srv, half reading, half stalled,
// and returns once all are served.
func benchWatchers(b *testing.B, srv *share.Server, n int) {
	b.Helper()
	tok := srv.Join(share.RoleWatch).Token
	for i := range n {
		c, err := net.Dial("tcp", srv.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n", share.StreamPath, tok)
		if i%2 == 0 {
			go func() { _, _ = io.Copy(io.Discard, c) }()
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for srv.Watchers() != n {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d watchers connected", srv.Watchers(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// benchRun is a run journaled through a share server with watchers.
func benchRun(b *testing.B, watchers int) *sharedRun {
	b.Helper()
	sr := startShared(b, share.Options{WriteTimeout: time.Hour, MaxWatchers: 100})
	benchWatchers(b, sr.srv, watchers)
	b.Cleanup(func() {
		if got := sr.srv.Watchers(); got != watchers {
			b.Errorf("%d watchers at the end, want %d: some were dropped", got, watchers)
		}
	})
	return sr
}

// BenchmarkSampleDelivery measures how long a sample takes from its
// source to the facilitator's console: through the engine's machine, the
// journal (and the share's feed behind it) and the event queue, to
// Run.Events. One op is one sample; they come 10 ms apart (a hundred a
// second, a hundred times a real run's rate; the pause is not timed). p50
// and p99 are reported besides the mean.
func BenchmarkSampleDelivery(b *testing.B) {
	for _, n := range []int{0, 50} {
		b.Run(fmt.Sprintf("watchers=%d", n), func(b *testing.B) {
			sr := benchRun(b, n)
			events := sr.run.Events()
			// The run is in its baseline once the plan and phase are out.
			for rec := range events {
				if rec.Type == engine.RecPhase {
					break
				}
			}
			var lat []time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				time.Sleep(10 * time.Millisecond)
				b.StartTimer()
				sent := time.Now()
				sr.samples <- providers.Sample{At: sent, P95: 120, Requests: 100, Throughput: 100, Running: 4}
				for rec := range events {
					if rec.Type == engine.RecSample && rec.Sample.At.Equal(sent) {
						break
					}
				}
				lat = append(lat, time.Since(sent))
			}
			b.StopTimer()
			slices.Sort(lat)
			if len(lat) > 0 {
				b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
				b.ReportMetric(float64(lat[int(math.Ceil(float64(len(lat))*0.99))-1].Nanoseconds()), "p99-ns")
			}
		})
	}
}

// consoleRun is the facilitator's console's view of the engine run, as
// cmd's session is.
type consoleRun struct{ *engine.Run }

func (r consoleRun) Report() (string, error)     { return "", nil }
func (r consoleRun) SaveReport() (string, error) { return "", nil }

// drive delivers what cmd produces to m, as the program loop would, for
// commands that answer within a moment (the engine's waits and the ticks
// are left out), depth levels deep.
func drive(m tea.Model, cmd tea.Cmd, depth int) tea.Model {
	if cmd == nil || depth == 0 {
		return m
	}
	out := make(chan tea.Msg, 1)
	go func() { out <- cmd() }()
	var msg tea.Msg
	select {
	case msg = <-out:
	case <-time.After(50 * time.Millisecond):
		return m
	}
	if batch, ok := msg.(tea.BatchMsg); ok {
		for _, c := range batch {
			m = drive(m, c, depth-1)
		}
		return m
	}
	if msg == nil {
		return m
	}
	m, cmd = m.Update(msg)
	return drive(m, cmd, depth-1)
}

// BenchmarkFacilitatorFrame renders the facilitator's console at 200×50
// with four 300-point graphs (tui's BenchmarkConsoleView) while the run
// journals samples to the watchers: one a second, as a real run does, and
// a hundred a second, a stress. cached draws the same data again (the
// 4 Hz refresh); redraw plots all four graphs again each frame.
func BenchmarkFacilitatorFrame(b *testing.B) {
	for _, rate := range []int{1, 100} {
		for _, n := range []int{0, 50} {
			b.Run(fmt.Sprintf("rate=%d/watchers=%d", rate, n), func(b *testing.B) {
				benchFrames(b, rate, n)
			})
		}
	}
}

func benchFrames(b *testing.B, rate, watchers int) {
	sr := benchRun(b, watchers)
	t0 := time.Now().Add(-300 * time.Second)
	for i := range 300 {
		sr.samples <- providers.Sample{At: t0.Add(time.Duration(i) * time.Second), P95: 120 + 30*math.Sin(float64(i)/7),
			Requests: 100, Throughput: 100 + 5*math.Cos(float64(i)/3), Running: 4}
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go func() {
		tick := time.NewTicker(time.Second / time.Duration(rate))
		defer tick.Stop()
		for {
			select {
			case now := <-tick.C:
				select {
				case sr.samples <- providers.Sample{At: now, P95: 130, Requests: 100, Throughput: 100, Running: 4}:
				case <-ctx.Done():
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	var m tea.Model = tui.New(tui.Config{
		Plans:  []*scenarios.Plan{testPlan()},
		Start:  func(context.Context, *scenarios.Plan) (tui.Run, error) { return consoleRun{sr.run}, nil },
		Width:  200,
		Height: 50,
	})
	m = drive(m, func() tea.Msg { return tea.KeyMsg{Type: tea.KeyEnter} }, 8)
	if !showsRun(m.View()) {
		b.Fatalf("the console does not show the run:\n%s", m.View())
	}
	for _, mode := range []string{"cached", "redraw"} {
		b.Run(mode, func(b *testing.B) {
			h := 50
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if mode == "redraw" {
					h = 101 - h // 50, 51, 50, …: the graphs are plotted again for each size
					m, _ = m.Update(tea.WindowSizeMsg{Width: 200, Height: h})
				}
				_ = m.View()
			}
		})
	}
}

// showsRun reports whether a console view shows the run's graphs.
func showsRun(view string) bool {
	for _, s := range []string{"Shared run │ BASELINE", "p95 latency", "Timeline"} {
		if !strings.Contains(view, s) {
			return false
		}
	}
	return true
}

// BenchmarkFeedWrite is what the engine's journal write costs more with
// the share behind it: one sample's line (600 bytes) into the feed, with
// no watcher and with 50. It is the same whatever the number of watchers:
// a copy of the line and a wake-up.
func BenchmarkFeedWrite(b *testing.B) {
	line := []byte(`{"seq":3,"at":"2025-03-01T14:00:01Z","type":"sample","sample":{"at":"2025-03-01T14:00:01Z","source":"loadgen","span":1000000000,"p50_ms":40,"p95_ms":121,"p99_ms":160,"requests":300,"errors":0,"error_rate":0,"throughput_rps":300,"in_flight":0,"running":4,"offered_rps":300,"hist":"HISTFAAAADN42pJpmSzMwMDAxwABzFCaEURcm7yEwf4DROBw8hqmboEOpveccn9Z2QABAAD//743Caw=HISTFAAAADN42pJpmSzMwMDAxwABzFCaEURcm7yEwf4DROBw8hqmboEOpveccn9Z2QABAAD//743Caw=HISTFAAAADN42pJpmSzMwMDAxwABzFCaEURcm7yEwf4DROBw8hqmboEOpveccn9Z2QABAAD//743Caw="}}` + "\n")
	for _, n := range []int{0, 50} {
		b.Run(fmt.Sprintf("watchers=%d", n), func(b *testing.B) {
			srv, err := share.Listen(share.Options{WriteTimeout: time.Hour})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = srv.Close("done") })
			feed := srv.NewFeed()
			_, _ = feed.Write(line)
			benchWatchers(b, srv, n)
			b.SetBytes(int64(len(line)))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				_, _ = feed.Write(line)
			}
		})
	}
}
