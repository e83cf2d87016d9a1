package awsfake

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// FIS: restJson1. Templates under /experimentTemplates, experiments under
// /experiments; JSON bodies with lowerCamel members, epoch-second
// timestamps, and errors named by the X-Amzn-ErrorType header.

type template struct {
	id, arn      string
	description  string
	roleArn      string
	targets      map[string]any // name → target object, as sent
	actions      map[string]any // name → action object, as sent
	stopConds    []any
	tags         map[string]string
	emptyMode    string
	created      time.Time
	clientToken  string
	deleted      bool
	experimentsN int
}

type experiment struct {
	id, arn     string
	tpl         template // a copy: the experiment keeps what it started from
	tags        map[string]string
	clientToken string
	created     time.Time
	status      string
	reason      string
	end         time.Time
	stopAt      time.Time // when a stop was asked (zero: never)
	runFrom     time.Time // when it started running
	applied     bool
	resolved    map[string][]string
	duration    time.Duration
}

var fisFinal = map[string]bool{"completed": true, "stopped": true, "failed": true, "cancelled": true}

// knownActions are the FIS actions the fake accepts, and whether each
// takes a duration.
var knownActions = map[string]bool{
	"aws:ecs:stop-task":                   false,
	"aws:ecs:task-cpu-stress":             true,
	"aws:ecs:task-memory-stress":          true,
	"aws:ecs:task-io-stress":              true,
	"aws:ecs:task-network-latency":        true,
	"aws:ecs:task-network-packet-loss":    true,
	"aws:ecs:task-network-blackhole-port": true,
	"aws:ecs:task-kill-process":           false,
	"aws:fis:wait":                        true,
	"aws:rds:failover-db-cluster":         false,
	"aws:rds:reboot-db-instances":         false,
}

// TemplateSpec describes an experiment template that exists before the
// run (one a team made in the console), for AddTemplate.
type TemplateSpec struct {
	// ID is the template's id; empty makes one up (EXT…).
	ID          string
	Description string
	RoleArn     string
	// Targets and Actions are FIS's own JSON objects by name, as
	// CreateExperimentTemplate takes them.
	Targets, Actions map[string]any
	// StopAlarms are alarm names; each becomes an aws:cloudwatch:alarm
	// stop condition.
	StopAlarms []string
	Tags       map[string]string
}

// AddTemplate adds an experiment template and returns its id.
func (s *Server) AddTemplate(spec TemplateSpec) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var conds []any
	for _, a := range spec.StopAlarms {
		conds = append(conds, map[string]any{"source": "aws:cloudwatch:alarm", "value": alarmARN(a)})
	}
	if len(conds) == 0 {
		conds = []any{map[string]any{"source": "none"}}
	}
	t := s.newTemplate(map[string]any{"description": spec.Description, "roleArn": spec.RoleArn}, spec.Targets, spec.Actions, conds, spec.Tags)
	if spec.ID != "" {
		delete(s.templates, t.id)
		t.id, t.arn = spec.ID, fmt.Sprintf("arn:aws:fis:%s:%s:experiment-template/%s", Region, Account, spec.ID)
		s.templates[t.id] = t
	}
	return t.id
}

func (s *Server) newTemplate(p map[string]any, targets, actions map[string]any, conds []any, tags map[string]string) *template {
	id := "EXT" + strings.ToUpper(s.newID(14))
	t := &template{
		id: id, arn: fmt.Sprintf("arn:aws:fis:%s:%s:experiment-template/%s", Region, Account, id),
		description: str(p["description"]), roleArn: str(p["roleArn"]),
		targets: targets, actions: actions, stopConds: conds, tags: tags,
		emptyMode: "fail", created: s.now(), clientToken: str(p["clientToken"]),
	}
	if o, ok := p["experimentOptions"].(map[string]any); ok && str(o["emptyTargetResolutionMode"]) != "" {
		t.emptyMode = str(o["emptyTargetResolutionMode"])
	}
	s.templates[id] = t
	return t
}

// ExperimentState is an experiment as FIS reports it now.
type ExperimentState struct {
	ID, TemplateID string
	Status, Reason string
	Tags           map[string]string
	// Targets are the resolved targets by target name.
	Targets map[string][]string
}

// Experiments returns every experiment, oldest first, advanced to now.
func (s *Server) Experiments() []ExperimentState {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(s.now())
	var out []ExperimentState
	for _, e := range s.experiments {
		out = append(out, ExperimentState{ID: e.id, TemplateID: e.tpl.id, Status: e.status, Reason: e.reason, Tags: e.tags, Targets: e.resolved})
	}
	return out
}

// Templates returns the ids of the templates that exist (not deleted),
// with their tags.
func (s *Server) Templates() map[string]map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]map[string]string{}
	for id, t := range s.templates {
		if !t.deleted {
			out[id] = t.tags
		}
	}
	return out
}

var fisPathRE = regexp.MustCompile(`^/(experimentTemplates|experiments)(?:/([^/]+))?$`)

func decodeFIS(r *http.Request, body []byte) (call, *apiError) {
	m := fisPathRE.FindStringSubmatch(r.URL.Path)
	if m == nil {
		return call{}, &apiError{status: 404, code: "UnknownOperationException", message: "no FIS operation at " + r.URL.Path}
	}
	params := map[string]any{}
	if len(trimBody(body)) > 0 {
		if r.Header.Get("Content-Type") != "application/json" {
			return call{}, &apiError{status: 415, code: "UnsupportedMediaTypeException", message: "restJson1 bodies are application/json"}
		}
		if err := json.Unmarshal(body, &params); err != nil {
			return call{}, &apiError{status: 400, code: "SerializationException", message: err.Error()}
		}
	}
	for k, v := range r.URL.Query() {
		params[k] = v[0]
	}
	if m[2] != "" {
		params["id"] = m[2]
	}
	ops := map[string]string{
		"POST experimentTemplates":      "CreateExperimentTemplate",
		"GET experimentTemplates":       "ListExperimentTemplates",
		"GET experimentTemplates/id":    "GetExperimentTemplate",
		"DELETE experimentTemplates/id": "DeleteExperimentTemplate",
		"POST experiments":              "StartExperiment",
		"GET experiments":               "ListExperiments",
		"GET experiments/id":            "GetExperiment",
		"DELETE experiments/id":         "StopExperiment",
	}
	key := r.Method + " " + m[1]
	if m[2] != "" {
		key += "/id"
	}
	op, ok := ops[key]
	if !ok {
		return call{}, &apiError{status: 404, code: "UnknownOperationException", message: "no FIS operation " + key}
	}
	c := call{service: "fis", op: op, params: params}
	if op == "CreateExperimentTemplate" && str(params["roleArn"]) != "" {
		c.extra = append(c.extra, "iam:PassRole")
	}
	if (op == "CreateExperimentTemplate" || op == "StartExperiment") && len(asMap(params["tags"])) > 0 {
		c.extra = append(c.extra, "fis:TagResource")
	}
	return c, nil
}

func notFound(kind, id string) *apiError {
	return &apiError{status: 404, code: "ResourceNotFoundException", message: fmt.Sprintf("%s not found: %s", kind, id)}
}

func (s *Server) fisCall(c call, now time.Time) (any, *apiError) {
	p := c.params
	switch c.op {
	case "CreateExperimentTemplate":
		if tok := str(p["clientToken"]); tok != "" {
			for _, t := range s.templates {
				if t.clientToken == tok && !t.deleted {
					return map[string]any{"experimentTemplate": templateJSON(t)}, nil
				}
			}
		}
		if err := s.validateTemplate(p); err != nil {
			return nil, err
		}
		t := s.newTemplate(p, asMap(p["targets"]), asMap(p["actions"]), asList(p["stopConditions"]), asStringMap(p["tags"]))
		return map[string]any{"experimentTemplate": templateJSON(t)}, nil
	case "GetExperimentTemplate", "DeleteExperimentTemplate":
		t := s.templates[str(p["id"])]
		if t == nil || t.deleted {
			return nil, notFound("Experiment template", str(p["id"]))
		}
		if c.op == "DeleteExperimentTemplate" {
			t.deleted = true
		}
		return map[string]any{"experimentTemplate": templateJSON(t)}, nil
	case "ListExperimentTemplates":
		var ids []string
		for id, t := range s.templates {
			if !t.deleted {
				ids = append(ids, id)
			}
		}
		sort.Strings(ids)
		pg := page(ids, p, "ids", 100)
		var out []any
		for _, id := range strs(pg["ids"]) {
			t := s.templates[id]
			out = append(out, map[string]any{"id": t.id, "arn": t.arn, "description": t.description, "creationTime": epoch(t.created), "lastUpdateTime": epoch(t.created), "tags": t.tags})
		}
		res := map[string]any{"experimentTemplates": orEmpty(out)}
		if tok, ok := pg["nextToken"]; ok {
			res["nextToken"] = tok
		}
		return res, nil
	case "StartExperiment":
		if tok := str(p["clientToken"]); tok != "" {
			for _, e := range s.experiments {
				if e.clientToken == tok {
					return map[string]any{"experiment": experimentJSON(e)}, nil
				}
			}
		}
		t := s.templates[str(p["experimentTemplateId"])]
		if t == nil || t.deleted {
			return nil, notFound("Experiment template", str(p["experimentTemplateId"]))
		}
		id := "EXP" + strings.ToUpper(s.newID(14))
		e := &experiment{
			id: id, arn: fmt.Sprintf("arn:aws:fis:%s:%s:experiment/%s", Region, Account, id),
			tpl: *t, tags: asStringMap(p["tags"]), clientToken: str(p["clientToken"]),
			created: now, status: "pending",
		}
		e.duration = templateDuration(t.actions)
		t.experimentsN++
		s.experiments = append(s.experiments, e)
		s.advanceExperiment(e, now)
		return map[string]any{"experiment": experimentJSON(e)}, nil
	case "GetExperiment", "StopExperiment":
		e := s.experiment(str(p["id"]))
		if e == nil {
			return nil, notFound("Experiment", str(p["id"]))
		}
		if c.op == "StopExperiment" {
			if fisFinal[e.status] {
				return nil, &apiError{status: 409, code: "ConflictException", message: fmt.Sprintf("Experiment %s is %s and cannot be stopped", e.id, e.status)}
			}
			if e.stopAt.IsZero() {
				e.stopAt = now
				e.reason = "Experiment stopped"
			}
			s.advanceExperiment(e, now)
		}
		return map[string]any{"experiment": experimentJSON(e)}, nil
	case "ListExperiments":
		var ids []string
		for _, e := range s.experiments {
			if tid := str(p["experimentTemplateId"]); tid == "" || tid == e.tpl.id {
				ids = append(ids, e.id)
			}
		}
		pg := page(ids, p, "ids", 100)
		var out []any
		for _, id := range strs(pg["ids"]) {
			e := s.experiment(id)
			out = append(out, map[string]any{"id": e.id, "arn": e.arn, "experimentTemplateId": e.tpl.id, "state": stateJSON(e), "creationTime": epoch(e.created), "tags": e.tags})
		}
		res := map[string]any{"experiments": orEmpty(out)}
		if tok, ok := pg["nextToken"]; ok {
			res["nextToken"] = tok
		}
		return res, nil
	}
	return nil, &apiError{status: 404, code: "UnknownOperationException", message: "awsfake does not implement fis:" + c.op}
}

func (s *Server) experiment(id string) *experiment {
	for _, e := range s.experiments {
		if e.id == id {
			return e
		}
	}
	return nil
}

// validateTemplate applies the checks FIS makes on a new template.
func (s *Server) validateTemplate(p map[string]any) *apiError {
	bad := func(format string, args ...any) *apiError { return errValidation("fis", format, args...) }
	if str(p["roleArn"]) == "" {
		return bad("roleArn is required")
	}
	if !strings.HasPrefix(str(p["roleArn"]), "arn:aws:iam::") {
		return bad("roleArn %q is not an IAM role ARN", str(p["roleArn"]))
	}
	conds := asList(p["stopConditions"])
	if len(conds) == 0 {
		return bad("stopConditions is required (use source none for no stop condition)")
	}
	for _, c := range conds {
		c := asMap(c)
		switch str(c["source"]) {
		case "none":
		case "aws:cloudwatch:alarm":
			if s.alarmByARN(str(c["value"])) == nil {
				return bad("stop condition alarm %s does not exist", str(c["value"]))
			}
		default:
			return bad("stop condition source %q is not supported", str(c["source"]))
		}
	}
	targets := asMap(p["targets"])
	for name, t := range targets {
		t := asMap(t)
		if str(t["resourceType"]) == "" {
			return bad("target %s: resourceType is required", name)
		}
		if _, err := parseSelection(str(t["selectionMode"])); err != nil {
			return bad("target %s: %v", name, err)
		}
	}
	actions := asMap(p["actions"])
	if len(actions) == 0 {
		return bad("actions is required")
	}
	for name, a := range actions {
		a := asMap(a)
		id := str(a["actionId"])
		needsDuration, ok := knownActions[id]
		if !ok {
			return bad("action %s: unknown actionId %q", name, id)
		}
		d := str(asMap(a["parameters"])["duration"])
		if needsDuration && d == "" {
			return bad("action %s: %s requires the parameter duration", name, id)
		}
		if d != "" {
			dd, err := ParseISODuration(d)
			if err != nil || dd > 12*time.Hour {
				return bad("action %s: duration %q is not an ISO 8601 duration of at most PT12H", name, d)
			}
		}
		for _, ref := range asMap(a["targets"]) {
			if _, ok := targets[str(ref)]; !ok {
				return bad("action %s: target %v is not defined", name, ref)
			}
		}
	}
	return nil
}

var isoRE = regexp.MustCompile(`^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$`)

// ParseISODuration parses the ISO 8601 durations FIS action parameters
// hold ("PT1M30S").
func ParseISODuration(s string) (time.Duration, error) {
	m := isoRE.FindStringSubmatch(s)
	if m == nil || s == "PT" {
		return 0, fmt.Errorf("not an ISO 8601 duration: %q", s)
	}
	h, _ := strconv.Atoi(m[1])
	mi, _ := strconv.Atoi(m[2])
	sec, _ := strconv.ParseFloat(m[3], 64)
	return time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute + time.Duration(sec*float64(time.Second)), nil
}

// templateDuration is how long a template's actions run: the latest end
// over the startAfter chains.
func templateDuration(actions map[string]any) time.Duration {
	ends := map[string]time.Duration{}
	var end func(name string, depth int) time.Duration
	end = func(name string, depth int) time.Duration {
		if d, ok := ends[name]; ok || depth > len(actions) {
			return d
		}
		a := asMap(actions[name])
		var start time.Duration
		for _, dep := range strs(a["startAfter"]) {
			start = max(start, end(dep, depth+1))
		}
		d, _ := ParseISODuration(str(asMap(a["parameters"])["duration"]))
		ends[name] = start + d
		return ends[name]
	}
	var total time.Duration
	for name := range actions {
		total = max(total, end(name, 0))
	}
	return total
}

func parseSelection(mode string) (func(n int) int, error) {
	switch {
	case mode == "ALL":
		return func(n int) int { return n }, nil
	case strings.HasPrefix(mode, "COUNT(") && strings.HasSuffix(mode, ")"):
		k, err := strconv.Atoi(mode[6 : len(mode)-1])
		if err != nil || k < 1 {
			break
		}
		return func(n int) int { return min(k, n) }, nil
	case strings.HasPrefix(mode, "PERCENT(") && strings.HasSuffix(mode, ")"):
		pc, err := strconv.ParseFloat(mode[8:len(mode)-1], 64)
		if err != nil || pc <= 0 || pc > 100 {
			break
		}
		return func(n int) int { return min(n, int(math.Ceil(float64(n)*pc/100-1e-9))) }, nil
	}
	return nil, fmt.Errorf("selectionMode %q is not ALL, COUNT(n) or PERCENT(n)", mode)
}

// advanceExperiment moves e through its states up to now.
func (s *Server) advanceExperiment(e *experiment, now time.Time) {
	if fisFinal[e.status] {
		return
	}
	tm := s.timings
	runAt := e.created.Add(tm.ExperimentPending + tm.ExperimentInitiating)
	// A stop condition in alarm stops the experiment, as FIS does.
	if e.stopAt.IsZero() {
		for _, c := range e.tpl.stopConds {
			c := asMap(c)
			if str(c["source"]) != "aws:cloudwatch:alarm" {
				continue
			}
			if a := s.alarmByARN(str(c["value"])); a != nil && a.state == "ALARM" {
				e.stopAt = a.updated
				if e.stopAt.Before(e.created) {
					e.stopAt = e.created
				}
				e.reason = "Experiment stopped by stop condition " + a.name
				break
			}
		}
	}
	stopAt := e.stopAt
	switch {
	case !stopAt.IsZero() && stopAt.Before(runAt):
		// Stopped before it ran: no action applied.
	case !now.Before(runAt):
		if !e.applied {
			e.applied = true
			e.runFrom = runAt
			if err := s.resolveAndApply(e, runAt); err != "" {
				e.status, e.reason, e.end = "failed", err, runAt
				return
			}
		}
	}
	switch {
	case !stopAt.IsZero() && stopAt.Before(runAt.Add(e.duration)) && !now.Before(stopAt):
		if !now.Before(stopAt.Add(tm.ExperimentStopping)) {
			e.status, e.end = "stopped", stopAt.Add(tm.ExperimentStopping)
		} else {
			e.status = "stopping"
		}
	case now.Before(e.created.Add(tm.ExperimentPending)):
		e.status = "pending"
	case now.Before(runAt):
		e.status = "initiating"
	case now.Before(runAt.Add(e.duration)):
		e.status = "running"
	default:
		e.status, e.end, e.reason = "completed", runAt.Add(e.duration), "Experiment completed."
	}
}

// resolveAndApply resolves e's targets and applies its actions at when. It
// returns the reason it failed, if it did.
func (s *Server) resolveAndApply(e *experiment, when time.Time) string {
	e.resolved = map[string][]string{}
	for _, name := range sortedKeys(e.tpl.targets) {
		t := asMap(e.tpl.targets[name])
		arns := s.resolveTarget(t, when)
		pick, _ := parseSelection(str(t["selectionMode"]))
		k := pick(len(arns))
		s.rng.Shuffle(len(arns), func(i, j int) { arns[i], arns[j] = arns[j], arns[i] })
		arns = arns[:k]
		sort.Strings(arns)
		if len(arns) == 0 && e.tpl.emptyMode != "skip" {
			return fmt.Sprintf("Target resolution returned empty set for target %s.", name)
		}
		e.resolved[name] = arns
	}
	for _, name := range sortedKeys(e.tpl.actions) {
		a := asMap(e.tpl.actions[name])
		id := str(a["actionId"])
		for _, ref := range asMap(a["targets"]) {
			for _, arn := range e.resolved[str(ref)] {
				s.applyAction(e, id, arn, when)
			}
		}
	}
	return ""
}

func (s *Server) resolveTarget(t map[string]any, when time.Time) []string {
	var out []string
	switch str(t["resourceType"]) {
	case "aws:ecs:task":
		params := asMap(t["parameters"])
		arns := strs(t["resourceArns"])
		tags := asStringMap(t["resourceTags"])
		for _, c := range s.clusters {
			if cl := str(params["cluster"]); cl != "" && cl != c.name && cl != c.arn {
				continue
			}
			for _, svc := range c.services {
				if sv := str(params["service"]); sv != "" && sv != svc.name {
					continue
				}
				if !hasTags(svc.taskTags, tags) {
					continue
				}
				for _, tk := range svc.tasks {
					if tk.status(when) != "RUNNING" {
						continue
					}
					if len(arns) > 0 && !contains(arns, tk.arn) {
						continue
					}
					out = append(out, tk.arn)
				}
			}
		}
	case "aws:rds:cluster":
		for _, arn := range strs(t["resourceArns"]) {
			for _, c := range s.dbClusters {
				if c.arn == arn {
					out = append(out, arn)
				}
			}
		}
	default:
		out = strs(t["resourceArns"])
	}
	return out
}

func (s *Server) applyAction(e *experiment, actionID, arn string, when time.Time) {
	switch actionID {
	case "aws:ecs:stop-task":
		for _, c := range s.clusters {
			if t := c.findTask(arn); t != nil {
				s.stopTask(t, when, "Task stopped by FIS experiment "+e.id, "UserInitiated")
			}
		}
	case "aws:rds:failover-db-cluster":
		for _, c := range s.dbClusters {
			if c.arn == arn {
				s.startFailover(c, "", when)
			}
		}
	default:
		for _, c := range s.clusters {
			if t := c.findTask(arn); t != nil {
				t.faults = append(t.faults, actionID)
			}
		}
	}
}

func hasTags(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func stateJSON(e *experiment) map[string]any {
	m := map[string]any{"status": e.status}
	if e.reason != "" {
		m["reason"] = e.reason
	}
	return m
}

func templateJSON(t *template) map[string]any {
	return map[string]any{
		"id": t.id, "arn": t.arn, "description": t.description, "roleArn": t.roleArn,
		"targets": t.targets, "actions": t.actions, "stopConditions": t.stopConds,
		"tags": t.tags, "creationTime": epoch(t.created), "lastUpdateTime": epoch(t.created),
		"experimentOptions": map[string]any{"emptyTargetResolutionMode": t.emptyMode, "accountTargeting": "single-account"},
	}
}

func experimentJSON(e *experiment) map[string]any {
	actions := map[string]any{}
	for name, a := range e.tpl.actions {
		a := asMap(a)
		st := "pending"
		switch {
		case e.status == "running":
			st = "running"
		case e.status == "completed":
			st = "completed"
		case e.status == "stopping", e.status == "stopped":
			st = "stopped"
		case e.status == "failed":
			st = "cancelled"
		}
		actions[name] = map[string]any{"actionId": a["actionId"], "parameters": a["parameters"], "targets": a["targets"], "state": map[string]any{"status": st}}
	}
	targets := map[string]any{}
	for name, t := range e.tpl.targets {
		targets[name] = t
	}
	m := map[string]any{
		"id": e.id, "arn": e.arn, "experimentTemplateId": e.tpl.id, "roleArn": e.tpl.roleArn,
		"state": stateJSON(e), "targets": targets, "actions": actions,
		"stopConditions": e.tpl.stopConds, "tags": e.tags,
		"creationTime": epoch(e.created), "startTime": epoch(e.created),
	}
	if !e.end.IsZero() {
		m["endTime"] = epoch(e.end)
	}
	return m
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func asStringMap(v any) map[string]string {
	m := asMap(v)
	if m == nil {
		return nil
	}
	out := map[string]string{}
	for k, e := range m {
		out[k] = fmt.Sprint(e)
	}
	return out
}
