package aws

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/gameday-tui/gameday/providers"
)

// instance-stop: stop a percent or count of an ECS service's running
// tasks, chosen at random with a seed the Injection journals. Mode
// stop-task (the default) calls ECS StopTask with a reason naming the run;
// mode fis runs FIS's aws:ecs:stop-task in a template gameday creates (so
// the stop alarms are FIS stop conditions too). Either way a stopped task
// is not restored: the service scheduler replaces it, and the fault is
// verified clean when runningCount is back to desiredCount.

func stopTaskAction(providers.Fault) fisAction {
	return fisAction{id: "aws:ecs:stop-task", instant: true}
}

// stopReason is the reason StopTask records on each task, naming the run.
func stopReason(f providers.Fault) string {
	owner := f.Owner
	if owner == "" {
		owner = "(dry run)"
	}
	return fmt.Sprintf("gameday %s: chaos game day fault %s (instance-stop)", owner, f.ID)
}

// chooseTasks picks k of tasks (sorted) with seed: the same seed and tasks
// give the same choice.
func chooseTasks(tasks []string, k int, seed int64) []string {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6761_6d65_6461_79))
	perm := rng.Perm(len(tasks))
	out := make([]string, 0, k)
	for _, i := range perm[:k] {
		out = append(out, tasks[i])
	}
	slices.Sort(out)
	return out
}

func (p *Provider) taskSeed(f providers.Fault) int64 {
	if f.Params.Extra.Has(ParamSeed) {
		return int64(f.Params.Extra.Int(ParamSeed))
	}
	return p.seed()
}

func (p *Provider) injectStopTask(ctx context.Context, f providers.Fault, inj providers.Injection) (providers.Injection, error) {
	sc := p.scope(f)
	ref := serviceOf(sc)
	tasks, err := p.runningTasks(ctx, sc)
	if err != nil {
		return inj, fmt.Errorf("inject %s: %w: %w", f.ID, providers.ErrNotApplied, err)
	}
	k := f.Selection.Of(len(tasks))
	if k == 0 {
		return inj, fmt.Errorf("inject %s: %w: no running task of %s matches", f.ID, providers.ErrNotApplied, ref)
	}
	inj.Seed = p.taskSeed(f)
	chosen := chooseTasks(tasks, k, inj.Seed)
	inj.Handles = []string{handleService + ref.String()}
	inj.ExpiresAt = p.now()
	var errs []error
	for _, arn := range chosen {
		_, err := p.c.Tasks.StopTask(ctx, &ecs.StopTaskInput{Cluster: awssdk.String(ref.cluster), Task: awssdk.String(arn), Reason: awssdk.String(stopReason(f))})
		if err != nil {
			errs = append(errs, fmt.Errorf("stop task %s: %w", arn, awsErr(err)))
			if apiCode(err) == "" {
				// No answer: the task may have been stopped.
				inj.Targets = append(inj.Targets, taskTarget(arn, ref.service))
				inj.Handles = append(inj.Handles, handleTask+arn)
			}
			continue
		}
		inj.Targets = append(inj.Targets, taskTarget(arn, ref.service))
		inj.Handles = append(inj.Handles, handleTask+arn)
	}
	if err := errors.Join(errs...); err != nil {
		if len(inj.Targets) == 0 {
			return inj, fmt.Errorf("inject %s: %w: %w", f.ID, providers.ErrNotApplied, err)
		}
		return inj, fmt.Errorf("inject %s: %w", f.ID, err)
	}
	return inj, nil
}

// planStopTask is the dry run of mode stop-task.
func (p *Provider) planStopTask(ctx context.Context, f providers.Fault) ([]string, error) {
	sc := p.scope(f)
	ref := serviceOf(sc)
	tasks, err := p.runningTasks(ctx, sc)
	if err != nil {
		return nil, fmt.Errorf("plan %s: %w", f.ID, err)
	}
	k := f.Selection.Of(len(tasks))
	seed := "a seed drawn at inject time and journaled"
	if f.Params.Extra.Has(ParamSeed) {
		seed = fmt.Sprintf("seed %d", p.taskSeed(f))
	}
	calls := []string{
		fmt.Sprintf("aws ecs list-tasks%s --cluster %s --service-name %s --desired-status RUNNING  # now %d running task(s)", p.regionFlag(), ref.cluster, ref.service, len(tasks)),
	}
	if k == 0 {
		return append(calls, "# no running task matches now: the inject would be refused"), nil
	}
	example := chooseTasks(tasks, k, p.taskSeed(f))
	calls = append(calls, fmt.Sprintf("aws ecs stop-task%s --cluster %s --task TASK_ARN --reason %q  # for each of %d of %d tasks (%s) chosen with %s, e.g. %s",
		p.regionFlag(), ref.cluster, stopReason(f), k, len(tasks), f.Selection, seed, example[0]))
	calls = append(calls, fmt.Sprintf("aws ecs describe-services%s --cluster %s --services %s  # verify: runningCount back to desiredCount; stopped tasks are replaced by the scheduler, not restored", p.regionFlag(), ref.cluster, ref.service))
	return calls, nil
}
