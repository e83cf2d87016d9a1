package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/providers/prometheus"
	"github.com/gameday-tui/gameday/providers/sandbox"
	"github.com/gameday-tui/gameday/scenarios"
)

// The provider registry: the one place that knows which providers and
// metric sources this build of gameday has, and how to connect to each
// from the command line's flags. The scenario loader learns their schemas
// from it (registry.options), and the picker, headless runs, dry runs and
// recover all connect through it; nothing else in the command line names
// a concrete provider.

// backend is one provider this build has.
type backend struct {
	// spec is what the provider accepts in a scenario file.
	spec providers.Spec
	// open connects to the system a plan targets, for a run, a preview or
	// a dry run.
	open func(ctx context.Context, plan *scenarios.Plan, o connectOptions) (*conn, error)
	// reach connects, for `gameday recover`, to the very system a
	// journal's identity names. When it cannot reach that system, or
	// cannot tell that it is that one, it returns an error saying what
	// could not be checked; errGone when the system is provably gone (its
	// faults ended with it).
	reach func(ctx context.Context, id providers.Identity, plan *scenarios.Plan, o connectOptions) (*conn, error)
	// eager says the console connects at start (a local system that takes
	// a moment to start), not when a plan of it is first shown.
	eager bool
}

// errGone says that the system a journal names is provably gone, and every
// fault that lived in it with it.
var errGone = errors.New("the system is gone")

// sourceBackend is one metric source this build has.
type sourceBackend struct {
	spec providers.SourceSpec
	// open connects the plan's metrics source (plan.Metrics); the plan's
	// target is there for defaults it shares (the AWS region).
	open func(ctx context.Context, plan *scenarios.Plan, o connectOptions) (providers.MetricSource, error)
}

// connectOptions are the command line's settings for connecting to a
// system: the flags a provider reads.
type connectOptions struct {
	// logf says what gameday did to reach the system (attached, started);
	// systemLog takes what the system itself logs (the sandbox's
	// processes): the --log file, and stderr only with --verbose.
	logf      func(string, ...any)
	systemLog func(string, ...any)
	fragile   bool // sandbox: start it without its resilience patterns
	aws       awsFlags
	kube      kubeFlags
}

// conn is a system gameday is connected to.
type conn struct {
	provider providers.Provider
	// sources are the system's own metric sources (a running count from
	// an informer, say), besides the built-in load and the plan's
	// metrics source.
	sources []providers.MetricSource
	// running fills the built-in load's samples' running count; nil when
	// the system has none.
	running providers.RunningCounter
	// loadBase is where built-in load goes when the plan gives a path
	// (the sandbox's load balancer); "" when the plan must give load.url.
	loadBase string
	// loadPath is the path built-in load takes on loadBase when the plan
	// gives none (the sandbox's sandbox.LoadPath); "" means "/".
	loadPath string
	// identity says which system this is (journaled for recover).
	identity providers.Identity
	// notes say, for the log, how it was reached.
	notes []string
	close func() error
}

// Close closes what open started (a sandbox started for this process).
func (c *conn) Close() error {
	if c == nil || c.close == nil {
		return nil
	}
	return c.close()
}

// registry is the set of backends and metric sources of this build.
type registry struct {
	backends map[string]backend
	sources  map[string]sourceBackend
}

// defaultRegistry returns every provider and metric source gameday is
// built with.
func defaultRegistry() *registry {
	r := &registry{backends: map[string]backend{}, sources: map[string]sourceBackend{}}
	r.add(sandboxBackend())
	r.add(awsBackend())
	r.add(kubernetesBackend())
	r.addSource(cloudWatchSource())
	r.addSource(prometheusSource())
	return r
}

func (r *registry) add(b backend) { r.backends[b.spec.Name] = b }

func (r *registry) addSource(s sourceBackend) { r.sources[s.spec.Name] = s }

// options are the scenario loader's options: every provider's and source's
// schema.
func (r *registry) options() scenarios.Options {
	o := scenarios.Options{Providers: map[string]providers.Spec{}, Sources: map[string]providers.SourceSpec{}}
	for name, b := range r.backends {
		o.Providers[name] = b.spec
	}
	for name, s := range r.sources {
		o.Sources[name] = s.spec
	}
	return o
}

// names lists the providers, sorted.
func (r *registry) names() []string {
	out := make([]string, 0, len(r.backends))
	for n := range r.backends {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// backend returns the backend of provider name, or an error listing the
// known ones.
func (r *registry) backend(name string) (backend, error) {
	b, ok := r.backends[name]
	if !ok {
		return backend{}, fmt.Errorf("unknown provider %q (this gameday knows %s)", name, strings.Join(r.names(), ", "))
	}
	return b, nil
}

// open connects to plan's system.
func (r *registry) open(ctx context.Context, plan *scenarios.Plan, o connectOptions) (*conn, error) {
	b, err := r.backend(plan.Target.Provider)
	if err != nil {
		return nil, invalid(fmt.Errorf("%s: %w", plan.Path, err))
	}
	if o.logf == nil {
		o.logf = func(string, ...any) {}
	}
	c, err := b.open(ctx, plan, o)
	if err != nil {
		return nil, err
	}
	if id, ok := c.provider.(providers.Identifier); ok && c.identity.Provider == "" {
		if got, err := id.Identity(ctx); err == nil {
			c.identity = got
		}
	}
	if c.identity.Provider == "" {
		c.identity.Provider = b.spec.Name
	}
	return c, nil
}

// source opens plan's metrics source, if it names one.
func (r *registry) source(ctx context.Context, plan *scenarios.Plan, o connectOptions) (providers.MetricSource, error) {
	if plan.Metrics == nil {
		return nil, nil
	}
	s, ok := r.sources[plan.Metrics.Source]
	if !ok {
		return nil, invalid(fmt.Errorf("%s: unknown metric source %q", plan.Path, plan.Metrics.Source))
	}
	if o.logf == nil {
		o.logf = func(string, ...any) {}
	}
	return s.open(ctx, plan, o)
}

// conns keeps one connection per provider for the console, which may show
// plans of several providers in one session; each is opened when a plan
// of its provider is first previewed or started, and all are closed when
// the console ends.
type conns struct {
	reg  *registry
	opts connectOptions
	mu   sync.Mutex
	open map[string]*conn
}

func newConns(reg *registry, o connectOptions) *conns {
	return &conns{reg: reg, opts: o, open: map[string]*conn{}}
}

// get returns the connection for plan's provider, opening it if needed.
func (cs *conns) get(ctx context.Context, plan *scenarios.Plan) (*conn, error) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if c, ok := cs.open[plan.Target.Provider]; ok {
		return c, nil
	}
	c, err := cs.reg.open(ctx, plan, cs.opts)
	if err != nil {
		return nil, err
	}
	cs.open[plan.Target.Provider] = c
	return c, nil
}

// Close closes every connection.
func (cs *conns) Close() error {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	var errs []error
	for _, c := range cs.open {
		errs = append(errs, c.Close())
	}
	cs.open = map[string]*conn{}
	return errors.Join(errs...)
}

// sandboxBackend is the embedded sandbox: attach to a running `gameday
// sandbox`, or start one for this process.
func sandboxBackend() backend {
	return backend{
		spec:  sandbox.Spec(),
		eager: true,
		open: func(ctx context.Context, _ *scenarios.Plan, o connectOptions) (*conn, error) {
			client, st, err := sandbox.Discover(ctx)
			switch {
			case err == nil:
				if o.fragile && !st.Fragile {
					return nil, invalid(fmt.Errorf("--fragile: the running sandbox (pid %d) is resilient; stop it or start it with `gameday sandbox --fragile`", st.PID))
				}
				o.logf("attached to the running sandbox (pid %d, load balancer %s)", st.PID, st.LB)
				return &conn{provider: client, running: client, loadBase: st.LB, loadPath: sandbox.LoadPath}, nil
			case errors.Is(err, sandbox.ErrNoSandbox):
			default:
				return nil, fmt.Errorf("look for a running sandbox: %w", err)
			}
			sysLog := o.systemLog
			if sysLog == nil {
				sysLog = debugf
			}
			sb, err := sandbox.Start(ctx, sandbox.Options{Fragile: o.fragile, Logf: sysLog})
			if err != nil {
				return nil, fmt.Errorf("start the sandbox: %w", err)
			}
			o.logf("started a sandbox for this run (load balancer %s)", sb.URL())
			c := sb.Client()
			return &conn{provider: c, running: c, loadBase: sb.State().LB, loadPath: sandbox.LoadPath, close: sb.Close}, nil
		},
		// recover reaches the very sandbox the journal names: by its
		// instance id at its journaled control address, with the token
		// from a state file that holds it. Provably gone (its pid dead
		// and the address refusing or another sandbox's) is gone with its
		// faults; anything it cannot check is an error that says what.
		reach: func(ctx context.Context, id providers.Identity, _ *scenarios.Plan, _ connectOptions) (*conn, error) {
			if id.ID == "" {
				// A journal from before identities: the running sandbox, if
				// any, is the only one to try.
				client, st, err := sandbox.Discover(ctx)
				switch {
				case errors.Is(err, sandbox.ErrNoSandbox):
					return nil, fmt.Errorf("the journal does not say which sandbox the run acted on, and none is running here (check with the state directory of the run: GAMEDAY_STATE_DIR)")
				case err != nil:
					return nil, fmt.Errorf("attach to the sandbox: %w", err)
				}
				return &conn{provider: client, running: client, loadBase: st.LB, loadPath: sandbox.LoadPath}, nil
			}
			client, err := sandbox.Reach(ctx, id)
			switch {
			case errors.Is(err, sandbox.ErrSandboxGone):
				return nil, fmt.Errorf("%w: %v", errGone, err)
			case err != nil:
				return nil, err
			}
			return &conn{provider: client, running: client, loadBase: client.URL(), loadPath: sandbox.LoadPath}, nil
		},
	}
}

// prometheusSource reads a scenario's metrics from Prometheus. The API
// client is built here, once per run, from the scenario's fields: a bearer
// token or basic auth password from the environment variable the scenario
// names, and a CA file.
func prometheusSource() sourceBackend {
	return sourceBackend{
		spec: prometheus.SourceSpec(),
		open: func(_ context.Context, plan *scenarios.Plan, o connectOptions) (providers.MetricSource, error) {
			cfg := plan.Metrics
			c, err := prometheus.ConfigFrom(cfg.Fields)
			if err != nil {
				return nil, invalid(fmt.Errorf("metrics: %w", err))
			}
			api, err := prometheus.NewAPI(c, os.LookupEnv)
			if err != nil {
				return nil, invalid(fmt.Errorf("metrics: %w", err))
			}
			o.logf("metrics from Prometheus at %s every %s (lag %s)", c.URL, c.Interval, c.Lag)
			return prometheus.NewSource(api, c), nil
		},
	}
}
