package awsfake

import "time"

// The demo world's names: what the shipped scenarios under scenarios/aws
// act on.
const (
	DemoCluster    = "myapp-cluster"
	DemoService    = "myapp-service"
	DemoDBCluster  = "myapp-db"
	DemoDBInstance = "legacy-db"
	DemoAlarm      = "HighErrorRateAlarm"
	DemoTemplateID = "EXT1234567890"
	DemoALB        = "app/myapp-alb/0123456789abcdef"
	DemoRoleARN    = "arn:aws:iam::123456789012:role/gameday-fis"
)

// AddDemo adds the world the shipped AWS scenarios name: the ECS service
// myapp-service of 10 tasks of 4 GiB in myapp-cluster, the Aurora cluster myapp-db
// (myapp-db-1 writer, myapp-db-2 reader), the Multi-AZ instance legacy-db,
// the alarm HighErrorRateAlarm in OK, the team's FIS template
// EXT1234567890 (stop 10% of the tasks), and the ALB's metrics of a
// healthy service: 1,200 requests per second, p95 80 ms, no 5XX.
func (s *Server) AddDemo() {
	s.AddService(ServiceSpec{Cluster: DemoCluster, Service: DemoService, Desired: 10, TaskTags: map[string]string{"app": "myapp"}, MemoryMiB: 4096})
	s.AddDBCluster(DBClusterSpec{ID: DemoDBCluster, Instances: []string{"myapp-db-1", "myapp-db-2"}})
	s.AddDBInstance(DemoDBInstance, true)
	s.SetAlarm(DemoAlarm, "OK", "Threshold Crossed: no datapoints were breaching the threshold")
	s.AddTemplate(TemplateSpec{
		ID: DemoTemplateID, Description: "Stop 10% of myapp's tasks", RoleArn: DemoRoleARN,
		Targets:    map[string]any{"Tasks": map[string]any{"resourceType": "aws:ecs:task", "selectionMode": "PERCENT(10)", "parameters": map[string]any{"cluster": DemoCluster, "service": DemoService}}},
		Actions:    map[string]any{"StopRandomTask": map[string]any{"actionId": "aws:ecs:stop-task", "targets": map[string]any{"Tasks": "Tasks"}}},
		StopAlarms: []string{DemoAlarm},
	})
	elb := func(name, stat string, fn MetricFunc) {
		s.SetMetric(MetricKey{Namespace: "AWS/ApplicationELB", Name: name, Stat: stat}, fn)
	}
	elb("RequestCount", "Sum", func(_ time.Time, period time.Duration, _ map[string]string) (float64, bool) {
		return 1200 * period.Seconds(), true
	})
	elb("TargetResponseTime", "p95", func(time.Time, time.Duration, map[string]string) (float64, bool) { return 0.080, true })
	elb("HTTPCode_Target_5XX_Count", "Sum", func(time.Time, time.Duration, map[string]string) (float64, bool) { return 0, false })
}
