package sandbox

import (
	"fmt"
	"strings"

	"github.com/gameday-tui/gameday/providers"
)

var _ providers.Previewer = (*Client)(nil)

// Preview says what f will do to targets, as the plan card and the
// headless blast line show it: "will stop 1 of 4 replicas, chosen at
// inject time, e.g. replica-3 (pid 4242)". Replicas named in the fault's
// target are hit as named; a count or percent is drawn at inject time
// among the healthy replicas, so the names are an example.
func (c *Client) Preview(f providers.Fault, targets []providers.Target, total int) string {
	if len(targets) == 0 {
		return "matches nothing right now"
	}
	names := make([]string, len(targets))
	for i, t := range targets {
		names[i] = t.Name
	}
	list := strings.Join(names, ", ")
	of := fmt.Sprintf("%d of %d replicas", len(targets), total)
	if total <= 0 {
		of = fmt.Sprintf("%d replica(s)", len(targets))
	}
	if len(f.Target.Strings("names")) > 0 {
		of += ": " + list
	} else if f.Selection.Count > 0 || f.Selection.Percent > 0 {
		of += ", chosen at inject time, e.g. " + list
	} else {
		of += ": " + list
	}
	switch f.Kind {
	case providers.InstanceStop:
		if f.Params.Mode == "pause" {
			return "will pause " + of
		}
		return "will stop " + of
	case providers.Latency:
		return fmt.Sprintf("will delay %s by %s", of, f.Params.Delay)
	case providers.CPUStress:
		return "will burn CPU in " + of
	case providers.MemoryStress:
		return fmt.Sprintf("will hold %d MB in %s", f.Params.MemoryMB, of)
	case providers.DBFailure:
		if f.Params.Mode == "pause" {
			return "will pause the database: " + list
		}
		return "will stop the database: " + list
	case providers.DependencyOutage:
		if f.Params.Mode == "error" {
			return "will make the dependency fail: " + list
		}
		return "will blackhole the dependency: " + list
	}
	return "will hit " + list
}
