package aws_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/fis"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/gameday-tui/gameday/internal/awsfake"
	"github.com/gameday-tui/gameday/providers"
	gdaws "github.com/gameday-tui/gameday/providers/aws"
)

// The world every test starts from: an ECS service of 10 tasks, an Aurora
// cluster of two instances, a Multi-AZ instance, and the seed's alarm.
const (
	cluster   = "myapp-cluster"
	service   = "myapp-service"
	dbCluster = "myapp-db"
	dbMultiAZ = "legacy-db"
	alarm     = "HighErrorRateAlarm"
	roleARN   = "arn:aws:iam::123456789012:role/gameday-fis"
	albDim    = "app/myapp-alb/0123456789abcdef"
)

// env is a fake AWS and the real SDK clients pointed at it.
type env struct {
	fake *awsfake.Server
	url  string
	cfg  awssdk.Config
	c    gdaws.Clients
}

// fastTimings keep every transition well under a second.
var fastTimings = awsfake.Timings{
	ExperimentPending: 20 * time.Millisecond, ExperimentInitiating: 20 * time.Millisecond,
	ExperimentStopping: 50 * time.Millisecond, TaskReplace: 150 * time.Millisecond,
	Failover: 150 * time.Millisecond, Reboot: 150 * time.Millisecond,
}

func newEnv(t *testing.T, opts ...awsfake.Option) *env {
	t.Helper()
	fake := awsfake.New(append([]awsfake.Option{awsfake.WithTimings(fastTimings)}, opts...)...)
	fake.AddService(awsfake.ServiceSpec{Cluster: cluster, Service: service, Desired: 10, TaskTags: map[string]string{"app": "myapp"}})
	fake.AddDBCluster(awsfake.DBClusterSpec{ID: dbCluster, Instances: []string{"myapp-db-1", "myapp-db-2"}})
	fake.AddDBInstance(dbMultiAZ, true)
	fake.SetAlarm(alarm, "OK", "Threshold Crossed: no datapoints were breaching")
	srv := httptest.NewServer(fake)
	t.Cleanup(func() { fake.Close(); srv.Close() })
	cfg := awssdk.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "fake-secret", ""),
		Retryer: func() awssdk.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 4
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 5 * time.Millisecond, nil })
			})
		},
	}
	e := &env{fake: fake, url: srv.URL, cfg: cfg}
	base := awssdk.String(srv.URL)
	ec := ecs.NewFromConfig(cfg, func(o *ecs.Options) { o.BaseEndpoint = base })
	fc := fis.NewFromConfig(cfg, func(o *fis.Options) { o.BaseEndpoint = base })
	rc := rds.NewFromConfig(cfg, func(o *rds.Options) { o.BaseEndpoint = base })
	cw := cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) { o.BaseEndpoint = base })
	e.c = gdaws.Clients{Tasks: ec, Services: ec, Experiments: fc, Templates: fc, Lister: fc, DBClusters: rc, DBInstances: rc, Alarms: cw, Metrics: cw}
	return e
}

// target is the scenario target of the shipped ECS scenarios.
func target() providers.Fields {
	return providers.Fields{"region": "us-east-1", "cluster": cluster, "service": service, "db_cluster": dbCluster, "role_arn": roleARN, "stop_alarms": []any{alarm}}
}

func (e *env) provider(opts ...gdaws.Option) *gdaws.Provider {
	return gdaws.New(e.c, target(), append([]gdaws.Option{gdaws.WithPollInterval(10 * time.Millisecond), gdaws.WithSeeds(func() int64 { return 42 })}, opts...)...)
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// eventually polls cond until it holds or a generous deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
