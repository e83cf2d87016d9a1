package app

import (
	"github.com/gameday-tui/gameday/scenarios"

	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
)

// listEnv makes list see only what a test puts in place: an empty working
// directory and user config directory. It changes the process's working
// directory, so tests using it must not be parallel.
func listEnv(t *testing.T) (cwd, config string) {
	t.Helper()
	cwd = t.TempDir()
	config = filepath.Join(t.TempDir(), "config")
	t.Chdir(cwd)
	t.Setenv("XDG_CONFIG_HOME", config)
	return cwd, filepath.Join(config, "gameday", "scenarios")
}

func TestListShippedOnly(t *testing.T) {
	listEnv(t)
	out, errOut, code := execScenarioCmd(t, "", "list")
	if code != ExitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	shipped := len(scenarios.ShippedFiles())
	if len(lines) != shipped+1 {
		t.Fatalf("%d lines, want a header and %d scenarios:\n%s", len(lines), shipped, out)
	}
	if !strings.HasPrefix(lines[0], "NAME ") || !strings.Contains(lines[0], "TITLE") || !strings.Contains(lines[0], "PROVIDER") || !strings.HasSuffix(lines[0], "PATH") {
		t.Errorf("header = %q", lines[0])
	}
	// The sandbox's come first, each under the name gameday run takes.
	if !strings.HasPrefix(lines[1], "cpu-spike ") || !strings.Contains(out, "\naws/latency ") || !strings.Contains(out, "\nkubernetes/latency ") {
		t.Errorf("names: first row %q;\n%s", lines[1], out)
	}
	for _, want := range []string{"Random instance stop", "instance-stop", "embedded:sandbox/instance-stop.yaml", "dependency-outage"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
	checkAligned(t, lines)
}

func TestListUserScenariosInAnyScript(t *testing.T) {
	cwd, config := listEnv(t)
	extra := t.TempDir()
	base := shippedSource(t, "latency.yaml")
	writeScenario(t, filepath.Join(cwd, "scenarios", "jp.yaml"), strings.Replace(base, "title: Latency injection (500 ms)", "title: 遅延注入テスト", 1))
	writeScenario(t, filepath.Join(extra, "mixed.yml"), strings.Replace(base, "title: Latency injection (500 ms)", "title: DB 切替 (mixed)", 1))
	writeScenario(t, filepath.Join(extra, "escape.yml"), strings.Replace(base, "title: Latency injection (500 ms)", "title: \"DB 切替 \\e[2J\"", 1))
	bad := strings.Replace(base, "delay: 500ms", "delai: 500ms", 1)
	writeScenario(t, filepath.Join(config, "bad.yaml"), bad)
	writeScenario(t, filepath.Join(config, "README.md"), "not a scenario")

	out, errOut, code := execScenarioCmd(t, "", "list", "--scenarios", extra)
	if code != ExitInvalid {
		t.Errorf("exit %d, want %d for an invalid user file", code, ExitInvalid)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	shipped := len(scenarios.ShippedFiles())
	if len(lines) != shipped+3 {
		t.Fatalf("%d lines, want a header, %d shipped and 2 user scenarios:\n%s", len(lines), shipped, out)
	}
	jp, mixed := lines[shipped+1], lines[shipped+2]
	if !strings.HasPrefix(jp, "jp ") || !strings.Contains(jp, " 遅延注入テスト ") || !strings.HasSuffix(jp, filepath.Join("scenarios", "jp.yaml")) {
		t.Errorf("./scenarios row = %q", jp)
	}
	if !strings.Contains(mixed, " DB 切替 (mixed) ") {
		t.Errorf("--scenarios row = %q", mixed)
	}
	if !strings.Contains(errOut, filepath.Join(extra, "escape.yml")+":2:8: title holds an escape character") || strings.Contains(out+errOut, "\x1b") {
		t.Errorf("a control character in a title was not refused, or reached the terminal:\n%s", errOut)
	}
	checkAligned(t, lines)
	badPath := filepath.Join(config, "bad.yaml")
	if !strings.Contains(errOut, badPath+":") || !strings.Contains(errOut, `unknown field "delai" in params; did you mean "delay"?`) {
		t.Errorf("stderr does not name the bad file's mistake:\n%s", errOut)
	}
	if !strings.Contains(errOut, "gameday: 2 scenario files could not be loaded") {
		t.Errorf("stderr lacks the summary:\n%s", errOut)
	}
}

func TestListMissingScenariosDir(t *testing.T) {
	listEnv(t)
	_, errOut, code := execScenarioCmd(t, "", "list", "--scenarios", "no-such-dir")
	if code != ExitInvalid || !strings.Contains(errOut, "--scenarios no-such-dir") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

// checkAligned asserts that every column starts at the same terminal cell
// on every line, measuring cells with lipgloss.Width (CJK runes take two).
func checkAligned(t *testing.T, lines []string) {
	t.Helper()
	header := lines[0]
	var starts []int
	for _, name := range []string{"TITLE", "PROVIDER", "FAULTS", "PATH"} {
		starts = append(starts, lipgloss.Width(header[:strings.Index(header, name)]))
	}
	for _, line := range lines[1:] {
		// Columns are separated by at least two spaces and cells hold none
		// in a row, so splitting on "  " and skipping padding finds them.
		var cells []string
		for _, c := range strings.Split(line, "  ") {
			if c = strings.TrimLeft(c, " "); c != "" {
				cells = append(cells, c)
			}
		}
		if len(cells) != 5 {
			t.Errorf("row %q has %d cells, want 5", line, len(cells))
			continue
		}
		for i, cell := range cells[1:] {
			idx := strings.LastIndex(line, "  "+cell) + 2
			if got := lipgloss.Width(line[:idx]); got != starts[i] {
				t.Errorf("row %q: column %d starts at cell %d, header at %d", line, i+2, got, starts[i])
			}
		}
	}
}

func TestListRowsHaveNoTrailingSpace(t *testing.T) {
	listEnv(t)
	out, _, _ := execScenarioCmd(t, "", "list")
	for _, line := range strings.Split(out, "\n") {
		if strings.HasSuffix(line, " ") {
			t.Errorf("trailing space in %q", line)
		}
	}
	if _, err := os.Stat("scenarios"); err == nil {
		t.Error("list created ./scenarios")
	}
}
