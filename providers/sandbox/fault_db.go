package sandbox

import (
	"context"
	"fmt"

	"github.com/gameday-tui/gameday/providers"
)

// db-failure: the database process, from the parent.
//
//	mode stop (HookDBStop, default): SIGKILL, and the supervisor is told to
//	    keep it down (held) until the hook ends; then it starts it again at
//	    once, on the same port, with the same data.
//	mode pause (HookDBPause): SIGSTOP; undo, or the TTL, sends SIGCONT.
//
// Invariants: the hold is released by the hook's end and nothing else, so
// the database cannot come back in the middle of the fault, nor stay down
// after it. Undo of a stop returns once a new generation runs. Verify
// probes the process itself: a new generation (for a stop) alive and
// answering PING on its own port; the replicas, which a database failure
// does not change, are not this fault's to judge.

// dbModes are the params.mode values of db-failure; the first is the
// default.
var dbModes = []string{"stop", "pause"}

// dbSpec maps a db-failure fault to its hook.
func dbSpec(f providers.Fault, spec *HookSpec) error {
	switch f.Params.Mode {
	case "", "stop":
		spec.Kind = HookDBStop
	case "pause":
		spec.Kind = HookDBPause
	default:
		return badMode(f, dbModes)
	}
	return nil
}

// dbStopFault is HookDBStop.
type dbStopFault struct{}

func (dbStopFault) scope() scope          { return scopeDatabase }
func (dbStopFault) check(*HookSpec) error { return nil }

func (dbStopFault) apply(_ context.Context, sb *Sandbox, e *hookEntry) []string {
	pid := sb.db.info().pid
	sb.db.hold()
	gen := sb.db.kill()
	if gen == 0 {
		sb.db.release()
		return []string{sb.db.name + ": not running"}
	}
	e.gens[sb.db.name] = gen
	sb.emit(providers.SystemEvent{Source: "sandbox", Kind: providers.EventInfo, Target: sb.db.name,
		Text: fmt.Sprintf("database stopped (pid %d killed by hook %s; kept down until the hook ends)", pid, e.id)})
	return nil
}

func (dbStopFault) undo(ctx context.Context, sb *Sandbox, e *hookEntry, _ bool) error {
	gen, ok := e.gens[sb.db.name]
	if !ok {
		return nil
	}
	sb.db.release()
	// The supervisor may not have seen the kill yet; a wake sent before it
	// does is dropped, so wake it once it has.
	sb.db.restartIfDown(ctx, gen)
	return sb.db.waitStarted(ctx, gen)
}

func (dbStopFault) verify(ctx context.Context, sb *Sandbox, e *hookEntry) verdict {
	gen, ok := e.gens[sb.db.name]
	if !ok {
		return verdict{}
	}
	left, checked := sb.probeDatabase(ctx, gen)
	return probed(left, checked, sb.hooks.heldBy(sb.db.name, e))
}

// dbPauseFault is HookDBPause.
type dbPauseFault struct{}

func (dbPauseFault) scope() scope          { return scopeDatabase }
func (dbPauseFault) check(*HookSpec) error { return nil }

func (dbPauseFault) apply(_ context.Context, sb *Sandbox, e *hookEntry) []string {
	gen, err := sb.db.pause()
	if err != nil {
		return []string{sb.db.name + ": " + err.Error()}
	}
	e.gens[sb.db.name] = gen
	sb.emit(providers.SystemEvent{Source: "sandbox", Kind: providers.EventInfo, Target: sb.db.name,
		Text: fmt.Sprintf("database paused (pid %d, SIGSTOP by hook %s)", sb.db.info().pid, e.id)})
	return nil
}

func (dbPauseFault) undo(_ context.Context, sb *Sandbox, e *hookEntry, _ bool) error {
	gen, ok := e.gens[sb.db.name]
	if !ok {
		return nil
	}
	resumed, err := sb.db.resumed(gen)
	if err != nil {
		return err
	}
	if resumed {
		sb.emit(providers.SystemEvent{Source: "sandbox", Kind: providers.EventInfo, Target: sb.db.name,
			Text: fmt.Sprintf("database resumed (pid %d, SIGCONT)", sb.db.info().pid)})
	}
	return nil
}

func (dbPauseFault) verify(ctx context.Context, sb *Sandbox, e *hookEntry) verdict {
	gen, ok := e.gens[sb.db.name]
	if !ok {
		return verdict{}
	}
	left, checked := sb.probeDatabase(ctx, gen-1)
	return probed(left, checked, sb.hooks.heldBy(sb.db.name, e))
}
