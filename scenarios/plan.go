package scenarios

import (
	"fmt"
	"strings"
	"time"

	"github.com/gameday-tui/gameday/providers"
)

// Metric names a steady-state metric as scenario files spell it: one of
// the four classic metrics, or a series a metric source delivers by name
// (metrics: { source: prometheus, queries: { queue_depth: … } }).
type Metric string

// The four classic metrics, which every source may deliver.
const (
	P95        Metric = providers.SeriesP95
	ErrorRate  Metric = providers.SeriesErrorRate
	Throughput Metric = providers.SeriesThroughput
	Running    Metric = providers.SeriesRunning
)

// Metrics lists the four classic metrics in display order.
var Metrics = []Metric{P95, ErrorRate, Throughput, Running}

// Classic reports whether m is one of the four classic metrics.
func (m Metric) Classic() bool {
	switch m {
	case P95, ErrorRate, Throughput, Running:
		return true
	}
	return false
}

// Value returns the metric's value in s and whether s carries it.
func (m Metric) Value(s providers.Sample) (float64, bool) { return s.Value(string(m)) }

// Bound is a steady-state threshold: Min and/or Max, nil when absent.
type Bound struct {
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
}

// Holds reports whether v is within the bound.
func (b Bound) Holds(v float64) bool {
	if b.Min != nil && v < *b.Min {
		return false
	}
	if b.Max != nil && v > *b.Max {
		return false
	}
	return true
}

// Target says which provider runs the plan, with its fields.
type Target struct {
	Provider string `json:"provider"`
	// Name is a human name for the target system; a target marked
	// Environment "production" must be confirmed by typing it.
	Name        string `json:"name,omitempty"`
	Environment string `json:"environment,omitempty"`
	// Fields holds the provider's own settings (namespace, region, …), as
	// its providers.Spec declares them.
	Fields providers.Fields `json:"fields,omitempty"`
	// where is the target's place in its scenario file, "file:line:col"
	// ("" for a target built in code or read back from a journal).
	where string
}

// Where says where the target is written in its scenario file, as
// "file:line:col", so a refusal about it (an unconfirmed production
// target) can point there; "" when it was not read from a file.
func (t Target) Where() string { return t.where }

// Load is the traffic of a run: the built-in load generator (Rate, with
// Path on the target or a URL anywhere), or an external command (k6, say)
// that gameday starts and stops. A nil *Load means real traffic only.
type Load struct {
	Rate    float64       `json:"rate,omitempty"`
	Path    string        `json:"path,omitempty"`
	URL     string        `json:"url,omitempty"`
	Timeout time.Duration `json:"timeout,omitempty"`
	// Command, when set, is the external load: argv of a program gameday
	// runs for the length of the run. There is then no built-in load.
	Command []string `json:"command,omitempty"`
	// AcceptRedirects counts a 3xx answer as a success. By default it is
	// an error (category "3xx"): the built-in load does not follow
	// redirects, and an endpoint that starts redirecting (to a login
	// page, a maintenance page) is not serving what the hypothesis is
	// about.
	AcceptRedirects bool `json:"accept_redirects,omitempty"`
}

// BuiltIn reports whether l asks for the built-in load generator.
func (l *Load) BuiltIn() bool { return l != nil && len(l.Command) == 0 && l.Rate > 0 }

// MetricsConfig names a metric source beyond the built-in load generator
// (metrics: { source: prometheus, url: …, queries: … }), with its own
// fields as its providers.SourceSpec declares them.
type MetricsConfig struct {
	Source string           `json:"source"`
	Fields providers.Fields `json:"fields,omitempty"`
}

// Phases are the lengths of the three timed phases.
type Phases struct {
	Baseline time.Duration `json:"baseline"`
	Fault    time.Duration `json:"fault"`
	Recovery time.Duration `json:"recovery"`
}

// Fault is one planned fault: what to inject, and when relative to the
// start of the fault phase. A zero Duration lasts to the end of the fault
// phase.
type Fault struct {
	providers.Fault
	StartAfter time.Duration `json:"start_after,omitempty"`
	Duration   time.Duration `json:"duration,omitempty"`
	// Manual faults are not started on schedule, only on demand.
	Manual bool `json:"manual,omitempty"`
	// Ladder, when set, widens the fault step by step while the steady
	// state holds (selection: { steps: [10%, 25%, 50%], hold: 60s });
	// Fault.Selection is then its first step.
	Ladder *Ladder `json:"ladder,omitempty"`
}

// Ladder is a progressive blast radius: start small, widen while steady.
// The run injects the first step; after each Hold in which every
// steady-state bound held over the step, it rolls the step back, verifies
// it gone, and injects the next, wider one — so at any time the fault
// covers one step's targets. At the first breach it stops widening and
// rolls the step back; with OnBreach "hold" the last step that held is
// applied again until the fault's end, otherwise ("stop") the fault ends.
type Ladder struct {
	Steps []providers.Selection `json:"steps"`
	Hold  time.Duration         `json:"hold"`
	// OnBreach is "stop" (the default) or "hold".
	OnBreach string `json:"on_breach,omitempty"`
}

// Widest returns the ladder's last (widest) step.
func (l *Ladder) Widest() providers.Selection { return l.Steps[len(l.Steps)-1] }

// The OnBreach values.
const (
	OnBreachStop = "stop"
	OnBreachHold = "hold"
)

// Limits cap what a plan's faults may take from the system together,
// counting every fault as if all were in force at once (the console can
// inject any fault early). A zero field sets no cap.
type Limits struct {
	// MemoryMB caps the sum, over the memory-stress faults, of memory_mb
	// times the targets each hits (its selection count, else one).
	MemoryMB int `json:"memory_mb,omitempty"`
	// CPUCores caps the sum, over the cpu-stress faults, of workers ×
	// load% times the targets each hits, in cores: two workers at 50%
	// are one core.
	CPUCores float64 `json:"cpu_cores,omitempty"`
}

// StopCondition aborts a run when Metric is beyond its bound for For.
type StopCondition struct {
	Metric Metric        `json:"metric"`
	Above  *float64      `json:"above,omitempty"`
	Below  *float64      `json:"below,omitempty"`
	For    time.Duration `json:"for"`
}

// Plan is a validated scenario: everything the engine needs to run it.
type Plan struct {
	// Path is where the plan was read from ("embedded:latency.yaml" for a
	// shipped one).
	Path           string           `json:"path"`
	Title          string           `json:"title"`
	Description    string           `json:"description,omitempty"`
	Hypothesis     string           `json:"hypothesis"`
	BlastRadius    string           `json:"blast_radius"`
	Rollback       string           `json:"rollback"`
	Target         Target           `json:"target"`
	Load           *Load            `json:"load,omitempty"`
	SteadyState    map[Metric]Bound `json:"steady_state"`
	Phases         Phases           `json:"phases"`
	Faults         []Fault          `json:"faults"`
	StopConditions []StopCondition  `json:"stop_conditions,omitempty"`
	MaxPercent     float64          `json:"max_percent,omitempty"`
	MaxCount       int              `json:"max_count,omitempty"`
	// Limits cap the memory and CPU the faults take together.
	Limits Limits `json:"limits,omitzero"`
	// Metrics, when set, is a metric source the run reads besides (or,
	// without built-in load, instead of) the load generator.
	Metrics *MetricsConfig `json:"metrics,omitempty"`
	// NearMargin is how close to a bound a value counts as "near" (amber
	// on the console): a fraction of the bound, DefaultNearMargin when 0.
	NearMargin float64 `json:"near_margin,omitempty"`
	// Participants and Links are who took part and what to look at
	// (dashboards, tickets, runbooks); the report lists both.
	Participants []Participant `json:"participants,omitempty"`
	Links        []Link        `json:"links,omitempty"`
	// Translations hold the plan's text in other languages, by language
	// ("ja"); Localized picks one.
	Translations map[string]Text `json:"translations,omitempty"`

	// pos holds where each field was written in the file, by the paths
	// Validate names ("faults[1].params"), for Where. Nil for a plan
	// built in code or read back from a journal.
	pos map[string]filePos
}

// filePos is a 1-based line and column in a scenario file.
type filePos struct{ line, col int }

// Where says where the field at path at ("faults[1]", "target.name", as
// Validate names fields) is written in the plan's file — or the nearest
// field that holds it — as "file:line:col", so a refusal at run time
// (a blast radius beyond the plan's cap) points where an error of
// validate would. A plan not read from a file gives its Path alone.
func (p *Plan) Where(at string) string {
	for {
		if ps, ok := p.pos[at]; ok && ps.line > 0 {
			if ps.col > 0 {
				return fmt.Sprintf("%s:%d:%d", p.Path, ps.line, ps.col)
			}
			return fmt.Sprintf("%s:%d", p.Path, ps.line)
		}
		if at == "" {
			return p.Path
		}
		at = parent(at)
	}
}

// parent is the path that holds at: "faults[1].params" → "faults[1]" →
// "faults" → "".
func parent(at string) string {
	if i := strings.LastIndexAny(at, ".["); i >= 0 {
		return at[:i]
	}
	return ""
}

// Participant is a person at the game day and their role. Role is free
// text; the report words the common ones (Roles) in its language and shows
// any other as written.
type Participant struct {
	Name string `json:"name"`
	Role string `json:"role,omitempty"`
}

// Roles are the roles the report knows by name.
var Roles = []string{"facilitator", "scribe", "observer", "on-call", "owner"}

// Link is a dashboard, a ticket or a runbook of the game day: an http or
// https URL and, optionally, what it is.
type Link struct {
	Title string `json:"title,omitempty"`
	URL   string `json:"url"`
}

// Text is the plan's text in one language; an empty field keeps the
// plan's own.
type Text struct {
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	Hypothesis  string `json:"hypothesis,omitempty"`
	BlastRadius string `json:"blast_radius,omitempty"`
	Rollback    string `json:"rollback,omitempty"`
}

// Languages are the languages a scenario may carry translations for: the
// ones gameday writes its report in.
var Languages = []string{"en", "ja"}

// DefaultNearMargin is the near margin of a plan that sets none: within
// 10 % of a bound.
const DefaultNearMargin = 0.10

// Margin returns the plan's near margin.
func (p *Plan) Margin() float64 {
	if p.NearMargin > 0 {
		return p.NearMargin
	}
	return DefaultNearMargin
}

// CallFault returns f as a provider is handed it: the fault with the
// scenario's target fields as its Scope.
func (p *Plan) CallFault(f Fault) providers.Fault {
	pf := f.Fault
	pf.Scope = p.Target.Fields
	return pf
}
