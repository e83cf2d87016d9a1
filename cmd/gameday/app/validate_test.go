package app

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gameday-tui/gameday/scenarios"
)

// execScenarioCmd runs `gameday args...` in-process with stdin and returns
// stdout, stderr and the exit code Main would return.
func execScenarioCmd(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.Execute()
	code := ExitOK
	if err != nil {
		code = ExitInvalid
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
		}
		errOut.WriteString("gameday: " + err.Error() + "\n")
	}
	return out.String(), errOut.String(), code
}

// shippedSource returns the text of a shipped scenario, for tests that
// need a valid file to start from.
func shippedSource(t *testing.T, name string) string {
	t.Helper()
	for _, f := range scenarios.ShippedFiles() {
		if f.Path == scenarios.EmbeddedPrefix+"sandbox/"+name {
			return string(f.Data)
		}
	}
	t.Fatalf("no shipped scenario %s", name)
	return ""
}

func writeScenario(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestValidateValidFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yml")
	writeScenario(t, a, shippedSource(t, "latency.yaml"))
	writeScenario(t, b, shippedSource(t, "instance-stop.yaml"))
	out, errOut, code := execScenarioCmd(t, "", "validate", a, b)
	if code != ExitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	want := "ok  " + a + "  (Latency injection (500 ms))\nok  " + b + "  (Random instance stop)\n"
	if out != want {
		t.Errorf("stdout = %q, want %q", out, want)
	}
}

func TestValidateReportsEveryMistake(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good.yaml"), filepath.Join(dir, "bad.yaml")
	writeScenario(t, good, shippedSource(t, "cpu-spike.yaml"))
	src := shippedSource(t, "instance-stop.yaml")
	src = strings.Replace(src, "percent: 10 }", "percent: 150 }", 1)
	src = strings.Replace(src, "baseline: 30s", "baseline: thirty", 1)
	writeScenario(t, bad, src)
	missing := filepath.Join(dir, "missing.yaml")

	out, errOut, code := execScenarioCmd(t, "", "validate", good, bad, missing)
	if code != ExitInvalid {
		t.Errorf("exit %d, want %d", code, ExitInvalid)
	}
	if out != "ok  "+good+"  (CPU spike)\n" {
		t.Errorf("stdout = %q, want only the valid file", out)
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	if len(lines) != 4 {
		t.Fatalf("stderr has %d lines, want 2 mistakes, the missing file and the summary:\n%s", len(lines), errOut)
	}
	baseline, percent := lineOf(t, src, "baseline: thirty"), lineOf(t, src, "percent: 150")
	if !strings.HasPrefix(lines[0], fmt.Sprintf("%s:%d:21: ", bad, baseline)) || !strings.Contains(lines[0], `got "thirty"`) {
		t.Errorf("first mistake = %q, want the baseline at %d:21", lines[0], baseline)
	}
	if !strings.HasPrefix(lines[1], fmt.Sprintf("%s:%d:27: ", bad, percent)) || !strings.Contains(lines[1], "percent must be in (0, 100], got 150") {
		t.Errorf("second mistake = %q, want the percent at %d:27", lines[1], percent)
	}
	if !strings.Contains(lines[2], missing) || !strings.Contains(lines[2], "no such file") {
		t.Errorf("missing file line = %q", lines[2])
	}
	if lines[3] != "gameday: 2 of 3 scenario files are invalid" {
		t.Errorf("summary = %q", lines[3])
	}
}

// lineOf returns the 1-based line of the only occurrence of sub in src.
func lineOf(t *testing.T, src, sub string) int {
	t.Helper()
	if strings.Count(src, sub) != 1 {
		t.Fatalf("%q does not occur exactly once", sub)
	}
	return strings.Count(src[:strings.Index(src, sub)], "\n") + 1
}

func TestValidateStdinAndUsage(t *testing.T) {
	t.Parallel()
	out, _, code := execScenarioCmd(t, shippedSource(t, "dependency-outage.yaml"), "validate", "-")
	if code != ExitOK || out != "ok  -  (Dependency outage)\n" {
		t.Errorf("validate - = %d %q", code, out)
	}
	_, errOut, code := execScenarioCmd(t, "title: [", "validate", "-")
	if code != ExitInvalid || !strings.Contains(errOut, "<stdin>:1: invalid YAML") {
		t.Errorf("validate - of bad YAML = %d %q", code, errOut)
	}
	_, errOut, code = execScenarioCmd(t, "", "validate")
	if code != ExitInvalid || !strings.Contains(errOut, "usage: gameday validate FILE...") || !strings.Contains(errOut, "example:") {
		t.Errorf("validate without files = %d %q", code, errOut)
	}
}
