package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// The safety rails checked before a run starts: the blast radius resolved
// against the system as it is now and held to the plan's caps (Preflight),
// the production guard (ConfirmProduction), and the calls a dry run shows
// (PlanCalls). cmd calls them for the console and for headless runs alike,
// so that both refuse the same runs with the same words.

// ErrBlastRadius is wrapped by the error Preflight returns when a fault's
// selection matches nothing right now or more targets than the plan's cap.
var ErrBlastRadius = errors.New("blast radius refused")

// ErrNotConfirmed is wrapped by the error ConfirmProduction returns when a
// production target was not confirmed by its name.
var ErrNotConfirmed = errors.New("production target not confirmed")

// FaultBlast is one fault's blast radius, resolved against the system as
// it is now.
type FaultBlast struct {
	Fault scenarios.Fault
	// Targets are what the fault would hit if it were injected now.
	Targets []providers.Target
	// Total is how many targets of the fault's kind exist in all (the
	// denominator of max_percent); 0 when it could not be told.
	Total int
	// Problem says why this fault keeps the run from starting ("matches
	// nothing right now", "beyond the plan's max_count of 1"); empty when
	// it is within bounds.
	Problem string
	// Where is the fault's place in its scenario file, "file:line:col"
	// (scenarios.Plan.Where), so a refusal points at it; empty for a plan
	// not read from a file.
	Where string
}

// at renders a place for the end of a message: " (at s.yaml:12:5)".
func at(where string) string {
	if where == "" {
		return ""
	}
	return " (at " + where + ")"
}

// faultWhere is the place of plan's i-th fault, or "" when the plan was
// not read from a file.
func faultWhere(plan *scenarios.Plan, i int) string {
	if w := plan.Where(fmt.Sprintf("faults[%d]", i)); w != plan.Path {
		return w
	}
	return ""
}

// String says what the fault would hit: "f1 instance-stop: 1 of 4
// targets: replica-3 (pid 123)", followed by the problem if any. It is
// printed before anything is journaled, so the names the provider gave
// are made terminal-safe here (Printable).
func (b FaultBlast) String() string {
	s := b.Fault.ID + " " + string(b.Fault.Kind) + ": "
	switch {
	case len(b.Targets) == 0:
		s += "no target"
	case b.Total > 0:
		s += fmt.Sprintf("%d of %d targets: %s", len(b.Targets), b.Total, targetNames(b.Targets))
	default:
		s += fmt.Sprintf("%d target(s): %s", len(b.Targets), targetNames(b.Targets))
	}
	if b.Problem != "" {
		s += " — REFUSED: " + b.Problem
	}
	return Printable(s)
}

func targetNames(ts []providers.Target) string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.Name
		if names[i] == "" {
			names[i] = t.ID
		}
	}
	return strings.Join(names, ", ")
}

// Blast is a plan's blast radius resolved before the run, one FaultBlast
// per fault in plan order.
type Blast struct {
	Faults []FaultBlast
}

// Targets returns every target any fault would hit, each once, in fault
// order: what Environment.Targets records.
func (b Blast) Targets() []providers.Target {
	var out []providers.Target
	seen := map[string]bool{}
	for _, f := range b.Faults {
		for _, t := range f.Targets {
			if !seen[t.ID] {
				seen[t.ID] = true
				out = append(out, t)
			}
		}
	}
	return out
}

// Err returns nil when every fault is within bounds, else an error
// wrapping ErrBlastRadius that names each fault's problem.
func (b Blast) Err() error {
	var probs []string
	for _, f := range b.Faults {
		if f.Problem != "" {
			probs = append(probs, f.Fault.ID+" "+string(f.Fault.Kind)+" "+f.Problem+at(f.Where))
		}
	}
	if len(probs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: refusing to start: %s", ErrBlastRadius, Printable(strings.Join(probs, "; ")))
}

// Preflight resolves every fault's targets through prov as the system is
// now, without changing anything, and checks them against plan's caps: a
// fault whose selection matches nothing, or more targets than max_count,
// or more than max_percent of all the targets of its kind (rounded down:
// 25% of 4 replicas allows 1), keeps the run from starting. The total
// comes from providers.TargetCounter when prov implements it, else from
// Targets with a 100% selection. Each refusal names the fault's place in
// the scenario file, as validate would.
//
// The Blast is returned as far as it was resolved. The error is nil, or
// wraps ErrBlastRadius (Blast.Err) when a fault is out of bounds, or says
// which fault could not be resolved. Every provider call is bounded by ctx
// even if the provider ignores it.
func Preflight(ctx context.Context, prov providers.Provider, plan *scenarios.Plan) (Blast, error) {
	var b Blast
	for i, f := range plan.Faults {
		fb := FaultBlast{Fault: f, Where: faultWhere(plan, i)}
		pf := plan.CallFault(f)
		targets, err := call(ctx, func(ctx context.Context) ([]providers.Target, error) { return prov.Targets(ctx, pf) })
		if err != nil {
			return b, fmt.Errorf("resolve the targets of %s (%s)%s: %w", f.ID, f.Kind, at(fb.Where), err)
		}
		fb.Targets = targets
		if plan.MaxPercent > 0 || len(targets) > 0 {
			total, err := targetCount(ctx, prov, pf)
			if err != nil {
				return b, fmt.Errorf("count the targets of %s (%s)%s: %w", f.ID, f.Kind, at(fb.Where), err)
			}
			fb.Total = max(total, len(targets))
		}
		fb.Problem = capProblem(plan, len(targets), fb.Total)
		b.Faults = append(b.Faults, fb)
	}
	return b, b.Err()
}

// capProblem says why n of total targets is out of plan's bounds, or "".
func capProblem(plan *scenarios.Plan, n, total int) string {
	switch {
	case n == 0:
		return "matches nothing right now"
	case plan.MaxCount > 0 && n > plan.MaxCount:
		return fmt.Sprintf("would hit %d targets, beyond the plan's max_count of %d", n, plan.MaxCount)
	case plan.MaxPercent > 0 && total > 0:
		allowed := int(math.Floor(float64(total)*plan.MaxPercent/100 + 1e-9))
		if n > allowed {
			return fmt.Sprintf("would hit %d of %d targets (%.0f%%), beyond the plan's max_percent of %g%% (%d of %d)",
				n, total, 100*float64(n)/float64(total), plan.MaxPercent, allowed, total)
		}
	}
	return ""
}

// targetCount is how many targets f's kind has in all.
func targetCount(ctx context.Context, prov providers.Provider, f providers.Fault) (int, error) {
	if tc, ok := prov.(providers.TargetCounter); ok {
		return call(ctx, func(ctx context.Context) (int, error) { return tc.TargetCount(ctx, f) })
	}
	all := f
	all.Selection = providers.Selection{Percent: 100}
	ts, err := call(ctx, func(ctx context.Context) ([]providers.Target, error) { return prov.Targets(ctx, all) })
	return len(ts), err
}

// ConfirmProduction checks the production guard: a target marked
// environment: production runs only when typed is its name (surrounding
// spaces aside). Any other target needs no confirmation. The error wraps
// ErrNotConfirmed and names what to type and where the target is written
// (scenarios.Target.Where); flag, when not empty, is how the caller takes
// the name ("--confirm"), for the message.
func ConfirmProduction(t scenarios.Target, typed, flag string) error {
	if !t.Production() {
		return nil
	}
	name := strings.TrimSpace(t.Name)
	how := "type " + name
	if flag != "" {
		how = "pass " + flag + " " + name
	}
	switch got := strings.TrimSpace(typed); {
	case name == "":
		return fmt.Errorf("%w: the target is marked environment: production but has no name to confirm it by%s", ErrNotConfirmed, at(t.Where()))
	case got == "":
		return fmt.Errorf("%w: target %q is marked environment: production; %s to run against it%s", ErrNotConfirmed, name, how, at(t.Where()))
	case got != name:
		return fmt.Errorf("%w: %q is not the target's name; %s to run against production%s", ErrNotConfirmed, got, how, at(t.Where()))
	}
	return nil
}

// MarginFor is the TTL margin a run with prov uses when none is set: the
// provider's own (providers.Tuned), else TTLMargin.
func MarginFor(prov providers.Provider) time.Duration {
	if t, ok := prov.(providers.Tuned); ok && t.Timeouts().TTLMargin > 0 {
		return t.Timeouts().TTLMargin
	}
	return TTLMargin
}

// PlannedTTL is the TTL a scheduled fault is injected with when it starts
// on time: its life in the fault phase (its duration, cut at the end of
// the phase; the rest of the phase when it has none; for a fault started
// on demand, at most the whole phase) plus margin (TTLMargin when zero).
func PlannedTTL(plan *scenarios.Plan, f scenarios.Fault, margin time.Duration) time.Duration {
	if margin <= 0 {
		margin = TTLMargin
	}
	rest := plan.Phases.Fault
	if !f.Manual {
		rest = max(rest-f.StartAfter, 0)
	}
	if f.Duration > 0 && f.Duration < rest {
		rest = f.Duration
	}
	return rest + margin
}

// PlanCalls says every call injecting f for ttl and rolling it back would
// make, without making them: the provider's own words when it implements
// providers.Planner (made terminal-safe: they are printed, not journaled),
// otherwise the provider methods the engine would call. Calls are bounded
// by ctx even if the provider ignores it.
func PlanCalls(ctx context.Context, prov providers.Provider, f providers.Fault, ttl time.Duration) ([]string, error) {
	if p, ok := prov.(providers.Planner); ok {
		calls, err := call(ctx, func(ctx context.Context) ([]string, error) { return p.Plan(ctx, f, ttl) })
		if err != nil {
			return nil, fmt.Errorf("plan %s (%s): %w", f.ID, f.Kind, err)
		}
		for i, c := range calls {
			calls[i] = Printable(c)
		}
		return calls, nil
	}
	name := prov.Name()
	calls := []string{
		fmt.Sprintf("%s Inject %s %s, selection %s, ttl %s", name, f.ID, f.Kind, f.Selection, ttl),
		fmt.Sprintf("%s Rollback %s  # at the end of its window, or on abort", name, f.ID),
	}
	if _, ok := prov.(providers.Verifier); ok {
		calls = append(calls, fmt.Sprintf("%s Verify %s  # after the rollback", name, f.ID))
	}
	return calls, nil
}
