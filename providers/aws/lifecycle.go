package aws

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/fis"

	"github.com/gameday-tui/gameday/providers"
)

// Inject applies f for at most ttl (see the package comment for what each
// kind does). Everything FIS runs is tagged gameday:owner=f.Owner, and the
// Injection's Handles name it ("experiment:EXP…", "template:EXT…",
// "task:ARN", "service:CLUSTER/SERVICE", "db-cluster:ID"). An error
// wrapping providers.ErrNotApplied means nothing changed: AWS refused the
// call (an AccessDenied names the missing IAM action), the targets resolve
// to nothing, or an existing template would outlive the TTL.
func (p *Provider) Inject(ctx context.Context, f providers.Fault, ttl time.Duration) (providers.Injection, error) {
	inj := providers.Injection{FaultID: f.ID, Provider: ProviderName, Kind: f.Kind, Owner: f.Owner}
	if !p.Supports(f.Kind) {
		return inj, fmt.Errorf("inject %s: %w: the aws provider has no kind %q", f.ID, providers.ErrNotApplied, f.Kind)
	}
	switch {
	case f.Kind == providers.DBFailure:
		return p.injectDB(ctx, f, inj)
	case f.Kind == FISTemplate || f.Params.Extra.Has(ParamTemplateID):
		return p.injectTemplate(ctx, f, ttl, inj)
	case f.Kind == providers.InstanceStop && kindMode(f) == ModeStopTask:
		return p.injectStopTask(ctx, f, inj)
	}
	return p.injectCreated(ctx, f, ttl, inj)
}

// Rollback undoes inj: it stops every FIS experiment of inj (by handle
// and, when inj.Owner is set, every one tagged with it that has not
// ended) and waits until FIS says each one stopped, then deletes the
// templates gameday created for it (by handle and by tag). Stopped ECS
// tasks are not restored — the service scheduler replaces them — and a
// failover is waited out until the database is available again. It is
// idempotent: what already ended or was deleted counts as rolled back.
func (p *Provider) Rollback(ctx context.Context, inj providers.Injection) error {
	exps, tmpls := handles(inj, handleExperiment), handles(inj, handleTemplate)
	var errs []error
	if inj.Owner != "" && inj.Kind != providers.DBFailure {
		oe, ot, err := p.owned(ctx, inj.Owner)
		if err != nil {
			errs = append(errs, err)
		}
		for _, e := range oe {
			if !slices.Contains(exps, e) {
				exps = append(exps, e)
			}
		}
		for _, t := range ot {
			if !slices.Contains(tmpls, t) {
				tmpls = append(tmpls, t)
			}
		}
	}
	if (len(exps) > 0 || len(tmpls) > 0) && (p.c.Experiments == nil || p.c.Templates == nil) {
		return fmt.Errorf("roll back %s: no FIS client", inj.FaultID)
	}
	stopped := true
	for _, e := range exps {
		if _, err := p.stopExperiment(ctx, e); err != nil {
			errs = append(errs, err)
			stopped = false
		}
	}
	// A template is deleted only once its experiments ended, so that a
	// failed stop leaves the template for the next attempt to find.
	if stopped {
		for _, t := range tmpls {
			if err := p.deleteTemplate(ctx, t); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := p.waitDBAvailable(ctx, inj); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("roll back %s: %w", inj.FaultID, err)
	}
	return nil
}

// Verify reports inj clean when every FIS experiment of it has ended
// (stopped, completed, failed), every template gameday created for it is
// gone, the ECS service it acted on runs its desired count of tasks, and a
// database it failed over is available.
func (p *Provider) Verify(ctx context.Context, inj providers.Injection) (providers.Verification, error) {
	var details, dirty []string
	exps, tmpls := handles(inj, handleExperiment), handles(inj, handleTemplate)
	if inj.Owner != "" && inj.Kind != providers.DBFailure {
		oe, ot, err := p.owned(ctx, inj.Owner)
		if err != nil {
			return providers.Verification{}, fmt.Errorf("verify %s: %w", inj.FaultID, err)
		}
		for _, e := range oe {
			if !slices.Contains(exps, e) {
				exps = append(exps, e)
			}
		}
		for _, t := range ot {
			dirty = append(dirty, fmt.Sprintf("FIS experiment template %s tagged %s=%s still exists", t, OwnerTag, inj.Owner))
			tmpls = slices.DeleteFunc(tmpls, func(x string) bool { return x == t })
		}
	}
	for _, e := range exps {
		out, err := p.c.Experiments.GetExperiment(ctx, &fis.GetExperimentInput{Id: awssdk.String(e)})
		if apiCode(err) == "ResourceNotFoundException" {
			details = append(details, "FIS experiment "+e+" is gone")
			continue
		}
		if err != nil {
			return providers.Verification{}, fmt.Errorf("verify %s: get FIS experiment %s: %w", inj.FaultID, e, awsErr(err))
		}
		st := out.Experiment.State
		if st == nil || !final(st.Status) {
			status := "unknown"
			if st != nil {
				status = string(st.Status)
			}
			dirty = append(dirty, fmt.Sprintf("FIS experiment %s is still %s", e, status))
			continue
		}
		details = append(details, fmt.Sprintf("FIS experiment %s %s (%s)", e, st.Status, awssdk.ToString(st.Reason)))
	}
	for _, t := range tmpls {
		_, err := p.c.Templates.GetExperimentTemplate(ctx, &fis.GetExperimentTemplateInput{Id: awssdk.String(t)})
		switch {
		case apiCode(err) == "ResourceNotFoundException":
			details = append(details, "FIS experiment template "+t+" deleted")
		case err != nil:
			return providers.Verification{}, fmt.Errorf("verify %s: get FIS experiment template %s: %w", inj.FaultID, t, awsErr(err))
		default:
			dirty = append(dirty, "FIS experiment template "+t+" still exists")
		}
	}
	for _, s := range handles(inj, handleService) {
		cluster, service, _ := strings.Cut(s, "/")
		svc, err := p.describeService(ctx, ecsRef{cluster: cluster, service: service})
		if err != nil {
			return providers.Verification{}, fmt.Errorf("verify %s: %w", inj.FaultID, err)
		}
		line := fmt.Sprintf("ECS service %s runs %d of %d desired tasks (%d pending)", s, svc.RunningCount, svc.DesiredCount, svc.PendingCount)
		if svc.RunningCount != svc.DesiredCount {
			dirty = append(dirty, line)
		} else {
			details = append(details, line)
		}
	}
	for _, h := range inj.Handles {
		if !isDBHandle(h) {
			continue
		}
		st, where, err := p.dbStatus(ctx, h)
		if err != nil {
			return providers.Verification{}, fmt.Errorf("verify %s: %w", inj.FaultID, err)
		}
		if st != "available" {
			dirty = append(dirty, fmt.Sprintf("%s is %s", h, st))
			continue
		}
		p.noteAvailable(h)
		line := fmt.Sprintf("%s available", h)
		if _, ok := cut(h, handleDBCluster); ok {
			line += ", writer " + where
		} else {
			line += " in " + where
		}
		p.mu.Lock()
		at := p.availableAt[h]
		p.mu.Unlock()
		if !inj.ExpiresAt.IsZero() && at.After(inj.ExpiresAt) {
			line += fmt.Sprintf("; available again within %s of the call", at.Sub(inj.ExpiresAt).Round(100*time.Millisecond))
		}
		details = append(details, line)
	}
	if len(dirty) > 0 {
		return providers.Verification{Clean: false, Details: dirty}, nil
	}
	return providers.Verification{Clean: true, Details: details}, nil
}

// ManualRollback returns the AWS CLI commands that finish rolling inj back
// by hand.
func (p *Provider) ManualRollback(inj providers.Injection) string {
	var cmds []string
	for _, e := range handles(inj, handleExperiment) {
		cmds = append(cmds, fmt.Sprintf("aws fis stop-experiment%s --id %s", p.regionFlag(), e))
	}
	for _, t := range handles(inj, handleTemplate) {
		cmds = append(cmds, fmt.Sprintf("aws fis delete-experiment-template%s --id %s", p.regionFlag(), t))
	}
	if inj.Owner != "" && inj.Kind != providers.DBFailure {
		cmds = append(cmds,
			fmt.Sprintf(`aws fis list-experiments%s --query "experiments[?tags.\"%s\"=='%s' && !contains(['completed','stopped','failed','cancelled'], state.status)].id"  # stop each with aws fis stop-experiment --id`, p.regionFlag(), OwnerTag, inj.Owner),
			fmt.Sprintf(`aws fis list-experiment-templates%s --query "experimentTemplates[?tags.\"%s\"=='%s'].id"  # delete each with aws fis delete-experiment-template --id`, p.regionFlag(), OwnerTag, inj.Owner))
	}
	for _, s := range handles(inj, handleService) {
		cluster, service, _ := strings.Cut(s, "/")
		cmds = append(cmds, fmt.Sprintf("aws ecs describe-services%s --cluster %s --services %s  # stopped tasks are replaced by the scheduler, not restored: wait for runningCount = desiredCount", p.regionFlag(), cluster, service))
	}
	for _, id := range handles(inj, handleDBCluster) {
		cmds = append(cmds, fmt.Sprintf("aws rds describe-db-clusters%s --db-cluster-identifier %s  # a failover cannot be undone: wait for Status available", p.regionFlag(), id))
	}
	for _, id := range handles(inj, handleDBInstance) {
		cmds = append(cmds, fmt.Sprintf("aws rds describe-db-instances%s --db-instance-identifier %s  # a reboot cannot be undone: wait for DBInstanceStatus available", p.regionFlag(), id))
	}
	if len(cmds) == 0 {
		return "# nothing recorded to undo; every FIS experiment gameday starts ends by itself at its action duration"
	}
	return strings.Join(cmds, "\n")
}

// Plan returns every AWS call Inject and Rollback would make for f, as the
// AWS CLI commands that make them, without changing anything.
func (p *Provider) Plan(ctx context.Context, f providers.Fault, ttl time.Duration) ([]string, error) {
	if f.Owner == "" {
		f.Owner = "RUN." + f.ID // a dry run has no run id: show where it goes
	}
	switch {
	case f.Kind == providers.DBFailure:
		return p.planDB(ctx, f)
	case f.Kind == FISTemplate || f.Params.Extra.Has(ParamTemplateID):
		return p.planTemplate(ctx, f, ttl)
	case f.Kind == providers.InstanceStop && kindMode(f) == ModeStopTask:
		return p.planStopTask(ctx, f)
	}
	sc := p.scope(f)
	ref := serviceOf(sc)
	tasks, err := p.runningTasks(ctx, sc)
	if err != nil {
		return nil, fmt.Errorf("plan %s: %w", f.ID, err)
	}
	var calls []string
	calls = append(calls, fmt.Sprintf("aws ecs list-tasks%s --cluster %s --service-name %s --desired-status RUNNING  # now %d running task(s); none would refuse the inject", p.regionFlag(), ref.cluster, ref.service, len(tasks)))
	alarms := sc.Strings(FieldStopAlarms)
	arns := make([]string, len(alarms))
	if len(alarms) > 0 {
		calls = append(calls, fmt.Sprintf("aws cloudwatch describe-alarms%s --alarm-names %s  # their ARNs become the stop conditions", p.regionFlag(), strings.Join(alarms, " ")))
		if a, err := p.stopAlarmARNs(ctx, sc); err == nil {
			arns = a
		} else {
			for i, n := range alarms {
				arns[i] = "ARN_OF_" + n
			}
			calls = append(calls, "# "+err.Error())
		}
	}
	if f, err = p.withMemoryPercent(ctx, f, ref.cluster, tasks); err != nil {
		return nil, fmt.Errorf("plan %s: %w", f.ID, err)
	}
	in, err := p.templateInput(f, ttl, sc, tasks, arns)
	if err != nil {
		return nil, fmt.Errorf("plan %s: %w", f.ID, err)
	}
	calls = append(calls,
		p.templateCall(in),
		fmt.Sprintf("aws fis start-experiment%s --experiment-template-id TEMPLATE_ID --tags %s  # FIS picks %d of %d task(s); it ends by itself after %s", p.regionFlag(), tagsFlag(ownerTags(f)), f.Selection.Of(len(tasks)), len(tasks), actionDurationOf(in)),
		fmt.Sprintf("aws fis get-experiment%s --id EXPERIMENT_ID  # until running", p.regionFlag()),
		fmt.Sprintf("aws fis stop-experiment%s --id EXPERIMENT_ID  # at rollback, then get-experiment until stopped", p.regionFlag()),
		fmt.Sprintf("aws fis delete-experiment-template%s --id TEMPLATE_ID  # at rollback", p.regionFlag()),
	)
	return calls, nil
}

func actionDurationOf(in *fis.CreateExperimentTemplateInput) string {
	for _, a := range in.Actions {
		if d, ok := a.Parameters["duration"]; ok {
			return d
		}
	}
	return "its action (instant)"
}
