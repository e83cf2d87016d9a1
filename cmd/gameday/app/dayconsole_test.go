package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/scenarios"
	"github.com/gameday-tui/gameday/share"
	"github.com/gameday-tui/gameday/tui"
)

// The console's day (consoleDay, the tui.Day of gameday day DAY), driven
// as the day screen drives it, against the fake systems of day_test.go.

// openFakeConsoleDay opens the day of the experiments refs on reg, its
// index in a fresh directory; the day's connections close with the test.
func openFakeConsoleDay(t *testing.T, reg *registry, refs ...string) *consoleDay {
	t.Helper()
	t.Setenv("GAMEDAY_STATE_DIR", t.TempDir())
	day, err := scenarios.LoadDayFile(writeDay(t, refs...))
	if err != nil {
		t.Fatal(err)
	}
	plans, err := resolveDay(day, nil, reg.options(), scenarios.Phases{})
	if err != nil {
		t.Fatal(err)
	}
	shared, closeShared := reg.sharing(context.Background())
	t.Cleanup(func() { _ = closeShared() })
	d, err := openConsoleDay(day, plans, dayConsoleOptions{dir: t.TempDir(), lang: engine.English, start: dayStarter(shared, connectOptions{logf: t.Logf}, engine.English, nil)})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// tickAll ticks the day's whole checklist.
func tickAllItems(t *testing.T, d *consoleDay) {
	t.Helper()
	for i := range d.Status().Checks {
		if err := d.Tick(i); err != nil {
			t.Fatal(err)
		}
	}
}

// runExperiment starts experiment i and waits until the day has recorded
// its end.
func runExperiment(t *testing.T, d *consoleDay, i int) tui.DayResult {
	t.Helper()
	r, err := d.Start(context.Background(), i)
	if err != nil {
		t.Fatalf("start experiment %d: %v", i+1, err)
	}
	select {
	case <-r.Done():
	case <-time.After(time.Minute):
		t.Fatalf("experiment %d did not end within a minute", i+1)
	}
	st := d.Status()
	if e := st.Experiments[i]; e.State != engine.ExperimentEnded {
		t.Fatalf("experiment %d in the index once Done: %+v, want ended", i+1, e)
	}
	return st.Results[i]
}

// dayReportOf is what gameday report INDEX prints for d's index.
func dayReportOf(t *testing.T, d *consoleDay) string {
	t.Helper()
	out, errOut, code := execScenarioCmd(t, "", "report", d.indexPath)
	if code != ExitOK {
		t.Fatalf("gameday report %s: exit %d %s", d.indexPath, code, errOut)
	}
	return out
}

// A day walked on the console: nothing starts before the checklist is
// ticked; each tick is journaled by the facilitator; an experiment runs
// as a session of its own, its start and end in the index; a note and an
// action item between experiments; the day report End writes is the one
// gameday report INDEX renders from the index and the journals, byte for
// byte, and the day exits 0.
func TestConsoleDayWalk(t *testing.T) {
	sys := &fakeSystem{id: "sys-walk", applied: map[string]bool{}}
	reg, opened := dayRegistry(sys)
	d := openFakeConsoleDay(t, reg, "held.yaml", "./held.yaml")
	d.junit = filepath.Join(t.TempDir(), "day.xml") // as --junit gives it

	if _, err := d.Start(context.Background(), 0); !errors.Is(err, engine.ErrChecklist) {
		t.Fatalf("Start before the checklist: %v, want %v", err, engine.ErrChecklist)
	}
	if err := d.Tick(0); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Start(context.Background(), 0); !errors.Is(err, engine.ErrChecklist) {
		t.Fatalf("Start with one item of two ticked: %v, want %v", err, engine.ErrChecklist)
	}
	if *opened != 0 {
		t.Fatalf("the system was opened %d times before the checklist was ticked", *opened)
	}
	v := d.Status().Version
	tickAllItems(t, d)
	st := d.Status()
	if st.Version <= v {
		t.Errorf("the version stayed at %d after a tick", v)
	}
	for i, c := range st.Checks {
		if !c.Done || c.By != "Sato" {
			t.Errorf("checklist item %d: %+v, want ticked by Sato, the facilitator", i+1, c)
		}
	}

	res := runExperiment(t, d, 0)
	if res.Outcome == nil || res.Outcome.Verdict != engine.VerdictHeld || len(res.Manual) != 0 {
		t.Errorf("experiment 1: %+v, want held with nothing to finish by hand", res)
	}
	if err := d.Note("-@kato 2026-12-20 page the database team earlier"); err != nil {
		t.Fatal(err)
	}
	if err := d.Note("+the dashboards showed it at once"); err != nil {
		t.Fatal(err)
	}
	runExperiment(t, d, 1)
	if *opened != 1 {
		t.Errorf("the system was opened %d times, want once for the day", *opened)
	}

	// Mid-day the report says the day goes on; at its end, it is the
	// day's.
	if md, err := d.Report(); err != nil || !strings.Contains(md, " so far. Day file: ") {
		t.Errorf("the report before the end (%v) does not say it is in progress:\n%s", err, md)
	}
	path, err := d.End()
	if err != nil {
		t.Fatal(err)
	}
	if path != defaultDayReport(d.indexPath) || d.Status().Report != path {
		t.Errorf("End wrote %s (status %q), want beside the index", path, d.Status().Report)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := dayReportOf(t, d); got != string(want) {
		t.Errorf("gameday report INDEX differs from the day's report:\n%s", firstLineDiff(string(want), got))
	}
	if md, err := d.Report(); err != nil || md != string(want) {
		t.Errorf("the report view (%v) differs from the day's report", err)
	}
	junit, err := os.ReadFile(d.junit)
	if err != nil {
		t.Fatalf("End wrote no JUnit: %v", err)
	}
	again := filepath.Join(t.TempDir(), "again.xml")
	if _, errOut, code := execScenarioCmd(t, "", "report", d.indexPath, "--junit", again); code != ExitOK {
		t.Fatalf("gameday report INDEX --junit: exit %d %s", code, errOut)
	}
	if b, _ := os.ReadFile(again); !bytes.Equal(b, junit) || !bytes.Contains(junit, []byte(`name="Fake day"`)) {
		t.Errorf("the day's JUnit differs from gameday report INDEX --junit, or is not the day's:\n%s", junit)
	}
	for _, s := range []string{
		"# Game day: Fake day",
		"**Day: ✅ HELD** — 2 experiments: ✅ HELD × 2",
		"- [x] On-call told — ticked at ",
		"@kato",
		"page the database team earlier",
		"the dashboards showed it at once",
	} {
		if !bytes.Contains(want, []byte(s)) {
			t.Errorf("the day report lacks %q", s)
		}
	}
	recs, err := readDayFile(d.indexPath)
	if err != nil {
		t.Fatal(err)
	}
	ds := engine.ReplayDay(recs)
	if ds.End == nil || ds.End.Stopped != "" || len(ds.Notes) != 2 || ds.Notes[0].After != 0 || ds.Notes[0].Note.Kind != engine.Improvement {
		t.Errorf("the index replayed: end %+v, notes %+v", ds.End, ds.Notes)
	}
	for i, e := range ds.Experiments {
		if _, err := os.Stat(filepath.Join(filepath.Dir(d.indexPath), strings.TrimSuffix(e.Journal, ".jsonl")+".md")); err != nil {
			t.Errorf("experiment %d wrote no report of its own beside its journal: %v", i+1, err)
		}
	}

	var out, errOut bytes.Buffer
	if code := d.close(&out, &errOut); code != ExitOK {
		t.Errorf("exit %d, want 0\n%s%s", code, out.String(), errOut.String())
	}
	if again, _ := os.ReadFile(path); !bytes.Equal(again, want) {
		t.Error("closing the console rewrote the report of a day that was over")
	}
	for _, s := range []string{"day report: " + path, "  1. Holds: held", "  2. Holds: held", "day: exit 0"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("stdout lacks %q:\n%s", s, out.String())
		}
	}
}

// firstLineDiff shows the first line where want and got differ.
func firstLineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(w), len(g)) {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\n  want %s\n  got  %s", i+1, a, b)
		}
	}
	return "(no line differs)"
}

// A skipped experiment is journaled as skipped, by the facilitator; a day
// quit with an experiment left is recorded as interrupted, its report
// written; the exit code is the highest of the experiments' and at least
// 2 for the interruption (the skip adds nothing).
func TestConsoleDaySkipAndQuit(t *testing.T) {
	sys := &fakeSystem{id: "sys-skip", applied: map[string]bool{}}
	reg, _ := dayRegistry(sys)
	d := openFakeConsoleDay(t, reg, "held.yaml", "./held.yaml", "./held.yaml")
	tickAllItems(t, d)
	runExperiment(t, d, 0)
	if err := d.Skip(1); err != nil {
		t.Fatal(err)
	}
	if e := d.Status().Experiments[1]; e.State != engine.ExperimentSkipped || e.Reason != "Sato" {
		t.Errorf("experiment 2 in the index: %+v, want skipped by Sato", e)
	}
	if st := d.Status(); st.Next != 2 || !st.Ready() {
		t.Errorf("after the skip: next %d, ready %t, want experiment 3 ready", st.Next+1, st.Ready())
	}

	var out, errOut bytes.Buffer
	code := d.close(&out, &errOut)
	if code != ExitAborted {
		t.Errorf("exit %d, want 2 (interrupted; the skip adds nothing)\n%s%s", code, out.String(), errOut.String())
	}
	recs, err := readDayFile(d.indexPath)
	if err != nil {
		t.Fatal(err)
	}
	st := engine.ReplayDay(recs)
	if st.End == nil || st.End.Stopped != engine.DayStopInterrupted || st.End.After != 1 {
		t.Errorf("the day's end %+v, want interrupted after experiment 2", st.End)
	}
	want, err := os.ReadFile(defaultDayReport(d.indexPath))
	if err != nil {
		t.Fatalf("quitting wrote no day report: %v", err)
	}
	if got := dayReportOf(t, d); got != string(want) {
		t.Errorf("gameday report INDEX differs from the report written on quitting:\n%s", firstLineDiff(string(want), got))
	}
	for _, s := range []string{"⏩ SKIPPED by Sato", "⏩ Skipped on the day by Sato", "⏭️ NOT RUN", "interrupted; experiment 2 was the last to have its turn"} {
		if !strings.Contains(string(want), s) {
			t.Errorf("the day report lacks %q", s)
		}
	}
	for _, s := range []string{"  2. Holds: skipped by Sato", "  1 experiment(s) not run", "the day was ended early (interrupted)", "day: exit 2 (the day was interrupted)"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("stdout lacks %q:\n%s", s, out.String())
		}
	}
}

// An experiment whose rollback was not confirmed stops the day: its
// result carries the command that finishes it, nothing starts or is
// skipped after it, and the day ends stopped by the rollback, exit 4.
func TestConsoleDayRollbackStops(t *testing.T) {
	sys := &fakeSystem{id: "sys-stuck", applied: map[string]bool{}}
	reg, _ := dayRegistry(sys)
	d := openFakeConsoleDay(t, reg, "stuck.yaml", "held.yaml")
	tickAllItems(t, d)
	res := runExperiment(t, d, 0)
	if len(res.Manual) != 1 || !strings.HasPrefix(res.Manual[0], "fakesysctl undo ") {
		t.Errorf("experiment 1: %+v, want the provider's command that finishes its rollback", res)
	}
	if n := d.Status().Stopped(); n != 0 {
		t.Fatalf("Stopped() = %d, want experiment 1", n)
	}
	if _, err := d.Start(context.Background(), 1); err == nil || !strings.Contains(err.Error(), "the rollback of experiment 1 was not confirmed") {
		t.Errorf("Start after it: %v", err)
	}
	if err := d.Skip(1); err == nil {
		t.Error("Skip after it succeeded")
	}
	if _, err := d.End(); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := d.close(&out, &errOut); code != ExitRollbackFailed {
		t.Errorf("exit %d, want 4\n%s%s", code, out.String(), errOut.String())
	}
	recs, err := readDayFile(d.indexPath)
	if err != nil {
		t.Fatal(err)
	}
	st := engine.ReplayDay(recs)
	if st.End == nil || st.End.Stopped != engine.DayStopRollback || st.Experiments[1].State != "" {
		t.Errorf("the day: end %+v, experiment 2 %+v; want stopped by the rollback before experiment 2", st.End, st.Experiments[1])
	}
	want, _ := os.ReadFile(defaultDayReport(d.indexPath))
	if got := dayReportOf(t, d); got != string(want) || !strings.Contains(got, "**Day: 🚨 ROLLBACK FAILED**") {
		t.Errorf("the day report: %s", firstLineDiff(string(want), got))
	}
}

// The console closed while an experiment runs: the run is aborted and
// rolled back before exit, its end recorded, and the day interrupted
// (exit 2).
func TestConsoleDayClosedMidRun(t *testing.T) {
	sys := &fakeSystem{id: "sys-mid", applied: map[string]bool{}}
	reg, _ := dayRegistry(sys)
	d := openFakeConsoleDay(t, reg, "long.yaml", "held.yaml")
	tickAllItems(t, d)
	r, err := d.Start(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	// Wait for the fault to be in place: the close has something to roll
	// back.
	deadline := time.Now().Add(time.Minute)
	for !faultActive(r.Snapshot()) {
		if time.Now().After(deadline) {
			t.Fatalf("the fault was not injected within a minute: %+v", r.Snapshot().Faults)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var out, errOut bytes.Buffer
	code := d.close(&out, &errOut)
	if code != ExitAborted {
		t.Errorf("exit %d, want 2\n%s%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(errOut.String(), "rolling back the run before exit") {
		t.Errorf("stderr does not say it rolls back:\n%s", errOut.String())
	}
	if len(sys.rollback) == 0 {
		t.Error("the fault was not rolled back")
	}
	recs, err := readDayFile(d.indexPath)
	if err != nil {
		t.Fatal(err)
	}
	st := engine.ReplayDay(recs)
	if st.Experiments[0].State != engine.ExperimentEnded || st.End == nil || st.End.Stopped != engine.DayStopInterrupted {
		t.Errorf("the day: experiment 1 %+v, end %+v; want ended, the day interrupted", st.Experiments[0], st.End)
	}
	if _, err := d.Start(context.Background(), 1); err == nil {
		t.Error("an experiment started after the console closed")
	}
}

// faultActive reports whether a fault of snap is in place.
func faultActive(snap engine.Snapshot) bool {
	for _, f := range snap.Faults {
		if f.State == engine.FaultActive {
			return true
		}
	}
	return false
}

// A day whose experiments held but one, which the facilitator skipped,
// held: the report's verdict is the held runs', the skip is counted and
// named, the JUnit file has it as a skipped case, and the day exits 0.
func TestConsoleDaySkipHeldDay(t *testing.T) {
	sys := &fakeSystem{id: "sys-skip-held", applied: map[string]bool{}}
	reg, _ := dayRegistry(sys)
	d := openFakeConsoleDay(t, reg, "held.yaml", "./held.yaml", "./held.yaml")
	d.junit = filepath.Join(t.TempDir(), "day.xml") // as --junit gives it
	tickAllItems(t, d)
	if err := d.Skip(0); err != nil {
		t.Fatal(err)
	}
	runExperiment(t, d, 1)
	if err := d.Skip(1); err == nil {
		t.Error("skipping an experiment that ran succeeded")
	}
	if err := d.Skip(2); err != nil {
		t.Fatal(err)
	}
	path, err := d.End()
	if err != nil {
		t.Fatal(err)
	}
	report, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"**Day: ✅ HELD** — 3 experiments: ✅ HELD × 1, ⏩ SKIPPED × 2", "| ⏩ SKIPPED by Sato |"} {
		if !bytes.Contains(report, []byte(s)) {
			t.Errorf("the day report lacks %q:\n%s", s, report)
		}
	}
	junit, err := os.ReadFile(d.junit)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(junit, []byte(`<skipped message="skipped on the day by Sato">`)) {
		t.Errorf("the JUnit file has no skipped case for the skips:\n%s", junit)
	}
	var out, errOut bytes.Buffer
	if code := d.close(&out, &errOut); code != ExitOK {
		t.Errorf("exit %d, want 0\n%s%s", code, out.String(), errOut.String())
	}
	for _, s := range []string{"  1. Holds: skipped by Sato", "  2. Holds: held", "day: exit 0"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("stdout lacks %q:\n%s", s, out.String())
		}
	}
}

// With --share, the day on the console serves each experiment's run as
// the console does: a watcher that joined before follows the run, and a
// scribe's note lands in that experiment's journal under the scribe's
// name.
func TestConsoleDayShared(t *testing.T) {
	t.Setenv("GAMEDAY_STATE_DIR", t.TempDir())
	sys := &fakeSystem{id: "sys-shared", applied: map[string]bool{}}
	reg, _ := dayRegistry(sys)
	day, err := scenarios.LoadDayFile(writeDay(t, "./long.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	plans, err := resolveDay(day, nil, reg.options(), scenarios.Phases{})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := listenShare(share.DefaultAddr, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close("done")
	shared, closeShared := reg.sharing(context.Background())
	t.Cleanup(func() { _ = closeShared() })
	d, err := openConsoleDay(day, plans, dayConsoleOptions{dir: t.TempDir(), lang: engine.English, start: dayStarter(shared, connectOptions{logf: t.Logf}, engine.English, srv)})
	if err != nil {
		t.Fatal(err)
	}
	tickAllItems(t, d)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	join := func(line string) string { f := strings.Fields(line); return f[len(f)-1] }
	scribe, err := share.Dial(ctx, join(srv.ScribeLine()), share.DialOptions{Scribe: "Tanaka"})
	if err != nil {
		t.Fatal(err)
	}
	defer scribe.Close()
	r, err := d.Start(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-scribe.Ready():
	case <-ctx.Done():
		t.Fatal("the scribe who joined before the day's run never saw it start")
	}
	if got := scribe.Plan().Title; got != "Holds for long" {
		t.Errorf("the scribe follows %q, want the experiment's run", got)
	}
	if err := scribe.Note("-@sato 2026-12-20 page the on-call sooner"); err != nil {
		t.Fatal(err)
	}
	journal := filepath.Join(filepath.Dir(d.indexPath), d.Status().Experiments[0].Journal)
	waitUntil(t, "the scribe's note in the run's journal", func() bool {
		b, _ := os.ReadFile(journal)
		return bytes.Contains(b, []byte(`"author":"Tanaka"`))
	})
	r.Abort("enough")
	select {
	case <-r.Done():
	case <-time.After(time.Minute):
		t.Fatal("the experiment did not end after its abort")
	}
	b, err := os.ReadFile(journal)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"author":"Tanaka"`)) || !bytes.Contains(b, []byte("page the on-call sooner")) {
		t.Errorf("experiment 1's journal lacks the scribe's note:\n%s", b)
	}
	var out, errOut bytes.Buffer
	d.close(&out, &errOut)
}
