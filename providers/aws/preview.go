package aws

import (
	"fmt"
	"strings"

	"github.com/gameday-tui/gameday/providers"
)

var (
	_ providers.Previewer    = (*Provider)(nil)
	_ providers.RandomPicker = (*Provider)(nil)
)

// PicksAtInject reports whether f's targets are drawn at inject time: ECS
// tasks chosen by a percent or a count, by gameday's seeded choice or by
// FIS's own.
func (p *Provider) PicksAtInject(f providers.Fault) bool {
	if f.Kind == providers.DBFailure {
		return false
	}
	if f.Kind == FISTemplate {
		return true // FIS resolves the template's targets when it starts
	}
	return f.Selection.Count > 0 || f.Selection.Percent > 0
}

// Preview says what f will do to targets, in the plan card's words.
func (p *Provider) Preview(f providers.Fault, targets []providers.Target, total int) string {
	names := make([]string, 0, len(targets))
	for _, t := range targets {
		names = append(names, t.Name)
	}
	eg := strings.Join(names, ", ")
	sc := p.scope(f)
	switch {
	case f.Kind == providers.DBFailure && kindMode(f) == ModeReboot:
		return "will reboot with failover " + eg
	case f.Kind == providers.DBFailure:
		to := "a reader RDS picks"
		if t := f.Params.Extra.String(ParamTargetInstance); t != "" {
			to = t
		}
		return fmt.Sprintf("will fail over %s to %s; waited out, not undone", eg, to)
	case f.Kind == FISTemplate || f.Params.Extra.Has(ParamTemplateID):
		return fmt.Sprintf("will start FIS experiment template %s; FIS resolves its targets at start, now e.g. %s", f.Params.Extra.String(ParamTemplateID), eg)
	case f.Kind == providers.InstanceStop && kindMode(f) == ModeStopTask:
		return fmt.Sprintf("will stop %d of %d running tasks of %s (%s), chosen at inject time with a journaled seed, e.g. %s; the scheduler replaces them", len(targets), total, serviceOf(sc), f.Selection, eg)
	}
	act, err := actionFor(f)
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("FIS %s on %d of %d running tasks of %s (%s), chosen by FIS at start, e.g. %s", act.id, len(targets), total, serviceOf(sc), selectionMode(f.Selection), eg)
}
