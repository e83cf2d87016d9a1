package engine

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// keyCalls are the functions that take a catalog key as their first
// argument: say (a phrase), words.t and reportWriter.t, Printer.T.
var keyCalls = []string{"say", "t", "T"}

// passThrough are the functions that hand a key on: the key calls
// themselves, and words.phrase, which words a phrase's key.
var passThrough = append(slices.Clone(keyCalls), "phrase")

// usedKeys parses the Go sources (tests excluded) of dirs and returns
// every catalog key they use, with where. A key must be a string literal
// at the call, so that this finds it; only the wrappers themselves (a
// function named like a key call) may pass a key through. It reports a
// call that does otherwise.
func usedKeys(t *testing.T, dirs ...string) map[string][]string {
	t.Helper()
	used := map[string][]string{}
	fset := token.NewFileSet()
	for _, dir := range dirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, decl := range f.Decls {
				fn, ok := decl.(*ast.FuncDecl)
				if !ok || fn.Body == nil {
					continue
				}
				wrapper := slices.Contains(passThrough, fn.Name.Name)
				ast.Inspect(fn.Body, func(n ast.Node) bool {
					call, ok := n.(*ast.CallExpr)
					if !ok || len(call.Args) == 0 {
						return true
					}
					var name string
					switch f := call.Fun.(type) {
					case *ast.Ident:
						name = f.Name
					case *ast.SelectorExpr:
						name = f.Sel.Name
					}
					if !slices.Contains(keyCalls, name) {
						return true
					}
					lit, ok := call.Args[0].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						if !wrapper {
							t.Errorf("%s: %s(…) takes a key that is not a string literal: the catalog test cannot see it", fset.Position(call.Pos()), name)
						}
						return true
					}
					key, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatal(err)
					}
					used[key] = append(used[key], fset.Position(lit.Pos()).String())
					return true
				})
			}
		}
	}
	return used
}

// verbs lists the arguments a format uses, by 1-based index, with the verb
// each is formatted with ("1s 2d").
func verbs(format string) []string {
	var out []string
	arg := 1
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		i++
		if i < len(format) && format[i] == '%' {
			continue
		}
		for i < len(format) && strings.IndexByte("+-# 0123456789.", format[i]) >= 0 {
			i++
		}
		if i < len(format) && format[i] == '[' {
			end := strings.IndexByte(format[i:], ']')
			if end < 0 {
				return append(out, "bad index")
			}
			n, err := strconv.Atoi(format[i+1 : i+end])
			if err != nil {
				return append(out, "bad index")
			}
			arg, i = n, i+end+1
		}
		if i >= len(format) {
			return append(out, "dangling %")
		}
		v := strconv.Itoa(arg) + string(format[i])
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
		arg++
	}
	slices.Sort(out)
	return out
}

// TestCatalogComplete holds the catalog and its users to each other: every
// key the engine (and the console, once it words its labels) uses is in
// the catalog with both languages, the two take the same arguments, and
// every key of the catalog is used.
func TestCatalogComplete(t *testing.T) {
	dirs := []string{"."}
	if _, err := os.Stat("../tui"); err == nil {
		dirs = append(dirs, "../tui")
	}
	used := usedKeys(t, dirs...)
	if len(used) < 100 {
		t.Fatalf("found only %d keys in use: is the scan broken?", len(used))
	}
	defined := map[string]bool{}
	for _, m := range messages() {
		switch {
		case defined[m.key]:
			t.Errorf("%s: defined twice", m.key)
		case strings.HasPrefix(m.key, "sep."):
			// A separator may be a space, or nothing ("1分30秒").
		case strings.TrimSpace(m.en) == "":
			t.Errorf("%s: no English", m.key)
		case strings.TrimSpace(m.ja) == "":
			t.Errorf("%s: no Japanese", m.key)
		}
		defined[m.key] = true
		want := verbs(m.en)
		if got := verbs(m.ja); !slices.Equal(got, want) {
			t.Errorf("%s: Japanese takes %v, English %v", m.key, got, want)
		}
		if m.one != "" {
			if got := verbs(m.one); !slices.Equal(got, want) {
				t.Errorf("%s: the English singular takes %v, the plural %v", m.key, got, want)
			}
			if !slices.Contains(want, strconv.Itoa(m.count)+"d") {
				t.Errorf("%s: the plural counts argument %d, which is not a %%d of %v", m.key, m.count, want)
			}
		}
		if _, ok := used[m.key]; !ok {
			t.Errorf("%s: in the catalog but used nowhere", m.key)
		}
	}
	for key, where := range used {
		if !defined[key] {
			t.Errorf("%s: used at %s but not in the catalog", key, strings.Join(where, ", "))
		}
	}
}

// A key the catalog does not hold prints as itself, which is what the test
// above keeps from happening; a key it holds prints in each language.
func TestPrinterLanguages(t *testing.T) {
	t.Parallel()
	for lang, want := range map[Lang]string{English: "## Timeline", Japanese: "## タイムライン"} {
		if got := NewPrinter(lang).T("h.timeline"); got != want {
			t.Errorf("%s: h.timeline = %q, want %q", lang, got, want)
		}
	}
	if got := NewPrinter(English).T("no.such.key"); got != "no.such.key" {
		t.Errorf("a missing key printed %q", got)
	}
	en, ja := NewPrinter(English), NewPrinter(Japanese)
	if got := en.T("sel.count", 1); got != "1 target" {
		t.Errorf("singular: %q", got)
	}
	if got := en.T("sel.count", 3); got != "3 targets" {
		t.Errorf("plural: %q", got)
	}
	if got := ja.T("sel.count", 3); got != "3 件" {
		t.Errorf("Japanese count: %q", got)
	}
}

func TestParseLang(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Lang{"": English, "en": English, "EN": English, "en-US": English, "ja": Japanese, "ja-JP": Japanese, "japanese": Japanese, "日本語": Japanese} {
		if got, err := ParseLang(in); err != nil || got != want {
			t.Errorf("ParseLang(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"fr", "jp", "klingon"} {
		if _, err := ParseLang(bad); err == nil {
			t.Errorf("ParseLang(%q) succeeded", bad)
		}
	}
}
