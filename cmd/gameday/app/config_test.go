package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeConfig makes a config directory with config.yaml holding data and
// points XDG_CONFIG_HOME at it.
func writeConfig(t *testing.T, data string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "gameday", "config.yaml")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_CONFIG_HOME", dir)
	t.Setenv("GAMEDAY_CONFIG", "")
	return path
}

// Flags win over the environment, which wins over the config file, which
// wins over the default — shown by `gameday config` and by what a command
// does: the report's language.
func TestConfigPrecedence(t *testing.T) {
	t.Setenv("GAMEDAY_STATE_DIR", t.TempDir())
	path := writeConfig(t, "lang: ja\nscenarios: [~/gamedays, /srv/gamedays]\n")
	t.Setenv("GAMEDAY_LANG", "")
	ctx := context.Background()

	out, errOut, code := execRoot(ctx, "config")
	if code != ExitOK {
		t.Fatalf("config: exit %d, %s", code, errOut)
	}
	for _, want := range []string{"config file: " + path + " (read)", "lang        ja", "config file", "scenarios   ~/gamedays, /srv/gamedays"} {
		if !strings.Contains(out, want) {
			t.Errorf("gameday config lacks %q:\n%s", want, out)
		}
	}

	journal := crashedJournal(t, "20261129T100000Z-precedence.jsonl")
	report := func(args ...string) string {
		t.Helper()
		out, errOut, code := execRoot(ctx, append([]string{"report", journal}, args...)...)
		if code != ExitOK {
			t.Fatalf("report: exit %d, %s", code, errOut)
		}
		return out
	}
	const ja, en = "# ゲームデイ実験レポート", "# Game day report"
	if got := report(); !strings.HasPrefix(got, ja) {
		t.Errorf("the config file's lang: ja did not apply:\n%.80s", got)
	}
	t.Setenv("GAMEDAY_LANG", "en")
	if got := report(); !strings.HasPrefix(got, en) {
		t.Errorf("the environment did not win over the file:\n%.80s", got)
	}
	out, _, _ = execRoot(ctx, "config")
	if !strings.Contains(out, "environment ($GAMEDAY_LANG)") {
		t.Errorf("gameday config does not name the environment:\n%s", out)
	}
	if got := report("--lang", "ja"); !strings.HasPrefix(got, ja) {
		t.Errorf("the flag did not win over the environment:\n%.80s", got)
	}
}

// A bad config file is an error naming the file, the line and the key,
// and nothing runs.
func TestBadConfigStopsEverything(t *testing.T) {
	t.Setenv("GAMEDAY_STATE_DIR", t.TempDir())
	ctx := context.Background()
	for name, tc := range map[string]struct {
		data, want string
	}{
		"unknown key":   {"lang: ja\nlnag: en\n", `:2:1: unknown key "lnag"; did you mean "lang"?`},
		"bad language":  {"lang: fr\n", `:1:7: lang: "fr" is not a language gameday speaks`},
		"wrong type":    {"lang: { en: yes }\n", ":1:7: lang: expected text"},
		"not a mapping": {"- lang\n", ":1:1: the config file is a mapping of settings"},
		"bad yaml":      {"lang: [ja\n", "config "},
	} {
		t.Run(name, func(t *testing.T) {
			path := writeConfig(t, tc.data)
			_, errOut, code := execRoot(ctx, "list")
			if code != ExitInvalid || !strings.Contains(errOut, tc.want) || !strings.Contains(errOut, path) {
				t.Errorf("exit %d, stderr %q; want %d naming %s and %q", code, errOut, ExitInvalid, path, tc.want)
			}
		})
	}
}
