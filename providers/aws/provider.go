// Package aws is gameday's AWS provider: it stops ECS tasks, runs AWS FIS
// experiments against ECS tasks (latency, CPU and memory stress, network
// blackhole and packet loss, or an existing experiment template), fails
// RDS clusters over, reads an ALB's CloudWatch metrics and ECS's running
// count, and watches CloudWatch alarms and ECS service events.
//
// It imports only the providers package of ours and the AWS SDK. It never
// builds a client: cmd calls LoadConfig and NewClients and hands the
// Clients in, and tests hand in the same SDK clients pointed at a local
// server (internal/awsfake).
//
// Where each kind lives:
//
//	instance-stop      instancestop.go      ECS StopTask (mode stop-task), or FIS aws:ecs:stop-task (mode fis)
//	latency            latency.go           FIS aws:ecs:task-network-latency
//	cpu-stress         cpustress.go         FIS aws:ecs:task-cpu-stress
//	memory-stress      memorystress.go      FIS aws:ecs:task-memory-stress
//	dependency-outage  dependencyoutage.go  FIS aws:ecs:task-network-blackhole-port / -packet-loss
//	db-failure         dbfailure.go         RDS FailoverDBCluster, or RebootDBInstance with failover
//	fis-template       fistemplate.go       FIS StartExperiment of an existing template
//
// The TTL contract is kept by FIS: every experiment gameday creates has
// its action duration set to the TTL, and an existing template runs only
// if its actions end within the TTL. A stopped task or a failover has no
// TTL to keep: it is done at once and the system heals by itself (the
// service scheduler replaces the task; the cluster comes back available).
package aws

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/gameday-tui/gameday/providers"
)

// ProviderName is the provider's name in scenario files.
const ProviderName = "aws"

// OwnerTag is the tag key every FIS template and experiment gameday
// creates carries; its value is the fault's owner label (RUN.FAULT).
const OwnerTag = "gameday:owner"

var (
	_ providers.Provider       = (*Provider)(nil)
	_ providers.Verifier       = (*Provider)(nil)
	_ providers.Planner        = (*Provider)(nil)
	_ providers.TargetCounter  = (*Provider)(nil)
	_ providers.RunningCounter = (*Provider)(nil)
	_ providers.EventStreamer  = (*Provider)(nil)
	_ providers.Identifier     = (*Provider)(nil)
	_ providers.Tuned          = (*Provider)(nil)
)

// Provider implements providers.Provider on AWS. Create it with New.
type Provider struct {
	c      Clients
	target providers.Fields
	region string
	poll   time.Duration
	now    func() time.Time
	seed   func() int64

	mu          sync.Mutex
	availableAt map[string]time.Time // DB handle → first seen available
}

// Option configures a Provider.
type Option func(*Provider)

// WithPollInterval sets how often waits (an experiment running or
// stopped, a cluster available) and event streams poll AWS; default 2 s.
func WithPollInterval(d time.Duration) Option { return func(p *Provider) { p.poll = d } }

// WithRegion names the region in identities and manual commands, when the
// target does not (cmd passes the configuration's region).
func WithRegion(r string) Option { return func(p *Provider) { p.region = r } }

// WithSeeds sets where the seed of a random task choice comes from when
// the fault gives none (default: the clock).
func WithSeeds(seed func() int64) Option { return func(p *Provider) { p.seed = seed } }

// New returns a provider acting through c on the scenario's target fields
// (cluster, service, db_cluster, role_arn, stop_alarms, …). A fault's own
// Scope and Target fields override target's.
func New(c Clients, target providers.Fields, opts ...Option) *Provider {
	p := &Provider{c: c, target: target, poll: 2 * time.Second, now: time.Now}
	p.seed = func() int64 { return p.now().UnixNano() }
	for _, o := range opts {
		o(p)
	}
	if r := target.String(FieldRegion); r != "" {
		p.region = r
	}
	return p
}

// Name returns "aws".
func (p *Provider) Name() string { return ProviderName }

// Supports reports whether kind is one of the six classic kinds or
// fis-template.
func (p *Provider) Supports(kind providers.Kind) bool { return Spec().SupportsKind(kind) }

// Timeouts are FIS's: an experiment takes tens of seconds to start and to
// stop, a failover a minute or two.
func (p *Provider) Timeouts() providers.Timeouts {
	return providers.Timeouts{Call: 3 * time.Minute, RollbackDeadline: 5 * time.Minute, TTLMargin: time.Minute}
}

// scope returns the fields f acts on: the provider's target, the fault's
// Scope, then its own Target.
func (p *Provider) scope(f providers.Fault) providers.Fields {
	return merge(p.target, f.Scope, f.Target)
}

// ecsRef names an ECS service.
type ecsRef struct{ cluster, service string }

func (r ecsRef) String() string { return r.cluster + "/" + r.service }

func serviceOf(sc providers.Fields) ecsRef {
	return ecsRef{cluster: sc.String(FieldCluster), service: sc.String(FieldService)}
}

// runningTasks lists the running tasks of sc's service (or the tasks it
// names), keeping those with sc's tags.
func (p *Provider) runningTasks(ctx context.Context, sc providers.Fields) ([]string, error) {
	if p.c.Tasks == nil {
		return nil, fmt.Errorf("no ECS client")
	}
	ref := serviceOf(sc)
	in := &ecs.ListTasksInput{Cluster: awssdk.String(ref.cluster), DesiredStatus: ecstypes.DesiredStatusRunning}
	if ref.service != "" {
		in.ServiceName = awssdk.String(ref.service)
	}
	var arns []string
	for pages := 0; pages < 100; pages++ {
		out, err := p.c.Tasks.ListTasks(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("list the tasks of %s: %w", ref, awsErr(err))
		}
		arns = append(arns, out.TaskArns...)
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	if named := sc.Strings(FieldTasks); len(named) > 0 {
		arns = slices.DeleteFunc(arns, func(a string) bool {
			return !slices.ContainsFunc(named, func(n string) bool { return a == n || strings.HasSuffix(a, "/"+n) })
		})
	}
	tags := sc.StringMap(FieldTags)
	if len(tags) == 0 || len(arns) == 0 {
		slices.Sort(arns)
		return arns, nil
	}
	var kept []string
	for chunk := range slices.Chunk(arns, 100) {
		out, err := p.c.Tasks.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: awssdk.String(ref.cluster), Tasks: chunk, Include: []ecstypes.TaskField{ecstypes.TaskFieldTags}})
		if err != nil {
			return nil, fmt.Errorf("describe the tasks of %s: %w", ref, awsErr(err))
		}
		for _, t := range out.Tasks {
			have := map[string]string{}
			for _, tg := range t.Tags {
				have[awssdk.ToString(tg.Key)] = awssdk.ToString(tg.Value)
			}
			match := true
			for k, v := range tags {
				match = match && have[k] == v
			}
			if match {
				kept = append(kept, awssdk.ToString(t.TaskArn))
			}
		}
	}
	slices.Sort(kept)
	return kept, nil
}

// describeService returns sc's ECS service.
func (p *Provider) describeService(ctx context.Context, ref ecsRef) (ecstypes.Service, error) {
	if p.c.Services == nil {
		return ecstypes.Service{}, fmt.Errorf("no ECS client")
	}
	out, err := p.c.Services.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: awssdk.String(ref.cluster), Services: []string{ref.service}})
	if err != nil {
		return ecstypes.Service{}, fmt.Errorf("describe the ECS service %s: %w", ref, awsErr(err))
	}
	if len(out.Services) == 0 {
		reason := "not found"
		if len(out.Failures) > 0 {
			reason = awssdk.ToString(out.Failures[0].Reason)
		}
		return ecstypes.Service{}, fmt.Errorf("describe the ECS service %s: %s", ref, reason)
	}
	return out.Services[0], nil
}

// taskTarget names a task for the plan card: its short id and service.
func taskTarget(arn, service string) providers.Target {
	id := arn[strings.LastIndex(arn, "/")+1:]
	name := "task/" + id
	if service != "" {
		name += " (" + service + ")"
	}
	return providers.Target{ID: arn, Name: name}
}

// Targets returns what Inject would hit now: for ECS kinds, as many of the
// service's running tasks as the selection picks (chosen at random at
// inject time, so the first ones by ARN stand in); the DB cluster or
// instance for db-failure; an existing template's targets as FIS would
// resolve them.
func (p *Provider) Targets(ctx context.Context, f providers.Fault) ([]providers.Target, error) {
	sc := p.scope(f)
	switch {
	case f.Kind == providers.DBFailure:
		return p.dbTargets(ctx, f, sc)
	case f.Kind == FISTemplate || f.Params.Extra.Has(ParamTemplateID):
		return p.templateTargets(ctx, f)
	}
	arns, err := p.runningTasks(ctx, sc)
	if err != nil {
		return nil, fmt.Errorf("resolve targets of %s: %w", f.ID, err)
	}
	k := f.Selection.Of(len(arns))
	out := make([]providers.Target, 0, k)
	for _, a := range arns[:k] {
		out = append(out, taskTarget(a, sc.String(FieldService)))
	}
	return out, nil
}

// TargetCount returns how many targets f's kind has in all: the running
// tasks of its service, or 1 for a database.
func (p *Provider) TargetCount(ctx context.Context, f providers.Fault) (int, error) {
	if f.Kind == providers.DBFailure {
		return 1, nil
	}
	if f.Kind == FISTemplate || f.Params.Extra.Has(ParamTemplateID) {
		all := f
		all.Selection = providers.Selection{}
		ts, err := p.templateTargets(ctx, all)
		return len(ts), err
	}
	sc := p.scope(f)
	delete(sc, FieldTasks)
	delete(sc, FieldTags)
	arns, err := p.runningTasks(ctx, sc)
	if err != nil {
		return 0, fmt.Errorf("count the targets of %s: %w", f.ID, err)
	}
	return len(arns), nil
}

// Running returns the target service's runningCount.
func (p *Provider) Running(ctx context.Context) (int, error) {
	ref := serviceOf(p.target)
	if ref.service == "" {
		return 0, fmt.Errorf("running count: the target names no ECS service")
	}
	svc, err := p.describeService(ctx, ref)
	if err != nil {
		return 0, err
	}
	return int(svc.RunningCount), nil
}

// Identity names the system by region and ARNs (gameday cannot call STS):
// the ECS service's ARN, else the DB cluster's or instance's name.
func (p *Provider) Identity(ctx context.Context) (providers.Identity, error) {
	id := providers.Identity{Provider: ProviderName, Fields: map[string]string{}}
	if p.region != "" {
		id.Fields["region"] = p.region
	}
	for _, k := range []string{FieldCluster, FieldService, FieldDBCluster, FieldDBInstance} {
		if v := p.target.String(k); v != "" {
			id.Fields[k] = v
		}
	}
	ref := serviceOf(p.target)
	switch {
	case ref.service != "":
		svc, err := p.describeService(ctx, ref)
		if err != nil {
			return id, fmt.Errorf("identify the target: %w", err)
		}
		id.ID = awssdk.ToString(svc.ServiceArn)
	case p.target.Has(FieldDBCluster):
		c, err := p.dbCluster(ctx, p.target.String(FieldDBCluster))
		if err != nil {
			return id, fmt.Errorf("identify the target: %w", err)
		}
		id.ID = awssdk.ToString(c.DBClusterArn)
	default:
		id.ID = p.region + "/" + p.target.String(FieldDBInstance)
	}
	return id, nil
}

// Handles name what an Injection applied, as "kind:id".
const (
	handleExperiment = "experiment:"
	handleTemplate   = "template:"
	handleTask       = "task:"
	handleService    = "service:"
	handleDBCluster  = "db-cluster:"
	handleDBInstance = "db-instance:"
)

func cut(h, prefix string) (string, bool) { return strings.CutPrefix(h, prefix) }

func handles(inj providers.Injection, prefix string) []string {
	var out []string
	for _, h := range inj.Handles {
		if v, ok := strings.CutPrefix(h, prefix); ok {
			out = append(out, v)
		}
	}
	return out
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// regionFlag is " --region R" when the region is known.
func (p *Provider) regionFlag() string {
	if p.region == "" {
		return ""
	}
	return " --region " + p.region
}
