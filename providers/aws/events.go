package aws

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/gameday-tui/gameday/providers"
)

// SystemEvents streams what the target system does by itself: the ECS
// service's events (tasks stopped and started, health checks, steady
// state), the stop alarms' state changes (AlarmWatcher) and a DB cluster's
// status changes (a failover starting and ending, with how long it took).
// Events from before the call are not replayed.
func (p *Provider) SystemEvents(ctx context.Context) <-chan providers.SystemEvent {
	out := make(chan providers.SystemEvent, 64)
	var wg sync.WaitGroup
	emit := func(e providers.SystemEvent) {
		select {
		case out <- e:
		default: // a slow reader loses events, never stalls the watchers
		}
	}
	forward := func(ch <-chan providers.SystemEvent) {
		defer wg.Done()
		for e := range ch {
			emit(e)
		}
	}
	if ref := serviceOf(p.target); ref.service != "" && p.c.Services != nil {
		wg.Add(1)
		go func() { defer wg.Done(); p.watchService(ctx, ref, emit) }()
	}
	if names := p.target.Strings(FieldStopAlarms); len(names) > 0 && p.c.Alarms != nil {
		wg.Add(1)
		go forward(NewAlarmWatcher(p.c.Alarms, names, p.poll).SystemEvents(ctx))
	}
	if id := p.target.String(FieldDBCluster); id != "" && p.c.DBClusters != nil {
		wg.Add(1)
		go func() { defer wg.Done(); p.watchDBCluster(ctx, id, emit) }()
	}
	go func() { wg.Wait(); close(out) }()
	return out
}

// classifyECS says what an ECS service event means for the report.
func classifyECS(msg string) providers.EventKind {
	m := strings.ToLower(msg)
	switch {
	case strings.Contains(m, "unhealthy"), strings.Contains(m, "failed"), strings.Contains(m, "unable to"),
		strings.Contains(m, "deregistered"), strings.Contains(m, "draining"):
		return providers.EventDetected
	case strings.Contains(m, "has started"), strings.Contains(m, "steady state"), strings.Contains(m, "registered"):
		return providers.EventRecovered
	}
	return providers.EventInfo
}

func (p *Provider) watchService(ctx context.Context, ref ecsRef, emit func(providers.SystemEvent)) {
	seen := map[string]bool{}
	first := true
	for {
		svc, err := p.describeService(ctx, ref)
		if err == nil {
			// ECS lists events newest first.
			for i := len(svc.Events) - 1; i >= 0; i-- {
				e := svc.Events[i]
				id := awssdk.ToString(e.Id)
				if seen[id] {
					continue
				}
				seen[id] = true
				if first {
					continue
				}
				msg := awssdk.ToString(e.Message)
				emit(providers.SystemEvent{At: awssdk.ToTime(e.CreatedAt), Source: "ECS", Kind: classifyECS(msg), Target: ref.service, Text: msg})
			}
			first = false
		}
		if sleep(ctx, p.poll) != nil {
			return
		}
	}
}

func (p *Provider) watchDBCluster(ctx context.Context, id string, emit func(providers.SystemEvent)) {
	last, since := "", time.Time{}
	for {
		c, err := p.dbCluster(ctx, id)
		if err == nil {
			st, writer := awssdk.ToString(c.Status), writerOf(c)
			now := p.now()
			switch {
			case last == "":
			case st != last && st != "available":
				since = now
				emit(providers.SystemEvent{At: now, Source: "RDS", Kind: providers.EventDetected, Target: id, Text: fmt.Sprintf("DB cluster %s is %s (writer %s)", id, st, writer)})
			case st != last && st == "available":
				text := fmt.Sprintf("DB cluster %s is available again, writer %s", id, writer)
				if !since.IsZero() {
					text += fmt.Sprintf(", %s after it was seen %s", now.Sub(since).Round(time.Second), last)
				}
				emit(providers.SystemEvent{At: now, Source: "RDS", Kind: providers.EventRecovered, Target: id, Text: text})
			}
			last = st
		}
		if sleep(ctx, p.poll) != nil {
			return
		}
	}
}

// AlarmWatcher turns CloudWatch alarms into system events: EventDetected
// with Source "CloudWatch alarm NAME" when one goes to ALARM (or is in
// ALARM when watching starts), EventRecovered when it is back to OK. The
// engine aborts the run on the first such EventDetected when the alarm is
// a stop condition, as FIS stops an experiment whose stop condition alarm
// fires.
type AlarmWatcher struct {
	cw       CloudWatchAlarms
	names    []string
	interval time.Duration
}

// AlarmSource is the prefix of an alarm event's Source.
const AlarmSource = "CloudWatch alarm "

// NewAlarmWatcher watches the named alarms, calling DescribeAlarms once per
// interval for all of them.
func NewAlarmWatcher(cw CloudWatchAlarms, names []string, interval time.Duration) *AlarmWatcher {
	if interval <= 0 {
		interval = 10 * time.Second
	}
	return &AlarmWatcher{cw: cw, names: names, interval: interval}
}

var _ providers.EventStreamer = (*AlarmWatcher)(nil)

// SystemEvents streams the alarms' state changes until ctx ends. An alarm
// that does not exist is reported once, as EventInfo.
func (w *AlarmWatcher) SystemEvents(ctx context.Context) <-chan providers.SystemEvent {
	out := make(chan providers.SystemEvent, 16)
	go func() {
		defer close(out)
		emit := func(e providers.SystemEvent) {
			select {
			case out <- e:
			default:
			}
		}
		state := map[string]cwtypes.StateValue{}
		missing := map[string]bool{}
		for {
			res, err := w.cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: w.names})
			if err == nil {
				found := map[string]bool{}
				for _, a := range res.MetricAlarms {
					name := awssdk.ToString(a.AlarmName)
					found[name] = true
					w.transition(emit, state, name, a.StateValue, awssdk.ToString(a.StateReason), awssdk.ToTime(a.StateUpdatedTimestamp))
				}
				for _, a := range res.CompositeAlarms {
					name := awssdk.ToString(a.AlarmName)
					found[name] = true
					w.transition(emit, state, name, a.StateValue, awssdk.ToString(a.StateReason), awssdk.ToTime(a.StateUpdatedTimestamp))
				}
				for _, n := range w.names {
					if !found[n] && !missing[n] {
						missing[n] = true
						emit(providers.SystemEvent{At: time.Now(), Source: AlarmSource + n, Kind: providers.EventInfo, Target: n, Text: "alarm " + n + " does not exist in CloudWatch: it cannot stop the run"})
					}
				}
			}
			if sleep(ctx, w.interval) != nil {
				return
			}
		}
	}()
	return out
}

func (w *AlarmWatcher) transition(emit func(providers.SystemEvent), state map[string]cwtypes.StateValue, name string, now cwtypes.StateValue, reason string, at time.Time) {
	prev, known := state[name]
	state[name] = now
	if known && prev == now {
		return
	}
	if at.IsZero() {
		at = time.Now()
	}
	e := providers.SystemEvent{At: at, Source: AlarmSource + name, Target: name}
	switch {
	case now == cwtypes.StateValueAlarm:
		e.Kind, e.Text = providers.EventDetected, fmt.Sprintf("alarm %s is in ALARM: %s", name, reason)
		e.Stop = true // every watched alarm is a stop alarm
	case now == cwtypes.StateValueOk && known:
		e.Kind, e.Text = providers.EventRecovered, fmt.Sprintf("alarm %s is back to OK", name)
	case known:
		e.Kind, e.Text = providers.EventInfo, fmt.Sprintf("alarm %s is %s: %s", name, now, reason)
	default:
		return // OK or no data when watching starts: nothing happened
	}
	emit(e)
}
