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

// The hook kinds. Where each is applied, and so where its TTL is enforced:
//   - HookKill: SIGKILL replicas, from the parent; the supervisor restarts
//     them after the restart delay (at the latest at the TTL).
//   - HookPause: SIGSTOP replicas, from the parent; SIGCONT at the TTL.
//   - HookLatency: a delay (fixed + jitter) added in the load balancer's
//     proxy to the traffic of the chosen replicas; checked at each request.
//   - HookCPU: burners inside the replica processes, which stop by
//     themselves at the TTL.
//   - HookMemory: memory held (and touched) inside the replica processes,
//     freed by themselves at the TTL.
//   - HookDBStop: SIGKILL the database and keep it down; started again at
//     the TTL. HookDBPause: SIGSTOP it; SIGCONT at the TTL.
//   - HookDependencyBlackhole, HookDependencyError: the dependency process
//     hangs every request, or answers 503, and returns to normal by itself
//     at the TTL.
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
	maxDelay = time.Minute
	maxLabel = 128
)

// HookSpec asks for a fault hook. For the replica kinds (kill, pause,
// latency, cpu, memory) the targets are Replicas by name if given, else
// Count or Percent of the candidates chosen at random, else all of them.
// Candidates are the healthy, running replicas, except for latency, which
// may target any replica.
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

// hookRegistry applies, expires and undoes hooks.
type hookRegistry struct {
	sb *Sandbox

	mu      sync.Mutex
	entries map[string]*hookEntry
	order   []string
	seq     int
	closed  bool
}

type hookEntry struct {
	opMu  sync.Mutex // serializes ending the hook
	hook  Hook       // guarded by hookRegistry.mu
	gens  map[string]int
	timer *time.Timer
	// undo ends the hook. atTTL is true when the TTL ended it: hooks that
	// the child enforces by itself then need no confirmation.
	undo func(ctx context.Context, atTTL bool) error
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
	if !slices.Contains(HookKinds, spec.Kind) {
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
	if len(spec.Label) > maxLabel || strings.ContainsFunc(spec.Label, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._:/-", r))
	}) {
		return bad("label %q: want at most %d letters, digits and . _ : / -", spec.Label, maxLabel)
	}
	switch spec.Kind {
	case HookLatency:
		if spec.Delay < 0 || spec.Jitter < 0 || spec.Delay+spec.Jitter <= 0 || spec.Delay > maxDelay || spec.Jitter > maxDelay {
			return bad("latency wants delay and jitter in [0, %s], not both zero; got delay %s jitter %s", maxDelay, spec.Delay, spec.Jitter)
		}
	case HookCPU:
		if spec.Workers == 0 {
			spec.Workers = 1
		}
		if spec.Load == 0 {
			spec.Load = 100
		}
		if spec.Workers < 1 || spec.Workers > maxWorkers || spec.Load < 1 || spec.Load > 100 {
			return bad("cpu wants workers 1..%d and load 1..100; got workers %d load %d", maxWorkers, spec.Workers, spec.Load)
		}
	case HookMemory:
		if spec.MemoryMB < 1 || spec.MemoryMB > maxMemoryMB {
			return bad("memory wants memory_mb 1..%d; got %d", maxMemoryMB, spec.MemoryMB)
		}
	}
	return nil
}

// replicaKind reports whether k targets replicas.
func replicaKind(k HookKind) bool {
	switch k {
	case HookKill, HookPause, HookLatency, HookCPU, HookMemory:
		return true
	}
	return false
}

// resolve picks the targets of spec now.
func (r *hookRegistry) resolve(spec HookSpec) ([]string, error) {
	sb := r.sb
	switch spec.Kind {
	case HookDBStop, HookDBPause:
		if in := sb.db.info(); in.pid == 0 || in.state == ProcessPaused {
			return nil, fmt.Errorf("%w: the database is %s", errNoTargets, in.state)
		}
		return []string{sb.db.name}, nil
	case HookDependencyBlackhole, HookDependencyError:
		if in := sb.dep.info(); in.pid == 0 {
			return nil, fmt.Errorf("%w: the dependency is %s", errNoTargets, in.state)
		}
		return []string{sb.dep.name}, nil
	}
	eligible := func(p *proc) error {
		if spec.Kind == HookLatency {
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
				return nil, fmt.Errorf("%w: no replica %q", errBadSpec, n)
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
		hook: Hook{ID: id, Kind: spec.Kind, Targets: targets, Spec: spec, State: HookActive, CreatedAt: now, ExpiresAt: now.Add(spec.TTL)},
		gens: map[string]int{},
	}
	applied, failures := r.sb.applyHook(ctx, e, spec, targets)
	if applied == 0 {
		return Hook{}, fmt.Errorf("%w: %s", errNotApplied, strings.Join(failures, "; "))
	}
	if len(failures) > 0 {
		e.hook.Error = "partly applied: " + strings.Join(failures, "; ")
	}
	r.mu.Lock()
	r.entries[id] = e
	r.order = append(r.order, id)
	e.timer = time.AfterFunc(time.Until(e.hook.ExpiresAt), func() { r.expire(e) })
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
		r.sb.logf("hook %s: end at TTL: %v (retrying)", e.hook.ID, err)
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
	err := e.undo(ctx, atTTL)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		e.hook.Error = err.Error()
		return err
	}
	e.hook.State, e.hook.EndedAt, e.hook.Note = state, time.Now(), note
	if e.timer != nil {
		e.timer.Stop()
	}
	r.trimLocked()
	r.sb.logf("hook %s %s: %s", e.hook.ID, state, note)
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
		if e.hook.Kind != HookKill || e.hook.State != HookActive {
			continue
		}
		replaced := true
		for _, name := range e.hook.Targets {
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
