package tui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/scenarios"
)

// The day screen walks a whole game day (gameday day DAY): the day's
// title, date and people, the preparation checklist ticked item by item,
// the experiments in order with where each stands, what comes next, and
// the plan card of the experiment under the cursor. Each experiment runs
// on the console as a picked scenario does; esc brings the facilitator
// back here, where the team notes what it saw and moves on. cmd holds the
// day (its index, engine.DayJournal, and each experiment's session): the
// screen asks it in commands and shows what it answers.

// Day is a whole game day the console walks. cmd implements it over
// engine.DayJournal and the console's own session start. Every method may
// be called from any goroutine; the console calls them only from
// tea.Cmds.
type Day interface {
	// Status says where the day stands now.
	Status() DayStatus
	// Tick ticks checklist item (0-based) in the day's index, by the
	// day's facilitator (DayStatus.By).
	Tick(item int) error
	// Start journals in the day's index that experiment i — the next —
	// starts, and starts its run as the console starts a picked
	// scenario. The run's Done is closed once the day has recorded its
	// end. A run refused at start (its blast radius, its target) is
	// journaled as refused and its error returned. Start refuses while
	// an item of the checklist is not ticked, and after an experiment
	// whose rollback was not confirmed.
	Start(ctx context.Context, i int) (Run, error)
	// Skip records that experiment i, the next, did not start: the
	// facilitator skipped it.
	Skip(i int) error
	// Note journals a note taken between experiments ("+…" a success,
	// "-@owner YYYY-MM-DD …" an action item), as a run's notes are.
	Note(text string) error
	// End ends the day — why is DayStatus.EndReason's — writes the day
	// report (and its JUnit, if asked for) and returns the report's path.
	End() (string, error)
	// Report renders the day report from the index and the journals so
	// far; SaveReport writes it and returns its path.
	Report() (string, error)
	SaveReport() (string, error)
}

// DayStatus is where a day stands, as the day screen shows it.
type DayStatus struct {
	// DayState is the day's index replayed: the day file, each
	// experiment's plan and state, the checklist, the notes, the end.
	engine.DayState
	// Results are, per experiment, how its run ended (zero until then).
	Results []DayResult
	// By is who ticks the checklist here: the day's facilitator, else
	// the user at the terminal.
	By string
	// Confirmed says, per experiment, that its production target was
	// confirmed on the command line (--confirm): the console asks nothing.
	Confirmed []bool
	// Report is the day report's path, once End wrote it.
	Report string
	// Version grows with every change of the day: the console never
	// replaces a status with an older one.
	Version int
}

// DayResult is how one experiment's run ended.
type DayResult struct {
	// Outcome is its run's verdict; nil while it runs, or when it wrote
	// none (it was cut short).
	Outcome *engine.Outcome
	// Manual are the commands that finish a rollback that was not
	// confirmed, as its run shows them (the provider's own, else gameday
	// recover with its journal); empty when nothing may be left.
	Manual []string
}

// result is experiment i's result, zero when there is none.
func (s DayStatus) result(i int) DayResult {
	if i < 0 || i >= len(s.Results) {
		return DayResult{}
	}
	return s.Results[i]
}

// Stopped is the experiment (0-based) whose rollback was not confirmed,
// -1 when there is none: after it no experiment starts, on a system that
// may still carry a fault, and the day ends with engine.DayStopRollback.
func (s DayStatus) Stopped() int {
	for i := range s.Experiments {
		r := s.result(i)
		if len(r.Manual) > 0 || r.Outcome != nil && r.Outcome.Verdict == engine.VerdictRollbackFailed {
			return i
		}
	}
	return -1
}

// EndReason is why the day ends if it ends now: a rollback not
// confirmed; nothing ("") when every experiment had its turn; otherwise
// it was interrupted.
func (s DayStatus) EndReason() engine.DayStop {
	switch {
	case s.Stopped() >= 0:
		return engine.DayStopRollback
	case s.Running < 0 && s.Next >= len(s.Experiments):
		return ""
	}
	return engine.DayStopInterrupted
}

// checklistDone reports whether every item of the checklist is ticked.
func (s DayStatus) checklistDone() bool { return len(s.Unticked()) == 0 }

// dayRow is a row of the day screen the cursor can be on: a checklist
// item or an experiment, by index.
type dayRow struct {
	check bool
	i     int
}

// dayAsk is the yes-or-no question the day screen asks, if any.
type dayAsk int

const (
	askNone dayAsk = iota
	askSkip        // skip the next experiment?
	askEnd         // end the day with experiments left?
)

// dayKeyMap holds the day screen's keys. Tick, Start, Skip, Note and End
// are enabled only when they can act, so that help shows what applies;
// Answer is each of their keys, always bound and never in help, so that
// a key that cannot act says why on the status line.
type dayKeyMap struct {
	Up     key.Binding
	Down   key.Binding
	Tick   key.Binding
	Start  key.Binding
	Skip   key.Binding
	Note   key.Binding
	End    key.Binding
	Report key.Binding
	Answer key.Binding

	SaveNote   key.Binding
	CancelNote key.Binding
	Yes        key.Binding
	// Confirm and CancelConfirm answer the production guard, as the
	// picker's do.
	Confirm       key.Binding
	CancelConfirm key.Binding
}

func defaultDayKeyMap(tr *printer) dayKeyMap {
	return dayKeyMap{
		Up:     key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", tr.S("ui.key.up"))),
		Down:   key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", tr.S("ui.key.down"))),
		Tick:   key.NewBinding(key.WithKeys(" ", "enter"), key.WithHelp("space", tr.S("ui.day.key.tick"))),
		Start:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", tr.S("ui.day.key.start"))),
		Skip:   key.NewBinding(key.WithKeys("s"), key.WithHelp("s", tr.S("ui.day.key.skip"))),
		Note:   key.NewBinding(key.WithKeys("n"), key.WithHelp("n", tr.S("ui.key.note"))),
		End:    key.NewBinding(key.WithKeys("e"), key.WithHelp("e", tr.S("ui.day.key.end"))),
		Report: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", tr.S("ui.day.key.report"))),
		Answer: key.NewBinding(key.WithKeys(" ", "enter", "s", "n", "e")),

		SaveNote:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", tr.S("ui.key.saveNote"))),
		CancelNote: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", tr.S("ui.key.cancelNote"))),
		Yes:        key.NewBinding(key.WithKeys("y"), key.WithHelp("y", tr.S("ui.day.key.yes"))),

		Confirm:       key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", tr.S("ui.key.confirm"))),
		CancelConfirm: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", tr.S("ui.key.cancel"))),
	}
}

// dayScreen is the screen of a whole game day.
type dayScreen struct {
	styles Styles
	tr     *printer
	keys   dayKeyMap
	gen    gen // the generation it is shown in: its commands' messages carry it

	day       Day
	previewFn func(context.Context, *scenarios.Plan) ([]FaultPreview, error)
	clock     func() time.Time
	now       time.Time // read with each status, never in View

	status    DayStatus
	hasStatus bool
	cur       dayRow
	previews  map[int]previewState
	starting  bool // a start was asked for and has not failed

	note   textinput.Model
	noting bool
	ask    dayAsk
	// The production guard: confirming is the experiment whose target's
	// name must be typed before it starts, -1 when none.
	confirming int
	confirm    textinput.Model
	confirmErr string

	width, height int
}

// dayWide is the width from which the plan card goes beside the day.
const dayWide = 120

// cardRoom is how many lines the plan card keeps below the day when it
// is not beside it: its title, the plan's and the first fields.
const cardRoom = 6

func newDayScreen(cfg Config, st Styles, tr *printer, clock func() time.Time) dayScreen {
	in := textinput.New()
	in.Placeholder = tr.S("ui.day.note.placeholder")
	in.PlaceholderStyle = st.Text
	in.PromptStyle = st.Label
	in.Cursor.SetMode(cursor.CursorStatic)
	in.CharLimit = 500
	c := textinput.New()
	c.PromptStyle = st.Breached
	c.Cursor.SetMode(cursor.CursorStatic)
	c.CharLimit = 200
	d := dayScreen{
		styles:     st,
		tr:         tr,
		keys:       defaultDayKeyMap(tr),
		day:        cfg.Day,
		previewFn:  cfg.Preview,
		clock:      clock,
		now:        clock(),
		previews:   map[int]previewState{},
		note:       in,
		confirm:    c,
		confirming: -1,
	}
	d.note.Prompt = d.notePrompt("")
	d.updateKeybindings()
	return d
}

// The day's messages. Each is scoped to the generation the day screen
// was shown in, and the root hands every one to the day screen
// (dayMessage), whichever screen is on show.
type dayMessage interface {
	scoped
	forDay()
}

// dayResultMsg carries where the day stands after something the screen
// asked for, what to say about it, or why it failed (with the note that
// goes back into its input).
type dayResultMsg struct {
	gen
	status DayStatus
	text   string
	err    error
	note   string
}

// dayPreviewMsg carries what experiment i would hit if started now.
type dayPreviewMsg struct {
	gen
	i        int
	previews []FaultPreview
	err      error
}

// dayStartFailedMsg says experiment i did not start, and why; the day
// recorded it as refused.
type dayStartFailedMsg struct {
	gen
	i   int
	err error
}

func (dayResultMsg) forDay()      {}
func (dayPreviewMsg) forDay()     {}
func (dayStartFailedMsg) forDay() {}

var (
	_ dayMessage = dayResultMsg{}
	_ dayMessage = dayPreviewMsg{}
	_ dayMessage = dayStartFailedMsg{}
)

// startExperimentMsg asks the root to start experiment i of the day (the
// production guard passed or not needed).
type startExperimentMsg struct {
	origin
	i    int
	plan *scenarios.Plan
}

// openDayReportMsg asks the root for the report view of the day: r on
// the day screen.
type openDayReportMsg struct{ origin }

var (
	_ request = startExperimentMsg{}
	_ request = openDayReportMsg{}
)

// dayAct calls act on the day in a command, then reads where the day
// stands: the answer carries both, and note (the text of a note, to put
// back into its input if it failed).
func dayAct(g gen, d Day, act func(Day) (string, error), note string) tea.Cmd {
	return func() tea.Msg {
		var text string
		var err error
		if act != nil {
			text, err = act(d)
		}
		return dayResultMsg{gen: g, status: d.Status(), text: text, err: err, note: note}
	}
}

// dayPreview resolves what experiment i would hit if started now.
func dayPreview(g gen, fn func(context.Context, *scenarios.Plan) ([]FaultPreview, error), i int, p *scenarios.Plan) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), previewTimeout)
		defer cancel()
		pv, err := fn(ctx, p)
		return dayPreviewMsg{gen: g, i: i, previews: pv, err: err}
	}
}

// startDayRun starts experiment i through the day.
func startDayRun(g gen, d Day, i int, p *scenarios.Plan, title string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		defer cancel()
		r, err := d.Start(ctx, i)
		if err != nil {
			return dayStartFailedMsg{gen: g, i: i, err: fmt.Errorf("start %q: %w", title, err)}
		}
		return startedMsg{plan: p, run: r}
	}
}

// Init reads where the day stands.
func (d *dayScreen) Init() tea.Cmd {
	return dayAct(d.gen, d.day, nil, "")
}

// reopen shows the day screen again, in generation g, after an
// experiment: where the day stands is read anew, and what each experiment
// would hit (a run may have changed the system).
func (d dayScreen) reopen(g gen) (dayScreen, tea.Cmd) {
	d.gen = g
	d.starting = false
	d.previews = map[int]previewState{}
	d.cur = dayRow{i: -1}
	d.updateKeybindings()
	return d, dayAct(g, d.day, nil, "")
}

// SetSize sets the day screen's size.
func (d *dayScreen) SetSize(w, h int) {
	d.width, d.height = w, h
	if d.tr == nil {
		return // not a day's console
	}
	d.note.Width = max(w-width(d.notePrompt("-"))-2, 10)
	d.confirm.Width = max(w-width(d.confirm.Prompt)-2, 1)
}

// typing reports whether keys go to the note or the production guard.
func (d dayScreen) typing() bool { return d.noting || d.confirming >= 0 }

// title is the day's title in the console's language.
func (d dayScreen) localDay() *scenarios.Day {
	if d.status.Day == nil {
		return &scenarios.Day{}
	}
	return d.status.Day.Localized(string(d.tr.lang))
}

// plan is experiment i's plan in the console's language, nil if none.
func (d dayScreen) plan(i int) *scenarios.Plan {
	if i < 0 || i >= len(d.status.Plans) || d.status.Plans[i] == nil {
		return nil
	}
	return d.status.Plans[i].Localized(string(d.tr.lang))
}

// expTitle is experiment i's title as the screen shows it.
func (d dayScreen) expTitle(i int) string {
	if p := d.plan(i); p != nil {
		return p.Title
	}
	return ""
}

// ended reports whether the day is over.
func (d dayScreen) ended() bool { return d.status.End != nil }

// rows are the rows the cursor moves over: the checklist's items while
// one is not ticked, then the experiments.
func (d dayScreen) rows() []dayRow {
	var out []dayRow
	if !d.status.checklistDone() && !d.ended() {
		for i := range d.status.Checks {
			out = append(out, dayRow{check: true, i: i})
		}
	}
	for i := range d.status.Experiments {
		out = append(out, dayRow{i: i})
	}
	return out
}

// home is the row the cursor goes to when it has none: the first item
// not ticked, else the next experiment, else the last.
func (d dayScreen) home() dayRow {
	if u := d.status.Unticked(); len(u) > 0 && !d.ended() {
		return dayRow{check: true, i: u[0]}
	}
	return dayRow{i: min(d.status.Next, len(d.status.Experiments)-1)}
}

// settle puts the cursor on a row that is on show.
func (d *dayScreen) settle() {
	if !slices.Contains(d.rows(), d.cur) {
		d.cur = d.home()
	}
}

// shownExperiment is the experiment whose plan card is on show: the one
// under the cursor, else the next.
func (d dayScreen) shownExperiment() int {
	if !d.cur.check && d.cur.i >= 0 {
		return d.cur.i
	}
	return min(d.status.Next, len(d.status.Experiments)-1)
}

// canStart reports whether the next experiment may start now.
func (d dayScreen) canStart() bool {
	return d.hasStatus && d.status.Ready() && d.status.Stopped() < 0 && !d.starting
}

// canSkip reports whether the next experiment may be skipped now.
func (d dayScreen) canSkip() bool {
	s := d.status
	return d.hasStatus && s.End == nil && s.Running < 0 && s.Next < len(s.Experiments) && s.Stopped() < 0 && !d.starting
}

// updateKeybindings enables the keys that apply now.
func (d *dayScreen) updateKeybindings() {
	typing, asking := d.typing(), d.ask != askNone
	free := !typing && !asking && d.hasStatus
	onCheck := d.cur.check && d.cur.i >= 0 && d.cur.i < len(d.status.Checks) && !d.status.Checks[d.cur.i].Done
	onNext := !d.cur.check && d.cur.i == d.status.Next
	d.keys.Up.SetEnabled(free)
	d.keys.Down.SetEnabled(free)
	d.keys.Tick.SetEnabled(free && onCheck && !d.ended())
	d.keys.Start.SetEnabled(free && onNext && d.canStart())
	d.keys.Skip.SetEnabled(free && d.canSkip())
	d.keys.Note.SetEnabled(free && !d.ended() && d.status.Running < 0)
	d.keys.End.SetEnabled(free && !d.ended() && d.status.Running < 0 && !d.starting)
	d.keys.Report.SetEnabled(free)
	d.keys.Answer.SetEnabled(free)
	d.keys.SaveNote.SetEnabled(d.noting)
	d.keys.CancelNote.SetEnabled(d.noting)
	d.keys.Yes.SetEnabled(asking)
	d.keys.Confirm.SetEnabled(d.confirming >= 0)
	d.keys.CancelConfirm.SetEnabled(d.confirming >= 0)
}

// ensurePreview resolves what the experiment on show would hit, unless
// known, or it has had its turn.
func (d *dayScreen) ensurePreview() tea.Cmd {
	i := d.shownExperiment()
	p := d.plan(i)
	if p == nil || d.previewFn == nil || d.status.Experiments[i].State != "" || d.ended() || d.status.Stopped() >= 0 {
		return nil
	}
	if _, ok := d.previews[i]; ok {
		return nil
	}
	d.previews[i] = previewState{loading: true}
	return dayPreview(d.gen, d.previewFn, i, d.status.Plans[i])
}

// Update handles the day screen's keys and the answers of its commands.
func (d dayScreen) Update(msg tea.Msg) (dayScreen, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case dayResultMsg:
		cmd = d.apply(msg)
	case dayPreviewMsg:
		d.previews[msg.i] = previewState{previews: msg.previews, err: msg.err}
	case dayStartFailedMsg:
		d.starting = false
		cmd = tea.Batch(send(errMsg{msg.err}), dayAct(d.gen, d.day, nil, ""))
	case tea.KeyMsg:
		cmd = d.handleKey(msg)
	}
	d.updateKeybindings()
	return d, cmd
}

// apply takes a status (unless it is older than the one on show) and
// says what the command did, or why it failed.
func (d *dayScreen) apply(msg dayResultMsg) tea.Cmd {
	d.now = d.clock()
	if !d.hasStatus || msg.status.Version >= d.status.Version {
		first := !d.hasStatus
		// The cursor on the experiment that was next follows the day
		// when it moves on (a skip, a run that ended): enter then starts
		// what the screen says comes next.
		follow := !d.cur.check && d.cur.i == d.status.Next && msg.status.Next != d.status.Next
		d.status, d.hasStatus = msg.status, true
		if first || follow {
			d.cur = d.home()
		}
		d.settle()
	}
	var cmds []tea.Cmd
	switch {
	case msg.err != nil && msg.note != "":
		// The note goes back into the input, ahead of anything typed
		// since, so nothing typed is lost.
		v := msg.note
		if cur := strings.TrimSpace(d.note.Value()); cur != "" {
			v += " " + cur
		}
		d.note.SetValue(v)
		d.note.CursorEnd()
		d.note.Prompt = d.notePrompt(v)
		if !d.noting {
			d.noting = true
			cmds = append(cmds, d.note.Focus())
		}
		cmds = append(cmds, send(bannerMsg(d.tr.S("ui.banner.noteFailed", msg.err.Error()))))
	case msg.err != nil:
		cmds = append(cmds, send(errMsg{msg.err}))
	case msg.text != "":
		cmds = append(cmds, send(bannerMsg(msg.text)))
	}
	cmds = append(cmds, d.ensurePreview())
	return tea.Batch(cmds...)
}

func (d *dayScreen) handleKey(msg tea.KeyMsg) tea.Cmd {
	tr := d.tr
	if i := d.confirming; i >= 0 {
		pl := d.status.Plans[i]
		switch {
		case key.Matches(msg, d.keys.CancelConfirm):
			d.stopConfirming()
			return send(bannerMsg(tr.S("ui.picker.notStarted", d.expTitle(i))))
		case key.Matches(msg, d.keys.Confirm):
			if err := engine.ConfirmProduction(pl.Target, d.confirm.Value(), ""); err != nil {
				typed := strings.TrimSpace(d.confirm.Value())
				d.confirmErr = tr.S("ui.picker.confirmWrong", typed, strings.TrimSpace(pl.Target.Name))
				if typed == "" {
					d.confirmErr = tr.S("ui.picker.confirmEmpty", strings.TrimSpace(pl.Target.Name))
				}
				return nil
			}
			d.stopConfirming()
			if !d.canStart() || d.status.Next != i {
				return nil
			}
			return d.startNext()
		}
		var cmd tea.Cmd
		d.confirm, cmd = d.confirm.Update(msg)
		return cmd
	}
	if d.ask != askNone {
		ask := d.ask
		d.ask = askNone
		if !key.Matches(msg, d.keys.Yes) {
			if ask == askSkip {
				return send(bannerMsg(tr.S("ui.day.kept", d.status.Next+1, d.expTitle(d.status.Next))))
			}
			return send(bannerMsg(tr.S("ui.day.goesOn")))
		}
		if ask == askSkip {
			return d.skipNext()
		}
		return d.endDay()
	}
	if d.noting {
		switch {
		case key.Matches(msg, d.keys.SaveNote):
			return d.flushNote()
		case key.Matches(msg, d.keys.CancelNote):
			d.closeNote()
			return nil
		}
		var cmd tea.Cmd
		d.note, cmd = d.note.Update(msg)
		d.note.Prompt = d.notePrompt(d.note.Value())
		return cmd
	}
	switch {
	case key.Matches(msg, d.keys.Up):
		d.move(-1)
		return d.ensurePreview()
	case key.Matches(msg, d.keys.Down):
		d.move(1)
		return d.ensurePreview()
	case key.Matches(msg, d.keys.Tick):
		return d.tick()
	case key.Matches(msg, d.keys.Start):
		if pl := d.status.Plans[d.status.Next]; pl.Target.Production() && !d.confirmed(d.status.Next) {
			return d.startConfirming(d.status.Next)
		}
		return d.startNext()
	case key.Matches(msg, d.keys.Skip):
		d.ask = askSkip
		return nil
	case key.Matches(msg, d.keys.Note):
		d.noting = true
		return d.note.Focus()
	case key.Matches(msg, d.keys.End):
		if d.status.Next < len(d.status.Experiments) && d.status.Stopped() < 0 {
			d.ask = askEnd
			return nil
		}
		return d.endDay()
	case key.Matches(msg, d.keys.Report):
		return send(openDayReportMsg{origin{d.gen, screenDay}})
	case key.Matches(msg, d.keys.Answer):
		if answer := d.answer(msg.String()); answer != "" {
			return send(bannerMsg(answer))
		}
	}
	return nil
}

// answer is what a key of the day says when it cannot act now.
func (d dayScreen) answer(k string) string {
	tr, s := d.tr, d.status
	stopped := s.Stopped()
	switch k {
	case "n":
		return tr.S("ui.day.answer.noteOver")
	case "e":
		return tr.S("ui.day.answer.over")
	case "s":
		switch {
		case d.ended():
			return tr.S("ui.day.answer.over")
		case stopped >= 0:
			return tr.S("ui.day.answer.stopped", stopped+1)
		case s.Next >= len(s.Experiments):
			return tr.S("ui.day.answer.noneLeft")
		}
		return ""
	}
	// space and enter, on the row under the cursor.
	if d.cur.check {
		c := s.Checks[d.cur.i]
		if !c.Done {
			return ""
		}
		return tr.S("ui.day.answer.ticked", d.clockAt(c.At), d.who(c.By))
	}
	i := d.cur.i
	switch {
	case d.ended():
		return tr.S("ui.day.answer.over")
	case stopped >= 0:
		return tr.S("ui.day.answer.stopped", stopped+1)
	case k == " ":
		return ""
	case i < s.Next:
		return tr.S("ui.day.answer.done", i+1, d.stateText(i))
	case i > s.Next:
		return tr.S("ui.day.answer.inOrder", s.Next+1, d.expTitle(s.Next))
	case !s.checklistDone():
		u := s.Unticked()
		return tr.S("ui.day.answer.checklist", len(u), len(s.Checks), u[0]+1)
	}
	return ""
}

// who names who ticked an item: a name, or what ticked it.
func (d dayScreen) who(by string) string {
	if by == "" {
		return "—"
	}
	return by
}

// clockAt is t on the console's clock, in its zone: "10:02".
func (d dayScreen) clockAt(t time.Time) string {
	return t.In(d.now.Location()).Format("15:04")
}

// move moves the cursor by delta rows.
func (d *dayScreen) move(delta int) {
	rows := d.rows()
	at := slices.Index(rows, d.cur)
	if at < 0 {
		d.cur = d.home()
		return
	}
	d.cur = rows[min(max(at+delta, 0), len(rows)-1)]
}

// tick ticks the item under the cursor, and moves the cursor on to the
// next item not ticked, else to the next experiment.
func (d *dayScreen) tick() tea.Cmd {
	item := d.cur.i
	next := dayRow{i: min(d.status.Next, len(d.status.Experiments)-1)}
	for _, u := range d.status.Unticked() {
		if u != item {
			next = dayRow{check: true, i: u}
			if u > item {
				break
			}
		}
	}
	d.cur = next
	return dayAct(d.gen, d.day, func(day Day) (string, error) { return "", day.Tick(item) }, "")
}

// confirmed reports whether experiment i's production target was
// confirmed on the command line.
func (d dayScreen) confirmed(i int) bool {
	return i >= 0 && i < len(d.status.Confirmed) && d.status.Confirmed[i]
}

// startNext asks the root to start the next experiment.
func (d *dayScreen) startNext() tea.Cmd {
	i := d.status.Next
	d.starting = true
	return send(startExperimentMsg{origin{d.gen, screenDay}, i, d.status.Plans[i]})
}

// startConfirming opens the production guard's input for experiment i.
func (d *dayScreen) startConfirming(i int) tea.Cmd {
	pl := d.status.Plans[i]
	d.confirming = i
	d.confirmErr = ""
	d.confirm.SetValue("")
	d.confirm.Prompt = d.tr.S("ui.picker.confirmPrompt", strings.TrimSpace(pl.Target.Name))
	d.SetSize(d.width, d.height)
	return d.confirm.Focus()
}

// stopConfirming closes the production guard's input.
func (d *dayScreen) stopConfirming() {
	d.confirming = -1
	d.confirmErr = ""
	d.confirm.Blur()
	d.confirm.SetValue("")
}

// skipNext records that the next experiment is skipped.
func (d *dayScreen) skipNext() tea.Cmd {
	i := d.status.Next
	text := d.tr.S("ui.day.skipped", i+1, d.expTitle(i))
	return dayAct(d.gen, d.day, func(day Day) (string, error) { return text, day.Skip(i) }, "")
}

// endDay ends the day (the day knows why: DayStatus.EndReason), which
// writes its report, and says where the report is. Saving the report
// alone would leave the day's index without its end.
func (d *dayScreen) endDay() tea.Cmd {
	tr := d.tr
	return dayAct(d.gen, d.day, func(day Day) (string, error) {
		path, err := day.End()
		if err != nil {
			return "", err
		}
		return tr.S("ui.day.ended", path), nil
	}, "")
}

// flushNote closes the note input and journals what it holds, if
// anything, in the day's index.
func (d *dayScreen) flushNote() tea.Cmd {
	text := strings.TrimSpace(d.note.Value())
	d.closeNote()
	if text == "" {
		return nil
	}
	saved := d.tr.S("ui.day.noteSaved")
	return dayAct(d.gen, d.day, func(day Day) (string, error) { return saved, day.Note(text) }, text)
}

func (d *dayScreen) closeNote() {
	d.noting = false
	d.note.Blur()
	d.note.SetValue("")
	d.note.Prompt = d.notePrompt("")
}

// notePrompt labels the note input with the kind the text will be
// journaled as, as the console's does.
func (d dayScreen) notePrompt(text string) string {
	switch {
	case strings.HasPrefix(text, "+"):
		return d.tr.S("ui.note.promptSuccess")
	case strings.HasPrefix(text, "-"):
		return d.tr.S("ui.note.promptImprovement")
	}
	return d.tr.S("ui.note.prompt")
}

// ShortHelp lists the day screen's keys that apply now, most needed
// first.
func (d dayScreen) ShortHelp() []key.Binding {
	k := d.keys
	return []key.Binding{k.Confirm, k.CancelConfirm, k.Yes, k.SaveNote, k.CancelNote,
		k.Tick, k.Start, k.Note, k.Skip, k.End, k.Report, k.Up, k.Down}
}

// FullHelp lists all of the day screen's keys that apply now.
func (d dayScreen) FullHelp() [][]key.Binding {
	k := d.keys
	return [][]key.Binding{
		{k.Up, k.Down, k.Tick, k.Start},
		{k.Note, k.SaveNote, k.CancelNote, k.Skip, k.End, k.Yes},
		{k.Report, k.Confirm, k.CancelConfirm},
	}
}

// View renders the day: beside the plan card of the experiment on show
// when the terminal is wide, above it otherwise; the note input, a
// question or the production guard on the last lines.
func (d dayScreen) View() string {
	w, h := d.width, d.height
	if w <= 0 || h <= 0 {
		return ""
	}
	if !d.hasStatus {
		return strings.Join(block([]string{d.tr.S("ui.day.loading")}, w, h), "\n")
	}
	bottom := d.bottomLines(w)
	room := max(h-len(bottom), 0)
	var lines []string
	if w >= dayWide {
		lw := w / 2
		cw := w - lw - 3
		left := block(d.dayLines(lw, room, true), lw, room)
		right := block(d.cardLines(cw), cw, room)
		lines = beside(" │ ", left, right)
	} else {
		lines = d.dayLines(w, max(room-cardRoom, 0), false)
		lines = append(lines, d.cardLines(w)...)
		lines = block(lines, w, room)
	}
	return strings.Join(block(append(lines, bottom...), w, h), "\n")
}

// cardLines are the plan card of the experiment on show, under a rule
// that says which it is.
func (d dayScreen) cardLines(w int) []string {
	i := d.shownExperiment()
	pl := d.plan(i)
	if pl == nil {
		return nil
	}
	title := d.tr.S("ui.day.card", i+1, len(d.status.Experiments), d.stateText(i))
	card := planCard{plan: pl, preview: d.previews[i], confirmed: d.confirmed(i), styles: d.styles, tr: d.tr}
	return append([]string{rule(title, w)}, card.lines(w)...)
}

// dayLines are the day itself at width w, in at most h lines: the title
// and date, the people, the checklist, the experiments, the notes taken
// between them, and what comes next. What must show are the head, the
// section titles, what comes next and the row under the cursor; the rest
// as room allows. wide (the plan card is beside it) adds the day's
// description and each ticked item when they fit. When they do not, the
// description goes first, then the ticked checklist folds into one line,
// then the older notes go, then the checklist and the experiments show
// the rows around the cursor.
func (d dayScreen) dayLines(w, h int, wide bool) []string {
	st := d.styles
	day := d.localDay()
	head := []string{rightAlign(st.Title.Render(day.Title), d.progress(), w)}
	if people := d.people(); people != "" {
		ls := wrapText(people, w)
		if len(ls) > 2 {
			ls = append(ls[:1], clip(ls[1], w-1)+"…")
		}
		head = append(head, ls...)
	}
	var desc []string
	if text := strings.TrimSpace(day.Description); wide && text != "" {
		desc = wrapText(reflow(text), w)
		if len(desc) > 3 {
			desc = append(desc[:2], clip(desc[2], w-1)+"…")
		}
	}
	checks := d.checklistLines(w, wide)
	exps := d.experimentLines(w)
	next := d.nextLines(w)
	notes := d.noteLines(w)
	if !wide && len(notes) > 4 {
		notes = append(notes[:1], notes[len(notes)-3:]...) // the latest three
	}
	ckRows, exRows := checks.rows, exps.rows
	total := func() int {
		return len(head) + len(desc) + 1 + len(ckRows) + 1 + len(exRows) + len(notes) + len(next)
	}
	if total() > h {
		desc = nil
	}
	if total() > h && d.status.checklistDone() {
		checks = d.checklistLines(w, false)
		ckRows = checks.rows
	}
	if over := total() - h; over > 0 && len(notes) > 0 {
		// The latest notes stay, under their title; none without room
		// for one.
		keep := len(notes) - 1 - over
		switch {
		case keep >= 1:
			notes = append(notes[:1], notes[len(notes)-keep:]...)
		default:
			notes = nil
		}
	}
	if over := total() - h; over > 0 {
		ckRows = rowsAround(ckRows, checks.at, max(len(ckRows)-over, 1))
	}
	if over := total() - h; over > 0 {
		exRows = rowsAround(exRows, exps.at, max(len(exRows)-over, 1))
	}
	out := append(head, desc...)
	out = append(out, checks.title)
	out = append(out, ckRows...)
	out = append(out, exps.title)
	out = append(out, exRows...)
	out = append(out, notes...)
	out = append(out, next...)
	return out
}

// section is a titled list of rows; at is the row under the cursor, -1
// when none is.
type section struct {
	title string
	rows  []string
	at    int
}

// rowsAround keeps n rows of rows around row at (the first n when at is -1).
func rowsAround(rows []string, at, n int) []string {
	if len(rows) <= n {
		return rows
	}
	first := 0
	if at >= n {
		first = min(at-n/2, len(rows)-n)
	}
	return rows[first : first+n]
}

// progress says how far the day is: its date and how many experiments
// have had their turn.
func (d dayScreen) progress() string {
	s := d.status
	done := 0
	for _, e := range s.Experiments {
		if e.State == engine.ExperimentEnded || e.State == engine.ExperimentRefused || e.State == engine.ExperimentSkipped {
			done++
		}
	}
	p := d.tr.S("ui.day.progress", done, len(s.Experiments))
	if date := d.localDay().Date; date != "" {
		p = date + " · " + p
	}
	return p
}

// people lists the day's participants with their roles.
func (d dayScreen) people() string {
	var ps []string
	for _, p := range d.localDay().Participants {
		if p.Role == "" {
			ps = append(ps, p.Name)
			continue
		}
		ps = append(ps, d.tr.S("ui.day.participant", p.Name, roleWord(d.tr, p.Role)))
	}
	return strings.Join(ps, " · ")
}

// roleWord is a role in the console's words; a role it does not know is
// shown as written.
func roleWord(tr *printer, role string) string {
	switch strings.ToLower(strings.TrimSpace(role)) {
	case "facilitator":
		return tr.S("ui.role.facilitator")
	case "scribe":
		return tr.S("ui.role.scribe")
	case "observer":
		return tr.S("ui.role.observer")
	case "on-call", "oncall":
		return tr.S("ui.role.oncall")
	case "owner":
		return tr.S("ui.role.owner")
	}
	return role
}

// marker is the cursor's mark before row r.
func (d dayScreen) marker(r dayRow) string {
	if r == d.cur {
		return "› "
	}
	return "  "
}

// checklistLines are the preparation checklist: each item, ticked or
// not, with who ticked it and when; once every item is, one line unless
// each is asked for.
func (d dayScreen) checklistLines(w int, each bool) section {
	st, tr, s := d.styles, d.tr, d.status
	items := d.localDay().Checklist
	done := len(s.Checks) - len(s.Unticked())
	sec := section{title: rule(tr.S("ui.day.checklist", done, len(s.Checks)), w), at: -1}
	if len(items) == 0 {
		sec.rows = []string{"  " + tr.S("ui.day.checklist.none")}
		return sec
	}
	if s.checklistDone() && !each {
		last := s.Checks[0]
		for _, c := range s.Checks {
			if c.At.After(last.At) {
				last = c
			}
		}
		sec.rows = []string{"  " + st.Holding.Render(tr.S("ui.day.checklist.done", len(s.Checks), d.clockAt(last.At), d.who(last.By)))}
		return sec
	}
	for i, item := range items {
		if i >= len(s.Checks) {
			break
		}
		r := dayRow{check: true, i: i}
		if r == d.cur {
			sec.at = len(sec.rows)
		}
		c := s.Checks[i]
		box, right := "[ ] ", ""
		if c.Done {
			box = st.Holding.Render("[x]") + " "
			right = tr.S("ui.day.check.by", d.who(c.By), d.clockAt(c.At))
		}
		row := rightAlign(d.marker(r)+box+oneLine(item), right, w)
		if r == d.cur {
			row = st.Selected.Render(row)
		}
		sec.rows = append(sec.rows, row)
	}
	return sec
}

// oneLine keeps a text from the day file on one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// experimentLines are the experiments in order, each with where it
// stands.
func (d dayScreen) experimentLines(w int) section {
	tr, s := d.tr, d.status
	done := 0
	for _, e := range s.Experiments {
		if e.State == engine.ExperimentEnded || e.State == engine.ExperimentRefused || e.State == engine.ExperimentSkipped {
			done++
		}
	}
	sec := section{title: rule(tr.S("ui.day.experiments", done, len(s.Experiments)), w), at: -1}
	for i := range s.Experiments {
		r := dayRow{i: i}
		if r == d.cur {
			sec.at = len(sec.rows)
		}
		text, style := d.stateParts(i)
		right := style.Render(clip(text, max(w/2, 12)))
		row := rightAlign(d.marker(r)+fmt.Sprintf("%d. ", i+1)+d.expTitle(i), right, w)
		if r == d.cur {
			row = d.styles.Selected.Render(row)
		}
		sec.rows = append(sec.rows, row)
	}
	return sec
}

// stateText is where experiment i stands, in words.
func (d dayScreen) stateText(i int) string {
	text, _ := d.stateParts(i)
	return text
}

// stateParts are where experiment i stands — pending, next, running, or
// its verdict as the console's header words it — and the style of its
// meaning.
func (d dayScreen) stateParts(i int) (string, lipgloss.Style) {
	st, tr, s := d.styles, d.tr, d.status
	e := s.Experiments[i]
	switch e.State {
	case "":
		switch {
		case d.ended() || s.Stopped() >= 0:
			return tr.S("ui.day.state.notRun"), st.Neutral
		case i == s.Next:
			return tr.S("ui.day.state.next"), st.Neutral
		}
		return tr.S("ui.day.state.pending"), st.Neutral
	case engine.ExperimentStarted:
		return tr.S("ui.day.state.running"), st.Near
	case engine.ExperimentRefused:
		return tr.S("ui.day.state.refused", oneLine(e.Reason)), st.Breached
	case engine.ExperimentSkipped:
		return tr.S("ui.day.state.skipped", oneLine(e.Reason)), st.Neutral
	case engine.ExperimentEnded:
	}
	r := s.result(i)
	o := r.Outcome
	switch {
	case o == nil && len(r.Manual) > 0:
		return tr.S("ui.verdict.rollbackFailed"), st.Breached
	case o == nil:
		return tr.S("ui.day.state.ended"), st.Neutral
	}
	switch o.Verdict {
	case engine.VerdictHeld:
		return tr.S("ui.verdict.held"), st.Holding
	case engine.VerdictViolated:
		return tr.S("ui.verdict.violated"), st.Breached
	case engine.VerdictAborted:
		if len(failing(o.Checks, engine.GroupFault)) > 0 {
			return tr.S("ui.verdict.abortedRefuted"), st.Breached
		}
		return tr.S("ui.verdict.aborted"), st.Breached
	case engine.VerdictNotSteady:
		return tr.S("ui.verdict.notSteady"), st.Breached
	case engine.VerdictRollbackFailed:
		return tr.S("ui.verdict.rollbackFailed"), st.Breached
	}
	return strings.ToUpper(string(o.Verdict)), st.Neutral
}

// noteLines are the notes taken between experiments under a title.
func (d dayScreen) noteLines(w int) []string {
	st, tr := d.styles, d.tr
	notes := d.status.Notes
	if len(notes) == 0 {
		return nil
	}
	out := []string{rule(tr.S("ui.day.notes", len(notes)), w)}
	for _, n := range notes {
		when := tr.S("ui.day.note.before")
		if n.After >= 0 {
			when = tr.S("ui.day.note.after", n.After+1)
		}
		var label string
		switch n.Note.Kind {
		case engine.Success:
			label = st.Holding.Render(tr.S("ui.timeline.success"))
		case engine.Improvement:
			label = st.Near.Render(tr.S("ui.timeline.improvement"))
		default:
			label = tr.S("ui.timeline.note")
		}
		out = append(out, fit("  "+d.clockAt(n.At)+" "+when+" "+label+oneLine(n.Note.Text), w))
	}
	return out
}

// nextLines say what comes next: tick the checklist, start or skip the
// next experiment, end the day; why the day stops after a rollback not
// confirmed, with the commands that finish it; where the report is once
// it is over.
func (d dayScreen) nextLines(w int) []string {
	st, tr, s := d.styles, d.tr, d.status
	out := []string{rule(tr.S("ui.day.next"), w)}
	wrap := func(style lipgloss.Style, text string) {
		for _, l := range wrapText(text, w-2) {
			out = append(out, "  "+style.Render(l))
		}
	}
	stopped := s.Stopped()
	switch {
	case s.End != nil:
		switch {
		case s.End.Stopped == engine.DayStopRollback:
			wrap(st.Breached, tr.S("ui.day.over.rollback", s.End.After+1))
		case s.End.Stopped == engine.DayStopInterrupted && s.End.After < 0:
			wrap(st.Neutral, tr.S("ui.day.over.interruptedFirst"))
		case s.End.Stopped != "":
			wrap(st.Neutral, tr.S("ui.day.over.interrupted", s.End.After+1))
		default:
			wrap(st.Holding, tr.S("ui.day.over"))
		}
		if s.Report != "" {
			wrap(st.Text, tr.S("ui.day.over.report", s.Report))
		}
	case stopped >= 0:
		wrap(st.Breached, tr.S("ui.day.stop", stopped+1, d.expTitle(stopped)))
		for _, c := range s.result(stopped).Manual {
			wrap(st.Manual, tr.S("ui.day.stop.manual", c))
		}
		wrap(st.Text, tr.S("ui.day.stop.end"))
	case d.starting:
		wrap(st.Neutral, tr.S("ui.day.starting", s.Next+1, d.expTitle(s.Next)))
	case s.Next >= len(s.Experiments):
		wrap(st.Holding, tr.S("ui.day.allDone"))
	case !s.checklistDone():
		u := s.Unticked()
		wrap(st.Near, tr.S("ui.day.tickFirst", len(u), len(s.Checks), s.Next+1, d.expTitle(s.Next)))
	default:
		wrap(st.Text, tr.S("ui.day.nextUp", s.Next+1, len(s.Experiments), d.expTitle(s.Next)))
	}
	return out
}

// bottomLines are the production guard, a question, or the note input
// when one is open; otherwise what the notes are for.
func (d dayScreen) bottomLines(w int) []string {
	st, tr := d.styles, d.tr
	switch {
	case d.confirming >= 0:
		pl := d.status.Plans[d.confirming]
		out := []string{st.Breached.Render(fit(tr.S("ui.picker.production", d.expTitle(d.confirming), strings.TrimSpace(pl.Target.Name)), w))}
		out = append(out, fit(d.confirm.View(), w))
		if d.confirmErr != "" {
			out = append(out, st.Breached.Render(fit(d.confirmErr, w)))
		}
		return out
	case d.ask == askSkip:
		return d.question(tr.S("ui.day.ask.skip", d.status.Next+1, d.expTitle(d.status.Next)), w)
	case d.ask == askEnd:
		left := len(d.status.Experiments) - d.status.Next
		return d.question(tr.S("ui.day.ask.end", left), w)
	case d.noting:
		return []string{fit(d.note.View(), w)}
	case d.ended():
		return []string{fit(tr.S("ui.day.bottom.over"), w)}
	}
	return []string{fit(tr.S("ui.day.bottom"), w)}
}

// question is a question of the day at width w, on at most three lines:
// its keys come last, and must show on a narrow terminal too.
func (d dayScreen) question(text string, w int) []string {
	ls := wrapText(text, w)
	if len(ls) > 3 {
		ls = append(ls[:2], fit(strings.Join(ls[2:], " "), w))
	}
	for i, l := range ls {
		ls[i] = d.styles.Near.Render(l)
	}
	return ls
}

// startExperiment starts experiment msg.i of the day, unless a run is
// being watched.
func (m Model) startExperiment(msg startExperimentMsg) (Model, tea.Cmd) {
	if m.runActive() || m.cfg.Day == nil {
		return m, nil
	}
	title := msg.plan.Localized(string(m.tr.lang)).Title
	m.setBanner(m.tr.S("ui.banner.starting", title), bannerInfo)
	return m, startDayRun(m.gen, m.cfg.Day, msg.i, msg.plan, title)
}

// openDayReport opens the report view on the day report: the index and
// the journals so far (in progress until the day ends); esc comes back to
// the day.
func (m Model) openDayReport() (Model, tea.Cmd) {
	m.report = newReport(m.gen, m.cfg.Day, m.day.localDay().Title, m.styles, m.tr)
	m.report.back = screenDay
	m.report.ended = m.day.ended()
	m.report.SetSize(m.width, m.bodyHeight())
	m.screen = screenReport
	return m.updateScreen(openReportMsg{origin{m.gen, screenDay}})
}

// backToDay shows the day screen again once the experiment's run has
// ended, in a new generation: whatever the run's commands still deliver
// is stale from here on.
func (m Model) backToDay() (Model, tea.Cmd) {
	if m.runActive() {
		return m, nil // a running run is never left unwatched
	}
	m.gen++
	m.run = nil
	m.ended = false
	m.screen = screenDay
	var cmd tea.Cmd
	m.day, cmd = m.day.reopen(m.gen)
	return m, cmd
}

// inDay makes the console one of a day's experiments: esc goes back to
// the day screen once the run has ended — also when a rollback was not
// confirmed, since the day screen keeps its manual command on show and
// starts nothing after it.
func (c *consoleScreen) inDay() {
	c.day = true
	c.keys.Back.SetHelp("esc", c.tr.S("ui.day.key.back"))
	c.updateKeybindings()
}
