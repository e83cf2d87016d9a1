package providers

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"time"
)

// Fields are provider-owned values from a scenario file: the provider's
// target fields (a Kubernetes namespace, an AWS region), a fault's own
// target selector (labels, names, ARNs, tags) and the params a provider
// adds to a kind (a Chaos Mesh manifest, an FIS template id).
//
// Values are JSON values, so Fields survive the journal unchanged: text is
// a string, a number a float64 (an int before a round trip), a boolean a
// bool, a list []any (or []string), a mapping map[string]any (or
// map[string]string). Durations are kept as text ("30s"). The accessors
// below accept both forms. A provider declares each field in its Spec; the
// scenario loader checks types and positions before any value reaches it.
type Fields map[string]any

// Has reports whether key is set.
func (f Fields) Has(key string) bool {
	_, ok := f[key]
	return ok
}

// String returns the text at key ("" when absent or not text).
func (f Fields) String(key string) string {
	switch v := f[key].(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case int:
		return strconv.Itoa(v)
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

// Strings returns the list of text at key (nil when absent). A single text
// value is a list of one.
func (f Fields) Strings(key string) []string {
	switch v := f[key].(type) {
	case []string:
		return slices.Clone(v)
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case string:
		return []string{v}
	}
	return nil
}

// StringMap returns the mapping of text to text at key (nil when absent).
func (f Fields) StringMap(key string) map[string]string {
	switch v := f[key].(type) {
	case map[string]string:
		return maps.Clone(v)
	case map[string]any:
		out := make(map[string]string, len(v))
		for k, e := range v {
			switch e := e.(type) {
			case string:
				out[k] = e
			case float64:
				out[k] = strconv.FormatFloat(e, 'f', -1, 64)
			case bool:
				out[k] = strconv.FormatBool(e)
			}
		}
		return out
	}
	return nil
}

// Number returns the number at key and whether there is one.
func (f Fields) Number(key string) (float64, bool) {
	switch v := f[key].(type) {
	case float64:
		return v, true
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	}
	return 0, false
}

// Int returns the whole number at key (0 when absent).
func (f Fields) Int(key string) int {
	v, _ := f.Number(key)
	return int(v)
}

// Bool returns the boolean at key (false when absent).
func (f Fields) Bool(key string) bool {
	v, _ := f[key].(bool)
	return v
}

// Duration returns the duration at key (0 when absent or malformed).
func (f Fields) Duration(key string) time.Duration {
	switch v := f[key].(type) {
	case string:
		d, _ := time.ParseDuration(v)
		return d
	case time.Duration:
		return v
	}
	return 0
}

// Map returns the mapping at key as JSON values (nil when absent): a raw
// manifest, say.
func (f Fields) Map(key string) map[string]any {
	v, _ := f[key].(map[string]any)
	return v
}

// Keys returns the keys in sorted order.
func (f Fields) Keys() []string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// FieldType is the type of a provider-owned field.
type FieldType int

// The field types a Spec can declare.
const (
	FieldString    FieldType = iota // text
	FieldStrings                    // a list of text (a single text is a list of one)
	FieldStringMap                  // a mapping of text to text (labels, tags)
	FieldNumber                     // a finite number
	FieldInt                        // a whole number
	FieldBool                       // true or false
	FieldDuration                   // a duration like 30s, kept as text
	FieldMapping                    // any mapping (a raw manifest), kept as JSON values
)

var fieldTypeNames = [...]string{"text", "a list of text", "a mapping of text to text", "a number", "a whole number", "true or false", "a duration like 30s", "a mapping"}

// String says what a value of the type looks like, for "expected …".
func (t FieldType) String() string {
	if t < 0 || int(t) >= len(fieldTypeNames) {
		return "a value"
	}
	return fieldTypeNames[t]
}

// FieldSpec declares one provider-owned field of a scenario file.
type FieldSpec struct {
	Name     string
	Type     FieldType
	Required bool
	// OneOf, for text, lists the values allowed.
	OneOf []string
	// Min and Max, when set, bound a number, a whole number or a duration
	// (in seconds).
	Min, Max *float64
	// Doc says in a few words what the field is, for errors and docs.
	Doc string
	// Check, when set, checks the decoded value; its error is reported at
	// the value's line and column.
	Check func(v any) error
}

// FieldError is a mistake a provider found in its own fields. Path is
// relative to the fault ("target.namespace", "params.manifest") or to the
// scenario's target ("namespace"); the loader turns it into a file:line:col.
type FieldError struct {
	Path string
	Msg  string
}

func (e FieldError) Error() string { return e.Path + ": " + e.Msg }

// Spec is what a provider accepts in a scenario file. It is plain data and
// pure functions, so a scenario is validated without any connection to the
// system; each provider package exports its own (sandbox.Spec()).
type Spec struct {
	// Name is the provider's name as scenario files spell it.
	Name string
	// Kinds are the fault kinds it implements, classic and native.
	Kinds []Kind
	// Target declares the keys of the scenario's target mapping the
	// provider reads, beyond provider, name and environment.
	Target []FieldSpec
	// Selector declares the keys of a fault's own target mapping
	// (faults[i].target): how a fault narrows what it hits in the
	// provider's terms (namespace, labels, names, ARNs, tags).
	Selector []FieldSpec
	// Params declares, per kind, the params the provider adds to the
	// classic ones (delay, jitter, workers, load, memory_mb, mode), or the
	// params of a native kind.
	Params map[Kind][]FieldSpec
	// Modes lists, per classic kind, the params.mode values the provider
	// implements; the first is the default. Nil uses the classic modes.
	Modes map[Kind][]string
	// CheckFault, when set, checks one fault as a whole once its fields
	// are decoded (a combination the field types cannot say). target is
	// the scenario's target fields.
	CheckFault func(target Fields, f Fault) []FieldError
	// CheckTarget, when set, checks the scenario's target fields as a
	// whole.
	CheckTarget func(target Fields) []FieldError
	// CheckPlan, when set, checks the plan's faults together, once each
	// has passed its own checks: what they add up to (memory, CPU) against
	// what the system can give, read when it is called. target is the
	// scenario's target fields; faults are in plan order, each as the
	// provider is handed it. A FieldError's Path is relative to the plan
	// and starts with the fault it is about ("faults[2].params.memory_mb"),
	// so the loader places it on that fault's line.
	CheckPlan func(target Fields, faults []Fault) []FieldError
	// Load says whether the provider can be driven with no built-in load
	// and no metric source (false: a scenario must give one or the other).
	// The sandbox has no other traffic, so it needs load.
	NoLoadNeeded bool
}

// SupportsKind reports whether the spec lists kind.
func (s Spec) SupportsKind(k Kind) bool { return slices.Contains(s.Kinds, k) }

// SourceSpec is what a metric source accepts in a scenario's metrics
// mapping (metrics: { source: prometheus, … }).
type SourceSpec struct {
	Name   string
	Fields []FieldSpec
	// Series returns the named series a configured source delivers beyond
	// the four classic metrics, so steady_state and stop_conditions may
	// bound them (queue_depth from a Prometheus query, say).
	Series func(Fields) []string
	// Check, when set, checks the fields as a whole.
	Check func(Fields) []FieldError
}

// Stress returns what f takes from each target it hits: a memory-stress
// fault's memory_mb, a cpu-stress fault's workers × load% in cores (one
// worker at 100% where they are not given, as the providers default
// them). Other kinds take none. A plan's totals (the scenario's limits, a
// provider's CheckPlan) add these up.
func (f Fault) Stress() (memoryMB, cores float64) {
	switch f.Kind {
	case MemoryStress:
		return float64(max(f.Params.MemoryMB, 0)), 0
	case CPUStress:
		workers, load := f.Params.Workers, f.Params.Load
		if workers <= 0 {
			workers = 1
		}
		if load <= 0 || load > 100 {
			load = 100
		}
		return 0, float64(workers) * float64(load) / 100
	}
	return 0, 0
}

// Ptr returns a pointer to v, for FieldSpec.Min and Max.
func Ptr(v float64) *float64 { return &v }

// NewFieldError returns a FieldError at path.
func NewFieldError(path, format string, args ...any) FieldError {
	return FieldError{Path: path, Msg: fmt.Sprintf(format, args...)}
}
