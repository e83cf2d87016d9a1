// Package engine runs a chaos experiment: the run state machine
// (baseline → fault → rollback → recovery → verdict), steady-state and
// stop-condition evaluation, abort with rollback, the append-only journal
// and everything rendered from it (Replay, the markdown report, JUnit XML).
//
// The journal is the source of truth. Every record is appended as one JSON
// line, secrets redacted, and synced before the engine moves on; the intent
// to inject is journaled before the provider is called. The records a Run
// publishes on Events, keeps in its Snapshot and returns from Outcome are
// decoded from the very bytes it journaled, so a report rendered from them
// and one rendered from the journal file are identical byte for byte.
//
// A Run never blocks its caller on provider I/O: every provider call runs on
// its own goroutine with a context and a timeout, and a call that does not
// return in time is abandoned (and, for a rollback, ends in "manual action
// needed" with the provider's exact command), so one hung API cannot stop
// the others from being rolled back.
//
// Rollback. Every rollback runs on a fresh context bounded by
// Options.RollbackDeadline, with retries; one that cannot be confirmed ends
// FaultRollbackFailed with the provider's manual command, and the run's
// verdict is VerdictRollbackFailed. When the provider implements
// providers.Verifier, each confirmed rollback is then verified, retrying
// until clean or the deadline (the system may still be settling); a
// rollback that never verifies clean is treated as not confirmed.
//
// Phases. A run goes Ready → Baseline → the fault phase → RollingBack →
// Recovering → Done, or ends in Aborted. The fault phase is shown as
// Injecting while at least one provider Inject call is in flight and as
// Observing otherwise; the two share one timer, so switching between them
// does not restart the phase. RollingBack is entered when the fault phase
// ends (everything still active is rolled back) and on abort; faults whose
// own Duration ends earlier are rolled back during Observing. Stop
// conditions are watched during the fault phase only: that is when aborting
// can still change something; a breach during recovery is a violation of the
// hypothesis, not a reason to abort.
package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// Defaults for Options.
const (
	DefaultCallTimeout      = 30 * time.Second
	DefaultRollbackDeadline = 60 * time.Second
	DefaultRollbackRetries  = 3
	// TTLMargin is added to a fault's planned duration to make the TTL
	// handed to Provider.Inject: if gameday dies, the provider ends the
	// fault by itself at most this long after it was due to end.
	TTLMargin = 30 * time.Second
)

// Options configure a Run.
type Options struct {
	// Plan is the validated plan to run. It must not be changed after New.
	Plan *scenarios.Plan
	// Provider injects and rolls back the plan's faults. If it also
	// implements providers.Verifier, every confirmed rollback is verified.
	Provider providers.Provider
	// Metrics and Sources deliver the run's samples: the built-in load
	// generator's, a Prometheus or CloudWatch source, a running count.
	// Each declares its resolution and lag (providers.Described); a phase
	// is judged once every source has delivered past its end, or its lag
	// has passed. At least one is needed.
	Metrics providers.MetricSource
	Sources []providers.MetricSource
	// Journal receives one JSON line per Record. If it has a Sync() error
	// method (an *os.File), it is called after each record, before the
	// engine moves on. Nil discards the journal.
	Journal io.Writer
	// Env says where the run runs; Env.Provider defaults to the provider's
	// name.
	Env Environment
	// JournalPath names the journal in the commands the run prints
	// (gameday recover JOURNAL); the engine writes to Journal.
	JournalPath string
	// CallTimeout bounds each provider call (default: the provider's own,
	// providers.Tuned, else 30s).
	CallTimeout time.Duration
	// RollbackDeadline bounds one fault's rollback, retries included, and,
	// separately, its verification (default: the provider's own, else
	// 60s). Each fault gets its own, starting when its own rollback
	// starts, on a fresh context, never on the one whose cancellation
	// triggered the abort.
	RollbackDeadline time.Duration
	// RollbackRetries is how many times a failed rollback is tried again,
	// with exponential backoff, within the deadline (default 3, so up to 4
	// attempts; negative means no retry).
	RollbackRetries int
	// TTLMargin is added to each fault's planned life to make the TTL
	// handed to Provider.Inject (default TTLMargin). Shorter margins bound
	// how long a fault can outlive a crashed gameday; too short a margin
	// risks a fault ending by itself before its rollback.
	TTLMargin time.Duration
	// DryRun runs the phases and measures as usual but changes nothing:
	// Provider.Inject and Rollback are never called. When a fault is due
	// (on schedule or by Run.Inject), the calls it would make are asked of
	// the provider (PlanCalls) and journaled in a fault record in state
	// FaultDryRun; the verdict's reason starts with "dry run". Env.DryRun
	// set means the same, and either sets both.
	DryRun bool
	// Now stamps records (default time.Now). Phase lengths are measured
	// with real timers; stop conditions with the samples' own timestamps.
	Now func() time.Time
}

// Run is one execution of a plan. Create it with New, start it with Start;
// every method is safe for concurrent use.
type Run struct {
	opts     Options
	plan     *scenarios.Plan
	prov     providers.Provider
	provName string
	verifier providers.Verifier // nil when the provider cannot verify
	enc      *Encoder
	now      func() time.Time

	startOnce   sync.Once
	abortOnce   sync.Once
	abortCh     chan struct{} // closed by the first Abort or AbortNow
	abortReason string        // set before abortCh is closed
	nowOnce     sync.Once
	abortNowCh  chan struct{} // closed by AbortNow: no observation after the rollback
	cmds        chan injectRequest
	done        chan struct{}
	events      *eventQueue

	mu      sync.Mutex // guards what follows, and serialises journal writes
	started bool
	ended   bool // the verdict is journaled; nothing more is written
	seq     int
	view    replayer // with the sample groups every check reads
	outcome Outcome
	// journalErr is the first error writing the journal: the run aborts
	// on it, and its caller reports it (the journal, and the report
	// rendered from it, lack what was not written).
	journalErr error
}

type injectRequest struct {
	id    string
	what  string // "" inject, "hold" or "widen" a ladder
	reply chan error
}

// New checks opts and returns a Run ready to Start.
func New(opts Options) (*Run, error) {
	switch {
	case opts.Plan == nil:
		return nil, errors.New("engine: new run: no plan")
	case opts.Provider == nil:
		return nil, errors.New("engine: new run: no provider")
	case opts.Metrics == nil && len(opts.Sources) == 0:
		return nil, errors.New("engine: new run: no metric source")
	}
	plan := opts.Plan
	if plan.Phases.Baseline < 0 || plan.Phases.Fault < 0 || plan.Phases.Recovery < 0 {
		return nil, fmt.Errorf("engine: new run: plan %q: negative phase length", plan.Title)
	}
	seen := map[string]bool{}
	for i, f := range plan.Faults {
		switch {
		case f.ID == "":
			return nil, fmt.Errorf("engine: new run: plan %q: fault %d (%s) has no id", plan.Title, i+1, f.Kind)
		case seen[f.ID]:
			return nil, fmt.Errorf("engine: new run: plan %q: two faults have id %q", plan.Title, f.ID)
		case !opts.Provider.Supports(f.Kind):
			return nil, fmt.Errorf("engine: new run: plan %q: fault %s: provider %q does not support kind %q", plan.Title, f.ID, opts.Provider.Name(), f.Kind)
		}
		seen[f.ID] = true
	}
	if opts.Journal == nil {
		opts.Journal = io.Discard
	}
	if opts.Metrics != nil {
		opts.Sources = append([]providers.MetricSource{opts.Metrics}, opts.Sources...)
		opts.Metrics = nil
	}
	if t, ok := opts.Provider.(providers.Tuned); ok {
		tt := t.Timeouts()
		if opts.CallTimeout <= 0 {
			opts.CallTimeout = tt.Call
		}
		if opts.RollbackDeadline <= 0 {
			opts.RollbackDeadline = tt.RollbackDeadline
		}
		if opts.TTLMargin <= 0 {
			opts.TTLMargin = tt.TTLMargin
		}
	}
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = DefaultCallTimeout
	}
	if opts.RollbackDeadline <= 0 {
		opts.RollbackDeadline = DefaultRollbackDeadline
	}
	switch {
	case opts.RollbackRetries == 0:
		opts.RollbackRetries = DefaultRollbackRetries
	case opts.RollbackRetries < 0:
		opts.RollbackRetries = 0
	}
	if opts.TTLMargin <= 0 {
		opts.TTLMargin = TTLMargin
	}
	if opts.RollbackDeadline < opts.CallTimeout {
		opts.RollbackDeadline = opts.CallTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	opts.DryRun = opts.DryRun || opts.Env.DryRun
	opts.Env.DryRun = opts.DryRun
	r := &Run{
		opts:       opts,
		plan:       plan,
		prov:       opts.Provider,
		provName:   opts.Provider.Name(),
		enc:        NewEncoder(opts.Journal),
		now:        opts.Now,
		abortCh:    make(chan struct{}),
		abortNowCh: make(chan struct{}),
		cmds:       make(chan injectRequest),
		done:       make(chan struct{}),
		events:     newEventQueue(),
	}
	if v, ok := opts.Provider.(providers.Verifier); ok {
		r.verifier = v
	}
	if r.opts.Env.Provider == "" {
		r.opts.Env.Provider = r.provName
	}
	if r.opts.Env.RunID == "" {
		r.opts.Env.RunID = newRunID(r.now())
	}
	r.view.setPlan(plan)
	return r, nil
}

// Start journals the plan and starts the run in the background; it returns
// at once. Cancelling ctx aborts the run (with rollback, on a fresh
// context). Calling Start again does nothing.
func (r *Run) Start(ctx context.Context) {
	r.startOnce.Do(func() {
		r.mu.Lock()
		r.started = true
		env := r.opts.Env
		_, err := r.recordLocked(Record{Type: RecPlan, Plan: r.plan, Env: &env})
		r.mu.Unlock()
		if err != nil {
			r.Abort("journal: " + err.Error())
		}
		m := newMachine(r)
		go m.run(ctx)
	})
}

// Events returns every journaled record, in order, starting with the plan.
// The channel is closed after the verdict. The engine never blocks on it:
// when the reader falls behind, sample records are dropped from the channel
// (never from the journal), other records are queued. A reader that stops
// reading before the channel is closed leaves one parked goroutine.
func (r *Run) Events() <-chan Record { return r.events.channel() }

// Inject starts the fault with id faultID now, whatever its schedule ("press
// 1" on the console). It returns once the intent to inject is journaled,
// without waiting for the provider. It fails if the id is unknown, if the
// run is not in its fault phase (Injecting or Observing) or is aborting, or
// if the fault is already injected, active or rolling back; a fault that
// was rolled back or failed to inject may be injected again.
func (r *Run) Inject(faultID string) error {
	r.mu.Lock()
	started, ended, phase := r.started, r.ended, r.view.snap.Phase
	r.mu.Unlock()
	if !started || ended {
		return fmt.Errorf("inject %s: faults can be injected only during the fault phase (the run is %s)", faultID, phase)
	}
	req := injectRequest{id: faultID, reply: make(chan error, 1)}
	select {
	case r.cmds <- req:
	case <-r.done:
		return fmt.Errorf("inject %s: the run has ended", faultID)
	}
	select {
	case err := <-req.reply:
		return err
	case <-r.done:
		return fmt.Errorf("inject %s: the run has ended", faultID)
	}
}

// HoldLadder keeps the fault's ladder at its current step until the fault
// ends: the facilitator has seen enough. It fails when the fault has no
// ladder climbing.
func (r *Run) HoldLadder(faultID string) error { return r.ladderCmd(faultID, "hold") }

// WidenNow ends the current step's hold early: the step is judged over what
// it has measured so far and, if it held, the ladder widens at once (if it
// breached, the ladder stops as at the end of a hold).
func (r *Run) WidenNow(faultID string) error { return r.ladderCmd(faultID, "widen") }

func (r *Run) ladderCmd(faultID, what string) error {
	req := injectRequest{id: faultID, what: what, reply: make(chan error, 1)}
	select {
	case r.cmds <- req:
	case <-r.done:
		return fmt.Errorf("%s %s: the run has ended", what, faultID)
	}
	select {
	case err := <-req.reply:
		return err
	case <-r.done:
		return fmt.Errorf("%s %s: the run has ended", what, faultID)
	}
}

// Abort stops the run: injections in flight are cancelled, every fault that
// may be active is rolled back, and then — when something had been
// injected — the run keeps observing, with its load, for the plan's
// recovery phase, so the report can say whether the system came back; it
// ends Aborted (or with VerdictRollbackFailed). It returns at once, may be
// called from any goroutine, and only the first call's reason counts.
func (r *Run) Abort(reason string) {
	r.abortOnce.Do(func() {
		if strings.TrimSpace(reason) == "" {
			reason = "aborted"
		}
		r.abortReason = reason
		close(r.abortCh)
	})
}

// AbortNow is Abort without the observation after the rollback (a signal,
// the console closing, the facilitator leaving): the run ends as soon as
// every fault is rolled back. Called during an Abort's observation, it
// ends the observation.
func (r *Run) AbortNow(reason string) {
	r.nowOnce.Do(func() { close(r.abortNowCh) })
	r.Abort(reason)
}

// Note journals an observation at once. A leading "+" marks a success and a
// leading "-" an improvement; the mark is stripped and the text trimmed. An
// empty note, or a note before Start, is an error. Notes after the verdict
// are welcome — the retro right after the drill goes into the same journal
// and report — for as long as the journal is open.
func (r *Run) Note(text string) error { return r.NoteBy("", text) }

// NoteBy is Note by someone other than the facilitator: a scribe who
// follows the run from another terminal. author is journaled with the
// note (trimmed, redacted like every string); empty means the facilitator.
func (r *Run) NoteBy(author, text string) error {
	n, err := ParseNote(text)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.started {
		return errors.New("note: the run has not started")
	}
	n.Author = strings.TrimSpace(author)
	if _, err := r.recordLocked(Record{Type: RecNote, Note: &n}); err != nil {
		go r.Abort("journal: " + err.Error())
		return fmt.Errorf("note: %w", err)
	}
	return nil
}

// Snapshot returns a consistent copy of the run's observed state, as of the
// last journaled record. Its slices are the caller's; the values its
// pointers refer to are shared and must not be changed.
func (r *Run) Snapshot() Snapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.view.snapshot()
}

// JournalErr returns the first error writing the journal, nil if every
// record was written and synced. A run whose journal failed aborted; the
// verdict it returns from Outcome may not be in the journal.
func (r *Run) JournalErr() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.journalErr
}

// Done is closed when the run has ended and its verdict is journaled.
func (r *Run) Done() <-chan struct{} { return r.done }

// Outcome returns the verdict; it is the zero Outcome until Done is closed.
func (r *Run) Outcome() Outcome {
	r.mu.Lock()
	defer r.mu.Unlock()
	o := r.outcome
	o.Checks = append([]Check(nil), o.Checks...)
	return o
}

// recordLocked journals rec with the next sequence number and the current
// time, then feeds what was journaled — decoded back from the redacted
// bytes — to the snapshot, the sample groups and the subscribers. It
// returns that decoded record. A write or sync error is returned after the
// record has been published, so the console still shows it. r.mu is held.
func (r *Run) recordLocked(rec Record) (Record, error) {
	r.seq++
	rec.Seq = r.seq
	rec.At = r.now()
	line, err := marshalRecord(rec)
	if err != nil {
		return rec, err
	}
	werr := r.enc.write(rec.Seq, line)
	if werr != nil && r.journalErr == nil {
		r.journalErr = fmt.Errorf("journal record %d (%s): %w", rec.Seq, rec.Type, werr)
	}
	var back Record
	if json.Unmarshal(line, &back) != nil {
		back = rec
	}
	r.view.apply(back)
	r.events.push(back)
	return back, werr
}

// record is recordLocked for callers that do not hold r.mu.
func (r *Run) record(rec Record) (Record, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.recordLocked(rec)
}

// NewRunID returns a new run id (the start time and 32 random bits), for a
// caller that needs it before New: to lease the target in its name.
func NewRunID(now time.Time) string { return newRunID(now) }

// newRunID returns a run id that is unique in practice and safe in any
// provider's labels: the start time and 32 random bits, "20250301t140000-1a2b3c4d".
func newRunID(now time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return now.UTC().Format("20060102t150405") + "-" + hex.EncodeToString(b[:])
}
