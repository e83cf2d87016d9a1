package aws_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/internal/awsfake"
	"github.com/gameday-tui/gameday/providers"
	gdaws "github.com/gameday-tui/gameday/providers/aws"
)

// TestThrottlingIsRetried: throttled calls are retried by the SDK's
// retryer, per protocol, and the fault goes through.
func TestThrottlingIsRetried(t *testing.T) {
	for _, action := range []string{"ecs:StopTask", "fis:StartExperiment", "rds:FailoverDBCluster", "cloudwatch:DescribeAlarms"} {
		t.Run(action, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.fake.Fail(action, awsfake.Throttle, 2)
			f := map[string]providers.Fault{
				"ecs:StopTask":              fault(providers.InstanceStop),
				"fis:StartExperiment":       fault(providers.CPUStress),
				"rds:FailoverDBCluster":     fault(providers.DBFailure),
				"cloudwatch:DescribeAlarms": fault(providers.CPUStress),
			}[action]
			if _, err := e.provider().Inject(ctxT(t), f, time.Minute); err != nil {
				t.Fatalf("inject with 2 throttled calls: %v", err)
			}
			calls := e.fake.Calls(action)
			if len(calls) != 3 || calls[0].Error == "" || calls[1].Error == "" || calls[2].Status != 200 || calls[2].Attempt != 3 {
				t.Fatalf("calls of %s: %+v; want 2 throttled then a third attempt that answered", action, calls)
			}
		})
	}
}

// TestAccessDeniedNamesTheAction: AWS's AccessDenied, in each protocol's
// shape, becomes a message naming the IAM action to add; nothing was
// applied.
func TestAccessDeniedNamesTheAction(t *testing.T) {
	tests := map[string]struct {
		f      providers.Fault
		action string
	}{
		"ecs":      {fault(providers.InstanceStop), "ecs:StopTask"},
		"fis":      {fault(providers.CPUStress), "fis:CreateExperimentTemplate"},
		"pass":     {fault(providers.CPUStress), "iam:PassRole"},
		"rds":      {fault(providers.DBFailure), "rds:FailoverDBCluster"},
		"cw alarm": {fault(providers.Latency, func(f *providers.Fault) { f.Params.Delay = time.Second }), "cloudwatch:DescribeAlarms"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			if err := e.fake.SetPolicy(without(t, gdaws.IAMPolicy(), tc.action)); err != nil {
				t.Fatal(err)
			}
			_, err := e.provider().Inject(ctxT(t), tc.f, time.Minute)
			var denied *gdaws.AccessDeniedError
			if !errors.As(err, &denied) || denied.Action != tc.action {
				t.Fatalf("inject without %s: %v", tc.action, err)
			}
			if !errors.Is(err, providers.ErrNotApplied) {
				t.Errorf("a denied inject must say nothing was applied: %v", err)
			}
			if !strings.Contains(err.Error(), "must allow "+tc.action) {
				t.Errorf("message %q does not tell what to add", err)
			}
		})
	}
}

// TestHungCallIsBoundedByContext: a call AWS never answers returns when
// the caller's context ends, with the context's error.
func TestHungCallIsBoundedByContext(t *testing.T) {
	e := newEnv(t)
	e.fake.Fail("ecs:StopTask", awsfake.Hang, -1)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	inj, err := e.provider().Inject(ctx, fault(providers.InstanceStop), time.Minute)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("hung StopTask: %v", err)
	}
	if errors.Is(err, providers.ErrNotApplied) || len(inj.Targets) != 1 {
		t.Errorf("a StopTask that never answered may have stopped the task: err %v, targets %v", err, inj.Targets)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %s", d)
	}
	if calls := e.fake.Calls("ecs:StopTask"); len(calls) != 1 || calls[0].Status != 0 {
		t.Errorf("calls %+v: want one, never answered", calls)
	}
}
