package scenarios

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/gameday-tui/gameday/providers"
)

// Validate checks a plan built in code (or changed after Parse) with the
// same rules Parse applies to a file. Without positions, each mistake names
// the field it is about: "faults[0].selection.percent: …". It returns nil
// or an *Errors.
func (p *Plan) Validate(opts Options) error {
	var errs Errors
	c := &checker{
		opts:  opts,
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
	c.load(p, spec, known)
	c.metricsSource(p)
	series := c.series(p)
	c.steadyState(p.SteadyState, series)
	if c.given("near_margin", p.NearMargin != 0) && !c.skip("near_margin") && !(p.NearMargin > 0 && p.NearMargin < 1) {
		c.reportf("near_margin", "near_margin is a fraction of a bound in (0, 1): 0.1 means within 10%%; got %g", p.NearMargin)
	}
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
		c.stopCondition(fmt.Sprintf("stop_conditions[%d]", i), sc, series)
	}
}

// series returns the named series beyond the classic four that the plan's
// metric source delivers.
func (c *checker) series(p *Plan) []string {
	if p.Metrics == nil {
		return nil
	}
	spec, ok := c.opts.Sources[p.Metrics.Source]
	if !ok || spec.Series == nil {
		return nil
	}
	out := slices.Clone(spec.Series(p.Metrics.Fields))
	slices.Sort(out)
	return slices.Compact(out)
}

// metricsSource checks the metric source's own fields.
func (c *checker) metricsSource(p *Plan) {
	if p.Metrics == nil || c.skip("metrics.source") {
		return
	}
	spec, ok := c.opts.Sources[p.Metrics.Source]
	if !ok {
		if !c.given("metrics.source", true) || p.Metrics.Source == "" {
			c.reportf("metrics.source", "metrics needs a source%s", knownList("; known sources", sourceNames(c.opts)))
		}
		return
	}
	c.ownFields("metrics", p.Metrics.Fields, spec.Fields, "metrics of source "+p.Metrics.Source)
	if spec.Check != nil {
		for _, e := range spec.Check(p.Metrics.Fields) {
			c.report(join("metrics", e.Path), e.Msg)
		}
	}
}

func sourceNames(o Options) []string {
	out := make([]string, 0, len(o.Sources))
	for n := range o.Sources {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// knownMetrics lists the classic metrics and then the source's series.
func knownMetrics(series []string) []string {
	return append(metricNames(), series...)
}

// target checks the provider and its fields, and returns the provider's
// spec when it is known.
func (c *checker) target(t Target) (providers.Spec, bool) {
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
		c.ownFields("target", t.Fields, spec.Target, "target of provider "+t.Provider)
		if spec.CheckTarget != nil && !c.skip("target") {
			for _, e := range spec.CheckTarget(t.Fields) {
				c.report(join("target", e.Path), e.Msg)
			}
		}
	}
	if strings.EqualFold(t.Environment, "production") && strings.TrimSpace(t.Name) == "" && !c.skip("target.name") {
		c.reportf("target.environment", "a production target needs a name: the facilitator types it to confirm the run")
	}
	return spec, known
}

// ownFields checks provider-owned values against their specs: unknown keys
// and types (a file's were checked while decoding; a plan built in code's
// are checked here), required fields, allowed values, ranges, and each
// field's own Check.
func (c *checker) ownFields(at string, fs providers.Fields, specs []providers.FieldSpec, what string) {
	if c.skip(at) && at != "target" {
		return
	}
	for _, k := range fs.Keys() {
		if !slices.ContainsFunc(specs, func(s providers.FieldSpec) bool { return s.Name == k }) && !c.skip(join(at, k)) {
			c.reportf(join(at, k), "unknown field %q in %s%s", k, what, suggest(k, fieldNames(specs)))
		}
	}
	for _, s := range specs {
		fat := join(at, s.Name)
		if c.skip(fat) {
			continue
		}
		v, present := fs[s.Name]
		if !present {
			if s.Required {
				doc := ""
				if s.Doc != "" {
					doc = " (" + s.Doc + ")"
				}
				c.reportf(at, "missing required field %q in %s%s", s.Name, what, doc)
			}
			continue
		}
		if msg := checkFieldValue(s, v); msg != "" {
			c.reportf(fat, "%s: %s", s.Name, msg)
		}
	}
}

// checkFieldValue checks v against s and says what is wrong ("" if
// nothing).
func checkFieldValue(s providers.FieldSpec, v any) string {
	fs := providers.Fields{s.Name: v}
	typeOK := true
	var num float64
	hasNum := false
	switch s.Type {
	case providers.FieldString:
		_, typeOK = v.(string)
	case providers.FieldStrings:
		switch v := v.(type) {
		case []string, string:
		case []any:
			for _, e := range v {
				if _, ok := e.(string); !ok {
					typeOK = false
				}
			}
		default:
			typeOK = false
		}
	case providers.FieldStringMap:
		switch v := v.(type) {
		case map[string]string:
		case map[string]any:
			for _, e := range v {
				if _, ok := e.(string); !ok {
					typeOK = false
				}
			}
		default:
			typeOK = false
		}
	case providers.FieldNumber, providers.FieldInt:
		num, hasNum = fs.Number(s.Name)
		typeOK = hasNum && finite(num) && (s.Type == providers.FieldNumber || num == math.Trunc(num))
	case providers.FieldBool:
		_, typeOK = v.(bool)
	case providers.FieldDuration:
		str, ok := v.(string)
		d, err := time.ParseDuration(str)
		typeOK = ok && err == nil
		num, hasNum = d.Seconds(), typeOK
	case providers.FieldMapping:
		_, typeOK = v.(map[string]any)
	}
	if !typeOK {
		return "expected " + s.Type.String()
	}
	if str, ok := v.(string); ok && len(s.OneOf) > 0 && !slices.Contains(s.OneOf, str) {
		return fmt.Sprintf("%q is not one of %s", str, strings.Join(s.OneOf, ", "))
	}
	if hasNum {
		unit := ""
		if s.Type == providers.FieldDuration {
			unit = "s"
		}
		if s.Min != nil && num < *s.Min {
			return fmt.Sprintf("must be at least %g%s, got %g%s", *s.Min, unit, num, unit)
		}
		if s.Max != nil && num > *s.Max {
			return fmt.Sprintf("must be at most %g%s, got %g%s", *s.Max, unit, num, unit)
		}
	}
	if s.Check != nil {
		if err := s.Check(v); err != nil {
			return err.Error()
		}
	}
	return ""
}

func fieldNames(specs []providers.FieldSpec) []string {
	out := make([]string, len(specs))
	for i, s := range specs {
		out[i] = s.Name
	}
	return out
}

// join builds the path of a field: join("faults[0]", "kind").
func join(at, name string) string {
	if at == "" {
		return name
	}
	return at + "." + name
}

func (c *checker) load(p *Plan, spec providers.Spec, known bool) {
	l := p.Load
	if l == nil {
		if known && !spec.NoLoadNeeded && p.Metrics == nil && !c.skip("load") && !c.skip("metrics") {
			c.reportf("load", "provider %s has no traffic of its own to measure: add built-in load (load: { rate: 100 }), an external load command, or a metrics source", p.Target.Provider)
		}
		return
	}
	if len(l.Command) > 0 {
		if !c.skip("load.rate") && c.given("load.rate", l.Rate != 0) {
			c.reportf("load.rate", "load takes a rate (the built-in load generator) or a command (external load), not both")
		}
		if !c.skip("load.command") && strings.TrimSpace(l.Command[0]) == "" {
			c.reportf("load.command", "load command needs a program to run first, e.g. [k6, run, load.js]")
		}
		if !c.skip("load") && p.Metrics == nil && known && !spec.NoLoadNeeded {
			c.reportf("load.command", "gameday cannot measure an external load command's traffic itself: add a metrics source (metrics: { source: prometheus, … })")
		}
		return
	}
	if !c.skip("load.rate") && !(l.Rate > 0 && finite(l.Rate)) {
		if !c.given("load.rate", l.Rate != 0) {
			c.reportf("load", "load needs a rate (requests per second, e.g. load: { rate: 100 }) or a command")
		} else {
			c.reportf("load.rate", "load rate must be more than 0 requests per second, got %g", l.Rate)
		}
	}
	if l.Path != "" && !c.skip("load.path") {
		switch {
		case strings.Contains(l.Path, "://"):
			c.reportf("load.path", "load path is relative to the target, like /api/users/7; got the URL %q (a full URL goes in load.url)", l.Path)
		case !strings.HasPrefix(l.Path, "/") || strings.ContainsFunc(l.Path, func(r rune) bool { return r <= ' ' || r == 0x7f }):
			c.reportf("load.path", "load path must start with / and hold no spaces, like /api/users/7; got %q", l.Path)
		}
	}
	if l.URL != "" && !c.skip("load.url") {
		if !strings.HasPrefix(l.URL, "http://") && !strings.HasPrefix(l.URL, "https://") || strings.ContainsFunc(l.URL, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			c.reportf("load.url", "load url must be an http:// or https:// URL without spaces, like https://shop.example.com/api/health; got %q", l.URL)
		}
		if l.Path != "" && !c.skip("load.path") {
			c.reportf("load.path", "load takes a path on the target or a url, not both")
		}
	}
	if c.given("load.timeout", l.Timeout != 0) && l.Timeout <= 0 {
		c.reportf("load.timeout", "load timeout must be longer than 0, got %s", l.Timeout)
	}
}

func (c *checker) steadyState(ss map[Metric]Bound, series []string) {
	if !c.skip("steady_state") && len(ss) == 0 {
		c.reportf("steady_state", "steady_state needs at least one metric: %s", strings.Join(knownMetrics(series), ", "))
	}
	// Classic metrics in display order, then the others sorted, so the
	// findings come out the same every time.
	var others []Metric
	for m := range ss {
		if !m.Classic() {
			if !slices.Contains(series, string(m)) {
				c.reportf("steady_state."+string(m), "unknown metric %q in steady_state%s", m, hint(string(m), knownMetrics(series), "metrics"))
				continue
			}
			others = append(others, m)
		}
	}
	slices.Sort(others)
	for _, m := range append(slices.Clone(Metrics), others...) {
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

// value checks one threshold of metric m: finite, not negative for a
// classic metric, and an error rate as a fraction.
func (c *checker) value(at string, m Metric, name string, v float64) {
	switch {
	case !finite(v):
		c.reportf(at, "%s %s must be a finite number", m, name)
	case v < 0 && m.Classic():
		c.reportf(at, "%s %s must not be negative, got %g", m, name, v)
	case m == ErrorRate && v > 1:
		c.reportf(at, "error_rate is a fraction: 0.1%% is 0.001; got %g", v)
	}
}

func (c *checker) faults(p *Plan, spec providers.Spec, known bool) {
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
			c.params(at+".params", f.Kind, f.Params, spec, known)
		}
		if known && !c.skip("target.provider") {
			c.ownFields(at+".target", f.Target, spec.Selector, "a fault's target (provider "+p.Target.Provider+")")
			if kindOK {
				c.ownFields(at+".params", f.Params.Extra, spec.Params[f.Kind], "params of "+string(f.Kind))
			}
			if kindOK && spec.CheckFault != nil && !c.skip(at) {
				for _, e := range spec.CheckFault(p.Target.Fields, p.CallFault(f)) {
					c.report(join(at, e.Path), e.Msg)
				}
			}
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
	case !pg && !cg && kindOK && f.Kind == providers.InstanceStop && len(f.Target) == 0:
		c.reportf(at, "instance-stop needs a selection saying how many to stop, e.g. selection: { percent: 10 } or { count: 1 }, or a target naming them")
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
func (c *checker) params(at string, kind providers.Kind, ps providers.Params, spec providers.Spec, known bool) {
	applies, classic := kindParams[kind]
	if !classic {
		if known && spec.SupportsKind(kind) {
			set := map[string]bool{
				"delay": ps.Delay != 0, "jitter": ps.Jitter != 0, "workers": ps.Workers != 0,
				"load": ps.Load != 0, "memory_mb": ps.MemoryMB != 0, "mode": ps.Mode != "",
			}
			for _, name := range paramNames {
				if set[name] && !c.skip(at+"."+name) {
					c.reportf(at+"."+name, "params field %q does not apply to %s; it takes: %s", name, kind, strings.Join(fieldNames(spec.Params[kind]), ", "))
				}
			}
		}
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
	modes := kindModes[kind]
	if m, ok := spec.Modes[kind]; known && ok {
		modes = m
	}
	if given("mode") && !slices.Contains(modes, ps.Mode) {
		c.reportf(at+".mode", "mode %q is not one %s has; use %s", ps.Mode, kind, strings.Join(modes, " or "))
	}
}

func (c *checker) stopCondition(at string, sc StopCondition, series []string) {
	mat := at + ".metric"
	metricOK := !c.skip(mat)
	if metricOK && !sc.Metric.Classic() && !slices.Contains(series, string(sc.Metric)) {
		if sc.Metric == "" {
			c.reportf(mat, "a stop condition's metric must not be empty; metrics: %s", strings.Join(knownMetrics(series), ", "))
		} else {
			c.reportf(mat, "unknown metric %q in a stop condition%s", sc.Metric, hint(string(sc.Metric), knownMetrics(series), "metrics"))
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
