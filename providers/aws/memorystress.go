package aws

import (
	"errors"
	"strconv"

	"github.com/gameday-tui/gameday/providers"
)

// memory-stress: FIS aws:ecs:task-memory-stress — FIS holds a percent of
// the task's memory (params.percent), not a number of megabytes.

func memoryStressAction(f providers.Fault) (fisAction, error) {
	pc, ok := f.Params.Extra.Number(ParamPercent)
	if !ok || pc <= 0 {
		return fisAction{}, errors.New("memory-stress on ECS needs params.percent")
	}
	params := map[string]string{"percent": strconv.FormatFloat(min(pc, 100), 'f', -1, 64)}
	if f.Params.Workers > 0 {
		params["workers"] = strconv.Itoa(f.Params.Workers)
	}
	commonParams(f, params)
	return fisAction{id: "aws:ecs:task-memory-stress", params: params}, nil
}
