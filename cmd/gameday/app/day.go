package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/scenarios"
)

// A whole game day, headless: `gameday day FILE --headless` runs the
// experiments of a game-day file in order, each through the same code as
// `gameday run` (runHeadless: the registry, a session, its own journal and
// report), and records the day in an index beside their journals
// (engine.DayJournal). The day report and the day's JUnit are rendered from
// the index and the journals alone, so `gameday report INDEX` writes the
// same bytes.

// dayIndexSuffix ends the name of a day's index. It is not a journal, and
// latestJournal leaves it out.
const dayIndexSuffix = ".day.jsonl"

// isDayIndexName reports whether a file name is a day index's.
func isDayIndexName(name string) bool { return strings.HasSuffix(name, dayIndexSuffix) }

type dayFlags struct {
	headless        bool
	dryRun          bool
	checklistDone   bool
	stopOnViolation bool
	confirm         []string
	baseline        time.Duration
	fault           time.Duration
	recovery        time.Duration
	out             string
	report          string
	junit           string
	lang            string
	scenarios       []string
	fragile         bool
	verbose         bool
	share           string // the console's walk: serve each run to watchers
	aws             awsFlags
	kube            kubeFlags

	// For tests: the registry (default: defaultRegistry()) and the
	// signals to react to (default: the process's).
	reg  *registry
	sigs chan os.Signal
}

func newDayCmd() *cobra.Command {
	var f dayFlags
	cmd := &cobra.Command{
		Use:   "day DAY [--headless --checklist-done | --dry-run]",
		Short: "Run a whole game day: its experiments in order, one report, one JUnit",
		Long: `Run a game-day file: the experiments it lists, in order, each as a
scenario runs (its own journal, report and charts), then one day report
and, with --junit, one JUnit file for the whole day. DAY is a game-day file
(its top-level key is day:) or the name of a shipped one or one in
./scenarios, --scenarios DIR or the user config directory (gameday list
--days).

Without --headless the console walks the day: the people and their roles,
the preparation checklist, ticked item by item (space) by the day's
facilitator, the experiments in order with where each stands, and the plan
card of the one under the cursor. No experiment starts (enter) before the
whole checklist is ticked. Each runs on the console as a picked scenario
does; esc after its end comes back to the day, where n notes what the team
saw (+ a success, -@owner YYYY-MM-DD an action item), s skips the next
experiment (recorded as skipped, by the facilitator), e ends the
day and r shows its report. Quitting before the end records the day as
interrupted, rolling back a run that is still going first.

The preparation checklist comes first: headless, --checklist-done says
every item of it is done; without it the day refuses to start (exit 3)
and names the items. Every experiment's scenario is found and checked
before anything runs, and headless each production target confirmed
(--confirm NAME, once per target name); the console asks for a target's
name before its experiment starts, unless --confirm gave it.

An experiment whose rollback could not be confirmed stops the day: no
other experiment starts on a system that may still carry a fault. After one
that did not hold (violated, not steady, aborted by a stop condition, or
refused at start) the day goes on — the next experiment's baseline checks
the steady state before it injects anything — unless --stop-on-violation
(headless; on the console the facilitator decides). A signal aborts the experiment that runs (rolling back, as gameday run
does) and stops the day.

The day's index (NAME.day.jsonl) and the experiments' journals go to the
state directory, or --out DIR; the day report beside the index (or
--report FILE). --baseline, --fault and --recovery set those phases of
every experiment, over the day file's and the scenarios' own.

--dry-run shows each experiment's blast radius and calls and changes
nothing; it needs no checklist and writes no index.

Exit codes: the highest of the experiments' — 0 every experiment held;
1 one was violated or not steady; 2 one was aborted (or the day was
interrupted); 3 one was refused at start, or the day file, the flags, the
checklist or a production confirmation is missing or wrong and nothing
ran; 4 a rollback could not be confirmed.`,
		Example: `  gameday day sandbox-day
  gameday day sandbox-day --headless --checklist-done
  gameday day ./gamedays/2026-12-15.yaml --headless --checklist-done --junit day.xml --baseline 10s --fault 30s --recovery 10s
  gameday day ./gamedays/payments.yaml --headless --checklist-done --confirm payments-prod --stop-on-violation
  gameday day sandbox-day --dry-run`,
		Args:              argsWith(cobra.ExactArgs(1)),
		ValidArgsFunction: completeDays,
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.share != "" && (f.headless || f.dryRun) {
				return invalid(errors.New("--share serves the day on the console; headless, each run shares with gameday run SCENARIO --headless --share"))
			}
			if err := checkShareArgs(f.share, args); err != nil {
				return err
			}
			if !f.headless && !f.dryRun {
				return runDayConsole(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), args[0], f)
			}
			return runDay(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.headless, "headless", false, "run without the console (which walks the day otherwise)")
	fl.BoolVar(&f.dryRun, "dry-run", false, "show each experiment's blast radius and calls, change nothing, and exit")
	fl.BoolVar(&f.checklistDone, "checklist-done", false, "confirm that every item of the day's preparation checklist is done")
	fl.BoolVar(&f.stopOnViolation, "stop-on-violation", false, "stop the day after the first experiment that does not hold")
	addShareFlag(fl, &f.share)
	fl.StringArrayVar(&f.confirm, "confirm", nil, "confirm a target marked environment: production by its `NAME` (repeatable)")
	fl.DurationVar(&f.baseline, "baseline", 0, "set every experiment's baseline phase")
	fl.DurationVar(&f.fault, "fault", 0, "set every experiment's fault phase (fault start times and durations scale with it)")
	fl.DurationVar(&f.recovery, "recovery", 0, "set every experiment's recovery phase")
	fl.StringVar(&f.out, "out", "", "write the day's index and the experiments' journals and reports in `DIR` (default: the state directory)")
	fl.StringVar(&f.report, "report", "", "write the day report to `FILE` (default: beside the index)")
	fl.StringVar(&f.junit, "junit", "", "also write the day's JUnit XML to `FILE`")
	fl.StringVar(&f.lang, "lang", "en", "write the reports (and the JUnit text) in `LANG`: en or ja")
	fl.StringArrayVar(&f.scenarios, "scenarios", nil, "also look for scenarios and days in `DIR` (repeatable)")
	fl.BoolVar(&f.fragile, "fragile", false, "start the sandbox without its resilience patterns (timeouts, retries, circuit breaker)")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "also print what the system gameday started logs (a sandbox's processes)")
	addKubeFlags(fl, &f.kube)
	addAWSFlags(fl, &f.aws)
	return cmd
}

// findDay loads the game day arg names: a file, or a day found by its
// file name without extension ("sandbox-day") or its title.
func findDay(arg string, extraDirs []string) (*scenarios.Day, error) {
	if fi, err := os.Stat(arg); err == nil && !fi.IsDir() {
		return scenarios.LoadDayFile(arg)
	}
	days, _ := scenarios.DiscoverDays(scenarios.SearchDirs(extraDirs))
	var names []string
	for _, d := range days {
		name := dayName(d)
		if name == arg || d.Path == arg || strings.EqualFold(d.Title, arg) {
			return d, nil
		}
		names = append(names, name)
	}
	return nil, fmt.Errorf("game day %q: no such file or day (known: %s; see gameday list --days)", arg, strings.Join(names, ", "))
}

// completeDays completes a day argument with the names gameday list
// --days shows.
func completeDays(_ *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	days, _ := scenarios.DiscoverDays(scenarios.SearchDirs(nil))
	var out []string
	for _, d := range days {
		if name := dayName(d); strings.HasPrefix(name, prefix) {
			out = append(out, name+"\t"+oneLine(d.Title))
		}
	}
	// A path to a file of one's own completes too.
	return out, cobra.ShellCompDirectiveDefault
}

// dayName is the name gameday day accepts for d: its file name without
// the extension.
func dayName(d *scenarios.Day) string {
	rel := strings.TrimPrefix(filepath.ToSlash(d.Path), scenarios.EmbeddedPrefix)
	return strings.TrimSuffix(path.Base(rel), path.Ext(rel))
}

// resolveDay finds each experiment's scenario — a path next to the day
// file, a shipped one's embedded path, or a name as gameday list shows
// it — and gives it its phases (scenarios.Day.Resolve).
func resolveDay(day *scenarios.Day, extraDirs []string, opts scenarios.Options, override scenarios.Phases) ([]*scenarios.Plan, error) {
	return day.Resolve(opts, override, func(r scenarios.Ref) (*scenarios.Plan, error) {
		switch {
		case r.Name != "":
			return findPlanNamed(r.Name, extraDirs, opts)
		case strings.HasPrefix(r.Path, scenarios.EmbeddedPrefix):
			for _, f := range scenarios.ShippedFiles() {
				if f.Path == r.Path {
					return scenarios.Parse(f.Path, f.Data, opts)
				}
			}
			return nil, fmt.Errorf("no shipped scenario %s", r.Path)
		}
		return scenarios.LoadFile(r.Path, opts)
	})
}

// validateDay checks a loaded game day the way gameday day does, and says
// what validate prints of it.
func validateDay(day *scenarios.Day, err error) (string, error) {
	if err != nil {
		return "", err
	}
	if _, err := resolveDay(day, nil, scenarioOptions(), scenarios.Phases{}); err != nil {
		return "", err
	}
	n := len(day.Experiments)
	what := "experiments"
	if n == 1 {
		what = "experiment"
	}
	return fmt.Sprintf("%s: a game day of %d %s", day.Title, n, what), nil
}

// listDays writes the table of gameday list --days.
func listDays(stdout, stderr io.Writer, dirs []string) error {
	days, errs := scenarios.DiscoverDays(scenarios.SearchDirs(dirs))
	rows := [][]string{{"NAME", "TITLE", "EXPERIMENTS", "PATH"}}
	for _, d := range days {
		refs := make([]string, len(d.Experiments))
		for i, x := range d.Experiments {
			refs[i] = oneLine(x.Scenario)
		}
		rows = append(rows, []string{oneLine(dayName(d)), oneLine(d.Title), strings.Join(refs, ", "), oneLine(d.Path)})
	}
	writeTable(stdout, rows)
	for _, err := range errs {
		fmt.Fprintln(stderr, err)
	}
	if len(errs) > 0 {
		return invalid(fmt.Errorf("%d game-day file(s) could not be loaded (see above)", len(errs)))
	}
	return nil
}

// confirmFor returns the --confirm value that names plan's target, "" if
// none does.
func confirmFor(plan *scenarios.Plan, confirm []string) string {
	for _, c := range confirm {
		if strings.TrimSpace(c) == strings.TrimSpace(plan.Target.Name) {
			return c
		}
	}
	return ""
}

// codeOf is the exit code an error of runHeadless carries.
func codeOf(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return ExitInvalid
}

// codeWord says what an experiment's exit code means, for the last lines
// of a headless day.
func codeWord(code int) string {
	switch code {
	case ExitOK:
		return "held"
	case ExitViolated:
		return "did not hold"
	case ExitAborted:
		return "aborted"
	case ExitInvalid:
		return "refused at start"
	case ExitRollbackFailed:
		return "rollback NOT confirmed"
	}
	return fmt.Sprintf("exit %d", code)
}

// loadDay reads the flags a day needs whatever walks it, finds the day
// arg names and resolves every experiment's scenario. Every experiment is
// found and checked before anything runs: a typo in the third must not
// show after the first injected its fault.
func loadDay(arg string, f dayFlags, reg *registry) (engine.Lang, *scenarios.Day, []*scenarios.Plan, error) {
	lang, err := engine.ParseLang(f.lang)
	if err != nil {
		return "", nil, nil, invalid(fmt.Errorf("--lang: %w", err))
	}
	if err := checkScenarioDirs(f.scenarios); err != nil {
		return "", nil, nil, invalid(err)
	}
	for _, d := range []struct {
		name string
		d    time.Duration
	}{{"--baseline", f.baseline}, {"--fault", f.fault}, {"--recovery", f.recovery}} {
		if d.d < 0 {
			return "", nil, nil, invalid(fmt.Errorf("%s must be positive, got %s", d.name, d.d))
		}
	}
	day, err := findDay(arg, f.scenarios)
	if err != nil {
		return "", nil, nil, invalid(err)
	}
	plans, err := resolveDay(day, f.scenarios, reg.options(), scenarios.Phases{Baseline: f.baseline, Fault: f.fault, Recovery: f.recovery})
	if err != nil {
		return "", nil, nil, invalid(err)
	}
	return lang, day, plans, nil
}

// createDayIndex creates the index of a day titled title in dir (the
// state directory when empty), exclusively, and locks it: held while the
// day lives, like a run's journal, so that a report of the index says the
// day goes on. It returns the index's absolute path.
func createDayIndex(dir, title string) (string, *os.File, error) {
	if dir == "" {
		var err error
		if dir, err = journalDir(); err != nil {
			return "", nil, err
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", nil, fmt.Errorf("create the journal directory: %w", err)
	}
	indexPath := filepath.Join(dir, strings.TrimSuffix(journalName(title, time.Now()), ".jsonl")+dayIndexSuffix)
	if abs, err := filepath.Abs(indexPath); err == nil {
		indexPath = abs
	}
	idx, err := os.OpenFile(indexPath, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return "", nil, fmt.Errorf("create the day's index: %w", err)
	}
	if ok, err := lockJournal(idx, true); err != nil || !ok {
		idx.Close()
		return "", nil, fmt.Errorf("lock the day's index %s: %v", indexPath, err)
	}
	return indexPath, idx, nil
}

func runDay(ctx context.Context, rawStdout, rawStderr io.Writer, arg string, f dayFlags) error {
	stdout := &quietWriter{w: rawStdout}
	reg := f.reg
	if reg == nil {
		reg = defaultRegistry()
	}
	lang, day, plans, err := loadDay(arg, f, reg)
	if err != nil {
		return err
	}
	loc := day.Localized(string(lang))
	fmt.Fprintf(stdout, "day %q: %d experiment(s) — %s\n", engine.Redact(loc.Title), len(plans), engine.Redact(day.Path))
	if f.dryRun {
		for i, item := range loc.Checklist {
			fmt.Fprintf(stdout, "  [ ] %d. %s  (to tick before the first experiment)\n", i+1, engine.Redact(oneLine(item)))
		}
		return dryRunDay(ctx, rawStdout, rawStderr, plans, f, reg)
	}

	var refusals []string
	for i, p := range plans {
		if err := engine.ConfirmProduction(p.Target, confirmFor(p, f.confirm), "--confirm"); err != nil {
			refusals = append(refusals, fmt.Sprintf("experiment %d (%s): %v", i+1, p.Path, err))
		}
	}
	if len(refusals) > 0 {
		return invalid(errors.New(strings.Join(refusals, "\n")))
	}
	if len(day.Checklist) > 0 && !f.checklistDone {
		var items []string
		for i, item := range loc.Checklist {
			items = append(items, fmt.Sprintf("  [ ] %d. %s", i+1, oneLine(item)))
		}
		return invalid(fmt.Errorf("the preparation checklist is not confirmed; nothing ran. Once each item is done, run again with --checklist-done:\n%s", strings.Join(items, "\n")))
	}

	indexPath, idx, err := createDayIndex(f.out, loc.Title)
	if err != nil {
		return err
	}
	defer idx.Close()
	dir := filepath.Dir(indexPath)
	dj, err := engine.NewDayJournal(idx, day, plans, buildVersion(), nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "index %s\n", indexPath)
	for i, item := range loc.Checklist {
		if err := dj.Tick(i, "--checklist-done"); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "  [x] %s\n", engine.Redact(oneLine(item)))
	}

	// Signals: the one that comes during an experiment goes to its run
	// (abort and roll back; a second exits at once); any stops the day.
	sigs := f.sigs
	if sigs == nil {
		sigs = make(chan os.Signal, 4)
		signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGPIPE)
		defer signal.Stop(sigs)
	}
	var mu sync.Mutex
	var current chan os.Signal
	interrupted := false
	stopForward := make(chan struct{})
	defer close(stopForward)
	go func() {
		for {
			select {
			case sig := <-sigs:
				mu.Lock()
				if sig != syscall.SIGPIPE {
					interrupted = true
				}
				if current != nil {
					select {
					case current <- sig:
					default:
					}
				} else if sig != syscall.SIGPIPE {
					fmt.Fprintf(rawStderr, "\ngameday: %s: the day stops; no experiment is running\n", sig)
				}
				mu.Unlock()
			case <-stopForward:
				return
			}
		}
	}()
	isInterrupted := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return interrupted
	}

	shared, closeShared := reg.sharing(context.WithoutCancel(ctx))
	defer func() {
		if err := closeShared(); err != nil {
			fmt.Fprintf(rawStderr, "gameday: close the day's connections: %v\n", err)
		}
	}()
	worst := ExitOK
	stop := engine.DayStop("")
	var results []string
	for i, plan := range plans {
		if isInterrupted() {
			stop = engine.DayStopInterrupted
			break
		}
		title := plan.Localized(string(lang)).Title
		journal := filepath.Join(dir, journalName(title, time.Now()))
		if err := dj.Start(i, filepath.Base(journal)); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\n== experiment %d of %d: %s (%s) ==\n", i+1, len(plans), engine.Redact(title), engine.Redact(plan.Path))
		expSigs := make(chan os.Signal, 4)
		mu.Lock()
		current = expSigs
		mu.Unlock()
		rf := runFlags{
			headless: true, journal: journal, lang: f.lang, plan: plan, confirm: confirmFor(plan, f.confirm),
			fragile: f.fragile, verbose: f.verbose, aws: f.aws, kube: f.kube, reg: shared, sigs: expSigs,
		}
		runErr := runHeadless(ctx, rawStdout, rawStderr, "", rf)
		mu.Lock()
		current = nil
		mu.Unlock()
		code := codeOf(runErr)
		if _, err := os.Stat(journal); err == nil {
			err = dj.Finish(i)
			if err != nil {
				return err
			}
		} else {
			reason := "it did not start"
			if runErr != nil && runErr.Error() != "" {
				reason = runErr.Error()
			}
			fmt.Fprintf(rawStderr, "gameday: experiment %d did not start: %s\n", i+1, reason)
			if err := dj.Refuse(i, reason); err != nil {
				return err
			}
		}
		worst = max(worst, code)
		results = append(results, fmt.Sprintf("%d. %s: %s", i+1, engine.Redact(title), codeWord(code)))
		switch {
		case code == ExitRollbackFailed:
			stop = engine.DayStopRollback
			fmt.Fprintf(rawStderr, "gameday: the day stops after experiment %d: its rollback was not confirmed (see above; gameday recover %s)\n", i+1, journal)
		case isInterrupted():
			stop = engine.DayStopInterrupted
		case f.stopOnViolation && code != ExitOK:
			stop = engine.DayStopViolation
			fmt.Fprintf(rawStderr, "gameday: the day stops after experiment %d, which did not hold (--stop-on-violation)\n", i+1)
		default:
			continue
		}
		break
	}
	if stop == engine.DayStopInterrupted {
		worst = max(worst, ExitAborted)
	}
	if err := dj.End(stop); err != nil {
		return err
	}

	rs := localReports(lang)
	reportPath := f.report
	if reportPath == "" {
		reportPath = defaultDayReport(indexPath)
	}
	fmt.Fprintln(stdout)
	if err := writeDayReportFile(reportPath, indexPath, rs, false); err != nil {
		return withCode(max(worst, ExitInvalid), fmt.Errorf("write the day report: %w", err))
	}
	fmt.Fprintf(stdout, "day report: %s\n", reportPath)
	if f.junit != "" {
		if err := writeDayJUnitFile(f.junit, indexPath, rs); err != nil {
			return withCode(max(worst, ExitInvalid), err)
		}
		fmt.Fprintf(stdout, "junit: %s\n", f.junit)
	}
	for _, r := range results {
		fmt.Fprintf(stdout, "  %s\n", r)
	}
	if n := len(plans) - len(results); n > 0 {
		fmt.Fprintf(stdout, "  %d experiment(s) not run\n", n)
	}
	fmt.Fprintf(stdout, "day: exit %d (the highest of its experiments')\n", worst)
	if worst != ExitOK {
		return withCode(worst, errors.New(""))
	}
	return nil
}

// dryRunDay shows each experiment's dry run, in order; the day exits with
// the highest code.
func dryRunDay(ctx context.Context, stdout, stderr io.Writer, plans []*scenarios.Plan, f dayFlags, reg *registry) error {
	shared, closeShared := reg.sharing(context.WithoutCancel(ctx))
	defer func() {
		if err := closeShared(); err != nil {
			fmt.Fprintf(stderr, "gameday: close the day's connections: %v\n", err)
		}
	}()
	worst := ExitOK
	for i, plan := range plans {
		fmt.Fprintf(stdout, "\n== experiment %d of %d ==\n", i+1, len(plans))
		rf := runFlags{dryRun: true, lang: f.lang, plan: plan, fragile: f.fragile, verbose: f.verbose, aws: f.aws, kube: f.kube, reg: shared, sigs: f.sigs}
		err := runHeadless(ctx, stdout, stderr, "", rf)
		if err != nil && err.Error() != "" {
			fmt.Fprintf(stderr, "gameday: experiment %d: %v\n", i+1, err)
		}
		worst = max(worst, codeOf(err))
	}
	if worst != ExitOK {
		return withCode(worst, errors.New(""))
	}
	return nil
}

// sharing returns a registry whose backends connect to each system once
// for the whole day — a sandbox started for the day serves every
// experiment — and the function that closes those connections. A system
// is one provider with one set of target fields.
func (r *registry) sharing(ctx context.Context) (*registry, func() error) {
	shared := &registry{backends: make(map[string]backend, len(r.backends)), sources: r.sources}
	var mu sync.Mutex
	open := map[string]*conn{}
	for name, b := range r.backends {
		orig := b.open
		b.open = func(_ context.Context, plan *scenarios.Plan, o connectOptions) (*conn, error) {
			fields, _ := json.Marshal(plan.Target.Fields)
			key := name + " " + string(fields)
			mu.Lock()
			defer mu.Unlock()
			c, ok := open[key]
			if !ok {
				var err error
				if c, err = orig(ctx, plan, o); err != nil {
					return nil, err
				}
				open[key] = c
			}
			cp := *c
			cp.close = nil // the day closes it, at its end
			return &cp, nil
		}
		shared.backends[name] = b
	}
	return shared, func() error {
		mu.Lock()
		defer mu.Unlock()
		var errs []error
		for _, c := range open {
			errs = append(errs, c.Close())
		}
		open = map[string]*conn{}
		return errors.Join(errs...)
	}
}

// defaultDayReport is where a day's report goes: beside its index.
func defaultDayReport(indexPath string) string {
	return strings.TrimSuffix(indexPath, ".jsonl") + ".md"
}

// isDayIndexFile reports whether the file at path is a day's index.
func isDayIndexFile(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	return engine.IsDayIndex(bufio.NewReader(f))
}

// readDayFile reads a day's index, tolerating a torn last line.
func readDayFile(path string) ([]engine.DayRecord, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open the day's index: %w", err)
	}
	defer f.Close()
	recs, err := engine.ReadDay(f)
	var torn *engine.TornRecordError
	if err != nil && !errors.As(err, &torn) {
		return nil, fmt.Errorf("read the day's index %s: %w", path, err)
	}
	return recs, nil
}

// dayRuns reads the journal of each experiment of the day at indexPath,
// for a report at reportPath: its records, whether its run still holds
// it, and links to its charts relative to the report.
func dayRuns(indexPath, reportPath string) ([]engine.DayRecord, []engine.DayRun, error) {
	recs, err := readDayFile(indexPath)
	if err != nil {
		return nil, nil, err
	}
	st := engine.ReplayDay(recs)
	dir := filepath.Dir(indexPath)
	runs := make([]engine.DayRun, len(st.Experiments))
	for i, e := range st.Experiments {
		if e.Journal == "" {
			continue
		}
		p := filepath.Join(dir, e.Journal)
		run := engine.DayRun{Journal: p}
		if jrecs, _, err := readJournalFile(p); err != nil {
			run.Err = err.Error()
		} else {
			run.Records = jrecs
			run.Live, _ = journalLive(p)
			run.Charts = chartsFrom(strings.TrimSuffix(p, ".jsonl")+".md", reportPath)
		}
		runs[i] = run
	}
	return recs, runs, nil
}

// chartsFrom links the charts that exist beside the report runReport,
// relative to the report at from.
func chartsFrom(runReport, from string) map[scenarios.Metric]string {
	links := map[scenarios.Metric]string{}
	for m := range existingCharts(runReport) {
		p := chartPath(runReport, engine.ChartName(m))
		rel, err := filepath.Rel(filepath.Dir(from), p)
		if err != nil {
			continue
		}
		parts := strings.Split(filepath.ToSlash(rel), "/")
		for i, part := range parts {
			if part != ".." {
				parts[i] = strings.TrimPrefix(chartLink(part), "./")
			}
		}
		link := strings.Join(parts, "/")
		if !strings.HasPrefix(link, "../") {
			link = "./" + link
		}
		links[m] = link
	}
	return links
}

// renderDayReport renders the report of the day at indexPath to w, as if
// it were at reportPath (its chart links are relative to it).
func renderDayReport(w io.Writer, indexPath, reportPath string, rs reportSettings, live bool) error {
	recs, runs, err := dayRuns(indexPath, reportPath)
	if err != nil {
		return err
	}
	return engine.WriteDayReport(w, recs, runs, rs.options(indexPath, live)...)
}

// writeDayReportFile renders the day report into path atomically.
func writeDayReportFile(path, indexPath string, rs reportSettings, live bool) error {
	var b bytes.Buffer
	if err := renderDayReport(&b, indexPath, path, rs, live); err != nil {
		return err
	}
	return writeFileAtomic(path, b.Bytes())
}

// writeDayJUnitFile writes the day's JUnit XML into path atomically.
func writeDayJUnitFile(path, indexPath string, rs reportSettings) error {
	recs, runs, err := dayRuns(indexPath, defaultDayReport(indexPath))
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := engine.WriteDayJUnit(&b, recs, runs, rs.options(indexPath, false)...); err != nil {
		return fmt.Errorf("write JUnit: %w", err)
	}
	return writeFileAtomic(path, b.Bytes())
}

// reportDay is gameday report given a day's index: the day report on
// stdout (as if beside the index) or into out, and the day's JUnit.
func reportDay(stdout, stderr io.Writer, index, out, junit string, rs reportSettings) error {
	if abs, err := filepath.Abs(index); err == nil {
		index = abs
	}
	live, err := journalLive(index)
	if err != nil {
		return invalid(err)
	}
	if out == "" {
		if err := renderDayReport(stdout, index, defaultDayReport(index), rs, live); err != nil {
			return invalid(err)
		}
	} else {
		if err := writeDayReportFile(out, index, rs, live); err != nil {
			return invalid(err)
		}
		fmt.Fprintln(stderr, "report:", out)
	}
	if junit != "" {
		if err := writeDayJUnitFile(junit, index, rs); err != nil {
			return invalid(err)
		}
		fmt.Fprintln(stderr, "junit:", junit)
	}
	return nil
}
