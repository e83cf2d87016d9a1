package aws

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/fis"
	fistypes "github.com/aws/aws-sdk-go-v2/service/fis/types"

	"github.com/gameday-tui/gameday/providers"
)

// fisAction is one FIS action: its id and parameters, duration aside.
type fisAction struct {
	id     string
	params map[string]string
	// instant actions (stop-task) take no duration.
	instant bool
}

// actionFor maps f to its FIS action (each kind's file has its own).
func actionFor(f providers.Fault) (fisAction, error) {
	switch f.Kind {
	case providers.InstanceStop:
		return stopTaskAction(f), nil
	case providers.Latency:
		return latencyAction(f)
	case providers.CPUStress:
		return cpuStressAction(f)
	case providers.MemoryStress:
		return memoryStressAction(f)
	case providers.DependencyOutage:
		return dependencyOutageAction(f)
	}
	return fisAction{}, fmt.Errorf("%s is not an FIS action of the aws provider", f.Kind)
}

// isoDuration renders d, in whole seconds, as FIS wants it ("PT1M30S").
func isoDuration(d time.Duration) string {
	s := int64(d / time.Second)
	h, m := s/3600, s/60%60
	s %= 60
	out := "PT"
	if h > 0 {
		out += fmt.Sprintf("%dH", h)
	}
	if m > 0 {
		out += fmt.Sprintf("%dM", m)
	}
	if s > 0 || h == 0 && m == 0 {
		out += fmt.Sprintf("%dS", s)
	}
	return out
}

var isoRE = regexp.MustCompile(`^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$`)

// parseISODuration reads an FIS duration parameter ("PT5M").
func parseISODuration(s string) (time.Duration, bool) {
	m := isoRE.FindStringSubmatch(s)
	if m == nil || s == "PT" {
		return 0, false
	}
	h, _ := strconv.Atoi(m[1])
	mi, _ := strconv.Atoi(m[2])
	sec, _ := strconv.ParseFloat(m[3], 64)
	return time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute + time.Duration(sec*float64(time.Second)), true
}

// actionDuration is the FIS action duration for a fault with ttl: the TTL
// (whole seconds, rounded down so FIS ends it in time), or the fault's
// shorter action_duration.
func actionDuration(f providers.Fault, ttl time.Duration) time.Duration {
	d := ttl.Truncate(time.Second)
	if o := f.Params.Extra.Duration(ParamDuration); o > 0 && o < d {
		d = o.Truncate(time.Second)
	}
	return max(d, time.Second)
}

// selectionMode renders a selection as FIS's selectionMode.
func selectionMode(s providers.Selection) string {
	switch {
	case s.Count > 0:
		return fmt.Sprintf("COUNT(%d)", s.Count)
	case s.Percent > 0:
		return fmt.Sprintf("PERCENT(%d)", int(math.Ceil(s.Percent)))
	}
	return "ALL"
}

// clientToken derives an idempotency token from the owner label, so that a
// create or start retried after a call that never answered does not make a
// second one. Empty without an owner (the SDK then makes one up).
func clientToken(owner, what string) *string {
	if owner == "" {
		return nil
	}
	sum := sha256.Sum256([]byte(what + "\x00" + owner))
	return awssdk.String("gameday-" + hex.EncodeToString(sum[:16]))
}

func ownerTags(f providers.Fault) map[string]string {
	if f.Owner == "" {
		return map[string]string{"gameday:fault": f.ID}
	}
	return map[string]string{OwnerTag: f.Owner, "gameday:fault": f.ID}
}

// stopAlarmARNs resolves the target's stop_alarms to ARNs.
func (p *Provider) stopAlarmARNs(ctx context.Context, sc providers.Fields) ([]string, error) {
	names := sc.Strings(FieldStopAlarms)
	if len(names) == 0 {
		return nil, nil
	}
	if p.c.Alarms == nil {
		return nil, errors.New("no CloudWatch client to resolve the stop alarms")
	}
	out, err := p.c.Alarms.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: names})
	if err != nil {
		return nil, fmt.Errorf("find the stop alarms %s: %w", strings.Join(names, ", "), awsErr(err))
	}
	byName := map[string]string{}
	for _, a := range out.MetricAlarms {
		byName[awssdk.ToString(a.AlarmName)] = awssdk.ToString(a.AlarmArn)
	}
	for _, a := range out.CompositeAlarms {
		byName[awssdk.ToString(a.AlarmName)] = awssdk.ToString(a.AlarmArn)
	}
	var arns []string
	for _, n := range names {
		arn, ok := byName[n]
		if !ok {
			return nil, fmt.Errorf("the stop alarm %s does not exist in CloudWatch", n)
		}
		arns = append(arns, arn)
	}
	return arns, nil
}

// templateInput is the FIS experiment template gameday creates for f:
// one action on the fault's tasks, for the TTL, with the stop alarms as
// stop conditions, tagged with the owner.
func (p *Provider) templateInput(f providers.Fault, ttl time.Duration, sc providers.Fields, tasks, alarmARNs []string) (*fis.CreateExperimentTemplateInput, error) {
	act, err := actionFor(f)
	if err != nil {
		return nil, err
	}
	role := f.Params.Extra.String(ParamRoleARN)
	if role == "" {
		role = sc.String(FieldRoleARN)
	}
	if role == "" {
		return nil, errors.New("no role_arn for FIS to assume")
	}
	params := map[string]string{}
	for k, v := range act.params {
		params[k] = v
	}
	if !act.instant {
		params["duration"] = isoDuration(actionDuration(f, ttl))
	}
	target := fistypes.CreateExperimentTemplateTargetInput{ResourceType: awssdk.String("aws:ecs:task"), SelectionMode: awssdk.String(selectionMode(f.Selection))}
	ref := serviceOf(sc)
	if len(sc.Strings(FieldTasks)) > 0 || len(sc.StringMap(FieldTags)) > 0 {
		target.ResourceArns = tasks
	} else {
		target.Parameters = map[string]string{"cluster": ref.cluster, "service": ref.service}
	}
	conds := []fistypes.CreateExperimentTemplateStopConditionInput{{Source: awssdk.String("none")}}
	if len(alarmARNs) > 0 {
		conds = nil
		for _, a := range alarmARNs {
			conds = append(conds, fistypes.CreateExperimentTemplateStopConditionInput{Source: awssdk.String("aws:cloudwatch:alarm"), Value: awssdk.String(a)})
		}
	}
	owner := f.Owner
	if owner == "" {
		owner = "gameday"
	}
	return &fis.CreateExperimentTemplateInput{
		ClientToken: clientToken(f.Owner, "template"),
		Description: awssdk.String(fmt.Sprintf("gameday %s: %s on %s (deleted after the run)", owner, f.Kind, ref)),
		RoleArn:     awssdk.String(role),
		Targets:     map[string]fistypes.CreateExperimentTemplateTargetInput{"Tasks": target},
		Actions: map[string]fistypes.CreateExperimentTemplateActionInput{"Fault": {
			ActionId: awssdk.String(act.id), Parameters: params, Targets: map[string]string{"Tasks": "Tasks"},
			Description: awssdk.String(fmt.Sprintf("gameday fault %s (%s)", f.ID, f.Kind)),
		}},
		StopConditions:    conds,
		ExperimentOptions: &fistypes.CreateExperimentTemplateExperimentOptionsInput{EmptyTargetResolutionMode: fistypes.EmptyTargetResolutionModeFail},
		Tags:              ownerTags(f),
	}, nil
}

// injectCreated runs f as an experiment of a template gameday creates for
// it, and deletes nothing: Rollback stops the experiment and deletes the
// template.
func (p *Provider) injectCreated(ctx context.Context, f providers.Fault, ttl time.Duration, inj providers.Injection) (providers.Injection, error) {
	notApplied := func(err error) (providers.Injection, error) {
		return inj, fmt.Errorf("inject %s: %w: %w", f.ID, providers.ErrNotApplied, err)
	}
	if p.c.Templates == nil || p.c.Experiments == nil {
		return notApplied(errors.New("no FIS client"))
	}
	sc := p.scope(f)
	ref := serviceOf(sc)
	tasks, err := p.runningTasks(ctx, sc)
	if err != nil {
		return notApplied(err)
	}
	if len(tasks) == 0 {
		return notApplied(fmt.Errorf("FIS would refuse to start: its target Tasks resolves to no running task of %s", ref))
	}
	alarms, err := p.stopAlarmARNs(ctx, sc)
	if err != nil {
		return notApplied(err)
	}
	if f, err = p.withMemoryPercent(ctx, f, ref.cluster, tasks); err != nil {
		return notApplied(err)
	}
	in, err := p.templateInput(f, ttl, sc, tasks, alarms)
	if err != nil {
		return notApplied(err)
	}
	inj.Handles = append(inj.Handles, handleService+ref.String())
	n := f.Selection.Of(len(tasks))
	inj.Targets = []providers.Target{{ID: ref.String(), Name: fmt.Sprintf("%d of %d running tasks of %s, chosen by FIS", n, len(tasks), ref)}}
	out, err := p.c.Templates.CreateExperimentTemplate(ctx, in)
	if err != nil {
		if apiCode(err) != "" {
			return notApplied(fmt.Errorf("create the FIS experiment template: %w", awsErr(err)))
		}
		// No answer: the template may exist; Rollback finds it by tag.
		return inj, fmt.Errorf("inject %s: create the FIS experiment template: %w", f.ID, err)
	}
	tid := awssdk.ToString(out.ExperimentTemplate.Id)
	inj.Handles = append(inj.Handles, handleTemplate+tid)
	return p.startExperiment(ctx, f, tid, inj, true)
}

// startExperiment starts template tid for f and waits until it runs. When
// it cannot start, a template gameday created (created) is deleted again,
// so that the error can say nothing was applied.
func (p *Provider) startExperiment(ctx context.Context, f providers.Fault, tid string, inj providers.Injection, created bool) (providers.Injection, error) {
	cleanup := func(cause error) (providers.Injection, error) {
		if created {
			if err := p.deleteTemplate(ctx, tid); err != nil {
				return inj, fmt.Errorf("inject %s: %w (and deleting its template: %v)", f.ID, cause, err)
			}
			inj.Handles = nil
		}
		return inj, fmt.Errorf("inject %s: %w: %w", f.ID, providers.ErrNotApplied, cause)
	}
	start := p.now()
	out, err := p.c.Experiments.StartExperiment(ctx, &fis.StartExperimentInput{
		ExperimentTemplateId: awssdk.String(tid),
		ClientToken:          clientToken(f.Owner, "experiment"),
		Tags:                 ownerTags(f),
	})
	if err != nil {
		if apiCode(err) != "" {
			return cleanup(fmt.Errorf("start the FIS experiment of template %s: %w", tid, awsErr(err)))
		}
		return inj, fmt.Errorf("inject %s: start the FIS experiment of template %s: %w", f.ID, tid, err)
	}
	xid := awssdk.ToString(out.Experiment.Id)
	inj.Handles = append([]string{handleExperiment + xid}, inj.Handles...)
	exp, err := p.waitExperiment(ctx, xid, func(s fistypes.ExperimentStatus) bool {
		return s == fistypes.ExperimentStatusRunning || final(s)
	})
	if err != nil {
		return inj, fmt.Errorf("inject %s: follow FIS experiment %s: %w", f.ID, xid, err)
	}
	st := exp.State
	switch st.Status {
	case fistypes.ExperimentStatusRunning, fistypes.ExperimentStatusCompleted:
	default:
		reason := awssdk.ToString(st.Reason)
		if reason == "" {
			reason = "no reason given"
		}
		cause := fmt.Errorf("FIS experiment %s %s before it ran: %s", xid, st.Status, reason)
		if created {
			inj.Handles = []string{handleTemplate + tid}
		} else {
			inj.Handles = nil
		}
		return cleanup(cause)
	}
	inj.ExpiresAt = start.Add(templateDuration(exp.Actions))
	return inj, nil
}

func final(s fistypes.ExperimentStatus) bool {
	switch s {
	case fistypes.ExperimentStatusCompleted, fistypes.ExperimentStatusStopped, fistypes.ExperimentStatusFailed, fistypes.ExperimentStatusCancelled:
		return true
	}
	return false
}

// waitExperiment polls experiment id until done says its status is far
// enough, or ctx ends.
func (p *Provider) waitExperiment(ctx context.Context, id string, done func(fistypes.ExperimentStatus) bool) (*fistypes.Experiment, error) {
	for {
		out, err := p.c.Experiments.GetExperiment(ctx, &fis.GetExperimentInput{Id: awssdk.String(id)})
		if err != nil {
			return nil, awsErr(err)
		}
		if out.Experiment.State != nil && done(out.Experiment.State.Status) {
			return out.Experiment, nil
		}
		if err := sleep(ctx, p.poll); err != nil {
			return nil, err
		}
	}
}

// templateDuration is how long a template's actions run, over their
// startAfter chains.
func templateDuration[A fistypes.ExperimentAction | fistypes.ExperimentTemplateAction](actions map[string]A) time.Duration {
	type act struct {
		after []string
		d     time.Duration
	}
	acts := map[string]act{}
	for name, a := range actions {
		var params map[string]string
		var after []string
		switch a := any(a).(type) {
		case fistypes.ExperimentAction:
			params, after = a.Parameters, a.StartAfter
		case fistypes.ExperimentTemplateAction:
			params, after = a.Parameters, a.StartAfter
		}
		d, _ := parseISODuration(params["duration"])
		acts[name] = act{after: after, d: d}
	}
	ends := map[string]time.Duration{}
	var end func(string, int) time.Duration
	end = func(name string, depth int) time.Duration {
		if e, ok := ends[name]; ok || depth > len(acts) {
			return e
		}
		var start time.Duration
		for _, dep := range acts[name].after {
			start = max(start, end(dep, depth+1))
		}
		ends[name] = start + acts[name].d
		return ends[name]
	}
	var total time.Duration
	for name := range acts {
		total = max(total, end(name, 0))
	}
	return total
}

// stopExperiment stops experiment id unless it already ended, and waits
// until FIS says it has.
func (p *Provider) stopExperiment(ctx context.Context, id string) (fistypes.ExperimentStatus, error) {
	out, err := p.c.Experiments.GetExperiment(ctx, &fis.GetExperimentInput{Id: awssdk.String(id)})
	if apiCode(err) == "ResourceNotFoundException" {
		return "gone", nil
	}
	if err != nil {
		return "", fmt.Errorf("get FIS experiment %s: %w", id, awsErr(err))
	}
	if st := out.Experiment.State; st != nil && final(st.Status) {
		return st.Status, nil
	}
	if _, err := p.c.Experiments.StopExperiment(ctx, &fis.StopExperimentInput{Id: awssdk.String(id)}); err != nil {
		// It may have ended between the two calls: the wait below says.
		if c := apiCode(err); c != "ConflictException" && c != "ValidationException" && c != "ResourceNotFoundException" {
			return "", fmt.Errorf("stop FIS experiment %s: %w", id, awsErr(err))
		}
	}
	exp, err := p.waitExperiment(ctx, id, final)
	if err != nil {
		return "", fmt.Errorf("wait for FIS experiment %s to stop: %w", id, err)
	}
	return exp.State.Status, nil
}

func (p *Provider) deleteTemplate(ctx context.Context, id string) error {
	_, err := p.c.Templates.DeleteExperimentTemplate(ctx, &fis.DeleteExperimentTemplateInput{Id: awssdk.String(id)})
	if err != nil && apiCode(err) != "ResourceNotFoundException" {
		return fmt.Errorf("delete FIS experiment template %s: %w", id, awsErr(err))
	}
	return nil
}

// owned lists the experiments not yet ended and the templates tagged with
// owner.
func (p *Provider) owned(ctx context.Context, owner string) (experiments, templates []string, err error) {
	if p.c.Lister == nil {
		return nil, nil, errors.New("no FIS client to find what " + owner + " left")
	}
	in := &fis.ListExperimentsInput{MaxResults: awssdk.Int32(100)}
	for pages := 0; pages < 50; pages++ {
		out, err := p.c.Lister.ListExperiments(ctx, in)
		if err != nil {
			return nil, nil, fmt.Errorf("list FIS experiments tagged %s=%s: %w", OwnerTag, owner, awsErr(err))
		}
		for _, e := range out.Experiments {
			if e.Tags[OwnerTag] == owner && (e.State == nil || !final(e.State.Status)) {
				experiments = append(experiments, awssdk.ToString(e.Id))
			}
		}
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	tin := &fis.ListExperimentTemplatesInput{MaxResults: awssdk.Int32(100)}
	for pages := 0; pages < 50; pages++ {
		out, err := p.c.Lister.ListExperimentTemplates(ctx, tin)
		if err != nil {
			return nil, nil, fmt.Errorf("list FIS experiment templates tagged %s=%s: %w", OwnerTag, owner, awsErr(err))
		}
		for _, t := range out.ExperimentTemplates {
			if t.Tags[OwnerTag] == owner {
				templates = append(templates, awssdk.ToString(t.Id))
			}
		}
		if out.NextToken == nil {
			break
		}
		tin.NextToken = out.NextToken
	}
	return experiments, templates, nil
}

// templateCall renders in as the exact CLI call that creates it.
func (p *Provider) templateCall(in *fis.CreateExperimentTemplateInput) string {
	type action struct {
		ActionID   string            `json:"actionId"`
		Parameters map[string]string `json:"parameters,omitempty"`
		Targets    map[string]string `json:"targets"`
	}
	type target struct {
		ResourceType  string            `json:"resourceType"`
		SelectionMode string            `json:"selectionMode"`
		Parameters    map[string]string `json:"parameters,omitempty"`
		ResourceArns  []string          `json:"resourceArns,omitempty"`
	}
	type cond struct {
		Source string `json:"source"`
		Value  string `json:"value,omitempty"`
	}
	body := struct {
		Description    string            `json:"description"`
		RoleArn        string            `json:"roleArn"`
		Targets        map[string]target `json:"targets"`
		Actions        map[string]action `json:"actions"`
		StopConditions []cond            `json:"stopConditions"`
		Options        map[string]string `json:"experimentOptions"`
		Tags           map[string]string `json:"tags"`
	}{
		Description: awssdk.ToString(in.Description), RoleArn: awssdk.ToString(in.RoleArn),
		Targets: map[string]target{}, Actions: map[string]action{}, Tags: in.Tags,
		Options: map[string]string{"emptyTargetResolutionMode": "fail"},
	}
	for k, t := range in.Targets {
		body.Targets[k] = target{ResourceType: awssdk.ToString(t.ResourceType), SelectionMode: awssdk.ToString(t.SelectionMode), Parameters: t.Parameters, ResourceArns: t.ResourceArns}
	}
	for k, a := range in.Actions {
		body.Actions[k] = action{ActionID: awssdk.ToString(a.ActionId), Parameters: a.Parameters, Targets: a.Targets}
	}
	for _, c := range in.StopConditions {
		body.StopConditions = append(body.StopConditions, cond{Source: awssdk.ToString(c.Source), Value: awssdk.ToString(c.Value)})
	}
	b, _ := json.Marshal(body)
	return fmt.Sprintf("aws fis create-experiment-template%s --cli-input-json '%s'", p.regionFlag(), b)
}

func tagsFlag(tags map[string]string) string {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+"="+tags[k])
	}
	return strings.Join(parts, ",")
}
