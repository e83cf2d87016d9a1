package scenarios

import (
	"cmp"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

//go:embed sandbox/*.yaml aws/*.yaml kubernetes/*.yaml days/*.yaml
var shipped embed.FS

// shippedDaysDir holds the shipped game-day files, which are not
// scenarios.
const shippedDaysDir = "days"

// EmbeddedPrefix starts the Path of every shipped plan:
// "embedded:sandbox/latency.yaml".
const EmbeddedPrefix = "embedded:"

// Name is the name of the scenario at path as `gameday list` shows it and
// `gameday run` accepts it: a shipped sandbox scenario by its file name
// ("latency"), a shipped scenario of another provider with the provider
// in front ("aws/latency", "kubernetes/latency"), a user's file by its
// file name, wherever it lies ("checkout" for ./scenarios/checkout.yaml
// and for /home/runner/work/app/scenarios/checkout.yaml alike). A journal
// keeps its plan's path, so the name of a run's scenario is the same on
// every machine and in every version: the shipped files moved into
// sandbox/ after v0.3.0, and "embedded:instance-stop.yaml" is still
// "instance-stop".
func Name(p string) string {
	rel, embedded := strings.CutPrefix(strings.ReplaceAll(p, "\\", "/"), EmbeddedPrefix)
	name := strings.TrimSuffix(path.Base(rel), path.Ext(rel))
	if dir := path.Dir(rel); embedded && dir != "sandbox" && dir != "." {
		return dir + "/" + name
	}
	return name
}

// File is one scenario file's name and contents.
type File struct {
	Path string
	Data []byte
}

// ShippedFiles returns the scenario files built into gameday, the
// sandbox's first, then by path, each with a Path like "embedded:sandbox/latency.yaml".
func ShippedFiles() []File {
	var out []File
	// The embedded tree is fixed at build time and the tests read all of
	// it, so a walk error cannot happen at run time.
	_ = fs.WalkDir(shipped, ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !isScenarioName(p) || path.Dir(p) == shippedDaysDir {
			return err
		}
		data, err := shipped.ReadFile(p)
		if err != nil {
			return err
		}
		out = append(out, File{Path: EmbeddedPrefix + p, Data: data})
		return nil
	})
	// The sandbox's first: it needs nothing but gameday.
	sandboxFirst := func(f File) int {
		if strings.HasPrefix(f.Path, EmbeddedPrefix+"sandbox/") {
			return 0
		}
		return 1
	}
	slices.SortFunc(out, func(a, b File) int {
		return cmp.Or(cmp.Compare(sandboxFirst(a), sandboxFirst(b)), strings.Compare(a.Path, b.Path))
	})
	return out
}

// ShippedDayFiles returns the game-day files built into gameday, by path,
// each with a Path like "embedded:days/sandbox-day.yaml".
func ShippedDayFiles() []File {
	entries, _ := shipped.ReadDir(shippedDaysDir) // fixed at build time; the tests read it
	var out []File
	for _, e := range entries {
		p := path.Join(shippedDaysDir, e.Name())
		if e.IsDir() || !isScenarioName(p) {
			continue
		}
		data, err := shipped.ReadFile(p)
		if err != nil {
			continue
		}
		out = append(out, File{Path: EmbeddedPrefix + p, Data: data})
	}
	return out
}

// DiscoverDays returns the shipped game days followed by every game-day
// file (a *.yaml or *.yml file whose top-level key is day) directly in
// each of dirs, as Discover finds scenarios: a file that cannot be read or
// parsed adds an error and is left out.
func DiscoverDays(dirs []string) ([]*Day, []error) {
	var days []*Day
	var errs []error
	for _, f := range ShippedDayFiles() {
		d, err := ParseDay(f.Path, f.Data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		days = append(days, d)
	}
	seen := map[string]bool{}
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue // Discover reports the directory
		}
		for _, e := range entries {
			if !isScenarioName(e.Name()) || e.IsDir() {
				continue
			}
			p := filepath.Join(dir, e.Name())
			key := p
			if abs, err := filepath.Abs(p); err == nil {
				key = abs
			}
			if seen[key] {
				continue
			}
			seen[key] = true
			data, err := readRegular(p, "game-day file")
			if err != nil || !IsDay(data) {
				continue
			}
			d, err := ParseDay(p, data)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			days = append(days, d)
		}
	}
	return days, errs
}

// Shipped parses the built-in scenarios with opts. An invalid one is an
// error; the command line's tests parse every shipped file with the
// registry of every provider it is built with.
func Shipped(opts Options) ([]*Plan, error) {
	files := ShippedFiles()
	out := make([]*Plan, 0, len(files))
	for _, f := range files {
		p, err := Parse(f.Path, f.Data, opts)
		if err != nil {
			return nil, fmt.Errorf("shipped scenario %s is invalid:\n%w", f.Path, err)
		}
		out = append(out, p)
	}
	return out, nil
}

func isScenarioName(name string) bool {
	ext := strings.ToLower(path.Ext(name))
	return ext == ".yaml" || ext == ".yml"
}

// SearchDirs returns where user scenarios are looked for, in order:
// ./scenarios, the extra directories (from --scenarios), and the user's
// config directory (os.UserConfigDir()/gameday/scenarios). Directories that
// do not exist are left out silently, and each directory is listed once.
func SearchDirs(extra []string) []string {
	candidates := append([]string{"scenarios"}, extra...)
	if dir, err := os.UserConfigDir(); err == nil {
		candidates = append(candidates, filepath.Join(dir, "gameday", "scenarios"))
	}
	var out []string
	seen := map[string]bool{}
	for _, dir := range candidates {
		key := filepath.Clean(dir)
		if abs, err := filepath.Abs(dir); err == nil {
			key = abs
		}
		if seen[key] {
			continue
		}
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		seen[key] = true
		out = append(out, dir)
	}
	return out
}

// Discover returns the shipped scenarios followed by every *.yaml and *.yml
// file directly in each of dirs, in the order of dirs and by file name
// within each; a game-day file there is not a scenario and is left out
// (DiscoverDays finds it). A file that cannot be read or parsed adds an error (an
// *Errors for an invalid file) and is left out; the others are still
// returned. A directory that does not exist is skipped silently.
func Discover(dirs []string, opts Options) ([]*Plan, []error) {
	var plans []*Plan
	var errs []error
	for _, f := range ShippedFiles() {
		p, err := Parse(f.Path, f.Data, opts)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		plans = append(plans, p)
	}
	seen := map[string]bool{}
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("read scenario directory: %w", err))
			continue
		}
		for _, e := range entries { // os.ReadDir sorts by name
			if !isScenarioName(e.Name()) {
				continue
			}
			p := filepath.Join(dir, e.Name())
			key := p
			if abs, err := filepath.Abs(p); err == nil {
				key = abs
			}
			if seen[key] {
				continue
			}
			seen[key] = true
			if fi, err := os.Stat(p); err == nil && fi.IsDir() {
				continue
			}
			plan, err := LoadFile(p, opts)
			if errors.Is(err, ErrDayFile) {
				continue // a game day: DiscoverDays finds it
			}
			if err != nil {
				errs = append(errs, err)
				continue
			}
			plans = append(plans, plan)
		}
	}
	return plans, errs
}
