package engine

import (
	"time"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// Phase is where a run is. Every switch on it is exhaustive.
type Phase int

// The phases of a run, in order. A run ends in Done (with a verdict) or
// Aborted.
const (
	Ready Phase = iota
	Baseline
	Injecting
	Observing
	RollingBack
	Recovering
	Done
	Aborted
)

var phaseNames = [...]string{"ready", "baseline", "injecting", "observing", "rolling back", "recovering", "done", "aborted"}

// String returns the phase's name as the console and the journal show it.
func (p Phase) String() string {
	if p < 0 || int(p) >= len(phaseNames) {
		return "unknown"
	}
	return phaseNames[p]
}

// Ended reports whether p is a final phase.
func (p Phase) Ended() bool { return p == Done || p == Aborted }

// FaultState is where one fault is in its life.
type FaultState int

// The states of a fault.
const (
	FaultPending FaultState = iota // planned, not yet requested
	FaultRequested
	FaultInjecting
	FaultActive
	FaultRollingBack
	FaultRolledBack
	FaultRollbackFailed // manual action needed
	FaultSkipped        // never injected (steady state failed, run aborted first)
	FaultInjectFailed   // inject failed and nothing was applied
	FaultDryRun         // dry run: not injected; Calls say what would have been called
	// FaultGone: the system that held the fault is gone (the sandbox's
	// process died), and the fault with it; nothing is left to roll back.
	FaultGone
)

var faultStateNames = [...]string{"pending", "requested", "injecting", "active", "rolling back", "rolled back", "rollback failed", "skipped", "inject failed", "dry run", "gone with its system"}

// String returns the state's name.
func (s FaultState) String() string {
	if s < 0 || int(s) >= len(faultStateNames) {
		return "unknown"
	}
	return faultStateNames[s]
}

// MayBeActive reports whether a fault in state s may still affect the
// target, so that abort and recover must roll it back.
func (s FaultState) MayBeActive() bool {
	switch s {
	case FaultRequested, FaultInjecting, FaultActive, FaultRollingBack, FaultRollbackFailed:
		return true
	}
	return false
}

// Verdict is the outcome of a run.
type Verdict string

// The verdicts, with the exit code each maps to in cmd.
const (
	VerdictHeld           Verdict = "held"            // exit 0
	VerdictViolated       Verdict = "violated"        // exit 1
	VerdictAborted        Verdict = "aborted"         // exit 2
	VerdictNotSteady      Verdict = "not steady"      // exit 1: baseline failed, nothing injected
	VerdictRollbackFailed Verdict = "rollback failed" // exit 4
)

// FaultStatus is the observed state of one fault, as the console shows it.
type FaultStatus struct {
	Fault     scenarios.Fault      `json:"fault"`
	State     FaultState           `json:"state"`
	Targets   []providers.Target   `json:"targets,omitempty"`
	Injection *providers.Injection `json:"injection,omitempty"`
	// InjectedAt and EndsAt are zero until the fault is active.
	InjectedAt time.Time `json:"injected_at,omitempty"`
	EndsAt     time.Time `json:"ends_at,omitempty"`
	// Manual is the exact command to finish a rollback that failed.
	Manual string `json:"manual,omitempty"`
	// Verification is set after a verified rollback.
	Verification *providers.Verification `json:"verification,omitempty"`
	Err          string                  `json:"error,omitempty"`
	// Calls are, in a dry run (State FaultDryRun), the calls injecting
	// and rolling back the fault would have made (providers.Planner).
	Calls []string `json:"calls,omitempty"`
	// Step is, for a fault with a ladder, the step (1-based) this status
	// is about.
	Step int `json:"step,omitempty"`
}

// RecordType names a kind of journal record.
type RecordType string

// The journal's record types.
const (
	RecPlan    RecordType = "plan"    // first record: the plan and the environment
	RecPhase   RecordType = "phase"   // a phase change
	RecFault   RecordType = "fault"   // a fault state change (intent to inject comes first)
	RecSample  RecordType = "sample"  // one second of metrics
	RecNote    RecordType = "note"    // an observation typed by a person
	RecAbort   RecordType = "abort"   // an abort and its reason
	RecVerdict RecordType = "verdict" // last record of a run
	RecRecover RecordType = "recover" // appended by gameday recover
	// RecClose ends a check group at Until, the instant its timed phase
	// ended; the engine journals it at once and judges the group only
	// after late samples had their chance (the sources' lag).
	RecClose RecordType = "close"
	// RecStep is a step of a fault's ladder (progressive blast radius):
	// started, held, or breached, with the step's checks.
	RecStep RecordType = "step"
	// RecSystem is something the target system did by itself (a
	// providers.SystemEvent): a health check took a replica out, a pod was
	// killed, a breaker opened.
	RecSystem RecordType = "system"
)

// NoteKind marks a note as a success (leading "+"), an improvement
// (leading "-"), or a plain observation.
type NoteKind string

// The note kinds.
const (
	Observation NoteKind = "observation"
	Success     NoteKind = "success"
	Improvement NoteKind = "improvement"
)

// Note is a timestamped observation.
type Note struct {
	Kind NoteKind `json:"kind"`
	Text string   `json:"text"`
	// Author is who typed it when that was not the facilitator: a
	// scribe's name (gameday watch --scribe NAME). Empty for the
	// facilitator's own notes, and in journals from before it existed.
	Author string `json:"author,omitempty"`
}

// Environment says where a run ran.
type Environment struct {
	// RunID identifies the run. Every fault the run injects is labelled
	// with the owner "RUN.FAULT" (providers.OwnerLabel), so that what it
	// applied can be found again from the journal. New generates one when
	// it is empty.
	RunID    string             `json:"run_id,omitempty"`
	Provider string             `json:"provider"`
	Targets  []providers.Target `json:"targets,omitempty"`
	Version  string             `json:"version"`
	DryRun   bool               `json:"dry_run,omitempty"`
	// Identity says which system the run acted on, so that `gameday
	// recover` can tell whether it reaches that very one.
	Identity *providers.Identity `json:"identity,omitempty"`
}

// Check is one steady-state check of one metric in one phase.
type Check struct {
	Phase  string           `json:"phase"` // "baseline", "fault", "recovery"
	Metric scenarios.Metric `json:"metric"`
	Value  float64          `json:"value"`
	Bound  scenarios.Bound  `json:"bound"`
	Holds  bool             `json:"holds"`
	// Samples is how many windows carried the metric; 0 means there was
	// no data, and the check does not hold.
	Samples int `json:"samples"`
	// Method says how Value was derived (MethodAllRequests,
	// MethodPerWindow, …); empty in journals from before it was recorded.
	Method string `json:"method,omitempty"`
	// Breached is how many of the windows were beyond the bound, and
	// Worst the worst window's value (at WorstAt).
	Breached int       `json:"breached,omitempty"`
	Worst    float64   `json:"worst,omitempty"`
	WorstAt  time.Time `json:"worst_at,omitempty"`
	// Offered is, for throughput, the mean rate the load generator
	// offered (0 when unknown).
	Offered float64 `json:"offered,omitempty"`
	// Note qualifies the value ("the load generator offered only …").
	Note string `json:"note,omitempty"`
}

// Outcome is the verdict of a run with its reason and checks.
type Outcome struct {
	Verdict Verdict `json:"verdict"`
	Reason  string  `json:"reason"`
	Checks  []Check `json:"checks,omitempty"`
}

// Record is one line of the journal and one event on the run's channel.
// Exactly one of the pointer fields is set, matching Type.
type Record struct {
	Seq     int               `json:"seq"`
	At      time.Time         `json:"at"`
	Type    RecordType        `json:"type"`
	Plan    *scenarios.Plan   `json:"plan,omitempty"`
	Env     *Environment      `json:"env,omitempty"`
	Phase   string            `json:"phase,omitempty"`
	Fault   *FaultStatus      `json:"fault,omitempty"`
	Sample  *providers.Sample `json:"sample,omitempty"`
	Note    *Note             `json:"note,omitempty"`
	Reason  string            `json:"reason,omitempty"`
	Outcome *Outcome          `json:"outcome,omitempty"`
	// Group and Until are a RecClose's check group and end.
	Group string    `json:"group,omitempty"`
	Until time.Time `json:"until,omitempty"`
	// Event is a RecSystem's event.
	Event *providers.SystemEvent `json:"event,omitempty"`
	// Step is a RecStep's step.
	Step *StepRecord `json:"step,omitempty"`
}

// StepRecord is one moment of a ladder step: it started, it held for its
// hold, or it breached (and after how long), with the step's checks over
// its own window.
type StepRecord struct {
	FaultID string `json:"fault_id"`
	// Step is 1-based; Of is the number of steps.
	Step      int                 `json:"step"`
	Of        int                 `json:"of"`
	Selection providers.Selection `json:"selection"`
	// What is StepStarted, StepHeld or StepBreached.
	What string `json:"what"`
	// From is when the step's injection became active; At (the record's
	// time) is when it held or breached.
	From    time.Time          `json:"from"`
	Checks  []Check            `json:"checks,omitempty"`
	Targets []providers.Target `json:"targets,omitempty"`
}

// The moments of a ladder step.
const (
	StepStarted  = "started"
	StepHeld     = "held"
	StepBreached = "breached"
	// StepHeldByFacilitator: the facilitator kept the ladder at this step
	// until the fault's end.
	StepHeldByFacilitator = "held here by the facilitator"
)

// Snapshot is a consistent copy of a run's observed state, for the console.
type Snapshot struct {
	Plan         *scenarios.Plan    `json:"plan"`
	Phase        Phase              `json:"phase"`
	Started      time.Time          `json:"started"`       // zero before Start
	PhaseStarted time.Time          `json:"phase_started"` // when Phase began
	PhaseEnds    time.Time          `json:"phase_ends"`    // when a timed phase is due to end; zero otherwise
	Faults       []FaultStatus      `json:"faults"`
	Samples      []providers.Sample `json:"samples"`  // most recent last, bounded
	Timeline     []Record           `json:"timeline"` // every record except samples, bounded
	// Group is the check group open now ("" between groups), and Checks
	// its steady-state checks over the samples so far: the same judge as
	// the verdict's, so the console and the report cannot disagree.
	Group  string  `json:"group,omitempty"`
	Checks []Check `json:"checks,omitempty"`
	// Holding is false as soon as a check of the open group does not hold;
	// Breaches say which ("p95 612 ms > 200 ms during fault").
	Holding  bool     `json:"holding"`
	Breaches []string `json:"breaches,omitempty"`
	// Now are what the latest sample breaches, for a live "right now".
	Now     []string `json:"now,omitempty"`
	Outcome *Outcome `json:"outcome,omitempty"` // set when the run has ended
}
