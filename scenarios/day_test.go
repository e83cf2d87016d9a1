package scenarios_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/scenarios"
)

// validDay is a correct game-day file; each malformed case changes one
// thing in it, so the lines and columns below refer to this text.
const validDay = `day:
  title: Sandbox game day
  date: 2026-12-15
  description: three experiments
  participants:
    - { name: Sato, role: facilitator }
    - { name: Kato, role: on-call }
  checklist:
    - Dashboards open
    - On-call told
  experiments:
    - latency
    - scenario: ./mine.yaml
      phases: { baseline: 5s, fault: 10s }
  translations:
    ja:
      title: サンドボックスのゲームデイ
      checklist: [ダッシュボードを開く, オンコールに伝える]
`

func editDay(t *testing.T, old, new string) string {
	t.Helper()
	if n := strings.Count(validDay, old); n != 1 {
		t.Fatalf("editDay: %q occurs %d times in the valid day", old, n)
	}
	return strings.Replace(validDay, old, new, 1)
}

func TestParseDayValid(t *testing.T) {
	t.Parallel()
	d, err := scenarios.ParseDay("days/d.yaml", []byte(validDay))
	if err != nil {
		t.Fatal(err)
	}
	if d.Title != "Sandbox game day" || d.Date != "2026-12-15" || d.Description != "three experiments" {
		t.Errorf("day header = %q %q %q", d.Title, d.Date, d.Description)
	}
	if len(d.Participants) != 2 || d.Participants[1] != (scenarios.Participant{Name: "Kato", Role: "on-call"}) {
		t.Errorf("participants = %+v", d.Participants)
	}
	if strings.Join(d.Checklist, "|") != "Dashboards open|On-call told" {
		t.Errorf("checklist = %q", d.Checklist)
	}
	want := []scenarios.Experiment{
		{Scenario: "latency"},
		{Scenario: "./mine.yaml", Phases: scenarios.Phases{Baseline: 5 * time.Second, Fault: 10 * time.Second}},
	}
	if fmt.Sprint(d.Experiments) != fmt.Sprint(want) {
		t.Errorf("experiments = %+v, want %+v", d.Experiments, want)
	}
	if got := d.Ref(0); got != (scenarios.Ref{Name: "latency"}) {
		t.Errorf("Ref(0) = %+v, want the name latency", got)
	}
	if got := d.Ref(1); got != (scenarios.Ref{Path: filepath.Join("days", "mine.yaml")}) {
		t.Errorf("Ref(1) = %+v, want a path beside the day file", got)
	}
	if got := d.Where("experiments[1].phases.fault"); got != "days/d.yaml:14:38" {
		t.Errorf("Where = %q", got)
	}
	ja := d.Localized("ja")
	if ja.Title != "サンドボックスのゲームデイ" || ja.Checklist[1] != "オンコールに伝える" || ja.Description != "three experiments" {
		t.Errorf("Localized(ja) = %q %q %q", ja.Title, ja.Checklist, ja.Description)
	}
	if d.Title != "Sandbox game day" || d.Checklist[0] != "Dashboards open" {
		t.Error("Localized changed the day itself")
	}
}

func TestDayRefs(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		day, ref string
		want     scenarios.Ref
	}{
		"a name":                  {"d.yaml", "latency", scenarios.Ref{Name: "latency"}},
		"a name with a provider":  {"d.yaml", "aws/latency", scenarios.Ref{Name: "aws/latency"}},
		"a title":                 {"d.yaml", "Latency injection (500 ms)", scenarios.Ref{Name: "Latency injection (500 ms)"}},
		"a path beside the day":   {"/srv/days/d.yaml", "x.yml", scenarios.Ref{Path: "/srv/days/x.yml"}},
		"a path above the day":    {"/srv/days/d.yaml", "../sandbox/x.YAML", scenarios.Ref{Path: "/srv/sandbox/x.YAML"}},
		"an absolute path":        {"/srv/days/d.yaml", "/etc/gameday/x.yaml", scenarios.Ref{Path: "/etc/gameday/x.yaml"}},
		"a shipped day's path":    {"embedded:days/d.yaml", "../sandbox/latency.yaml", scenarios.Ref{Path: "embedded:sandbox/latency.yaml"}},
		"a shipped day's name":    {"embedded:days/d.yaml", "latency", scenarios.Ref{Name: "latency"}},
		"a path on the work tree": {"d.yaml", "scenarios/x.yaml", scenarios.Ref{Path: "scenarios/x.yaml"}},
	} {
		t.Run(name, func(t *testing.T) {
			src := "day:\n  title: t\n  experiments: [" + fmt.Sprintf("%q", tc.ref) + "]\n"
			d, err := scenarios.ParseDay(tc.day, []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			if got := d.Ref(0); got != tc.want {
				t.Errorf("Ref = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func dayErrors(t *testing.T, src string) scenarios.Errors {
	t.Helper()
	d, err := scenarios.ParseDay("d.yaml", []byte(src))
	if err == nil {
		t.Fatalf("ParseDay accepted:\n%s", src)
	}
	if d != nil {
		t.Error("ParseDay returned a day along with errors")
	}
	var errs scenarios.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("ParseDay error is %T, want scenarios.Errors: %v", err, err)
	}
	return errs
}

func TestParseDayMalformed(t *testing.T) {
	t.Parallel()
	many := func(n int, item string) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "\n    - %s %d", item, i)
		}
		return b.String()
	}
	tests := map[string]struct {
		src      string
		line     int
		col      int
		contains []string
	}{
		"empty file": {
			src: "", line: 1, col: 1, contains: []string{"the file is empty", "game-day file needs day:"},
		},
		"a scenario's field beside day": {
			src:  "title: x\n" + validDay,
			line: 1, col: 1, contains: []string{`unknown field "title" in a game-day file`},
		},
		"day is null": {
			src: "day:\n", line: 1, col: 5, contains: []string{"day needs a value"},
		},
		"day is a list": {
			src: "day: [a]\n", line: 1, col: 6, contains: []string{"expected a mapping for day, got a list"},
		},
		"unknown day field": {
			src:  editDay(t, "  date: 2026-12-15", "  dates: 2026-12-15"),
			line: 3, col: 3, contains: []string{`unknown field "dates" in day`, `did you mean "date"?`},
		},
		"missing title": {
			src:  editDay(t, "  title: Sandbox game day\n", ""),
			line: 2, col: 3, contains: []string{`missing required field "title" in day`},
		},
		"missing experiments": {
			src:  validDay[:strings.Index(validDay, "  experiments:")],
			line: 2, col: 3, contains: []string{`missing required field "experiments" in day`},
		},
		"no experiments": {
			src:  editDay(t, "  experiments:\n    - latency\n    - scenario: ./mine.yaml\n      phases: { baseline: 5s, fault: 10s }\n", "  experiments: []\n"),
			line: 11, col: 16, contains: []string{"a game day needs at least one experiment"},
		},
		"too many experiments": {
			src:  editDay(t, "    - latency\n", strings.TrimPrefix(many(scenarios.MaxExperiments, "latency"), "\n")+"\n"),
			line: 12, col: 5, contains: []string{"the day lists 21 experiments; at most 20"},
		},
		"a bad date": {
			src:  editDay(t, "date: 2026-12-15", "date: 2026-13-45"),
			line: 3, col: 9, contains: []string{"date: expected a day as YYYY-MM-DD", `"2026-13-45"`},
		},
		"a title on two lines": {
			src:  editDay(t, "title: Sandbox game day", `title: "Sandbox\ngame day"`),
			line: 2, col: 10, contains: []string{"title holds a line break"},
		},
		"a title with an escape code": {
			src:  editDay(t, "title: Sandbox game day", `title: "Sandbox \e[2J"`),
			line: 2, col: 10, contains: []string{"escape character"},
		},
		"a participant without a name": {
			src:  editDay(t, "{ name: Kato, role: on-call }", "{ role: on-call }"),
			line: 7, col: 7, contains: []string{`missing required field "name" in a participant`},
		},
		"an empty checklist item": {
			src:  editDay(t, "    - On-call told", `    - ""`),
			line: 10, col: 7, contains: []string{"a checklist item must not be empty"},
		},
		"a checklist item on two lines": {
			src:  editDay(t, "    - On-call told", "    - \"On-call\\ntold\""),
			line: 10, col: 7, contains: []string{"checklist item holds a line break"},
		},
		"a checklist item too long": {
			src:  editDay(t, "    - On-call told", "    - "+strings.Repeat("x", scenarios.MaxChecklistItem+1)),
			line: 10, col: 7, contains: []string{"is 501 characters long; at most 500"},
		},
		"too many checklist items": {
			src:  editDay(t, "    - Dashboards open\n    - On-call told", strings.TrimPrefix(many(scenarios.MaxChecklist+1, "item"), "\n")),
			line: 9, col: 5, contains: []string{"the checklist has 51 items; at most 50"},
		},
		"the checklist is text": {
			src:  editDay(t, "  checklist:\n    - Dashboards open\n    - On-call told", "  checklist: dashboards"),
			line: 8, col: 14, contains: []string{"expected a list of checklist items, got \"dashboards\""},
		},
		"an experiment without a scenario": {
			src:  editDay(t, "    - scenario: ./mine.yaml\n      phases", "    - phases"),
			line: 13, col: 7, contains: []string{`missing required field "scenario" in an experiment`},
		},
		"an experiment's unknown field": {
			src:  editDay(t, "scenario: ./mine.yaml", "senario: ./mine.yaml"),
			line: 13, col: 7, contains: []string{`unknown field "senario" in an experiment`, `did you mean "scenario"?`},
		},
		"an experiment that is a list": {
			src:  editDay(t, "    - latency", "    - [latency]"),
			line: 12, col: 7, contains: []string{"expected a mapping for an experiment, got a list"},
		},
		"an empty scenario": {
			src:  editDay(t, "    - latency", `    - scenario: " "`),
			line: 12, col: 17, contains: []string{"an experiment needs a scenario"},
		},
		"a phase without a unit": {
			src:  editDay(t, "fault: 10s", "fault: 10"),
			line: 14, col: 38, contains: []string{"expected a duration like 30s, got 10 without a unit"},
		},
		"a phase of zero": {
			src:  editDay(t, "baseline: 5s", "baseline: 0s"),
			line: 14, col: 27, contains: []string{"the baseline phase must last longer than 0"},
		},
		"a phase too long": {
			src:  editDay(t, "fault: 10s", "fault: 13h"),
			line: 14, col: 38, contains: []string{"the fault phase lasts 13h0m0s; a phase lasts at most 12h"},
		},
		"an unknown phase": {
			src:  editDay(t, "baseline: 5s", "warmup: 5s"),
			line: 14, col: 17, contains: []string{`unknown field "warmup" in phases`},
		},
		"an unknown language": {
			src:  editDay(t, "    ja:", "    jp:"),
			line: 16, col: 5, contains: []string{`unknown language "jp"`, `did you mean "ja"?`},
		},
		"a translation with one item short": {
			src:  editDay(t, "[ダッシュボードを開く, オンコールに伝える]", "[ダッシュボードを開く]"),
			line: 18, col: 18, contains: []string{"translations.ja.checklist has 1 items, the checklist 2"},
		},
		"an empty translation": {
			src:  editDay(t, "      title: サンドボックスのゲームデイ\n      checklist: [ダッシュボードを開く, オンコールに伝える]\n", "      {}\n"),
			line: 16, col: 5, contains: []string{"translations.ja is empty"},
		},
		"a second document": {
			src: validDay + "---\nday: {}\n", line: 20, col: 1, contains: []string{"a second YAML document starts here; a game-day file holds exactly one"},
		},
		"a tab": {
			src:  editDay(t, "  date: 2026-12-15", "\tdate: 2026-12-15"),
			line: 3, col: 1, contains: []string{"a tab indents this line"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			errs := dayErrors(t, tc.src)
			for _, e := range errs {
				if e.Line == tc.line && e.Column == tc.col && containsAll(e.Msg, tc.contains) {
					return
				}
			}
			t.Errorf("no error at %d:%d containing %q; got:\n%v", tc.line, tc.col, tc.contains, errs)
		})
	}
}

// Every mistake of a day file is reported at once, in file order.
func TestParseDayReportsEveryMistake(t *testing.T) {
	t.Parallel()
	src := editDay(t, "date: 2026-12-15", "date: someday")
	src = strings.Replace(src, "    - On-call told", `    - ""`, 1)
	src = strings.Replace(src, "fault: 10s", "fault: 10", 1)
	errs := dayErrors(t, src)
	var at []string
	for _, e := range errs {
		at = append(at, fmt.Sprintf("%d:%d", e.Line, e.Column))
	}
	if got := strings.Join(at, " "); got != "3:9 10:7 14:38" {
		t.Errorf("errors at %s, want 3:9 10:7 14:38:\n%v", got, errs)
	}
}

// A day file is not a scenario: Parse says so, once, and Discover leaves
// it out; a scenario is not a day.
func TestDayFileIsNotAScenario(t *testing.T) {
	t.Parallel()
	_, err := scenarios.Parse("d.yaml", []byte(validDay), testOptions())
	if !errors.Is(err, scenarios.ErrDayFile) {
		t.Fatalf("Parse of a day file: %v, want ErrDayFile", err)
	}
	var errs scenarios.Errors
	if !errors.As(err, &errs) || len(errs) != 1 || errs[0].Line != 1 || errs[0].Column != 1 || !strings.Contains(errs[0].Msg, "gameday day") {
		t.Errorf("Parse of a day file: want one mistake at 1:1 naming gameday day, got:\n%v", err)
	}
	if _, err := scenarios.Parse("s.yaml", []byte(edit(t, "percent: 10", "percent: 150")), testOptions()); errors.Is(err, scenarios.ErrDayFile) {
		t.Error("an invalid scenario is reported as a day file")
	}
	if !scenarios.IsDay([]byte(validDay)) || scenarios.IsDay([]byte(valid)) || scenarios.IsDay([]byte("{")) || scenarios.IsDay(nil) {
		t.Error("IsDay tells a day file from a scenario wrongly")
	}
	if errs := dayErrors(t, valid); !strings.Contains(errs.Error(), `unknown field "title" in a game-day file`) {
		t.Errorf("ParseDay of a scenario: %v", errs)
	}

	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a-day.yaml"), validDay)
	writeFile(t, filepath.Join(dir, "b-scenario.yaml"), valid)
	writeFile(t, filepath.Join(dir, "c-bad-day.yaml"), editDay(t, "date: 2026-12-15", "date: someday"))
	plans, errs2 := scenarios.Discover([]string{dir}, testOptions())
	if n := len(plans) - len(scenarios.ShippedFiles()); n != 1 || plans[len(plans)-1].Title != "Random task stop" {
		t.Errorf("Discover found %d scenarios in the directory, want only the scenario", n)
	}
	if len(errs2) != 0 {
		t.Errorf("Discover reported day files as invalid scenarios: %v", errs2)
	}
	days, errs3 := scenarios.DiscoverDays([]string{dir})
	shipped := len(scenarios.ShippedDayFiles())
	if len(days) != shipped+1 || days[shipped].Path != filepath.Join(dir, "a-day.yaml") {
		t.Errorf("DiscoverDays found %d days, want the %d shipped and a-day.yaml", len(days), shipped)
	}
	if len(errs3) != 1 || !strings.Contains(errs3[0].Error(), "c-bad-day.yaml:3:9") {
		t.Errorf("DiscoverDays errors = %v, want one for c-bad-day.yaml", errs3)
	}
}

// findIn resolves refs against a fixed set of plans, by name or path, for
// Resolve's tests.
func findIn(t *testing.T, plans map[string]string) func(scenarios.Ref) (*scenarios.Plan, error) {
	return func(r scenarios.Ref) (*scenarios.Plan, error) {
		key := r.Name + r.Path
		src, ok := plans[key]
		if !ok {
			return nil, fmt.Errorf("scenario %q: no such file or scenario", key)
		}
		return scenarios.Parse(key, []byte(src), testOptions())
	}
}

func TestDayResolve(t *testing.T) {
	t.Parallel()
	d, err := scenarios.ParseDay("d.yaml", []byte(validDay))
	if err != nil {
		t.Fatal(err)
	}
	find := findIn(t, map[string]string{"latency": valid, "mine.yaml": edit(t, "Random task stop", "Mine")})
	plans, err := d.Resolve(testOptions(), scenarios.Phases{}, find)
	if err != nil {
		t.Fatal(err)
	}
	if len(plans) != 2 || plans[0].Title != "Random task stop" || plans[1].Title != "Mine" {
		t.Fatalf("plans = %+v", plans)
	}
	if ph := plans[0].Phases; ph != (scenarios.Phases{Baseline: 30 * time.Second, Fault: 2 * time.Minute, Recovery: time.Minute}) {
		t.Errorf("an experiment without phases has %+v, want the scenario's own", ph)
	}
	if ph := plans[1].Phases; ph != (scenarios.Phases{Baseline: 5 * time.Second, Fault: 10 * time.Second, Recovery: time.Minute}) {
		t.Errorf("the day's phases: %+v", ph)
	}
	if f := plans[1].Faults[0]; f.StartAfter+f.Duration > 10*time.Second {
		t.Errorf("the fault window %s+%s does not fit the day's 10 s fault phase", f.StartAfter, f.Duration)
	}
	// The command line's phases win over the day's.
	plans, err = d.Resolve(testOptions(), scenarios.Phases{Fault: 4 * time.Second}, find)
	if err != nil {
		t.Fatal(err)
	}
	if plans[0].Phases.Fault != 4*time.Second || plans[1].Phases.Fault != 4*time.Second || plans[1].Phases.Baseline != 5*time.Second {
		t.Errorf("with --fault 4s: %+v, %+v", plans[0].Phases, plans[1].Phases)
	}
}

func TestDayResolveErrors(t *testing.T) {
	t.Parallel()
	d, err := scenarios.ParseDay("d.yaml", []byte(validDay))
	if err != nil {
		t.Fatal(err)
	}
	bad := edit(t, "percent: 10", "percent: 150")
	_, err = d.Resolve(testOptions(), scenarios.Phases{}, findIn(t, map[string]string{"mine.yaml": bad}))
	var errs scenarios.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Resolve: %v, want scenarios.Errors", err)
	}
	got := errs.Error()
	for _, want := range []string{
		`d.yaml:12:7: scenario "latency": no such file or scenario`,
		"mine.yaml:13:27: percent must be in (0, 100], got 150",
		`d.yaml:13:17: the scenario "./mine.yaml" is invalid (its mistakes are above)`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Resolve errors lack %q:\n%s", want, got)
		}
	}

	// Phases that no longer suit the scenario are the day's mistake.
	ladder := edit(t, "    selection: { percent: 10 }\n    start_after: 10s\n    duration: 60s\n", "    selection: { steps: [10%, 25%], hold: 30s }\n")
	_, err = d.Resolve(testOptions(), scenarios.Phases{Recovery: 13 * time.Hour}, findIn(t, map[string]string{"latency": valid, "mine.yaml": ladder}))
	if err == nil || !strings.Contains(err.Error(), "d.yaml:14:15: with the phases this day gives it") || !strings.Contains(err.Error(), "phases.recovery") {
		t.Errorf("a recovery of 13h from the command line: %v", err)
	}

	// Twenty experiments of 2 h each are more than a day.
	long := edit(t, "phases: { baseline: 30s, fault: 2m, recovery: 60s }", "phases: { baseline: 30m, fault: 1h, recovery: 30m }")
	src := "day:\n  title: long\n  experiments:" + strings.Repeat("\n    - long", 13) + "\n"
	long13, err := scenarios.ParseDay("long.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	_, err = long13.Resolve(testOptions(), scenarios.Phases{}, findIn(t, map[string]string{"long": long}))
	if err == nil || !strings.Contains(err.Error(), "long.yaml:4:5: the experiments' phases last 26h0m0s together; a game day lasts at most 24h") {
		t.Errorf("a 26-hour day: %v", err)
	}
}

// The shipped game days parse, name shipped scenarios, resolve, and carry
// a Japanese translation of every text.
func TestShippedDays(t *testing.T) {
	t.Parallel()
	files := scenarios.ShippedDayFiles()
	if len(files) == 0 {
		t.Fatal("no shipped game day")
	}
	for _, f := range scenarios.ShippedFiles() {
		if strings.HasPrefix(f.Path, scenarios.EmbeddedPrefix+"days/") {
			t.Errorf("ShippedFiles lists the day file %s as a scenario", f.Path)
		}
	}
	shipped, err := scenarios.Shipped(testOptions())
	if err != nil {
		t.Fatal(err)
	}
	find := func(r scenarios.Ref) (*scenarios.Plan, error) {
		for _, p := range shipped {
			name := strings.TrimSuffix(strings.TrimPrefix(p.Path, scenarios.EmbeddedPrefix+"sandbox/"), ".yaml")
			if r.Path == p.Path || r.Name == name {
				return p, nil
			}
		}
		return nil, fmt.Errorf("no shipped scenario %+v", r)
	}
	for _, f := range files {
		t.Run(f.Path, func(t *testing.T) {
			d, err := scenarios.ParseDay(f.Path, f.Data)
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Experiments) < 2 || len(d.Checklist) == 0 || len(d.Participants) == 0 {
				t.Errorf("the example day has %d experiments, %d checklist items, %d participants", len(d.Experiments), len(d.Checklist), len(d.Participants))
			}
			plans, err := d.Resolve(testOptions(), scenarios.Phases{}, find)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range plans {
				if p.Target.Provider != "sandbox" || p.Target.Production() {
					t.Errorf("%s: target %+v, want the sandbox", p.Path, p.Target)
				}
			}
			ja := d.Localized("ja")
			if ja.Title == d.Title || ja.Description == d.Description || ja.Checklist[0] == d.Checklist[0] {
				t.Error("translations.ja does not translate the title, the description and the checklist")
			}
		})
	}
}

// LoadDayFile refuses what LoadFile refuses: a directory, a missing file.
func TestLoadDayFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := scenarios.LoadDayFile(dir); !errors.Is(err, scenarios.ErrNotRegular) || !strings.Contains(err.Error(), "read game-day file") {
		t.Errorf("a directory: %v", err)
	}
	if _, err := scenarios.LoadDayFile(filepath.Join(dir, "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing file: %v", err)
	}
	p := filepath.Join(dir, "d.yaml")
	writeFile(t, p, validDay)
	d, err := scenarios.LoadDayFile(p)
	if err != nil || d.Path != p {
		t.Errorf("LoadDayFile: %v, %+v", err, d)
	}
}

// FuzzParseDay feeds arbitrary bytes to ParseDay: it must never panic,
// and answers a day or a non-empty *Errors of positioned mistakes, never
// both.
//
//	go test -run '^$' -fuzz FuzzParseDay -fuzztime 30s ./scenarios
func FuzzParseDay(f *testing.F) {
	for _, file := range scenarios.ShippedDayFiles() {
		f.Add(file.Data)
	}
	f.Add([]byte(validDay))
	f.Add([]byte(valid))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := scenarios.ParseDay("fuzz.yaml", data)
		if err != nil {
			var errs scenarios.Errors
			if d != nil || !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("ParseDay answered %v and %v", d, err)
			}
			for _, e := range errs {
				if e.Msg == "" || e.Path != "fuzz.yaml" || e.Line < 0 || e.Column < 0 || e.Line > maxLines(data) {
					t.Fatalf("malformed error %#v", e)
				}
			}
			return
		}
		if d == nil || d.Title == "" || len(d.Experiments) == 0 || len(d.Experiments) > scenarios.MaxExperiments || len(d.Checklist) > scenarios.MaxChecklist {
			t.Fatalf("ParseDay accepted an incomplete day: %+v", d)
		}
		if !scenarios.IsDay(data) {
			t.Fatal("ParseDay accepted a file IsDay does not call a day")
		}
	})
}
