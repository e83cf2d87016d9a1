package sandbox

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/gameday-tui/gameday/providers"
)

// dependency-outage: the external-dependency process changes how it
// answers, set through its admin API.
//
//	mode blackhole (HookDependencyBlackhole, default): every request is
//	    accepted and then hangs until the caller gives up.
//	mode error (HookDependencyError): every request gets 503.
//
// Invariants: the mode lives in the child with the hook's ID and TTL, and
// the child returns to normal at the TTL by itself, even if the parent is
// gone. A later hook's mode replaces an earlier one, and ending a hook
// resets the mode only if that hook's mode is the one in force, so undo
// never clears another hook's outage. Verify asks the dependency which
// hook's mode is in force: this hook's is left; another's is not this
// fault's doing and is reported apart (see hookRegistry.others).

// dependencyModes are the params.mode values of dependency-outage; the
// first is the default.
var dependencyModes = []string{DependencyBlackhole, DependencyError}

// dependencySpec maps a dependency-outage fault to its hook.
func dependencySpec(f providers.Fault, spec *HookSpec) error {
	switch f.Params.Mode {
	case "", DependencyBlackhole:
		spec.Kind = HookDependencyBlackhole
	case DependencyError:
		spec.Kind = HookDependencyError
	default:
		return badMode(f, dependencyModes)
	}
	return nil
}

// dependencyFault is HookDependencyBlackhole and HookDependencyError.
type dependencyFault struct {
	mode string // DependencyBlackhole or DependencyError
}

func (dependencyFault) scope() scope          { return scopeDependency }
func (dependencyFault) check(*HookSpec) error { return nil }

func (d dependencyFault) apply(ctx context.Context, sb *Sandbox, e *hookEntry) []string {
	in := sb.dep.info()
	req := modeRequest{ID: e.id, Mode: d.mode, TTL: time.Until(e.until)}
	if err := sb.admin(ctx, http.MethodPost, in.addr, "/_admin/mode", req, nil); err != nil {
		return []string{sb.dep.name + ": " + err.Error()}
	}
	e.gens[sb.dep.name] = in.gen
	what := "requests hang"
	if d.mode == DependencyError {
		what = "requests get 503"
	}
	sb.emit(providers.SystemEvent{Source: "sandbox", Kind: providers.EventInfo, Target: sb.dep.name,
		Text: fmt.Sprintf("dependency %s by hook %s: %s", d.mode, e.id, what)})
	return nil
}

func (dependencyFault) undo(ctx context.Context, sb *Sandbox, e *hookEntry, atTTL bool) error {
	gen, ok := e.gens[sb.dep.name]
	if !ok {
		return nil
	}
	in := sb.dep.info()
	if in.gen != gen || in.pid == 0 {
		return nil // that process is gone, and its mode with it
	}
	var st dependencyStatus
	if err := sb.admin(ctx, http.MethodDelete, in.addr, "/_admin/mode/"+e.id, nil, &st); err != nil {
		if atTTL {
			return nil // the dependency ends it by itself at the TTL
		}
		return fmt.Errorf("%s: %w (it ends by itself at %s)", sb.dep.name, err, e.until.Format(time.TimeOnly))
	}
	if st.Mode == DependencyNormal {
		sb.emit(providers.SystemEvent{Source: "sandbox", Kind: providers.EventInfo, Target: sb.dep.name,
			Text: "dependency back to normal (hook " + e.id + " ended)"})
	}
	return nil
}

func (dependencyFault) verify(ctx context.Context, sb *Sandbox, e *hookEntry) verdict {
	gen, ok := e.gens[sb.dep.name]
	if !ok {
		return verdict{}
	}
	in := sb.dep.info()
	if in.gen != gen || in.pid == 0 {
		return verdict{checked: []string{"the dependency process that took hook " + e.id + " is gone, and its mode with it"}}
	}
	var st dependencyStatus
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	if err := sb.admin(ctx, http.MethodGet, in.addr, "/_admin/status", nil, &st); err != nil {
		return verdict{left: []string{fmt.Sprintf("could not ask the dependency whether hook %s ended: %v (it ends by itself at %s)", e.id, err, e.until.Format(time.TimeOnly))}}
	}
	if st.HookID == e.id {
		return verdict{left: []string{fmt.Sprintf("the dependency is still in mode %s of hook %s", st.Mode, e.id)}}
	}
	return verdict{checked: []string{"the dependency holds no mode of hook " + e.id}}
}
