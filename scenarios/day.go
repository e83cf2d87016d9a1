package scenarios

import (
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// A game-day file describes a whole game day: the experiments in the order
// they run, who takes part and in which role, and the preparation
// checklist that is ticked before the first experiment starts. Everything
// sits under one top-level key, day, so a day file is never mistaken for a
// scenario (Parse refuses it with ErrDayFile) nor a scenario for a day:
//
//	day:
//	  title: Sandbox game day
//	  date: 2026-12-15
//	  participants:
//	    - { name: Sato, role: facilitator }
//	  checklist:
//	    - Dashboards open
//	  experiments:
//	    - latency                                   # a name as gameday list shows it
//	    - scenario: ../sandbox/instance-stop.yaml   # a path, relative to this file
//	      phases: { fault: 30s }                    # overrides the scenario's own
//
// The loader is as strict as Parse: every mistake with its file, line and
// column, and no Day at all from a file with one. Experiments name their
// scenarios; Day.Resolve finds and checks those.

// Bounds on a game-day file, each far beyond a real game day and short of
// what an accident produces (README.md, "A whole game day").
const (
	// MaxExperiments bounds the experiments of a day: a day of game-day
	// experiments is a handful; twenty fill one.
	MaxExperiments = 20
	// MaxChecklist bounds the preparation checklist: each item is ticked
	// by hand before the first experiment.
	MaxChecklist = 50
	// MaxChecklistItem bounds one checklist item, in characters, on one
	// line: a sentence, not a runbook.
	MaxChecklistItem = 500
	// MaxRef bounds an experiment's scenario reference, in characters.
	MaxRef = 1024
	// MaxDay bounds the phases of every experiment together, as they will
	// run: one day, like one run (MaxRun).
	MaxDay = 24 * time.Hour
)

// The fields of a game-day file's mappings.
var (
	dayFields        = []string{"title", "date", "description", "participants", "checklist", "experiments", "translations"}
	dayRequired      = []string{"title", "experiments"}
	experimentFields = []string{"scenario", "phases"}
	dayTextFields    = []string{"title", "description", "checklist"}
)

// ErrDayFile is what Parse reports (errors.Is through its *Errors) for a
// game-day file: a file whose top-level key is day is not a scenario.
// Discover leaves such files out; ParseDay reads them.
var ErrDayFile = errors.New("a game-day file, not a scenario")

const dayFileMessage = "this is a game-day file (its top-level key is day), not a scenario; run it with gameday day, check it with gameday validate"

// Day is a validated game-day file.
type Day struct {
	// Path is where the day was read from ("embedded:days/sandbox-day.yaml"
	// for a shipped one); scenario paths are relative to its directory.
	Path        string `json:"path"`
	Title       string `json:"title"`
	Date        string `json:"date,omitempty"` // YYYY-MM-DD
	Description string `json:"description,omitempty"`
	// Participants are the day's people and their roles (facilitator,
	// scribe, observer, on-call, or the day's own words).
	Participants []Participant `json:"participants,omitempty"`
	// Checklist is the preparation checklist, in order: every item is
	// ticked before the first experiment may start.
	Checklist   []string     `json:"checklist,omitempty"`
	Experiments []Experiment `json:"experiments"`
	// Translations hold the day's text in other languages ("ja").
	Translations map[string]DayText `json:"translations,omitempty"`

	// pos holds where each field was written, by path
	// ("experiments[1].scenario"), for Where.
	pos map[string]filePos
}

// Experiment is one experiment of a day: a scenario and the phases the
// day gives it.
type Experiment struct {
	// Scenario names the scenario as written: a path when it ends in
	// .yaml or .yml (relative to the day file), else a name as gameday
	// list shows it. Day.Ref says which.
	Scenario string `json:"scenario"`
	// Phases replace the scenario's own where non-zero (Plan.WithPhases).
	Phases Phases `json:"phases,omitzero"`
}

// DayText is a day's text in one language; an empty field keeps the
// day's own. Checklist, when given, has one item per item of the day's.
type DayText struct {
	Title       string   `json:"title,omitempty"`
	Description string   `json:"description,omitempty"`
	Checklist   []string `json:"checklist,omitempty"`
}

// Localized returns the day with its text in lang ("ja"), like
// Plan.Localized; without a translation for lang it returns d itself.
func (d *Day) Localized(lang string) *Day {
	t, ok := d.Translations[lang]
	if !ok {
		return d
	}
	q := *d
	if strings.TrimSpace(t.Title) != "" {
		q.Title = t.Title
	}
	if strings.TrimSpace(t.Description) != "" {
		q.Description = t.Description
	}
	if len(t.Checklist) == len(d.Checklist) {
		q.Checklist = slices.Clone(t.Checklist)
	}
	return &q
}

// Where says where the field at path at ("experiments[1].scenario") is
// written in the day file, as "file:line:col", like Plan.Where.
func (d *Day) Where(at string) string {
	for {
		if ps, ok := d.pos[at]; ok && ps.line > 0 {
			if ps.col > 0 {
				return fmt.Sprintf("%s:%d:%d", d.Path, ps.line, ps.col)
			}
			return fmt.Sprintf("%s:%d", d.Path, ps.line)
		}
		if at == "" {
			return d.Path
		}
		at = parent(at)
	}
}

// errorAt is a mistake about the field at path at, placed where it is
// written.
func (d *Day) errorAt(at, format string, args ...any) *Error {
	e := &Error{Path: d.Path, Msg: fmt.Sprintf(format, args...)}
	for a := at; ; a = parent(a) {
		if ps, ok := d.pos[a]; ok && ps.line > 0 {
			e.Line, e.Column = ps.line, ps.col
			break
		}
		if a == "" {
			break
		}
	}
	return e
}

// Ref is how an experiment names its scenario: exactly one of Name (as
// gameday list shows it: "latency", "aws/latency", or a title) and Path
// (joined to the day file's directory; for a shipped day, an embedded
// path "embedded:sandbox/latency.yaml").
type Ref struct {
	Name string
	Path string
}

// Ref returns how experiment i names its scenario. A reference ending in
// .yaml or .yml is a path, relative to the day file unless absolute;
// anything else is a name, so "aws/latency" is the shipped AWS scenario
// and "./aws/latency.yaml" a file.
func (d *Day) Ref(i int) Ref {
	s := d.Experiments[i].Scenario
	if ext := strings.ToLower(path.Ext(s)); ext != ".yaml" && ext != ".yml" {
		return Ref{Name: s}
	}
	if rest, ok := strings.CutPrefix(d.Path, EmbeddedPrefix); ok {
		return Ref{Path: EmbeddedPrefix + path.Join(path.Dir(rest), filepath.ToSlash(s))}
	}
	if filepath.IsAbs(s) {
		return Ref{Path: s}
	}
	return Ref{Path: filepath.Join(filepath.Dir(d.Path), s)}
}

// Resolve finds the scenario of each experiment with find, gives it the
// experiment's phases and then override's (the command line's: it wins),
// and checks the plans that result — the phases the day gives must suit
// each scenario's faults — and that the day lasts at most MaxDay. It
// returns one plan per experiment, or an *Errors: a scenario's own
// mistakes at their place in its file, then each experiment's at its
// place in the day file.
func (d *Day) Resolve(opts Options, override Phases, find func(Ref) (*Plan, error)) ([]*Plan, error) {
	var errs Errors
	plans := make([]*Plan, 0, len(d.Experiments))
	var total time.Duration
	for i, e := range d.Experiments {
		at := fmt.Sprintf("experiments[%d]", i)
		p, err := find(d.Ref(i))
		if err != nil {
			var own *Errors
			if errors.As(err, &own) {
				errs = append(errs, *own...)
				errs = append(errs, d.errorAt(at+".scenario", "the scenario %q is invalid (its mistakes are above)", e.Scenario))
				continue
			}
			errs = append(errs, d.errorAt(at+".scenario", "%s", escapeControls(err.Error())))
			continue
		}
		p = p.WithPhases(e.Phases).WithPhases(override)
		if err := p.Validate(opts); err != nil {
			var own *Errors
			if errors.As(err, &own) {
				for _, m := range *own {
					where := at + ".phases"
					if e.Phases == (Phases{}) {
						where = at + ".scenario"
					}
					errs = append(errs, d.errorAt(where, "with the phases this day gives it (the day file's, then the command line's), %s: %s", p.Path, m.Msg))
				}
			}
			continue
		}
		total += p.Phases.Baseline + p.Phases.Fault + p.Phases.Recovery
		plans = append(plans, p)
	}
	if total > MaxDay {
		errs = append(errs, d.errorAt("experiments", "the experiments' phases last %s together; a game day lasts at most %s (shorten the phases, or split the day)", total, fmtHours(MaxDay)))
	}
	if len(errs) > 0 {
		return nil, &errs
	}
	return plans, nil
}

// ParseDay decodes and checks one game-day file; path is used in errors,
// in Day.Path and to resolve scenario paths. When the file has any
// mistake it returns a nil Day and an *Errors listing all of them.
func ParseDay(path string, data []byte) (*Day, error) {
	d := newDecoder(path, Options{})
	d.kind = dayFile
	if root := d.document(data); root != nil {
		day := d.day(root)
		d.checker().day(day)
		if len(d.errs) == 0 {
			day.pos = d.positions()
			return day, nil
		}
	}
	errs := d.errs.sorted()
	return nil, &errs
}

// LoadDayFile reads and parses the game-day file at path, as LoadFile
// reads a scenario: only a regular file, never waiting on it.
func LoadDayFile(path string) (*Day, error) {
	data, err := readRegular(path, "game-day file")
	if err != nil {
		return nil, err
	}
	return ParseDay(path, data)
}

// IsDay reports whether data looks like a game-day file: one YAML
// mapping whose keys include day. It decides which loader reads a file
// (validate, report); the loader then says what is wrong with it.
func IsDay(data []byte) bool {
	if len(data) > MaxFileSize {
		return false
	}
	var doc yaml.Node
	if err := decodeYAML(yaml.NewDecoder(strings.NewReader(string(data))), &doc); err != nil {
		return false
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return false
	}
	root := resolve(doc.Content[0])
	if root == nil || root.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if k := resolve(root.Content[i]); k != nil && k.Kind == yaml.ScalarNode && k.Value == "day" {
			return true
		}
	}
	return false
}

// day decodes a game-day file's root: { day: { … } }. Paths inside it
// are those of the day mapping ("experiments[0].scenario").
func (d *decoder) day(root *yaml.Node) *Day {
	day := &Day{Path: d.path}
	root = resolve(root)
	if root == nil || root.Kind != yaml.MappingNode {
		d.errorAt(root, "expected day: { title, experiments, … }, got %s", describe(root))
		d.bad[""] = true
		return day
	}
	top, _ := d.fields("", root, "a game-day file (it holds day: and nothing else)", []string{"day"}, []string{"day"})
	e, ok := top["day"]
	if !ok {
		d.bad[""] = true
		return day
	}
	f, ok := d.fields("", e.val, "day", dayFields, dayRequired)
	if !ok {
		d.bad[""] = true
		return day
	}
	for name, dst := range map[string]*string{"title": &day.Title, "date": &day.Date, "description": &day.Description} {
		if e, ok := f[name]; ok {
			*dst, _ = d.str(name, e.val)
		}
	}
	if e, ok := f["participants"]; ok {
		day.Participants = d.participants(e.val)
	}
	if e, ok := f["checklist"]; ok {
		day.Checklist = d.texts("checklist", e.val, "checklist items")
	}
	if e, ok := f["experiments"]; ok {
		day.Experiments = d.experiments(e.val)
	}
	if e, ok := f["translations"]; ok {
		day.Translations = d.dayTranslations(e.val)
	}
	return day
}

// texts decodes a list of text: the checklist.
func (d *decoder) texts(at string, n *yaml.Node, what string) []string {
	items, ok := d.sequence(at, n, what)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(items))
	for i, item := range items {
		v, _ := d.str(fmt.Sprintf("%s[%d]", at, i), item)
		out = append(out, v)
	}
	return out
}

// experiments decodes the day's experiments: each a mapping { scenario,
// phases } or, for short, the scenario alone.
func (d *decoder) experiments(n *yaml.Node) []Experiment {
	items, ok := d.sequence("experiments", n, "experiments ({ scenario, phases } or a scenario name)")
	if !ok {
		return nil
	}
	out := make([]Experiment, 0, len(items))
	for i, item := range items {
		at := fmt.Sprintf("experiments[%d]", i)
		var x Experiment
		if r := resolve(item); r != nil && r.Kind == yaml.ScalarNode && !isNull(r) {
			x.Scenario, _ = d.str(join(at, "scenario"), item)
			d.pos[at] = r
			out = append(out, x)
			continue
		}
		if f, ok := d.fields(at, item, "an experiment", experimentFields, []string{"scenario"}); ok {
			if e, ok := f["scenario"]; ok {
				x.Scenario, _ = d.str(join(at, "scenario"), e.val)
			}
			if e, ok := f["phases"]; ok {
				pat := join(at, "phases")
				if pf, ok := d.fields(pat, e.val, "phases", phaseFields, nil); ok {
					for name, dst := range map[string]*time.Duration{"baseline": &x.Phases.Baseline, "fault": &x.Phases.Fault, "recovery": &x.Phases.Recovery} {
						if e, ok := pf[name]; ok {
							*dst, _ = d.duration(join(pat, name), e.val)
						}
					}
				}
			}
		}
		out = append(out, x)
	}
	return out
}

// dayTranslations decodes { ja: { title, description, checklist } }.
func (d *decoder) dayTranslations(n *yaml.Node) map[string]DayText {
	pairs, ok := d.mapping("translations", n, "translations")
	if !ok {
		return nil
	}
	out := map[string]DayText{}
	for _, p := range pairs {
		lang := resolve(p.key).Value
		at := join("translations", lang)
		f, ok := d.fields(at, p.val, "translations."+lang, dayTextFields, nil)
		d.pos[at] = p.key
		if !ok {
			continue
		}
		var t DayText
		if e, ok := f["title"]; ok {
			t.Title, _ = d.str(join(at, "title"), e.val)
		}
		if e, ok := f["description"]; ok {
			t.Description, _ = d.str(join(at, "description"), e.val)
		}
		if e, ok := f["checklist"]; ok {
			t.Checklist = d.texts(join(at, "checklist"), e.val, "checklist items")
		}
		if v := resolve(p.val); t.Title == "" && t.Description == "" && t.Checklist == nil && v != nil && len(v.Content) > 0 {
			d.bad[at] = true // its fields were wrong, and said so: not also "empty"
		}
		out[lang] = t
	}
	return out
}

// day checks a decoded game day: the rules about meaning.
func (c *checker) day(d *Day) {
	if c.skip("") {
		return
	}
	switch {
	case c.skip("title"):
	case strings.TrimSpace(d.Title) == "":
		c.reportf("title", "title must not be empty")
	default:
		c.text("title", d.Title, oneLine, MaxTitle)
	}
	if !c.skip("description") {
		c.text("description", d.Description, prose, MaxProse)
	}
	if d.Date != "" && !c.skip("date") {
		if _, err := time.Parse(time.DateOnly, d.Date); err != nil {
			c.reportf("date", "date: expected a day as YYYY-MM-DD (2026-12-15), got %q", escapeControls(d.Date))
		}
	}
	c.participants(d.Participants)
	c.checklist("checklist", d.Checklist)
	switch n := len(d.Experiments); {
	case c.skip("experiments"):
	case n == 0:
		c.reportf("experiments", "a game day needs at least one experiment")
	case n > MaxExperiments:
		c.reportf("experiments", "the day lists %d experiments; at most %d", n, MaxExperiments)
	}
	for i, x := range d.Experiments {
		at := fmt.Sprintf("experiments[%d]", i)
		switch {
		case c.skip(at + ".scenario"):
		case strings.TrimSpace(x.Scenario) == "":
			c.reportf(at+".scenario", "an experiment needs a scenario: a name as gameday list shows it, or a path ending in .yaml")
		default:
			c.text(at+".scenario", x.Scenario, oneLine, MaxRef)
		}
		for _, ph := range []struct {
			name string
			v    time.Duration
		}{{"baseline", x.Phases.Baseline}, {"fault", x.Phases.Fault}, {"recovery", x.Phases.Recovery}} {
			pat := at + ".phases." + ph.name
			switch {
			case !c.given(pat, ph.v != 0) || c.skip(pat):
			case ph.v <= 0:
				c.reportf(pat, "the %s phase must last longer than 0", ph.name)
			case ph.v > MaxPhase:
				c.reportf(pat, "the %s phase lasts %s; a phase lasts at most %s", ph.name, ph.v, fmtHours(MaxPhase))
			}
		}
	}
	langs := make([]string, 0, len(d.Translations))
	for lang := range d.Translations {
		langs = append(langs, lang)
	}
	slices.Sort(langs)
	for _, lang := range langs {
		at := "translations." + lang
		t := d.Translations[lang]
		switch {
		case c.skip(at):
			continue
		case !slices.Contains(Languages, lang):
			c.reportf(at, "unknown language %q in translations%s", lang, hint(lang, Languages, "languages"))
			continue
		case t.Title == "" && t.Description == "" && t.Checklist == nil:
			c.reportf(at, "translations.%s is empty; give at least one of %s", lang, strings.Join(dayTextFields, ", "))
			continue
		}
		if !c.skip(at + ".title") {
			c.text(at+".title", t.Title, oneLine, MaxTitle)
		}
		if !c.skip(at + ".description") {
			c.text(at+".description", t.Description, prose, MaxProse)
		}
		if t.Checklist != nil && !c.skip(at+".checklist") {
			if len(t.Checklist) != len(d.Checklist) {
				c.reportf(at+".checklist", "translations.%s.checklist has %d items, the checklist %d; translate each item, in order", lang, len(t.Checklist), len(d.Checklist))
			}
			c.checklist(at+".checklist", t.Checklist)
		}
	}
}

// checklist checks the preparation checklist (or its translation).
func (c *checker) checklist(at string, items []string) {
	if c.skip(at) {
		return
	}
	if len(items) > MaxChecklist {
		c.reportf(at, "the checklist has %d items; at most %d", len(items), MaxChecklist)
	}
	for i, item := range items {
		iat := fmt.Sprintf("%s[%d]", at, i)
		switch {
		case c.skip(iat):
		case strings.TrimSpace(item) == "":
			c.reportf(iat, "a checklist item must not be empty")
		default:
			if msg := textProblem(item, oneLine, MaxChecklistItem); msg != "" {
				c.reportf(iat, "checklist item %s", msg)
			}
		}
	}
}
