package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/providers"
)

// Bounds on one recovery: each provider call, and the rollback (retries
// included) plus the verification of each fault.
const (
	recoverCallTimeout = 15 * time.Second
	recoverRetries     = 3
)

func newRecoverCmd() *cobra.Command {
	var timeout time.Duration
	var af awsFlags
	var kf kubeFlags
	cmd := &cobra.Command{
		Use:   "recover [JOURNAL]",
		Short: "Roll back every fault a journal shows as not confirmed rolled back",
		Long: `Read a run's journal (default: the latest one in the state directory),
find every fault whose rollback was not confirmed — the run crashed, was
killed, or a rollback failed — roll each back through its provider, verify
that it is gone, and append the outcome to that journal, so that
gameday report JOURNAL shows it.

A fault whose inject was journaled but never answered is found by the label
the run gave it. Recover acts only on the very system the run acted on (the
journal records its identity); when it cannot reach that system, or cannot
tell that it is that one, it says what it could not check and confirms
nothing. A system that is provably gone took its faults with it. Running
recover again is harmless: it says there is nothing to recover.

Exit codes: 0 everything clean (or nothing to recover); 3 no such journal,
not a journal, or its run is still going; 4 a rollback could not be
confirmed (the exact manual command is printed).`,
		Example: "  gameday recover                 # the latest journal\n  gameday recover run.jsonl       # a journal from CI or another machine",
		Args:    argsWith(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := ""
			if len(args) == 1 {
				path = args[0]
			}
			if timeout <= 0 {
				return invalid(fmt.Errorf("--timeout %s: want a positive duration", timeout))
			}
			return runRecover(cmd.Context(), cmd.OutOrStdout(), path, timeout, connectOptions{aws: af, kube: kf})
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", engine.DefaultRollbackDeadline, "how long to keep trying to roll back and verify each fault")
	addAWSFlags(cmd.Flags(), &af)
	addKubeFlags(cmd.Flags(), &kf)
	return cmd
}

func runRecover(ctx context.Context, stdout io.Writer, path string, timeout time.Duration, co connectOptions) error {
	if path == "" {
		latest, err := latestJournal()
		if err != nil {
			return invalid(err)
		}
		if latest == "" {
			dir, _ := journalDir()
			fmt.Fprintf(stdout, "nothing to recover: no journal in %s\n", dir)
			return nil
		}
		path = latest
	}
	res, err := recoverJournal(ctx, path, recoverOptions{reg: defaultRegistry(), co: co, timeout: timeout})
	if err != nil {
		return err
	}
	res.print(stdout)
	if !res.clean() {
		return withCode(ExitRollbackFailed, errors.New(""))
	}
	return nil
}

// recoveredFault is the outcome of recovering one fault.
type recoveredFault struct {
	status engine.FaultStatus // as appended to the journal
	line   string             // "f1 latency: rolled back, verified clean"
}

// recoverResult is the outcome of recovering one journal.
type recoverResult struct {
	path   string
	torn   string // the incomplete last line that was removed, described
	faults []recoveredFault
	// sidecar is where the outcome was written when not in the journal
	// itself, and sidecarWhy why.
	sidecar, sidecarWhy string
}

// clean reports whether every fault was confirmed rolled back (or is
// provably gone with its system).
func (r recoverResult) clean() bool {
	for _, f := range r.faults {
		if !recovered(f.status.State) {
			return false
		}
	}
	return true
}

func recovered(st engine.FaultState) bool {
	return st == engine.FaultRolledBack || st == engine.FaultGone
}

// summary says the outcome in one line, for the console's banner.
func (r recoverResult) summary() string {
	if len(r.faults) == 0 {
		return "Nothing to recover in " + r.path + ": every fault was confirmed rolled back."
	}
	var bad []string
	for _, f := range r.faults {
		if !recovered(f.status.State) {
			bad = append(bad, f.line)
		}
	}
	if len(bad) == 0 {
		return fmt.Sprintf("Recovered %d fault(s) of %s: all clean.", len(r.faults), filepath.Base(r.path))
	}
	return "NOT recovered: " + strings.Join(bad, " · ")
}

// print writes one line per fault.
func (r recoverResult) print(w io.Writer) {
	if r.torn != "" {
		fmt.Fprintf(w, "%s: %s\n", r.path, r.torn)
	}
	if len(r.faults) == 0 {
		fmt.Fprintf(w, "nothing to recover in %s: every fault was confirmed rolled back\n", r.path)
		return
	}
	fmt.Fprintf(w, "recover %s:\n", r.path)
	for _, f := range r.faults {
		fmt.Fprintln(w, f.line)
	}
	if r.sidecar != "" {
		why := ""
		if r.sidecarWhy != "" {
			why = " (the journal could not grow: " + r.sidecarWhy + ")"
		}
		fmt.Fprintf(w, "outcome written beside the journal, to %s%s; see: gameday report %s\n", r.sidecar, why, r.path)
		return
	}
	fmt.Fprintf(w, "outcome appended to the journal; see: gameday report %s\n", r.path)
}

// recoverJournal rolls back, verifies and journals every unfinished fault
// of the journal at path. An error (exit 3) means the journal could not be
// used and nothing was done; a result that is not clean means some fault
// needs manual action.
// recoverOptions configure recoverJournal.
type recoverOptions struct {
	reg     *registry
	co      connectOptions
	timeout time.Duration // per fault, rollback and verification each
	// appendJournal appends to the journal and syncs; nil means a plain
	// write (a test makes the disk full).
	appendJournal func(f *os.File, data []byte) error
}

func recoverJournal(ctx context.Context, path string, o recoverOptions) (recoverResult, error) {
	reg, co, timeout := o.reg, o.co, o.timeout
	if o.appendJournal == nil {
		o.appendJournal = appendJournal
	}
	res := recoverResult{path: path}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return res, invalid(fmt.Errorf("open the journal: %w", err))
	}
	defer f.Close()
	if ok, err := lockJournal(f, true); err != nil {
		return res, invalid(fmt.Errorf("lock the journal %s: %w", path, err))
	} else if !ok {
		return res, invalid(fmt.Errorf("the journal %s is still being written by a running gameday; abort that run (ctrl+x in its console, Ctrl+C headless) to roll it back", path))
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return res, invalid(fmt.Errorf("read the journal %s: %w", path, err))
	}
	recs, err := engine.ReadJournal(bytes.NewReader(data))
	var torn *engine.TornRecordError
	switch {
	case errors.As(err, &torn):
		// The run died writing its last line. Records appended after it
		// would make it a bad line in the middle of the journal, which no
		// reader tolerates, so it goes (it is not a record).
		keep := int64(bytes.LastIndexByte(data, '\n') + 1)
		if err := f.Truncate(keep); err != nil {
			return res, invalid(fmt.Errorf("remove the incomplete last line of %s: %w", path, err))
		}
		res.torn = fmt.Sprintf("removed the incomplete last line (line %d, %d bytes) left by the crash", torn.Line, int64(len(data))-keep)
	case err != nil:
		return res, invalid(fmt.Errorf("read the journal %s: %w", path, err))
	}
	if len(recs) > 0 && (recs[0].Type != engine.RecPlan || recs[0].Plan == nil) {
		return res, invalid(fmt.Errorf("%s is not a gameday journal: its first record is %q, not the plan", path, recs[0].Type))
	}
	// What an earlier recover could write only beside the journal (its
	// disk was full) is part of it.
	side, err := readSidecar(path)
	if err != nil {
		return res, invalid(err)
	}
	recs = append(recs, side...)
	unfinished := engine.Unfinished(recs)
	if len(unfinished) == 0 {
		return res, nil
	}
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		return res, invalid(fmt.Errorf("append to the journal %s: %w", path, err))
	}

	plan := recs[0].Plan
	envProvider := plan.Target.Provider
	var id providers.Identity
	if env := recs[0].Env; env != nil {
		if env.Provider != "" {
			envProvider = env.Provider
		}
		if env.Identity != nil {
			id = *env.Identity
		}
	}
	if id.Provider == "" {
		id.Provider = envProvider
	}

	// One connection per provider the unfinished faults name, reached by
	// the journal's identity of the system the run acted on.
	type reached struct {
		c   *conn
		b   backend
		err error
	}
	systems := map[string]*reached{}
	for _, fs := range unfinished {
		name := injectionFor(fs, envProvider).Provider
		if _, ok := systems[name]; ok {
			continue
		}
		r := &reached{}
		systems[name] = r
		b, err := reg.backend(name)
		if err != nil {
			r.err = err
			continue
		}
		r.b = b
		want := id
		if want.Provider != name {
			want = providers.Identity{Provider: name}
		}
		r.c, r.err = b.reach(ctx, want, plan, co)
	}
	defer func() {
		for _, r := range systems {
			r.c.Close()
		}
	}()

	res.faults = make([]recoveredFault, len(unfinished))
	var wg sync.WaitGroup
	for i, fs := range unfinished {
		inj := injectionFor(fs, envProvider)
		r := systems[inj.Provider]
		switch {
		case errors.Is(r.err, errGone):
			res.faults[i] = goneWithSystem(fs, r.err)
		case r.err != nil:
			res.faults[i] = failed(fs, inj, "", fmt.Errorf("could not check the system the run acted on (%s): %w", id, r.err))
		default:
			wg.Go(func() { res.faults[i] = recoverFault(r.c.provider, fs, inj, timeout, path) })
		}
	}
	wg.Wait()

	var out bytes.Buffer
	enc := engine.NewEncoder(&out)
	seq := recs[len(recs)-1].Seq
	for _, rf := range res.faults {
		seq++
		st := rf.status
		if err := enc.Encode(engine.Record{Seq: seq, At: time.Now(), Type: engine.RecRecover, Fault: &st}); err != nil {
			return res, fmt.Errorf("journal the outcome: %w", err)
		}
	}
	seq++
	if err := enc.Encode(engine.Record{Seq: seq, At: time.Now(), Type: engine.RecRecover, Reason: res.reason()}); err != nil {
		return res, fmt.Errorf("journal the outcome: %w", err)
	}
	if len(side) > 0 {
		// The journal could not grow before: keep appending beside it.
		res.sidecar = sidecarPath(path)
		return res, appendSidecar(path, out.Bytes())
	}
	size, _ := f.Seek(0, io.SeekEnd)
	if err := o.appendJournal(f, out.Bytes()); err != nil {
		// A full disk: the journal keeps what it had (a partial append
		// would tear it), and the outcome goes beside it, where every
		// reader of the journal looks.
		_ = f.Truncate(size)
		res.sidecar = sidecarPath(path)
		if serr := appendSidecar(path, out.Bytes()); serr != nil {
			return res, fmt.Errorf("append the outcome to %s (%v), or beside it: %w", path, err, serr)
		}
		res.sidecarWhy = err.Error()
	}
	return res, nil
}

// appendJournal appends data to the journal and syncs it.
func appendJournal(f *os.File, data []byte) error {
	if _, err := f.Write(data); err != nil {
		return err
	}
	return f.Sync()
}

// sidecarPath is where recover writes its outcome when the journal cannot
// grow (a full disk): beside it, JOURNAL.recover.jsonl. Every reader of a
// journal reads it after the journal (readJournalFile).
func sidecarPath(journal string) string { return journal + ".recover.jsonl" }

func appendSidecar(journal string, data []byte) error {
	f, err := os.OpenFile(sidecarPath(journal), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// readSidecar returns the records recover wrote beside the journal, if
// any.
func readSidecar(journal string) ([]engine.Record, error) {
	f, err := os.Open(sidecarPath(journal))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", sidecarPath(journal), err)
	}
	defer f.Close()
	recs, err := engine.ReadJournal(f)
	var torn *engine.TornRecordError
	if err != nil && !errors.As(err, &torn) {
		return nil, fmt.Errorf("read %s: %w", sidecarPath(journal), err)
	}
	return recs, nil
}

// readJournalFile reads a journal and what recover wrote beside it. A torn
// last line (a run that died writing it, or a live run mid-write) is left
// out and returned as torn, for the caller to mention.
func readJournalFile(path string) (recs []engine.Record, torn *engine.TornRecordError, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open the journal: %w", err)
	}
	defer f.Close()
	recs, err = engine.ReadJournal(f)
	if err != nil && !errors.As(err, &torn) {
		return nil, nil, fmt.Errorf("read the journal %s: %w", path, err)
	}
	if len(recs) == 0 {
		return nil, torn, fmt.Errorf("%s is not a gameday journal: it holds no record", path)
	}
	if recs[0].Type != engine.RecPlan || recs[0].Plan == nil {
		return nil, torn, fmt.Errorf("%s is not a gameday journal: its first record is %q, not the plan", path, recs[0].Type)
	}
	side, err := readSidecar(path)
	if err != nil {
		return nil, torn, err
	}
	return append(recs, side...), torn, nil
}

// reason is the closing RecRecover record's text.
func (r recoverResult) reason() string {
	n := 0
	for _, f := range r.faults {
		if recovered(f.status.State) {
			n++
		}
	}
	s := fmt.Sprintf("%d of %d fault(s) confirmed rolled back by gameday recover", n, len(r.faults))
	if n < len(r.faults) {
		s += "; the others need manual action"
	}
	if r.torn != "" {
		s += "; " + r.torn
	}
	return s
}

// injectionFor returns what to hand Rollback for fs: the journaled
// Injection (with handles, or only the owner label when the run died
// during Inject), else the fault's identity.
func injectionFor(fs engine.FaultStatus, provider string) providers.Injection {
	var inj providers.Injection
	if fs.Injection != nil {
		inj = *fs.Injection
	}
	if inj.FaultID == "" {
		inj.FaultID = fs.Fault.ID
	}
	if inj.Kind == "" {
		inj.Kind = fs.Fault.Kind
	}
	if inj.Provider == "" {
		inj.Provider = provider
	}
	if len(inj.Targets) == 0 {
		inj.Targets = fs.Targets
	}
	return inj
}

// recoverFault rolls back one fault and verifies it is gone, as the
// engine does at the end of a run (engine.RollbackFault, VerifyFault),
// each within timeout.
func recoverFault(prov providers.Provider, fs engine.FaultStatus, inj providers.Injection, timeout time.Duration, journal string) recoveredFault {
	opts := engine.RollbackOptions{CallTimeout: min(recoverCallTimeout, timeout), Deadline: timeout, Retries: recoverRetries}
	if _, err := engine.RollbackFault(prov, inj, opts); err != nil {
		return failed(fs, inj, engine.ManualCommand(prov, inj, journal), err)
	}
	v, ok := prov.(providers.Verifier)
	if !ok {
		return done(fs, nil, "rolled back (the provider cannot verify)")
	}
	res, err := engine.VerifyFault(prov, v, inj, opts)
	if err == nil && res.Clean {
		return done(fs, &res, "rolled back, verified clean")
	}
	if err != nil {
		res.Details = append(res.Details, "verify: "+err.Error())
	}
	res.Clean = false
	out := failed(fs, inj, engine.ManualCommand(prov, inj, journal), fmt.Errorf("rolled back, but not verified clean after %s: %s", timeout, strings.Join(res.Details, "; ")))
	out.status.Verification = &res
	return out
}

// done is a fault confirmed rolled back.
func done(fs engine.FaultStatus, v *providers.Verification, what string) recoveredFault {
	fs.State, fs.Verification, fs.Manual, fs.Err = engine.FaultRolledBack, v, "", ""
	return recoveredFault{status: fs, line: fmt.Sprintf("%s %s: %s", fs.Fault.ID, fs.Fault.Kind, what)}
}

// goneWithSystem is a fault whose system is provably gone: it lived in
// that system and ended with it.
func goneWithSystem(fs engine.FaultStatus, why error) recoveredFault {
	text := strings.TrimPrefix(why.Error(), errGone.Error()+": ")
	fs.State, fs.Manual = engine.FaultGone, ""
	fs.Err = "gameday recover: the fault ended with its system: " + text
	return recoveredFault{status: fs, line: fmt.Sprintf("%s %s: gone with its system — %s", fs.Fault.ID, fs.Fault.Kind, text)}
}

// failed is a fault that could not be confirmed rolled back.
func failed(fs engine.FaultStatus, inj providers.Injection, manual string, err error) recoveredFault {
	if manual == "" {
		manual = fs.Manual
	}
	fs.State, fs.Manual, fs.Err = engine.FaultRollbackFailed, manual, "gameday recover: "+err.Error()
	fs.Injection = &inj
	line := fmt.Sprintf("%s %s: NOT confirmed rolled back: %v", fs.Fault.ID, fs.Fault.Kind, err)
	if manual != "" {
		line += "\n  manual: " + manual
	}
	return recoveredFault{status: fs, line: line}
}

// latestJournal returns the newest journal in journalDir(), "" if there is
// none. Default journal names start with their run's UTC start time, so
// the newest is the last by name (not by modification time, which recover
// itself changes).
func latestJournal() (string, error) {
	dir, err := journalDir()
	if err != nil {
		return "", err
	}
	names, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		return "", fmt.Errorf("list the journals in %s: %w", dir, err)
	}
	// A day's index lies beside its experiments' journals; it is not one.
	names = slices.DeleteFunc(names, isDayIndexName)
	if len(names) == 0 {
		return "", nil
	}
	slices.Sort(names)
	return names[len(names)-1], nil
}

// unfinishedJournal returns the latest journal if it has faults that were
// not confirmed rolled back and its run is not still going, with those
// faults; "" otherwise. It never fails: a journal it cannot read is not
// worth a notice at start.
func unfinishedJournal() (string, []engine.FaultStatus) {
	path, err := latestJournal()
	if err != nil || path == "" {
		return "", nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", nil
	}
	defer f.Close()
	if ok, err := lockJournal(f, false); err != nil || !ok {
		return "", nil // being written: its run is alive and will roll back
	}
	recs, _, err := readJournalFile(path)
	if err != nil {
		return "", nil
	}
	u := engine.Unfinished(recs)
	if len(u) == 0 {
		return "", nil
	}
	return path, u
}

// unfinishedNotice is the line `gameday run` prints at start when the
// latest journal has faults that were not confirmed rolled back ("" if
// not).
func unfinishedNotice() string {
	path, _ := unfinishedJournal()
	if path == "" {
		return ""
	}
	return fmt.Sprintf("gameday: the journal %s has faults that were not confirmed rolled back; run: gameday recover %s", path, path)
}

// consoleRecovery returns the console's banner text about an unfinished
// journal and the function its recover key calls ("" and nil when there
// is nothing to recover). It recovers through the registry, like `gameday
// recover`: on the very system the journal names.
func consoleRecovery(reg *registry, co connectOptions) (string, func(context.Context) (string, error)) {
	path, faults := unfinishedJournal()
	if path == "" {
		return "", nil
	}
	names := make([]string, len(faults))
	for i, f := range faults {
		names[i] = fmt.Sprintf("%s %s", f.Fault.ID, f.Fault.Kind)
	}
	msg := fmt.Sprintf("The journal %s has %d fault(s) not confirmed rolled back (%s).", filepath.Base(path), len(faults), strings.Join(names, ", "))
	return msg, func(ctx context.Context) (string, error) {
		res, err := recoverJournal(ctx, path, recoverOptions{reg: reg, co: co, timeout: engine.DefaultRollbackDeadline})
		if err != nil {
			return "", err
		}
		if !res.clean() {
			return "", errors.New(res.summary())
		}
		return res.summary(), nil
	}
}
