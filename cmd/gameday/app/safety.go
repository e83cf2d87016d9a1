package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
	"github.com/gameday-tui/gameday/tui"
)

// The safety rails as the command line applies them: the blast radius is
// resolved and checked by engine.Preflight (in startSession, for the
// console and headless runs alike), the production guard by
// engine.ConfirmProduction, and a dry run shows engine.PlanCalls.

// preflightTimeout bounds resolving a plan's blast radius.
const preflightTimeout = 20 * time.Second

// preflight resolves plan's blast radius against t now. A blast radius out
// of the plan's bounds is a configuration error (exit 3).
func preflight(ctx context.Context, c *conn, plan *scenarios.Plan) (engine.Blast, error) {
	ctx, cancel := context.WithTimeout(ctx, preflightTimeout)
	defer cancel()
	blast, err := engine.Preflight(ctx, c.provider, plan)
	switch {
	case errors.Is(err, engine.ErrBlastRadius):
		return blast, invalid(fmt.Errorf("%s: %w", plan.Path, err))
	case err != nil:
		return blast, fmt.Errorf("%s: resolve the blast radius: %w", plan.Path, err)
	}
	return blast, nil
}

// blastSummary says what one fault would do, as the plan card and the
// headless output show it — in the provider's words when it has them
// (providers.Previewer: "will stop 1 of 4 replicas, chosen at inject time,
// e.g. replica-3 (pid 123)") — and why the run would be refused when it
// would.
func blastSummary(prov providers.Provider, plan *scenarios.Plan, fb engine.FaultBlast) string {
	what := fb.String()
	if pv, ok := prov.(providers.Previewer); ok {
		what = pv.Preview(plan.CallFault(fb.Fault), fb.Targets, fb.Total)
	} else if len(fb.Targets) > 0 {
		what = fmt.Sprintf("will hit %d of %d: %s", len(fb.Targets), fb.Total, targetList(fb.Targets))
	}
	switch {
	case fb.Problem == "":
		return what
	case len(fb.Targets) == 0:
		return "REFUSED: matches nothing right now, so the run will not start"
	}
	return what + " — REFUSED: " + fb.Problem
}

func targetList(ts []providers.Target) string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.Name
		if names[i] == "" {
			names[i] = t.ID
		}
	}
	return strings.Join(names, ", ")
}

// printBlast writes one line per fault of blast.
func printBlast(w io.Writer, prov providers.Provider, plan *scenarios.Plan, blast engine.Blast) {
	for _, fb := range blast.Faults {
		fmt.Fprintf(w, "blast    %s %s: %s\n", fb.Fault.ID, fb.Fault.Kind, blastSummary(prov, plan, fb))
	}
}

// dryRunHeadless is `gameday run --dry-run`: it resolves the targets and
// prints the plan, the blast radius and every call the run would make,
// then exits without running the phases: nothing is changed and no
// journal is written. A metric source that can (dryRunner) runs each of
// its queries once and shows what they returned. It exits 3 when a real
// run would be refused (blast radius), 0 otherwise; a production target
// needs no --confirm here.
func dryRunHeadless(ctx context.Context, stdout io.Writer, c *conn, plan *scenarios.Plan, f runFlags, reg *registry, co connectOptions) error {
	r := engine.Redact
	fmt.Fprintf(stdout, "dry run of %q (%s): nothing will be changed\n", r(plan.Title), r(plan.Path))
	tg := plan.Target.Provider
	if plan.Target.Name != "" {
		tg += " · " + plan.Target.Name
	}
	if plan.Target.Environment != "" {
		tg += " (" + plan.Target.Environment + ")"
	}
	fmt.Fprintf(stdout, "target   %s\n", r(tg))
	fmt.Fprintf(stdout, "phases   baseline %s · fault %s · recovery %s\n", plan.Phases.Baseline, plan.Phases.Fault, plan.Phases.Recovery)
	if plan.MaxPercent > 0 || plan.MaxCount > 0 {
		var caps []string
		if plan.MaxPercent > 0 {
			caps = append(caps, fmt.Sprintf("max_percent %g", plan.MaxPercent))
		}
		if plan.MaxCount > 0 {
			caps = append(caps, fmt.Sprintf("max_count %d", plan.MaxCount))
		}
		fmt.Fprintf(stdout, "cap      %s\n", strings.Join(caps, ", "))
	}
	blast, refused := preflight(ctx, c, plan)
	if refused != nil && !errors.Is(refused, engine.ErrBlastRadius) {
		return refused
	}
	printBlast(stdout, c.provider, plan, blast)
	margin := f.ttlMargin
	if margin == 0 {
		margin = engine.MarginFor(c.provider)
	}
	for _, fl := range plan.Faults {
		when := "at +" + fl.StartAfter.String()
		if fl.Manual {
			when = "on demand"
		}
		ttl := engine.PlannedTTL(plan, fl, margin)
		steps := []providers.Selection{fl.Selection}
		if fl.Ladder != nil {
			steps = fl.Ladder.Steps
			fmt.Fprintf(stdout, "ladder   %s %s: %d steps, each held %s while steady, then widened; on a breach: %s\n", fl.ID, fl.Kind, len(steps), fl.Ladder.Hold, orDefault(fl.Ladder.OnBreach, scenarios.OnBreachStop))
		}
		for i, sel := range steps {
			pf := plan.CallFault(fl)
			pf.Selection = sel
			pctx, cancel := context.WithTimeout(ctx, preflightTimeout)
			calls, err := engine.PlanCalls(pctx, c.provider, pf, ttl)
			cancel()
			if err != nil {
				return fmt.Errorf("dry run: %w", err)
			}
			if fl.Ladder != nil {
				fmt.Fprintf(stdout, "calls    %s %s step %d/%d (%s) %s, ttl at most %s:\n", fl.ID, fl.Kind, i+1, len(steps), sel, when, ttl)
			} else {
				fmt.Fprintf(stdout, "calls    %s %s %s, ttl %s:\n", fl.ID, fl.Kind, when, ttl)
			}
			for _, c := range calls {
				fmt.Fprintf(stdout, "           %s\n", r(c))
			}
		}
	}
	if err := dryRunMetrics(ctx, stdout, plan, reg, co); err != nil {
		return err
	}
	if plan.Target.Production() {
		fmt.Fprintf(stdout, "production: a real run needs --confirm %s\n", r(strings.TrimSpace(plan.Target.Name)))
	}
	if refused != nil {
		fmt.Fprintln(stdout, "dry run: nothing was changed; a real run would refuse to start")
		return refused
	}
	fmt.Fprintln(stdout, "dry run: nothing was changed")
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// dryRunner is a metric source that can run its queries once and say what
// they returned (prometheus.Source).
type dryRunner interface {
	DryRun(ctx context.Context) []string
}

// dryRunMetrics shows the load a run would start and what the plan's
// metric source returns now. Reading metrics changes nothing.
func dryRunMetrics(ctx context.Context, stdout io.Writer, plan *scenarios.Plan, reg *registry, co connectOptions) error {
	r := engine.Redact
	if l := plan.Load; l != nil && len(l.Command) > 0 {
		fmt.Fprintf(stdout, "load     would run %s in %s for the run, stopped at its end with SIGTERM (SIGKILL after %s)\n", r(shellQuote(l.Command)), loadDir(plan), loadGrace)
	}
	if plan.Metrics == nil || reg == nil {
		return nil
	}
	src, err := reg.source(ctx, plan, co)
	if err != nil {
		return err
	}
	dr, ok := src.(dryRunner)
	if !ok {
		fmt.Fprintf(stdout, "metrics  %s\n", plan.Metrics.Source)
		return nil
	}
	qctx, cancel := context.WithTimeout(ctx, preflightTimeout)
	defer cancel()
	for i, line := range dr.DryRun(qctx) {
		head := "metrics  "
		if i > 0 {
			head = "         "
		}
		fmt.Fprintln(stdout, head+r(line))
	}
	return nil
}

// previewFaults resolves each fault's targets now, for the plan card: the
// blast radius as a real start would check it and, in a dry run, the calls
// each fault would make.
func previewFaults(ctx context.Context, c *conn, p *scenarios.Plan, dryRun bool) ([]tui.FaultPreview, error) {
	blast, err := engine.Preflight(ctx, c.provider, p)
	if err != nil && !errors.Is(err, engine.ErrBlastRadius) {
		return nil, err
	}
	out := make([]tui.FaultPreview, 0, len(blast.Faults))
	for _, fb := range blast.Faults {
		pv := tui.FaultPreview{FaultID: fb.Fault.ID, Summary: blastSummary(c.provider, p, fb)}
		if dryRun {
			calls, err := engine.PlanCalls(ctx, c.provider, p.CallFault(fb.Fault), engine.PlannedTTL(p, fb.Fault, engine.MarginFor(c.provider)))
			if err != nil {
				return nil, err
			}
			pv.Calls = calls
		}
		out = append(out, pv)
	}
	return out, nil
}
