package aws

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/fis"
	fistypes "github.com/aws/aws-sdk-go-v2/service/fis/types"

	"github.com/gameday-tui/gameday/providers"
)

// fis-template (and any FIS kind with params.template_id): start an
// existing experiment template — `aws fis start-experiment
// --experiment-template-id …` — tagged with the owner, follow it until it
// runs, stop it on rollback. gameday never deletes a template it did not
// create. The TTL contract holds only if the template's actions end within
// the TTL, so a longer template is refused before it starts.

func (p *Provider) getTemplate(ctx context.Context, id string) (*fistypes.ExperimentTemplate, error) {
	if p.c.Templates == nil {
		return nil, errors.New("no FIS client")
	}
	out, err := p.c.Templates.GetExperimentTemplate(ctx, &fis.GetExperimentTemplateInput{Id: awssdk.String(id)})
	if err != nil {
		return nil, fmt.Errorf("get FIS experiment template %s: %w", id, awsErr(err))
	}
	return out.ExperimentTemplate, nil
}

// checkTemplate refuses a template that would outlive ttl, or that does
// not do what f's kind says.
func checkTemplate(f providers.Fault, t *fistypes.ExperimentTemplate, ttl time.Duration) error {
	id := awssdk.ToString(t.Id)
	if d := templateDuration(t.Actions); d > ttl {
		return fmt.Errorf("FIS experiment template %s runs for %s, beyond the fault's TTL of %s: shorten its actions' durations or lengthen the fault", id, d, ttl)
	}
	if f.Kind == FISTemplate {
		return nil
	}
	act, err := actionFor(f)
	if f.Kind == providers.MemoryStress {
		act, err = fisAction{id: "aws:ecs:task-memory-stress"}, nil
	}
	if err != nil {
		return err
	}
	var ids []string
	for _, a := range t.Actions {
		ids = append(ids, awssdk.ToString(a.ActionId))
		if awssdk.ToString(a.ActionId) == act.id {
			return nil
		}
	}
	return fmt.Errorf("FIS experiment template %s has no %s action for a %s fault (it has %s)", id, act.id, f.Kind, strings.Join(ids, ", "))
}

func (p *Provider) injectTemplate(ctx context.Context, f providers.Fault, ttl time.Duration, inj providers.Injection) (providers.Injection, error) {
	tid := f.Params.Extra.String(ParamTemplateID)
	t, err := p.getTemplate(ctx, tid)
	if err == nil {
		err = checkTemplate(f, t, ttl)
	}
	if err != nil {
		return inj, fmt.Errorf("inject %s: %w: %w", f.ID, providers.ErrNotApplied, err)
	}
	if ts, err := p.templateTargets(ctx, f); err == nil {
		inj.Targets = ts
	}
	// Verify checks every ECS service the template acts on is whole again.
	for _, s := range templateServices(t, p.scope(f)) {
		inj.Handles = append(inj.Handles, handleService+s.String())
	}
	return p.startExperiment(ctx, f, tid, inj, false)
}

// templateServices are the ECS services a template's task targets name,
// or the scope's service when they choose tasks by ARN or tag.
func templateServices(t *fistypes.ExperimentTemplate, sc providers.Fields) []ecsRef {
	var out []ecsRef
	for _, tg := range t.Targets {
		if awssdk.ToString(tg.ResourceType) != "aws:ecs:task" {
			continue
		}
		ref := ecsRef{cluster: tg.Parameters["cluster"], service: tg.Parameters["service"]}
		if ref.service == "" {
			ref = serviceOf(sc)
		}
		if ref.service != "" && !slices.Contains(out, ref) {
			out = append(out, ref)
		}
	}
	return out
}

// templateTargets resolves an existing template's targets the way FIS
// would: ECS task targets by cluster and service, others by their ARNs.
func (p *Provider) templateTargets(ctx context.Context, f providers.Fault) ([]providers.Target, error) {
	tid := f.Params.Extra.String(ParamTemplateID)
	t, err := p.getTemplate(ctx, tid)
	if err != nil {
		return nil, fmt.Errorf("resolve targets of %s: %w", f.ID, err)
	}
	names := make([]string, 0, len(t.Targets))
	for n := range t.Targets {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []providers.Target
	for _, n := range names {
		tg := t.Targets[n]
		mode := awssdk.ToString(tg.SelectionMode)
		sel := selectionOf(mode)
		if f.Kind != FISTemplate && (f.Selection != providers.Selection{}) {
			sel = f.Selection
		}
		switch {
		case awssdk.ToString(tg.ResourceType) == "aws:ecs:task" && tg.Parameters["cluster"] != "" && len(tg.ResourceArns) == 0 && len(tg.ResourceTags) == 0:
			sc := providers.Fields{FieldCluster: tg.Parameters["cluster"], FieldService: tg.Parameters["service"]}
			arns, err := p.runningTasks(ctx, sc)
			if err != nil {
				return nil, fmt.Errorf("resolve FIS target %s of template %s: %w", n, tid, err)
			}
			for _, a := range arns[:sel.Of(len(arns))] {
				out = append(out, taskTarget(a, tg.Parameters["service"]))
			}
		case len(tg.ResourceArns) > 0:
			for _, a := range tg.ResourceArns[:sel.Of(len(tg.ResourceArns))] {
				out = append(out, providers.Target{ID: a, Name: a})
			}
		default:
			out = append(out, providers.Target{ID: tid + "/" + n, Name: fmt.Sprintf("FIS target %s: %s %s, resolved by FIS at start (tags %s)", n, awssdk.ToString(tg.ResourceType), mode, tagsFlag(tg.ResourceTags))})
		}
	}
	return out, nil
}

// selectionOf reads FIS's selectionMode as a Selection.
func selectionOf(mode string) providers.Selection {
	var n float64
	switch {
	case strings.HasPrefix(mode, "COUNT("):
		_, _ = fmt.Sscanf(mode, "COUNT(%g)", &n)
		return providers.Selection{Count: int(n)}
	case strings.HasPrefix(mode, "PERCENT("):
		_, _ = fmt.Sscanf(mode, "PERCENT(%g)", &n)
		return providers.Selection{Percent: n}
	}
	return providers.Selection{}
}

func (p *Provider) planTemplate(ctx context.Context, f providers.Fault, ttl time.Duration) ([]string, error) {
	tid := f.Params.Extra.String(ParamTemplateID)
	t, err := p.getTemplate(ctx, tid)
	if err != nil {
		return nil, fmt.Errorf("plan %s: %w", f.ID, err)
	}
	note := "its actions are instant"
	if d := templateDuration(t.Actions); d > 0 {
		note = fmt.Sprintf("runs for %s", d)
	}
	if err := checkTemplate(f, t, ttl); err != nil {
		note = "would be refused: " + err.Error()
	}
	return []string{
		fmt.Sprintf("aws fis start-experiment%s --experiment-template-id %s --tags %s  # %s", p.regionFlag(), tid, tagsFlag(ownerTags(f)), note),
		fmt.Sprintf("aws fis get-experiment%s --id EXPERIMENT_ID  # until running", p.regionFlag()),
		fmt.Sprintf("aws fis stop-experiment%s --id EXPERIMENT_ID  # at rollback, then get-experiment until stopped; the template is kept", p.regionFlag()),
	}, nil
}
