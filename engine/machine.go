package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// faultRun is the engine's working state of one fault: the observed status
// it journals, plus what is in flight. Owned by the machine goroutine.
type faultRun struct {
	plan scenarios.Fault
	st   FaultStatus
	// gen counts injections of this fault, so that a timer or a result of
	// an earlier injection is recognised as stale.
	gen int
	// order is the run-wide injection order, for reverse-order rollback.
	order     int
	injectErr string
	// In flight: at most one of these is true at a time. planning is a
	// dry run's PlanCalls.
	injecting, rollingBack, verifying, planning bool
	cancelInject                                context.CancelFunc
	// The ladder (scenarios.Ladder), when the fault has one: the current
	// step (0-based), its state, when it became active and what it has
	// measured since.
	step     int
	ladder   int
	stepFrom time.Time
	stepData *groupData
	// windowEnd is when a ladder's fault ends, set when its first step is
	// injected (its Duration, or the fault phase's end).
	windowEnd time.Time
	// breach says how the ladder broke off ("" while it has not).
	breach string
}

// Events the machine goroutine receives from timers and provider calls.
type (
	phaseEndEv   struct{ gen int }
	faultStartEv struct{ f *faultRun }
	faultEndEv   struct {
		f   *faultRun
		gen int
	}
	injectDoneEv struct {
		f   *faultRun
		gen int
		inj providers.Injection
		err error
	}
	rollbackDoneEv struct {
		f      *faultRun
		err    error
		manual string
	}
	dryRunDoneEv struct {
		f       *faultRun
		gen     int
		calls   []string
		targets []providers.Target
		err     error
	}
	verifyDoneEv struct {
		f      *faultRun
		v      providers.Verification
		err    error
		manual string
	}
	// closeDueEv says a closing group's lag has passed.
	closeDueEv struct{ gen int }
)

// sourced is a sample with the index of the source it came from.
type sourced struct {
	i int
	s providers.Sample
}

// machine is the run's state machine. One goroutine (run) owns it; the
// observed state it journals is what Run.Snapshot shows.
type machine struct {
	r     *Run
	evc   chan any
	phase Phase
	// timedGen identifies the current timed phase; a phase timer from an
	// earlier phase (or cancelled by abort) carries an older one.
	timedGen int
	faultEnd time.Time // when the fault phase is due to end (monotonic clock)
	faults   []*faultRun
	byID     map[string]*faultRun
	injSeq   int
	stops    []*stopWatch
	timers   []*time.Timer

	// A group being closed: its phase ended at closeUntil and the machine
	// waits, up to the sources' lag, for every source to deliver past it
	// before judging it.
	closing    string
	closeUntil time.Time
	closeGen   int
	infos      []providers.SourceInfo
	lastAt     []time.Time // the latest sample end seen from each source

	gone bool // the target system itself is gone (providers.EventGone)

	aborting    bool
	abortReason string
	// observe says the run watches the recovery after an abort's rollback
	// (Run.Abort, a stop condition); AbortNow clears it.
	observe   bool
	abortedAt Phase // the phase the abort interrupted
	hasFinal  bool  // the run will end as soon as no call is in flight
	final     Phase // Done or Aborted
	notSteady *Outcome
	finished  bool
}

func newMachine(r *Run) *machine {
	m := &machine{r: r, evc: make(chan any, 16), byID: map[string]*faultRun{}}
	for _, f := range r.plan.Faults {
		fr := &faultRun{plan: f, st: FaultStatus{Fault: f, State: FaultPending}}
		m.faults = append(m.faults, fr)
		m.byID[f.ID] = fr
	}
	return m
}

// run is the machine's goroutine.
func (m *machine) run(ctx context.Context) {
	r := m.r
	defer close(r.done)
	mctx, stopMetrics := context.WithCancel(context.Background())
	defer stopMetrics()
	samples := make(chan sourced, 16)
	m.infos = make([]providers.SourceInfo, len(r.opts.Sources))
	m.lastAt = make([]time.Time, len(r.opts.Sources))
	for i, src := range r.opts.Sources {
		m.infos[i] = providers.InfoOf(src)
		ch := src.Samples(mctx)
		go func() {
			for smp := range ch {
				select {
				case samples <- sourced{i: i, s: smp}:
				case <-mctx.Done():
					return
				}
			}
		}()
	}
	// What the system does by itself, and what a source says of its own
	// reading (a Prometheus query that stops or starts answering), on one
	// channel, journaled alike as system events.
	var streams []<-chan providers.SystemEvent
	if es, ok := r.prov.(providers.EventStreamer); ok {
		streams = append(streams, es.SystemEvents(mctx))
	}
	for _, src := range r.opts.Sources {
		if es, ok := src.(providers.EventStreamer); ok && !same(src, r.prov) {
			streams = append(streams, es.SystemEvents(mctx))
		}
	}
	var sysEvents <-chan providers.SystemEvent
	switch len(streams) {
	case 0:
	case 1:
		sysEvents = streams[0]
	default:
		merged := make(chan providers.SystemEvent, 16)
		var wg sync.WaitGroup
		for _, ch := range streams {
			wg.Go(func() {
				for ev := range ch {
					select {
					case merged <- ev:
					case <-mctx.Done():
						return
					}
				}
			})
		}
		go func() { wg.Wait(); close(merged) }()
		sysEvents = merged
	}
	abortCh, abortNowCh, ctxDone := r.abortCh, r.abortNowCh, ctx.Done()

	m.enterBaseline()
	for !m.finished {
		select {
		case s := <-samples:
			if s.s.At.After(m.lastAt[s.i]) {
				m.lastAt[s.i] = s.s.At
			}
			m.onSample(s.s)
		case ev, ok := <-sysEvents:
			if !ok {
				sysEvents = nil
				continue
			}
			m.onSystemEvent(ev)
		case ev := <-m.evc:
			m.onEvent(ev)
		case req := <-r.cmds:
			switch req.what {
			case "hold", "widen":
				req.reply <- m.onLadderCmd(req.id, req.what)
			default:
				req.reply <- m.onInject(req.id)
			}
		case <-abortCh:
			abortCh = nil
			m.onAbort(r.abortReason)
		case <-abortNowCh:
			abortNowCh = nil
			m.onAbortNow()
		case <-ctxDone:
			ctxDone = nil
			r.AbortNow("interrupted: " + context.Cause(ctx).Error())
		}
		m.advance()
	}
	for _, t := range m.timers {
		t.Stop()
	}
}

// send delivers an event to the machine goroutine, or drops it if the run
// has ended.
func (m *machine) send(ev any) {
	select {
	case m.evc <- ev:
	case <-m.r.done:
	}
}

// after sends ev after d.
func (m *machine) after(d time.Duration, ev any) {
	m.timers = append(m.timers, time.AfterFunc(max(d, 0), func() { m.send(ev) }))
}

// record journals rec; a journal that cannot be written aborts the run.
func (m *machine) record(rec Record) (Record, error) {
	back, err := m.r.record(rec)
	if err != nil {
		m.r.Abort("journal: " + err.Error())
	}
	return back, err
}

func (m *machine) recordFault(f *faultRun) error {
	st := f.st
	_, err := m.record(Record{Type: RecFault, Fault: &st})
	return err
}

func (m *machine) setPhase(p Phase) {
	if p == m.phase {
		return
	}
	m.phase = p
	_, _ = m.record(Record{Type: RecPhase, Phase: p.String()})
}

func (m *machine) inFaultPhase() bool {
	return (m.phase == Injecting || m.phase == Observing) && !m.aborting && !m.hasFinal
}

func (m *machine) onEvent(ev any) {
	switch ev := ev.(type) {
	case phaseEndEv:
		if ev.gen == m.timedGen && !m.hasFinal && (!m.aborting || m.phase == Recovering) {
			m.onPhaseEnd()
		}
	case faultStartEv:
		if m.inFaultPhase() && ev.f.st.State == FaultPending && !ev.f.injecting {
			_ = m.startInject(ev.f)
		}
	case faultEndEv:
		if ev.gen == ev.f.gen && ev.f.st.State == FaultActive && !ev.f.rollingBack && m.inFaultPhase() {
			m.rollback([]*faultRun{ev.f})
		}
	case injectDoneEv:
		m.onInjectDone(ev)
	case rollbackDoneEv:
		m.onRollbackDone(ev)
	case verifyDoneEv:
		m.onVerifyDone(ev)
	case dryRunDoneEv:
		m.onDryRunDone(ev)
	case closeDueEv:
		if ev.gen == m.closeGen && m.closing != "" {
			m.finishClose()
		}
	case stepHoldEv:
		m.onStepHold(ev)
	}
}

func (m *machine) onPhaseEnd() {
	switch m.phase {
	case Baseline:
		m.startClose(GroupBaseline)
	case Injecting, Observing:
		m.setPhase(RollingBack)
		m.skipPending()
		m.cancelInjects()
		m.sweep()
	case Recovering:
		m.startClose(GroupRecovery)
	case Ready, RollingBack, Done, Aborted:
	}
}

// startClose ends group now: it journals where the group ends, then waits
// until every source has delivered a sample that ends past that instant,
// or the longest lag of the sources has passed, before judging it. A
// sample that arrives later still counts toward the group its window
// belongs to (the verdict reads every sample), but the decision at the
// gate has been taken.
func (m *machine) startClose(group string) {
	now := m.r.now()
	m.closing, m.closeUntil = group, now
	m.closeGen++
	_, _ = m.record(Record{Type: RecClose, Group: group, Until: now})
	var lag time.Duration
	for _, in := range m.infos {
		lag = max(lag, in.Lag)
	}
	m.after(lag, closeDueEv{m.closeGen})
	m.checkClose()
}

// checkClose finishes the closing group once every source is past it.
func (m *machine) checkClose() {
	if m.closing == "" {
		return
	}
	for _, at := range m.lastAt {
		if at.Before(m.closeUntil) {
			return
		}
	}
	m.finishClose()
}

func (m *machine) finishClose() {
	group := m.closing
	m.closing = ""
	m.closeGen++
	if m.hasFinal {
		return
	}
	switch {
	case group == GroupRecovery && m.aborting:
		m.setFinal(Aborted) // the observation after an abort is over
	case m.aborting:
	case group == GroupBaseline:
		m.endBaseline()
	case group == GroupRecovery:
		m.setFinal(Done)
	}
}

func (m *machine) enterBaseline() {
	m.timedGen++
	m.setPhase(Baseline)
	m.after(m.r.plan.Phases.Baseline, phaseEndEv{m.timedGen})
}

// endBaseline checks the steady state on the baseline samples: if it does
// not hold, nothing is injected and the run ends VerdictNotSteady.
func (m *machine) endBaseline() {
	r := m.r
	r.mu.Lock()
	checks := judge(r.plan, GroupBaseline, r.view.groups.data[GroupBaseline])
	r.mu.Unlock()
	var bad []string
	for _, c := range checks {
		if !c.Holds {
			bad = append(bad, describeBreach(c))
		}
	}
	if len(bad) > 0 {
		m.notSteady = &Outcome{Verdict: VerdictNotSteady, Reason: strings.Join(bad, "; "), Checks: checks}
		m.skipPending()
		m.setFinal(Done)
		return
	}
	m.enterFaultPhase()
}

func (m *machine) enterFaultPhase() {
	plan := m.r.plan
	m.timedGen++
	m.faultEnd = time.Now().Add(plan.Phases.Fault)
	m.stops = nil
	for _, sc := range plan.StopConditions {
		m.stops = append(m.stops, &stopWatch{sc: sc})
	}
	m.setPhase(Observing)
	m.after(plan.Phases.Fault, phaseEndEv{m.timedGen})
	for _, f := range m.faults {
		if !f.plan.Manual && f.plan.StartAfter < plan.Phases.Fault {
			m.after(f.plan.StartAfter, faultStartEv{f})
		}
	}
}

func (m *machine) enterRecovering() {
	m.timedGen++
	m.setPhase(Recovering)
	m.after(m.r.plan.Phases.Recovery, phaseEndEv{m.timedGen})
}

func (m *machine) setFinal(p Phase) {
	if m.hasFinal && m.final == Aborted {
		return
	}
	m.hasFinal, m.final = true, p
}

func (m *machine) onSample(s providers.Sample) {
	s = sanitize(s)
	_, _ = m.record(Record{Type: RecSample, Sample: &s})
	m.checkClose()
	if !m.inFaultPhase() {
		return
	}
	m.stepSample(s)
	for _, w := range m.stops {
		if reason, fire := w.add(s); fire {
			m.r.Abort(reason)
			return
		}
	}
}

// onInject handles Run.Inject on the machine goroutine.
func (m *machine) onInject(id string) error {
	f, ok := m.byID[id]
	if !ok {
		ids := make([]string, len(m.faults))
		for i, f := range m.faults {
			ids[i] = f.plan.ID
		}
		return fmt.Errorf("inject %s: no such fault (the plan has %s)", id, strings.Join(ids, ", "))
	}
	if !m.inFaultPhase() {
		what := m.phase.String()
		if m.aborting {
			what = "aborting"
		}
		return fmt.Errorf("inject %s: faults can be injected only during the fault phase (the run is %s)", id, what)
	}
	if f.injecting || f.rollingBack || f.verifying || f.planning {
		return fmt.Errorf("inject %s: the fault is busy (%s)", id, f.st.State)
	}
	switch f.st.State {
	case FaultPending, FaultInjectFailed, FaultRolledBack:
	default:
		return fmt.Errorf("inject %s: the fault is already %s", id, f.st.State)
	}
	if f.plan.Ladder != nil { // a ladder fired again starts over
		f.step, f.ladder, f.windowEnd = 0, ladderClimbing, time.Time{}
	}
	return m.startInject(f)
}

// life is how long a fault injected now stays: its Duration, cut at the end
// of the fault phase (the whole rest of the phase when Duration is zero).
func (m *machine) life(f *faultRun) time.Duration {
	rest := max(time.Until(m.faultEnd), 0)
	if !f.windowEnd.IsZero() {
		// A ladder's later steps share the window its first step opened.
		return min(max(time.Until(f.windowEnd), 0), rest)
	}
	if d := f.plan.Duration; d > 0 && d < rest {
		return d
	}
	return rest
}

// startInject journals the request and the intent to inject (synced), then
// calls the provider on its own goroutine.
func (m *machine) startInject(f *faultRun) error {
	if m.r.opts.DryRun {
		m.startDryRun(f)
		return nil
	}
	ttl := m.life(f) + m.r.opts.TTLMargin
	f.gen++
	f.injectErr = ""
	owner := providers.OwnerLabel(m.r.opts.Env.RunID, f.stepOwner())
	// The intent carries an Injection with the owner label and no handles
	// yet: if gameday dies during Inject, `gameday recover` rolls back
	// whatever carries that label.
	intent := providers.Injection{FaultID: f.plan.ID, Provider: m.r.provName, Kind: f.plan.Kind, Owner: owner}
	f.st = FaultStatus{Fault: f.plan, State: FaultRequested}
	if f.plan.Ladder != nil {
		f.st.Step = f.step + 1
	}
	if err := m.recordFault(f); err != nil {
		f.st.State, f.st.Err = FaultInjectFailed, "not injected: "+err.Error()
		_ = m.recordFault(f) // best effort: at least the console sees it
		return fmt.Errorf("inject %s: journal: %w", f.plan.ID, err)
	}
	f.st.State, f.st.Injection = FaultInjecting, &intent
	if err := m.recordFault(f); err != nil {
		// The intent is not on disk: the provider must not be called.
		f.st.State, f.st.Err = FaultInjectFailed, "not injected: "+err.Error()
		_ = m.recordFault(f)
		return fmt.Errorf("inject %s: journal the intent: %w", f.plan.ID, err)
	}
	m.injSeq++
	f.order = m.injSeq
	ctx, cancel := context.WithTimeout(context.Background(), m.r.opts.CallTimeout)
	f.injecting, f.cancelInject = true, cancel
	gen, fault, prov := f.gen, m.r.plan.CallFault(f.plan), m.r.prov
	fault.Owner = owner
	fault.Selection = f.stepSelection()
	go func() {
		defer cancel()
		inj, err := call(ctx, func(ctx context.Context) (providers.Injection, error) {
			return prov.Inject(ctx, fault, ttl)
		})
		m.send(injectDoneEv{f: f, gen: gen, inj: inj, err: err})
	}()
	m.syncFaultPhase()
	return nil
}

// startDryRun is startInject in a dry run: nothing is journaled as
// requested (nothing may be active), the provider is never asked to
// inject; it is asked, on its own goroutine and within the call timeout,
// which targets the fault would hit and which calls it would make, and
// the answer is journaled in state FaultDryRun.
func (m *machine) startDryRun(f *faultRun) {
	ttl := m.life(f) + m.r.opts.TTLMargin
	f.gen++
	f.planning = true
	gen, prov, timeout := f.gen, m.r.prov, m.r.opts.CallTimeout
	fault := m.r.plan.CallFault(f.plan)
	fault.Owner = providers.OwnerLabel(m.r.opts.Env.RunID, f.plan.ID)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		ev := dryRunDoneEv{f: f, gen: gen}
		ev.targets, ev.err = call(ctx, func(ctx context.Context) ([]providers.Target, error) { return prov.Targets(ctx, fault) })
		if ev.err == nil {
			if l := f.plan.Ladder; l != nil {
				// Every step's calls, each with its selection.
				for i, st := range l.Steps {
					sf := fault
					sf.Selection = st
					calls, err := PlanCalls(ctx, prov, sf, ttl)
					if err != nil {
						ev.err = err
						break
					}
					for _, c := range calls {
						ev.calls = append(ev.calls, fmt.Sprintf("step %d/%d (%s): %s", i+1, len(l.Steps), st, c))
					}
				}
			} else {
				ev.calls, ev.err = PlanCalls(ctx, prov, fault, ttl)
			}
		}
		m.send(ev)
	}()
}

func (m *machine) onDryRunDone(ev dryRunDoneEv) {
	f := ev.f
	if ev.gen != f.gen || !f.planning {
		return
	}
	f.planning = false
	f.st = FaultStatus{Fault: f.plan, State: FaultDryRun, Targets: ev.targets, Calls: ev.calls}
	if ev.err != nil {
		f.st.Err = "dry run: " + ev.err.Error()
	}
	_ = m.recordFault(f)
}

// syncFaultPhase shows Injecting while an Inject call is in flight and
// Observing otherwise.
func (m *machine) syncFaultPhase() {
	if !m.inFaultPhase() {
		return
	}
	want := Observing
	for _, f := range m.faults {
		if f.injecting {
			want = Injecting
		}
	}
	m.setPhase(want)
}

func (m *machine) onInjectDone(ev injectDoneEv) {
	f := ev.f
	if ev.gen != f.gen || !f.injecting {
		return
	}
	f.injecting, f.cancelInject = false, nil
	inj := ev.inj
	if inj.Owner == "" && f.st.Injection != nil {
		inj.Owner = f.st.Injection.Owner
	}
	if inj.FaultID == "" {
		inj.FaultID = f.plan.ID
	}
	if inj.Kind == "" {
		inj.Kind = f.plan.Kind
	}
	if inj.Provider == "" {
		inj.Provider = m.r.provName
	}
	switch {
	case ev.err == nil:
		life := m.life(f)
		now := m.r.now()
		f.st.State, f.st.Injection, f.st.Targets = FaultActive, &inj, inj.Targets
		f.st.InjectedAt, f.st.EndsAt = now, now.Add(life)
		m.recordFault(f)
		if m.inFaultPhase() && f.plan.Ladder != nil {
			if f.windowEnd.IsZero() {
				f.windowEnd = time.Now().Add(life)
			}
			m.onStepActive(f)
		}
		if m.inFaultPhase() {
			// A fault that lasts to the end of the fault phase is rolled
			// back with everything else when the phase ends.
			if d := f.plan.Duration; d > 0 && d <= life {
				m.after(life, faultEndEv{f: f, gen: f.gen})
			}
		} else {
			m.rollback([]*faultRun{f}) // the phase ended or an abort came while injecting
		}
	case errors.Is(ev.err, providers.ErrNotApplied):
		f.st.State, f.st.Injection, f.st.Err = FaultInjectFailed, nil, "inject: "+ev.err.Error()
		m.recordFault(f)
	default:
		f.injectErr = "inject failed, the fault may be applied: " + ev.err.Error()
		f.st.Injection, f.st.Targets, f.st.Err = &inj, inj.Targets, f.injectErr
		m.rollback([]*faultRun{f})
	}
	m.syncFaultPhase()
}

// cancelInjects cancels every Inject call in flight; each will report back
// and be rolled back unless the provider says nothing was applied.
func (m *machine) cancelInjects() {
	for _, f := range m.faults {
		if f.injecting && f.cancelInject != nil {
			f.cancelInject()
		}
	}
}

// skipPending marks every fault that was never requested as skipped.
func (m *machine) skipPending() {
	for _, f := range m.faults {
		if f.st.State == FaultPending && !f.injecting && !f.planning {
			f.st.State = FaultSkipped
			m.recordFault(f)
		}
	}
}

// sweep rolls back every fault that may be active and is not already being
// injected (it will be rolled back when its call returns) or rolled back.
func (m *machine) sweep() {
	var batch []*faultRun
	for _, f := range m.faults {
		if f.st.State.MayBeActive() && !f.injecting && !f.rollingBack {
			batch = append(batch, f)
		}
	}
	if len(batch) > 0 {
		m.rollback(batch)
	}
}

func (m *machine) onRollbackDone(ev rollbackDoneEv) {
	f := ev.f
	f.rollingBack = false
	if ev.err != nil && m.gone {
		m.markGone(f, "its rollback could not reach it")
		return
	}
	if ev.err != nil {
		f.st.State, f.st.Manual, f.st.Err = FaultRollbackFailed, ev.manual, ev.err.Error()
		m.recordFault(f)
		return
	}
	f.st.State, f.st.Manual, f.st.Err = FaultRolledBack, "", f.injectErr
	m.recordFault(f)
	if m.r.verifier != nil && f.st.Injection != nil {
		f.verifying = true
		go m.verify(f, *f.st.Injection)
		return
	}
	m.afterStepRollback(f)
}

func (m *machine) onVerifyDone(ev verifyDoneEv) {
	f := ev.f
	f.verifying = false
	v := ev.v
	if ev.err == nil && v.Clean {
		f.st.Verification = &v
		m.recordFault(f)
		m.afterStepRollback(f)
		return
	}
	if m.gone {
		m.markGone(f, "its verification could not reach it")
		return
	}
	v.Clean = false
	if ev.err != nil {
		v.Details = append(slices.Clone(v.Details), "verify: "+ev.err.Error())
	}
	detail := "no details"
	if len(v.Details) > 0 {
		detail = strings.Join(v.Details, "; ")
	}
	f.st.Verification = &v
	f.st.State, f.st.Manual = FaultRollbackFailed, ev.manual
	f.st.Err = "rollback not verified: the fault may still be in place: " + detail
	m.recordFault(f)
}

// onSystemEvent journals what the system did by itself. When the system
// itself is gone, the run stops: the faults that lived in it are gone with
// it, and no rollback or manual command can reach them.
func (m *machine) onSystemEvent(ev providers.SystemEvent) {
	if ev.At.IsZero() {
		ev.At = m.r.now()
	}
	m.record(Record{Type: RecSystem, Event: &ev})
	if ev.Stop && !m.aborting && !m.hasFinal && m.phase != Baseline && m.phase != Ready {
		m.r.Abort(fmt.Sprintf("stop condition: %s: %s", ev.Source, ev.Text))
		return
	}
	if ev.Kind != providers.EventGone || m.gone {
		return
	}
	m.gone = true
	for _, f := range m.faults {
		if f.st.State.MayBeActive() && !f.injecting && !f.rollingBack {
			m.markGone(f, ev.Text)
		}
	}
	m.r.Abort("the target system is gone: " + ev.Text)
}

// markGone records f as ended with its system.
func (m *machine) markGone(f *faultRun, why string) {
	f.st.State, f.st.Manual = FaultGone, ""
	f.st.Err = "the fault ended with its system: " + why
	m.recordFault(f)
}

func (m *machine) onAbort(reason string) {
	if m.aborting || m.finished {
		return
	}
	m.aborting, m.abortReason, m.abortedAt = true, reason, m.phase
	m.record(Record{Type: RecAbort, Reason: reason})
	// Phase timers no longer matter — but the recovery phase's: an abort
	// there has nothing to roll back, and the observation already under
	// way goes on to its end, then the run ends aborted (finishClose).
	// Cancelling its timer left the run recovering for ever.
	if m.phase != Recovering {
		m.timedGen++
	}
	m.skipPending()
	m.cancelInjects()
	busy, injected := false, false
	for _, f := range m.faults {
		if f.injecting || f.rollingBack || f.st.State.MayBeActive() {
			busy = true
		}
		injected = injected || f.order > 0
	}
	// Watch the system come back only when something was injected and the
	// abort came before the recovery phase (which is an observation
	// already); never when the system itself is gone.
	m.observe = m.observe || injected && !m.gone && m.r.plan.Phases.Recovery > 0 && m.phase != Recovering && !m.r.opts.DryRun
	now := false
	select {
	case <-m.r.abortNowCh:
		m.observe, now = false, true
	default:
	}
	if !busy {
		m.afterAbortRollback()
		if now {
			m.onAbortNow() // a recovery under way ends now too
		}
		return
	}
	m.setPhase(RollingBack)
	m.sweep()
}

// afterAbortRollback moves on once an abort's rollbacks are done: to the
// recovery phase, observed with load, or to the end.
func (m *machine) afterAbortRollback() {
	if m.observe && m.phase != Recovering {
		m.enterRecovering()
		return
	}
	if m.phase != Recovering {
		m.setFinal(Aborted)
	}
}

// onAbortNow ends an abort's observation at once (or makes the coming
// abort skip it).
func (m *machine) onAbortNow() {
	m.observe = false
	if m.aborting && m.phase == Recovering && !m.hasFinal {
		m.timedGen++
		m.closing = ""
		m.setFinal(Aborted)
	}
}

// advance moves on once nothing the current step waits for is in flight.
func (m *machine) advance() {
	if m.finished {
		return
	}
	inFlight, verifying := false, false
	for _, f := range m.faults {
		inFlight = inFlight || f.injecting || f.rollingBack
		verifying = verifying || f.verifying || f.planning
	}
	if m.phase == RollingBack && !inFlight {
		if m.aborting {
			if !m.hasFinal {
				m.afterAbortRollback()
			}
		} else if !m.hasFinal {
			m.enterRecovering()
		}
	}
	if m.hasFinal && !inFlight && !verifying {
		m.finalize()
	}
}

// finalize journals the final phase and the verdict.
func (m *machine) finalize() {
	r := m.r
	m.skipPending()
	out := m.verdict()
	m.setPhase(m.final)
	r.mu.Lock()
	back, _ := r.recordLocked(Record{Type: RecVerdict, Outcome: &out})
	r.ended = true
	if back.Outcome != nil {
		r.outcome = *back.Outcome
	} else {
		r.outcome = out
	}
	r.mu.Unlock()
	m.finished = true
	r.events.close()
}

func (m *machine) verdict() Outcome {
	r := m.r
	var out Outcome
	observed := false
	if m.notSteady != nil {
		out = *m.notSteady
	} else {
		r.mu.Lock()
		out.Checks = evaluate(r.plan, r.view.groups, m.final == Done && !m.aborting)
		observed = len(r.view.groups.samples(GroupRecovery)) > 0
		r.mu.Unlock()
	}
	var failed []string
	injected := false
	for _, f := range m.faults {
		if f.st.State == FaultRollbackFailed {
			failed = append(failed, fmt.Sprintf("%s (%s): manual action needed: %s", f.plan.ID, f.plan.Kind, f.st.Manual))
		}
		injected = injected || f.order > 0 && f.st.State != FaultInjectFailed
	}
	switch {
	case len(failed) > 0:
		out.Verdict = VerdictRollbackFailed
		out.Reason = "rollback not confirmed for " + strings.Join(failed, "; ")
	case m.final == Aborted:
		out.Verdict, out.Reason = VerdictAborted, m.abortReason
		// A run that had already refuted its hypothesis, then was aborted,
		// says both; and what the observation after the abort saw.
		var refuted, back []string
		for _, c := range out.Checks {
			switch {
			case c.Phase == GroupFault && !c.Holds && c.Samples > 0:
				refuted = append(refuted, describeBreach(c))
			case c.Phase == GroupRecovery && !c.Holds:
				back = append(back, describeBreach(c))
			}
		}
		if len(refuted) > 0 {
			out.Reason += "; the hypothesis was already refuted: " + strings.Join(refuted, "; ")
		}
		if observed {
			if len(back) == 0 {
				out.Reason += "; after the rollback the steady state held again"
			} else {
				out.Reason += "; after the rollback the steady state did not hold: " + strings.Join(back, "; ")
			}
		}
	case m.notSteady != nil:
	default:
		var bad []string
		for _, c := range out.Checks {
			if c.Phase != GroupBaseline && !c.Holds {
				bad = append(bad, describeBreach(c))
			}
		}
		// A ladder that breached refutes the hypothesis for the planned
		// blast radius, even when the phase as a whole held.
		for _, f := range m.faults {
			if f.breach != "" {
				bad = append(bad, f.breach)
			}
		}
		if len(bad) > 0 {
			out.Verdict, out.Reason = VerdictViolated, strings.Join(bad, "; ")
		} else {
			out.Verdict, out.Reason = VerdictHeld, "steady state held during fault and recovery"
			if !injected && !m.r.opts.DryRun {
				out.Reason += ", but no fault was injected"
			}
		}
	}
	if m.r.opts.DryRun {
		out.Reason = "dry run, nothing injected: " + out.Reason
	}
	return out
}

// rollback rolls back batch, latest injected first, faults that share no
// target in parallel. A fault waits for the rollback of every
// later-injected fault it shares a target with (or whose targets are
// unknown) until that one is confirmed or its first attempt has failed —
// and never longer than one call timeout, so a hung call delays the others
// by at most that and never stops them. Then each fault gets its own
// attempts on its own deadline (Options.RollbackDeadline from when it
// starts), on a fresh context: one hung predecessor cannot use up the
// time of the fault rolled back after it.
func (m *machine) rollback(batch []*faultRun) {
	slices.SortStableFunc(batch, func(a, b *faultRun) int { return cmp.Compare(b.order, a.order) })
	for _, f := range batch {
		f.rollingBack = true
		f.st.State = FaultRollingBack
		m.recordFault(f)
	}
	released := make([]chan struct{}, len(batch))
	for i := range batch {
		released[i] = make(chan struct{})
	}
	for i, f := range batch {
		var deps []<-chan struct{}
		for j := range i {
			if dependent(batch[j], f) {
				deps = append(deps, released[j])
			}
		}
		inj := m.injectionOf(f)
		go m.rollbackOne(f, inj, deps, released[i])
	}
}

// injectionOf returns what to hand Rollback for f: the Injection the
// provider returned or, when the call never returned, the intent's, whose
// owner label lets the provider find what it applied.
func (m *machine) injectionOf(f *faultRun) providers.Injection {
	if f.st.Injection != nil {
		return *f.st.Injection
	}
	return providers.Injection{FaultID: f.plan.ID, Provider: m.r.provName, Kind: f.plan.Kind, Targets: f.st.Targets}
}

// dependent reports whether a and b must be rolled back in order: they share
// a target, or one of them does not say what it hit.
func dependent(a, b *faultRun) bool {
	if len(a.st.Targets) == 0 || len(b.st.Targets) == 0 {
		return true
	}
	for _, x := range a.st.Targets {
		for _, y := range b.st.Targets {
			if x.ID == y.ID {
				return true
			}
		}
	}
	return false
}

// rollbackOne rolls back one fault with retries and backoff until its own
// deadline, each attempt bounded by the call timeout, and reports to the
// machine. It always makes at least one attempt.
func (m *machine) rollbackOne(f *faultRun, inj providers.Injection, deps []<-chan struct{}, release chan struct{}) {
	released := false
	rel := func() {
		if !released {
			released = true
			close(release)
		}
	}
	defer rel()
	prov, opts := m.r.prov, m.r.opts
	if len(deps) > 0 {
		wait := time.NewTimer(opts.CallTimeout)
	waiting:
		for _, d := range deps {
			select {
			case <-d:
			case <-wait.C:
				break waiting
			}
		}
		wait.Stop()
	}
	attempts, err := RollbackFault(prov, inj, m.rollbackOptions(rel))
	ev := rollbackDoneEv{f: f}
	if err != nil {
		ev.err = fmt.Errorf("roll back %s: %d attempt(s) failed, manual action needed: %w", f.plan.ID, attempts, err)
		ev.manual = m.manualCommand(inj)
	}
	m.send(ev)
}

// verify asks the provider, until it says clean or the rollback deadline
// passes, whether the fault is really gone: right after a rollback the
// system may still be settling (a replica restarting). While it is not
// clean, the rollback is repeated before each new check.
func (m *machine) verify(f *faultRun, inj providers.Injection) {
	v, err := VerifyFault(m.r.prov, m.r.verifier, inj, m.rollbackOptions(nil))
	ev := verifyDoneEv{f: f, v: v, err: err}
	if err != nil || !v.Clean {
		ev.manual = m.manualCommand(inj)
	}
	m.send(ev)
}

func (m *machine) rollbackOptions(onFirstFailure func()) RollbackOptions {
	o := m.r.opts
	return RollbackOptions{CallTimeout: o.CallTimeout, Deadline: o.RollbackDeadline, Retries: o.RollbackRetries, OnFirstFailure: onFirstFailure}
}

// manualCommand is ManualCommand for this run's provider and journal.
func (m *machine) manualCommand(inj providers.Injection) string {
	return ManualCommand(m.r.prov, inj, m.r.opts.JournalPath)
}

// call runs fn on its own goroutine and returns its result, or an error as
// soon as ctx is done even if fn ignores ctx and never returns (the
// goroutine is then abandoned). A panic in fn is returned as an error.
func call[T any](ctx context.Context, fn func(context.Context) (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				ch <- result{err: fmt.Errorf("provider panicked: %v", p)}
			}
		}()
		v, err := fn(ctx)
		ch <- result{v: v, err: err}
	}()
	select {
	case res := <-ch:
		return res.v, res.err
	case <-ctx.Done():
		select {
		case res := <-ch: // finished at the deadline: keep what it did
			return res.v, res.err
		default:
		}
		var zero T
		return zero, fmt.Errorf("provider call did not return in time: %w", context.Cause(ctx))
	}
}

// sleepCtx waits d; it reports false if ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// same reports whether a and b are the same value (a provider that is also
// one of its run's sources); values of a type that cannot be compared are
// not the same.
func same(a, b any) (eq bool) {
	defer func() {
		if recover() != nil {
			eq = false
		}
	}()
	return a == b
}
