package loadgen

import (
	"context"
	"time"

	"github.com/gameday-tui/gameday/providers"
)

// RunningTimeout bounds each RunningCounter call a Source makes for a
// sample; past it the sample's Running is -1.
const RunningTimeout = 500 * time.Millisecond

// Source adapts a Generator and an optional RunningCounter into a
// providers.MetricSource: each window the generator closes becomes a Sample
// with Running filled in from the counter.
type Source struct {
	g  *Generator
	rc providers.RunningCounter
}

var _ providers.MetricSource = (*Source)(nil)

// NewSource returns a source of g's windows; rc may be nil (Running is then
// -1).
func NewSource(g *Generator, rc providers.RunningCounter) *Source {
	return &Source{g: g, rc: rc}
}

// Samples streams one Sample per window closed from now on until ctx is
// done, then closes the channel. The generator is never blocked: windows
// are handed over through a small buffer and dropped if it is full, and the
// running count is asked for on the source's own goroutine. If the reader
// falls behind, the oldest undelivered sample is dropped for the newest.
func (s *Source) Samples(ctx context.Context) <-chan providers.Sample {
	in := make(chan Window, 16)
	out := make(chan providers.Sample, 4)
	cancel := s.g.Subscribe(func(w Window) {
		select {
		case in <- w:
		default: // the source is behind; drop
		}
	})
	go func() {
		defer close(out)
		defer cancel()
		for {
			select {
			case <-ctx.Done():
				return
			case w := <-in:
				smp := w.Sample()
				smp.Running = s.running(ctx)
				select {
				case out <- smp:
				default:
					select { // drop the oldest for the newest
					case <-out:
					default:
					}
					select {
					case out <- smp:
					default:
					}
				}
			}
		}
	}()
	return out
}

func (s *Source) running(ctx context.Context) int {
	if s.rc == nil {
		return -1
	}
	ctx, cancel := context.WithTimeout(ctx, RunningTimeout)
	defer cancel()
	n, err := s.rc.Running(ctx)
	if err != nil {
		return -1
	}
	return n
}
