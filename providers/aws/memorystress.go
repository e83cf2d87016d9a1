package aws

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/gameday-tui/gameday/providers"
)

// memory-stress: FIS aws:ecs:task-memory-stress. FIS holds a percent of
// the task's memory, so the fault's memory_mb becomes the percent of the
// smallest task's memory it is (rounded up, at most 100): 2048 MB of a
// 4096 MiB task is 50%.

// memPercentKey carries the computed percent from the tasks to the action.
const memPercentKey = "\x00memory_percent"

func memoryStressAction(f providers.Fault) (fisAction, error) {
	pc, ok := f.Params.Extra.Number(memPercentKey)
	if !ok || pc <= 0 {
		return fisAction{}, errors.New("memory-stress: the tasks' memory is unknown, so memory_mb cannot become FIS's percent")
	}
	params := map[string]string{"percent": strconv.FormatFloat(min(pc, 100), 'f', -1, 64)}
	commonParams(f, params)
	return fisAction{id: "aws:ecs:task-memory-stress", params: params}, nil
}

// withMemoryPercent returns f with the percent of the tasks' memory its
// memory_mb is, read from ECS (DescribeTasks) for the smallest task.
func (p *Provider) withMemoryPercent(ctx context.Context, f providers.Fault, cluster string, tasks []string) (providers.Fault, error) {
	if f.Kind != providers.MemoryStress || len(tasks) == 0 {
		return f, nil
	}
	out, err := p.c.Tasks.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: awssdk.String(cluster), Tasks: tasks[:min(len(tasks), 100)]})
	if err != nil {
		return f, fmt.Errorf("read the tasks' memory: %w", awsErr(err))
	}
	smallest := 0
	for _, t := range out.Tasks {
		if m, err := strconv.Atoi(awssdk.ToString(t.Memory)); err == nil && m > 0 && (smallest == 0 || m < smallest) {
			smallest = m
		}
	}
	if smallest == 0 {
		return f, errors.New("ECS reports no memory size for the tasks, so memory_mb cannot become FIS's percent")
	}
	extra := providers.Fields{}
	for k, v := range f.Params.Extra {
		extra[k] = v
	}
	extra[memPercentKey] = min(100, math.Ceil(float64(f.Params.MemoryMB)*100/float64(smallest)))
	f.Params.Extra = extra
	return f, nil
}
