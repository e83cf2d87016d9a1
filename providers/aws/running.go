package aws

import (
	"context"
	"time"

	"github.com/gameday-tui/gameday/providers"
)

// RunningSource delivers the ECS service's runningCount as the running
// series: one DescribeServices call per interval, one Sample each.
type RunningSource struct {
	rc       providers.RunningCounter
	interval time.Duration
}

var (
	_ providers.MetricSource = (*RunningSource)(nil)
	_ providers.Described    = (*RunningSource)(nil)
)

// RunningSourceName is the running count's source name on samples.
const RunningSourceName = "ecs"

// NewRunningSource samples rc's running count every interval (default 2 s).
func NewRunningSource(rc providers.RunningCounter, interval time.Duration) *RunningSource {
	if interval <= 0 {
		interval = 2 * time.Second
	}
	return &RunningSource{rc: rc, interval: interval}
}

// Info: one window per interval, read as it ends.
func (s *RunningSource) Info() providers.SourceInfo {
	return providers.SourceInfo{Name: RunningSourceName, Resolution: s.interval, Lag: s.interval + 5*time.Second}
}

// Samples streams the running count until ctx ends; a failed call yields
// no sample for its window.
func (s *RunningSource) Samples(ctx context.Context) <-chan providers.Sample {
	out := make(chan providers.Sample, 16)
	go func() {
		defer close(out)
		for {
			cctx, cancel := context.WithTimeout(ctx, s.interval+10*time.Second)
			n, err := s.rc.Running(cctx)
			cancel()
			if err == nil {
				smp := providers.Sample{At: time.Now(), Source: RunningSourceName, Span: s.interval, Running: n, Values: map[string]float64{providers.SeriesRunning: float64(n)}}
				select {
				case out <- smp:
				default:
				}
			}
			if sleep(ctx, s.interval) != nil {
				return
			}
		}
	}()
	return out
}
