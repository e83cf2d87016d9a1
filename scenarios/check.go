package scenarios

import (
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/gameday-tui/gameday/providers"
)

// Bounds on what a scenario may ask for. Each is far beyond what a real
// game day needs and well short of what an accident produces — a stray
// digit, a unit left out (9999h for 9999ms), a generated file — so a file
// beyond one is refused with its line and column, before anything runs.
// README.md ("Scenario files") has them in a table.
const (
	// MaxPhase bounds each phase (baseline, fault, recovery). People
	// watch a game day; 12 h covers an overnight soak, and keeps a fault's
	// TTL (its phase plus the provider's margin) under the 24 h the
	// sandbox's hooks allow.
	MaxPhase = 12 * time.Hour
	// MaxRun bounds the three phases together: one day.
	MaxRun = 24 * time.Hour
	// MaxRate bounds load.rate, in requests per second: twice the most
	// the built-in load generator reached on a loopback target (about
	// 50,000 req/s, docs/performance.md). Beyond it the schedule cannot
	// be kept, and the figures would be about the generator.
	MaxRate = 100_000
	// MaxLoadTimeout bounds load.timeout. A run waits for its requests in
	// flight at the end, each up to its timeout; a request slower than a
	// minute is an outage to its user already.
	MaxLoadTimeout = time.Minute
	// MaxDelay bounds a latency fault's delay and its jitter. An hour is
	// far past any request timeout (every request is a timeout already);
	// a provider may allow less (the sandbox: a minute).
	MaxDelay = time.Hour
	// MaxWorkers bounds a cpu-stress fault's workers per target: 64
	// burners fill a 64-core machine, and the sandbox takes no more.
	MaxWorkers = 64
	// MaxMemoryMB bounds a memory-stress fault's memory_mb per target:
	// 64 GiB, more than a whole large server holds for one process.
	MaxMemoryMB = 64 << 10
	// MaxSelectionCount bounds a fault's selection count: more targets
	// than one fault of a game day hits. A percent is the way to say
	// "many".
	MaxSelectionCount = 10_000
	// MaxFaults bounds the faults of a plan: the console binds the first
	// nine to keys, and fifty is a long day's worth; a thousand is a
	// generated file gone wrong.
	MaxFaults = 50
	// MaxStopConditions bounds the stop conditions of a plan: each is a
	// line of the console's header.
	MaxStopConditions = 20
	// MaxSteadyState bounds the metrics of the steady state: each is a row
	// of the report's table and a graph.
	MaxSteadyState = 32
	// MaxTitle bounds the title, in characters: it heads the console, the
	// report and the JUnit suite, on one line.
	MaxTitle = 200
	// MaxProse bounds description, hypothesis, blast_radius and rollback,
	// in characters: a few paragraphs, printed whole in the report.
	MaxProse = 4000
	// MaxName bounds the other one-line text (the target's name and
	// environment), in characters: the longest Kubernetes name is 253.
	MaxName = 256
	// MaxURL bounds load.path, load.url and each load.command argument,
	// in bytes: the length HTTP clients and servers agree on.
	MaxURL = 2048
	// MaxCommandArgs bounds the arguments of load.command.
	MaxCommandArgs = 64
	// MaxFieldText bounds each text a provider owns (a PromQL query, a
	// label, a string in a Chaos Mesh manifest), in characters.
	MaxFieldText = 16 << 10
	// MaxPeople bounds participants and links, each: a line of the
	// report per one.
	MaxPeople = 100
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
	for _, f := range []struct {
		at, v    string
		kind     textKind
		max      int
		required bool
	}{
		{"title", p.Title, oneLine, MaxTitle, true},
		{"description", p.Description, prose, MaxProse, false},
		{"hypothesis", p.Hypothesis, prose, MaxProse, true},
		{"blast_radius", p.BlastRadius, prose, MaxProse, true},
		{"rollback", p.Rollback, prose, MaxProse, true},
	} {
		switch {
		case c.skip(f.at):
		case f.required && strings.TrimSpace(f.v) == "":
			c.reportf(f.at, "%s must not be empty", f.at)
		default:
			c.text(f.at, f.v, f.kind, f.max)
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
	phasesOK := !c.skip("phases")
	for _, ph := range []struct {
		name string
		v    time.Duration
	}{{"baseline", p.Phases.Baseline}, {"fault", p.Phases.Fault}, {"recovery", p.Phases.Recovery}} {
		at := "phases." + ph.name
		switch {
		case c.skip(at):
			phasesOK = false
		case ph.v <= 0:
			c.reportf(at, "the %s phase must last longer than 0", ph.name)
		case ph.v > MaxPhase:
			c.reportf(at, "the %s phase lasts %s; a phase lasts at most %s", ph.name, ph.v, fmtHours(MaxPhase))
			phasesOK = false
		}
	}
	if total := p.Phases.Baseline + p.Phases.Fault + p.Phases.Recovery; phasesOK && total > MaxRun {
		c.reportf("phases", "the phases last %s together; a run lasts at most %s", total, fmtHours(MaxRun))
	}
	if c.given("max_percent", p.MaxPercent != 0) && !(p.MaxPercent > 0 && p.MaxPercent <= 100) {
		c.reportf("max_percent", "max_percent must be in (0, 100], got %g", p.MaxPercent)
	}
	if c.given("max_count", p.MaxCount != 0) && p.MaxCount < 1 {
		c.reportf("max_count", "max_count must be at least 1, got %d", p.MaxCount)
	}
	c.limits(p)
	c.faults(p, spec, known)
	if n := len(p.StopConditions); n > MaxStopConditions && !c.skip("stop_conditions") {
		c.reportf("stop_conditions", "the plan has %d stop conditions; at most %d", n, MaxStopConditions)
	}
	for i, sc := range p.StopConditions {
		c.stopCondition(fmt.Sprintf("stop_conditions[%d]", i), sc, series)
	}
	c.people(p)
}

// people checks the participants, the links and the translations: the
// parts of a plan only the report reads.
func (c *checker) people(p *Plan) {
	c.participants(p.Participants)
	if len(p.Links) > MaxPeople && !c.skip("links") {
		c.reportf("links", "links lists %d links; at most %d", len(p.Links), MaxPeople)
	}
	for i, l := range p.Links {
		at := fmt.Sprintf("links[%d]", i)
		if !c.skip(at + ".title") {
			c.text(at+".title", l.Title, oneLine, MaxName)
		}
		if c.skip(at + ".url") {
			continue
		}
		if msg := textProblem(l.URL, oneLine, MaxURL); msg != "" {
			c.reportf(at+".url", "url %s", msg)
		} else if msg := checkURL(l.URL); msg != "" {
			c.reportf(at+".url", "%s", msg)
		}
	}
	langs := make([]string, 0, len(p.Translations))
	for lang := range p.Translations {
		langs = append(langs, lang)
	}
	slices.Sort(langs)
	for _, lang := range langs {
		at := "translations." + lang
		if c.skip(at) {
			continue
		}
		if !slices.Contains(Languages, lang) {
			c.reportf(at, "unknown language %q in translations%s", lang, hint(lang, Languages, "languages"))
			continue
		}
		t := p.Translations[lang]
		if t == (Text{}) {
			c.reportf(at, "translations.%s is empty; give at least one of %s", lang, strings.Join(textFields, ", "))
			continue
		}
		for _, f := range []struct {
			name, v string
			kind    textKind
			max     int
		}{
			{"title", t.Title, oneLine, MaxTitle}, {"description", t.Description, prose, MaxProse},
			{"hypothesis", t.Hypothesis, prose, MaxProse}, {"blast_radius", t.BlastRadius, prose, MaxProse},
			{"rollback", t.Rollback, prose, MaxProse},
		} {
			if !c.skip(at + "." + f.name) {
				c.text(at+"."+f.name, f.v, f.kind, f.max)
			}
		}
	}
}

// participants checks who takes part, of a scenario or of a game day.
func (c *checker) participants(ps []Participant) {
	if len(ps) > MaxPeople && !c.skip("participants") {
		c.reportf("participants", "participants lists %d people; at most %d", len(ps), MaxPeople)
	}
	for i, pt := range ps {
		at := fmt.Sprintf("participants[%d]", i)
		switch {
		case c.skip(at + ".name"):
		case strings.TrimSpace(pt.Name) == "":
			c.reportf(at+".name", "a participant needs a name")
		default:
			c.text(at+".name", pt.Name, oneLine, MaxName)
		}
		if !c.skip(at + ".role") {
			c.text(at+".role", pt.Role, oneLine, MaxName)
		}
	}
}

// checkURL says what is wrong with a link's URL ("" when nothing): the
// report links only absolute http and https URLs.
func checkURL(raw string) string {
	if strings.TrimSpace(raw) == "" {
		return "a link needs a url"
	}
	if strings.ContainsAny(raw, " \t\n<>\"`") {
		return fmt.Sprintf("url %q has spaces or characters a link cannot hold; percent-encode them", raw)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Sprintf("url: expected an absolute http or https URL (https://grafana.example.com/d/api), got %q", raw)
	}
	return ""
}

// fmtHours renders a whole number of hours as "12h", not "12h0m0s".
func fmtHours(d time.Duration) string { return fmt.Sprintf("%dh", int(d.Hours())) }

// text checks one text field: no control characters (prose may hold line
// breaks and tabs) and at most max characters.
func (c *checker) text(at, v string, kind textKind, max int) {
	if msg := textProblem(v, kind, max); msg != "" {
		c.reportf(at, "%s %s", base(at), msg)
	}
}

// fieldText checks the text in a provider-owned value, however deep (a
// string in a manifest, a label's key and value), as prose.
func (c *checker) fieldText(at string, v any) {
	switch v := v.(type) {
	case string:
		c.text(at, v, prose, MaxFieldText)
	case []string:
		for _, e := range v {
			c.fieldText(at, e)
		}
	case []any:
		for _, e := range v {
			c.fieldText(at, e)
		}
	case map[string]string:
		for _, k := range sortedKeys(v) {
			c.fieldText(at, k)
			c.fieldText(at, v[k])
		}
	case map[string]any:
		for _, k := range sortedKeys(v) {
			c.fieldText(at, k)
			c.fieldText(at, v[k])
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// limits checks the plan's caps themselves.
func (c *checker) limits(p *Plan) {
	l := p.Limits
	if c.given("limits.memory_mb", l.MemoryMB != 0) && !c.skip("limits.memory_mb") && l.MemoryMB < 1 {
		c.reportf("limits.memory_mb", "limits.memory_mb must be at least 1, got %d", l.MemoryMB)
	}
	if c.given("limits.cpu_cores", l.CPUCores != 0) && !c.skip("limits.cpu_cores") && !(l.CPUCores > 0 && finite(l.CPUCores)) {
		c.reportf("limits.cpu_cores", "limits.cpu_cores must be more than 0, got %g", l.CPUCores)
	}
}

// totals holds the plan's faults, together, to its limits: every fault
// counts as if all were in force at once, since the console can inject any
// of them early. The finding is placed on the fault that goes past the
// limit.
func (c *checker) totals(p *Plan) {
	if c.skip("limits") {
		return
	}
	l := p.Limits
	var mem, cores float64
	memOver, cpuOver := l.MemoryMB <= 0, !(l.CPUCores > 0)
	for i, f := range p.Faults {
		at := fmt.Sprintf("faults[%d]", i)
		if c.skip(at + ".params") {
			continue
		}
		// A selection count says how many targets; a percent or no
		// selection hits at least one.
		m, cc := f.Stress()
		n := float64(max(f.Selection.Count, 1))
		m, cc = m*n, cc*n
		mem, cores = mem+m, cores+cc
		if !memOver && m > 0 && mem > float64(l.MemoryMB) {
			memOver = true
			c.reportf(at+".params.memory_mb", "the memory-stress faults up to this one hold %g MB together (memory_mb × the targets each hits, all faults counted as if in force at once), beyond the plan's limits.memory_mb of %d", mem, l.MemoryMB)
		}
		if !cpuOver && cc > 0 && cores > l.CPUCores {
			cpuOver = true
			c.reportf(at+".params.workers", "the cpu-stress faults up to this one burn %g cores together (workers × load%% × the targets each hits, all faults counted as if in force at once), beyond the plan's limits.cpu_cores of %g", cores, l.CPUCores)
		}
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
	if !c.skip("target.name") {
		c.text("target.name", t.Name, oneLine, MaxName)
	}
	if !c.skip("target.environment") {
		c.text("target.environment", t.Environment, oneLine, MaxName)
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
			continue
		}
		c.fieldText(fat, v)
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
		if !c.skip("load.accept_redirects") && c.given("load.accept_redirects", l.AcceptRedirects) {
			c.reportf("load.accept_redirects", "accept_redirects is about the built-in load generator's answers; an external load command judges its own")
		}
		if !c.skip("load.command") && strings.TrimSpace(l.Command[0]) == "" {
			c.reportf("load.command", "load command needs a program to run first, e.g. [k6, run, load.js]")
		}
		if n := len(l.Command); n > MaxCommandArgs && !c.skip("load.command") {
			c.reportf("load.command", "load command has %d arguments; at most %d", n, MaxCommandArgs)
		}
		for i, arg := range l.Command {
			if at := fmt.Sprintf("load.command[%d]", i); !c.skip(at) {
				c.text(at, arg, oneLine, MaxURL)
			}
		}
		if !c.skip("load") && p.Metrics == nil && known && !spec.NoLoadNeeded {
			c.reportf("load.command", "gameday cannot measure an external load command's traffic itself: add a metrics source (metrics: { source: prometheus, … })")
		}
		return
	}
	if !c.skip("load.rate") {
		switch {
		case !(l.Rate > 0 && finite(l.Rate)) && !c.given("load.rate", l.Rate != 0):
			c.reportf("load", "load needs a rate (requests per second, e.g. load: { rate: 100 }) or a command")
		case !(l.Rate > 0 && finite(l.Rate)):
			c.reportf("load.rate", "load rate must be more than 0 requests per second, got %g", l.Rate)
		case l.Rate > MaxRate:
			c.reportf("load.rate", "load rate of %g requests per second is beyond the built-in load generator's %d", l.Rate, MaxRate)
		}
	}
	if l.Path != "" && !c.skip("load.path") {
		switch {
		case len(l.Path) > MaxURL:
			c.reportf("load.path", "load path is %d bytes long; at most %d", len(l.Path), MaxURL)
		case strings.Contains(l.Path, "://"):
			c.reportf("load.path", "load path is relative to the target, like /api/users/7; got the URL %q (a full URL goes in load.url)", l.Path)
		case !strings.HasPrefix(l.Path, "/") || strings.ContainsFunc(l.Path, func(r rune) bool { return r <= ' ' || r == 0x7f }):
			c.reportf("load.path", "load path must start with / and hold no spaces, like /api/users/7; got %q", l.Path)
		default:
			if msg := pathProblem(l.Path); msg != "" {
				c.reportf("load.path", "load path %q %s", l.Path, msg)
			}
		}
	}
	if l.URL != "" && !c.skip("load.url") {
		u, err := url.Parse(l.URL)
		switch {
		case len(l.URL) > MaxURL:
			c.reportf("load.url", "load url is %d bytes long; at most %d", len(l.URL), MaxURL)
		case !strings.HasPrefix(l.URL, "http://") && !strings.HasPrefix(l.URL, "https://") || strings.ContainsFunc(l.URL, func(r rune) bool { return r <= ' ' || r == 0x7f }),
			err != nil || u.Host == "":
			c.reportf("load.url", "load url must be an http:// or https:// URL with a host and without spaces, like https://shop.example.com/api/health; got %q", l.URL)
		default:
			if msg := pathProblem(u.EscapedPath()); msg != "" {
				c.reportf("load.url", "load url %q: its path %s", l.URL, msg)
			}
		}
		if l.Path != "" && !c.skip("load.path") {
			c.reportf("load.path", "load takes a path on the target or a url, not both")
		}
	}
	if c.given("load.timeout", l.Timeout != 0) && !c.skip("load.timeout") {
		switch {
		case l.Timeout <= 0:
			c.reportf("load.timeout", "load timeout must be longer than 0, got %s", l.Timeout)
		case l.Timeout > MaxLoadTimeout:
			c.reportf("load.timeout", "load timeout of %s is beyond %s: a request that slow is an outage already, and the run waits for it at the end", l.Timeout, MaxLoadTimeout)
		}
	}
}

func (c *checker) steadyState(ss map[Metric]Bound, series []string) {
	if !c.skip("steady_state") && len(ss) == 0 {
		c.reportf("steady_state", "steady_state needs at least one metric: %s", strings.Join(knownMetrics(series), ", "))
	}
	if n := len(ss); n > MaxSteadyState && !c.skip("steady_state") {
		c.reportf("steady_state", "steady_state has %d metrics; at most %d", n, MaxSteadyState)
		return
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
	if n := len(p.Faults); n > MaxFaults {
		// Not one of them is checked: a plan that long was not written
		// by hand, and its findings would bury this one.
		c.reportf("faults", "the plan has %d faults; at most %d", n, MaxFaults)
		return
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
	c.totals(p)
	if known && spec.CheckPlan != nil && !c.skip("target.provider") && !c.skip("target") && len(p.Faults) > 0 {
		faults := make([]providers.Fault, len(p.Faults))
		for i, f := range p.Faults {
			faults[i] = p.CallFault(f)
		}
		for _, e := range spec.CheckPlan(p.Target.Fields, faults) {
			if !c.skip(e.Path) {
				c.report(e.Path, e.Msg)
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
	if f.Ladder != nil {
		c.ladder(sat, f, p)
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
	if cg && s.Count > MaxSelectionCount {
		c.reportf(sat+".count", "a selection count of %d is beyond %d; say many with a percent", s.Count, MaxSelectionCount)
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

// MaxLadderSteps bounds a ladder: more steps than this is a mistake, not a
// plan.
const MaxLadderSteps = 20

// ladder checks a progressive selection: steps (all percentages or all
// counts, each wider than the last, the widest within the plan's caps), a
// hold, and enough time in the fault for every step to be held.
func (c *checker) ladder(sat string, f Fault, p *Plan) {
	l := f.Ladder
	if c.given(sat+".percent", f.Selection.Percent != 0 && len(l.Steps) == 0) || c.given(sat+".count", f.Selection.Count != 0 && len(l.Steps) == 0) {
		c.reportf(sat, "selection takes steps or a percent or a count, not both")
		return
	}
	if c.skip(sat + ".steps") {
		return
	}
	switch {
	case len(l.Steps) < 2:
		c.reportf(sat, "a ladder needs at least two steps, e.g. steps: [10%%, 25%%, 50%%], hold: 60s")
		return
	case len(l.Steps) > MaxLadderSteps:
		c.reportf(sat+".steps", "a ladder has at most %d steps, got %d", MaxLadderSteps, len(l.Steps))
		return
	}
	pct := l.Steps[0].Percent > 0
	for i, st := range l.Steps {
		at := fmt.Sprintf("%s.steps[%d]", sat, i)
		switch {
		case (st.Percent > 0) != pct:
			c.reportf(at, "steps are all percentages or all counts, not a mix")
			return
		case pct && !(st.Percent > 0 && st.Percent <= 100):
			c.reportf(at, "a step's percent must be in (0, 100], got %g", st.Percent)
			return
		case !pct && (st.Count < 1 || st.Count > MaxSelectionCount):
			c.reportf(at, "a step's count must be in 1..%d, got %d", MaxSelectionCount, st.Count)
			return
		case i > 0 && (pct && st.Percent <= l.Steps[i-1].Percent || !pct && st.Count <= l.Steps[i-1].Count):
			c.reportf(at, "each step must be wider than the one before (%s after %s)", st, l.Steps[i-1])
			return
		}
	}
	w := l.Widest()
	if pct && p.MaxPercent > 0 && w.Percent > p.MaxPercent && !c.skip("max_percent") {
		c.reportf(fmt.Sprintf("%s.steps[%d]", sat, len(l.Steps)-1), "the widest step, %g%%, is beyond the plan's max_percent of %g", w.Percent, p.MaxPercent)
	}
	if !pct && p.MaxCount > 0 && w.Count > p.MaxCount && !c.skip("max_count") {
		c.reportf(fmt.Sprintf("%s.steps[%d]", sat, len(l.Steps)-1), "the widest step, %d, is beyond the plan's max_count of %d", w.Count, p.MaxCount)
	}
	if c.skip(sat + ".hold") {
		return
	}
	if l.Hold <= 0 {
		c.reportf(sat, "a ladder needs hold: how long each step must keep the steady state before the next, e.g. hold: 60s")
		return
	}
	if l.OnBreach != "" && l.OnBreach != OnBreachStop && l.OnBreach != OnBreachHold && !c.skip(sat+".on_breach") {
		c.reportf(sat+".on_breach", "on_breach is %q (roll back and go on to recovery) or %q (keep the last step that held until the fault's end), got %q", OnBreachStop, OnBreachHold, l.OnBreach)
	}
	life := p.Phases.Fault - f.StartAfter
	if f.Duration > 0 {
		life = f.Duration
	}
	if need := time.Duration(len(l.Steps)-1) * l.Hold; life > 0 && need >= life && !c.skip("phases.fault") {
		c.reportf(sat+".hold", "%d steps held %s each need more than %s before the widest; the fault lasts %s", len(l.Steps), l.Hold, need, life)
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
		switch {
		case !given("delay") && !suspect:
			c.reportf(at, "latency needs params.delay, e.g. params: { delay: 500ms }")
		case given("delay") && ps.Delay <= 0:
			c.reportf(at+".delay", "delay must be longer than 0, got %s", ps.Delay)
		case given("delay") && ps.Delay > MaxDelay:
			c.reportf(at+".delay", "a delay of %s is beyond %s: every request has timed out long before", ps.Delay, fmtHours(MaxDelay))
		}
		switch {
		case given("jitter") && ps.Jitter < 0:
			c.reportf(at+".jitter", "jitter must not be negative, got %s", ps.Jitter)
		case given("jitter") && ps.Jitter > MaxDelay:
			c.reportf(at+".jitter", "a jitter of %s is beyond %s: every request has timed out long before", ps.Jitter, fmtHours(MaxDelay))
		}
	case providers.CPUStress:
		if given("workers") && ps.Workers < 1 {
			c.reportf(at+".workers", "workers must be at least 1, got %d", ps.Workers)
		} else if given("workers") && ps.Workers > MaxWorkers {
			c.reportf(at+".workers", "%d workers is beyond %d per target (a worker burns up to one core)", ps.Workers, MaxWorkers)
		}
		if given("load") && (ps.Load < 1 || ps.Load > 100) {
			c.reportf(at+".load", "load is the percent of a core each worker burns: 1 to 100, got %d", ps.Load)
		}
	case providers.MemoryStress:
		if !given("memory_mb") && !suspect {
			c.reportf(at, "memory-stress needs params.memory_mb, e.g. params: { memory_mb: 128 }")
		} else if given("memory_mb") && ps.MemoryMB < 1 {
			c.reportf(at+".memory_mb", "memory_mb must be at least 1, got %d", ps.MemoryMB)
		} else if given("memory_mb") && ps.MemoryMB > MaxMemoryMB {
			c.reportf(at+".memory_mb", "memory_mb of %d is beyond %d (64 GiB) per target", ps.MemoryMB, MaxMemoryMB)
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
	} else if !c.skip(fat) && sc.For > MaxRun {
		c.reportf(fat, "for %s is longer than a run may last (%s): the condition could never trip", sc.For, fmtHours(MaxRun))
	}
}
