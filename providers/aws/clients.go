package aws

import (
	"context"
	"errors"
	"fmt"
	"github.com/aws/smithy-go/logging"
	"regexp"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/fis"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/smithy-go"
)

// The interfaces below are what the provider calls, each with the SDK
// client's exact method signatures, so *ecs.Client, *fis.Client,
// *rds.Client and *cloudwatch.Client satisfy them as they are and tests
// can hand in anything that does.

// ECSTasks lists, describes and stops an ECS service's tasks.
type ECSTasks interface {
	ListTasks(ctx context.Context, in *ecs.ListTasksInput, optFns ...func(*ecs.Options)) (*ecs.ListTasksOutput, error)
	DescribeTasks(ctx context.Context, in *ecs.DescribeTasksInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error)
	StopTask(ctx context.Context, in *ecs.StopTaskInput, optFns ...func(*ecs.Options)) (*ecs.StopTaskOutput, error)
}

// ECSServices reads an ECS service: its counts and its events.
type ECSServices interface {
	DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
}

// FISExperiments starts, follows and stops FIS experiments.
type FISExperiments interface {
	StartExperiment(ctx context.Context, in *fis.StartExperimentInput, optFns ...func(*fis.Options)) (*fis.StartExperimentOutput, error)
	GetExperiment(ctx context.Context, in *fis.GetExperimentInput, optFns ...func(*fis.Options)) (*fis.GetExperimentOutput, error)
	StopExperiment(ctx context.Context, in *fis.StopExperimentInput, optFns ...func(*fis.Options)) (*fis.StopExperimentOutput, error)
}

// FISTemplates creates, reads and deletes FIS experiment templates.
type FISTemplates interface {
	CreateExperimentTemplate(ctx context.Context, in *fis.CreateExperimentTemplateInput, optFns ...func(*fis.Options)) (*fis.CreateExperimentTemplateOutput, error)
	GetExperimentTemplate(ctx context.Context, in *fis.GetExperimentTemplateInput, optFns ...func(*fis.Options)) (*fis.GetExperimentTemplateOutput, error)
	DeleteExperimentTemplate(ctx context.Context, in *fis.DeleteExperimentTemplateInput, optFns ...func(*fis.Options)) (*fis.DeleteExperimentTemplateOutput, error)
}

// FISLister lists experiments and templates, to find by tag what a run
// that died left behind.
type FISLister interface {
	ListExperiments(ctx context.Context, in *fis.ListExperimentsInput, optFns ...func(*fis.Options)) (*fis.ListExperimentsOutput, error)
	ListExperimentTemplates(ctx context.Context, in *fis.ListExperimentTemplatesInput, optFns ...func(*fis.Options)) (*fis.ListExperimentTemplatesOutput, error)
}

// RDSClusters fails an Aurora cluster over and watches it.
type RDSClusters interface {
	FailoverDBCluster(ctx context.Context, in *rds.FailoverDBClusterInput, optFns ...func(*rds.Options)) (*rds.FailoverDBClusterOutput, error)
	DescribeDBClusters(ctx context.Context, in *rds.DescribeDBClustersInput, optFns ...func(*rds.Options)) (*rds.DescribeDBClustersOutput, error)
}

// RDSInstances reboots an RDS instance (with failover) and watches it.
type RDSInstances interface {
	RebootDBInstance(ctx context.Context, in *rds.RebootDBInstanceInput, optFns ...func(*rds.Options)) (*rds.RebootDBInstanceOutput, error)
	DescribeDBInstances(ctx context.Context, in *rds.DescribeDBInstancesInput, optFns ...func(*rds.Options)) (*rds.DescribeDBInstancesOutput, error)
}

// CloudWatchMetrics reads metric series.
type CloudWatchMetrics interface {
	GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
}

// CloudWatchAlarms reads alarm states.
type CloudWatchAlarms interface {
	DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
}

// Clients are the AWS clients the provider calls. A nil field is a service
// the run does not use; a fault that needs it fails with ErrNotApplied.
type Clients struct {
	Tasks       ECSTasks
	Services    ECSServices
	Experiments FISExperiments
	Templates   FISTemplates
	Lister      FISLister
	DBClusters  RDSClusters
	DBInstances RDSInstances
	Alarms      CloudWatchAlarms
	Metrics     CloudWatchMetrics
}

// NewClients builds every client from one configuration (LoadConfig's).
// Only cmd calls it; the SDK resolves each service's endpoint itself,
// AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> included.
func NewClients(cfg awssdk.Config) Clients {
	e, f, r, cw := ecs.NewFromConfig(cfg), fis.NewFromConfig(cfg), rds.NewFromConfig(cfg), cloudwatch.NewFromConfig(cfg)
	return Clients{Tasks: e, Services: e, Experiments: f, Templates: f, Lister: f, DBClusters: r, DBInstances: r, Alarms: cw, Metrics: cw}
}

// MaxAttempts is how many times a call is tried when AWS throttles it or
// fails transiently (the SDK's standard retryer, with its backoff).
const MaxAttempts = 6

// LoadConfig loads the AWS configuration the way the AWS CLI does: the
// SDK's default chain (environment, shared config and credentials files,
// SSO, web identity, ECS task and EC2 instance roles), with profile and
// region when not empty. Endpoints come from the SDK too:
// AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> (ECS, FIS, RDS,
// CLOUDWATCH) or the profile's services section send calls to an
// emulator. Credentials are resolved lazily, on the first call, and never
// leave the SDK.
func LoadConfig(ctx context.Context, profile, region string, logf func(string, ...any)) (awssdk.Config, error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	opts := []func(*config.LoadOptions) error{
		// The SDK's own warnings (falling back to IMDSv1, say) go to the
		// caller's log, never straight onto a terminal a console owns.
		config.WithLogger(logging.LoggerFunc(func(c logging.Classification, format string, v ...any) {
			logf("aws sdk %s: "+format, append([]any{c}, v...)...)
		})),
		config.WithRetryer(func() awssdk.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = MaxAttempts
				o.MaxBackoff = 20 * time.Second
			})
		}),
	}
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return awssdk.Config{}, fmt.Errorf("load the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return awssdk.Config{}, errors.New("load the AWS configuration: no region: set the scenario's target region, --region, AWS_REGION or the profile's region")
	}
	return cfg, nil
}

// AccessDeniedError says which IAM action AWS refused.
type AccessDeniedError struct {
	// Action is the IAM action the credentials lack ("ecs:StopTask").
	Action string
	Err    error
}

func (e *AccessDeniedError) Error() string {
	return fmt.Sprintf("AWS denied %s: the IAM policy of these credentials must allow %s (docs/aws.md lists every action gameday needs)", e.Action, e.Action)
}

// Unwrap returns AWS's own error.
func (e *AccessDeniedError) Unwrap() error { return e.Err }

var deniedCodes = map[string]bool{"AccessDenied": true, "AccessDeniedException": true, "UnauthorizedOperation": true, "UnauthorizedException": true, "AuthorizationError": true}

var notAuthorizedRE = regexp.MustCompile(`not authorized to perform: ([a-zA-Z0-9-]+:[A-Za-z0-9]+)`)

// awsErr turns an AccessDenied answer into an *AccessDeniedError naming
// the IAM action: the one AWS's message names (it may be another than the
// call's own, such as iam:PassRole), else the call's.
func awsErr(err error) error {
	var api smithy.APIError
	if err == nil || !errors.As(err, &api) || !deniedCodes[api.ErrorCode()] {
		return err
	}
	action := ""
	if m := notAuthorizedRE.FindStringSubmatch(api.ErrorMessage()); m != nil {
		action = m[1]
	} else if op := (*smithy.OperationError)(nil); errors.As(err, &op) {
		action = iamService(op.ServiceID) + ":" + op.OperationName
	}
	if action == "" {
		return err
	}
	return &AccessDeniedError{Action: action, Err: err}
}

func iamService(serviceID string) string {
	return strings.ReplaceAll(strings.ToLower(serviceID), " ", "")
}

// apiCode returns the AWS error code of err ("" when it is not one).
func apiCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}
