package app

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"
)

// The config file holds a user's defaults for flags: a YAML mapping in
// $XDG_CONFIG_HOME/gameday/config.yaml (else ~/.config/gameday/config.yaml;
// --config FILE or $GAMEDAY_CONFIG to name another). Every value can also
// come from the environment ($GAMEDAY_<KEY>), and a flag on the command
// line wins over both: flags > environment > file > built-in default.
// `gameday config` shows each value and where it came from.

// configKey is one setting the config file may hold: the flag it sets on
// every command that has it.
type configKey struct {
	Name string // as the file spells it
	Flag string // the flag it is a default for
	Env  string // the environment variable
	Doc  string
	List bool // a list in the file, several flags (or a PATH-like env)
}

// configKeys are the settings, in the order `gameday config` prints them.
var configKeys = []configKey{
	{Name: "scenarios", Flag: "scenarios", Env: "GAMEDAY_SCENARIOS", Doc: "more scenario directories (the environment separates them with " + string(filepath.ListSeparator) + ")", List: true},
	{Name: "report_dir", Flag: "report-dir", Env: "GAMEDAY_REPORT_DIR", Doc: "where reports are written (default: beside the journal)"},
	{Name: "lang", Flag: "lang", Env: "GAMEDAY_LANG", Doc: "the language of reports and the console: en or ja"},
	{Name: "color", Flag: "color", Env: "GAMEDAY_COLOR", Doc: "auto, always or never (NO_COLOR in the environment means never)"},
	{Name: "share", Flag: "share", Env: "GAMEDAY_SHARE", Doc: "the address the live share listens on"},
	{Name: "log", Flag: "log", Env: "GAMEDAY_LOG", Doc: "a file for debug logs"},
	{Name: "kubeconfig", Flag: "kubeconfig", Env: "GAMEDAY_KUBECONFIG", Doc: "the kubeconfig file"},
	{Name: "context", Flag: "context", Env: "GAMEDAY_KUBE_CONTEXT", Doc: "the kubeconfig context"},
	{Name: "profile", Flag: "profile", Env: "GAMEDAY_AWS_PROFILE", Doc: "the AWS shared-config profile"},
	{Name: "region", Flag: "region", Env: "GAMEDAY_AWS_REGION", Doc: "the AWS region"},
}

// config is a loaded config file.
type config struct {
	Path   string
	Found  bool
	Values map[string][]string // by key name; one item unless List
}

// configPath returns the config file to read: --config, else
// $GAMEDAY_CONFIG, else the XDG config directory's.
// The second result says the file was named (it must then exist). Without
// a home directory there is no default file ("").
func configPath(flag string) (string, bool) {
	switch {
	case flag != "":
		return flag, true
	case os.Getenv("GAMEDAY_CONFIG") != "":
		return os.Getenv("GAMEDAY_CONFIG"), true
	}
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" || !filepath.IsAbs(dir) {
		home, err := os.UserHomeDir()
		if err != nil || home == "" {
			return "", false
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "gameday", "config.yaml"), false
}

// loadConfig reads the config file at path. A file that does not exist is
// an empty config, unless it was named (must). A bad file is an error
// naming the file, the line and the key; nothing runs.
func loadConfig(path string, must bool) (*config, error) {
	c := &config{Path: path, Values: map[string][]string{}}
	if path == "" {
		return c, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) && !must {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("config %s: not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	c.Found = true
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("config %s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return c, nil // empty file
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d:%d: the config file is a mapping of settings (lang: ja, …)", path, root.Line, root.Column)
	}
	names := make([]string, len(configKeys))
	for i, k := range configKeys {
		names[i] = k.Name
	}
	var errs []string
	for i := 0; i+1 < len(root.Content); i += 2 {
		kn, vn := root.Content[i], root.Content[i+1]
		at := fmt.Sprintf("%s:%d:%d", path, kn.Line, kn.Column)
		i := slices.IndexFunc(configKeys, func(k configKey) bool { return k.Name == kn.Value })
		if i < 0 {
			hint := ""
			if best, ok := closestName(kn.Value, names); ok {
				hint = fmt.Sprintf("; did you mean %q?", best)
			}
			errs = append(errs, fmt.Sprintf("%s: unknown key %q%s (keys: %s)", at, kn.Value, hint, strings.Join(names, ", ")))
			continue
		}
		k := configKeys[i]
		if _, dup := c.Values[k.Name]; dup {
			errs = append(errs, fmt.Sprintf("%s: %s is set twice", at, k.Name))
			continue
		}
		vat := fmt.Sprintf("%s:%d:%d", path, vn.Line, vn.Column)
		switch {
		case vn.Kind == yaml.ScalarNode && vn.Tag != "!!null":
			c.Values[k.Name] = []string{vn.Value}
		case vn.Kind == yaml.SequenceNode && k.List:
			var vs []string
			for _, item := range vn.Content {
				if item.Kind != yaml.ScalarNode {
					errs = append(errs, fmt.Sprintf("%s:%d:%d: %s: expected text in the list", path, item.Line, item.Column, k.Name))
					continue
				}
				vs = append(vs, item.Value)
			}
			c.Values[k.Name] = vs
		case k.List:
			errs = append(errs, fmt.Sprintf("%s: %s: expected a list of text, like [~/gamedays]", vat, k.Name))
		default:
			errs = append(errs, fmt.Sprintf("%s: %s: expected text", vat, k.Name))
		}
	}
	if len(errs) > 0 {
		return nil, errors.New(strings.Join(errs, "\n"))
	}
	for _, v := range c.Values["lang"] {
		if v != "en" && v != "ja" {
			return nil, fmt.Errorf("%s: lang: %q is not a language gameday speaks (en, ja)", configValueAt(root, path, "lang"), v)
		}
	}
	for _, v := range c.Values["color"] {
		if v != "auto" && v != "always" && v != "never" {
			return nil, fmt.Errorf("%s: color: %q is not auto, always or never", configValueAt(root, path, "color"), v)
		}
	}
	return c, nil
}

// configValueAt returns "path:line:col" of key's value in the mapping root.
func configValueAt(root *yaml.Node, path, key string) string {
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == key {
			v := root.Content[i+1]
			return fmt.Sprintf("%s:%d:%d", path, v.Line, v.Column)
		}
	}
	return path
}

// closestName is a one- or two-edit typo of one of names.
func closestName(got string, names []string) (string, bool) {
	best, bestD := "", 3
	for _, n := range names {
		if d := editDistance(got, n); d < bestD {
			best, bestD = n, d
		}
	}
	return best, best != ""
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// setting is a resolved value and where it came from.
type setting struct {
	Key    configKey
	Values []string
	Source string // "flag", "environment", "config file", "default"
}

// resolveSettings applies the environment and the config file to cmd's
// flags that the command line did not set, and returns every setting with
// its source. Flags > environment > file.
func resolveSettings(cmd *cobra.Command, c *config) ([]setting, error) {
	var out []setting
	for _, k := range configKeys {
		fl := cmd.Flags().Lookup(k.Flag)
		s := setting{Key: k, Source: "default"}
		switch {
		case fl != nil && fl.Changed:
			s.Source = "flag"
			s.Values = flagValues(fl)
			out = append(out, s)
			continue
		case os.Getenv(k.Env) != "":
			s.Source = "environment ($" + k.Env + ")"
			v := os.Getenv(k.Env)
			if k.List {
				s.Values = filepath.SplitList(v)
			} else {
				s.Values = []string{v}
			}
		case c != nil && c.Values[k.Name] != nil:
			s.Source = "config file"
			s.Values = c.Values[k.Name]
		default:
			if fl != nil {
				s.Values = flagValues(fl)
			}
			out = append(out, s)
			continue
		}
		if fl != nil {
			for _, v := range s.Values {
				if err := fl.Value.Set(expandHome(v)); err != nil {
					return nil, fmt.Errorf("%s from the %s: %w", k.Name, s.Source, err)
				}
			}
		}
		out = append(out, s)
	}
	return out, nil
}

func flagValues(fl *pflag.Flag) []string {
	if sv, ok := fl.Value.(pflag.SliceValue); ok {
		return sv.GetSlice()
	}
	if v := fl.Value.String(); v != "" {
		return []string{v}
	}
	return nil
}

// expandHome turns a leading ~/ into the home directory.
func expandHome(p string) string {
	if strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[2:])
		}
	}
	return p
}

func newConfigCmd(flagPath *string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show every setting and where it came from (flag, environment, config file, default)",
		Long: `Show the settings gameday reads — defaults for flags — with their values
and where each came from: a flag wins over the environment ($GAMEDAY_…),
which wins over the config file (` + "`$XDG_CONFIG_HOME/gameday/config.yaml`" + `, else
~/.config/gameday/config.yaml; --config FILE or $GAMEDAY_CONFIG names
another). A bad config file is an error naming the file, the line and the
key, and nothing runs.`,
		Example: "  gameday config\n  GAMEDAY_LANG=ja gameday config\n  gameday --config ./team.yaml config",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, must := configPath(*flagPath)
			c, err := loadConfig(path, must)
			if err != nil {
				return invalid(err)
			}
			w := cmd.OutOrStdout()
			state := "not found"
			if c.Found {
				state = "read"
			}
			fmt.Fprintf(w, "config file: %s (%s)\n", path, state)
			for _, k := range configKeys {
				s := setting{Key: k, Source: "default"}
				switch {
				case os.Getenv(k.Env) != "":
					s.Source, s.Values = "environment ($"+k.Env+")", []string{os.Getenv(k.Env)}
				case c.Values[k.Name] != nil:
					s.Source, s.Values = "config file", c.Values[k.Name]
				}
				v := strings.Join(s.Values, ", ")
				if v == "" {
					v = "—"
				}
				fmt.Fprintf(w, "%-11s %-30s %s\n", k.Name, v, s.Source)
			}
			return nil
		},
	}
	return cmd
}
