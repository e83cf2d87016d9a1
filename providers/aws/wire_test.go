package aws_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/fis"
	fistypes "github.com/aws/aws-sdk-go-v2/service/fis/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/gameday-tui/gameday/internal/awsfake"
	gdaws "github.com/gameday-tui/gameday/providers/aws"
)

// TestWire drives every operation the provider uses through the real SDK
// client against the fake and checks, on the fake's side, the operation
// and the parameters as they came off the wire, and, on the client's side,
// that the answer parsed.
func TestWire(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	c := e.c
	tid := e.fake.AddTemplate(awsfake.TemplateSpec{
		RoleArn: roleARN,
		Targets: map[string]any{"Tasks": map[string]any{"resourceType": "aws:ecs:task", "selectionMode": "PERCENT(10)", "parameters": map[string]any{"cluster": cluster, "service": service}}},
		Actions: map[string]any{"Stop": map[string]any{"actionId": "aws:ecs:stop-task", "targets": map[string]any{"Tasks": "Tasks"}}},
	})
	var taskARN, expID, newTID string
	t0 := time.Now().Add(-5 * time.Minute).Truncate(time.Minute)
	e.fake.SetMetric(awsfake.MetricKey{Namespace: "AWS/ApplicationELB", Name: "RequestCount", Stat: "Sum"}, func(time.Time, time.Duration, map[string]string) (float64, bool) { return 600, true })

	steps := []struct {
		action string
		call   func(t *testing.T) error
		want   map[string]any
	}{
		{"ecs:ListTasks", func(t *testing.T) error {
			out, err := c.Tasks.ListTasks(ctx, &ecs.ListTasksInput{Cluster: awssdk.String(cluster), ServiceName: awssdk.String(service), DesiredStatus: ecstypes.DesiredStatusRunning})
			if err == nil && len(out.TaskArns) != 10 {
				t.Errorf("ListTasks: %d tasks, want 10", len(out.TaskArns))
			}
			if err == nil {
				taskARN = out.TaskArns[0]
			}
			return err
		}, map[string]any{"cluster": cluster, "serviceName": service, "desiredStatus": "RUNNING"}},
		{"ecs:DescribeTasks", func(t *testing.T) error {
			out, err := c.Tasks.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: awssdk.String(cluster), Tasks: []string{taskARN}, Include: []ecstypes.TaskField{ecstypes.TaskFieldTags}})
			if err == nil && (len(out.Tasks) != 1 || awssdk.ToString(out.Tasks[0].LastStatus) != "RUNNING" || len(out.Tasks[0].Tags) != 1 || out.Tasks[0].CreatedAt == nil) {
				t.Errorf("DescribeTasks answered %+v", out.Tasks)
			}
			return err
		}, map[string]any{"cluster": cluster, "tasks": []any{"$taskARN"}, "include": []any{"TAGS"}}},
		{"ecs:StopTask", func(t *testing.T) error {
			out, err := c.Tasks.StopTask(ctx, &ecs.StopTaskInput{Cluster: awssdk.String(cluster), Task: awssdk.String(taskARN), Reason: awssdk.String("gameday test")})
			if err == nil && awssdk.ToString(out.Task.StoppedReason) != "gameday test" {
				t.Errorf("StopTask answered reason %q", awssdk.ToString(out.Task.StoppedReason))
			}
			return err
		}, map[string]any{"cluster": cluster, "task": "$taskARN", "reason": "gameday test"}},
		{"ecs:DescribeServices", func(t *testing.T) error {
			out, err := c.Services.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: awssdk.String(cluster), Services: []string{service}})
			if err == nil {
				s := out.Services[0]
				if s.DesiredCount != 10 || s.RunningCount != 9 || s.PendingCount != 1 || len(s.Events) < 2 || !strings.Contains(awssdk.ToString(s.Events[0].Message), "has started 1 tasks") {
					t.Errorf("DescribeServices answered desired %d running %d pending %d events %d", s.DesiredCount, s.RunningCount, s.PendingCount, len(s.Events))
				}
			}
			return err
		}, map[string]any{"cluster": cluster, "services": []any{service}}},
		{"fis:GetExperimentTemplate", func(t *testing.T) error {
			out, err := c.Templates.GetExperimentTemplate(ctx, &fis.GetExperimentTemplateInput{Id: awssdk.String(tid)})
			if err == nil && awssdk.ToString(out.ExperimentTemplate.Targets["Tasks"].SelectionMode) != "PERCENT(10)" {
				t.Errorf("GetExperimentTemplate answered %+v", out.ExperimentTemplate)
			}
			return err
		}, map[string]any{"id": tid}},
		{"fis:CreateExperimentTemplate", func(t *testing.T) error {
			out, err := c.Templates.CreateExperimentTemplate(ctx, &fis.CreateExperimentTemplateInput{
				ClientToken: awssdk.String("tok-1"), Description: awssdk.String("d"), RoleArn: awssdk.String(roleARN),
				Targets:        map[string]fistypes.CreateExperimentTemplateTargetInput{"Tasks": {ResourceType: awssdk.String("aws:ecs:task"), SelectionMode: awssdk.String("COUNT(1)"), Parameters: map[string]string{"cluster": cluster, "service": service}}},
				Actions:        map[string]fistypes.CreateExperimentTemplateActionInput{"Fault": {ActionId: awssdk.String("aws:ecs:task-cpu-stress"), Parameters: map[string]string{"duration": "PT1M", "percent": "80"}, Targets: map[string]string{"Tasks": "Tasks"}}},
				StopConditions: []fistypes.CreateExperimentTemplateStopConditionInput{{Source: awssdk.String("aws:cloudwatch:alarm"), Value: awssdk.String(awsfake.AlarmARN(alarm))}},
				Tags:           map[string]string{gdaws.OwnerTag: "run1.f1"},
			})
			if err == nil {
				newTID = awssdk.ToString(out.ExperimentTemplate.Id)
			}
			return err
		}, map[string]any{
			"clientToken": "tok-1", "description": "d", "roleArn": roleARN,
			"targets":        map[string]any{"Tasks": map[string]any{"resourceType": "aws:ecs:task", "selectionMode": "COUNT(1)", "parameters": map[string]any{"cluster": cluster, "service": service}}},
			"actions":        map[string]any{"Fault": map[string]any{"actionId": "aws:ecs:task-cpu-stress", "parameters": map[string]any{"duration": "PT1M", "percent": "80"}, "targets": map[string]any{"Tasks": "Tasks"}}},
			"stopConditions": []any{map[string]any{"source": "aws:cloudwatch:alarm", "value": awsfake.AlarmARN(alarm)}},
			"tags":           map[string]any{gdaws.OwnerTag: "run1.f1"},
		}},
		{"fis:StartExperiment", func(t *testing.T) error {
			out, err := c.Experiments.StartExperiment(ctx, &fis.StartExperimentInput{ExperimentTemplateId: awssdk.String(newTID), ClientToken: awssdk.String("tok-2"), Tags: map[string]string{gdaws.OwnerTag: "run1.f1"}})
			if err == nil {
				expID = awssdk.ToString(out.Experiment.Id)
				if out.Experiment.State.Status != fistypes.ExperimentStatusPending || out.Experiment.CreationTime == nil {
					t.Errorf("StartExperiment answered %+v", out.Experiment.State)
				}
			}
			return err
		}, map[string]any{"experimentTemplateId": "$newTID", "clientToken": "tok-2", "tags": map[string]any{gdaws.OwnerTag: "run1.f1"}}},
		{"fis:GetExperiment", func(t *testing.T) error {
			_, err := c.Experiments.GetExperiment(ctx, &fis.GetExperimentInput{Id: awssdk.String(expID)})
			return err
		}, map[string]any{"id": "$expID"}},
		{"fis:ListExperiments", func(t *testing.T) error {
			out, err := c.Lister.ListExperiments(ctx, &fis.ListExperimentsInput{MaxResults: awssdk.Int32(50)})
			if err == nil && (len(out.Experiments) != 1 || out.Experiments[0].Tags[gdaws.OwnerTag] != "run1.f1") {
				t.Errorf("ListExperiments answered %+v", out.Experiments)
			}
			return err
		}, map[string]any{"maxResults": "50"}},
		{"fis:StopExperiment", func(t *testing.T) error {
			out, err := c.Experiments.StopExperiment(ctx, &fis.StopExperimentInput{Id: awssdk.String(expID)})
			if err == nil && out.Experiment.State.Status != fistypes.ExperimentStatusStopping {
				t.Errorf("StopExperiment answered %s", out.Experiment.State.Status)
			}
			return err
		}, map[string]any{"id": "$expID"}},
		{"fis:ListExperimentTemplates", func(t *testing.T) error {
			out, err := c.Lister.ListExperimentTemplates(ctx, &fis.ListExperimentTemplatesInput{})
			if err == nil && len(out.ExperimentTemplates) != 2 {
				t.Errorf("ListExperimentTemplates answered %d templates", len(out.ExperimentTemplates))
			}
			return err
		}, map[string]any{}},
		{"fis:DeleteExperimentTemplate", func(t *testing.T) error {
			_, err := c.Templates.DeleteExperimentTemplate(ctx, &fis.DeleteExperimentTemplateInput{Id: awssdk.String(newTID)})
			return err
		}, map[string]any{"id": "$newTID"}},
		{"rds:FailoverDBCluster", func(t *testing.T) error {
			out, err := c.DBClusters.FailoverDBCluster(ctx, &rds.FailoverDBClusterInput{DBClusterIdentifier: awssdk.String(dbCluster), TargetDBInstanceIdentifier: awssdk.String("myapp-db-2")})
			if err == nil && awssdk.ToString(out.DBCluster.Status) != "failing-over" {
				t.Errorf("FailoverDBCluster answered status %q", awssdk.ToString(out.DBCluster.Status))
			}
			return err
		}, map[string]any{"DBClusterIdentifier": dbCluster, "TargetDBInstanceIdentifier": "myapp-db-2"}},
		{"rds:DescribeDBClusters", func(t *testing.T) error {
			out, err := c.DBClusters.DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: awssdk.String(dbCluster)})
			if err == nil {
				cl := out.DBClusters[0]
				if len(cl.DBClusterMembers) != 2 || !awssdk.ToBool(cl.DBClusterMembers[0].IsClusterWriter) || awssdk.ToString(cl.DBClusterArn) == "" {
					t.Errorf("DescribeDBClusters answered %+v", cl)
				}
			}
			return err
		}, map[string]any{"DBClusterIdentifier": dbCluster}},
		{"rds:RebootDBInstance", func(t *testing.T) error {
			out, err := c.DBInstances.RebootDBInstance(ctx, &rds.RebootDBInstanceInput{DBInstanceIdentifier: awssdk.String(dbMultiAZ), ForceFailover: awssdk.Bool(true)})
			if err == nil && awssdk.ToString(out.DBInstance.DBInstanceStatus) != "rebooting" {
				t.Errorf("RebootDBInstance answered %q", awssdk.ToString(out.DBInstance.DBInstanceStatus))
			}
			return err
		}, map[string]any{"DBInstanceIdentifier": dbMultiAZ, "ForceFailover": "true"}},
		{"rds:DescribeDBInstances", func(t *testing.T) error {
			out, err := c.DBInstances.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: awssdk.String(dbMultiAZ)})
			if err == nil && (len(out.DBInstances) != 1 || !awssdk.ToBool(out.DBInstances[0].MultiAZ)) {
				t.Errorf("DescribeDBInstances answered %+v", out.DBInstances)
			}
			return err
		}, map[string]any{"DBInstanceIdentifier": dbMultiAZ}},
		{"cloudwatch:GetMetricData", func(t *testing.T) error {
			out, err := c.Metrics.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
				StartTime: awssdk.Time(t0), EndTime: awssdk.Time(t0.Add(3 * time.Minute)), ScanBy: cwtypes.ScanByTimestampAscending,
				MetricDataQueries: []cwtypes.MetricDataQuery{
					{Id: awssdk.String("requests"), MetricStat: &cwtypes.MetricStat{Period: awssdk.Int32(60), Stat: awssdk.String("Sum"), Metric: &cwtypes.Metric{Namespace: awssdk.String("AWS/ApplicationELB"), MetricName: awssdk.String("RequestCount"), Dimensions: []cwtypes.Dimension{{Name: awssdk.String("LoadBalancer"), Value: awssdk.String(albDim)}}}}},
					{Id: awssdk.String("p95"), MetricStat: &cwtypes.MetricStat{Period: awssdk.Int32(60), Stat: awssdk.String("p95"), Metric: &cwtypes.Metric{Namespace: awssdk.String("AWS/ApplicationELB"), MetricName: awssdk.String("TargetResponseTime")}}},
				},
			})
			if err == nil {
				r := out.MetricDataResults[0]
				if len(out.MetricDataResults) != 2 || len(r.Values) != 3 || r.Values[0] != 600 || !r.Timestamps[0].Equal(t0) || len(out.MetricDataResults[1].Values) != 0 {
					t.Errorf("GetMetricData answered %+v", out.MetricDataResults)
				}
			}
			return err
		}, map[string]any{
			"StartTime": t0.UTC(), "EndTime": t0.Add(3 * time.Minute).UTC(), "ScanBy": "TimestampAscending",
			"MetricDataQueries": []any{
				map[string]any{"Id": "requests", "MetricStat": map[string]any{"Period": 60.0, "Stat": "Sum", "Metric": map[string]any{"Namespace": "AWS/ApplicationELB", "MetricName": "RequestCount", "Dimensions": []any{map[string]any{"Name": "LoadBalancer", "Value": albDim}}}}},
				map[string]any{"Id": "p95", "MetricStat": map[string]any{"Period": 60.0, "Stat": "p95", "Metric": map[string]any{"Namespace": "AWS/ApplicationELB", "MetricName": "TargetResponseTime"}}},
			},
		}},
		{"cloudwatch:DescribeAlarms", func(t *testing.T) error {
			out, err := c.Alarms.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{alarm}})
			if err == nil && (len(out.MetricAlarms) != 1 || out.MetricAlarms[0].StateValue != cwtypes.StateValueOk || awssdk.ToString(out.MetricAlarms[0].AlarmArn) != awsfake.AlarmARN(alarm)) {
				t.Errorf("DescribeAlarms answered %+v", out.MetricAlarms)
			}
			return err
		}, map[string]any{"AlarmNames": []any{alarm}}},
	}
	for _, s := range steps {
		before := len(e.fake.Requests())
		if err := s.call(t); err != nil {
			t.Fatalf("%s: %v", s.action, err)
		}
		reqs := e.fake.Requests()[before:]
		if len(reqs) != 1 || reqs[0].Action != s.action {
			t.Fatalf("%s: the fake saw %v", s.action, actions(reqs))
		}
		want := resolve(s.want, map[string]string{"$newTID": newTID, "$expID": expID, "$taskARN": taskARN}).(map[string]any)
		if !reflect.DeepEqual(reqs[0].Params, want) {
			t.Errorf("%s: parameters on the wire\n got  %#v\n want %#v", s.action, reqs[0].Params, want)
		}
	}
}

// resolve replaces the placeholders in v by the values known only once
// the calls before have answered.
func resolve(v any, vals map[string]string) any {
	switch v := v.(type) {
	case string:
		if r, ok := vals[v]; ok {
			return r
		}
		return v
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = resolve(e, vals)
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for k, e := range v {
			out[k] = resolve(e, vals)
		}
		return out
	}
	return v
}

func actions(reqs []awsfake.Request) []string {
	var out []string
	for _, r := range reqs {
		out = append(out, r.Action)
	}
	return out
}

// TestEndpointFromEnvironment loads the configuration as a user's run does
// — LoadConfig, with AWS_ENDPOINT_URL pointing at the fake — and reaches
// all four services through it.
func TestEndpointFromEnvironment(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "fake-secret")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_ENDPOINT_URL", e.url)
	ctx := ctxT(t)
	cfg, err := gdaws.LoadConfig(ctx, "", "eu-west-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "eu-west-1" {
		t.Errorf("region %q, want the one asked for", cfg.Region)
	}
	c := gdaws.NewClients(cfg)
	p := gdaws.New(c, target())
	if n, err := p.Running(ctx); err != nil || n != 10 {
		t.Fatalf("Running through AWS_ENDPOINT_URL: %d, %v", n, err)
	}
	if _, err := c.Lister.ListExperiments(ctx, &fis.ListExperimentsInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DBClusters.DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: awssdk.String(dbCluster)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Alarms.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{alarm}}); err != nil {
		t.Fatal(err)
	}
	got := actions(e.fake.Requests())
	want := []string{"ecs:DescribeServices", "fis:ListExperiments", "rds:DescribeDBClusters", "cloudwatch:DescribeAlarms"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("requests %v, want %v", got, want)
	}

	// A per-service variable wins over the general one, as the SDK
	// defines: ECS alone goes elsewhere (nowhere, here), and fails.
	t.Setenv("AWS_ENDPOINT_URL_ECS", "http://127.0.0.1:1")
	cfg, err = gdaws.LoadConfig(ctx, "", "eu-west-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := gdaws.New(gdaws.NewClients(cfg), target()).Running(short); err == nil {
		t.Error("AWS_ENDPOINT_URL_ECS was ignored: the call reached the fake")
	}
	if os.Getenv("AWS_ENDPOINT_URL_ECS") == "" {
		t.Fatal("setenv failed")
	}
}
