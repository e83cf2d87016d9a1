package providers_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportRule checks the one-way import rule of docs/architecture.md:
// cmd → tui → engine → scenarios → providers, cmd → share → engine (share
// knows no console), and each providers/<x> imports only providers.
func TestImportRule(t *testing.T) {
	const mod = "github.com/gameday-tui/gameday/"
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}:{{join .Imports " "}}`, mod+"...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	// allowed[pkg] lists the project packages pkg may import (prefix match
	// on providers/ for none: a backend may not import another).
	allowed := map[string][]string{
		"providers": {},
		"scenarios": {"providers"},
		"engine":    {"providers", "scenarios"},
		"tui":       {"providers", "scenarios", "engine"},
		"share":     {"providers", "scenarios", "engine"},
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, ":")
		pkg = strings.TrimPrefix(pkg, mod)
		rule, ok := allowed[pkg]
		if strings.HasPrefix(pkg, "providers/") {
			rule, ok = []string{"providers"}, true
		}
		if !ok {
			continue // cmd, internal, e2e may import anything of ours
		}
		checked++
		for _, imp := range strings.Fields(imports) {
			if !strings.HasPrefix(imp, mod) {
				continue
			}
			imp = strings.TrimPrefix(imp, mod)
			permitted := false
			for _, a := range rule {
				permitted = permitted || imp == a
			}
			if !permitted {
				t.Errorf("%s imports %s: against the import rule (docs/architecture.md)", pkg, imp)
			}
		}
	}
	if checked < 6 {
		t.Fatalf("checked only %d packages; go list output:\n%s", checked, out)
	}
}
