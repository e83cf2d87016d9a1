//go:build linux

package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/providers/sandbox"
)

// killMix is a scenario whose faults cover every sandbox mechanism (proxy
// latency, burners and memory in a replica, a killed replica, the stopped
// database, the blackholed dependency), all started at once and meant to
// last the whole fault phase. The steady state is lenient: the baseline
// must hold for anything to be injected. %s is an extra line for every
// fault (a duration, or nothing).
const killMix = `title: Kill test mix
hypothesis: the sandbox is clean again after a crashed run
blast_radius: one replica per replica fault, the database and the dependency
rollback: gameday recover
target: { provider: sandbox }
load: { rate: 20, path: /api/users/7, timeout: 2s }
steady_state:
  error_rate: { max: 1 }
phases: { baseline: 3s, fault: %s, recovery: 2s }
faults:
  - kind: latency
    selection: { count: 1 }
    params: { delay: 100ms }%[2]s
  - kind: cpu-stress
    selection: { count: 1 }
    params: { workers: 1, load: 20 }%[2]s
  - kind: memory-stress
    selection: { count: 1 }
    params: { memory_mb: 16 }%[2]s
  - kind: instance-stop
    selection: { count: 1 }%[2]s
  - kind: db-failure%[2]s
  - kind: dependency-outage%[2]s
`

// Kill test parameters: 20 kills, each at a random moment up to killSpread
// after the first fault is journaled as injecting.
const (
	killRounds = 20
	killSpread = 800 * time.Millisecond
	// cleanWithin bounds how long the sandbox may take to be clean after
	// recover: a killed replica restarts and passes two health checks. It is
	// far below the faults' TTL (fault phase 30s + the 30s margin), so a
	// recover that undid nothing cannot pass.
	cleanWithin = 20 * time.Second
	// TTL part: each fault lasts ttlFault, and the run adds ttlMargin.
	ttlFault  = 5 * time.Second
	ttlMargin = 2 * time.Second
)

// TestKillRunThenRecover is the crash-safety test of issue 5. Against one
// separately started `gameday sandbox`, it SIGKILLs headless runs in their
// fault phase:
//
//  1. without recover: every hook must end by itself at its TTL (the
//     fault's duration plus the margin), and the sandbox be clean again;
//  2. twenty times, at random moments (seeded; the seed is logged, and
//     GAMEDAY_KILL_SEED replays one): `gameday recover` must roll
//     everything back and verify it, leaving the sandbox clean, the journal
//     showing nothing unfinished and its report rendering.
//
// The first run after (1) must print the unfinished-journal notice.
func TestKillRunThenRecover(t *testing.T) {
	if testing.Short() {
		t.Skip("kills 21 runs: not in -short")
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("GAMEDAY_KILL_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("GAMEDAY_KILL_SEED=%q: %v", s, err)
		}
	}
	t.Logf("seed %d (replay with GAMEDAY_KILL_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed>>1|1))
	began := time.Now()

	w := newWorld(t)
	sb := w.startSandbox(t, "--restart-delay", "1s")
	sb.waitInitial(t, 60*time.Second)
	dir := t.TempDir()
	longMix := writeFile(t, filepath.Join(dir, "mix.yaml"), fmt.Sprintf(killMix, "30s", ""))
	shortMix := writeFile(t, filepath.Join(dir, "mix-ttl.yaml"), fmt.Sprintf(killMix, "30s", "\n    duration: "+ttlFault.String()))

	// 1. No recover: the TTL ends every hook.
	ttlJournal := crashTTL(t, w, sb, shortMix)
	t.Logf("TTL: every hook expired by itself; %s", time.Since(began).Round(100*time.Millisecond))

	// 2. Twenty kills, each followed by recover.
	var took []time.Duration
	dirtyAtKill, labelOnly := 0, 0
	for i := range killRounds {
		wait := time.Duration(rng.Int64N(int64(killSpread)))
		if i%5 == 0 {
			wait = 0 // as soon as the first intent is journaled: inject calls in flight
		}
		start := time.Now()
		p := w.start(t, 2*time.Minute, "run", longMix, "--headless")
		journal := crashJournalPath(t, p)
		if i == 0 {
			crashWaitStderr(t, p, "gameday recover "+ttlJournal)
		}
		crashWaitFault(t, p, journal, engine.FaultInjecting)
		time.Sleep(wait)
		crashKill(t, p)

		recs := crashRead(t, journal)
		unfinished := engine.Unfinished(recs)
		var handles []string
		for _, f := range unfinished {
			if f.Injection != nil {
				handles = append(handles, f.Injection.Handles...)
			}
		}
		active := crashActiveHooks(t, sb)
		if len(active) > 0 {
			dirtyAtKill++
		}
		for _, h := range active {
			if !slices.Contains(handles, h.ID) {
				labelOnly++ // applied, but the run died before journaling its ID
			}
		}

		args := []string{"recover", journal}
		if i%2 == 1 {
			args = []string{"recover"} // the latest journal: this one
		}
		rp, code := w.run(t, 2*time.Minute, args...)
		if code != 0 {
			t.Fatalf("round %d (kill %s after the first intent): gameday %s: exit %d\n%s", i+1, wait, strings.Join(args, " "), code, rp.output())
		}
		for _, f := range unfinished {
			want := f.Fault.ID + " " + string(f.Fault.Kind) + ": rolled back, verified clean"
			if !strings.Contains(rp.stdout.String(), want) {
				t.Errorf("round %d: recover did not print %q\n%s", i+1, want, rp.output())
			}
		}
		crashWaitClean(t, sb, cleanWithin, fmt.Sprintf("round %d (kill %s after the first intent, %d unfinished)", i+1, wait, len(unfinished)))
		after := crashRead(t, journal)
		if u := engine.Unfinished(after); len(u) != 0 {
			t.Errorf("round %d: the journal still shows %d unfinished fault(s) after recover", i+1, len(u))
		}
		if len(unfinished) > 0 && !slices.ContainsFunc(after, func(r engine.Record) bool { return r.Type == engine.RecRecover }) {
			t.Errorf("round %d: recover appended no record to the journal", i+1)
		}
		if rp, code := w.run(t, time.Minute, "report", journal); code != 0 || !strings.Contains(rp.stdout.String(), "# Game day report") {
			t.Errorf("round %d: gameday report after recover: exit %d\n%s", i+1, code, rp.output())
		}
		took = append(took, time.Since(start))
		t.Logf("round %2d: killed %3d ms after the first intent, %d fault(s) unfinished, %d hook(s) active; run, kill, recover, clean in %s", i+1, wait.Milliseconds(), len(unfinished), len(active), time.Since(start).Round(100*time.Millisecond))
		if t.Failed() {
			t.FailNow()
		}
	}
	t.Logf("%d/%d kills recovered clean; hooks active at the kill in %d rounds; %d active hook(s) known only by their owner label (the run died before journaling their ID); median round %s; total %s",
		killRounds, killRounds, dirtyAtKill, labelOnly, crashMedian(took).Round(100*time.Millisecond), time.Since(began).Round(time.Second))
	// The test must have killed runs with faults in place, or it proves
	// nothing.
	if dirtyAtKill < killRounds/4 {
		t.Errorf("only %d of %d kills left a hook active: the kills did not land in the fault phase", dirtyAtKill, killRounds)
	}

	// The TTL run's journal: its hooks are long gone; recover confirms it,
	// and then there is nothing left to recover anywhere.
	if rp, code := w.run(t, time.Minute, "recover", ttlJournal); code != 0 {
		t.Errorf("recover of the TTL run's journal: exit %d\n%s", code, rp.output())
	}
	if rp, code := w.run(t, time.Minute, "recover"); code != 0 || !strings.Contains(rp.stdout.String(), "nothing to recover") {
		t.Errorf("a last gameday recover: exit %d, want 0 and nothing to recover\n%s", code, rp.output())
	}
}

// crashTTL kills a run once all its faults are active (or failed), does not recover,
// and checks that every hook of the run ends by itself at its TTL (the
// fault's duration plus the margin) and the sandbox is clean again. It
// returns the run's journal.
func crashTTL(t *testing.T, w *world, sb *runningSandbox, scenario string) string {
	t.Helper()
	p := w.start(t, 2*time.Minute, "run", scenario, "--headless", "--ttl-margin", ttlMargin.String())
	journal := crashJournalPath(t, p)
	recs := crashWaitSettled(t, p, journal)
	crashKill(t, p)
	active := 0
	for _, f := range engine.Replay(recs).Faults {
		if f.State == engine.FaultActive {
			active++
		}
	}
	if active < 3 {
		t.Fatalf("only %d of 6 faults went active before the kill: %+v", active, engine.Replay(recs).Faults)
	}
	killedAt := time.Now()
	env := recs[0].Env
	if env == nil || env.RunID == "" {
		t.Fatalf("the journal's plan record has no run ID: %+v", recs[0])
	}
	mine := func(h sandbox.Hook) bool { return strings.HasPrefix(h.Spec.Label, env.RunID+".") }
	ttl := ttlFault + ttlMargin
	deadline := killedAt.Add(ttl + cleanWithin)
	var hooks []sandbox.Hook
	for {
		hooks = slices.DeleteFunc(sb.status(t).Hooks, func(h sandbox.Hook) bool { return !mine(h) })
		if !slices.ContainsFunc(hooks, func(h sandbox.Hook) bool { return h.State == sandbox.HookActive }) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("hooks of the killed run still active %s after the kill (TTL %s): %+v", time.Since(killedAt).Round(time.Second), ttl, hooks)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(hooks) != active {
		t.Errorf("the sandbox knows %d hooks labelled with run %s, want %d (one per active fault): %+v", len(hooks), env.RunID, active, hooks)
	}
	for _, h := range hooks {
		life := h.ExpiresAt.Sub(h.CreatedAt)
		switch {
		case h.State != sandbox.HookExpired:
			t.Errorf("hook %s (%s) is %s (%s), want expired: nobody was there to roll it back", h.ID, h.Kind, h.State, h.Note)
		case life > ttl+time.Second || life < ttlMargin:
			t.Errorf("hook %s (%s) had a TTL of %s, want the fault's %s plus the %s margin", h.ID, h.Kind, life, ttlFault, ttlMargin)
		case h.EndedAt.After(h.ExpiresAt.Add(2 * time.Second)):
			t.Errorf("hook %s (%s) ended at %s, more than 2s after its TTL (%s)", h.ID, h.Kind, h.EndedAt.Format(time.TimeOnly), h.ExpiresAt.Format(time.TimeOnly))
		}
	}
	crashWaitClean(t, sb, cleanWithin, "after the TTL")
	return journal
}

var crashJournalRE = regexp.MustCompile(`— journal (\S+\.jsonl)`)

// crashJournalPath waits for a run to print its journal's path.
func crashJournalPath(t *testing.T, p *proc) string {
	t.Helper()
	p.waitOutput(t, "— journal ", 30*time.Second)
	m := crashJournalRE.FindStringSubmatch(p.stdout.String())
	if m == nil {
		t.Fatalf("no journal path in the run's output\n%s", p.output())
	}
	return m[1]
}

// crashWaitStderr waits until the process's stderr contains s.
func crashWaitStderr(t *testing.T, p *proc, s string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(p.stderr.String(), s) {
		if p.exited() || time.Now().After(deadline) {
			t.Fatalf("gameday did not print %q on stderr\n%s", s, p.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// crashWaitFault polls the journal of a live run until some fault reaches
// state, and returns its records.
func crashWaitFault(t *testing.T, p *proc, journal string, state engine.FaultState) []engine.Record {
	t.Helper()
	return crashPollJournal(t, p, journal, "a fault "+state.String(), func(recs []engine.Record) bool {
		return slices.ContainsFunc(recs, func(r engine.Record) bool {
			return r.Type == engine.RecFault && r.Fault != nil && r.Fault.State == state
		})
	})
}

// crashWaitSettled polls the journal of a live run until every fault of
// its plan is active or failed to inject (two faults may pick the same
// replica, and a memory hook fails on a replica the kill hook just
// killed), and returns the records.
func crashWaitSettled(t *testing.T, p *proc, journal string) []engine.Record {
	t.Helper()
	return crashPollJournal(t, p, journal, "every fault active or failed", func(recs []engine.Record) bool {
		snap := engine.Replay(recs)
		return len(snap.Faults) > 0 && !slices.ContainsFunc(snap.Faults, func(f engine.FaultStatus) bool {
			return f.State != engine.FaultActive && f.State != engine.FaultInjectFailed
		})
	})
}

// crashPollJournal polls the journal of a live run until done holds.
func crashPollJournal(t *testing.T, p *proc, journal, what string, done func([]engine.Record) bool) []engine.Record {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if recs := crashRead(t, journal); len(recs) > 0 && done(recs) {
			return recs
		}
		if p.exited() {
			t.Fatalf("the run ended before %s\n%s", what, p.output())
		}
		if time.Now().After(deadline) {
			t.Fatalf("the journal shows no %s after 60s\n%s", what, p.output())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// crashRead reads a journal that may end in a torn line (a live or
// killed run): it returns the complete records.
func crashRead(t *testing.T, path string) []engine.Record {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read the journal: %v", err)
	}
	var recs []engine.Record
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	for sc.Scan() {
		var rec engine.Record
		if json.Unmarshal(sc.Bytes(), &rec) != nil {
			break // torn: the rest is being written
		}
		recs = append(recs, rec)
	}
	return recs
}

// crashKill SIGKILLs a run and waits until it is gone.
func crashKill(t *testing.T, p *proc) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil && !p.exited() {
		t.Fatalf("SIGKILL the run: %v", err)
	}
	p.wait(t, 30*time.Second)
}

// crashActiveHooks returns the sandbox's active hooks.
func crashActiveHooks(t *testing.T, sb *runningSandbox) []sandbox.Hook {
	t.Helper()
	return slices.DeleteFunc(sb.status(t).Hooks, func(h sandbox.Hook) bool { return h.State != sandbox.HookActive })
}

// crashWaitClean polls until the sandbox has no active hook, runs every replica
// healthy, and has its database up and its dependency normal. (Circuit
// breakers are not required closed: without traffic an open one stays
// open until the next request.)
func crashWaitClean(t *testing.T, sb *runningSandbox, d time.Duration, what string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		bad := slices.DeleteFunc(notInitial(sb.status(t), sb.replicas), func(s string) bool { return strings.Contains(s, "circuit breaker") })
		if len(bad) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the sandbox is not clean after %s:\n  %s", what, d, strings.Join(bad, "\n  "))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// crashMedian returns the median of ds.
func crashMedian(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
