package scenarios

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/gameday-tui/gameday/providers"
)

// The fields of each mapping, in the order "expected one of" lists them.
var (
	topFields       = []string{"title", "description", "hypothesis", "blast_radius", "rollback", "target", "load", "metrics", "steady_state", "near_margin", "phases", "max_percent", "max_count", "limits", "faults", "stop_conditions", "participants", "links", "translations"}
	topRequired     = []string{"title", "hypothesis", "blast_radius", "rollback", "target", "steady_state", "phases", "faults"}
	loadFields      = []string{"rate", "path", "url", "timeout", "command", "accept_redirects"}
	limitsFields    = []string{"memory_mb", "cpu_cores"}
	boundFields     = []string{"min", "max"}
	phaseFields     = []string{"baseline", "fault", "recovery"}
	faultFields     = []string{"id", "kind", "target", "selection", "start_after", "duration", "manual", "params"}
	selectionFields = []string{"percent", "count", "steps", "hold", "on_breach"}
	stopFields      = []string{"metric", "above", "below", "for"}
	paramNames      = []string{"delay", "jitter", "workers", "load", "memory_mb", "mode"}
	personFields    = []string{"name", "role"}
	linkFields      = []string{"title", "url"}
	textFields      = []string{"title", "description", "hypothesis", "blast_radius", "rollback"}
)

// kindParams lists the params each classic kind takes. Provider-native kinds
// are not listed and may use any of paramNames.
var kindParams = map[providers.Kind][]string{
	providers.InstanceStop:     {"mode"},
	providers.Latency:          {"delay", "jitter"},
	providers.CPUStress:        {"workers", "load"},
	providers.MemoryStress:     {"memory_mb"},
	providers.DBFailure:        {"mode"},
	providers.DependencyOutage: {"mode"},
}

// kindModes lists the valid params.mode values of the classic kinds that
// have one; the first is the default.
var kindModes = map[providers.Kind][]string{
	providers.InstanceStop:     {"kill", "pause"},
	providers.DBFailure:        {"stop"},
	providers.DependencyOutage: {"blackhole", "error"},
}

// nodeBudget bounds the mapping entries one file may make the decoder
// visit, so that merge keys (<<) through aliases cannot fan out without end.
const nodeBudget = 100_000

// fileKind is what a decoder reads: a scenario or a game-day file.
type fileKind int

const (
	scenarioFile fileKind = iota
	dayFile
)

// String names the kind of file in messages.
func (k fileKind) String() string {
	if k == dayFile {
		return "game-day file"
	}
	return "scenario file"
}

// decoder is the first pass: YAML nodes to a Plan. It records where each
// value came from (pos), which values were present and well-formed
// (given), and which were missing or malformed (bad), for the checks.
type decoder struct {
	kind   fileKind
	path   string
	opts   Options
	errs   Errors
	pos    map[string]*yaml.Node
	given  map[string]bool
	bad    map[string]bool
	budget int
	// lines is the file's line count: yaml.v3 places a value missing at
	// the very end of the file on a line after the last.
	lines int
}

func newDecoder(path string, opts Options) *decoder {
	return &decoder{
		path:   path,
		opts:   opts,
		pos:    map[string]*yaml.Node{},
		given:  map[string]bool{},
		bad:    map[string]bool{},
		budget: nodeBudget,
	}
}

// errorAt records a mistake at n (nil: no position).
func (d *decoder) errorAt(n *yaml.Node, format string, args ...any) {
	e := &Error{Path: d.path, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	if d.lines > 0 && e.Line > d.lines {
		e.Line, e.Column = d.lines, 0
	}
	d.errs = append(d.errs, e)
}

// fail records a mistake in the value at path at, so the checks skip it.
func (d *decoder) fail(at string, n *yaml.Node, format string, args ...any) {
	d.bad[at] = true
	d.errorAt(n, format, args...)
}

// ok records that the value at path at was present and well-formed.
func (d *decoder) ok(at string, n *yaml.Node) {
	d.pos[at] = n
	d.given[at] = true
}

// base is the last name of a path: "faults[0].selection.percent" → "percent".
func base(at string) string {
	if i := strings.LastIndexByte(at, '.'); i >= 0 {
		at = at[i+1:]
	}
	if i := strings.IndexByte(at, '['); i >= 0 {
		at = at[:i]
	}
	return at
}

// resolve follows an alias to its anchored node.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 16; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n == nil || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe says what a node is, for "expected X, got Y".
func describe(n *yaml.Node) string {
	n = resolve(n)
	switch {
	case n == nil:
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind == yaml.DocumentNode:
		return "a document"
	case n.Kind == yaml.AliasNode:
		return "an alias"
	}
	switch n.ShortTag() {
	case "!!null":
		return "nothing (null)"
	case "!!int", "!!float":
		return "the number " + n.Value
	case "!!bool":
		return n.Value
	}
	v := n.Value
	if r := []rune(v); len(r) > 40 {
		v = string(r[:40]) + "…"
	}
	return fmt.Sprintf("%q", v)
}

// pair is one key and value of a mapping.
type pair struct{ key, val *yaml.Node }

// mapping checks that n is a mapping and returns its entries, with merge
// keys (<<) expanded and duplicate keys reported.
func (d *decoder) mapping(at string, n *yaml.Node, what string) ([]pair, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		d.fail(at, n, "expected a mapping for %s, got %s", what, describe(n))
		return nil, false
	}
	d.pos[at] = n
	var out []pair
	d.collect(n, &out, map[string]*yaml.Node{}, 0)
	return out, true
}

func (d *decoder) collect(n *yaml.Node, out *[]pair, seen map[string]*yaml.Node, depth int) {
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if d.budget--; d.budget < 0 {
			if d.budget == -1 {
				d.errorAt(n, "the scenario has too many entries (aliases and merge keys expand to more than %d)", nodeBudget)
			}
			return
		}
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		rk := resolve(k)
		if rk == nil || rk.Kind != yaml.ScalarNode {
			d.errorAt(k, "expected a field name, got %s", describe(k))
			continue
		}
		if first, dup := seen[rk.Value]; dup {
			// Keys merged in with << give way to explicit ones silently;
			// a key written twice in one mapping is a mistake.
			if depth == 0 {
				d.errorAt(k, "duplicate key %q (first at line %d)", rk.Value, first.Line)
			}
			continue
		}
		seen[rk.Value] = k
		*out = append(*out, pair{k, v})
	}
	for _, m := range merges {
		m = resolve(m)
		switch {
		case depth >= 4:
			d.errorAt(m, "merge keys (<<) nest too deeply")
		case m != nil && m.Kind == yaml.MappingNode:
			d.collect(m, out, seen, depth+1)
		case m != nil && m.Kind == yaml.SequenceNode:
			for _, e := range m.Content {
				if e = resolve(e); e != nil && e.Kind == yaml.MappingNode {
					d.collect(e, out, seen, depth+1)
				} else {
					d.errorAt(e, "a merge key (<<) takes a mapping or a list of mappings, got %s", describe(e))
				}
			}
		default:
			d.errorAt(m, "a merge key (<<) takes a mapping or a list of mappings, got %s", describe(m))
		}
	}
}

// fields decodes the mapping n whose allowed keys are names: it reports
// unknown keys (with the closest known one) and missing required ones (at
// the mapping), and returns the present entries by key. A null value counts
// as absent for an optional key and as a mistake for a required one.
func (d *decoder) fields(at string, n *yaml.Node, what string, names, required []string) (map[string]pair, bool) {
	pairs, ok := d.mapping(at, n, what)
	if !ok {
		return nil, false
	}
	m := map[string]pair{}
	for _, p := range pairs {
		name := resolve(p.key).Value
		if !slices.Contains(names, name) {
			if strings.ContainsRune(name, '\ufeff') {
				d.errorAt(p.key, "unknown field %q in %s: it holds a byte order mark (U+FEFF), which belongs only at the very start of a file (were two files joined?)", name, what)
				continue
			}
			d.errorAt(p.key, "unknown field %q in %s%s", name, what, suggest(name, names))
			continue
		}
		if isNull(p.val) {
			if slices.Contains(required, name) {
				d.fail(join(at, name), p.val, "%s needs a value", name)
			}
			continue
		}
		m[name] = p
	}
	for _, name := range required {
		if _, present := m[name]; !present && !d.bad[join(at, name)] {
			d.fail(join(at, name), resolve(n), "missing required field %q in %s", name, what)
		}
	}
	return m, true
}

// str decodes a text value. Any scalar counts as text (a title may be
// "2024"); mappings and lists do not.
func (d *decoder) str(at string, n *yaml.Node) (string, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		d.fail(at, n, "%s: expected text, got %s", base(at), describe(n))
		return "", false
	}
	d.ok(at, n)
	if isNull(n) {
		return "", true
	}
	return strings.TrimSpace(n.Value), true
}

// duration decodes a Go duration ("500ms", "2m", "1m30s").
func (d *decoder) duration(at string, n *yaml.Node) (time.Duration, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		d.fail(at, n, "%s: expected a duration like 30s, got %s", base(at), describe(n))
		return 0, false
	}
	switch n.ShortTag() {
	case "!!int", "!!float":
		d.fail(at, n, "%s: expected a duration like 30s, got %s without a unit (write %ss, %sms or %sm)", base(at), n.Value, n.Value, n.Value, n.Value)
		return 0, false
	}
	v, err := time.ParseDuration(strings.TrimSpace(n.Value))
	if err != nil {
		d.fail(at, n, "%s: expected a duration like 30s, 500ms or 1m30s, got %s", base(at), describe(n))
		return 0, false
	}
	d.ok(at, n)
	return v, true
}

// number decodes a finite number.
func (d *decoder) number(at string, n *yaml.Node) (float64, bool) {
	n = resolve(n)
	var v float64
	if n == nil || n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") || n.Decode(&v) != nil {
		d.fail(at, n, "%s: expected a number, got %s", base(at), describe(n))
		return 0, false
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		d.fail(at, n, "%s: expected a finite number, got %s", base(at), n.Value)
		return 0, false
	}
	d.ok(at, n)
	return v, true
}

// integer decodes a whole number.
func (d *decoder) integer(at string, n *yaml.Node) (int, bool) {
	n = resolve(n)
	var v int
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&v) != nil {
		d.fail(at, n, "%s: expected a whole number, got %s", base(at), describe(n))
		return 0, false
	}
	d.ok(at, n)
	return v, true
}

// boolean decodes true or false.
func (d *decoder) boolean(at string, n *yaml.Node) (bool, bool) {
	n = resolve(n)
	var v bool
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&v) != nil {
		d.fail(at, n, "%s: expected true or false, got %s", base(at), describe(n))
		return false, false
	}
	d.ok(at, n)
	return v, true
}

// sequence checks that n is a list and returns its items.
func (d *decoder) sequence(at string, n *yaml.Node, what string) ([]*yaml.Node, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		d.fail(at, n, "expected a list of %s, got %s", what, describe(n))
		return nil, false
	}
	d.ok(at, n)
	return n.Content, true
}

// plan decodes the scenario mapping.
func (d *decoder) plan(root *yaml.Node) *Plan {
	p := &Plan{Path: d.path}
	root = resolve(root)
	if root == nil || root.Kind != yaml.MappingNode {
		d.errorAt(root, "expected a mapping of scenario fields (title, hypothesis, …), got %s", describe(root))
		d.bad[""] = true
		return p
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if k := resolve(root.Content[i]); k != nil && k.Kind == yaml.ScalarNode && k.Value == "day" {
			// A game-day file: its own mistakes are for ParseDay, and
			// every scenario field it lacks is beside the point.
			d.errorAt(k, "%s", dayFileMessage)
			d.errs[len(d.errs)-1].err = ErrDayFile
			d.bad[""] = true
			return p
		}
	}
	f, _ := d.fields("", root, "the scenario", topFields, topRequired)
	text := func(name string, dst *string) {
		if e, ok := f[name]; ok {
			*dst, _ = d.str(name, e.val)
		}
	}
	text("title", &p.Title)
	text("description", &p.Description)
	text("hypothesis", &p.Hypothesis)
	text("blast_radius", &p.BlastRadius)
	text("rollback", &p.Rollback)
	if e, ok := f["target"]; ok {
		d.target(e.val, &p.Target)
	}
	if e, ok := f["load"]; ok {
		p.Load = d.load(e.val)
	}
	if e, ok := f["metrics"]; ok {
		p.Metrics = d.metrics(e.val)
	}
	if e, ok := f["near_margin"]; ok {
		p.NearMargin, _ = d.number("near_margin", e.val)
	}
	if e, ok := f["steady_state"]; ok {
		p.SteadyState = d.steadyState(e.val)
	}
	if e, ok := f["phases"]; ok {
		d.phases(e.val, &p.Phases)
	}
	if e, ok := f["max_percent"]; ok {
		p.MaxPercent, _ = d.number("max_percent", e.val)
	}
	if e, ok := f["max_count"]; ok {
		p.MaxCount, _ = d.integer("max_count", e.val)
	}
	if e, ok := f["limits"]; ok {
		d.limits(e.val, &p.Limits)
	}
	if e, ok := f["faults"]; ok {
		p.Faults = d.faults(e.val, p.Target.Provider)
	}
	if e, ok := f["stop_conditions"]; ok {
		p.StopConditions = d.stopConditions(e.val)
	}
	if e, ok := f["participants"]; ok {
		p.Participants = d.participants(e.val)
	}
	if e, ok := f["links"]; ok {
		p.Links = d.links(e.val)
	}
	if e, ok := f["translations"]; ok {
		p.Translations = d.translations(e.val)
	}
	return p
}

// participants decodes who took part: [{ name, role }].
func (d *decoder) participants(n *yaml.Node) []Participant {
	items, ok := d.sequence("participants", n, "participants ({ name, role })")
	if !ok {
		return nil
	}
	out := make([]Participant, 0, len(items))
	for i, item := range items {
		at := fmt.Sprintf("participants[%d]", i)
		var pt Participant
		if f, ok := d.fields(at, item, "a participant", personFields, []string{"name"}); ok {
			if e, ok := f["name"]; ok {
				pt.Name, _ = d.str(join(at, "name"), e.val)
			}
			if e, ok := f["role"]; ok {
				pt.Role, _ = d.str(join(at, "role"), e.val)
			}
		}
		out = append(out, pt)
	}
	return out
}

// links decodes the dashboards, tickets and runbooks: [{ title, url }].
func (d *decoder) links(n *yaml.Node) []Link {
	items, ok := d.sequence("links", n, "links ({ title, url })")
	if !ok {
		return nil
	}
	out := make([]Link, 0, len(items))
	for i, item := range items {
		at := fmt.Sprintf("links[%d]", i)
		var l Link
		if f, ok := d.fields(at, item, "a link", linkFields, []string{"url"}); ok {
			if e, ok := f["title"]; ok {
				l.Title, _ = d.str(join(at, "title"), e.val)
			}
			if e, ok := f["url"]; ok {
				l.URL, _ = d.str(join(at, "url"), e.val)
			}
		}
		out = append(out, l)
	}
	return out
}

// translations decodes the plan's text in other languages:
// { ja: { title, description, hypothesis, blast_radius, rollback } }.
// A language gameday does not write is kept, at its key, for the checks
// to report.
func (d *decoder) translations(n *yaml.Node) map[string]Text {
	pairs, ok := d.mapping("translations", n, "translations")
	if !ok {
		return nil
	}
	out := map[string]Text{}
	for _, p := range pairs {
		lang := resolve(p.key).Value
		at := join("translations", lang)
		d.pos[at] = p.key
		f, ok := d.fields(at, p.val, "translations."+lang, textFields, nil)
		d.pos[at] = p.key
		if !ok {
			continue
		}
		var t Text
		for name, dst := range map[string]*string{"title": &t.Title, "description": &t.Description, "hypothesis": &t.Hypothesis, "blast_radius": &t.BlastRadius, "rollback": &t.Rollback} {
			if e, ok := f[name]; ok {
				*dst, _ = d.str(join(at, name), e.val)
			}
		}
		if v := resolve(p.val); t == (Text{}) && v != nil && len(v.Content) > 0 {
			d.bad[at] = true // its fields were wrong, and said so: not also "empty"
		}
		out[lang] = t
	}
	return out
}

// target decodes the target mapping: provider, name, environment, and the
// provider's own fields, typed by its Spec. With an unknown provider its
// fields cannot be read; the checks report the provider.
func (d *decoder) target(n *yaml.Node, t *Target) {
	pairs, ok := d.mapping("target", n, "target")
	if !ok {
		return
	}
	sawProvider := false
	var own []pair
	for _, p := range pairs {
		key := resolve(p.key).Value
		at := join("target", key)
		switch key {
		case "provider":
			sawProvider = true
			t.Provider, _ = d.str(at, p.val)
		case "name":
			t.Name, _ = d.str(at, p.val)
		case "environment":
			t.Environment, _ = d.str(at, p.val)
		default:
			own = append(own, p)
		}
	}
	if !sawProvider {
		d.fail("target.provider", resolve(n), "missing required field \"provider\" in target%s", knownList("; known providers", d.providerNames()))
	}
	spec, known := d.opts.Providers[t.Provider]
	if !known {
		// The provider is reported by the checks; its fields are kept as
		// text so nothing else is said about them.
		for _, p := range own {
			d.pos[join("target", resolve(p.key).Value)] = p.key
		}
		return
	}
	t.Fields = d.ownFields("target", resolve(n), own, spec.Target, "target of provider "+t.Provider, append(slices.Clone(commonTargetFields), fieldNames(spec.Target)...))
}

// ownFields decodes the entries of a provider-owned mapping (a target, a
// fault's target, params) by their FieldSpecs: unknown keys are reported
// with the closest known one (accepted lists every key the mapping takes),
// values by type, and required fields that are missing at the mapping n.
func (d *decoder) ownFields(at string, n *yaml.Node, pairs []pair, specs []providers.FieldSpec, what string, accepted []string) providers.Fields {
	out := providers.Fields{}
	for _, p := range pairs {
		key := resolve(p.key).Value
		kat := join(at, key)
		i := slices.IndexFunc(specs, func(s providers.FieldSpec) bool { return s.Name == key })
		if i < 0 {
			d.fail(kat, p.key, "unknown field %q in %s%s", key, what, suggest(key, accepted))
			continue
		}
		if isNull(p.val) {
			continue
		}
		if v, ok := d.fieldValue(kat, p.val, specs[i]); ok {
			out[key] = v
		}
	}
	// Required fields that are missing are the checks' to report, for a
	// file and a plan built in code alike.
	if len(out) == 0 {
		return nil
	}
	return out
}

// fieldValue decodes one provider-owned value by its spec into a JSON
// value (see providers.Fields).
func (d *decoder) fieldValue(at string, n *yaml.Node, s providers.FieldSpec) (any, bool) {
	switch s.Type {
	case providers.FieldString:
		return d.str(at, n)
	case providers.FieldStrings:
		rn := resolve(n)
		if rn != nil && rn.Kind == yaml.ScalarNode {
			v, ok := d.str(at, n)
			return []string{v}, ok
		}
		items, ok := d.sequence(at, n, "text")
		if !ok {
			return nil, false
		}
		out := make([]string, 0, len(items))
		for i, item := range items {
			v, ok := d.str(fmt.Sprintf("%s[%d]", at, i), item)
			if !ok {
				return nil, false
			}
			out = append(out, v)
		}
		return out, true
	case providers.FieldStringMap:
		pairs, ok := d.mapping(at, n, base(at))
		if !ok {
			return nil, false
		}
		out := make(map[string]string, len(pairs))
		for _, p := range pairs {
			k := resolve(p.key).Value
			v, ok := d.str(join(at, k), p.val)
			if !ok {
				return nil, false
			}
			out[k] = v
		}
		d.ok(at, resolve(n))
		return out, true
	case providers.FieldNumber:
		return d.number(at, n)
	case providers.FieldInt:
		return d.integer(at, n)
	case providers.FieldBool:
		return d.boolean(at, n)
	case providers.FieldDuration:
		v, ok := d.duration(at, n)
		return v.String(), ok
	case providers.FieldMapping:
		rn := resolve(n)
		if rn == nil || rn.Kind != yaml.MappingNode {
			d.fail(at, rn, "%s: expected a mapping, got %s", base(at), describe(rn))
			return nil, false
		}
		var v map[string]any
		if err := rn.Decode(&v); err != nil {
			d.fail(at, rn, "%s: %v", base(at), err)
			return nil, false
		}
		d.ok(at, rn)
		return jsonValue(v), true
	}
	d.fail(at, n, "%s: the provider declares a field type gameday does not know", base(at))
	return nil, false
}

// jsonValue turns what yaml.v3 decodes into JSON values: mappings with
// non-text keys get text keys, integers become float64, so a value reads
// the same before and after the journal.
func jsonValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = jsonValue(e)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[fmt.Sprint(k)] = jsonValue(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = jsonValue(e)
		}
		return out
	case int:
		return float64(v)
	case int64:
		return float64(v)
	case uint64:
		return float64(v)
	}
	return v
}

func (d *decoder) providerNames() []string {
	names := make([]string, 0, len(d.opts.Providers))
	for name := range d.opts.Providers {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

func (d *decoder) load(n *yaml.Node) *Load {
	f, ok := d.fields("load", n, "load", loadFields, nil)
	if !ok {
		return nil
	}
	l := &Load{}
	d.given["load"] = true
	if e, ok := f["rate"]; ok {
		l.Rate, _ = d.number("load.rate", e.val)
	}
	if e, ok := f["path"]; ok {
		l.Path, _ = d.str("load.path", e.val)
	}
	if e, ok := f["url"]; ok {
		l.URL, _ = d.str("load.url", e.val)
	}
	if e, ok := f["timeout"]; ok {
		l.Timeout, _ = d.duration("load.timeout", e.val)
	}
	if e, ok := f["accept_redirects"]; ok {
		l.AcceptRedirects, _ = d.boolean("load.accept_redirects", e.val)
	}
	if e, ok := f["command"]; ok {
		if items, ok := d.sequence("load.command", e.val, "arguments"); ok {
			for i, item := range items {
				if v, ok := d.str(fmt.Sprintf("load.command[%d]", i), item); ok {
					l.Command = append(l.Command, v)
				}
			}
		}
	}
	return l
}

// metrics decodes the metric source: source names it, the rest are its
// own fields, typed by its SourceSpec.
func (d *decoder) metrics(n *yaml.Node) *MetricsConfig {
	pairs, ok := d.mapping("metrics", n, "metrics")
	if !ok {
		return nil
	}
	m := &MetricsConfig{}
	var own []pair
	saw := false
	for _, p := range pairs {
		key := resolve(p.key).Value
		if key == "source" {
			saw = true
			m.Source, _ = d.str("metrics.source", p.val)
			continue
		}
		own = append(own, p)
	}
	names := make([]string, 0, len(d.opts.Sources))
	for name := range d.opts.Sources {
		names = append(names, name)
	}
	slices.Sort(names)
	if !saw {
		d.fail("metrics.source", resolve(n), "missing required field \"source\" in metrics%s", knownList("; known sources", names))
		return m
	}
	spec, known := d.opts.Sources[m.Source]
	if !known {
		if !d.bad["metrics.source"] {
			d.fail("metrics.source", d.pos["metrics.source"], "unknown metric source %q%s", m.Source, hint(m.Source, names, "known sources"))
		}
		return m
	}
	m.Fields = d.ownFields("metrics", resolve(n), own, spec.Fields, "metrics of source "+m.Source, append([]string{"source"}, fieldNames(spec.Fields)...))
	return m
}

// steadyState decodes the thresholds. Unknown metric names are kept, at
// their key's position, for the checks to report with the known ones.
func (d *decoder) steadyState(n *yaml.Node) map[Metric]Bound {
	pairs, ok := d.mapping("steady_state", n, "steady_state")
	if !ok {
		return nil
	}
	out := map[Metric]Bound{}
	for _, p := range pairs {
		m := Metric(resolve(p.key).Value)
		at := join("steady_state", string(m))
		// Whether a name other than the classic four is a series some
		// source delivers is for the checks, which know the sources.
		d.pos[at] = p.key
		if isNull(p.val) {
			d.fail(at, p.val, "%s needs min and/or max, e.g. { max: 200 }", m)
			continue
		}
		f, ok := d.fields(at, p.val, string(m), boundFields, nil)
		if !m.Classic() {
			d.pos[at] = p.key // "unknown metric" goes to its name
		}
		if !ok {
			continue
		}
		var b Bound
		for _, name := range boundFields {
			if e, ok := f[name]; ok {
				if v, ok := d.number(join(at, name), e.val); ok {
					if name == "min" {
						b.Min = &v
					} else {
						b.Max = &v
					}
				}
			}
		}
		out[m] = b
	}
	return out
}

// limits decodes the plan's caps on what its faults take together.
func (d *decoder) limits(n *yaml.Node, l *Limits) {
	f, ok := d.fields("limits", n, "limits", limitsFields, nil)
	if !ok {
		return
	}
	if e, ok := f["memory_mb"]; ok {
		l.MemoryMB, _ = d.integer("limits.memory_mb", e.val)
	}
	if e, ok := f["cpu_cores"]; ok {
		l.CPUCores, _ = d.number("limits.cpu_cores", e.val)
	}
}

func (d *decoder) phases(n *yaml.Node, ph *Phases) {
	f, ok := d.fields("phases", n, "phases", phaseFields, phaseFields)
	if !ok {
		return
	}
	for name, dst := range map[string]*time.Duration{"baseline": &ph.Baseline, "fault": &ph.Fault, "recovery": &ph.Recovery} {
		if e, ok := f[name]; ok {
			*dst, _ = d.duration(join("phases", name), e.val)
		}
	}
}

func (d *decoder) faults(n *yaml.Node, provider string) []Fault {
	items, ok := d.sequence("faults", n, "faults")
	if !ok {
		return nil
	}
	out := make([]Fault, 0, len(items))
	for i, item := range items {
		at := fmt.Sprintf("faults[%d]", i)
		f := Fault{}
		f.ID = fmt.Sprintf("f%d", i+1)
		d.fault(at, item, &f, provider)
		out = append(out, f)
	}
	return out
}

func (d *decoder) fault(at string, n *yaml.Node, f *Fault, provider string) {
	spec, known := d.opts.Providers[provider]
	fs, ok := d.fields(at, n, "a fault", faultFields, []string{"kind"})
	if !ok {
		return
	}
	if e, ok := fs["id"]; ok {
		if id, ok := d.str(join(at, "id"), e.val); ok {
			f.ID = id
		}
	}
	kindOK := false
	if e, ok := fs["kind"]; ok {
		var k string
		k, kindOK = d.str(join(at, "kind"), e.val)
		f.Kind = providers.Kind(k)
	}
	if e, ok := fs["target"]; ok {
		tat := join(at, "target")
		if pairs, ok := d.mapping(tat, e.val, "a fault's target"); ok && known {
			d.given[tat] = true
			f.Target = d.ownFields(tat, resolve(e.val), pairs, spec.Selector, "a fault's target (provider "+provider+")", fieldNames(spec.Selector))
		} else if ok {
			for _, p := range pairs {
				d.pos[join(tat, resolve(p.key).Value)] = p.key
			}
		}
	}
	if e, ok := fs["selection"]; ok {
		sat := join(at, "selection")
		if sf, ok := d.fields(sat, e.val, "selection", selectionFields, nil); ok {
			d.given[sat] = true
			if e, ok := sf["percent"]; ok {
				f.Selection.Percent, _ = d.number(join(sat, "percent"), e.val)
			}
			if e, ok := sf["count"]; ok {
				f.Selection.Count, _ = d.integer(join(sat, "count"), e.val)
			}
			if e, ok := sf["steps"]; ok {
				f.Ladder = &Ladder{}
				if items, ok := d.sequence(join(sat, "steps"), e.val, "steps"); ok {
					for i, item := range items {
						if st, ok := d.step(fmt.Sprintf("%s.steps[%d]", sat, i), item); ok {
							f.Ladder.Steps = append(f.Ladder.Steps, st)
						}
					}
				}
				if len(f.Ladder.Steps) > 0 {
					f.Selection = f.Ladder.Steps[0]
				}
			}
			if e, ok := sf["hold"]; ok {
				if f.Ladder == nil {
					f.Ladder = &Ladder{}
				}
				f.Ladder.Hold, _ = d.duration(join(sat, "hold"), e.val)
			}
			if e, ok := sf["on_breach"]; ok {
				if f.Ladder == nil {
					f.Ladder = &Ladder{}
				}
				f.Ladder.OnBreach, _ = d.str(join(sat, "on_breach"), e.val)
			}
		}
	}
	if e, ok := fs["start_after"]; ok {
		f.StartAfter, _ = d.duration(join(at, "start_after"), e.val)
	}
	if e, ok := fs["duration"]; ok {
		f.Duration, _ = d.duration(join(at, "duration"), e.val)
	}
	if e, ok := fs["manual"]; ok {
		f.Manual, _ = d.boolean(join(at, "manual"), e.val)
	}
	if e, ok := fs["params"]; ok {
		allowed := paramNames
		if kp, classic := kindParams[f.Kind]; kindOK && classic {
			allowed = kp
		} else if kindOK && known && spec.SupportsKind(f.Kind) {
			allowed = nil // a native kind takes only its provider's params
		}
		var extra []providers.FieldSpec
		if known && kindOK {
			extra = spec.Params[f.Kind]
		}
		d.params(join(at, "params"), e.val, f.Kind, allowed, extra, &f.Params)
	}
}

// step decodes one step of a ladder: a percentage ("10%") or a count (2).
func (d *decoder) step(at string, n *yaml.Node) (providers.Selection, bool) {
	n = resolve(n)
	if n != nil && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!int" {
		var c int
		if n.Decode(&c) == nil {
			d.ok(at, n)
			return providers.Selection{Count: c}, true
		}
	}
	if n != nil && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" && strings.HasSuffix(strings.TrimSpace(n.Value), "%") {
		if v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(n.Value), "%")), 64); err == nil && !math.IsNaN(v) && !math.IsInf(v, 0) {
			d.ok(at, n)
			return providers.Selection{Percent: v}, true
		}
	}
	d.fail(at, n, "a step is a percentage like 10%% or a count like 2, got %s", describe(n))
	return providers.Selection{}, false
}

// params decodes a fault's params: the classic ones that apply to its kind
// (allowed) and those its provider adds (extra, into Params.Extra); keys
// that belong to another kind are reported here, with what this kind
// takes.
func (d *decoder) params(at string, n *yaml.Node, kind providers.Kind, allowed []string, extra []providers.FieldSpec, p *providers.Params) {
	pairs, ok := d.mapping(at, n, "params")
	if !ok {
		return
	}
	var own []pair
	takes := append(slices.Clone(allowed), fieldNames(extra)...)
	for _, e := range pairs {
		name := resolve(e.key).Value
		pat := join(at, name)
		if slices.ContainsFunc(extra, func(s providers.FieldSpec) bool { return s.Name == name }) {
			own = append(own, e)
			continue
		}
		switch {
		case !slices.Contains(allowed, name) && slices.Contains(paramNames, name):
			// Marked bad so the checks do not also say a param is missing:
			// it may be this one, misplaced or misspelt.
			d.fail(pat, e.key, "params field %q does not apply to %s; %s takes: %s", name, kind, kind, strings.Join(takes, ", "))
			continue
		case !slices.Contains(allowed, name):
			d.fail(pat, e.key, "unknown field %q in params%s", name, suggest(name, takes))
			continue
		case isNull(e.val):
			continue
		}
		switch name {
		case "delay":
			p.Delay, _ = d.duration(pat, e.val)
		case "jitter":
			p.Jitter, _ = d.duration(pat, e.val)
		case "workers":
			p.Workers, _ = d.integer(pat, e.val)
		case "load":
			p.Load, _ = d.integer(pat, e.val)
		case "memory_mb":
			p.MemoryMB, _ = d.integer(pat, e.val)
		case "mode":
			p.Mode, _ = d.str(pat, e.val)
		}
	}
	if len(extra) > 0 {
		p.Extra = d.ownFields(at, resolve(n), own, extra, "params of "+string(kind), takes)
	}
}

func (d *decoder) stopConditions(n *yaml.Node) []StopCondition {
	items, ok := d.sequence("stop_conditions", n, "stop conditions")
	if !ok {
		return nil
	}
	out := make([]StopCondition, 0, len(items))
	for i, item := range items {
		at := fmt.Sprintf("stop_conditions[%d]", i)
		var sc StopCondition
		if f, ok := d.fields(at, item, "a stop condition", stopFields, []string{"metric"}); ok {
			if e, ok := f["metric"]; ok {
				m, _ := d.str(join(at, "metric"), e.val)
				sc.Metric = Metric(m)
			}
			for _, name := range []string{"above", "below"} {
				if e, ok := f[name]; ok {
					if v, ok := d.number(join(at, name), e.val); ok {
						if name == "above" {
							sc.Above = &v
						} else {
							sc.Below = &v
						}
					}
				}
			}
			if e, ok := f["for"]; ok {
				sc.For, _ = d.duration(join(at, "for"), e.val)
			}
		}
		out = append(out, sc)
	}
	return out
}

// check runs the second pass (the checks of Plan.Validate) on what the
// first pass decoded, skipping values it already found malformed and
// placing each finding at the node its path came from.
func (d *decoder) check(p *Plan) { d.checker().plan(p) }

// checker is the second pass as the decoder runs it: skipping what the
// first found malformed, reporting at the node each path came from.
func (d *decoder) checker() *checker {
	return &checker{
		opts: d.opts,
		skip: func(at string) bool {
			for k := range d.bad {
				if k == at || strings.HasPrefix(at, k+".") || strings.HasPrefix(at, k+"[") ||
					strings.HasPrefix(k, at+".") || strings.HasPrefix(k, at+"[") || k == "" {
					return true
				}
			}
			return false
		},
		given: func(at string, _ bool) bool { return d.given[at] },
		report: func(at, msg string) {
			d.errorAt(d.position(at), "%s", msg)
		},
	}
}

// position finds the node for path at, or the nearest enclosing one.
func (d *decoder) position(at string) *yaml.Node {
	for {
		if n, ok := d.pos[at]; ok {
			return n
		}
		if at == "" {
			return nil
		}
		at = parent(at)
	}
}

// positions are the places of the fields of a plan that decoded without a
// mistake, for Plan.Where.
func (d *decoder) positions() map[string]filePos {
	out := make(map[string]filePos, len(d.pos))
	for at, n := range d.pos {
		if n != nil && n.Line > 0 {
			out[at] = filePos{n.Line, n.Column}
		}
	}
	return out
}
