// Package sandbox is gameday's embedded demo system: a small service made of
// real OS processes on 127.0.0.1 that faults can really break.
//
// A Sandbox runs, as children re-executed from the running binary (see
// ChildArg and RunChild):
//   - N replicas of an HTTP API, GET /api/users/{id}, each reading the user
//     from the database and the profile from the dependency. Resilient
//     replicas put a timeout on every call, retry the database with
//     exponential backoff and jitter, and guard the dependency with a
//     circuit breaker that falls back to the last good profile; fragile ones
//     (Options.Fragile) do none of this;
//   - a database process (a line-based key-value server on TCP);
//   - a dependency process (HTTP, JSON).
//
// In the parent run a load balancer (round robin over healthy replicas,
// active health checks like an ALB, Prometheus metrics at /metrics), a
// supervisor that restarts a dead replica after a delay like an ECS service
// scheduler, the fault hooks (see HookKind), a log of what the sandbox does
// by itself (system events), one lease, and a control API on loopback
// behind a random bearer token. Client talks to that API and implements the
// providers interfaces, so the engine drives the sandbox like any other
// system, in the same process or from another one (see Discover and Reach).
//
// Where to find it:
//
//	sandbox.go          Start, Close, Status; the parent's processes
//	hooks.go            hook kinds, specs, and the registry (TTL, owner label, undo)
//	fault.go            the per-kind mechanism interface and shared probes
//	fault_*.go          one file per fault kind: apply, undo and verify side by side
//	verify.go           POST /verify: judge a fault on what it changed, others apart
//	events.go           system events: the parent's log, GET /events, Client.SystemEvents
//	identity.go         instance identity, GET /identity, Reach and its errors
//	lease.go            one run at a time: POST/PUT/DELETE /lease, Client.Lease
//	spec.go             Spec: what a scenario file may say to the sandbox
//	provider.go         Client as a providers.Provider; SpecFor; Timeouts
//	control.go          the control API's routes
//	lb.go, metrics.go   the load balancer, its health checks and /metrics
//	proc.go             supervised child processes
//	replica.go, database.go, dependency.go, breaker.go, child.go  the children
//	state.go            the state file a running `gameday sandbox` writes
//
// Nothing outlives the parent: children are started with Pdeathsig=SIGKILL
// on Linux, and each also exits when its standard input (a pipe from the
// parent) closes or its parent process ID changes.
package sandbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// Defaults of Options.
const (
	DefaultReplicas     = 4
	DefaultRestartDelay = 5 * time.Second
	maxReplicas         = 64
	startBound          = 30 * time.Second
)

// Options configure a sandbox.
type Options struct {
	// Replicas is how many API replicas run; 0 means DefaultReplicas.
	Replicas int
	// Fragile turns off the replicas' timeouts, retries, breaker and
	// fallback, so that a dependency outage shows as errors.
	Fragile bool
	// RestartDelay is how long the supervisor waits before restarting a dead
	// replica; 0 means DefaultRestartDelay.
	RestartDelay time.Duration
	// Executable is the binary re-executed for the children; it must call
	// RunChild first thing. Empty means os.Executable(). Tests pass the test
	// binary, whose TestMain calls RunChild.
	Executable string
	// Logf, if set, receives the sandbox's log lines (children's included).
	Logf func(format string, args ...any)
}

// Sandbox is a running sandbox. Close stops it.
type Sandbox struct {
	opts       Options
	exe        string
	ctx        context.Context
	cancel     context.CancelFunc
	spawner    *spawner
	adminToken string // between the parent and its children
	token      string // of the control API
	instance   string // random, never reused (see Identity)
	adminHTTP  *http.Client

	db       *proc
	dep      *proc
	replicas []*proc
	lb       *balancer
	hooks    *hookRegistry
	events   *eventLog
	leases   leases

	lbSrv, ctlSrv *http.Server
	lbURL         string
	ctlAddr       string

	wg        sync.WaitGroup
	closeOnce sync.Once
	done      chan struct{}
}

// Start starts every process of a sandbox and returns once every replica is
// healthy in the load balancer. ctx bounds the start only: the sandbox runs
// until Close. On error, whatever was started has been stopped.
func Start(ctx context.Context, opts Options) (*Sandbox, error) {
	if opts.Replicas == 0 {
		opts.Replicas = DefaultReplicas
	}
	if opts.Replicas < 1 || opts.Replicas > maxReplicas {
		return nil, fmt.Errorf("start sandbox: replicas must be 1..%d, got %d", maxReplicas, opts.Replicas)
	}
	if opts.RestartDelay == 0 {
		opts.RestartDelay = DefaultRestartDelay
	}
	if opts.RestartDelay < 0 {
		return nil, fmt.Errorf("start sandbox: restart delay must not be negative, got %s", opts.RestartDelay)
	}
	exe := opts.Executable
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("start sandbox: find the executable to re-run: %w", err)
		}
	}
	sb := &Sandbox{
		opts:       opts,
		exe:        exe,
		spawner:    newSpawner(),
		adminToken: randomToken(),
		token:      randomToken(),
		instance:   randomToken()[:16],
		events:     newEventLog(),
		adminHTTP:  &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4, DialContext: dialer(5 * time.Second)}},
		done:       make(chan struct{}),
	}
	sb.ctx, sb.cancel = context.WithCancel(context.Background())
	var names []string
	for i := range opts.Replicas {
		names = append(names, fmt.Sprintf("replica-%d", i+1))
	}
	sb.lb = newBalancer(names, sb.emit)
	sb.hooks = newHookRegistry(sb)
	if err := sb.start(ctx, names); err != nil {
		_ = sb.Close()
		return nil, fmt.Errorf("start sandbox: %w", err)
	}
	return sb, nil
}

func (sb *Sandbox) start(ctx context.Context, names []string) error {
	ctx, cancel := context.WithTimeout(ctx, startBound)
	defer cancel()
	admin := childConfig{AdminToken: sb.adminToken}
	sb.db = newProc(sb, roleDatabase, "database", admin)
	sb.dep = newProc(sb, roleDependency, "dependency", admin)
	for _, p := range []*proc{sb.db, sb.dep} {
		if err := sb.launch(ctx, p); err != nil {
			return err
		}
	}
	rcfg := admin
	rcfg.DatabaseAddr, rcfg.DependencyAddr, rcfg.Fragile = sb.db.info().addr, sb.dep.info().addr, sb.opts.Fragile
	for _, n := range names {
		sb.replicas = append(sb.replicas, newProc(sb, roleReplica, n, rcfg))
	}
	var g errgroup.Group
	for _, p := range sb.replicas {
		g.Go(func() error { return sb.launch(ctx, p) })
	}
	if err := g.Wait(); err != nil {
		return err
	}

	lbLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("load balancer: %w", err)
	}
	sb.lbURL = "http://" + lbLn.Addr().String()
	sb.lbSrv = &http.Server{Handler: sb.lb, ReadHeaderTimeout: 5 * time.Second}
	ctlLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = lbLn.Close()
		return fmt.Errorf("control API: %w", err)
	}
	sb.ctlAddr = ctlLn.Addr().String()
	sb.ctlSrv = &http.Server{Handler: sb.controlHandler(), ReadHeaderTimeout: 5 * time.Second}
	sb.wg.Add(3)
	go func() { defer sb.wg.Done(); _ = sb.lbSrv.Serve(lbLn) }()
	go func() { defer sb.wg.Done(); _ = sb.ctlSrv.Serve(ctlLn) }()
	go func() { defer sb.wg.Done(); sb.lb.checkLoop(sb.ctx) }()

	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for sb.lb.healthy() < len(sb.replicas) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %d healthy replicas (have %d): %w", len(sb.replicas), sb.lb.healthy(), ctx.Err())
		case <-t.C:
		}
	}
	sb.logf("sandbox up: load balancer %s, control %s", sb.lbURL, sb.ctlAddr)
	return nil
}

// launch starts p for the first time and hands it to its supervisor.
func (sb *Sandbox) launch(ctx context.Context, p *proc) error {
	if err := p.launch(ctx); err != nil {
		return err
	}
	sb.wg.Add(1)
	go func() {
		defer sb.wg.Done()
		p.supervise(sb.ctx)
	}()
	return nil
}

// started is called after every successful start of a child.
func (sb *Sandbox) started(p *proc) {
	if p.role != roleReplica {
		return
	}
	in := p.info()
	sb.lb.register(p.name, in.addr, in.pid)
	sb.hooks.replicaStarted()
}

// Close stops every process and server of the sandbox and waits for them.
// It is idempotent and safe to call concurrently.
func (sb *Sandbox) Close() error {
	sb.closeOnce.Do(func() {
		sb.hooks.close()
		sb.cancel()
		sb.events.close()
		if sb.ctlSrv != nil {
			_ = sb.ctlSrv.Close()
		}
		if sb.lbSrv != nil {
			_ = sb.lbSrv.Close()
		}
		sb.wg.Wait()
		sb.spawner.close()
		sb.lb.transport.CloseIdleConnections()
		sb.adminHTTP.CloseIdleConnections()
		close(sb.done)
	})
	<-sb.done
	return nil
}

// Done is closed once Close has stopped everything.
func (sb *Sandbox) Done() <-chan struct{} { return sb.done }

// URL returns the load balancer's base URL, "http://127.0.0.1:PORT".
func (sb *Sandbox) URL() string { return sb.lbURL }

// LoadURL returns the URL load should hit: one user through the load
// balancer.
func (sb *Sandbox) LoadURL() string { return sb.lbURL + LoadPath }

// LoadPath is the path built-in load takes through the load balancer when
// a scenario gives none: one user's record, which reads the database and
// calls the dependency. The balancer's own root answers 404.
const LoadPath = "/api/users/7"

// State returns what a later process needs to attach to this sandbox.
func (sb *Sandbox) State() State {
	return State{Control: sb.ctlAddr, Token: sb.token, LB: sb.lbURL, PID: os.Getpid(), Replicas: len(sb.replicas), Fragile: sb.opts.Fragile, Instance: sb.instance}
}

// Client returns a control client for this sandbox. It knows that the
// sandbox lives in this process: once Close has run it reports the sandbox
// gone without asking.
func (sb *Sandbox) Client() *Client {
	c := NewClient(sb.ctlAddr, sb.token)
	c.learn(sb.instance, os.Getpid(), sb.lbURL)
	c.local = sb.done
	return c
}

// PIDs returns the process IDs of every child now running.
func (sb *Sandbox) PIDs() []int {
	var pids []int
	for _, p := range sb.procs() {
		if pid := p.info().pid; pid != 0 {
			pids = append(pids, pid)
		}
	}
	return pids
}

func (sb *Sandbox) procs() []*proc {
	var ps []*proc
	for _, p := range append([]*proc{sb.db, sb.dep}, sb.replicas...) {
		if p != nil {
			ps = append(ps, p)
		}
	}
	return ps
}

func (sb *Sandbox) replica(name string) *proc {
	for _, p := range sb.replicas {
		if p.name == name {
			return p
		}
	}
	return nil
}

func (sb *Sandbox) logf(format string, args ...any) {
	if sb.opts.Logf != nil {
		sb.opts.Logf(format, args...)
	}
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand panics rather)
	return hex.EncodeToString(b)
}

// Status is the sandbox as it is now.
type Status struct {
	PID      int    `json:"pid"`
	Instance string `json:"instance"`
	LB       string `json:"lb"`
	LoadURL  string `json:"load_url"`
	Fragile  bool   `json:"fragile"`
	// Configured is how many replicas the sandbox runs when nothing is
	// broken; Running how many are healthy in the load balancer now.
	Configured int              `json:"configured"`
	Running    int              `json:"running"`
	Replicas   []ReplicaStatus  `json:"replicas"`
	Database   ProcessStatus    `json:"database"`
	Dependency DependencyStatus `json:"dependency"`
	Hooks      []Hook           `json:"hooks"`
}

// ProcessStatus is one child process.
type ProcessStatus struct {
	Name     string `json:"name"`
	State    string `json:"state"` // one of the Process* constants
	PID      int    `json:"pid,omitempty"`
	Addr     string `json:"addr"`
	Restarts int    `json:"restarts"`
}

// ReplicaStatus is one replica: its process, its health in the load
// balancer and the stress it is under.
type ReplicaStatus struct {
	ProcessStatus
	Healthy bool `json:"healthy"`
	// LatencyHooks are the latency hooks applied to its traffic.
	LatencyHooks []string `json:"latency_hooks,omitempty"`
	// Burners and HeldMB are the CPU burners running and the memory held
	// in the replica, as it reports them; -1 when it did not answer.
	Burners int    `json:"burners"`
	HeldMB  int    `json:"held_mb"`
	Breaker string `json:"breaker,omitempty"`
}

// DependencyStatus is the dependency process and its mode (one of the
// Dependency* constants, or "unknown" when it did not answer).
type DependencyStatus struct {
	ProcessStatus
	Mode string `json:"mode"`
}

func processStatus(p *proc) ProcessStatus {
	in := p.info()
	return ProcessStatus{Name: p.name, State: in.state, PID: in.pid, Addr: in.addr, Restarts: in.restarts}
}

// Status returns the sandbox as it is now. Children are asked for what only
// they know with a short timeout each.
func (sb *Sandbox) Status(ctx context.Context) Status {
	st := Status{
		PID: os.Getpid(), Instance: sb.instance, LB: sb.lbURL, LoadURL: sb.LoadURL(), Fragile: sb.opts.Fragile,
		Configured: len(sb.replicas), Running: sb.lb.healthy(),
		Replicas: make([]ReplicaStatus, len(sb.replicas)),
		Database: processStatus(sb.db),
		Hooks:    sb.hooks.list(),
	}
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	now := time.Now()
	for i, p := range sb.replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rs := ReplicaStatus{ProcessStatus: processStatus(p), Healthy: sb.lb.isHealthy(p.name), Burners: -1, HeldMB: -1}
			rs.LatencyHooks = sb.lb.activeDelays(p.name, now)
			slices.Sort(rs.LatencyHooks)
			if rs.PID != 0 && rs.State == ProcessRunning {
				var in replicaStatus
				if err := sb.admin(ctx, http.MethodGet, rs.Addr, "/_admin/status", nil, &in); err == nil {
					rs.Burners, rs.HeldMB, rs.Breaker = in.Burners, in.HeldMB, in.Breaker
				}
			}
			st.Replicas[i] = rs
		}()
	}
	st.Dependency = DependencyStatus{ProcessStatus: processStatus(sb.dep), Mode: "unknown"}
	if st.Dependency.PID != 0 {
		var ds dependencyStatus
		if err := sb.admin(ctx, http.MethodGet, st.Dependency.Addr, "/_admin/status", nil, &ds); err == nil {
			st.Dependency.Mode = ds.Mode
		}
	}
	wg.Wait()
	return st
}

// admin calls a child's admin API.
func (sb *Sandbox) admin(ctx context.Context, method, addr, path string, body, out any) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+addr+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+sb.adminToken)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := sb.adminHTTP.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s on %s: %w", method, path, addr, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s on %s: %s: %s", method, path, addr, resp.Status, bytes.TrimSpace(b))
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s on %s: decode: %w", method, path, addr, err)
		}
	}
	return nil
}
