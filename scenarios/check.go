package scenarios

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/gameday-tui/gameday/providers"
)

// Validate checks a plan built in code (or changed after Parse) with the
// same rules Parse applies to a file. Without positions, each mistake names
// the field it is about: "faults[0].selection.percent: …". It returns nil
// or an *Errors.
func (p *Plan) Validate(opts Options) error {
	var errs Errors
	c := &checker{
		opts:  opts.withDefaults(),
		skip:  func(string) bool { return false },
		given: func(_ string, nonzero bool) bool { return nonzero },
		report: func(at, msg string) {
			errs = append(errs, &Error{Path: p.Path, Msg: at + ": " + msg})
		},
	}
	c.plan(p)
	if len(errs) == 0 {
		return nil
	}
	return &errs
}

// checker is the second pass: rules about meaning. It reads a Plan and
// reports findings by field path ("faults[1].duration").
type checker struct {
	opts Options
	// skip reports whether the value at a path (or one it contains or is
	// contained in) was malformed in the file, so it is not checked again.
	skip func(at string) bool
	// given reports whether an optional value was set: present in the file
	// for Parse, non-zero for Validate.
	given  func(at string, nonzero bool) bool
	report func(at, msg string)
}

func (c *checker) reportf(at, format string, args ...any) {
	c.report(at, fmt.Sprintf(format, args...))
}

// faultID is what a fault id may look like: it names the fault in the
// journal, on the console and in commands.
var faultID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$`)

func metricNames() []string {
	out := make([]string, len(Metrics))
	for i, m := range Metrics {
		out[i] = string(m)
	}
	return out
}

func kindNames(kinds []providers.Kind) []string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = string(k)
	}
	return out
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func (c *checker) plan(p *Plan) {
	for _, f := range []struct{ at, v string }{
		{"title", p.Title}, {"hypothesis", p.Hypothesis}, {"blast_radius", p.BlastRadius}, {"rollback", p.Rollback},
	} {
		if !c.skip(f.at) && strings.TrimSpace(f.v) == "" {
			c.reportf(f.at, "%s must not be empty", f.at)
		}
	}
	spec, known := c.target(p.Target)
	c.load(p.Load)
	c.steadyState(p.SteadyState)
	for _, ph := range []struct {
		name string
		v    float64
	}{{"baseline", p.Phases.Baseline.Seconds()}, {"fault", p.Phases.Fault.Seconds()}, {"recovery", p.Phases.Recovery.Seconds()}} {
		if at := "phases." + ph.name; !c.skip(at) && ph.v <= 0 {
			c.reportf(at, "the %s phase must last longer than 0", ph.name)
		}
	}
	if c.given("max_percent", p.MaxPercent != 0) && !(p.MaxPercent > 0 && p.MaxPercent <= 100) {
		c.reportf("max_percent", "max_percent must be in (0, 100], got %g", p.MaxPercent)
	}
	if c.given("max_count", p.MaxCount != 0) && p.MaxCount < 1 {
		c.reportf("max_count", "max_count must be at least 1, got %d", p.MaxCount)
	}
	c.faults(p, spec, known)
	for i, sc := range p.StopConditions {
		c.stopCondition(fmt.Sprintf("stop_conditions[%d]", i), sc)
	}
}

// target checks the provider and its fields, and returns the provider's
// spec when it is known.
func (c *checker) target(t Target) (ProviderSpec, bool) {
	names := make([]string, 0, len(c.opts.Providers))
	for name := range c.opts.Providers {
		names = append(names, name)
	}
	slices.Sort(names)
	spec, known := c.opts.Providers[t.Provider]
	if !c.skip("target.provider") {
		switch {
		case t.Provider == "":
			c.reportf("target.provider", "target.provider must not be empty%s", knownList("; known providers", names))
		case !known:
			c.reportf("target.provider", "unknown provider %q%s", t.Provider, hint(t.Provider, names, "known providers"))
		}
	}
	if known {
		accepted := append(slices.Clone(commonTargetFields), spec.Fields...)
		keys := make([]string, 0, len(t.Fields))
		for k := range t.Fields {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if !slices.Contains(spec.Fields, k) {
				c.reportf("target."+k, "unknown target field %q for provider %s%s", k, t.Provider, suggest(k, accepted))
			}
		}
	}
	if strings.EqualFold(t.Environment, "production") && strings.TrimSpace(t.Name) == "" && !c.skip("target.name") {
		c.reportf("target.environment", "a production target needs a name: the facilitator types it to confirm the run")
	}
	return spec, known
}

func (c *checker) load(l *Load) {
	if l == nil {
		return
	}
	if !c.skip("load.rate") && !(l.Rate > 0 && finite(l.Rate)) {
		c.reportf("load.rate", "load rate must be more than 0 requests per second, got %g", l.Rate)
	}
	if l.Path != "" && !c.skip("load.path") {
		switch {
		case strings.Contains(l.Path, "://"):
			c.reportf("load.path", "load path is relative to the target, like /api/users/7; got the URL %q", l.Path)
		case !strings.HasPrefix(l.Path, "/") || strings.ContainsFunc(l.Path, func(r rune) bool { return r <= ' ' || r == 0x7f }):
			c.reportf("load.path", "load path must start with / and hold no spaces, like /api/users/7; got %q", l.Path)
		}
	}
	if c.given("load.timeout", l.Timeout != 0) && l.Timeout <= 0 {
		c.reportf("load.timeout", "load timeout must be longer than 0, got %s", l.Timeout)
	}
}

func (c *checker) steadyState(ss map[Metric]Bound) {
	if !c.skip("steady_state") && len(ss) == 0 {
		c.reportf("steady_state", "steady_state needs at least one metric: %s", strings.Join(metricNames(), ", "))
	}
	// Known metrics in display order, then unknown ones sorted, so the
	// findings come out the same every time.
	var unknown []Metric
	for m := range ss {
		if !slices.Contains(Metrics, m) {
			unknown = append(unknown, m)
		}
	}
	slices.Sort(unknown)
	for _, m := range unknown {
		c.reportf("steady_state."+string(m), "unknown metric %q in steady_state%s", m, hint(string(m), metricNames(), "metrics"))
	}
	for _, m := range Metrics {
		b, ok := ss[m]
		at := "steady_state." + string(m)
		if !ok || c.skip(at) {
			continue
		}
		if b.Min == nil && b.Max == nil {
			c.reportf(at, "%s needs min and/or max, e.g. { max: 200 }", m)
			continue
		}
		for _, v := range []struct {
			name string
			v    *float64
		}{{"min", b.Min}, {"max", b.Max}} {
			if v.v != nil {
				c.value(at+"."+v.name, m, v.name, *v.v)
			}
		}
		if b.Min != nil && b.Max != nil && *b.Min > *b.Max {
			c.reportf(at, "%s min %g is greater than its max %g; no value can hold", m, *b.Min, *b.Max)
		}
	}
}

// value checks one threshold of metric m: finite, not negative, and an
// error rate as a fraction.
func (c *checker) value(at string, m Metric, name string, v float64) {
	switch {
	case !finite(v):
		c.reportf(at, "%s %s must be a finite number", m, name)
	case v < 0:
		c.reportf(at, "%s %s must not be negative, got %g", m, name, v)
	case m == ErrorRate && v > 1:
		c.reportf(at, "error_rate is a fraction: 0.1%% is 0.001; got %g", v)
	}
}

func (c *checker) faults(p *Plan, spec ProviderSpec, known bool) {
	if !c.skip("faults") && len(p.Faults) == 0 {
		c.reportf("faults", "faults needs at least one fault")
	}
	firstUse := map[string]int{}
	for i, f := range p.Faults {
		at := fmt.Sprintf("faults[%d]", i)
		c.faultID(p, i, firstUse)
		kat := at + ".kind"
		kindOK := !c.skip(kat)
		if kindOK && f.Kind == "" {
			c.reportf(kat, "fault kind must not be empty")
			kindOK = false
		}
		if kindOK && known && !c.skip("target.provider") && !slices.Contains(spec.Kinds, f.Kind) {
			c.reportf(kat, "fault kind %q is not supported by provider %s%s", f.Kind, p.Target.Provider, hint(string(f.Kind), kindNames(spec.Kinds), "it has"))
			kindOK = false
		}
		c.selection(at, f, kindOK, p)
		c.window(at, f, p)
		if kindOK {
			c.params(at+".params", f.Kind, f.Params)
		}
	}
}

func (c *checker) faultID(p *Plan, i int, firstUse map[string]int) {
	f := p.Faults[i]
	at := fmt.Sprintf("faults[%d].id", i)
	if c.skip(at) {
		return
	}
	switch {
	case f.ID == "":
		c.reportf(at, "fault id must not be empty")
		return
	case !faultID.MatchString(f.ID):
		c.reportf(at, "fault id %q may hold only letters, digits, '.', '-' and '_', up to 32 characters", f.ID)
		return
	}
	j, dup := firstUse[f.ID]
	if !dup {
		firstUse[f.ID] = i
		return
	}
	// Place the finding on the id someone wrote: with Parse, an automatic
	// id (f3 for the third fault) has no text of its own.
	jat := fmt.Sprintf("faults[%d].id", j)
	switch {
	case c.given(at, true):
		c.reportf(at, "duplicate fault id %q: fault %d has it too", f.ID, j+1)
	case c.given(jat, true):
		c.reportf(jat, "fault id %q is also the automatic id of fault %d; choose another", f.ID, i+1)
	default:
		c.reportf(at, "duplicate fault id %q: fault %d has it too", f.ID, j+1)
	}
}

func (c *checker) selection(at string, f Fault, kindOK bool, p *Plan) {
	sat := at + ".selection"
	if c.skip(sat) {
		return
	}
	s := f.Selection
	pg := c.given(sat+".percent", s.Percent != 0)
	cg := c.given(sat+".count", s.Count != 0)
	switch {
	case pg && cg:
		c.reportf(sat, "selection takes percent or count, not both")
		return
	case !pg && !cg && c.given(sat, false):
		c.reportf(sat, "selection needs percent (e.g. { percent: 10 }) or count (e.g. { count: 1 })")
		return
	case !pg && !cg && kindOK && f.Kind == providers.InstanceStop:
		c.reportf(at, "instance-stop needs a selection saying how many to stop, e.g. selection: { percent: 10 } or { count: 1 }")
		return
	}
	if pg {
		if !(s.Percent > 0 && s.Percent <= 100) {
			c.reportf(sat+".percent", "percent must be in (0, 100], got %g", s.Percent)
		} else if p.MaxPercent > 0 && !c.skip("max_percent") && s.Percent > p.MaxPercent {
			c.reportf(sat+".percent", "selection of %g%% is beyond the plan's max_percent of %g", s.Percent, p.MaxPercent)
		}
	}
	if cg {
		if s.Count < 1 {
			c.reportf(sat+".count", "count must be at least 1, got %d", s.Count)
		} else if p.MaxCount > 0 && !c.skip("max_count") && s.Count > p.MaxCount {
			c.reportf(sat+".count", "selection of %d is beyond the plan's max_count of %d", s.Count, p.MaxCount)
		}
	}
}

// window checks start_after and duration against the fault phase.
func (c *checker) window(at string, f Fault, p *Plan) {
	sat, dat := at+".start_after", at+".duration"
	sOK := !c.skip(sat) && c.given(sat, f.StartAfter != 0)
	dOK := !c.skip(dat) && c.given(dat, f.Duration != 0)
	if sOK && f.StartAfter < 0 {
		c.reportf(sat, "start_after must not be negative, got %s", f.StartAfter)
		sOK = false
	}
	if dOK && f.Duration <= 0 {
		c.reportf(dat, "duration must be longer than 0, got %s (omit it to last until the end of the fault phase)", f.Duration)
		dOK = false
	}
	phase := p.Phases.Fault
	if c.skip("phases.fault") || phase <= 0 {
		return
	}
	if sOK && f.StartAfter >= phase {
		c.reportf(sat, "start_after %s is not within the fault phase, which lasts %s", f.StartAfter, phase)
		return
	}
	if dOK && !c.skip(sat) && f.StartAfter+f.Duration > phase {
		c.reportf(dat, "start_after %s + duration %s = %s runs past the end of the fault phase (%s)", f.StartAfter, f.Duration, f.StartAfter+f.Duration, phase)
	}
}

// params checks a classic kind's params: the ones it needs, their ranges,
// and (for plans built in code) that no other kind's param is set.
// Provider-native kinds are the provider's business.
func (c *checker) params(at string, kind providers.Kind, ps providers.Params) {
	applies, classic := kindParams[kind]
	if !classic {
		return
	}
	// A malformed or unknown param may be the one that seems missing.
	suspect := c.skip(at)
	set := map[string]bool{
		"delay": ps.Delay != 0, "jitter": ps.Jitter != 0, "workers": ps.Workers != 0,
		"load": ps.Load != 0, "memory_mb": ps.MemoryMB != 0, "mode": ps.Mode != "",
	}
	for _, name := range paramNames {
		if set[name] && !slices.Contains(applies, name) {
			c.reportf(at+"."+name, "params field %q does not apply to %s; %s takes: %s", name, kind, kind, strings.Join(applies, ", "))
		}
	}
	given := func(name string) bool { return c.given(at+"."+name, set[name]) }
	switch kind {
	case providers.Latency:
		if !given("delay") && !suspect {
			c.reportf(at, "latency needs params.delay, e.g. params: { delay: 500ms }")
		} else if given("delay") && ps.Delay <= 0 {
			c.reportf(at+".delay", "delay must be longer than 0, got %s", ps.Delay)
		}
		if given("jitter") && ps.Jitter < 0 {
			c.reportf(at+".jitter", "jitter must not be negative, got %s", ps.Jitter)
		}
	case providers.CPUStress:
		if given("workers") && ps.Workers < 1 {
			c.reportf(at+".workers", "workers must be at least 1, got %d", ps.Workers)
		}
		if given("load") && (ps.Load < 1 || ps.Load > 100) {
			c.reportf(at+".load", "load is the percent of a core each worker burns: 1 to 100, got %d", ps.Load)
		}
	case providers.MemoryStress:
		if !given("memory_mb") && !suspect {
			c.reportf(at, "memory-stress needs params.memory_mb, e.g. params: { memory_mb: 128 }")
		} else if given("memory_mb") && ps.MemoryMB < 1 {
			c.reportf(at+".memory_mb", "memory_mb must be at least 1, got %d", ps.MemoryMB)
		}
	}
	if modes := kindModes[kind]; given("mode") && !slices.Contains(modes, ps.Mode) {
		c.reportf(at+".mode", "mode %q is not one %s has; use %s", ps.Mode, kind, strings.Join(modes, " or "))
	}
}

func (c *checker) stopCondition(at string, sc StopCondition) {
	mat := at + ".metric"
	metricOK := !c.skip(mat)
	if metricOK && !slices.Contains(Metrics, sc.Metric) {
		if sc.Metric == "" {
			c.reportf(mat, "a stop condition's metric must not be empty; metrics: %s", strings.Join(metricNames(), ", "))
		} else {
			c.reportf(mat, "unknown metric %q in a stop condition%s", sc.Metric, hint(string(sc.Metric), metricNames(), "metrics"))
		}
		metricOK = false
	}
	if !c.skip(at+".above") && !c.skip(at+".below") {
		switch {
		case sc.Above != nil && sc.Below != nil:
			c.reportf(at, "a stop condition takes above or below, not both (write two conditions)")
		case sc.Above == nil && sc.Below == nil:
			c.reportf(at, "a stop condition needs above or below, e.g. { metric: error_rate, above: 0.05, for: 10s }")
		}
	}
	for _, v := range []struct {
		name string
		v    *float64
	}{{"above", sc.Above}, {"below", sc.Below}} {
		if v.v != nil && metricOK {
			c.value(at+"."+v.name, sc.Metric, v.name, *v.v)
		}
	}
	if fat := at + ".for"; !c.skip(fat) && sc.For < 0 {
		c.reportf(fat, "for must not be negative, got %s", sc.For)
	}
}
