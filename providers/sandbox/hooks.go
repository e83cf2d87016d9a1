package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gameday-tui/gameday/providers"
)

// HookKind names what a fault hook does.
type HookKind string

// The hook kinds. Each is implemented in the file of its fault kind (see
// fault.go), which also says where its TTL is enforced:
//   - HookKill, HookPause: SIGKILL or SIGSTOP replicas (fault_instance_stop.go);
//   - HookLatency: a delay in the load balancer's proxy (fault_latency.go);
//   - HookCPU: burners inside replicas (fault_cpu.go);
//   - HookMemory: memory held inside replicas (fault_memory.go);
//   - HookDBStop, HookDBPause: the database process (fault_db.go);
//   - HookDependencyBlackhole, HookDependencyError: the dependency
//     process's mode (fault_dependency.go).
const (
	HookKill                HookKind = "kill"
	HookPause               HookKind = "pause"
	HookLatency             HookKind = "latency"
	HookCPU                 HookKind = "cpu"
	HookMemory              HookKind = "memory"
	HookDBStop              HookKind = "db-stop"
	HookDBPause             HookKind = "db-pause"
	HookDependencyBlackhole HookKind = "dependency-blackhole"
	HookDependencyError     HookKind = "dependency-error"
)

// HookKinds lists every hook kind.
var HookKinds = []HookKind{HookKill, HookPause, HookLatency, HookCPU, HookMemory, HookDBStop, HookDBPause, HookDependencyBlackhole, HookDependencyError}

// Hook states.
const (
	HookActive     = "active"      // in force
	HookExpired    = "expired"     // ended by itself (TTL, or the supervisor replaced a killed replica)
	HookRolledBack = "rolled-back" // undone by a rollback
)

// Bounds on hook parameters.
const (
	MaxTTL   = 24 * time.Hour
	maxLabel = 128
)

// HookSpec asks for a fault hook. For the replica kinds (kill, pause,
// latency, cpu, memory) the targets are Replicas by name if given, else
// Count or Percent of the candidates chosen at random, else all of them;
// names exclude a count or percent. Candidates are the healthy, running
// replicas, except for latency, which may target any replica. The
// database and dependency kinds take no replicas.
type HookSpec struct {
	Kind     HookKind      `json:"kind"`
	Replicas []string      `json:"replicas,omitempty"`
	Count    int           `json:"count,omitempty"`
	Percent  float64       `json:"percent,omitempty"`
	TTL      time.Duration `json:"ttl"`
	Delay    time.Duration `json:"delay,omitempty"`     // latency
	Jitter   time.Duration `json:"jitter,omitempty"`    // latency
	Workers  int           `json:"workers,omitempty"`   // cpu; default 1
	Load     int           `json:"load,omitempty"`      // cpu, percent; default 100
	MemoryMB int           `json:"memory_mb,omitempty"` // memory
	// Label is a free-form owner label (providers.Fault.Owner: "RUN.FAULT")
	// that lets a client find its hooks without knowing their IDs, e.g.
	// after it died before the POST answered. At most maxLabel bytes of
	// letters, digits and ". _ : / -".
	Label string `json:"label,omitempty"`
}

// String renders the spec the way the control API's dry run shows it:
// "{kind: kill, replicas: [replica-3], ttl: 2m0s}".
func (s HookSpec) String() string {
	parts := []string{"kind: " + string(s.Kind)}
	if len(s.Replicas) > 0 {
		parts = append(parts, "replicas: ["+strings.Join(s.Replicas, ", ")+"]")
	}
	if s.Count > 0 {
		parts = append(parts, fmt.Sprintf("count: %d", s.Count))
	}
	if s.Percent > 0 {
		parts = append(parts, fmt.Sprintf("percent: %g", s.Percent))
	}
	if s.Delay > 0 {
		parts = append(parts, "delay: "+s.Delay.String())
	}
	if s.Jitter > 0 {
		parts = append(parts, "jitter: "+s.Jitter.String())
	}
	if s.Workers > 0 {
		parts = append(parts, fmt.Sprintf("workers: %d", s.Workers))
	}
	if s.Load > 0 {
		parts = append(parts, fmt.Sprintf("load: %d", s.Load))
	}
	if s.MemoryMB > 0 {
		parts = append(parts, fmt.Sprintf("memory_mb: %d", s.MemoryMB))
	}
	parts = append(parts, "ttl: "+s.TTL.String())
	if s.Label != "" {
		parts = append(parts, "label: "+s.Label)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// Hook is an applied fault hook and its current state.
type Hook struct {
	ID        string    `json:"id"`
	Kind      HookKind  `json:"kind"`
	Targets   []string  `json:"targets"`
	Spec      HookSpec  `json:"spec"`
	State     string    `json:"state"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	EndedAt   time.Time `json:"ended_at,omitzero"`
	// Note says how the hook ended, in words.
	Note string `json:"note,omitempty"`
	// Error is the last failure: part of the hook could not be applied, or
	// an undo could not be confirmed.
	Error string `json:"error,omitempty"`
}

// Errors of Apply. Both mean nothing was changed.
var (
	errBadSpec    = errors.New("bad hook")
	errNoTargets  = errors.New("no target")
	errNotApplied = errors.New("hook not applied")
)

// keepEnded is how many ended hooks the registry remembers.
const keepEnded = 200

// hookRegistry applies, expires, undoes and verifies hooks, whatever their
// kind; each kind's mechanism (fault.go) does the kind's own work.
//
// Invariants:
//   - A hook is registered only once its mechanism has changed at least
//     one target; a hook that changed nothing is refused and forgotten.
//   - Every registered hook has a timer at its TTL that ends it, and keeps
//     retrying every second until the end is confirmed, so the sandbox
//     ends every fault by itself whatever happens to its caller.
//   - A hook is ended (rolled back or expired) at most once: finish
//     serializes on the entry and does nothing to a hook no longer active.
//     Undo of an unknown or ended hook succeeds, so rollback is idempotent.
//   - Ended hooks are remembered (the last keepEnded of them) with how they
//     ended, so a verification after the fact can judge what they changed.
type hookRegistry struct {
	sb *Sandbox

	mu      sync.Mutex
	entries map[string]*hookEntry
	order   []string
	seq     int
	closed  bool
}

// hookEntry is one hook. The fields above opMu are set before the entry is
// registered and never change after, so mechanisms read them freely.
type hookEntry struct {
	id      string
	kind    HookKind
	spec    HookSpec
	targets []string
	until   time.Time
	mech    mechanism
	// gens holds, for each target the mechanism changed, the generation
	// of the process it changed (0 for a change in the parent). Written
	// only by apply, before registration.
	gens map[string]int

	opMu  sync.Mutex  // serializes ending the hook
	hook  Hook        // guarded by hookRegistry.mu
	timer *time.Timer // guarded by hookRegistry.mu
}

// appliedTargets returns the targets the mechanism changed, in target
// order.
func (e *hookEntry) appliedTargets() []string {
	var out []string
	for _, n := range e.targets {
		if _, ok := e.gens[n]; ok {
			out = append(out, n)
		}
	}
	return out
}

func newHookRegistry(sb *Sandbox) *hookRegistry {
	return &hookRegistry{sb: sb, entries: map[string]*hookEntry{}}
}

func newHookID(seq int) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return fmt.Sprintf("h%d-%s", seq, hex.EncodeToString(b))
}

// validate checks spec and fills in defaults.
func validate(spec *HookSpec) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", errBadSpec, fmt.Sprintf(format, args...))
	}
	mech := mechanismFor(spec.Kind)
	if mech == nil {
		return bad("unknown kind %q (want one of %v)", spec.Kind, HookKinds)
	}
	if spec.TTL <= 0 || spec.TTL > MaxTTL {
		return bad("ttl %s is out of range (0, %s]", spec.TTL, MaxTTL)
	}
	if spec.Count < 0 || spec.Percent < 0 || spec.Percent > 100 {
		return bad("count %d / percent %g out of range", spec.Count, spec.Percent)
	}
	if spec.Count > 0 && spec.Percent > 0 {
		return bad("give count or percent, not both")
	}
	if len(spec.Replicas) > 0 && (spec.Count > 0 || spec.Percent > 0) {
		return bad("give replicas by name or a count or percent, not both")
	}
	if len(spec.Replicas) > 0 && !mech.scope().replicas() {
		return bad("%s does not target replicas; it takes no replica names", spec.Kind)
	}
	if len(spec.Label) > maxLabel || strings.ContainsFunc(spec.Label, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._:/-", r))
	}) {
		return bad("label %q: want at most %d letters, digits and . _ : / -", spec.Label, maxLabel)
	}
	if err := mech.check(spec); err != nil {
		return bad("%v", err)
	}
	return nil
}

// replicaKind reports whether k targets replicas.
func replicaKind(k HookKind) bool {
	m := mechanismFor(k)
	return m != nil && m.scope().replicas()
}

// resolve picks the targets of spec now.
func (r *hookRegistry) resolve(spec HookSpec) ([]string, error) {
	sb := r.sb
	sc := mechanismFor(spec.Kind).scope()
	switch sc {
	case scopeDatabase:
		if in := sb.db.info(); in.pid == 0 || in.state == ProcessPaused {
			return nil, fmt.Errorf("%w: the database is %s", errNoTargets, in.state)
		}
		return []string{sb.db.name}, nil
	case scopeDependency:
		if in := sb.dep.info(); in.pid == 0 {
			return nil, fmt.Errorf("%w: the dependency is %s", errNoTargets, in.state)
		}
		return []string{sb.dep.name}, nil
	}
	eligible := func(p *proc) error {
		if sc == scopeAnyReplica {
			return nil
		}
		in := p.info()
		switch {
		case in.pid == 0 || in.state == ProcessPaused:
			return fmt.Errorf("%s is %s", p.name, in.state)
		case !sb.lb.isHealthy(p.name):
			return fmt.Errorf("%s is not healthy", p.name)
		}
		return nil
	}
	if len(spec.Replicas) > 0 {
		var names []string
		for _, n := range spec.Replicas {
			p := sb.replica(n)
			if p == nil {
				return nil, fmt.Errorf("%w: no replica %q (the sandbox has replica-1 to replica-%d)", errBadSpec, n, len(sb.replicas))
			}
			if err := eligible(p); err != nil {
				return nil, fmt.Errorf("%w: %v", errNoTargets, err)
			}
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
		return names, nil
	}
	var candidates []string
	for _, p := range sb.replicas {
		if eligible(p) == nil {
			candidates = append(candidates, p.name)
		}
	}
	k := providers.Selection{Count: spec.Count, Percent: spec.Percent}.Of(len(candidates))
	if k == 0 {
		return nil, fmt.Errorf("%w: no healthy replica to target", errNoTargets)
	}
	mrand.Shuffle(len(candidates), func(i, j int) { candidates[i], candidates[j] = candidates[j], candidates[i] })
	names := candidates[:k]
	sort.Strings(names)
	return names, nil
}

// apply validates spec, resolves its targets and applies it. When it
// returns an error wrapping errBadSpec, errNoTargets or errNotApplied,
// nothing was changed. Otherwise the hook is registered, even if part of
// it failed (the hook's Error says what).
func (r *hookRegistry) apply(ctx context.Context, spec HookSpec) (Hook, error) {
	if err := validate(&spec); err != nil {
		return Hook{}, err
	}
	targets, err := r.resolve(spec)
	if err != nil {
		return Hook{}, err
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return Hook{}, fmt.Errorf("%w: %w", errNotApplied, errClosed)
	}
	r.seq++
	id := newHookID(r.seq)
	r.mu.Unlock()

	now := time.Now()
	e := &hookEntry{
		id: id, kind: spec.Kind, spec: spec, targets: targets, until: now.Add(spec.TTL),
		mech: mechanismFor(spec.Kind), gens: map[string]int{},
		hook: Hook{ID: id, Kind: spec.Kind, Targets: targets, Spec: spec, State: HookActive, CreatedAt: now, ExpiresAt: now.Add(spec.TTL)},
	}
	failures := e.mech.apply(ctx, r.sb, e)
	if len(e.gens) == 0 {
		return Hook{}, fmt.Errorf("%w: %s", errNotApplied, strings.Join(failures, "; "))
	}
	if len(failures) > 0 {
		e.hook.Error = "partly applied: " + strings.Join(failures, "; ")
	}
	r.mu.Lock()
	r.entries[id] = e
	r.order = append(r.order, id)
	e.timer = time.AfterFunc(time.Until(e.until), func() { r.expire(e) })
	h := e.hook
	r.mu.Unlock()
	r.sb.logf("hook %s applied: %s on %v until %s", id, spec.Kind, targets, h.ExpiresAt.Format(time.TimeOnly))
	if spec.Kind == HookKill {
		r.replicaStarted() // in case the supervisor was quicker than us
	}
	return h, nil
}

// expire ends e at its TTL, retrying every second until it is confirmed.
func (r *hookRegistry) expire(e *hookEntry) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.finish(ctx, e, HookExpired, "ended at its TTL", true); err != nil {
		r.sb.logf("hook %s: end at TTL: %v (retrying)", e.id, err)
		r.mu.Lock()
		if !r.closed {
			e.timer = time.AfterFunc(time.Second, func() { r.expire(e) })
		}
		r.mu.Unlock()
	}
}

// finish ends e as state (HookExpired or HookRolledBack) by running its
// undo. Ending a hook that already ended does nothing.
func (r *hookRegistry) finish(ctx context.Context, e *hookEntry, state, note string, atTTL bool) error {
	e.opMu.Lock()
	defer e.opMu.Unlock()
	r.mu.Lock()
	active := e.hook.State == HookActive
	r.mu.Unlock()
	if !active {
		return nil
	}
	err := e.mech.undo(ctx, r.sb, e, atTTL)
	r.mu.Lock()
	if err != nil {
		e.hook.Error = err.Error()
		r.mu.Unlock()
		return err
	}
	e.hook.State, e.hook.EndedAt, e.hook.Note = state, time.Now(), note
	if e.timer != nil {
		e.timer.Stop()
	}
	r.trimLocked()
	r.mu.Unlock()
	r.sb.logf("hook %s %s: %s", e.id, state, note)
	if state == HookExpired {
		r.sb.emit(providers.SystemEvent{Source: "sandbox", Kind: providers.EventInfo, Target: strings.Join(e.targets, ", "),
			Text: fmt.Sprintf("hook %s (%s on %s) %s", e.id, e.kind, strings.Join(e.targets, ", "), note)})
	}
	return nil
}

// undo rolls hook id back. Unknown, expired and rolled-back hooks are fine.
func (r *hookRegistry) undo(ctx context.Context, id string) (Hook, error) {
	r.mu.Lock()
	e := r.entries[id]
	r.mu.Unlock()
	if e == nil {
		return Hook{ID: id, State: "unknown"}, nil
	}
	err := r.finish(ctx, e, HookRolledBack, "rolled back", false)
	r.mu.Lock()
	defer r.mu.Unlock()
	return e.hook, err
}

// get returns hook id.
func (r *hookRegistry) get(id string) (Hook, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.entries[id]
	if e == nil {
		return Hook{}, false
	}
	return e.hook, true
}

// list returns every remembered hook, oldest first.
func (r *hookRegistry) list() []Hook {
	r.mu.Lock()
	defer r.mu.Unlock()
	hooks := make([]Hook, 0, len(r.order))
	for _, id := range r.order {
		hooks = append(hooks, r.entries[id].hook)
	}
	return hooks
}

// trimLocked forgets the oldest ended hooks beyond keepEnded.
func (r *hookRegistry) trimLocked() {
	ended := 0
	for _, id := range r.order {
		if r.entries[id].hook.State != HookActive {
			ended++
		}
	}
	for i := 0; ended > keepEnded && i < len(r.order); {
		id := r.order[i]
		if r.entries[id].hook.State != HookActive {
			delete(r.entries, id)
			r.order = slices.Delete(r.order, i, i+1)
			ended--
			continue
		}
		i++
	}
}

// replicaStarted ends the kill hooks whose replicas have all been replaced
// by the supervisor, as ECS ends a stopped task's story when its
// replacement runs.
func (r *hookRegistry) replicaStarted() {
	r.mu.Lock()
	var done []*hookEntry
	for _, id := range r.order {
		e := r.entries[id]
		if e.kind != HookKill || e.hook.State != HookActive {
			continue
		}
		replaced := true
		for _, name := range e.targets {
			if p := r.sb.replica(name); p != nil && p.info().gen <= e.gens[name] {
				replaced = false
			}
		}
		if replaced {
			done = append(done, e)
		}
	}
	r.mu.Unlock()
	for _, e := range done {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = r.finish(ctx, e, HookExpired, "replaced by the supervisor", true)
		}()
	}
}

// close stops every TTL timer. The sandbox is going away with whatever the
// hooks changed.
func (r *hookRegistry) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	for _, e := range r.entries {
		if e.timer != nil {
			e.timer.Stop()
		}
	}
}
