package sandbox

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// A fault hook's mechanism lives in one file per fault kind, with its
// apply, undo and verify side by side (toxiproxy's toxics/latency.go
// shape):
//
//	fault_instance_stop.go  instance-stop: kill, pause   (replica processes, from the parent)
//	fault_latency.go        latency                      (the load balancer's proxy)
//	fault_cpu.go            cpu-stress                   (burners inside the replicas)
//	fault_memory.go         memory-stress                (memory held inside the replicas)
//	fault_db.go             db-failure: stop, pause      (the database process)
//	fault_dependency.go     dependency-outage: blackhole, error (the dependency process)
//
// hooks.go and verify.go hold what every kind shares: validation, target
// resolution, the registry that applies, expires (TTL) and undoes hooks,
// their owner labels, and the verification that judges a fault by its own
// hooks. A mechanism never registers, times or labels a hook itself, so
// those rules hold for every kind alike.

// mechanism is how the sandbox implements one HookKind.
//
// Invariants every implementation keeps:
//   - apply records, in e.gens, the generation of each process it changed
//     (0 for a change that lives in the parent, such as a proxy delay), and
//     only those: undo and verify look at nothing else.
//   - undo reverts only what apply changed on the process generations it
//     recorded: a process that has since died and restarted lost the
//     change with it and needs nothing. It is safe to call more than once.
//   - verify changes nothing. It runs after the hook ended (rolled back or
//     expired) and returns what of this hook's change is still in force, or
//     which of its targets is not back to normal, in words a person can act
//     on, judged by probing the processes themselves, not the load
//     balancer's lagging view. What another fault's hook holds now is that
//     hook's doing: it goes in the verdict's others, never in left.
type mechanism interface {
	// scope says what the hook targets.
	scope() scope
	// check validates the kind's own parameters of spec and fills in their
	// defaults; the error is wrapped in errBadSpec by the caller.
	check(spec *HookSpec) error
	// apply changes each of e.targets and returns one failure per target
	// it could not change ("replica-2: not running").
	apply(ctx context.Context, sb *Sandbox, e *hookEntry) []string
	// undo reverts what apply changed. atTTL is true when the hook's TTL
	// ended it: changes that the child ends by itself at the TTL then need
	// no confirmation.
	undo(ctx context.Context, sb *Sandbox, e *hookEntry, atTTL bool) error
	// verify returns what is left of e's change (none when nothing is),
	// what it checked, and what it found not normal on e's targets that
	// another hook now holds (a replica this hook killed, since paused by
	// another run): that is the other hook's doing, not e's.
	verify(ctx context.Context, sb *Sandbox, e *hookEntry) verdict
}

// verdict is what a verification found.
type verdict struct {
	left    []string // what is left of the hook's change
	checked []string // what was checked and found normal
	others  []string // what is not normal, but another hook's doing
}

func (v *verdict) add(w verdict) {
	v.left = append(v.left, w.left...)
	v.checked = append(v.checked, w.checked...)
	v.others = append(v.others, w.others...)
}

// probed turns one probe's outcome into a verdict. A target left not
// normal while another active hook holds it (held, its description; ""
// for none) is that hook's doing.
func probed(left, checked, held string) verdict {
	switch {
	case left != "" && held != "":
		return verdict{others: []string{left + ", held by " + held}}
	case left != "":
		return verdict{left: []string{left}}
	case checked != "":
		return verdict{checked: []string{checked}}
	}
	return verdict{}
}

// scope is what a hook kind targets.
type scope int

const (
	// scopeHealthyReplicas: running replicas in the load balancer's
	// rotation (killing or pausing one that is already down proves nothing).
	scopeHealthyReplicas scope = iota
	// scopeAnyReplica: any replica; a latency hook delays its traffic
	// whenever it serves.
	scopeAnyReplica
	scopeDatabase
	scopeDependency
)

// replicas reports whether the scope is replicas.
func (s scope) replicas() bool { return s == scopeHealthyReplicas || s == scopeAnyReplica }

// mechanismFor returns the mechanism of k, or nil for an unknown kind.
func mechanismFor(k HookKind) mechanism {
	switch k {
	case HookKill:
		return killFault{}
	case HookPause:
		return pauseFault{}
	case HookLatency:
		return latencyFault{}
	case HookCPU:
		return cpuFault{}
	case HookMemory:
		return memoryFault{}
	case HookDBStop:
		return dbStopFault{}
	case HookDBPause:
		return dbPauseFault{}
	case HookDependencyBlackhole:
		return dependencyFault{mode: DependencyBlackhole}
	case HookDependencyError:
		return dependencyFault{mode: DependencyError}
	}
	return nil
}

// eachTarget runs fn for every name at once and gathers what they return,
// in the order of names. Probes of a stopped process wait for their
// timeout; running them side by side keeps a verification of several
// targets within one probe's bound.
func eachTarget(names []string, fn func(name string) verdict) verdict {
	res := make([]verdict, len(names))
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Go(func() { res[i] = fn(n) })
	}
	wg.Wait()
	var v verdict
	for _, r := range res {
		v.add(r)
	}
	return v
}

// probeTimeout bounds each probe verify makes of a process, so that a
// verification, whose probes run side by side, answers within a few
// seconds even when the processes it asks are stopped (Timeouts.Call).
const probeTimeout = time.Second

// probeReplica checks, by asking the process itself, that replica name is
// back to normal: a process of a generation after gen runs (after gen 0:
// any), its pid is alive, it answers its health check on its own port,
// and the load balancer has it in rotation again. The load balancer's own
// view is not enough: it lags two health checks either way, so it still
// counts a replica killed a moment ago as healthy.
func (sb *Sandbox) probeReplica(ctx context.Context, name string, gen int) (left, checked string) {
	p := sb.replica(name)
	if p == nil {
		return "", ""
	}
	in := p.info()
	switch {
	case in.gen <= gen:
		return fmt.Sprintf("%s has not been restarted yet (%s)", name, in.state), ""
	case in.pid == 0:
		return fmt.Sprintf("%s is %s (no process)", name, in.state), ""
	case in.state == ProcessPaused:
		return fmt.Sprintf("%s (pid %d) is paused", name, in.pid), ""
	}
	if alive, known := processAlive(in.pid); known && !alive {
		return fmt.Sprintf("%s (pid %d) is not alive", name, in.pid), ""
	}
	if err := sb.healthz(ctx, in.addr); err != nil {
		return fmt.Sprintf("%s (pid %d) does not pass its health check on its own port %s: %v", name, in.pid, in.addr, err), ""
	}
	if !sb.lb.isHealthy(name) {
		return fmt.Sprintf("%s (pid %d) answers on its own port but is not back in the load balancer's rotation yet", name, in.pid), ""
	}
	return "", fmt.Sprintf("%s (pid %d) healthy on its own port and in rotation", name, in.pid)
}

// healthzResponse is a replica's answer to GET /healthz: its health and,
// for resilient replicas, its circuit breaker (see breakerReport), so the
// load balancer's health checks carry the breaker's state to the parent.
type healthzResponse struct {
	Status  string         `json:"status"`
	Replica string         `json:"replica"`
	Breaker *breakerReport `json:"breaker,omitempty"`
}

// healthz asks the process at addr for its health directly, bypassing the
// load balancer.
func (sb *Sandbox) healthz(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := sb.lb.checker.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("answered %s", resp.Status)
	}
	return nil
}

// probeDatabase checks that the database process of a generation after
// gen runs, is alive, and answers PING on its own port.
func (sb *Sandbox) probeDatabase(ctx context.Context, gen int) (left, checked string) {
	in := sb.db.info()
	switch {
	case in.gen <= gen:
		return fmt.Sprintf("the database has not been started again since it was stopped (%s)", in.state), ""
	case in.pid == 0:
		return fmt.Sprintf("the database is %s (no process)", in.state), ""
	case in.state == ProcessPaused:
		return fmt.Sprintf("the database (pid %d) is paused", in.pid), ""
	}
	if alive, known := processAlive(in.pid); known && !alive {
		return fmt.Sprintf("the database (pid %d) is not alive", in.pid), ""
	}
	if err := pingDatabase(ctx, in.addr); err != nil {
		return fmt.Sprintf("the database (pid %d) does not answer PING on %s: %v", in.pid, in.addr, err), ""
	}
	return "", fmt.Sprintf("the database (pid %d) answers on %s", in.pid, in.addr)
}

// pingDatabase sends PING to the database at addr and expects PONG.
func pingDatabase(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	d := net.Dialer{}
	c, err := dialTCP(ctx, &d, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	if _, err := c.Write([]byte("PING\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != "PONG" {
		return fmt.Errorf("answered %q", strings.TrimSpace(line))
	}
	return nil
}

// replicaAdminStatus asks replica name's process of generation gen for
// its stress status. ok is false when that process is gone (its stress
// went with it).
func (sb *Sandbox) replicaAdminStatus(ctx context.Context, name string, gen int) (st replicaStatus, ok bool, err error) {
	in := sb.replica(name).info()
	if in.gen != gen || in.pid == 0 {
		return replicaStatus{}, false, nil
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	err = sb.admin(ctx, http.MethodGet, in.addr, "/_admin/status", nil, &st)
	return st, true, err
}

// decodeHealthz reads a health check body; a body that is not JSON (an
// older child) is healthy without breaker information.
func decodeHealthz(r io.Reader) healthzResponse {
	var h healthzResponse
	_ = json.NewDecoder(io.LimitReader(r, 4096)).Decode(&h)
	return h
}

// startStress asks each target replica to start a stress (POST path) with
// req, recording the generation of each process that took it.
func startStress(ctx context.Context, sb *Sandbox, e *hookEntry, path string, req stressRequest) []string {
	var failures []string
	for _, n := range e.targets {
		in := sb.replica(n).info()
		if err := sb.admin(ctx, http.MethodPost, in.addr, path, req, nil); err != nil {
			failures = append(failures, n+": "+err.Error())
			continue
		}
		e.gens[n] = in.gen
	}
	return failures
}

// stopStress ends e's stress (DELETE path/ID) in each process that took it
// and still runs; a process that died took its stress with it. At the TTL
// a failed call is no failure: the replica ends the stress by itself.
func stopStress(ctx context.Context, sb *Sandbox, e *hookEntry, path string, atTTL bool) error {
	var errs []error
	for n, gen := range e.gens {
		in := sb.replica(n).info()
		if in.gen != gen || in.pid == 0 {
			continue
		}
		if err := sb.admin(ctx, http.MethodDelete, in.addr, path+"/"+e.id, nil, nil); err != nil && !atTTL {
			errs = append(errs, fmt.Errorf("%s: %w (it ends by itself at %s)", n, err, e.until.Format(time.TimeOnly)))
		}
	}
	return errors.Join(errs...)
}

// verifyStress asks each process that took e's stress whether it still
// runs it; held reports whether st holds stress id.
func verifyStress(ctx context.Context, sb *Sandbox, e *hookEntry, what string, held func(st replicaStatus, id string) bool) verdict {
	return eachTarget(e.appliedTargets(), func(n string) verdict {
		st, ok, err := sb.replicaAdminStatus(ctx, n, e.gens[n])
		switch {
		case !ok:
			return verdict{checked: []string{fmt.Sprintf("%s's process that took the %s is gone, and the %s with it", n, what, what)}}
		case err != nil:
			return verdict{left: []string{fmt.Sprintf("could not ask %s whether the %s of hook %s ended: %v (it ends by itself at %s)", n, what, e.id, err, e.until.Format(time.TimeOnly))}}
		case held(st, e.id):
			return verdict{left: []string{fmt.Sprintf("%s still runs the %s of hook %s", n, what, e.id)}}
		}
		return verdict{checked: []string{fmt.Sprintf("%s runs no %s of hook %s", n, what, e.id)}}
	})
}
