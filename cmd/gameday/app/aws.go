package app

import (
	"context"
	"fmt"
	"maps"

	"github.com/spf13/pflag"

	"github.com/gameday-tui/gameday/providers"
	awsprov "github.com/gameday-tui/gameday/providers/aws"
	"github.com/gameday-tui/gameday/scenarios"
)

// awsFlags are the AWS configuration's flags. Everything else comes from
// the SDK's default chain (environment, shared config, SSO, instance and
// task roles), AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> included.
type awsFlags struct {
	profile string
	region  string
}

func addAWSFlags(fl *pflag.FlagSet, f *awsFlags) {
	fl.StringVar(&f.profile, "profile", "", "AWS: use the shared config `PROFILE` (default: the SDK's chain, AWS_PROFILE)")
	fl.StringVar(&f.region, "region", "", "AWS: the `REGION` (default: the scenario's target region, AWS_REGION or the profile's)")
}

// awsTarget returns the target fields to act on: the plan's, else (for
// recover without a plan) what the journaled identity names.
func awsTarget(plan *scenarios.Plan, id providers.Identity) providers.Fields {
	if plan != nil && plan.Target.Fields != nil {
		return maps.Clone(plan.Target.Fields)
	}
	f := providers.Fields{}
	for k, v := range id.Fields {
		f[k] = v
	}
	return f
}

// awsConnect loads the AWS configuration and builds the provider on
// target. Only here does gameday build AWS clients.
func awsConnect(ctx context.Context, target providers.Fields, o connectOptions) (*awsprov.Provider, awsprov.Clients, error) {
	region := o.aws.region
	if region == "" {
		region = target.String(awsprov.FieldRegion)
	}
	cfg, err := awsprov.LoadConfig(ctx, o.aws.profile, region, debugf)
	if err != nil {
		return nil, awsprov.Clients{}, invalid(err)
	}
	if o.aws.region != "" {
		target[awsprov.FieldRegion] = o.aws.region
	}
	clients := awsprov.NewClients(cfg)
	return awsprov.New(clients, target, awsprov.WithRegion(cfg.Region)), clients, nil
}

// awsBackend is AWS: ECS, FIS, RDS and CloudWatch through the SDK.
func awsBackend() backend {
	open := func(ctx context.Context, target providers.Fields, o connectOptions) (*conn, error) {
		p, _, err := awsConnect(ctx, target, o)
		if err != nil {
			return nil, err
		}
		c := &conn{provider: p, notes: []string{"AWS through the SDK's default configuration chain"}}
		if target.String(awsprov.FieldService) != "" {
			c.running = p
			c.sources = []providers.MetricSource{awsprov.NewRunningSource(p, 0)}
		}
		return c, nil
	}
	return backend{
		spec: awsprov.Spec(),
		open: func(ctx context.Context, plan *scenarios.Plan, o connectOptions) (*conn, error) {
			return open(ctx, awsTarget(plan, providers.Identity{}), o)
		},
		reach: func(ctx context.Context, id providers.Identity, plan *scenarios.Plan, o connectOptions) (*conn, error) {
			c, err := open(ctx, awsTarget(plan, id), o)
			if err != nil {
				return nil, err
			}
			if id.ID == "" {
				return c, nil
			}
			got, err := c.provider.(providers.Identifier).Identity(ctx)
			if err != nil {
				return nil, fmt.Errorf("identify the AWS target: %w", err)
			}
			if got.ID != id.ID {
				return nil, fmt.Errorf("these AWS credentials reach %s, not %s that the run acted on", got, id)
			}
			return c, nil
		},
	}
}

// cloudWatchRegion is the region CloudWatch is read in: the metrics
// mapping's own, else --region, else the AWS target's, else "" (the SDK's
// chain: AWS_REGION, the profile's).
func cloudWatchRegion(plan *scenarios.Plan, o connectOptions) string {
	if r := plan.Metrics.Fields.String(awsprov.FieldRegion); r != "" {
		return r
	}
	if o.aws.region != "" {
		return o.aws.region
	}
	if plan.Target.Provider == awsprov.ProviderName {
		return plan.Target.Fields.String(awsprov.FieldRegion)
	}
	return ""
}

// cloudWatchSource reads an ALB's metrics from CloudWatch.
func cloudWatchSource() sourceBackend {
	return sourceBackend{
		spec: awsprov.CloudWatchSourceSpec(),
		open: func(ctx context.Context, plan *scenarios.Plan, o connectOptions) (providers.MetricSource, error) {
			cfg := plan.Metrics
			region := cloudWatchRegion(plan, o)
			ac, err := awsprov.LoadConfig(ctx, o.aws.profile, region, debugf)
			if err != nil {
				return nil, invalid(fmt.Errorf("metrics: %w (or give the metrics mapping a region)", err))
			}
			return awsprov.NewCloudWatchSource(awsprov.NewClients(ac).Metrics, cfg.Fields), nil
		},
	}
}
