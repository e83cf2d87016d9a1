package aws

import (
	"context"
	"errors"
	"fmt"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/gameday-tui/gameday/providers"
)

// db-failure: mode failover (the default) calls RDS FailoverDBCluster on
// an Aurora cluster (to params.target_instance, or the reader RDS picks);
// mode reboot calls RebootDBInstance with ForceFailover on a Multi-AZ
// instance. Neither can be undone: Rollback waits the failover out until
// the cluster (or instance) is available again, and Verify says how long
// it took from the call.

func (p *Provider) dbCluster(ctx context.Context, id string) (rdstypes.DBCluster, error) {
	if p.c.DBClusters == nil {
		return rdstypes.DBCluster{}, errors.New("no RDS client")
	}
	out, err := p.c.DBClusters.DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: awssdk.String(id)})
	if err != nil {
		return rdstypes.DBCluster{}, fmt.Errorf("describe DB cluster %s: %w", id, awsErr(err))
	}
	if len(out.DBClusters) == 0 {
		return rdstypes.DBCluster{}, fmt.Errorf("describe DB cluster %s: not found", id)
	}
	return out.DBClusters[0], nil
}

func (p *Provider) dbInstance(ctx context.Context, id string) (rdstypes.DBInstance, error) {
	if p.c.DBInstances == nil {
		return rdstypes.DBInstance{}, errors.New("no RDS client")
	}
	out, err := p.c.DBInstances.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: awssdk.String(id)})
	if err != nil {
		return rdstypes.DBInstance{}, fmt.Errorf("describe DB instance %s: %w", id, awsErr(err))
	}
	if len(out.DBInstances) == 0 {
		return rdstypes.DBInstance{}, fmt.Errorf("describe DB instance %s: not found", id)
	}
	return out.DBInstances[0], nil
}

func writerOf(c rdstypes.DBCluster) string {
	for _, m := range c.DBClusterMembers {
		if awssdk.ToBool(m.IsClusterWriter) {
			return awssdk.ToString(m.DBInstanceIdentifier)
		}
	}
	return ""
}

func (p *Provider) dbTargets(ctx context.Context, f providers.Fault, sc providers.Fields) ([]providers.Target, error) {
	if kindMode(f) == ModeReboot {
		id := sc.String(FieldDBInstance)
		in, err := p.dbInstance(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("resolve targets of %s: %w", f.ID, err)
		}
		return []providers.Target{{ID: id, Name: fmt.Sprintf("DB instance %s (%s, %s)", id, awssdk.ToString(in.DBInstanceStatus), awssdk.ToString(in.AvailabilityZone))}}, nil
	}
	id := sc.String(FieldDBCluster)
	c, err := p.dbCluster(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("resolve targets of %s: %w", f.ID, err)
	}
	return []providers.Target{{ID: id, Name: fmt.Sprintf("DB cluster %s (%s, writer %s)", id, awssdk.ToString(c.Status), writerOf(c))}}, nil
}

func (p *Provider) injectDB(ctx context.Context, f providers.Fault, inj providers.Injection) (providers.Injection, error) {
	sc := p.scope(f)
	targets, err := p.dbTargets(ctx, f, sc)
	if err != nil {
		return inj, fmt.Errorf("inject %s: %w: %w", f.ID, providers.ErrNotApplied, err)
	}
	inj.Targets = targets
	inj.ExpiresAt = p.now()
	fail := func(err error) (providers.Injection, error) {
		if apiCode(err) != "" {
			return inj, fmt.Errorf("inject %s: %w: %w", f.ID, providers.ErrNotApplied, awsErr(err))
		}
		return inj, fmt.Errorf("inject %s: %w", f.ID, err)
	}
	if kindMode(f) == ModeReboot {
		id := sc.String(FieldDBInstance)
		inj.Handles = []string{handleDBInstance + id}
		_, err := p.c.DBInstances.RebootDBInstance(ctx, &rds.RebootDBInstanceInput{DBInstanceIdentifier: awssdk.String(id), ForceFailover: awssdk.Bool(true)})
		if err != nil {
			return fail(err)
		}
		return inj, nil
	}
	id := sc.String(FieldDBCluster)
	inj.Handles = []string{handleDBCluster + id}
	in := &rds.FailoverDBClusterInput{DBClusterIdentifier: awssdk.String(id)}
	if t := f.Params.Extra.String(ParamTargetInstance); t != "" {
		in.TargetDBInstanceIdentifier = awssdk.String(t)
	}
	if _, err := p.c.DBClusters.FailoverDBCluster(ctx, in); err != nil {
		return fail(err)
	}
	return inj, nil
}

// dbStatus returns the status of a handle's cluster or instance, and for a
// cluster its writer.
func (p *Provider) dbStatus(ctx context.Context, h string) (status, writer string, err error) {
	if id, ok := cut(h, handleDBCluster); ok {
		c, err := p.dbCluster(ctx, id)
		if err != nil {
			return "", "", err
		}
		return awssdk.ToString(c.Status), writerOf(c), nil
	}
	id, _ := cut(h, handleDBInstance)
	in, err := p.dbInstance(ctx, id)
	if err != nil {
		return "", "", err
	}
	return awssdk.ToString(in.DBInstanceStatus), awssdk.ToString(in.AvailabilityZone), nil
}

// waitDBAvailable waits until every database of inj is available.
func (p *Provider) waitDBAvailable(ctx context.Context, inj providers.Injection) error {
	for _, h := range inj.Handles {
		if !isDBHandle(h) {
			continue
		}
		for {
			st, _, err := p.dbStatus(ctx, h)
			if err != nil {
				return err
			}
			if st == "available" {
				p.noteAvailable(h)
				break
			}
			if err := sleep(ctx, p.poll); err != nil {
				return fmt.Errorf("wait for %s to be available (now %s): %w", h, st, err)
			}
		}
	}
	return nil
}

func isDBHandle(h string) bool {
	_, c := cut(h, handleDBCluster)
	_, i := cut(h, handleDBInstance)
	return c || i
}

// noteAvailable remembers when h was first seen available, so Verify can
// say how long the failover took.
func (p *Provider) noteAvailable(h string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.availableAt == nil {
		p.availableAt = map[string]time.Time{}
	}
	if _, ok := p.availableAt[h]; !ok {
		p.availableAt[h] = p.now()
	}
}

func (p *Provider) planDB(ctx context.Context, f providers.Fault) ([]string, error) {
	sc := p.scope(f)
	targets, err := p.dbTargets(ctx, f, sc)
	if err != nil {
		return nil, fmt.Errorf("plan %s: %w", f.ID, err)
	}
	if kindMode(f) == ModeReboot {
		id := sc.String(FieldDBInstance)
		return []string{
			fmt.Sprintf("aws rds reboot-db-instance%s --db-instance-identifier %s --force-failover  # %s", p.regionFlag(), id, targets[0].Name),
			fmt.Sprintf("aws rds describe-db-instances%s --db-instance-identifier %s  # at rollback, until available: a reboot is waited out, not undone", p.regionFlag(), id),
		}, nil
	}
	id := sc.String(FieldDBCluster)
	to := ""
	if t := f.Params.Extra.String(ParamTargetInstance); t != "" {
		to = " --target-db-instance-identifier " + t
	}
	return []string{
		fmt.Sprintf("aws rds failover-db-cluster%s --db-cluster-identifier %s%s  # %s", p.regionFlag(), id, to, targets[0].Name),
		fmt.Sprintf("aws rds describe-db-clusters%s --db-cluster-identifier %s  # at rollback, until available: a failover is waited out, not undone", p.regionFlag(), id),
	}, nil
}
