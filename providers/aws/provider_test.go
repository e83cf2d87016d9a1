package aws_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/internal/awsfake"
	"github.com/gameday-tui/gameday/providers"
	gdaws "github.com/gameday-tui/gameday/providers/aws"
)

func fault(kind providers.Kind, mutate ...func(*providers.Fault)) providers.Fault {
	f := providers.Fault{ID: "f1", Kind: kind, Owner: "run1.f1", Selection: providers.Selection{Percent: 10}, Params: providers.Params{Extra: providers.Fields{}}}
	for _, m := range mutate {
		m(&f)
	}
	return f
}

func mustVerifyClean(t *testing.T, p *gdaws.Provider, inj providers.Injection) providers.Verification {
	t.Helper()
	var v providers.Verification
	eventually(t, "a clean verification of "+inj.FaultID, func() bool {
		var err error
		v, err = p.Verify(context.Background(), inj)
		if err != nil {
			t.Fatalf("verify: %v", err)
		}
		return v.Clean
	})
	return v
}

func TestInstanceStopStopsChosenTasksWithJournaledSeed(t *testing.T) {
	e := newEnv(t)
	p := e.provider()
	ctx := ctxT(t)
	f := fault(providers.InstanceStop)
	targets, err := p.Targets(ctx, f)
	if err != nil || len(targets) != 1 {
		t.Fatalf("Targets: %v, %v; want 1 of 10", targets, err)
	}
	if n, err := p.TargetCount(ctx, f); err != nil || n != 10 {
		t.Fatalf("TargetCount: %d, %v", n, err)
	}
	inj, err := p.Inject(ctx, f, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if inj.Seed != 42 || len(inj.Targets) != 1 || inj.Owner != "run1.f1" {
		t.Fatalf("injection %+v: want seed 42 journaled and 1 target", inj)
	}
	stops := e.fake.Calls("ecs:StopTask")
	if len(stops) != 1 || stops[0].Params["task"] != inj.Targets[0].ID || !strings.Contains(stops[0].Params["reason"].(string), "run1.f1") {
		t.Fatalf("StopTask calls %+v; want one, on the chosen task, with a reason naming the run", stops)
	}
	st, _ := e.fake.Service(cluster, service)
	if st.Stopped[inj.Targets[0].ID] == "" {
		t.Fatalf("the chosen task was not stopped: %+v", st)
	}
	// The same seed over the same tasks chooses the same task.
	e2 := newEnv(t)
	inj2, err := e2.provider().Inject(ctx, f, time.Minute)
	if err != nil || inj2.Targets[0].ID != inj.Targets[0].ID {
		t.Fatalf("seed 42 chose %v then %v", inj.Targets, inj2.Targets)
	}
	// Another seed (a scenario's params.seed) may choose another; it is
	// journaled as given.
	inj3, err := e2.provider().Inject(ctx, fault(providers.InstanceStop, func(f *providers.Fault) { f.Params.Extra["seed"] = 7 }), time.Minute)
	if err != nil || inj3.Seed != 7 {
		t.Fatalf("seed from params: %+v, %v", inj3, err)
	}

	if err := p.Rollback(ctx, inj); err != nil {
		t.Fatal(err)
	}
	v := mustVerifyClean(t, p, inj)
	if !strings.Contains(strings.Join(v.Details, "\n"), "10 of 10") {
		t.Errorf("verification details %q do not say the service is back to 10 of 10", v.Details)
	}
	if !strings.Contains(p.ManualRollback(inj), "aws ecs describe-services --region us-east-1 --cluster myapp-cluster --services myapp-service") {
		t.Errorf("manual rollback: %s", p.ManualRollback(inj))
	}
}

func TestVerifyIsDirtyUntilTheServiceIsBack(t *testing.T) {
	e := newEnv(t, awsfake.WithTimings(awsfake.Timings{TaskReplace: time.Hour}))
	p := e.provider()
	ctx := ctxT(t)
	inj, err := p.Inject(ctx, fault(providers.InstanceStop), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	v, err := p.Verify(ctx, inj)
	if err != nil || v.Clean || !strings.Contains(strings.Join(v.Details, " "), "runs 9 of 10") {
		t.Fatalf("verify with a task not yet replaced: %+v, %v", v, err)
	}
}

// TestFISKinds runs each classic kind that FIS implements on ECS through a
// template gameday creates: the template's action and parameters, the TTL
// as action duration, the alarm as stop condition, the owner tag; then a
// rollback that stops the experiment and deletes the template.
func TestFISKinds(t *testing.T) {
	tests := map[string]struct {
		f      providers.Fault
		action string
		params map[string]any
	}{
		"latency": {fault(providers.Latency, func(f *providers.Fault) {
			f.Params.Delay, f.Params.Jitter = 500*time.Millisecond, 50*time.Millisecond
			f.Params.Extra["sources"] = []any{"10.0.0.0/16"}
		}), "aws:ecs:task-network-latency", map[string]any{"delayMilliseconds": "500", "jitterMilliseconds": "50", "sources": "10.0.0.0/16", "duration": "PT1M30S"}},
		"cpu-stress": {fault(providers.CPUStress, func(f *providers.Fault) { f.Params.Load, f.Params.Workers = 80, 2 }),
			"aws:ecs:task-cpu-stress", map[string]any{"percent": "80", "workers": "2", "duration": "PT1M30S"}},
		// 1536 MB of the fake's 2048 MiB tasks.
		"memory-stress": {fault(providers.MemoryStress, func(f *providers.Fault) { f.Params.MemoryMB = 1536 }),
			"aws:ecs:task-memory-stress", map[string]any{"percent": "75", "duration": "PT1M30S"}},
		"dependency-outage blackhole": {fault(providers.DependencyOutage, func(f *providers.Fault) {
			f.Params.Extra["port"], f.Params.Extra["protocol"] = 5432, "tcp"
		}), "aws:ecs:task-network-blackhole-port", map[string]any{"port": "5432", "protocol": "tcp", "trafficType": "egress", "duration": "PT1M30S"}},
		"dependency-outage loss": {fault(providers.DependencyOutage, func(f *providers.Fault) {
			f.Params.Mode = "loss"
			f.Params.Extra["loss_percent"] = 40.0
			f.Params.Extra["action_duration"] = "45s"
		}), "aws:ecs:task-network-packet-loss", map[string]any{"lossPercent": "40", "duration": "PT45S"}},
		"instance-stop via FIS": {fault(providers.InstanceStop, func(f *providers.Fault) { f.Params.Mode = "fis" }),
			"aws:ecs:stop-task", map[string]any{}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			p := e.provider()
			ctx := ctxT(t)
			inj, err := p.Inject(ctx, tc.f, 90*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			creates := e.fake.Calls("fis:CreateExperimentTemplate")
			if len(creates) != 1 {
				t.Fatalf("%d templates created", len(creates))
			}
			in := creates[0].Params
			act := in["actions"].(map[string]any)["Fault"].(map[string]any)
			if act["actionId"] != tc.action || !reflect.DeepEqual(act["parameters"], tc.params) && len(tc.params) > 0 {
				t.Errorf("action %v %v, want %s %v", act["actionId"], act["parameters"], tc.action, tc.params)
			}
			tgt := in["targets"].(map[string]any)["Tasks"].(map[string]any)
			if tgt["selectionMode"] != "PERCENT(10)" || !reflect.DeepEqual(tgt["parameters"], map[string]any{"cluster": cluster, "service": service}) {
				t.Errorf("target %v", tgt)
			}
			if !reflect.DeepEqual(in["stopConditions"], []any{map[string]any{"source": "aws:cloudwatch:alarm", "value": awsfake.AlarmARN(alarm)}}) {
				t.Errorf("stop conditions %v", in["stopConditions"])
			}
			if in["roleArn"] != roleARN || in["tags"].(map[string]any)[gdaws.OwnerTag] != "run1.f1" {
				t.Errorf("role %v tags %v", in["roleArn"], in["tags"])
			}
			starts := e.fake.Calls("fis:StartExperiment")
			if len(starts) != 1 || starts[0].Params["tags"].(map[string]any)[gdaws.OwnerTag] != "run1.f1" {
				t.Fatalf("StartExperiment calls %+v", starts)
			}
			exps := e.fake.Experiments()
			if len(exps) != 1 || !slices.Contains(inj.Handles, "experiment:"+exps[0].ID) {
				t.Fatalf("experiments %+v, handles %v", exps, inj.Handles)
			}
			if tc.action == "aws:ecs:stop-task" {
				eventually(t, "the FIS stop-task to stop 1 task", func() bool { st, _ := e.fake.Service(cluster, service); return len(st.Stopped) == 1 })
			} else if exps[0].Status != "running" {
				t.Fatalf("experiment %s after Inject, want running", exps[0].Status)
			}
			if err := p.Rollback(ctx, inj); err != nil {
				t.Fatal(err)
			}
			if st := e.fake.Experiments()[0].Status; st != "stopped" && st != "completed" {
				t.Errorf("experiment %s after Rollback", st)
			}
			if len(e.fake.Templates()) != 0 {
				t.Errorf("templates left: %v", e.fake.Templates())
			}
			mustVerifyClean(t, p, inj)
			// Idempotent: a second rollback (recover after a confirmed
			// one) changes nothing and succeeds.
			if err := p.Rollback(ctx, inj); err != nil {
				t.Fatalf("second rollback: %v", err)
			}
		})
	}
}

// TestExperimentEndsByItselfAtTTL: nobody rolls back; FIS ends the
// experiment when its action duration (the TTL) passes.
func TestExperimentEndsByItselfAtTTL(t *testing.T) {
	e := newEnv(t)
	p := e.provider()
	inj, err := p.Inject(ctxT(t), fault(providers.CPUStress), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if d := e.fake.Calls("fis:CreateExperimentTemplate")[0].Params["actions"].(map[string]any)["Fault"].(map[string]any)["parameters"].(map[string]any)["duration"]; d != "PT1S" {
		t.Fatalf("duration %v, want the TTL PT1S", d)
	}
	eventually(t, "the experiment to complete by itself", func() bool { return e.fake.Experiments()[0].Status == "completed" })
	if inj.ExpiresAt.IsZero() {
		t.Error("no ExpiresAt")
	}
}

func TestExistingTemplate(t *testing.T) {
	e := newEnv(t)
	p := e.provider()
	ctx := ctxT(t)
	spec := awsfake.TemplateSpec{
		RoleArn:    roleARN,
		Targets:    map[string]any{"Tasks": map[string]any{"resourceType": "aws:ecs:task", "selectionMode": "PERCENT(20)", "parameters": map[string]any{"cluster": cluster, "service": service}}},
		Actions:    map[string]any{"Stress": map[string]any{"actionId": "aws:ecs:task-cpu-stress", "parameters": map[string]any{"duration": "PT2M"}, "targets": map[string]any{"Tasks": "Tasks"}}},
		StopAlarms: []string{alarm},
	}
	tid := e.fake.AddTemplate(spec)
	f := fault(gdaws.FISTemplate, func(f *providers.Fault) { f.Selection = providers.Selection{}; f.Params.Extra["template_id"] = tid })
	ts, err := p.Targets(ctx, f)
	if err != nil || len(ts) != 2 {
		t.Fatalf("targets of a PERCENT(20) template on 10 tasks: %v, %v", ts, err)
	}

	// Longer than the TTL: refused before it starts.
	_, err = p.Inject(ctx, f, time.Minute)
	if !errors.Is(err, providers.ErrNotApplied) || !strings.Contains(err.Error(), "beyond the fault's TTL") {
		t.Fatalf("a 2m template under a 1m TTL: %v", err)
	}
	if n := len(e.fake.Calls("fis:StartExperiment")); n != 0 {
		t.Fatalf("%d experiments started", n)
	}

	inj, err := p.Inject(ctx, f, 3*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.fake.Calls("fis:StartExperiment")[0].Params["experimentTemplateId"]; got != tid {
		t.Fatalf("started %v, want %s", got, tid)
	}
	if err := p.Rollback(ctx, inj); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.fake.Templates()[tid]; !ok {
		t.Fatal("rollback deleted a template gameday did not create")
	}
	if n := len(e.fake.Calls("fis:StopExperiment")); n != 1 {
		t.Fatalf("%d stops", n)
	}
	mustVerifyClean(t, p, inj)
	if m := p.ManualRollback(inj); !strings.Contains(m, "aws fis stop-experiment --region us-east-1 --id "+e.fake.Experiments()[0].ID) {
		t.Errorf("manual rollback %q", m)
	}
}

// TestEmptyTargetsRefuse: FIS refuses an experiment whose targets resolve
// to nothing; gameday says so and counts it as not applied.
func TestEmptyTargetsRefuse(t *testing.T) {
	e := newEnv(t)
	e.fake.AddService(awsfake.ServiceSpec{Cluster: cluster, Service: "idle", Desired: 0})
	p := e.provider()
	ctx := ctxT(t)
	idle := func(f *providers.Fault) { f.Target = providers.Fields{"service": "idle"} }

	_, err := p.Inject(ctx, fault(providers.CPUStress, idle), time.Minute)
	if !errors.Is(err, providers.ErrNotApplied) || !strings.Contains(err.Error(), "resolves to no running task") {
		t.Fatalf("created template on no task: %v", err)
	}
	if n := len(e.fake.Calls("fis:CreateExperimentTemplate")); n != 0 {
		t.Fatalf("a template was created for no target")
	}

	tid := e.fake.AddTemplate(awsfake.TemplateSpec{RoleArn: roleARN,
		Targets: map[string]any{"Tasks": map[string]any{"resourceType": "aws:ecs:task", "selectionMode": "ALL", "parameters": map[string]any{"cluster": cluster, "service": "idle"}}},
		Actions: map[string]any{"Stop": map[string]any{"actionId": "aws:ecs:stop-task", "targets": map[string]any{"Tasks": "Tasks"}}},
	})
	_, err = p.Inject(ctx, fault(gdaws.FISTemplate, func(f *providers.Fault) { f.Params.Extra["template_id"] = tid }), time.Minute)
	if !errors.Is(err, providers.ErrNotApplied) || !strings.Contains(err.Error(), "Target resolution returned empty set") {
		t.Fatalf("existing template on no task: %v", err)
	}
}

func TestDBFailover(t *testing.T) {
	e := newEnv(t, awsfake.WithTimings(awsfake.Timings{Failover: 400 * time.Millisecond}))
	p := e.provider()
	ctx := ctxT(t)
	f := fault(providers.DBFailure, func(f *providers.Fault) { f.Selection = providers.Selection{} })
	if ts, err := p.Targets(ctx, f); err != nil || len(ts) != 1 || !strings.Contains(ts[0].Name, "writer myapp-db-1") {
		t.Fatalf("targets %v, %v", ts, err)
	}
	inj, err := p.Inject(ctx, f, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if calls := e.fake.Calls("rds:FailoverDBCluster"); len(calls) != 1 || calls[0].Params["DBClusterIdentifier"] != dbCluster {
		t.Fatalf("failover calls %+v", calls)
	}
	if v, err := p.Verify(ctx, inj); err != nil || v.Clean {
		t.Fatalf("verify during the failover: %+v, %v", v, err)
	}
	if err := p.Rollback(ctx, inj); err != nil {
		t.Fatal(err)
	}
	if st, _ := e.fake.DBCluster(dbCluster); st.Status != "available" || st.Writer != "myapp-db-2" {
		t.Fatalf("after rollback the cluster is %+v", st)
	}
	v := mustVerifyClean(t, p, inj)
	if d := strings.Join(v.Details, " "); !strings.Contains(d, "writer myapp-db-2") || !strings.Contains(d, "available again within") {
		t.Errorf("details %q should name the new writer and how long it took", d)
	}
	if m := p.ManualRollback(inj); !strings.Contains(m, "a failover cannot be undone") {
		t.Errorf("manual rollback %q", m)
	}
}

func TestDBReboot(t *testing.T) {
	e := newEnv(t)
	p := gdaws.New(e.c, providers.Fields{"db_instance": dbMultiAZ}, gdaws.WithPollInterval(10*time.Millisecond))
	ctx := ctxT(t)
	f := fault(providers.DBFailure, func(f *providers.Fault) { f.Params.Mode = "reboot"; f.Selection = providers.Selection{} })
	_, az0, _ := e.fake.DBInstanceState(dbMultiAZ)
	inj, err := p.Inject(ctx, f, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if c := e.fake.Calls("rds:RebootDBInstance"); len(c) != 1 || c[0].Params["ForceFailover"] != "true" {
		t.Fatalf("reboot calls %+v", c)
	}
	if err := p.Rollback(ctx, inj); err != nil {
		t.Fatal(err)
	}
	mustVerifyClean(t, p, inj)
	if st, az, _ := e.fake.DBInstanceState(dbMultiAZ); st != "available" || az == az0 {
		t.Fatalf("after a reboot with failover: %s in %s (was in %s)", st, az, az0)
	}
}

// TestRecoverByOwner is what `gameday recover` does after a SIGKILL
// during an inject: the journal has the fault's owner and no handle; a new
// provider finds the experiment and the template by tag, stops and deletes
// them, and verifies.
func TestRecoverByOwner(t *testing.T) {
	e := newEnv(t)
	e.fake.Fail("fis:GetExperiment", awsfake.Hang, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	f := fault(providers.Latency, func(f *providers.Fault) { f.Params.Delay = 200 * time.Millisecond })
	if _, err := e.provider().Inject(ctx, f, time.Minute); err == nil || errors.Is(err, providers.ErrNotApplied) {
		t.Fatalf("an inject cut short while following the experiment must say it may be applied: %v", err)
	}
	if st := e.fake.Experiments()[0].Status; st != "running" {
		t.Fatalf("experiment %s, want running (left behind by the dead run)", st)
	}
	journaled := providers.Injection{FaultID: f.ID, Provider: "aws", Kind: f.Kind, Owner: f.Owner}
	fresh := e.provider()
	if v, err := fresh.Verify(ctxT(t), journaled); err != nil || v.Clean {
		t.Fatalf("verify before recover: %+v, %v", v, err)
	}
	if err := fresh.Rollback(ctxT(t), journaled); err != nil {
		t.Fatal(err)
	}
	if st := e.fake.Experiments()[0].Status; st != "stopped" {
		t.Errorf("experiment %s after recover", st)
	}
	if len(e.fake.Templates()) != 0 {
		t.Errorf("templates left after recover: %v", e.fake.Templates())
	}
	mustVerifyClean(t, fresh, journaled)
	m := fresh.ManualRollback(journaled)
	if !strings.Contains(m, `tags.\"gameday:owner\"=='run1.f1'`) {
		t.Errorf("manual rollback by owner: %s", m)
	}
}

// TestStopConditionAlarm: the alarm going to ALARM stops the experiment
// (FIS's stop condition) and reaches the engine as a detected event.
func TestStopConditionAlarm(t *testing.T) {
	e := newEnv(t)
	p := e.provider()
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	events := p.SystemEvents(ctx)
	inj, err := p.Inject(ctx, fault(providers.CPUStress), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	e.fake.SetAlarm(alarm, "ALARM", "Threshold Crossed: 1 datapoint [0.07] was greater than the threshold (0.05)")
	deadline := time.After(20 * time.Second)
	for found := false; !found; {
		select {
		case ev := <-events:
			found = ev.Kind == providers.EventDetected && ev.Source == "CloudWatch alarm "+alarm && strings.Contains(ev.Text, "ALARM")
		case <-deadline:
			t.Fatal("no EventDetected from the alarm")
		}
	}
	eventually(t, "FIS to stop the experiment on its stop condition", func() bool {
		x := e.fake.Experiments()[0]
		return x.Status == "stopped" && strings.Contains(x.Reason, "stop condition")
	})
	if err := p.Rollback(ctx, inj); err != nil {
		t.Fatal(err)
	}
	mustVerifyClean(t, p, inj)
}

func TestServiceEventsStream(t *testing.T) {
	e := newEnv(t)
	p := e.provider()
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	events := p.SystemEvents(ctx)
	time.Sleep(50 * time.Millisecond) // let the watchers take their first look
	if _, err := p.Inject(ctx, fault(providers.InstanceStop), time.Minute); err != nil {
		t.Fatal(err)
	}
	var got []providers.SystemEvent
	deadline := time.After(20 * time.Second)
	for !slices.ContainsFunc(got, func(e providers.SystemEvent) bool { return strings.Contains(e.Text, "steady state") }) {
		select {
		case ev := <-events:
			got = append(got, ev)
		case <-deadline:
			t.Fatalf("events so far: %+v", got)
		}
	}
	var texts []string
	for _, ev := range got {
		if ev.Source == "ECS" {
			texts = append(texts, string(ev.Kind)+": "+ev.Text)
		}
	}
	joined := strings.Join(texts, "\n")
	for _, want := range []string{"info: (service myapp-service) has stopped 1 running tasks", "recovered: (service myapp-service) has started 1 tasks", "recovered: (service myapp-service) has reached a steady state"} {
		if !strings.Contains(joined, want) {
			t.Errorf("ECS events:\n%s\nlack %q", joined, want)
		}
	}
	if strings.Count(joined, "steady state") != 1 {
		t.Errorf("the steady state before the run was replayed:\n%s", joined)
	}
}

func TestIdentityRunningTimeouts(t *testing.T) {
	e := newEnv(t)
	p := e.provider()
	ctx := ctxT(t)
	id, err := p.Identity(ctx)
	if err != nil || id.ID != "arn:aws:ecs:us-east-1:123456789012:service/myapp-cluster/myapp-service" || id.Fields["region"] != "us-east-1" {
		t.Fatalf("identity %+v, %v", id, err)
	}
	if n, err := p.Running(ctx); err != nil || n != 10 {
		t.Fatalf("running %d, %v", n, err)
	}
	if to := p.Timeouts(); to.Call < time.Minute || to.RollbackDeadline < to.Call {
		t.Errorf("timeouts %+v too short for FIS", to)
	}
}

// TestPlanChangesNothing: a dry run lists the exact calls and makes only
// read calls.
func TestPlanChangesNothing(t *testing.T) {
	e := newEnv(t)
	p := e.provider()
	ctx := ctxT(t)
	cases := []providers.Fault{
		fault(providers.InstanceStop),
		fault(providers.Latency, func(f *providers.Fault) { f.Params.Delay = 300 * time.Millisecond }),
		fault(providers.DBFailure, func(f *providers.Fault) { f.Params.Extra["target_instance"] = "myapp-db-2" }),
	}
	var all []string
	for _, f := range cases {
		calls, err := p.Plan(ctx, f, 90*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, calls...)
	}
	plan := strings.Join(all, "\n")
	for _, want := range []string{
		"aws ecs stop-task --region us-east-1 --cluster myapp-cluster --task TASK_ARN --reason",
		`"actionId":"aws:ecs:task-network-latency","parameters":{"delayMilliseconds":"300","duration":"PT1M30S"}`,
		`"stopConditions":[{"source":"aws:cloudwatch:alarm","value":"arn:aws:cloudwatch:us-east-1:123456789012:alarm:HighErrorRateAlarm"}]`,
		"aws fis start-experiment --region us-east-1 --experiment-template-id TEMPLATE_ID --tags gameday:fault=f1,gameday:owner=run1.f1",
		"aws fis stop-experiment --region us-east-1 --id EXPERIMENT_ID",
		"aws fis delete-experiment-template --region us-east-1 --id TEMPLATE_ID",
		"aws rds failover-db-cluster --region us-east-1 --db-cluster-identifier myapp-db --target-db-instance-identifier myapp-db-2",
	} {
		if !strings.Contains(plan, want) {
			t.Errorf("plan lacks %s:\n%s", want, plan)
		}
	}
	for _, a := range e.fake.Actions() {
		if !strings.Contains(a, ":List") && !strings.Contains(a, ":Describe") && !strings.Contains(a, ":Get") {
			t.Errorf("the dry run called %s", a)
		}
	}
}
