package tui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// The day screen's fixtures: a day of three experiments, and a Day that
// keeps a real engine.DayJournal (in memory, on a clock that moves a
// minute with each record) and hands out fake runs.

// fixtureDay is a game day of the fixture plans: four people, four
// checklist items, three experiments, with a Japanese translation.
func fixtureDay() (*scenarios.Day, []*scenarios.Plan) {
	day := &scenarios.Day{
		Path:  "/home/ops/gamedays/2026-12-15.yaml",
		Title: "Sandbox game day",
		Date:  "2026-12-15",
		Description: `Three experiments against the sandbox, the mildest first.
Between them the team notes what it saw and moves on.`,
		Participants: []scenarios.Participant{
			{Name: "Sato", Role: "facilitator"}, {Name: "Tanaka", Role: "scribe"},
			{Name: "Suzuki", Role: "observer"}, {Name: "Kato", Role: "on-call"},
		},
		Checklist: []string{
			"Dashboards open (API latency and errors, load balancer, database)",
			"On-call told, and standing by for the length of the day",
			"Rollback rehearsed (abort with ctrl+x, gameday recover)",
			"Stop conditions reviewed for each experiment",
		},
		Experiments: []scenarios.Experiment{{Scenario: "latency"}, {Scenario: "cpu"}, {Scenario: "db.yaml"}},
		Translations: map[string]scenarios.DayText{"ja": {
			Title: "サンドボックスのゲームデイ",
			Checklist: []string{
				"ダッシュボードを開いておく（API のレイテンシとエラー、ロードバランサー、データベース）",
				"オンコール担当に伝え、当日中は待機してもらう",
				"ロールバックを予行演習しておく（ctrl+x で中止、gameday recover）",
				"各実験の停止条件を確認しておく",
			},
		}},
	}
	return day, []*scenarios.Plan{latencyPlan(), cpuPlan(), japanesePlan()}
}

// heldSnap is a run of p that held: its fault injected and rolled back,
// the verdict written.
func heldSnap(p *scenarios.Plan) engine.Snapshot {
	s := baselineSnap(p)
	s.Phase = engine.Done
	for i := range s.Faults {
		s.Faults[i].State = engine.FaultRolledBack
		s.Faults[i].Verification = &providers.Verification{Clean: true}
	}
	s.Outcome = &engine.Outcome{Verdict: engine.VerdictHeld, Reason: "the steady state held during the fault and the recovery"}
	s.Timeline = append(s.Timeline, engine.Record{Seq: 3, At: t0.Add(3 * time.Minute), Type: engine.RecVerdict, Outcome: s.Outcome})
	return s
}

// fakeDay is a Day over a real engine.DayJournal in memory. Start hands
// out the runs of runs in order, each wrapped so that its Done is closed
// once the day has recorded its end, as cmd's is.
type fakeDay struct {
	mu        sync.Mutex
	dj        *engine.DayJournal
	index     bytes.Buffer
	by        string
	confirmed []bool
	results   []DayResult
	version   int
	report    string

	runs     chan *fakeRun
	startErr error // what Start fails with, after journaling the start

	starts   []int
	startCh  chan int // each experiment Start was asked for
	ends     []engine.DayStop
	finished chan int // each experiment whose end the day recorded
}

// newFakeDay starts a day of the fixture's (with plans instead of its
// experiments' when given); its clock starts at t0 and moves a minute
// with each record.
func newFakeDay(t *testing.T, plans ...*scenarios.Plan) *fakeDay {
	t.Helper()
	day, fixed := fixtureDay()
	if len(plans) == 0 {
		plans = fixed
	}
	day.Experiments = day.Experiments[:len(plans)]
	fd := &fakeDay{by: "Sato", confirmed: make([]bool, len(plans)), results: make([]DayResult, len(plans)),
		runs: make(chan *fakeRun, 8), startCh: make(chan int, 8), finished: make(chan int, 8)}
	now := t0
	clock := func() time.Time { now = now.Add(time.Minute); return now }
	// Every record is written under fd.mu (the clock too).
	dj, err := engine.NewDayJournal(&fd.index, day, plans, "test", clock)
	if err != nil {
		t.Fatal(err)
	}
	fd.dj = dj
	return fd
}

var _ Day = (*fakeDay)(nil)

// Status is the journal's state, copied, with the runs' results.
func (f *fakeDay) Status() DayStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.dj.State()
	st.Checks = slices.Clone(st.Checks)
	st.Experiments = slices.Clone(st.Experiments)
	st.Notes = slices.Clone(st.Notes)
	return DayStatus{DayState: st, Results: slices.Clone(f.results), By: f.by, Confirmed: slices.Clone(f.confirmed), Report: f.report, Version: f.version}
}

func (f *fakeDay) change(err error) error {
	if err == nil {
		f.version++
	}
	return err
}

func (f *fakeDay) Tick(item int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.change(f.dj.Tick(item, f.by))
}

func (f *fakeDay) Note(text string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.change(f.dj.Note(text))
}

func (f *fakeDay) Skip(i int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.change(f.dj.Skip(i, f.by))
}

// dayRun is a fake run of the day: Done once the day recorded its end.
type dayRun struct {
	*fakeRun
	done chan struct{}
}

func (r dayRun) Done() <-chan struct{} { return r.done }

func (f *fakeDay) Start(_ context.Context, i int) (Run, error) {
	st := f.Status()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.starts = append(f.starts, i)
	f.startCh <- i
	if n := st.Stopped(); n >= 0 {
		return nil, fmt.Errorf("the rollback of experiment %d was not confirmed", n+1)
	}
	if err := f.change(f.dj.Start(i, fmt.Sprintf("exp-%d.jsonl", i+1))); err != nil {
		return nil, err
	}
	var run *fakeRun
	select {
	case run = <-f.runs:
	default:
	}
	if f.startErr != nil || run == nil {
		err := f.startErr
		if err == nil {
			err = errors.New("no run")
		}
		_ = f.change(f.dj.Refuse(i, err.Error()))
		return nil, err
	}
	r := dayRun{fakeRun: run, done: make(chan struct{})}
	go func() {
		<-run.done
		snap := run.Snapshot()
		var manual []string
		for _, fs := range snap.Faults {
			if fs.State == engine.FaultRollbackFailed || fs.State.MayBeActive() {
				manual = append(manual, cmpOr(fs.Manual, fmt.Sprintf("gameday recover exp-%d.jsonl", i+1)))
			}
		}
		f.mu.Lock()
		f.results[i] = DayResult{Outcome: snap.Outcome, Manual: manual}
		_ = f.change(f.dj.Finish(i))
		f.mu.Unlock()
		close(r.done)
		f.finished <- i
	}()
	return r, nil
}

func cmpOr(s, or string) string {
	if s == "" {
		return or
	}
	return s
}

func (f *fakeDay) End() (string, error) {
	st := f.Status()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ends = append(f.ends, st.EndReason())
	if err := f.change(f.dj.End(st.EndReason())); err != nil {
		return "", err
	}
	f.report = "/tmp/gameday/20261215T100000.000Z-sandbox-game-day.day.md"
	return f.report, nil
}

func (f *fakeDay) Report() (string, error) {
	st := f.Status()
	if st.End == nil {
		return "# Game day: Sandbox game day\n\n**Day: ⏳ IN PROGRESS**\n", nil
	}
	return "# Game day: Sandbox game day\n\n**Day: ✅ HELD** — 3 experiments\n", nil
}

func (f *fakeDay) SaveReport() (string, error) {
	return "/tmp/gameday/20261215T100000.000Z-sandbox-game-day.day.md", nil
}

// calls returns the experiments Start was asked for and the reasons End
// ended the day with.
func (f *fakeDay) calls() ([]int, []engine.DayStop) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.starts), slices.Clone(f.ends)
}

// runTo runs experiment i of fd to the end of run, outside any console:
// the day as it stands after it.
func (f *fakeDay) runTo(t *testing.T, i int, run *fakeRun) {
	t.Helper()
	f.runs <- run
	if _, err := f.Start(context.Background(), i); err != nil {
		t.Fatal(err)
	}
	<-f.startCh
	run.finish()
	if got := recv(t, f.finished, "the day's record of the run's end"); got != i {
		t.Fatalf("experiment %d finished, want %d", got, i)
	}
}

// dayConfig is a Config of the day screen over fd.
func dayConfig(fd *fakeDay, w, h int, now time.Time) Config {
	cfg := testConfig(nil, w, h, now)
	cfg.Plans, cfg.PlanErrors, cfg.Start = nil, nil, nil
	cfg.Day = fd
	return cfg
}

// dayModel is a day screen over fd as it stands.
func dayModel(t *testing.T, fd *fakeDay, w, h int, lang engine.Lang) Model {
	t.Helper()
	cfg := dayConfig(fd, w, h, t0.Add(3*time.Hour))
	cfg.Lang = lang
	m := New(cfg)
	m, _ = step(t, m, dayResultMsg{gen: m.gen, status: fd.Status()})
	return m
}

// The day's states the goldens show.

// checklistDay is a day whose checklist has two items of four ticked.
func checklistDay(t *testing.T) *fakeDay {
	fd := newFakeDay(t)
	for _, i := range []int{0, 1} {
		if err := fd.Tick(i); err != nil {
			t.Fatal(err)
		}
	}
	return fd
}

// midDay is a day whose checklist is ticked, whose first experiment held,
// and a note and an action item were taken after it.
func midDay(t *testing.T) *fakeDay {
	fd := newFakeDay(t)
	for i := range 4 {
		if err := fd.Tick(i); err != nil {
			t.Fatal(err)
		}
	}
	fd.runTo(t, 0, newFakeRun(t, heldSnap(latencyPlan())))
	for _, n := range []string{"the dashboards lag 5 s behind the load", "-@tanaka 2026-12-22 alert on p95 per replica"} {
		if err := fd.Note(n); err != nil {
			t.Fatal(err)
		}
	}
	return fd
}

// stoppedDay is a day whose first experiment's rollback was not confirmed.
func stoppedDay(t *testing.T) *fakeDay {
	fd := newFakeDay(t)
	for i := range 4 {
		if err := fd.Tick(i); err != nil {
			t.Fatal(err)
		}
	}
	fd.runTo(t, 0, newFakeRun(t, abortedSnap(latencyPlan())))
	return fd
}

// endedDay is a day that ran its first experiment, skipped its second,
// and ended before its third.
func endedDay(t *testing.T) *fakeDay {
	fd := midDay(t)
	if err := fd.Skip(1); err != nil {
		t.Fatal(err)
	}
	if _, err := fd.End(); err != nil {
		t.Fatal(err)
	}
	return fd
}

// withPreview is m with the plan card's targets of experiment i resolved.
func withPreview(t *testing.T, m Model, i int) Model {
	t.Helper()
	m, _ = step(t, m, dayPreviewMsg{gen: m.gen, i: i, previews: []FaultPreview{{FaultID: "f1", Summary: "will stress 1 of 4 replicas: replica-2"}}})
	return m
}

func TestDayChecklist(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			m := dayModel(t, checklistDay(t), sz.w, sz.h, engine.English)
			requireView(t, m.View(), sz.w, sz.h)
		})
	}
}

func TestDayMidDay(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			m := withPreview(t, dayModel(t, midDay(t), sz.w, sz.h, engine.English), 1)
			requireView(t, m.View(), sz.w, sz.h)
		})
	}
}

func TestDayStopped(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			m := dayModel(t, stoppedDay(t), sz.w, sz.h, engine.English)
			requireView(t, m.View(), sz.w, sz.h)
		})
	}
}

func TestDayEnded(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			m := dayModel(t, endedDay(t), sz.w, sz.h, engine.English)
			requireView(t, m.View(), sz.w, sz.h)
		})
	}
}

func TestDayJapanese(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			m := withPreview(t, dayModel(t, midDay(t), sz.w, sz.h, engine.Japanese), 1)
			requireView(t, m.View(), sz.w, sz.h)
		})
	}
}

func TestDayJapaneseChecklist(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			m := dayModel(t, checklistDay(t), sz.w, sz.h, engine.Japanese)
			requireView(t, m.View(), sz.w, sz.h)
		})
	}
}

// TestDayQuestionFits: at 80×24 a question of the day wraps rather than
// losing its keys, and the screen still fits.
func TestDayQuestionFits(t *testing.T) {
	for _, tc := range []struct {
		key, want string
	}{
		{"s", "y: skip · any other key: keep it"},
		{"e", "y: end it · any other key: go on"},
	} {
		m := dayModel(t, midDay(t), 80, 24, engine.English)
		m, _ = step(t, m, keyMsg(tc.key))
		v := ansi.Strip(m.View())
		if !strings.Contains(strings.Join(strings.Fields(v), " "), tc.want) {
			t.Errorf("%s: the question lost its keys %q:\n%s", tc.key, tc.want, v)
		}
		lines := strings.Split(v, "\n")
		if len(lines) != 24 {
			t.Errorf("%s: %d lines at 80×24", tc.key, len(lines))
		}
		for i, l := range lines {
			if n := ansi.StringWidth(l); n > 80 {
				t.Errorf("%s: line %d is %d cells wide: %q", tc.key, i+1, n, l)
			}
		}
	}
}
