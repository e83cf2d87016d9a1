package aws_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/internal/awsfake"
	"github.com/gameday-tui/gameday/providers"
	gdaws "github.com/gameday-tui/gameday/providers/aws"
)

// without returns policy with action removed from every statement.
func without(t *testing.T, policy []byte, action string) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(policy, &doc); err != nil {
		t.Fatal(err)
	}
	var kept []any
	for _, s := range doc["Statement"].([]any) {
		st := s.(map[string]any)
		var acts []any
		switch a := st["Action"].(type) {
		case string:
			acts = []any{a}
		case []any:
			acts = a
		}
		acts = slices.DeleteFunc(slices.Clone(acts), func(a any) bool { return a == action })
		if len(acts) > 0 {
			st["Action"] = acts
			kept = append(kept, st)
		}
	}
	doc["Statement"] = kept
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// exercise makes every call the provider can make: each kind's inject,
// rollback and verify, a recover by owner, a dry run, the running count,
// the identity, the metric source and the alarm stop condition. It
// returns the first error.
func exercise(ctx context.Context, e *env) error {
	p := e.provider()
	tid := e.fake.AddTemplate(awsfake.TemplateSpec{RoleArn: roleARN,
		Targets: map[string]any{"Tasks": map[string]any{"resourceType": "aws:ecs:task", "selectionMode": "COUNT(1)", "parameters": map[string]any{"cluster": cluster, "service": service}}},
		Actions: map[string]any{"Stop": map[string]any{"actionId": "aws:ecs:stop-task", "targets": map[string]any{"Tasks": "Tasks"}}},
	})
	faults := []providers.Fault{
		fault(providers.InstanceStop, func(f *providers.Fault) { f.Target = providers.Fields{"tags": map[string]any{"app": "myapp"}} }),
		fault(providers.Latency, func(f *providers.Fault) { f.Params.Delay = 100 * time.Millisecond }),
		fault(gdaws.FISTemplate, func(f *providers.Fault) { f.Params.Extra["template_id"] = tid }),
		fault(providers.DBFailure),
	}
	if _, err := p.Identity(ctx); err != nil {
		return err
	}
	if _, err := p.Running(ctx); err != nil {
		return err
	}
	for i, f := range faults {
		f.ID, f.Owner = f.ID+string(rune('a'+i)), f.Owner+string(rune('a'+i))
		if _, err := p.Targets(ctx, f); err != nil {
			return err
		}
		if _, err := p.Plan(ctx, f, time.Minute); err != nil {
			return err
		}
		inj, err := p.Inject(ctx, f, time.Minute)
		if err != nil {
			return err
		}
		if err := p.Rollback(ctx, inj); err != nil {
			return err
		}
		for {
			v, err := p.Verify(ctx, inj)
			if err != nil {
				return err
			}
			if v.Clean {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	reboot := gdaws.New(e.c, providers.Fields{"db_instance": dbMultiAZ}, gdaws.WithPollInterval(10*time.Millisecond))
	inj, err := reboot.Inject(ctx, fault(providers.DBFailure, func(f *providers.Fault) { f.Params.Mode = "reboot" }), time.Minute)
	if err != nil {
		return err
	}
	if err := reboot.Rollback(ctx, inj); err != nil {
		return err
	}
	src := gdaws.NewCloudWatchSource(e.c.Metrics, providers.Fields{"alb": albDim, "period": "1s"})
	if _, err := src.Poll(ctx); err != nil {
		return err
	}
	return nil
}

// TestIAMPolicyIsSufficientAndMinimal: with the shipped policy every call
// succeeds, every action of the policy is used, and without any one of
// them the provider says which action is missing.
func TestIAMPolicyIsSufficientAndMinimal(t *testing.T) {
	policy := gdaws.IAMPolicy()
	e := newEnv(t)
	if err := e.fake.SetPolicy(policy); err != nil {
		t.Fatal(err)
	}
	if err := exercise(ctxT(t), e); err != nil {
		t.Fatalf("with the shipped policy: %v", err)
	}
	parsed, err := awsfake.ParsePolicy(policy)
	if err != nil {
		t.Fatal(err)
	}
	var granted []string
	for _, s := range parsed.Statements {
		granted = append(granted, s.Actions...)
	}
	used := map[string]bool{}
	for _, r := range e.fake.Requests() {
		used[r.Action] = true
	}
	used["iam:PassRole"] = len(e.fake.Calls("fis:CreateExperimentTemplate")) > 0
	used["fis:TagResource"] = used["iam:PassRole"]
	for _, a := range granted {
		if !used[a] {
			t.Errorf("the policy grants %s, which gameday never calls", a)
		}
	}
	for a := range used {
		if !slices.Contains(granted, a) {
			t.Errorf("gameday calls %s, which the policy lacks", a)
		}
	}
	for _, action := range granted {
		t.Run(action, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			if err := e.fake.SetPolicy(without(t, policy, action)); err != nil {
				t.Fatal(err)
			}
			err := exercise(ctxT(t), e)
			var denied *gdaws.AccessDeniedError
			if !errors.As(err, &denied) || denied.Action != action || !strings.Contains(err.Error(), action) {
				t.Fatalf("without %s: %v", action, err)
			}
		})
	}
}
