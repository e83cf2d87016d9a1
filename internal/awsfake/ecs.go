package awsfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
)

// ECS: awsJson1_1. Every call is POST / with the operation in X-Amz-Target
// and a JSON body; timestamps answer as epoch seconds.

const ecsTargetPrefix = "AmazonEC2ContainerServiceV20141113."

type cluster struct {
	name, arn string
	services  map[string]*service
}

type service struct {
	name, arn string
	cluster   *cluster
	desired   int
	taskDef   string
	taskTags  map[string]string
	memoryMiB int
	tasks     []*task
	events    []serviceEvent // oldest first
	// steadyAt, when set, is when the last replacement runs: the service
	// reaches a steady state then.
	steadyAt time.Time
}

type serviceEvent struct {
	id      string
	at      time.Time
	message string
}

type task struct {
	arn, id   string
	svc       *service
	createdAt time.Time
	startAt   time.Time // RUNNING from then on
	stoppedAt time.Time // zero while not stopped
	reason    string
	stopCode  string
	// faults are the FIS actions applied to it, for tests.
	faults []string
}

func (t *task) status(now time.Time) string {
	switch {
	case !t.stoppedAt.IsZero():
		return "STOPPED"
	case !now.Before(t.startAt):
		return "RUNNING"
	}
	return "PENDING"
}

// ServiceSpec describes an ECS service to add.
type ServiceSpec struct {
	Cluster, Service string
	// Desired is the desired count; that many tasks start out running.
	Desired int
	// TaskTags are put on every task of the service.
	TaskTags map[string]string
	// MemoryMiB is each task's memory (default 2048), as Fargate reports
	// it.
	MemoryMiB int
}

// AddService adds an ECS service (and its cluster, if new) with Desired
// running tasks.
func (s *Server) AddService(spec ServiceSpec) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.clusters[spec.Cluster]
	if c == nil {
		c = &cluster{name: spec.Cluster, arn: fmt.Sprintf("arn:aws:ecs:%s:%s:cluster/%s", Region, Account, spec.Cluster), services: map[string]*service{}}
		s.clusters[spec.Cluster] = c
	}
	svc := &service{
		name: spec.Service, cluster: c, desired: spec.Desired, taskTags: spec.TaskTags, memoryMiB: spec.MemoryMiB,
		arn:     fmt.Sprintf("arn:aws:ecs:%s:%s:service/%s/%s", Region, Account, spec.Cluster, spec.Service),
		taskDef: fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/%s:1", Region, Account, spec.Service),
	}
	if svc.memoryMiB <= 0 {
		svc.memoryMiB = 2048
	}
	c.services[spec.Service] = svc
	now := s.now()
	for range spec.Desired {
		s.launch(svc, now.Add(-time.Hour), now.Add(-time.Hour))
	}
	svc.events = append(svc.events, serviceEvent{id: s.uuid(), at: now.Add(-time.Hour), message: fmt.Sprintf("(service %s) has reached a steady state.", svc.name)})
}

func (s *Server) launch(svc *service, created, start time.Time) *task {
	id := s.newID(32)
	t := &task{id: id, svc: svc, createdAt: created, startAt: start,
		arn: fmt.Sprintf("arn:aws:ecs:%s:%s:task/%s/%s", Region, Account, svc.cluster.name, id)}
	svc.tasks = append(svc.tasks, t)
	return t
}

// ServiceState is what DescribeServices would say of a service now.
type ServiceState struct {
	Desired, Running, Pending int
	// Stopped lists the stopped tasks' ARNs with their stop reasons.
	Stopped map[string]string
	// Faulted maps task ARN to the FIS actions applied to it.
	Faulted map[string][]string
	Events  []string
}

// Service returns the state of an ECS service now (ok false if unknown).
func (s *Server) Service(clusterName, name string) (ServiceState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.advance(now)
	c := s.clusters[clusterName]
	if c == nil || c.services[name] == nil {
		return ServiceState{}, false
	}
	svc := c.services[name]
	st := ServiceState{Desired: svc.desired, Stopped: map[string]string{}, Faulted: map[string][]string{}}
	for _, t := range svc.tasks {
		switch t.status(now) {
		case "RUNNING":
			st.Running++
		case "PENDING":
			st.Pending++
		default:
			st.Stopped[t.arn] = t.reason
		}
		if len(t.faults) > 0 {
			st.Faulted[t.arn] = slices.Clone(t.faults)
		}
	}
	for _, e := range svc.events {
		st.Events = append(st.Events, e.message)
	}
	return st, true
}

// stopTask stops t at when, and has the scheduler launch its replacement,
// running TaskReplace later.
func (s *Server) stopTask(t *task, when time.Time, reason, code string) {
	if !t.stoppedAt.IsZero() {
		return
	}
	t.stoppedAt, t.reason, t.stopCode = when, reason, code
	svc := t.svc
	svc.events = append(svc.events, serviceEvent{id: s.uuid(), at: when,
		message: fmt.Sprintf("(service %s) has stopped 1 running tasks: (task %s).", svc.name, t.id)})
	r := s.launch(svc, when, when.Add(s.timings.TaskReplace))
	svc.events = append(svc.events, serviceEvent{id: s.uuid(), at: when,
		message: fmt.Sprintf("(service %s) has started 1 tasks: (task %s).", svc.name, r.id)})
	if r.startAt.After(svc.steadyAt) {
		svc.steadyAt = r.startAt
	}
}

// reconcile logs the steady state once every replacement runs.
func (s *Server) reconcile(svc *service, now time.Time) {
	if !svc.steadyAt.IsZero() && !now.Before(svc.steadyAt) {
		svc.events = append(svc.events, serviceEvent{id: s.uuid(), at: svc.steadyAt,
			message: fmt.Sprintf("(service %s) has reached a steady state.", svc.name)})
		svc.steadyAt = time.Time{}
	}
}

func decodeECS(r *http.Request, body []byte) (call, *apiError) {
	target := r.Header.Get("X-Amz-Target")
	if r.Method != http.MethodPost || !strings.HasPrefix(target, ecsTargetPrefix) || r.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
		return call{}, &apiError{status: 400, code: "UnknownOperationException", message: fmt.Sprintf("not an awsJson1_1 ECS call: %s %s, X-Amz-Target %q", r.Method, r.URL.Path, target)}
	}
	params := map[string]any{}
	if len(trimBody(body)) > 0 {
		if err := json.Unmarshal(body, &params); err != nil {
			return call{}, &apiError{status: 400, code: "SerializationException", message: err.Error()}
		}
	}
	return call{service: "ecs", op: strings.TrimPrefix(target, ecsTargetPrefix), params: params}, nil
}

func (s *Server) ecsCluster(p map[string]any) (*cluster, *apiError) {
	name := str(p["cluster"])
	if name == "" {
		name = "default"
	}
	if i := strings.LastIndex(name, "/"); strings.HasPrefix(name, "arn:") && i >= 0 {
		name = name[i+1:]
	}
	c := s.clusters[name]
	if c == nil {
		return nil, &apiError{status: 400, code: "ClusterNotFoundException", message: "Cluster not found."}
	}
	return c, nil
}

func (c *cluster) findTask(ref string) *task {
	for _, svc := range c.services {
		for _, t := range svc.tasks {
			if t.arn == ref || t.id == ref {
				return t
			}
		}
	}
	return nil
}

func (s *Server) ecsCall(c call, now time.Time) (any, *apiError) {
	p := c.params
	cl, err := s.ecsCluster(p)
	if err != nil {
		return nil, err
	}
	switch c.op {
	case "ListTasks":
		want := str(p["desiredStatus"])
		if want == "" {
			want = "RUNNING"
		}
		var arns []string
		for _, svc := range sortedServices(cl) {
			if n := str(p["serviceName"]); n != "" && n != svc.name {
				continue
			}
			for _, t := range svc.tasks {
				stopped := !t.stoppedAt.IsZero()
				if want == "RUNNING" && !stopped || want == "STOPPED" && stopped {
					arns = append(arns, t.arn)
				}
			}
		}
		if n := str(p["serviceName"]); n != "" && cl.services[n] == nil {
			return nil, &apiError{status: 400, code: "ServiceNotFoundException", message: "Service not found."}
		}
		return page(arns, p, "taskArns", 100), nil
	case "DescribeTasks":
		var tasks, failures []any
		withTags := slices.Contains(strs(p["include"]), "TAGS")
		for _, ref := range strs(p["tasks"]) {
			t := cl.findTask(ref)
			if t == nil {
				failures = append(failures, map[string]any{"arn": ref, "reason": "MISSING"})
				continue
			}
			tasks = append(tasks, taskJSON(t, now, withTags))
		}
		return map[string]any{"tasks": orEmpty(tasks), "failures": orEmpty(failures)}, nil
	case "StopTask":
		t := cl.findTask(str(p["task"]))
		if t == nil {
			return nil, &apiError{status: 400, code: "InvalidParameterException", message: "The referenced task was not found."}
		}
		s.stopTask(t, now, str(p["reason"]), "UserInitiated")
		return map[string]any{"task": taskJSON(t, now, false)}, nil
	case "DescribeServices":
		var out, failures []any
		for _, ref := range strs(p["services"]) {
			name := ref
			if i := strings.LastIndex(ref, "/"); strings.HasPrefix(ref, "arn:") && i >= 0 {
				name = ref[i+1:]
			}
			svc := cl.services[name]
			if svc == nil {
				failures = append(failures, map[string]any{"arn": ref, "reason": "MISSING"})
				continue
			}
			out = append(out, serviceJSON(svc, now))
		}
		return map[string]any{"services": orEmpty(out), "failures": orEmpty(failures)}, nil
	}
	return nil, &apiError{status: 400, code: "UnknownOperationException", message: "awsfake does not implement ecs:" + c.op}
}

func sortedServices(c *cluster) []*service {
	out := make([]*service, 0, len(c.services))
	for _, svc := range c.services {
		out = append(out, svc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

func taskJSON(t *task, now time.Time, withTags bool) map[string]any {
	st := t.status(now)
	desired := "RUNNING"
	if st == "STOPPED" {
		desired = "STOPPED"
	}
	m := map[string]any{
		"taskArn": t.arn, "clusterArn": t.svc.cluster.arn, "taskDefinitionArn": t.svc.taskDef,
		"group": "service:" + t.svc.name, "startedBy": "ecs-svc/" + t.svc.name,
		"lastStatus": st, "desiredStatus": desired, "launchType": "FARGATE",
		"createdAt": epoch(t.createdAt), "memory": fmt.Sprint(t.svc.memoryMiB), "cpu": "1024",
	}
	if st != "PENDING" {
		m["startedAt"] = epoch(t.startAt)
	}
	if st == "STOPPED" {
		m["stoppedAt"], m["stoppedReason"], m["stopCode"] = epoch(t.stoppedAt), t.reason, t.stopCode
	}
	if withTags {
		var tags []any
		for _, k := range sortedKeys(t.svc.taskTags) {
			tags = append(tags, map[string]any{"key": k, "value": t.svc.taskTags[k]})
		}
		m["tags"] = orEmpty(tags)
	}
	return m
}

func serviceJSON(svc *service, now time.Time) map[string]any {
	running, pending := 0, 0
	for _, t := range svc.tasks {
		switch t.status(now) {
		case "RUNNING":
			running++
		case "PENDING":
			pending++
		}
	}
	var events []any
	// Newest first, at most 100, as ECS answers.
	for i := len(svc.events) - 1; i >= 0 && len(events) < 100; i-- {
		e := svc.events[i]
		events = append(events, map[string]any{"id": e.id, "createdAt": epoch(e.at), "message": e.message})
	}
	return map[string]any{
		"serviceArn": svc.arn, "serviceName": svc.name, "clusterArn": svc.cluster.arn,
		"status": "ACTIVE", "desiredCount": svc.desired, "runningCount": running, "pendingCount": pending,
		"taskDefinition": svc.taskDef, "launchType": "FARGATE", "events": orEmpty(events),
	}
}

// page answers a list with nextToken paging (the token is an offset).
func page(items []string, p map[string]any, key string, def int) map[string]any {
	limit := def
	if n, ok := p["maxResults"].(float64); ok && n > 0 {
		limit = int(n)
	}
	start := 0
	if tok := str(p["nextToken"]); tok != "" {
		_, _ = fmt.Sscanf(tok, "%d", &start)
	}
	start = min(start, len(items))
	end := min(start+limit, len(items))
	out := map[string]any{key: orEmpty(toAny(items[start:end]))}
	if end < len(items) {
		out["nextToken"] = fmt.Sprint(end)
	}
	return out
}

func writeJSON(w io.Writer, v any) { _ = json.NewEncoder(w).Encode(v) }

func str(v any) string {
	s, _ := v.(string)
	return s
}

func strs(v any) []string {
	var out []string
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
	case []string:
		out = v
	}
	return out
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func orEmpty(v []any) []any {
	if v == nil {
		return []any{}
	}
	return v
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
