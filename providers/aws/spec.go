package aws

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/gameday-tui/gameday/providers"
)

// FISTemplate is the AWS provider's native kind: start an existing FIS
// experiment template by id (params.template_id), follow it, stop it on
// abort.
const FISTemplate providers.Kind = "fis-template"

// The scenario target's fields (target: { provider: aws, … }).
const (
	FieldRegion      = "region"
	FieldCluster     = "cluster"
	FieldService     = "service"
	FieldDBCluster   = "db_cluster"
	FieldDBInstance  = "db_instance"
	FieldRoleARN     = "role_arn"
	FieldStopAlarms  = "stop_alarms"
	FieldTasks       = "tasks"
	FieldTags        = "tags"
	FieldALB         = "alb"
	FieldTargetGroup = "target_group"
)

// The params the provider adds to kinds (params: { … }).
const (
	ParamTemplateID      = "template_id"
	ParamRoleARN         = "role_arn"
	ParamDuration        = "action_duration"
	ParamSeed            = "seed"
	ParamPort            = "port"
	ParamProtocol        = "protocol"
	ParamTrafficType     = "traffic_type"
	ParamLossPercent     = "loss_percent"
	ParamSources         = "sources"
	ParamInstallDeps     = "install_dependencies"
	ParamFaultEndpoint   = "use_ecs_fault_injection_endpoints"
	ParamTargetInstance  = "target_instance"
	metricsFieldPeriod   = "period"
	metricsFieldLag      = "lag"
	metricsFieldInterval = "interval"
)

// The modes of the classic kinds (params.mode), the first the default.
const (
	ModeStopTask  = "stop-task"
	ModeFIS       = "fis"
	ModeBlackhole = "blackhole"
	ModeLoss      = "loss"
	ModeFailover  = "failover"
	ModeReboot    = "reboot"
)

var (
	regionRE = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)
	roleRE   = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/.+$`)
	tmplRE   = regexp.MustCompile(`^EXT[A-Za-z0-9]+$`)
)

func checkString(re *regexp.Regexp, what string) func(v any) error {
	return func(v any) error {
		s, _ := v.(string)
		if !re.MatchString(s) {
			return fmt.Errorf("%q is not %s", s, what)
		}
		return nil
	}
}

// Spec returns what the AWS provider accepts in a scenario file.
func Spec() providers.Spec {
	durationParam := providers.FieldSpec{Name: ParamDuration, Type: providers.FieldDuration, Min: providers.Ptr(1), Max: providers.Ptr(12 * 3600),
		Doc: "the FIS action's duration, if shorter than the fault's TTL (which it is by default)"}
	roleParam := providers.FieldSpec{Name: ParamRoleARN, Type: providers.FieldString, Check: checkString(roleRE, "an IAM role ARN"),
		Doc: "the IAM role FIS assumes, instead of the target's role_arn"}
	templateParam := providers.FieldSpec{Name: ParamTemplateID, Type: providers.FieldString, Check: checkString(tmplRE, "an FIS experiment template id (EXT…)"),
		Doc: "run this existing FIS experiment template instead of one gameday creates"}
	installDeps := providers.FieldSpec{Name: ParamInstallDeps, Type: providers.FieldBool, Doc: "let FIS install the tools the action needs in the task (FIS default true)"}
	endpoint := providers.FieldSpec{Name: ParamFaultEndpoint, Type: providers.FieldBool, Doc: "use the ECS fault injection endpoints instead of the SSM agent"}
	sources := providers.FieldSpec{Name: ParamSources, Type: providers.FieldStrings, Doc: "IPs, CIDR blocks or domains the network fault applies to (FIS default: all)"}
	fisCommon := []providers.FieldSpec{templateParam, roleParam, durationParam, installDeps}
	return providers.Spec{
		Name:  ProviderName,
		Kinds: append(append([]providers.Kind{}, providers.Kinds...), FISTemplate),
		Target: []providers.FieldSpec{
			{Name: FieldRegion, Type: providers.FieldString, Check: checkString(regionRE, "an AWS region like us-east-1"), Doc: "the AWS region (else --region, AWS_REGION or the profile's)"},
			{Name: FieldCluster, Type: providers.FieldString, Doc: "the ECS cluster name or ARN"},
			{Name: FieldService, Type: providers.FieldString, Doc: "the ECS service name: its tasks are the targets, its runningCount the running count"},
			{Name: FieldDBCluster, Type: providers.FieldString, Doc: "the Aurora DB cluster identifier (db-failure)"},
			{Name: FieldDBInstance, Type: providers.FieldString, Doc: "the Multi-AZ DB instance identifier (db-failure, mode reboot)"},
			{Name: FieldRoleARN, Type: providers.FieldString, Check: checkString(roleRE, "an IAM role ARN"), Doc: "the IAM role FIS assumes for the experiments gameday creates"},
			{Name: FieldStopAlarms, Type: providers.FieldStrings, Doc: "CloudWatch alarm names: ALARM aborts the run, and they are the stop conditions of every FIS experiment gameday creates"},
		},
		Selector: []providers.FieldSpec{
			{Name: FieldCluster, Type: providers.FieldString, Doc: "another ECS cluster than the target's"},
			{Name: FieldService, Type: providers.FieldString, Doc: "another ECS service than the target's"},
			{Name: FieldTasks, Type: providers.FieldStrings, Doc: "ECS task ARNs (or ids) to choose from"},
			{Name: FieldTags, Type: providers.FieldStringMap, Doc: "ECS task tags every chosen task carries"},
			{Name: FieldDBCluster, Type: providers.FieldString, Doc: "another Aurora DB cluster than the target's"},
			{Name: FieldDBInstance, Type: providers.FieldString, Doc: "another DB instance than the target's"},
		},
		Params: map[providers.Kind][]providers.FieldSpec{
			providers.InstanceStop: {
				{Name: ParamSeed, Type: providers.FieldInt, Doc: "the seed of the random choice of tasks (default: drawn at inject time and journaled)"},
				roleParam, templateParam,
			},
			providers.Latency:      append(append([]providers.FieldSpec{}, fisCommon...), sources, endpoint),
			providers.CPUStress:    fisCommon,
			providers.MemoryStress: fisCommon,
			providers.DependencyOutage: append(append([]providers.FieldSpec{}, fisCommon...), sources, endpoint,
				providers.FieldSpec{Name: ParamPort, Type: providers.FieldInt, Min: providers.Ptr(0), Max: providers.Ptr(65535), Doc: "blackhole: the port to drop traffic to"},
				providers.FieldSpec{Name: ParamProtocol, Type: providers.FieldString, OneOf: []string{"tcp", "udp"}, Doc: "blackhole: the protocol"},
				providers.FieldSpec{Name: ParamTrafficType, Type: providers.FieldString, OneOf: []string{"egress", "ingress"}, Doc: "blackhole: which direction (default egress: the task's calls out)"},
				providers.FieldSpec{Name: ParamLossPercent, Type: providers.FieldNumber, Min: providers.Ptr(1), Max: providers.Ptr(100), Doc: "loss: percent of packets dropped"}),
			providers.DBFailure: {
				{Name: ParamTargetInstance, Type: providers.FieldString, Doc: "failover: the reader to promote (default: RDS picks)"},
			},
			FISTemplate: {
				{Name: ParamTemplateID, Type: providers.FieldString, Required: true, Check: checkString(tmplRE, "an FIS experiment template id (EXT…)"), Doc: "the experiment template to start"},
			},
		},
		Modes: map[providers.Kind][]string{
			providers.InstanceStop:     {ModeStopTask, ModeFIS},
			providers.DependencyOutage: {ModeBlackhole, ModeLoss},
			providers.DBFailure:        {ModeFailover, ModeReboot},
		},
		CheckTarget:  checkTarget,
		CheckFault:   checkFault,
		NoLoadNeeded: true,
	}
}

func checkTarget(t providers.Fields) []providers.FieldError {
	var errs []providers.FieldError
	if t.Has(FieldService) && !t.Has(FieldCluster) {
		errs = append(errs, providers.NewFieldError(FieldService, "an ECS service needs its cluster: add cluster"))
	}
	if !t.Has(FieldCluster) && !t.Has(FieldDBCluster) && !t.Has(FieldDBInstance) {
		errs = append(errs, providers.NewFieldError("provider", "an aws target names what it acts on: cluster and service (ECS), db_cluster or db_instance (RDS)"))
	}
	return errs
}

// kindMode returns f's mode, or the kind's default.
func kindMode(f providers.Fault) string {
	if f.Params.Mode != "" {
		return f.Params.Mode
	}
	if m := Spec().Modes[f.Kind]; len(m) > 0 {
		return m[0]
	}
	return ""
}

// usesFIS reports whether f runs as an FIS experiment.
func usesFIS(f providers.Fault) bool {
	switch f.Kind {
	case providers.DBFailure:
		return false
	case providers.InstanceStop:
		return kindMode(f) == ModeFIS || f.Params.Extra.Has(ParamTemplateID)
	}
	return true
}

func checkFault(target providers.Fields, f providers.Fault) []providers.FieldError {
	var errs []providers.FieldError
	add := func(path, format string, args ...any) {
		errs = append(errs, providers.NewFieldError(path, format, args...))
	}
	sc := merge(target, f.Target)
	x := f.Params.Extra
	if f.Params.Mode != "" && f.Kind != FISTemplate && !contains(Spec().Modes[f.Kind], f.Params.Mode) {
		add("params.mode", "the aws provider's %s modes are %s", f.Kind, strings.Join(Spec().Modes[f.Kind], ", "))
	}
	existing := x.Has(ParamTemplateID)
	switch {
	case f.Kind == FISTemplate:
		return errs
	case f.Kind == providers.DBFailure:
		if kindMode(f) == ModeReboot && !sc.Has(FieldDBInstance) {
			add("target.db_instance", "db-failure in mode reboot needs a db_instance (in the target or the fault's target)")
		}
		if kindMode(f) == ModeFailover && !sc.Has(FieldDBCluster) {
			add("target.db_cluster", "db-failure in mode failover needs a db_cluster (in the target or the fault's target)")
		}
		return errs
	}
	if !existing && (!sc.Has(FieldCluster) || !sc.Has(FieldService)) && len(sc.Strings(FieldTasks)) == 0 {
		add("target.service", "%s acts on an ECS service's tasks: name cluster and service (in the target or the fault's target)", f.Kind)
	}
	if !existing && len(sc.Strings(FieldTasks)) > 0 && !sc.Has(FieldCluster) {
		add("target.cluster", "task ARNs need their cluster")
	}
	if usesFIS(f) && !existing && !x.Has(ParamRoleARN) && !target.Has(FieldRoleARN) {
		add("params.role_arn", "FIS needs a role to assume for %s: set role_arn in the target or the fault's params, or give a template_id", f.Kind)
	}
	switch f.Kind {
	case providers.MemoryStress:
		if !existing && f.Params.MemoryMB <= 0 {
			add("params.memory_mb", "memory-stress needs params.memory_mb (gameday turns it into FIS's percent of the task's memory)")
		}
	case providers.CPUStress:
		if f.Params.Load < 0 || f.Params.Load > 100 {
			add("params.load", "load is a percent, 0 to 100")
		}
	case providers.DependencyOutage:
		if !existing && kindMode(f) == ModeBlackhole && (!x.Has(ParamPort) || !x.Has(ParamProtocol)) {
			add("params.port", "a blackhole needs the dependency's port and protocol (params.port, params.protocol)")
		}
		if kindMode(f) == ModeLoss && x.Has(ParamPort) {
			add("params.port", "mode loss drops packets to sources, not to a port: use params.sources")
		}
	case providers.Latency:
		if !existing && f.Params.Delay <= 0 {
			add("params.delay", "latency needs a delay")
		}
	}
	if d := x.Duration(ParamDuration); d > 0 && d%time.Second != 0 {
		add("params."+ParamDuration, "FIS durations are whole seconds")
	}
	return errs
}

// CloudWatchSourceSpec declares the scenario's metrics mapping for
// CloudWatch (metrics: { source: cloudwatch, alb: app/my-alb/0123…, … }):
// the ALB whose TargetResponseTime p95, HTTPCode_Target_5XX_Count ÷
// RequestCount and RequestCount per second are the p95, error rate and
// throughput.
func CloudWatchSourceSpec() providers.SourceSpec {
	return providers.SourceSpec{
		Name: SourceName,
		Fields: []providers.FieldSpec{
			{Name: FieldALB, Type: providers.FieldString, Required: true, Check: checkString(albRE, "an ALB's LoadBalancer dimension like app/my-alb/0123456789abcdef"), Doc: "the ALB, as its CloudWatch LoadBalancer dimension"},
			{Name: FieldTargetGroup, Type: providers.FieldString, Check: checkString(tgRE, "a TargetGroup dimension like targetgroup/my-tg/0123456789abcdef"), Doc: "only this target group's traffic"},
			{Name: FieldRegion, Type: providers.FieldString, Check: checkString(regionRE, "an AWS region like us-east-1"), Doc: "the region of the metrics (default the target's)"},
			{Name: metricsFieldPeriod, Type: providers.FieldDuration, Min: providers.Ptr(1), Max: providers.Ptr(3600), Doc: "the CloudWatch period: the resolution (default 60s; ALB metrics are per minute)"},
			{Name: metricsFieldLag, Type: providers.FieldDuration, Min: providers.Ptr(0), Max: providers.Ptr(3600), Doc: "how late CloudWatch may publish a period's point (default 3m)"},
			{Name: metricsFieldInterval, Type: providers.FieldDuration, Min: providers.Ptr(1), Max: providers.Ptr(600), Doc: "how often to call GetMetricData (default a quarter of the period, at least 1s)"},
		},
		Check: func(f providers.Fields) []providers.FieldError {
			if p := f.Duration(metricsFieldPeriod); p > 0 && !validPeriod(p) {
				return []providers.FieldError{providers.NewFieldError(metricsFieldPeriod, "a CloudWatch period is 1s, 5s, 10s, 30s or a multiple of 60s")}
			}
			return nil
		},
	}
}

var (
	albRE = regexp.MustCompile(`^app/[^/]+/[0-9a-f]+$`)
	tgRE  = regexp.MustCompile(`^targetgroup/[^/]+/[0-9a-f]+$`)
)

func validPeriod(p time.Duration) bool {
	if p%time.Second != 0 {
		return false
	}
	s := int(p / time.Second)
	return s == 1 || s == 5 || s == 10 || s == 30 || s%60 == 0
}

// merge returns the fields of each in turn, later ones winning.
func merge(all ...providers.Fields) providers.Fields {
	out := providers.Fields{}
	for _, f := range all {
		for k, v := range f {
			out[k] = v
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
