package aws

import (
	"context"
	"fmt"
	"sync"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/gameday-tui/gameday/providers"
)

// SourceName is the CloudWatch metric source's name, in scenario files
// (metrics: { source: cloudwatch }) and on samples.
const SourceName = "cloudwatch"

// CloudWatchSource reads an ALB's metrics from CloudWatch: one
// GetMetricData call per tick fetches all three series for the last few
// periods, and each period that has data becomes one Sample (Values under
// providers.SeriesP95, SeriesErrorRate and SeriesThroughput), stamped
// with the end of its period and spanning it:
//
//	p95_ms          TargetResponseTime p95 × 1000
//	error_rate      HTTPCode_Target_5XX_Count ÷ RequestCount (Sum; no 5XX point means 0)
//	throughput_rps  RequestCount Sum ÷ the period in seconds
//
// CloudWatch's p95 is per period, so a phase's verdict on it is the share
// of periods in breach and the worst one, never a merged percentile.
type CloudWatchSource struct {
	cw       CloudWatchMetrics
	alb, tg  string
	period   time.Duration
	lag      time.Duration
	interval time.Duration
	now      func() time.Time

	mu   sync.Mutex
	last time.Time // the newest period start delivered
	err  error
}

var (
	_ providers.MetricSource = (*CloudWatchSource)(nil)
	_ providers.Described    = (*CloudWatchSource)(nil)
)

// NewCloudWatchSource reads the metrics a scenario's metrics mapping names
// (CloudWatchSourceSpec: alb, target_group, period, lag, interval).
func NewCloudWatchSource(cw CloudWatchMetrics, f providers.Fields) *CloudWatchSource {
	s := &CloudWatchSource{cw: cw, alb: f.String(FieldALB), tg: f.String(FieldTargetGroup),
		period: f.Duration(metricsFieldPeriod), lag: f.Duration(metricsFieldLag), interval: f.Duration(metricsFieldInterval), now: time.Now}
	if s.period <= 0 {
		s.period = time.Minute
	}
	if !f.Has(metricsFieldLag) {
		// ALB metrics arrive a minute or two after their period; a
		// high-resolution series sooner.
		s.lag = 3 * time.Minute
		if s.period < time.Minute {
			s.lag = max(10*time.Second, 3*s.period)
		}
	}
	if s.interval <= 0 {
		s.interval = max(s.period/4, time.Second)
	}
	return s
}

// Info declares the period as the resolution, and the lag.
func (s *CloudWatchSource) Info() providers.SourceInfo {
	return providers.SourceInfo{Name: SourceName, Resolution: s.period, Lag: s.lag}
}

// Freshness returns the end of the newest period delivered (zero before
// any), so a console can show how old the last point is.
func (s *CloudWatchSource) Freshness() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last.IsZero() {
		return time.Time{}
	}
	return s.last.Add(s.period)
}

// Err returns the error of the last GetMetricData call (nil when it
// answered).
func (s *CloudWatchSource) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Samples streams one Sample per period that has data, oldest first, until
// ctx ends. The first call looks back over the lag and one period more.
func (s *CloudWatchSource) Samples(ctx context.Context) <-chan providers.Sample {
	out := make(chan providers.Sample, 64)
	go func() {
		defer close(out)
		for {
			samples, err := s.Poll(ctx)
			s.mu.Lock()
			s.err = err
			s.mu.Unlock()
			for _, smp := range samples {
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

func (s *CloudWatchSource) query(id, metric, stat string) cwtypes.MetricDataQuery {
	dims := []cwtypes.Dimension{{Name: awssdk.String("LoadBalancer"), Value: awssdk.String(s.alb)}}
	if s.tg != "" {
		dims = append(dims, cwtypes.Dimension{Name: awssdk.String("TargetGroup"), Value: awssdk.String(s.tg)})
	}
	return cwtypes.MetricDataQuery{
		Id: awssdk.String(id),
		MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: awssdk.String("AWS/ApplicationELB"), MetricName: awssdk.String(metric), Dimensions: dims},
			Period: awssdk.Int32(int32(s.period / time.Second)),
			Stat:   awssdk.String(stat),
		},
		ReturnData: awssdk.Bool(true),
	}
}

// Poll makes one GetMetricData call and returns the samples of the
// complete periods not delivered before, oldest first.
func (s *CloudWatchSource) Poll(ctx context.Context) ([]providers.Sample, error) {
	now := s.now()
	end := now.Truncate(s.period)
	s.mu.Lock()
	start := s.last.Add(s.period)
	s.mu.Unlock()
	if earliest := end.Add(-s.lag - s.period).Truncate(s.period); start.Before(earliest) {
		start = earliest
	}
	if !start.Before(end) {
		return nil, nil
	}
	out, err := s.cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
		StartTime: awssdk.Time(start),
		EndTime:   awssdk.Time(end),
		ScanBy:    cwtypes.ScanByTimestampAscending,
		MetricDataQueries: []cwtypes.MetricDataQuery{
			s.query("p95", "TargetResponseTime", "p95"),
			s.query("errors", "HTTPCode_Target_5XX_Count", "Sum"),
			s.query("requests", "RequestCount", "Sum"),
		},
	})
	if err != nil {
		return nil, fmt.Errorf("CloudWatch GetMetricData: %w", awsErr(err))
	}
	series := map[string]map[time.Time]float64{}
	for _, r := range out.MetricDataResults {
		m := map[time.Time]float64{}
		for i, t := range r.Timestamps {
			if i < len(r.Values) {
				m[t.UTC()] = r.Values[i]
			}
		}
		series[awssdk.ToString(r.Id)] = m
	}
	var starts []time.Time
	for t := range series["requests"] {
		starts = append(starts, t)
	}
	for t := range series["p95"] {
		if _, ok := series["requests"][t]; !ok {
			starts = append(starts, t)
		}
	}
	sortTimes(starts)
	var samples []providers.Sample
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range starts {
		if !t.After(s.last) && !s.last.IsZero() {
			continue
		}
		v := map[string]float64{}
		req, hasReq := series["requests"][t]
		if p, ok := series["p95"][t]; ok {
			v[providers.SeriesP95] = p * 1000
		}
		if hasReq {
			v[providers.SeriesThroughput] = req / s.period.Seconds()
			v[providers.SeriesErrorRate] = 0
			if req > 0 {
				v[providers.SeriesErrorRate] = series["errors"][t] / req
			}
		}
		samples = append(samples, providers.Sample{At: t.Add(s.period), Source: SourceName, Span: s.period, Running: -1, Values: v})
		s.last = t
	}
	return samples, nil
}

func sortTimes(ts []time.Time) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j].Before(ts[j-1]); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}
