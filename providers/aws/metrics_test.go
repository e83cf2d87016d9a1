package aws_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/internal/awsfake"
	"github.com/gameday-tui/gameday/providers"
	gdaws "github.com/gameday-tui/gameday/providers/aws"
)

func scriptALB(fake *awsfake.Server, errorsAt func(time.Time) (float64, bool)) {
	elb := func(name, stat string, fn awsfake.MetricFunc) {
		fake.SetMetric(awsfake.MetricKey{Namespace: "AWS/ApplicationELB", Name: name, Stat: stat}, fn)
	}
	elb("RequestCount", "Sum", func(_ time.Time, _ time.Duration, dims map[string]string) (float64, bool) {
		return 600, dims["LoadBalancer"] == albDim
	})
	elb("TargetResponseTime", "p95", func(time.Time, time.Duration, map[string]string) (float64, bool) { return 0.120, true })
	elb("HTTPCode_Target_5XX_Count", "Sum", func(at time.Time, _ time.Duration, _ map[string]string) (float64, bool) { return errorsAt(at) })
}

func TestCloudWatchSourcePoll(t *testing.T) {
	e := newEnv(t)
	// 5XX only in even seconds; CloudWatch has no point when none.
	scriptALB(e.fake, func(at time.Time) (float64, bool) { return 6, at.Unix()%2 == 0 })
	src := gdaws.NewCloudWatchSource(e.c.Metrics, providers.Fields{"alb": albDim, "period": "1s", "lag": "2s"})
	if in := src.Info(); in.Resolution != time.Second || in.Lag != 2*time.Second || in.Name != "cloudwatch" {
		t.Fatalf("info %+v", in)
	}
	ctx := ctxT(t)
	samples, err := src.Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(samples) < 3 {
		t.Fatalf("%d samples from the lookback, want several", len(samples))
	}
	calls := e.fake.Calls("cloudwatch:GetMetricData")
	if len(calls) != 1 || len(calls[0].Params["MetricDataQueries"].([]any)) != 3 {
		t.Fatalf("GetMetricData calls %+v: want one with all three series", calls)
	}
	for i, s := range samples {
		if i > 0 && !s.At.After(samples[i-1].At) {
			t.Errorf("samples out of order: %v then %v", samples[i-1].At, s.At)
		}
		if s.Source != "cloudwatch" || s.Span != time.Second || s.Running != -1 {
			t.Errorf("sample %+v", s)
		}
		want := 0.0
		if s.At.Add(-time.Second).Unix()%2 == 0 {
			want = 0.01
		}
		if v, ok := s.Value(providers.SeriesErrorRate); !ok || math.Abs(v-want) > 1e-12 {
			t.Errorf("error rate at %v: %v, want %v", s.At, v, want)
		}
		if v, _ := s.Value(providers.SeriesP95); math.Abs(v-120) > 1e-9 {
			t.Errorf("p95 %v ms, want 120", v)
		}
		if v, _ := s.Value(providers.SeriesThroughput); v != 600 {
			t.Errorf("throughput %v, want 600/s", v)
		}
		if _, ok := s.Value(providers.SeriesRunning); ok {
			t.Error("a CloudWatch sample claims a running count")
		}
	}
	if f := src.Freshness(); !f.Equal(samples[len(samples)-1].At) {
		t.Errorf("freshness %v, want the newest sample's end %v", f, samples[len(samples)-1].At)
	}
	// The next poll delivers only newer periods.
	time.Sleep(1100 * time.Millisecond)
	more, err := src.Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range more {
		if !s.At.After(samples[len(samples)-1].At) {
			t.Errorf("period ending %v delivered twice", s.At)
		}
	}
}

// TestCloudWatchSourceStreams: Samples makes one GetMetricData call per
// tick and delivers what it read.
func TestCloudWatchSourceStreams(t *testing.T) {
	e := newEnv(t)
	scriptALB(e.fake, func(time.Time) (float64, bool) { return 0, false })
	src := gdaws.NewCloudWatchSource(e.c.Metrics, providers.Fields{"alb": albDim, "period": "1s", "lag": "2s", "interval": "1s"})
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	ch := src.Samples(ctx)
	n := 0
	for s := range ch {
		if v, _ := s.Value(providers.SeriesErrorRate); v != 0 {
			t.Errorf("error rate %v with no 5XX point", v)
		}
		if n++; n == 5 {
			cancel()
		}
	}
	calls := len(e.fake.Calls("cloudwatch:GetMetricData"))
	if calls < 2 || calls > n {
		t.Errorf("%d GetMetricData calls for %d samples", calls, n)
	}
	if src.Err() != nil {
		t.Error(src.Err())
	}
}

// TestRunningSource: the ECS service's runningCount as the running series.
func TestRunningSource(t *testing.T) {
	e := newEnv(t)
	src := gdaws.NewRunningSource(e.provider(), 20*time.Millisecond)
	if in := src.Info(); in.Resolution != 20*time.Millisecond || in.Name != "ecs" {
		t.Fatalf("info %+v", in)
	}
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	s := <-src.Samples(ctx)
	if v, ok := s.Value(providers.SeriesRunning); !ok || v != 10 || s.Source != "ecs" {
		t.Fatalf("sample %+v", s)
	}
	if n := len(e.fake.Calls("ecs:DescribeServices")); n < 1 {
		t.Fatalf("%d DescribeServices calls", n)
	}
}
