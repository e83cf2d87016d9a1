package app

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every console this command starts leaves bubbletea's own signal handler
// out. With it, a SIGTERM reached both bubbletea's handler and our own
// (the context that kills the program, or prog.Quit), and the quit the
// handler sends — which the ended program never reads — held up the
// program's shutdown for ever: the console, the day console and a watcher
// each stayed behind, a fault still in place for the first two (about 1
// process in 3, by hand; the e2e TestConsoleSIGTERM and
// TestDayConsoleSIGTERM catch it only sometimes, so this holds the cause).
func TestProgramsLeaveOutBubbleteaSignalHandler(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	programs := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || !isSel(call.Fun, "tea", "NewProgram") {
				return true
			}
			programs++
			for _, a := range call.Args {
				if c, ok := a.(*ast.CallExpr); ok && isSel(c.Fun, "tea", "WithoutSignalHandler") {
					return true
				}
			}
			t.Errorf("%s: tea.NewProgram without tea.WithoutSignalHandler()", fset.Position(call.Pos()))
			return true
		})
	}
	if programs < 4 { // the console, the day console, a watcher, SSH
		t.Errorf("found %d tea.NewProgram calls, want the 4 consoles at least: is the test reading the right files?", programs)
	}
}

func isSel(e ast.Expr, pkg, name string) bool {
	s, ok := e.(*ast.SelectorExpr)
	if !ok || s.Sel.Name != name {
		return false
	}
	id, ok := s.X.(*ast.Ident)
	return ok && id.Name == pkg
}
