package scenarios_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gameday-tui/gameday/scenarios"
)

// hostile is what the loader must say about each file of the hostile-input
// corpus (testdata/hostile, plus a FIFO and a file over the size limit
// that the test makes): an error at line:col (col 0: the line alone)
// whose message holds want. scripts/hostile-input.sh runs the same corpus
// through the binary.
var hostile = map[string]struct {
	line, col int
	want      string
}{
	"bom-mid-file.yaml":            {2, 1, "holds a byte order mark (U+FEFF), which belongs only at the very start of a file"},
	"comments-only.yaml":           {1, 1, "the file is empty but for comments"},
	"count-1000000.yaml":           {12, 25, "a selection count of 1000000 is beyond 10000"},
	"cpu-over-limits.yaml":         {17, 24, "burn 2.5 cores together"},
	"crlf-rate-1e9.yaml":           {6, 15, "load rate of 1e+09 requests per second is beyond"},
	"deep-nesting.yaml":            {4, 0, "invalid YAML: exceeded max depth of 10000"},
	"delay-9999h.yaml":             {12, 22, "a delay of 9999h0m0s is beyond 1h"},
	"empty.yaml":                   {1, 1, "the file is empty;"},
	"environment-nul.yaml":         {5, 55, "environment holds the control character U+0000"},
	"faults-1000.yaml":             {11, 3, "the plan has 1000 faults; at most 50"},
	"faults-by-alias.yaml":         {11, 3, "the plan has 201 faults; at most 50"},
	"hypothesis-window-title.yaml": {2, 13, "hypothesis holds an escape character"},
	"invalid-utf8.yaml":            {1, 16, "invalid YAML: invalid trailing UTF-8 octet"},
	"jitter-9999h.yaml":            {12, 34, "a jitter of 9999h0m0s is beyond 1h"},
	"key-escape-codes.yaml":        {8, 3, `unknown metric "\x1b[2Jerror_rate"`},
	"memory-99999999.yaml":         {13, 26, "memory_mb of 99999999 is beyond 65536"},
	"memory-over-limits.yaml":      {17, 26, "hold 1100 MB together"},
	"merge-bomb.yaml":              {5, 80, "too many entries (aliases and merge keys expand to more than 100000)"},
	"name-osc8-link.yaml":          {5, 36, "name holds an escape character"},
	"nul-byte.yaml":                {1, 15, "invalid YAML: control characters are not allowed"},
	"path-backslash.yaml":          {6, 26, "holds a backslash"},
	"path-double-encoded.yaml":     {6, 26, "holds a percent-encoded . or .. segment"},
	"path-encoded-nul.yaml":        {6, 26, "holds a percent-encoded control character"},
	"path-encoded-traversal.yaml":  {6, 26, "holds a percent-encoded . or .. segment"},
	"path-other-host.yaml":         {6, 26, "holds an empty segment (//); at the start it names another host"},
	"path-traversal.yaml":          {6, 26, `load path "/../../etc/passwd" holds a . or .. segment`},
	"phase-9999h.yaml":             {9, 33, "the fault phase lasts 9999h0m0s; a phase lasts at most 12h"},
	"rate-1e9.yaml":                {6, 15, "load rate of 1e+09 requests per second is beyond the built-in load generator's 100000"},
	"rate-infinite.yaml":           {6, 15, `rate: expected a number, got "1e400"`},
	"run-over-a-day.yaml":          {9, 9, "the phases last 36h0m0s together; a run lasts at most 24h"},
	"second-documents.yaml":        {13, 1, "a second YAML document starts here"},
	"self-alias.yaml":              {5, 36, "name: expected text, got a list"},
	"stop-conditions-100.yaml":     {14, 3, "the plan has 100 stop conditions; at most 20"},
	"stop-for-9999h.yaml":          {14, 45, "for 9999h0m0s is longer than a run may last (24h)"},
	"tab-indented.yaml":            {8, 1, "a tab indents this line"},
	"timeout-9999h.yaml":           {6, 49, "load timeout of 9999h0m0s is beyond 1m0s"},
	"title-c1-csi.yaml":            {1, 8, "title holds a CSI character (U+009B"},
	"title-carriage-return.yaml":   {1, 8, "title holds a carriage return"},
	"title-escape-codes.yaml":      {1, 8, "title holds an escape character"},
	"title-too-long.yaml":          {1, 8, "title is 419 characters long; at most 200"},
	"unknown-provider.yaml":        {5, 21, `unknown provider "aws\x1b[2J"`},
	"url-traversal.yaml":           {6, 25, "its path holds a . or .. segment"},
	"utf16-escape-codes.yaml":      {1, 8, "title holds an escape character"},
	"workers-100000.yaml":          {13, 24, "100000 workers is beyond 64 per target"},
	"yaml-bomb.yaml":               {4, 11, "rollback: expected text, got a list"},
	// Made by the test.
	"pipe.yaml":      {0, 0, "it is a named pipe (FIFO)"},
	"too-big.yaml":   {2, scenarios.MaxFileSize - len("title: Too big\n") + 1, "the file goes past 1048576 bytes here"},
	"directory.yaml": {0, 0, "it is a directory"},
}

// TestHostileInput loads every file of the hostile-input corpus as run and
// validate do: each must be refused — no plan — with a position and a
// message naming the problem, rendered without a raw control character,
// quickly, and without a panic.
func TestHostileInput(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "hostile", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	made := t.TempDir()
	big := filepath.Join(made, "too-big.yaml")
	if err := os.WriteFile(big, []byte("title: Too big\n# "+strings.Repeat("x", scenarios.MaxFileSize)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(made, "directory.yaml")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	files = append(files, big, dir)
	fifo := filepath.Join(made, "pipe.yaml")
	fifoMade := mkfifo(fifo) == nil
	if fifoMade {
		files = append(files, fifo)
	} else {
		t.Log("no named pipes here: the FIFO case is left out")
	}

	var names []string
	var slowest time.Duration
	var slowestName string
	for _, path := range files {
		name := filepath.Base(path)
		names = append(names, name)
		want, ok := hostile[name]
		if !ok {
			t.Errorf("%s is in the corpus but not in the table of what to expect", name)
			continue
		}
		start := time.Now()
		plan, err := loadNoPanic(t, path)
		took := time.Since(start)
		if took > slowest {
			slowest, slowestName = took, name
		}
		if took > 2*time.Second {
			t.Errorf("%s: the loader took %s", name, took)
		}
		if plan != nil || err == nil {
			t.Errorf("%s: accepted (plan %v, error %v)", name, plan != nil, err)
			continue
		}
		text := err.Error()
		if !utf8.ValidString(text) || strings.ContainsFunc(text, func(r rune) bool { return r < 0x20 && r != '\n' || r >= 0x7f && r < 0xa0 }) {
			t.Errorf("%s: the message carries a raw control character: %q", name, text)
		}
		if want.line == 0 {
			if !errors.Is(err, scenarios.ErrNotRegular) || !strings.Contains(text, want.want) {
				t.Errorf("%s: %v; want ErrNotRegular saying %q", name, err, want.want)
			}
			continue
		}
		var errs scenarios.Errors
		if !errors.As(err, &errs) {
			t.Errorf("%s: %v is not a scenario error with positions", name, err)
			continue
		}
		found := false
		for _, e := range errs {
			if e.Line < 1 {
				t.Errorf("%s: an error without a line: %v", name, e)
			}
			found = found || e.Line == want.line && e.Column == want.col && strings.Contains(e.Msg, want.want)
		}
		if !found {
			t.Errorf("%s: no error at %d:%d saying %q; got:\n%v", name, want.line, want.col, want.want, errs)
		}
	}
	for name := range hostile {
		if !slices.Contains(names, name) && (name != "pipe.yaml" || fifoMade) {
			t.Errorf("%s is in the table but not in the corpus", name)
		}
	}
	t.Logf("%d hostile files, all refused with a position; slowest %s (%s)", len(files), slowest.Round(time.Microsecond), slowestName)
}

// loadNoPanic is LoadFile, with a panic turned into a test failure.
func loadNoPanic(t *testing.T, path string) (plan *scenarios.Plan, err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: LoadFile panicked: %v", filepath.Base(path), r)
			err = errors.New("panic")
		}
	}()
	return scenarios.LoadFile(path, testOptions())
}
