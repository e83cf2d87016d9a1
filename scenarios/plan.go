package scenarios

import (
	"time"

	"github.com/gameday-tui/gameday/providers"
)

// Metric names a steady-state metric as scenario files spell it.
type Metric string

// The four metrics every run measures.
const (
	P95        Metric = "p95_ms"
	ErrorRate  Metric = "error_rate"
	Throughput Metric = "throughput_rps"
	Running    Metric = "running"
)

// Metrics lists the four metrics in display order.
var Metrics = []Metric{P95, ErrorRate, Throughput, Running}

// Value returns the metric's value in s.
func (m Metric) Value(s providers.Sample) float64 {
	switch m {
	case P95:
		return s.P95
	case ErrorRate:
		return s.ErrorRate
	case Throughput:
		return s.Throughput
	case Running:
		return float64(s.Running)
	}
	return 0
}

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
	// Fields holds provider-specific settings (cluster, namespace, …).
	Fields map[string]string `json:"fields,omitempty"`
}

// Load is the built-in traffic; a nil *Load means real traffic only.
type Load struct {
	Rate    float64       `json:"rate"`
	Path    string        `json:"path,omitempty"`
	Timeout time.Duration `json:"timeout,omitempty"`
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
}
