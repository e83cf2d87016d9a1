package scenarios_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gameday-tui/gameday/scenarios"
)

// FuzzParse feeds arbitrary bytes to Parse. It must never panic, and its
// answer must be coherent: either a plan that passes Validate, or an
// *Errors with at least one positioned-or-explained mistake, never both.
// The corpus lives in testdata/fuzz/FuzzParse; run a pass with
//
//	go test -run '^$' -fuzz FuzzParse -fuzztime 30s ./scenarios
func FuzzParse(f *testing.F) {
	for _, file := range scenarios.ShippedFiles() {
		f.Add(file.Data)
	}
	f.Add([]byte(valid))
	hostile, _ := filepath.Glob(filepath.Join("testdata", "hostile", "*.yaml"))
	for _, name := range hostile {
		if data, err := os.ReadFile(name); err == nil && len(data) < 8<<10 {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := testOptions()
		p, err := scenarios.Parse("fuzz.yaml", data, opts)
		if err != nil {
			if p != nil {
				t.Fatalf("Parse returned a plan and an error: %v", err)
			}
			var errs scenarios.Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("Parse error %T is not a non-empty Errors: %v", err, err)
			}
			for _, e := range errs {
				if e.Msg == "" || e.Path != "fuzz.yaml" || e.Line < 0 || e.Column < 0 {
					t.Fatalf("malformed error %#v", e)
				}
				if e.Line > maxLines(data) {
					t.Fatalf("error on line %d of a file with at most %d lines: %v", e.Line, maxLines(data), e)
				}
			}
			return
		}
		if p == nil {
			t.Fatal("Parse returned neither a plan nor an error")
		}
		if err := p.Validate(opts); err != nil {
			t.Fatalf("Parse accepted a plan that does not validate: %v\n%s", err, data)
		}
		if p.Path != "fuzz.yaml" || len(p.Faults) == 0 || len(p.SteadyState) == 0 {
			t.Fatalf("incomplete plan: %+v", p)
		}
		again, err := scenarios.Parse("fuzz.yaml", data, opts)
		if err != nil || !reflect.DeepEqual(p, again) {
			t.Fatalf("Parse is not deterministic: %v", err)
		}
		// A shortened run of a valid plan is valid too.
		short := p.WithPhases(scenarios.Phases{Baseline: 1, Fault: 3, Recovery: 1})
		if err := short.Validate(opts); err != nil {
			t.Fatalf("WithPhases made an invalid plan: %v", err)
		}
	})
}

// maxLines bounds the number of lines in data as YAML counts them (it
// breaks lines at \n, \r, \r\n, NEL, LS and PS; \r\n counts twice here).
func maxLines(data []byte) int {
	n := 1
	for _, sep := range []string{"\n", "\r", "\u0085", "\u2028", "\u2029"} {
		n += strings.Count(string(data), sep)
	}
	return n
}
