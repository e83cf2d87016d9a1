// Package scenarios holds the scenario schema, its strict loader and the
// scenario files that ship with gameday.
//
// A scenario file is one YAML document; README.md shows one in full.
// Parse decodes it through yaml.Node so that every mistake is reported with
// the file, line and column where it is, and what was expected; it collects
// every mistake of a file, not only the first, and returns no Plan at all
// when there is one, so nothing can run from an invalid file.
//
// Decoding happens in two passes. The first walks the YAML nodes and knows
// about shapes: unknown or duplicate fields, wrong types, missing required
// fields, malformed durations. The second (the checks behind Plan.Validate)
// knows about meaning: ranges, fault kinds a provider has, a fault window
// inside the fault phase. Both passes report into the same list; the second
// one is also what Plan.Validate runs on a plan built in code.
//
// Defaults worth knowing:
//   - fault ids are f1, f2, … in file order unless a fault sets id;
//   - a fault without selection hits every target its kind applies to,
//     except instance-stop, which must say how many (stopping every
//     instance by omission is never what an author meant);
//   - a fault without duration lasts until the end of the fault phase;
//   - a stop condition without for trips on the first sample beyond it.
package scenarios

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/gameday-tui/gameday/providers"
)

// MaxFileSize is the largest scenario file Parse accepts. Real scenarios are
// a few kilobytes; the cap keeps a wrong file (a log, a binary) from being
// read into memory and parsed.
const MaxFileSize = 1 << 20

// Options tell the loader which providers and metric sources exist, with
// the fields each owns (providers.Spec, providers.SourceSpec). The command
// line builds them from the providers it was compiled with (its registry);
// the loader itself knows none.
type Options struct {
	// Providers maps a provider name, as scenario files spell it, to what
	// it accepts.
	Providers map[string]providers.Spec
	// Sources maps a metric source name (metrics: { source: NAME }) to
	// what it accepts.
	Sources map[string]providers.SourceSpec
}

// commonTargetFields are the target keys every provider accepts.
var commonTargetFields = []string{"provider", "name", "environment"}

// Error is one mistake in a scenario file. Line and Column are 1-based; a
// zero Line means the mistake has no single place (an empty file), a zero
// Column that only the line is known (a YAML syntax error).
type Error struct {
	Path   string
	Line   int
	Column int
	Msg    string
	// err is what the mistake is, for errors.Is (ErrDayFile); nil for
	// most.
	err error
}

// Error renders the mistake as "path:line:col: msg", the form editors and
// terminals turn into a link. Control characters in it (a field name
// written as "\e[2J" in the file, a file name) are shown escaped, so the
// message is safe to print on a terminal.
func (e *Error) Error() string {
	path, msg := escapeControls(e.Path), escapeControls(e.Msg)
	switch {
	case e.Line <= 0:
		return fmt.Sprintf("%s: %s", path, msg)
	case e.Column <= 0:
		return fmt.Sprintf("%s:%d: %s", path, e.Line, msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", path, e.Line, e.Column, msg)
}

// Unwrap returns what the mistake is when it is one a caller may look
// for (ErrDayFile), else nil.
func (e *Error) Unwrap() error { return e.err }

// Errors are every mistake found in one scenario file, in file order.
type Errors []*Error

// Error joins the mistakes, one per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the mistakes, so errors.As finds an *Error.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// As lets errors.As fill an Errors target from the *Errors Parse returns.
func (es *Errors) As(target any) bool {
	if t, ok := target.(*Errors); ok && es != nil {
		*t = *es
		return true
	}
	return false
}

// sorted orders the mistakes by position and drops exact repeats (a
// mapping reached through two aliases reports its mistakes once).
func (es Errors) sorted() Errors {
	slices.SortStableFunc(es, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	return slices.CompactFunc(es, func(a, b *Error) bool { return *a == *b })
}

// Parse decodes and checks one scenario file; path is only used in errors
// and in Plan.Path. When the file has any mistake Parse returns a nil Plan
// and an *Errors listing all of them.
func Parse(path string, data []byte, opts Options) (*Plan, error) {
	d := newDecoder(path, opts)
	if root := d.document(data); root != nil {
		p := d.plan(root)
		d.check(p)
		if len(d.errs) == 0 {
			p.pos = d.positions()
			p.Target.where = p.Where("target.name")
			return p, nil
		}
	}
	errs := d.errs.sorted()
	return nil, &errs
}

// ErrNotRegular is wrapped by the error LoadFile returns for a path that
// is not a regular file: a directory, a named pipe, a device, a socket.
var ErrNotRegular = errors.New("not a regular file")

// LoadFile reads and parses the scenario file at path. An invalid file
// gives an *Errors; a file that cannot be read gives the read error, and
// one that is not a regular file an error wrapping ErrNotRegular.
//
// Only a regular file is read, and nothing can make LoadFile wait: a named
// pipe would block the open until something writes to it (and a device
// such as /dev/zero never ends), so the path is checked first, then opened
// without blocking (O_NONBLOCK) and checked again by the descriptor, in
// case it was swapped in between. A file over MaxFileSize is refused after
// reading one byte past the limit.
func LoadFile(path string, opts Options) (*Plan, error) {
	data, err := readRegular(path, "scenario")
	if err != nil {
		return nil, err
	}
	return Parse(path, data, opts)
}

// readRegular reads the file at path the way LoadFile describes: only a
// regular file, without ever waiting on it, at most MaxFileSize+1 bytes.
// what names the file in errors ("scenario", "game-day file").
func readRegular(path, what string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	if err := regular(path, fi, what); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return nil, fmt.Errorf("read %s %s: %w", what, path, err)
	}
	if err := regular(path, fi, what); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s %s: %w", what, path, err)
	}
	return data, nil
}

// regular returns nil when fi is a regular file's, else an error wrapping
// ErrNotRegular that says what path is.
func regular(path string, fi os.FileInfo, what string) error {
	m := fi.Mode()
	if m.IsRegular() {
		return nil
	}
	is := "not a regular file"
	switch {
	case m.IsDir():
		is = "a directory"
	case m&os.ModeNamedPipe != 0:
		is = "a named pipe (FIFO); to read a scenario from a pipe, pass - and redirect it to standard input"
	case m&os.ModeCharDevice != 0:
		is = "a character device"
	case m&os.ModeDevice != 0:
		is = "a device"
	case m&os.ModeSocket != 0:
		is = "a socket"
	}
	return fmt.Errorf("read %s %s: %w: it is %s", what, escapeControls(path), ErrNotRegular, is)
}

// yamlLine pulls the line out of yaml.v3's "yaml: line 3: …" errors.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// document parses data as exactly one YAML document and returns its root
// node, or nil after recording why it cannot.
func (d *decoder) document(data []byte) *yaml.Node {
	if len(data) > MaxFileSize {
		// The place where the file goes past the limit: a file read by
		// LoadFile ends one byte after it.
		line, col := position(data, MaxFileSize)
		d.errs = append(d.errs, &Error{Path: d.path, Line: line, Column: col,
			Msg: fmt.Sprintf("the file goes past %d bytes here, the most a scenario file may hold (is this the right file?)", MaxFileSize)})
		return nil
	}
	d.lines = lastLine(data)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	switch err := decodeYAML(dec, &doc); {
	case errors.Is(err, io.EOF):
		// Nothing is at any place; the first line is where it should be.
		what := "empty"
		if len(bytes.TrimSpace(data)) > 0 {
			what = "empty but for comments"
		}
		needs := "a scenario needs at least title, hypothesis, blast_radius, rollback, target, steady_state, phases and faults"
		if d.kind == dayFile {
			needs = "a game-day file needs day: with at least title and experiments"
		}
		d.errs = append(d.errs, &Error{Path: d.path, Line: 1, Column: 1, Msg: "the file is " + what + "; " + needs})
		return nil
	case err != nil:
		d.yamlError(data, err)
		return nil
	}
	var extra yaml.Node
	switch err := decodeYAML(dec, &extra); {
	case err == nil:
		at := &extra
		if len(extra.Content) > 0 && !isNull(extra.Content[0]) {
			at = extra.Content[0]
		}
		d.errorAt(at, "a second YAML document starts here; a %s holds exactly one (remove the \"---\" or split the file)", d.kind)
	case !errors.Is(err, io.EOF):
		d.yamlError(data, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || isNull(doc.Content[0]) {
		if d.kind == dayFile {
			d.errorAt(&doc, "the file holds no game day; expected day: { title, experiments, … }")
		} else {
			d.errorAt(&doc, "the file holds no scenario; expected a mapping with title, hypothesis, blast_radius, rollback, target, steady_state, phases and faults")
		}
		return nil
	}
	return doc.Content[0]
}

// decodeYAML runs the YAML parser, turning a panic inside it into an error:
// a hostile file must give a message, never a crash.
func decodeYAML(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: the parser failed: %v", r)
		}
	}()
	return dec.Decode(n)
}

// parserProblems are the problems yaml.v3's parser (not its scanner)
// reports. For these it gives a 0-based line; yamlError corrects it. The
// true ones are reported where the enclosing mapping or list starts (or at
// the token that broke it), so the message says to look from there on.
var parserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"did not find expected <document start>": false,
	"did not find expected <stream-start>":   false,
	"found duplicate %TAG directive":         false,
	"found duplicate %YAML directive":        false,
	"found incompatible YAML document":       false,
	"found undefined tag handle":             false,
}

var unknownAnchor = regexp.MustCompile(`^yaml: unknown anchor '(.*)' referenced$`)

// yamlError records a YAML syntax error with the best line (and column)
// that can be recovered from yaml.v3's message.
func (d *decoder) yamlError(data []byte, err error) {
	msg := err.Error()
	e := &Error{Path: d.path, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
	d.errs = append(d.errs, e)
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		problem := m[2]
		if enclosing, ok := parserProblems[problem]; ok {
			e.Line++
			if enclosing {
				problem += " (check the indentation and brackets from this line on)"
			}
		}
		// At the end of the stream yaml.v3 counts a line the file does
		// not have.
		if last := lastLine(data); e.Line > last {
			e.Line = last
			problem += " at the end of the file"
		}
		// A tab where YAML wants indentation. yaml.v3 names the line the
		// token started on ("cannot start any token": the tab's), or the
		// line a plain scalar started on, which the tab continues
		// ("violates indentation"); the tab is the place.
		last := 0
		switch {
		case strings.Contains(problem, "tab character"):
			last = lastLine(data)
		case strings.Contains(problem, "cannot start any token"):
			last = e.Line
		}
		if line, col, ok := leadingTab(data, e.Line, last); ok {
			e.Line, e.Column = line, col
			problem = "a tab indents this line; YAML indents with spaces only"
		}
		e.Msg = "invalid YAML: " + problem
		return
	}
	if m := unknownAnchor.FindStringSubmatch(msg); m != nil {
		if i := bytes.Index(data, []byte("*"+m[1])); i >= 0 {
			e.Line, e.Column = position(data, i)
		}
		return
	}
	if i, ok := badCharacter(data); ok {
		e.Line, e.Column = position(data, i)
		return
	}
	// yaml.v3 leaves the line out when its 0-based line is 0.
	e.Line = 1
}

// lineBreak returns the length of the YAML line break at data[i:], or 0.
// YAML breaks lines at \n, \r\n, a lone \r, NEL, LS and PS, and so do its
// line numbers.
func lineBreak(data []byte, i int) int {
	rest := data[i:]
	switch {
	case bytes.HasPrefix(rest, []byte("\r\n")):
		return 2
	case len(rest) > 0 && (rest[0] == '\n' || rest[0] == '\r'):
		return 1
	case bytes.HasPrefix(rest, []byte("\u0085")):
		return 2
	case bytes.HasPrefix(rest, []byte("\u2028")), bytes.HasPrefix(rest, []byte("\u2029")):
		return 3
	}
	return 0
}

// leadingTab finds the first line from line from to line to (1-based,
// inclusive) whose indentation holds a tab, and the tab's column.
func leadingTab(data []byte, from, to int) (line, col int, found bool) {
	line, start, indent := 1, 0, true
	for i := 0; i < len(data) && line <= to; {
		if n := lineBreak(data, i); n > 0 {
			i += n
			line, start, indent = line+1, i, true
			continue
		}
		switch {
		case !indent || line < from:
		case data[i] == '\t':
			return line, utf8.RuneCount(data[start:i]) + 1, true
		case data[i] != ' ':
			indent = false
		}
		i++
	}
	return 0, 0, false
}

// lastLine is the number of the file's last line.
func lastLine(data []byte) int {
	line, _ := position(data, len(data))
	if len(data) > 0 && data[len(data)-1] == '\n' || len(data) > 0 && data[len(data)-1] == '\r' {
		line--
	}
	return max(line, 1)
}

// position turns a byte offset into a 1-based line and column (in runes).
func position(data []byte, off int) (line, col int) {
	line, start := 1, 0
	for i := 0; i < off; {
		if n := lineBreak(data, i); n > 0 {
			i += n
			line, start = line+1, i
			continue
		}
		i++
	}
	return line, utf8.RuneCount(data[start:min(off, len(data))]) + 1
}

// badCharacter finds the first byte YAML does not allow: invalid UTF-8 or a
// control character other than tab and line breaks.
func badCharacter(data []byte) (int, bool) {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size <= 1,
			r < 0x20 && r != '\t' && r != '\n' && r != '\r',
			r >= 0x7f && r < 0xa0 && r != 0x85,
			r >= 0xd800 && r < 0xe000, r == 0xfffe, r == 0xffff:
			return i, true
		}
		i += size
	}
	return 0, false
}
