package tui

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/gameday-tui/gameday/engine"
)

// usedKeys parses the package's sources (tests excluded) and returns every
// catalog key passed to printer.S, with where. A key must be a string
// literal at the call, so that this finds it; a call that passes anything
// else is an error.
func usedKeys(t *testing.T) map[string][]string {
	t.Helper()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	used := map[string][]string{}
	fset := token.NewFileSet()
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "S" {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				t.Errorf("%s: S(…) takes a key that is not a string literal: the catalog test cannot see it", fset.Position(call.Pos()))
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

// TestCatalogComplete holds the catalog and the console to each other:
// every key the console uses is in the catalog, in English and in
// Japanese; the two take the same arguments; every key of the catalog is
// used; every key starts with "ui." (the prefix that keeps it apart from
// the report's keys when the two catalogs become one).
func TestCatalogComplete(t *testing.T) {
	used := usedKeys(t)
	if len(used) < 100 {
		t.Fatalf("found only %d keys in use: is the scan broken?", len(used))
	}
	defined := map[string]bool{}
	for _, m := range messages() {
		switch {
		case defined[m.key]:
			t.Errorf("%s: defined twice", m.key)
		case !strings.HasPrefix(m.key, "ui."):
			t.Errorf("%s: a console key starts with ui.", m.key)
		case strings.HasPrefix(m.key, "ui.sep."):
			// A separator may be a space.
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

// A key the catalog holds prints in each language; one it does not hold
// prints as itself (what the test above keeps from happening).
func TestPrinterLanguages(t *testing.T) {
	t.Parallel()
	for lang, want := range map[engine.Lang]string{engine.English: "Timeline", engine.Japanese: "タイムライン", "": "Timeline", "fr": "Timeline"} {
		if got := newPrinter(lang).S("ui.timeline.title"); got != want {
			t.Errorf("%q: ui.timeline.title = %q, want %q", lang, got, want)
		}
	}
	if got := newPrinter(engine.English).S("ui.no.such.key"); got != "ui.no.such.key" {
		t.Errorf("a missing key printed %q", got)
	}
	en, ja := newPrinter(engine.English), newPrinter(engine.Japanese)
	if got := en.S("ui.card.targets", 1); got != "1 target" {
		t.Errorf("singular: %q", got)
	}
	if got := en.S("ui.card.targets", 3); got != "3 targets" {
		t.Errorf("plural: %q", got)
	}
	if got := ja.S("ui.card.targets", 3); got != "3 件" {
		t.Errorf("Japanese count: %q", got)
	}
	if got := ja.S("ui.answer.notYetIn", "f1 latency", "0:10"); got != "障害は障害フェーズから (あと 0:10)。f1 latency は待機中。" {
		t.Errorf("reordered arguments: %q", got)
	}
}

// TestJapaneseLinesUp: in Japanese, every line of every console screen
// fills its width exactly, by display cells, at both golden sizes.
func TestJapaneseLinesUp(t *testing.T) {
	for _, sz := range sizes {
		cfg := testConfig(nil, sz.w, sz.h, t0.Add(75*time.Second))
		cfg.Lang = engine.Japanese
		p := latencyPlan()
		run := newFakeRun(t, activeSnap(p))
		m := New(cfg)
		views := map[string]string{"picker": m.View()}
		m, _ = step(t, m, startedMsg{plan: p, run: run})
		m, _ = step(t, m, snapshotMsg{gen: m.gen, snap: activeSnap(p)})
		views["console"] = m.View()
		m, _ = step(t, m, keyMsg("?"))
		views["help"] = m.View()
		for name, v := range views {
			lines := strings.Split(ansi.Strip(v), "\n")
			if len(lines) != sz.h {
				t.Errorf("%s at %dx%d: %d lines", name, sz.w, sz.h, len(lines))
			}
			for i, l := range lines {
				if w := ansi.StringWidth(l); w != sz.w {
					t.Errorf("%s at %dx%d: line %d is %d cells: %q", name, sz.w, sz.h, i+1, w, l)
				}
			}
		}
	}
}
