package aws

import (
	"strconv"

	"github.com/gameday-tui/gameday/providers"
)

// cpu-stress: FIS aws:ecs:task-cpu-stress — load is FIS's percent
// (default 100), workers its number of stressors (default: one per vCPU).

func cpuStressAction(f providers.Fault) (fisAction, error) {
	load := f.Params.Load
	if load <= 0 {
		load = 100
	}
	params := map[string]string{"percent": strconv.Itoa(min(load, 100))}
	if f.Params.Workers > 0 {
		params["workers"] = strconv.Itoa(f.Params.Workers)
	}
	commonParams(f, params)
	return fisAction{id: "aws:ecs:task-cpu-stress", params: params}, nil
}
