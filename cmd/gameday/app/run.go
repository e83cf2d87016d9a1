package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
	"github.com/gameday-tui/gameday/share"
)

type runFlags struct {
	headless  bool
	report    string
	journal   string
	junit     string
	baseline  time.Duration
	fault     time.Duration
	recovery  time.Duration
	scenarios []string
	fragile   bool
	ttlMargin time.Duration
	dryRun    bool
	confirm   string
	verbose   bool
	reportDir string
	lang      string
	aws       awsFlags
	kube      kubeFlags
	loadOut   bool
	share     string
	ssh       sshFlags

	// For tests: the registry to use (default: defaultRegistry()) and the
	// signals to react to (default: the process's).
	reg  *registry
	sigs chan os.Signal
	// plan, when set, is the plan to run, already found and given its
	// phases (gameday day); the SCENARIO argument is then unused.
	plan *scenarios.Plan
}

func newRunCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run SCENARIO --headless | --dry-run",
		Short: "Run a scenario without the console (for CI)",
		Long: `Run a scenario end to end without a screen: baseline, faults, recovery,
then the verdict. SCENARIO is a file path or the name of a shipped or user
scenario (see gameday list). It attaches to a running gameday sandbox or
starts its own. One line is printed per event; the report, the journal and
optionally JUnit XML are written at the end.

Before anything starts, each fault's selection is resolved against the
system as it is now and printed ("blast f1 instance-stop: will stop 1 of 4
replicas: …"); a selection that matches nothing, or more targets than the
plan's max_count or max_percent, refuses to start (exit 3). A target marked
environment: production runs only with --confirm and its name.

--dry-run prints the plan, the blast radius and every call the faults
would make (inject and rollback), then exits without running the phases:
nothing is changed and no journal is written.

The report is written beside the journal (or to --report FILE) with its
SVG charts beside it; --lang ja writes it in Japanese, and names the
journal after the scenario's Japanese title when it has one.

Exit codes: 0 hypothesis held; 1 violated (or not steady before injection);
2 aborted; 3 invalid scenario or configuration; 4 a rollback could not be
confirmed.`,
		Example: `  gameday run latency --headless
  gameday run aws/instance-stop --headless --profile prod --confirm payments
  gameday run ./my-scenario.yaml --headless --baseline 10s --fault 30s --recovery 10s --junit junit.xml
  gameday run instance-stop --dry-run`,
		Args: func(cmd *cobra.Command, args []string) error {
			if err := checkShareArgs(f.share, args); err != nil {
				return err
			}
			return argsWith(cobra.ExactArgs(1))(cmd, args)
		},
		ValidArgsFunction: completeScenarios,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !f.headless && !f.dryRun {
				return invalid(errors.New("run needs --headless or --dry-run (the console is `gameday` with no arguments)"))
			}
			if err := checkShareArgs(f.share, args[1:]); err != nil {
				return err
			}
			return runHeadless(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.headless, "headless", false, "run without the console")
	fl.StringVar(&f.report, "report", "", "write the markdown report to `FILE` (default: beside the journal)")
	fl.StringVar(&f.journal, "journal", "", "write the journal to `FILE` (default: the state directory)")
	fl.StringVar(&f.junit, "junit", "", "also write JUnit XML to `FILE`")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "also print what the system gameday started logs (a sandbox's processes)")
	fl.StringVar(&f.reportDir, "report-dir", "", "write the report into `DIR` (default: beside the journal)")
	fl.DurationVar(&f.baseline, "baseline", 0, "override the baseline phase length")
	fl.DurationVar(&f.fault, "fault", 0, "override the fault phase length (fault start times and durations scale with it)")
	fl.DurationVar(&f.recovery, "recovery", 0, "override the recovery phase length")
	fl.StringArrayVar(&f.scenarios, "scenarios", nil, "also look for scenarios in `DIR` (repeatable)")
	fl.BoolVar(&f.fragile, "fragile", false, "start the sandbox without its resilience patterns (timeouts, retries, circuit breaker)")
	fl.BoolVar(&f.dryRun, "dry-run", false, "print the blast radius and every call the run would make, change nothing, and exit")
	fl.StringVar(&f.confirm, "confirm", "", "confirm a target marked environment: production by its `NAME`")
	fl.StringVar(&f.lang, "lang", "en", "write the report (and the JUnit text) in `LANG`: en or ja")
	addKubeFlags(fl, &f.kube)
	addShareFlag(fl, &f.share)
	addSSHFlags(fl, &f.ssh)
	fl.BoolVar(&f.loadOut, "load-output", false, "show the load command's output on stderr as it comes (it is always kept in a log beside the journal)")
	// How long a fault may outlive a crashed run past its planned end; for
	// tests that kill runs and wait for the TTL.
	fl.DurationVar(&f.ttlMargin, "ttl-margin", 0, "added to each fault's duration to make the TTL its provider enforces (default: the provider's own)")
	_ = fl.MarkHidden("ttl-margin")
	addAWSFlags(fl, &f.aws)
	return cmd
}

// shortenPhases applies --baseline/--fault/--recovery to plan. Fault
// windows that no longer fit the new fault phase scale with it; the others
// are kept (scenarios.Plan.WithPhases).
func shortenPhases(plan *scenarios.Plan, baseline, fault, recovery time.Duration) (*scenarios.Plan, error) {
	for _, d := range []struct {
		name string
		d    time.Duration
	}{{"--baseline", baseline}, {"--fault", fault}, {"--recovery", recovery}} {
		if d.d < 0 {
			return nil, fmt.Errorf("%s must be positive, got %s", d.name, d.d)
		}
	}
	return plan.WithPhases(scenarios.Phases{Baseline: baseline, Fault: fault, Recovery: recovery}), nil
}

// exitCode maps a run's verdict to the process exit code.
func exitCode(o engine.Outcome) int {
	switch o.Verdict {
	case engine.VerdictHeld:
		return ExitOK
	case engine.VerdictViolated, engine.VerdictNotSteady:
		return ExitViolated
	case engine.VerdictAborted:
		return ExitAborted
	case engine.VerdictRollbackFailed:
		return ExitRollbackFailed
	}
	return ExitViolated
}

func runHeadless(ctx context.Context, rawStdout, rawStderr io.Writer, name string, f runFlags) error {
	// A broken stdout (piped to head, a closed terminal) never stops the
	// run: the journal is the record. Writes after the first failure are
	// dropped.
	stdout, stderr := &quietWriter{w: rawStdout}, &quietWriter{w: rawStderr}
	reg := f.reg
	if reg == nil {
		reg = defaultRegistry()
	}
	lang, err := engine.ParseLang(f.lang)
	if err != nil {
		return invalid(fmt.Errorf("--lang: %w", err))
	}
	plan := f.plan
	if plan == nil {
		if plan, err = findPlanWith(name, f.scenarios, reg.options()); err != nil {
			return invalid(err)
		}
	}
	if plan, err = shortenPhases(plan, f.baseline, f.fault, f.recovery); err != nil {
		return invalid(err)
	}
	logf := func(format string, a ...any) {
		fmt.Fprintf(stderr, "gameday: "+format+"\n", a...)
		debugf(format, a...)
	}
	// The system's own log (a sandbox started for this run: its processes
	// starting and, at the end, being stopped) goes to --log, and to
	// stderr only with --verbose.
	sysLog := debugf
	if f.verbose {
		sysLog = func(format string, a ...any) { logf(format, a...) }
	}
	if f.ttlMargin < 0 {
		return invalid(fmt.Errorf("--ttl-margin %s: want a positive duration", f.ttlMargin))
	}
	if !f.dryRun {
		if err := engine.ConfirmProduction(plan.Target, f.confirm, "--confirm"); err != nil {
			return invalid(fmt.Errorf("%s: %w", plan.Path, err))
		}
	}
	if notice := unfinishedNotice(); notice != "" {
		fmt.Fprintln(stderr, notice)
	}

	// The run has its own context: signals abort it with rollback instead
	// of cancelling provider calls mid-flight.
	runCtx, cancelRun := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelRun()
	// Every signal that can be caught leads to the same rollback as
	// Ctrl+C: INT, TERM, HUP (a closed terminal), QUIT, and PIPE unless it
	// was our own write to a broken stdout (then only the output stops).
	sigs := f.sigs
	if sigs == nil {
		sigs = make(chan os.Signal, 4)
		signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGPIPE)
		defer signal.Stop(sigs)
	}

	co := connectOptions{logf: logf, systemLog: sysLog, fragile: f.fragile, aws: f.aws, kube: f.kube}
	t, err := reg.open(runCtx, plan, co)
	if err != nil {
		return err
	}
	defer t.Close()

	if f.dryRun {
		return dryRunHeadless(runCtx, stdout, t, plan, f, reg, co)
	}
	so := sessionOptions{JournalPath: f.journal, ReportPath: f.report, ReportDir: f.reportDir, Lang: lang, TTLMargin: f.ttlMargin, Registry: reg, Connect: co}
	if f.loadOut {
		so.LoadOutput = stderr
	}
	if f.ssh.addr != "" && f.share == "" {
		f.share = share.DefaultAddr // the SSH sessions watch the share
	}
	var sshLine string
	if f.share != "" {
		srv, err := listenShare(f.share, logf)
		if err != nil {
			return err
		}
		if f.ssh.addr != "" {
			ss, err := listenSSH(f.ssh, srv, logf, logf)
			if err != nil {
				srv.Close("the run is over")
				return err
			}
			defer ss.Close() // after the share: its sessions see the end first
			sshLine = ss.Line()
		}
		// Closed after the journal (deferred first, so run last): the
		// watchers get every record, then that the run is over.
		defer srv.Close("the run is over")
		so.Share = srv
	}
	s, err := startSession(runCtx, t, plan, so)
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Fprintf(stdout, "run %q — journal %s\n", engine.Redact(plan.Title), s.JournalPath())
	if so.Share != nil {
		lines := joinLines(so.Share)
		fmt.Fprintf(stdout, "share    watch:  %s\nshare    scribe: %s\n", lines[0], lines[1])
		if sshLine != "" {
			fmt.Fprintf(stdout, "share    ssh:    %s\n", sshLine)
		}
	}
	printBlast(stdout, t.provider, plan, s.Blast())

	live := isTerminal(rawStderr)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	events := s.Events()
	started := time.Now()
	lastProgress := started
	signals := 0
	show := func(rec engine.Record) {
		if line := eventLine(rec, started); line != "" {
			if live {
				fmt.Fprint(stderr, "\r\033[K") // clear the status line first
			}
			fmt.Fprintln(stdout, line)
		}
	}
loop:
	for {
		select {
		case rec, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			show(rec)
		case now := <-tick.C:
			if live {
				fmt.Fprint(stderr, "\r\033[K"+statusLine(s.Snapshot(), now))
			}
			// A CI log shows the system's health during a long phase.
			if now.Sub(lastProgress) >= progressEvery {
				lastProgress = now
				if line := progressLine(s.Snapshot(), started, now); line != "" {
					if live {
						fmt.Fprint(stderr, "\r\033[K")
					}
					fmt.Fprintln(stdout, line)
				}
			}
		case sig := <-sigs:
			if sig == syscall.SIGPIPE && (stdout.broken() || stderr.broken()) {
				continue // our own write to a closed pipe: the run goes on
			}
			signals++
			if signals == 1 {
				fmt.Fprintf(stderr, "\ngameday: %s: aborting, rolling back every fault (send it again to exit at once)\n", sig)
				s.AbortNow("signal: " + sig.String())
				continue
			}
			fmt.Fprintf(stderr, "\ngameday: %s again: exiting without waiting for rollback\n", sig)
			if printMaybeInjected(stderr, s.Snapshot(), s.JournalPath()) > 0 {
				return withCode(ExitRollbackFailed, errors.New("exited before rollback was confirmed"))
			}
			return withCode(ExitAborted, errors.New("exited after an abort; every fault was rolled back"))
		case <-s.Done():
			break loop
		}
	}
	// Every record the engine journaled reaches the output: the channel is
	// closed right after the verdict, so drain it to the end (bounded, in
	// case a reader-side bug left it open).
	drainBy := time.After(10 * time.Second)
	for events != nil {
		select {
		case rec, ok := <-events:
			if !ok {
				events = nil
				break
			}
			show(rec)
		case <-drainBy:
			events = nil
		}
	}
	if live {
		fmt.Fprint(stderr, "\r\033[K")
	}
	out := s.Outcome()
	if err := s.JournalErr(); err != nil {
		logf("the journal could not be written in full (%v); the report is rendered from what was written", err)
	}
	if err := s.Close(); err != nil {
		logf("close the journal: %v", err)
	}
	if _, err := s.SaveReport(); err != nil {
		return withCode(exitCode(out), fmt.Errorf("write the report: %w", err))
	}
	fmt.Fprintf(stdout, "report: %s\n", s.ReportPath())
	if f.junit != "" {
		if err := writeJUnitFile(f.junit, s.JournalPath(), localReports(lang), false); err != nil {
			return withCode(exitCode(out), err)
		}
		fmt.Fprintf(stdout, "junit: %s\n", f.junit)
	}
	fmt.Fprintf(stdout, "verdict: %s — %s\n", out.Verdict, out.Reason)
	if code := exitCode(out); code != ExitOK {
		return withCode(code, errors.New(""))
	}
	return nil
}

func writeJUnitFile(path, journalPath string, rs reportSettings, live bool) error {
	recs, _, err := readJournalFile(journalPath)
	if err != nil {
		return err
	}
	var b strings.Builder
	if err := engine.WriteJUnit(&b, recs, rs.options(journalPath, live)...); err != nil {
		return fmt.Errorf("write JUnit: %w", err)
	}
	return writeFileAtomic(path, []byte(b.String()))
}

// printMaybeInjected lists faults that may still be injected and how to
// finish them, and returns how many there are.
func printMaybeInjected(w io.Writer, snap engine.Snapshot, journalPath string) int {
	n := 0
	for _, f := range snap.Faults {
		if !f.State.MayBeActive() {
			continue
		}
		n++
		fmt.Fprintf(w, "  %s %s: %s\n", f.Fault.ID, f.Fault.Kind, f.State)
	}
	if n > 0 {
		fmt.Fprintf(w, "gameday: %d fault(s) may still be injected; they expire at their TTL. To roll back now:\n  gameday recover %s\n", n, journalPath)
	}
	return n
}

// quietWriter passes writes through until the first one fails (a closed
// pipe), then drops them: output is a courtesy, the journal is the record.
type quietWriter struct {
	w   io.Writer
	mu  sync.Mutex
	err error
}

func (q *quietWriter) Write(p []byte) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err != nil {
		return len(p), nil
	}
	if _, err := q.w.Write(p); err != nil {
		q.err = err
	}
	return len(p), nil
}

func (q *quietWriter) broken() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.err != nil
}

// eventLine renders one journal record as a line of headless output; samples
// print nothing (the live status line shows them).
func eventLine(rec engine.Record, started time.Time) string {
	at := rec.At.Sub(started).Truncate(time.Second)
	if at < 0 {
		at = 0
	}
	ts := fmt.Sprintf("T+%02d:%02d", int(at.Minutes()), int(at.Seconds())%60)
	switch rec.Type {
	case engine.RecPlan:
		if rec.Plan != nil {
			return fmt.Sprintf("%s plan     %s — %s", ts, rec.Plan.Title, rec.Plan.Hypothesis)
		}
	case engine.RecPhase:
		return fmt.Sprintf("%s phase    %s", ts, rec.Phase)
	case engine.RecFault:
		if f := rec.Fault; f != nil {
			line := fmt.Sprintf("%s fault    %s %s: %s", ts, f.Fault.ID, f.Fault.Kind, f.State)
			if len(f.Targets) > 0 {
				names := make([]string, len(f.Targets))
				for i, t := range f.Targets {
					names[i] = t.Name
				}
				line += " (" + strings.Join(names, ", ") + ")"
			}
			if f.Err != "" {
				line += " — " + f.Err
			}
			if f.Verification != nil {
				if f.Verification.Clean {
					line += " — verified clean"
				} else {
					line += " — NOT clean: " + strings.Join(f.Verification.Details, "; ")
				}
			}
			if f.Manual != "" {
				line += "\n         MANUAL ACTION NEEDED: " + f.Manual
			}
			return line
		}
	case engine.RecNote:
		if n := rec.Note; n != nil {
			if n.Author != "" {
				return fmt.Sprintf("%s note     [%s] %s: %s", ts, n.Kind, n.Author, n.Text)
			}
			return fmt.Sprintf("%s note     [%s] %s", ts, n.Kind, n.Text)
		}
	case engine.RecAbort:
		return fmt.Sprintf("%s ABORT    %s", ts, rec.Reason)
	case engine.RecVerdict:
		if rec.Outcome != nil {
			return fmt.Sprintf("%s verdict  %s — %s", ts, rec.Outcome.Verdict, rec.Outcome.Reason)
		}
	case engine.RecRecover:
		return fmt.Sprintf("%s recover  %s", ts, rec.Reason)
	case engine.RecSystem:
		if e := rec.Event; e != nil {
			return fmt.Sprintf("%s system   %s: %s", ts, e.Source, e.Text)
		}
	case engine.RecSample:
	}
	return ""
}

// progressEvery is how often a headless run prints a progress line.
const progressEvery = 10 * time.Second

// progressLine is the line a headless run prints every progressEvery: the
// phase, each bounded metric's latest value against its bound, and the
// verdict so far of the open phase — so a CI log shows the system's
// health during a long fault.
func progressLine(snap engine.Snapshot, started, now time.Time) string {
	if snap.Plan == nil || snap.Phase.Ended() || len(snap.Samples) == 0 {
		return ""
	}
	at := now.Sub(started).Truncate(time.Second)
	parts := []string{fmt.Sprintf("T+%02d:%02d progress %s", int(at.Minutes()), int(at.Seconds())%60, snap.Phase)}
	for _, m := range engine.BoundedMetrics(snap.Plan) {
		for i := len(snap.Samples) - 1; i >= 0; i-- {
			if v, ok := m.Value(snap.Samples[i]); ok {
				parts = append(parts, engine.FormatAgainst(m, v, snap.Plan.SteadyState[m]))
				break
			}
		}
	}
	switch {
	case snap.Group == "":
	case snap.Holding:
		parts = append(parts, snap.Group+" so far: holding")
	default:
		parts = append(parts, snap.Group+" so far: BREACHED "+strings.Join(snap.Breaches, "; "))
	}
	return strings.Join(parts, " · ")
}

// statusLine is the live line shown on a terminal.
func statusLine(snap engine.Snapshot, now time.Time) string {
	line := snap.Phase.String()
	if !snap.Started.IsZero() {
		line += fmt.Sprintf(" %s", now.Sub(snap.Started).Truncate(time.Second))
	}
	if len(snap.Samples) > 0 {
		// Each series as its newest sample that carries it: sources other
		// than the load generator fill only what they measure, and a
		// series a source could not read is a gap ("–"), never a zero.
		for _, f := range []struct{ series, label, format string }{
			{providers.SeriesP95, "p95", "%.0f ms"},
			{providers.SeriesErrorRate, "errors", "%.2f%%"},
			{providers.SeriesThroughput, "", "%.0f req/s"},
			{providers.SeriesRunning, "running", "%.0f"},
		} {
			text := strings.NewReplacer("%.0f", "–", "%.2f", "–", "%%", "%").Replace(f.format)
			for i := len(snap.Samples) - 1; i >= 0; i-- {
				if v, ok := snap.Samples[i].Value(f.series); ok {
					if f.series == providers.SeriesErrorRate {
						v *= 100
					}
					text = fmt.Sprintf(f.format, v)
					break
				}
			}
			line += " | " + strings.TrimSpace(f.label+" "+text)
		}
	}
	if snap.Holding {
		line += " | holding"
	} else if len(snap.Breaches) > 0 {
		line += " | BREACHED " + strings.Join(snap.Breaches, ", ")
	}
	return line
}
