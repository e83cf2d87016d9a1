package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/scenarios"
)

// The journals of the history fixture, and its goldens: the engine's
// tests write both (engine/testdata/history*). The command must print
// exactly those goldens from those journals: what a user sees is the
// engine's rendering, with nothing added on standard output.
var (
	historyFixtureDir = filepath.Join("..", "..", "..", "engine", "testdata", "history")
	historyGoldenDir  = filepath.Join("..", "..", "..", "engine", "testdata")
)

func readGolden(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(historyGoldenDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// copyFile copies a fixture journal into dir.
func copyFile(t *testing.T, from, dir string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, filepath.Base(from)), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// `gameday history` over the fixture — a state directory holding one of
// the runs, and the rest (that run again among them) in a --dir of CI
// artifacts — prints the trend table, in English and in Japanese, and
// --markdown writes the markdown with its charts beside it: the goldens.
// The k6 summary among the artifacts is skipped with a line on stderr;
// the torn journal is read without one; the run found twice counts once.
func TestHistoryCommandGoldens(t *testing.T) {
	state := t.TempDir()
	t.Setenv("GAMEDAY_STATE_DIR", state)
	copyFile(t, filepath.Join(historyFixtureDir, "20250329T140000.000Z-random-instance-stop.jsonl"), filepath.Join(state, "journals"))
	zones := map[engine.Lang]*time.Location{engine.English: time.FixedZone("CET", 3600), engine.Japanese: time.FixedZone("JST", 9*3600)}
	for _, lang := range engine.Langs() {
		t.Run(string(lang), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			o := historyOptions{dirs: []string{historyFixtureDir}, lang: lang, loc: zones[lang]}
			if err := runHistory(&stdout, &stderr, o); err != nil {
				t.Fatal(err)
			}
			if want := readGolden(t, "history."+string(lang)+".golden"); stdout.String() != want {
				t.Errorf("gameday history differs from the golden:\n%s", stdout.String())
			}
			if got := stderr.String(); !strings.Contains(got, "gameday: skipped: ") || !strings.Contains(got, "k6-summary.jsonl is not a gameday journal") || strings.Count(got, "\n") != 1 {
				t.Errorf("stderr: %q", got)
			}

			out := filepath.Join(t.TempDir(), "review.md")
			o.markdown = out
			stdout.Reset()
			stderr.Reset()
			if err := runHistory(&stdout, &stderr, o); err != nil {
				t.Fatal(err)
			}
			md, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if want := readGolden(t, "history."+string(lang)+".md.golden"); string(md) != want {
				t.Errorf("--markdown differs from the golden:\n%s", md)
			}
			if stdout.Len() != 0 || !strings.Contains(stderr.String(), "history: "+out) {
				t.Errorf("--markdown: stdout %q, stderr %q", stdout.String(), stderr.String())
			}
			// Every chart the markdown links is beside it; the p95 chart
			// of the instance stop is the SVG golden (drawn in CET).
			for _, name := range []string{"instance-stop-detect", "instance-stop-recover", "instance-stop-p95", "instance-stop-error-rate", "checkout-latency-step"} {
				svg, err := os.ReadFile(filepath.Join(filepath.Dir(out), "review-"+name+".svg"))
				if err != nil {
					t.Errorf("chart %s: %v", name, err)
					continue
				}
				if name == "instance-stop-p95" && lang == engine.English && string(svg) != readGolden(t, "history-chart-p95.svg.golden") {
					t.Error("the p95 chart differs from the golden")
				}
			}
		})
	}
}

// SCENARIO picks one scenario by its name or its title; the exit codes
// are those the help documents.
func TestHistoryCommandExitCodes(t *testing.T) {
	state := t.TempDir()
	t.Setenv("GAMEDAY_STATE_DIR", state)
	ctx := context.Background()
	onlyDry := t.TempDir()
	copyFile(t, filepath.Join(historyFixtureDir, "20250402T140000.000Z-random-instance-stop.jsonl"), onlyDry)
	notJournal := t.TempDir()
	copyFile(t, filepath.Join(historyFixtureDir, "ci", "run-4412", "k6-summary.jsonl"), notJournal)
	cases := map[string]struct {
		args     []string
		code     int
		stdout   []string // each in stdout
		unwanted []string // none in stdout
		stderr   string
	}{
		"a scenario by name": {
			args: []string{"history", "checkout-latency", "--dir", historyFixtureDir}, code: ExitOK,
			stdout: []string{"Checkout latency ladder — checkout-latency (sandbox): 3 runs"}, unwanted: []string{"instance-stop"},
		},
		"a scenario by its Japanese title": {
			args: []string{"history", "ランダムなインスタンス停止", "--dir", historyFixtureDir, "--lang", "ja"}, code: ExitOK,
			stdout: []string{"ランダムなインスタンス停止 — instance-stop（sandbox）: 実行 6 回"}, unwanted: []string{"checkout"},
		},
		"dry runs on demand": {
			args: []string{"history", "instance-stop", "--dir", historyFixtureDir, "--dry-runs"}, code: ExitOK,
			stdout: []string{"✅ HELD (dry run)", "7 runs"},
		},
		"no such scenario": {
			args: []string{"history", "latency", "--dir", historyFixtureDir}, code: ExitInvalid,
			stderr: `no run of "latency" in the 10 journal(s) read`,
		},
		"only a dry run": {
			args: []string{"history", "--dir", onlyDry}, code: ExitInvalid,
			stderr: "no run in the 1 journal(s) read (1 dry run(s) left out; --dry-runs shows them)",
		},
		"nothing that is a journal": {
			args: []string{"history", "--dir", notJournal}, code: ExitInvalid,
			stderr: "no journal found in",
		},
		"no journals at all": {
			args: []string{"history"}, code: ExitInvalid,
			stderr: "no journal found in " + filepath.Join(state, "journals"),
		},
		"a --dir that is not a directory": {
			args: []string{"history", "--dir", filepath.Join(historyFixtureDir, "20250402T140000.000Z-random-instance-stop.jsonl")}, code: ExitInvalid,
			stderr: "not a directory",
		},
		"an unknown language": {
			args: []string{"history", "--dir", historyFixtureDir, "--lang", "fr"}, code: ExitInvalid,
			stderr: "--lang",
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			out, errOut, code := execRoot(ctx, c.args...)
			if code != c.code {
				t.Errorf("exit %d, want %d; stderr %q", code, c.code, errOut)
			}
			for _, w := range c.stdout {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range c.unwanted {
				if strings.Contains(out, w) {
					t.Errorf("stdout holds %q:\n%s", w, out)
				}
			}
			if !strings.Contains(errOut, c.stderr) {
				t.Errorf("stderr %q lacks %q", errOut, c.stderr)
			}
		})
	}
}

// `gameday history --help` shows an example.
func TestHistoryCommandHelp(t *testing.T) {
	out, _, code := execRoot(context.Background(), "history", "--help")
	if code != ExitOK || !strings.Contains(out, "gameday history --dir ./ci-artifacts --markdown review.md --lang ja") || !strings.Contains(out, "Exit codes") {
		t.Errorf("help (exit %d):\n%s", code, out)
	}
}

// The console's badge: when each plan's scenario last ran and how, from
// the state directory's journals — the shipped instance stop by its
// latest run that was not a dry run (it died: unfinished), the ladder by
// its latest, a scenario never run as such — and a journal written since
// shows once the index looks again.
func TestLastRuns(t *testing.T) {
	state := t.TempDir()
	t.Setenv("GAMEDAY_STATE_DIR", state)
	journals := filepath.Join(state, "journals")
	for _, name := range []string{
		"20250322T140000.000Z-random-instance-stop.jsonl",
		"20250402T140000.000Z-random-instance-stop.jsonl", // the dry run
		"20250405T140000.000Z-random-instance-stop.jsonl", // torn
		"20250303T090000.000Z-checkout-latency-ladder.jsonl",
	} {
		copyFile(t, filepath.Join(historyFixtureDir, name), journals)
	}
	now := time.Date(2025, 4, 12, 14, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	badge := lastRuns(engine.English, clock)
	plan := func(path, provider string) *scenarios.Plan {
		return &scenarios.Plan{Path: path, Target: scenarios.Target{Provider: provider}}
	}
	stop := plan("embedded:sandbox/instance-stop.yaml", "sandbox")
	for p, want := range map[*scenarios.Plan]string{
		stop: "⚠️ unfinished 7 days ago",
		plan("/home/sato/shop/scenarios/checkout-latency.yaml", "sandbox"): "❌ violated 40 days ago",
		plan("embedded:aws/instance-stop.yaml", "aws"):                     "never run",
		plan("embedded:sandbox/latency.yaml", "sandbox"):                   "never run",
	} {
		if got := badge(p); got != want {
			t.Errorf("%s: %q, want %q", p.Path, got, want)
		}
	}
	copyFile(t, filepath.Join(historyFixtureDir, "ci", "run-4587", "20250331T090000.000Z-checkout-latency-ladder.jsonl"), journals)
	ladder := plan("scenarios/checkout-latency.yaml", "sandbox")
	if got := badge(ladder); got != "❌ violated 40 days ago" {
		t.Errorf("the directory was read again within a second: %q", got)
	}
	now = now.Add(2 * time.Second)
	if got := badge(ladder); got != "✅ held 12 days ago" {
		t.Errorf("after a new journal: %q", got)
	}
}

// Which files under a --dir are journals: every *.jsonl, recursively,
// but recover's sidecars; a link to a journal, not a link to a
// directory.
func TestJournalFiles(t *testing.T) {
	root, elsewhere := t.TempDir(), t.TempDir()
	for _, name := range []string{"a.jsonl", "a.jsonl.recover.jsonl", "notes.txt", "run-1/b.jsonl", "run-1/deeper/c.jsonl"} {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("{}\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(elsewhere, "x.jsonl"), []byte("{}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(elsewhere, "x.jsonl"), filepath.Join(root, "link.jsonl")); err != nil {
		t.Skipf("no symbolic links: %v", err)
	}
	if err := os.Symlink(elsewhere, filepath.Join(root, "linked-dir")); err != nil {
		t.Fatal(err)
	}
	files, errs := journalFiles(root)
	var got []string
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		got = append(got, filepath.ToSlash(rel))
	}
	want := []string{"a.jsonl", "link.jsonl", "run-1/b.jsonl", "run-1/deeper/c.jsonl"}
	if strings.Join(got, " ") != strings.Join(want, " ") || len(errs) != 0 {
		t.Errorf("journals %q (errors %v), want %q", got, errs, want)
	}
	if files, errs := journalFiles(filepath.Join(root, "missing")); len(files) != 0 || len(errs) != 0 {
		t.Errorf("a directory that does not exist: %q, %v", files, errs)
	}
}
