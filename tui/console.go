package tui

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// Journaled is implemented by a Run that knows the path of its journal.
// The console then names it in the commands it prints (gameday recover
// PATH); without it, it prints none that would need it.
type Journaled interface {
	JournalPath() string
}

// AbortReasonPrefix starts the note that journals the reason the
// facilitator gave for an abort ("abort reason: the database team asked
// us to stop"): a plain observation, so that the report lists it with
// the other notes, right after the abort.
const AbortReasonPrefix = "abort reason: "

// consoleScreen watches one run: a two-line header (what runs, the phase
// and the clock, the verdict so far; what is live now), four graphs over
// a time axis, the fault panel, the timeline, and the note input.
type consoleScreen struct {
	styles Styles
	tr     *printer
	keys   consoleKeyMap

	gen     gen // the run's generation: its commands' messages carry it
	run     Run
	plan    *scenarios.Plan
	title   string // the plan's title in the console's language
	dryRun  bool
	journal string // the journal's path, when the run says it (Journaled)

	snap    engine.Snapshot
	hasSnap bool
	clock   func() time.Time
	now     time.Time // read from clock with each snapshot, never in View

	ended    bool // Run.Done is closed
	aborting bool // the root aborted the run (abortingMsg)
	// watching: after the abort's rollback the run watches the system
	// recover (engine.Run.Abort); the console has said so.
	watching bool
	saved    string // path of the last saved report
	// readOnly: a watcher's console (Watch); scribe: one that may note.
	readOnly, scribe bool
	// presenter: the layout for a screen share (present.go) instead of
	// the full console.
	presenter bool
	// day: the run is an experiment of a game day (day.go); esc goes back
	// to the day screen, which keeps a manual command on show.
	day bool

	note   textinput.Model
	noting bool
	// reason is the one-line prompt for why the run was aborted, opened
	// right after ctrl+x or X (the abort does not wait for it).
	reason    textinput.Model
	reasoning bool

	cache *graphCache

	width, height int
	// reserve is a line the root may take for a banner but does not now:
	// the graphs are sized as if it were taken, so that they keep their
	// height when a banner comes and goes; the timeline has it meanwhile.
	reserve int
}

// gridGraphs is the width from which the graphs are laid out 2×2: from
// 80 columns on, a graph gets more rows that way than stacked (five, not
// three, at 80×24), and rows are what shows a value against its bound.
const gridGraphs = 76

func newConsole(g gen, r Run, p *scenarios.Plan, dryRun bool, st Styles, tr *printer, clock func() time.Time) consoleScreen {
	in := textinput.New()
	in.Placeholder = tr.S("ui.note.placeholder")
	in.PlaceholderStyle = st.Text
	in.PromptStyle = st.Label
	in.Cursor.SetMode(cursor.CursorStatic)
	in.CharLimit = 500
	why := textinput.New()
	why.Prompt = tr.S("ui.reason.prompt")
	why.PromptStyle = st.Breached
	why.Cursor.SetMode(cursor.CursorStatic)
	why.CharLimit = 300
	c := consoleScreen{
		styles: st,
		tr:     tr,
		keys:   defaultConsoleKeyMap(tr, len(p.Faults), dryRun),
		gen:    g,
		run:    r,
		plan:   p,
		title:  p.Localized(string(tr.lang)).Title,
		dryRun: dryRun,
		clock:  clock,
		now:    clock(),
		note:   in,
		reason: why,
		cache:  newGraphCache(),
		snap:   engine.Snapshot{Plan: p},
	}
	if j, ok := r.(Journaled); ok {
		c.journal = j.JournalPath()
	}
	c.note.Prompt = c.notePrompt("")
	c.updateKeybindings()
	return c
}

// SetSize sets the console's size.
func (c *consoleScreen) SetSize(w, h int) {
	c.width, c.height = w, h
	if c.tr == nil {
		return // no run yet: nothing to lay out
	}
	c.note.Width = max(w-width(c.notePrompt("-"))-2, 10)
	c.reason.Width = max(w-width(c.reason.Prompt)-2, 10)
}

// typing reports whether keys go to the note or the reason input.
func (c consoleScreen) typing() bool { return c.noting || c.reasoning }

// phase is the run's phase as last seen.
func (c consoleScreen) phase() engine.Phase {
	if c.ended && !c.snap.Phase.Ended() {
		return engine.Done
	}
	return c.snap.Phase
}

// injectable reports whether faults can be triggered in the current phase.
func (c consoleScreen) injectable() bool {
	if c.ended || c.aborting {
		return false
	}
	switch c.phase() {
	case engine.Injecting, engine.Observing:
		return true
	case engine.Ready, engine.Baseline, engine.RollingBack, engine.Recovering, engine.Done, engine.Aborted:
		return false
	}
	return false
}

// triggerable reports whether a fault in state s can be injected now by
// its key: one not yet injected, or one rolled back or failed to inject
// (the engine allows injecting those again: a drill may fire a fault
// twice).
func triggerable(s engine.FaultState) bool {
	switch s {
	case engine.FaultPending, engine.FaultRolledBack, engine.FaultInjectFailed:
		return true
	case engine.FaultRequested, engine.FaultInjecting, engine.FaultActive, engine.FaultRollingBack,
		engine.FaultRollbackFailed, engine.FaultSkipped, engine.FaultDryRun, engine.FaultGone:
		return false
	}
	return false
}

// updateKeybindings enables the keys that apply to the current phase, so
// disabled keys drop out of help.
func (c *consoleScreen) updateKeybindings() {
	some := false
	for i, f := range c.faults() {
		if i < maxFaultKeys && triggerable(f.State) {
			some = true
		}
	}
	typing := c.typing()
	c.keys.Inject.SetEnabled(!typing && c.injectable() && some && !c.readOnly)
	c.keys.FaultKey.SetEnabled(!typing)
	// Notes are welcome after the run too: the retro right after the
	// drill goes into the same journal and report.
	c.keys.Note.SetEnabled(!typing && (!c.readOnly || c.scribe))
	c.keys.SaveNote.SetEnabled(c.noting)
	c.keys.CancelNote.SetEnabled(c.noting)
	c.keys.SaveReason.SetEnabled(c.reasoning)
	c.keys.SkipReason.SetEnabled(c.reasoning)
	c.keys.Report.SetEnabled(!typing)
	c.keys.Save.SetEnabled(!typing && c.ended && !c.readOnly)
	c.keys.Back.SetEnabled(!typing && c.ended && (c.settled() || c.day) && !c.readOnly)
	// The ladder's keys only while one climbs: in help only then.
	v, climbing := c.climbingLadder()
	c.keys.Hold.SetEnabled(!typing && climbing && !c.readOnly)
	c.keys.Widen.SetEnabled(!typing && climbing && v.step < v.of && !c.readOnly)
	c.keys.LadderKey.SetEnabled(!typing)
	c.keys.Present.SetEnabled(!typing)
	if c.presenter {
		c.keys.Present.SetHelp("p", c.tr.S("ui.key.console"))
	} else {
		c.keys.Present.SetHelp("p", c.tr.S("ui.key.present"))
	}
}

// settled reports whether no fault may still be active: none is left to
// roll back by hand. Only then may the console be left for the picker;
// otherwise the fault panel keeps the manual commands on show.
func (c consoleScreen) settled() bool {
	for _, f := range c.faults() {
		if f.State.MayBeActive() {
			return false
		}
	}
	return true
}

// needsManual reports whether f needs someone to finish its rollback by
// hand: its rollback failed, or the run ended with it possibly still in
// place. Only then does the console say "manual action needed".
func (c consoleScreen) needsManual(f engine.FaultStatus) bool {
	return f.State == engine.FaultRollbackFailed || c.ended && f.State.MayBeActive()
}

// manualCommand is the command that finishes f's rollback: the provider's
// own, else gameday recover with this run's journal. Empty when neither
// is known: the console never prints a placeholder.
func (c consoleScreen) manualCommand(f engine.FaultStatus) string {
	switch {
	case f.Manual != "":
		return f.Manual
	case c.journal != "":
		return "gameday recover " + shellWord(c.journal)
	}
	return ""
}

// shellWord quotes s for a shell when it needs it.
func shellWord(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// faults returns the faults as last seen, or the plan's as pending.
func (c consoleScreen) faults() []engine.FaultStatus {
	if len(c.snap.Faults) > 0 {
		return c.snap.Faults
	}
	out := make([]engine.FaultStatus, len(c.plan.Faults))
	for i, f := range c.plan.Faults {
		out[i] = engine.FaultStatus{Fault: f}
	}
	return out
}

// Update handles the console's keys and the run's messages. The root
// sends it only messages of its own run.
func (c consoleScreen) Update(msg tea.Msg) (consoleScreen, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case snapshotMsg:
		c.now = c.clock()
		// Snapshots are read in concurrent commands and may arrive out of
		// order; never replace a newer one with an older one.
		if c.hasSnap && olderSnapshot(msg.snap, c.snap) {
			break
		}
		c.snap = msg.snap
		if c.snap.Plan == nil {
			c.snap.Plan = c.plan
		}
		c.hasSnap = true
		if c.aborting && !c.watching && c.phase() == engine.Recovering {
			// The abort banner no longer holds: the rollback is over.
			c.watching = true
			cmd = send(bannerMsg(c.tr.S("ui.banner.watching")))
		}
	case runDoneMsg:
		c.ended = true
	case abortingMsg:
		c.aborting = true
		var cmds []tea.Cmd
		if c.noting {
			cmds = append(cmds, c.flushNote())
		}
		if msg.ask && !c.reasoning {
			c.reasoning = true
			cmds = append(cmds, c.reason.Focus())
		}
		cmd = tea.Batch(cmds...)
	case savedMsg:
		c.saved = msg.path
	case noteFailedMsg:
		// Put the text back (ahead of anything typed since) so nothing
		// typed is lost: a reason into the reason prompt, a note into the
		// note input.
		in := &c.note
		v := msg.text
		if msg.reason {
			in, v = &c.reason, strings.TrimPrefix(v, AbortReasonPrefix)
		}
		if cur := strings.TrimSpace(in.Value()); cur != "" {
			v += " " + cur
		}
		in.SetValue(v)
		in.CursorEnd()
		switch {
		case msg.reason && !c.reasoning:
			c.noting, c.reasoning = false, true
			c.note.Blur()
			cmd = c.reason.Focus()
		case !msg.reason && !c.noting:
			c.noting, c.reasoning = true, false
			c.reason.Blur()
			cmd = c.note.Focus()
		}
		c.note.Prompt = c.notePrompt(c.note.Value())
	case tea.KeyMsg:
		cmd = c.handleKey(msg)
	}
	c.updateKeybindings()
	return c, cmd
}

func (c *consoleScreen) handleKey(msg tea.KeyMsg) tea.Cmd {
	if c.reasoning {
		switch {
		case key.Matches(msg, c.keys.SaveReason):
			return c.flushReason()
		case key.Matches(msg, c.keys.SkipReason):
			c.closeReason()
			return nil
		}
		var cmd tea.Cmd
		c.reason, cmd = c.reason.Update(msg)
		return cmd
	}
	if c.noting {
		switch {
		case key.Matches(msg, c.keys.SaveNote):
			return c.flushNote()
		case key.Matches(msg, c.keys.CancelNote):
			c.noting = false
			c.note.Blur()
			c.note.SetValue("")
			c.note.Prompt = c.notePrompt("")
			return nil
		}
		var cmd tea.Cmd
		c.note, cmd = c.note.Update(msg)
		c.note.Prompt = c.notePrompt(c.note.Value())
		return cmd
	}
	switch {
	case key.Matches(msg, c.keys.Note):
		c.noting = true
		return c.note.Focus()
	case key.Matches(msg, c.keys.Report):
		return send(openReportMsg{origin{c.gen, screenConsole}})
	case key.Matches(msg, c.keys.Save):
		return send(saveReportMsg{c.gen})
	case key.Matches(msg, c.keys.Back):
		return send(backMsg{origin{c.gen, screenConsole}})
	case key.Matches(msg, c.keys.Present):
		c.presenter = !c.presenter
		return nil
	case key.Matches(msg, c.keys.Hold):
		return c.holdLadder()
	case key.Matches(msg, c.keys.Widen):
		return c.widenLadder()
	case key.Matches(msg, c.keys.LadderKey):
		return send(bannerMsg(c.ladderKeyAnswer(msg.String())))
	case key.Matches(msg, c.keys.FaultKey) && len(msg.Runes) == 1:
		n := int(msg.Runes[0] - '1')
		if answer := c.faultKeyAnswer(n); answer != "" || !key.Matches(msg, c.keys.Inject) {
			if answer == "" {
				answer = c.tr.S("ui.answer.cannot", n+1)
			}
			return send(bannerMsg(answer))
		}
		return inject(c.gen, c.run, c.faults()[n].Fault.ID)
	}
	return nil
}

// faultKeyAnswer is what number key n+1 says instead of firing its
// fault, or "" when it fires it: every number key answers.
func (c consoleScreen) faultKeyAnswer(n int) string {
	tr := c.tr
	fs := c.faults()
	if n < 0 || n >= len(fs) {
		switch len(fs) {
		case 0:
			return tr.S("ui.answer.noFaults", n+1)
		case 1:
			return tr.S("ui.answer.onlyOne", n+1, fs[0].Fault.ID)
		}
		return tr.S("ui.answer.noSuch", n+1, fs[0].Fault.ID, fs[len(fs)-1].Fault.ID)
	}
	f := fs[n]
	name := faultName(f.Fault)
	fired := !f.InjectedAt.IsZero() || f.State == engine.FaultRolledBack
	switch {
	case c.readOnly:
		return tr.S("ui.answer.watcher", n+1)
	case c.dryRun:
		return tr.S("ui.answer.dryRun", name)
	case c.ended, c.phase().Ended():
		if fired {
			return tr.S("ui.answer.endedRun", name)
		}
		return tr.S("ui.answer.runOver", name)
	case c.aborting:
		return tr.S("ui.answer.aborted", name)
	}
	switch c.phase() {
	case engine.Ready, engine.Baseline:
		if left := c.snap.PhaseEnds.Sub(c.now); c.phase() == engine.Baseline && !c.snap.PhaseEnds.IsZero() && left > 0 {
			return tr.S("ui.answer.notYetIn", name, fmtClock(left))
		}
		return tr.S("ui.answer.notYet", name)
	case engine.RollingBack, engine.Recovering, engine.Done, engine.Aborted:
		if fired {
			return tr.S("ui.answer.ended", name)
		}
		return tr.S("ui.answer.phaseOver", name)
	case engine.Injecting, engine.Observing:
	}
	switch f.State {
	case engine.FaultRequested, engine.FaultInjecting:
		return tr.S("ui.answer.injecting", name)
	case engine.FaultActive:
		if !f.EndsAt.IsZero() {
			return tr.S("ui.answer.activeEnds", name, fmtClock(f.EndsAt.Sub(c.now)))
		}
		return tr.S("ui.answer.active", name)
	case engine.FaultRollingBack:
		return tr.S("ui.answer.rollingBack", name)
	case engine.FaultRollbackFailed:
		return tr.S("ui.answer.rollbackFailed", name)
	case engine.FaultSkipped:
		return tr.S("ui.answer.skipped", name)
	case engine.FaultDryRun:
		return tr.S("ui.answer.dryRun", name)
	case engine.FaultGone:
		return tr.S("ui.answer.gone", name)
	case engine.FaultPending, engine.FaultRolledBack, engine.FaultInjectFailed:
	}
	if n >= maxFaultKeys {
		return tr.S("ui.answer.cannot", n+1)
	}
	return ""
}

// faultName names a fault as the console shows it: "f1 latency".
func faultName(f scenarios.Fault) string { return f.ID + " " + string(f.Kind) }

// flushNote closes the note input and saves what it holds, if anything.
func (c *consoleScreen) flushNote() tea.Cmd {
	text := strings.TrimSpace(c.note.Value())
	c.noting = false
	c.note.Blur()
	c.note.SetValue("")
	c.note.Prompt = c.notePrompt("")
	c.updateKeybindings()
	if text == "" {
		return nil
	}
	return saveNote(c.gen, c.run, text, false)
}

// flushReason closes the reason prompt and journals the reason as a note,
// if one was typed.
func (c *consoleScreen) flushReason() tea.Cmd {
	text := strings.TrimSpace(c.reason.Value())
	c.closeReason()
	if text == "" {
		return nil
	}
	return saveNote(c.gen, c.run, AbortReasonPrefix+text, true)
}

func (c *consoleScreen) closeReason() {
	c.reasoning = false
	c.reason.Blur()
	c.reason.SetValue("")
	c.updateKeybindings()
}

// ShortHelp lists the console's keys that apply now.
func (c consoleScreen) ShortHelp() []key.Binding {
	// Most needed first: the footer drops them from the end when they do
	// not all fit.
	return []key.Binding{c.keys.SaveReason, c.keys.SkipReason, c.keys.SaveNote, c.keys.CancelNote,
		c.keys.Inject, c.keys.Hold, c.keys.Widen, c.keys.Note, c.keys.Report, c.keys.Save, c.keys.Back, c.keys.Present}
}

// FullHelp lists all of the console's keys that apply now.
func (c consoleScreen) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{c.keys.Inject, c.keys.Hold, c.keys.Widen, c.keys.Note, c.keys.SaveNote, c.keys.CancelNote},
		{c.keys.SaveReason, c.keys.SkipReason},
		{c.keys.Report, c.keys.Save, c.keys.Back, c.keys.Present},
	}
}

// View renders the console in its size. The graphs take what the header,
// the fault panel and the bottom line leave, but the timeline keeps at
// least three lines, and a third of the room on a tall terminal. The note
// line (or the reason prompt, or the offer of the report) is always the
// last line.
func (c consoleScreen) View() string {
	w, h := c.width, c.height
	if w <= 0 || h <= 0 {
		return ""
	}
	if c.presenter {
		return c.presenterView()
	}
	header := []string{c.headerLine(w), c.statusLine(w)}
	faults := c.faultLines(w)
	bottom := c.bottomLine(w)
	room := h - len(header) - len(faults) - 1
	const minTimeline = 3
	steady := room - c.reserve
	graphRoom := steady - minTimeline
	if steady >= 30 {
		graphRoom = steady - steady/3
	}
	graphs := c.graphLines(w, graphRoom)
	tl := max(room-len(graphs), 0)
	lines := make([]string, 0, h)
	lines = append(lines, header...)
	lines = append(lines, graphs...)
	lines = append(lines, faults...)
	lines = append(lines, c.timelineLines(w, tl)...)
	lines = block(lines, w, h-1)
	lines = append(lines, bottom)
	return strings.Join(lines, "\n")
}

// elapsed is the time since the run started; once it has ended, how long
// it lasted.
func (c consoleScreen) elapsed() time.Duration {
	if c.snap.Started.IsZero() {
		return 0
	}
	if c.snap.Phase.Ended() && !c.snap.PhaseStarted.IsZero() {
		return c.snap.PhaseStarted.Sub(c.snap.Started)
	}
	return c.now.Sub(c.snap.Started)
}

// phaseLabel names the phase as the plan does — baseline, fault,
// recovery — in the colour of that phase, with its countdown.
func (c consoleScreen) phaseLabel() string {
	word, style := c.phaseParts()
	if c.styles.Color {
		word = " " + word + " "
	}
	return style.Render(word)
}

// phaseParts are the phase's word with its countdown, and its style.
func (c consoleScreen) phaseParts() (string, lipgloss.Style) {
	st, tr := c.styles, c.tr
	var word string
	style := st.Neutral
	switch p := c.phase(); p {
	case engine.Ready:
		word = tr.S("ui.phase.ready")
	case engine.Baseline:
		word, style = tr.S("ui.phase.baseline"), st.PhaseBaseline
	case engine.Injecting, engine.Observing:
		word, style = tr.S("ui.phase.fault"), st.PhaseFault
	case engine.RollingBack:
		word, style = tr.S("ui.phase.rollingBack"), st.PhaseFault
	case engine.Recovering:
		word, style = tr.S("ui.phase.recovery"), st.PhaseRecovery
	case engine.Done, engine.Aborted:
		// The verdict beside it says how.
		word, style = tr.S("ui.phase.ended"), st.PhaseEnded
	}
	if left, ok := c.phaseLeft(); ok {
		word += " " + tr.S("ui.header.left", fmtClock(left))
	}
	return word, style
}

// phaseLeft is the time left in a timed phase.
func (c consoleScreen) phaseLeft() (time.Duration, bool) {
	if c.snap.PhaseEnds.IsZero() || c.phase().Ended() || c.ended {
		return 0, false
	}
	return c.snap.PhaseEnds.Sub(c.now), true
}

// headerLine: title, phase with countdown, elapsed, and the verdict so
// far. When they do not all fit, the title gives way, then the names of
// what breached: the phase, the clock and the verdict are never cut.
func (c consoleScreen) headerLine(w int) string {
	st := c.styles
	const sep = " │ "
	fixed := c.phaseLabel() + sep + fmtT(c.elapsed())
	if c.dryRun {
		fixed += sep + c.tr.S("ui.header.dryRun")
	}
	right := c.verdict(true)
	room := w - width(fixed) - width(right) - 1 - width(sep)
	if room < 12 {
		right = c.verdict(false)
		room = w - width(fixed) - width(right) - 1 - width(sep)
	}
	left := fixed
	if room >= 4 {
		left = st.Title.Render(clip(c.title, room)) + sep + fixed
	}
	return rightAlign(left, right, w)
}

// verdict is the hypothesis verdict so far, or the run's outcome: a
// symbol and a word in the colour of its meaning; with names, what
// breaches.
func (c consoleScreen) verdict(names bool) string {
	text, style := c.verdictParts(names)
	return style.Render(text)
}

// verdictParts are the verdict's words and the style of their meaning.
func (c consoleScreen) verdictParts(names bool) (string, lipgloss.Style) {
	st, tr := c.styles, c.tr
	if o := c.snap.Outcome; o != nil {
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
	if len(c.snap.Samples) == 0 {
		return tr.S("ui.verdict.noData"), st.Neutral
	}
	if !c.snap.Holding {
		// The header names what breached; the values are on the graphs.
		var bad []string
		for _, ck := range c.snap.Checks {
			if !ck.Holds {
				bad = append(bad, metricName(tr, ck.Metric))
			}
		}
		if names && len(bad) > 0 {
			return tr.S("ui.verdict.breachedNames", strings.Join(bad, tr.S("ui.sep.list"))), st.Breached
		}
		return tr.S("ui.verdict.breached"), st.Breached
	}
	for _, m := range scenarios.Metrics {
		if _, bounded := c.plan.SteadyState[m]; bounded && c.level(m) == levelNear {
			return tr.S("ui.verdict.near"), st.Near
		}
	}
	return tr.S("ui.verdict.holding"), st.Holding
}

// failing returns the checks of group that do not hold (with data).
func failing(checks []engine.Check, group string) []engine.Check {
	var out []engine.Check
	for _, ck := range checks {
		if ck.Phase == group && !ck.Holds {
			out = append(out, ck)
		}
	}
	return out
}

// statusLine is the header's second line: what is live now. A fault
// that needs manual action comes first; then a fault that is live
// ("FAULT ACTIVE f1 latency · 0:26 left"), the abort and the watch after
// it, the outcome of an ended run; else what the phase is for.
func (c consoleScreen) statusLine(w int) string {
	return c.statusLines(w, false)[0]
}

// statusLines is the status line; split, the live faults that do not fit
// on one line each get a line of their own (the presenter view, where
// what is live and its countdown are the point).
func (c consoleScreen) statusLines(w int, split bool) []string {
	st, tr := c.styles, c.tr
	one := func(s string) []string { return []string{fit(s, w)} }
	fs := c.faults()
	var manual []string
	for _, f := range fs {
		if c.needsManual(f) {
			manual = append(manual, faultName(f.Fault))
		}
	}
	if len(manual) > 0 {
		return one(st.FaultLive.Render(tr.S("ui.status.manual", strings.Join(manual, tr.S("ui.sep.list")))))
	}
	switch {
	case c.ended || c.phase().Ended():
		return one(c.outcomeLine())
	case c.watching:
		left := ""
		if d, ok := c.phaseLeft(); ok {
			left = tr.S("ui.status.left", fmtClock(d))
		}
		return one(st.Breached.Render(tr.S("ui.status.aborted")) + " · " + tr.S("ui.status.watching", left))
	case c.aborting:
		return one(st.Breached.Render(tr.S("ui.status.aborting")))
	}
	var live []string
	for _, f := range fs {
		name := faultName(f.Fault)
		switch f.State {
		case engine.FaultActive:
			s := name
			if !f.EndsAt.IsZero() {
				s += " · " + tr.S("ui.header.left", fmtClock(f.EndsAt.Sub(c.now)))
			}
			if len(f.Targets) > 0 {
				s += " → " + targetNames(f.Targets)
			}
			live = append(live, s)
		case engine.FaultRequested, engine.FaultInjecting:
			live = append(live, tr.S("ui.status.injecting", name))
		case engine.FaultRollingBack:
			live = append(live, tr.S("ui.status.rollingBack", name))
		case engine.FaultPending, engine.FaultRolledBack, engine.FaultRollbackFailed, engine.FaultSkipped,
			engine.FaultInjectFailed, engine.FaultDryRun, engine.FaultGone:
		}
	}
	if len(live) > 0 {
		// In colour the label is a red block, spaced by its own padding.
		label, sep := tr.S("ui.status.faultActive"), " "
		if st.Color {
			label, sep = " "+label+" ", ""
		}
		line := func(live ...string) string {
			return st.FaultLive.Render(label) + sep + st.Near.Render(strings.Join(live, " · "))
		}
		if all := line(live...); !split || len(live) == 1 || width(all) <= w {
			return one(all)
		}
		out := make([]string, len(live))
		for i, l := range live {
			out[i] = fit(line(l), w)
		}
		return out
	}
	switch c.phase() {
	case engine.Ready, engine.Baseline:
		if d, ok := c.phaseLeft(); ok && c.phase() == engine.Baseline {
			return one(tr.S("ui.status.baselineIn", fmtClock(d)))
		}
		return one(tr.S("ui.status.baseline"))
	case engine.Injecting, engine.Observing:
		if c.keys.Inject.Enabled() {
			return one(tr.S("ui.status.noFaultKeys", c.keys.Inject.Help().Key))
		}
		for _, f := range fs {
			if f.State == engine.FaultPending && !f.Fault.Manual {
				return one(tr.S("ui.status.noFaultAt", faultName(f.Fault), fmtDuration(f.Fault.StartAfter)))
			}
		}
		return one(tr.S("ui.status.noFault"))
	case engine.RollingBack:
		return one(tr.S("ui.status.phaseRollback"))
	case engine.Recovering:
		return one(tr.S("ui.status.recovery"))
	case engine.Done, engine.Aborted:
	}
	return one("")
}

// outcomeLine says how the run ended, in the console's words and with
// units: what breached, for an aborted run whether the hypothesis was
// already refuted and whether the system came back after the rollback.
func (c consoleScreen) outcomeLine() string {
	tr := c.tr
	o := c.snap.Outcome
	if o == nil {
		return tr.S("ui.outcome.ended")
	}
	var why string
	switch o.Verdict {
	case engine.VerdictHeld:
		why = tr.S("ui.outcome.held")
		if !c.anyInjected() && !c.dryRun {
			why = tr.S("ui.outcome.heldNothing")
		}
	case engine.VerdictViolated:
		var bad []engine.Check
		for _, ck := range o.Checks {
			if ck.Phase != engine.GroupBaseline && !ck.Holds {
				bad = append(bad, ck)
			}
		}
		why = tr.S("ui.outcome.violated", c.describeChecks(bad))
	case engine.VerdictNotSteady:
		why = tr.S("ui.outcome.notSteady", c.describeChecks(failing(o.Checks, engine.GroupBaseline)))
	case engine.VerdictRollbackFailed:
		var names []string
		for _, f := range c.faults() {
			if f.State == engine.FaultRollbackFailed {
				names = append(names, faultName(f.Fault))
			}
		}
		why = tr.S("ui.outcome.rollbackFailed", strings.Join(names, tr.S("ui.sep.list")))
	case engine.VerdictAborted:
		why = tr.S("ui.outcome.aborted", c.abortReason())
		if bad := failing(o.Checks, engine.GroupFault); len(bad) > 0 {
			why += tr.S("ui.sep.clause") + tr.S("ui.outcome.refuted", c.describeChecks(bad))
		}
		recovered := false
		for _, ck := range o.Checks {
			recovered = recovered || ck.Phase == engine.GroupRecovery && ck.Samples > 0
		}
		if recovered {
			if bad := failing(o.Checks, engine.GroupRecovery); len(bad) > 0 {
				why += tr.S("ui.sep.clause") + tr.S("ui.outcome.notBack", c.describeChecks(bad))
			} else {
				why += tr.S("ui.sep.clause") + tr.S("ui.outcome.back")
			}
		}
	default:
		why = o.Reason
	}
	return tr.S("ui.outcome.line", why)
}

// anyInjected reports whether a fault was ever injected.
func (c consoleScreen) anyInjected() bool {
	for _, f := range c.faults() {
		if !f.InjectedAt.IsZero() || f.State == engine.FaultRolledBack {
			return true
		}
	}
	return false
}

// abortReason is the journaled reason of the abort, in the console's
// words when the console gave it.
func (c consoleScreen) abortReason() string {
	tr := c.tr
	for _, r := range c.snap.Timeline {
		if r.Type == engine.RecAbort {
			return reasonWords(tr, r.Reason)
		}
	}
	return tr.S("ui.outcome.noReason")
}

// The abort reasons the console journals. They are the journal's, in
// English whatever the console's language; reasonWords says them in it.
const (
	reasonAbortKey  = "abort key (ctrl+x)"
	reasonAbortAlt  = "abort key (X)"
	reasonInterrupt = "interrupted (ctrl+c)"
	reasonQuit      = "quit"
	reasonSecondRun = "console was already watching a run"
)

func reasonWords(tr *printer, reason string) string {
	switch reason {
	case reasonAbortKey, reasonAbortAlt:
		return tr.S("ui.reason.abortKey", strings.TrimSuffix(strings.TrimPrefix(reason, "abort key ("), ")"))
	case reasonInterrupt:
		return tr.S("ui.reason.interrupt")
	case reasonQuit:
		return tr.S("ui.reason.quit")
	}
	return reason
}

// describeChecks says what checks measured against their bounds, with
// units: "p95 latency 612 ms > 500 ms (fault)".
func (c consoleScreen) describeChecks(checks []engine.Check) string {
	tr := c.tr
	var out []string
	for _, ck := range checks {
		name := metricName(tr, ck.Metric)
		grp := groupWord(tr, ck.Phase)
		var s string
		switch {
		case ck.Samples == 0:
			s = tr.S("ui.check.noData", name, grp)
		case ck.Method == engine.MethodPerWindow:
			edge := ck.Bound.Max
			if edge == nil {
				edge = ck.Bound.Min
			}
			bound := ""
			if edge != nil {
				bound = formatValue(ck.Metric, *edge)
			}
			s = tr.S("ui.check.windows", name, bound, ck.Breached, ck.Samples, grp)
		default:
			s = tr.S("ui.check.value", name, breachText(ck.Metric, ck.Value, ck.Bound), grp)
		}
		out = append(out, s)
	}
	return strings.Join(out, tr.S("ui.sep.list"))
}

// breachText is v against the side of b it breaches: "612 ms > 500 ms".
func breachText(m scenarios.Metric, v float64, b scenarios.Bound) string {
	switch {
	case b.Max != nil && v > *b.Max:
		return formatValue(m, v) + " > " + formatValue(m, *b.Max)
	case b.Min != nil && v < *b.Min:
		return formatValue(m, v) + " < " + formatValue(m, *b.Min)
	}
	return formatValue(m, v)
}

// groupWord names a check group as the plan names its phase.
func groupWord(tr *printer, group string) string {
	switch group {
	case engine.GroupBaseline:
		return tr.S("ui.group.baseline")
	case engine.GroupFault:
		return tr.S("ui.group.fault")
	case engine.GroupRecovery:
		return tr.S("ui.group.recovery")
	}
	return group
}

// current returns m's latest value and the rate offered then (NaN without
// a sample carrying m).
func (c consoleScreen) current(m scenarios.Metric) (float64, float64) {
	for i := len(c.snap.Samples) - 1; i >= 0; i-- {
		s := c.snap.Samples[i]
		if v := metricValue(m, s); !math.IsNaN(v) {
			return v, s.Offered
		}
	}
	return math.NaN(), 0
}

// level is how m's latest value stands against the plan.
func (c consoleScreen) level(m scenarios.Metric) level {
	v, offered := c.current(m)
	return levelOf(c.plan, m, v, offered)
}

// windows returns the spans during which faults were (or may still be)
// active: from InjectedAt to the record that ended the fault (rolled back,
// failed), else its EndsAt, and never past now.
func (c consoleScreen) windows() []window {
	var out []window
	for _, f := range c.snap.Faults {
		if f.InjectedAt.IsZero() {
			continue
		}
		end := c.now
		if !f.State.MayBeActive() {
			end = time.Time{}
			for _, r := range c.snap.Timeline {
				if r.Type == engine.RecFault && r.Fault != nil && r.Fault.Fault.ID == f.Fault.ID &&
					!r.Fault.State.MayBeActive() && !r.At.Before(f.InjectedAt) {
					end = r.At
					break
				}
			}
			if end.IsZero() {
				end = f.EndsAt
			}
			if end.IsZero() || end.After(c.now) {
				end = c.now
			}
		}
		out = append(out, window{from: f.InjectedAt, to: end})
	}
	return out
}

// graphLines renders the four graphs in at most h lines: 2×2 from
// gridGraphs columns, stacked with a side label when narrower. The graphs
// of a column share the x axis, so the rows under them — the fault
// windows and the time axis — are drawn once per column: as two rows when
// the graphs keep enough height, else as one.
func (c consoleScreen) graphLines(w, h int) []string {
	st, tr := c.styles, c.tr
	wins := c.windows()
	start := c.snap.Started
	axis := func(cols []column, width, rows int) []string {
		if rows == 1 {
			return []string{timeRow(cols, wins, true, start, width, st, tr)}
		}
		return []string{faultRow(cols, wins, width, st, tr), timeRow(cols, wins, false, start, width, st, tr)}
	}
	if w >= gridGraphs {
		rows := 2
		gh := min((h-rows)/2-1, 16)
		if gh < 4 {
			rows = 1
			gh = min((h-rows)/2-1, 16)
		}
		if gh < 1 {
			return nil
		}
		cw := (w - 3) / 2
		var cells [4][]string
		var cols []column
		for i, m := range scenarios.Metrics {
			b := c.plan.SteadyState[m]
			plotLines, cl := c.cache.chart(m, b, c.snap.Samples, cw, gh, st, tr)
			cols = cl
			cells[i] = append([]string{fit(c.graphTitle(m, b, cw), cw)}, plotLines...)
		}
		out := beside(" │ ", cells[0], cells[1])
		out = append(out, beside(" │ ", cells[2], cells[3])...)
		for _, a := range axis(cols, cw, rows) {
			out = append(out, a+" │ "+a)
		}
		return out
	}
	rows := 2
	gh := min((h-rows)/4, 10)
	if gh < 3 {
		rows = 1
		gh = min((h-rows)/4, 10)
	}
	if gh < 1 {
		return nil
	}
	sw := 20
	if w < 60 {
		sw = 12
	}
	pw := w - sw - 1
	var out []string
	var cols []column
	for _, m := range scenarios.Metrics {
		b := c.plan.SteadyState[m]
		plotLines, cl := c.cache.chart(m, b, c.snap.Samples, pw, gh, st, tr)
		cols = cl
		side := block(c.graphSide(m, b), sw, gh)
		out = append(out, beside(" ", side, plotLines)...)
	}
	for _, a := range axis(cols, pw, rows) {
		out = append(out, fit("", sw)+" "+a)
	}
	return out
}

// graphTitle is a graph's one-line title for the 2×2 layout, in w cells:
// name, value and level, and the bound when it fits (the threshold's row
// is labelled with the bound's value anyway).
func (c consoleScreen) graphTitle(m scenarios.Metric, b scenarios.Bound, w int) string {
	st, tr := c.styles, c.tr
	v, _ := c.current(m)
	l := c.level(m)
	head := st.Title.Render(metricName(tr, m)) + "  " + st.style(l).Render(formatValue(m, v)+" "+l.word(tr))
	if full := head + "  " + tr.S("ui.graph.limit", formatBound(tr, m, b)); width(full) <= w {
		return full
	}
	return head
}

// graphSide is a graph's label block for the stacked layout.
func (c consoleScreen) graphSide(m scenarios.Metric, b scenarios.Bound) []string {
	st, tr := c.styles, c.tr
	v, _ := c.current(m)
	l := c.level(m)
	return []string{
		st.Title.Render(metricName(tr, m)),
		st.style(l).Render(formatValue(m, v) + " " + l.word(tr)),
		tr.S("ui.graph.limit", formatBound(tr, m, b)),
	}
}

// faultLines renders the fault panel: a number key per fault that can be
// triggered now, its state with a symbol and a word, countdown, the
// targets it hit, rollback verification, and the manual command when its
// rollback needs finishing by hand.
func (c consoleScreen) faultLines(w int) []string {
	st, tr := c.styles, c.tr
	title := st.Title.Render(tr.S("ui.faults.title"))
	switch {
	case c.dryRun:
		title += " — " + tr.S("ui.faults.dryRun")
	case c.readOnly:
		title += " — " + tr.S("ui.faults.watcher")
	case c.keys.Inject.Enabled():
		title += " — " + tr.S("ui.faults.press", c.keys.Inject.Help().Key)
	case !c.ended && (c.phase() == engine.Ready || c.phase() == engine.Baseline):
		title += " — " + tr.S("ui.faults.later")
	}
	out := []string{rule(title, w)}
	for i, f := range c.faults() {
		out = append(out, c.faultRow(i, f, w)...)
	}
	return out
}

// faultRow is fault i's line in the fault panel, with the lines under
// it: its ladder, the manual command, a dry run's calls.
func (c consoleScreen) faultRow(i int, f engine.FaultStatus, w int) []string {
	st, tr := c.styles, c.tr
	keyLabel := fmt.Sprintf(" %d  ", i+1)
	if c.keys.Inject.Enabled() && triggerable(f.State) && i < maxFaultKeys {
		keyLabel = st.FaultKey.Render(fmt.Sprintf("[%d]", i+1)) + " "
	}
	sel := shortSelection(tr, f.Fault.Selection)
	if l := f.Fault.Ladder; l != nil && len(l.Steps) > 0 {
		sel = tr.S("ui.faults.ladder", shortSelection(tr, l.Steps[0]), shortSelection(tr, l.Widest()))
	}
	desc := strings.TrimSpace(faultName(f.Fault) + " " + sel)
	line := keyLabel + fit(desc, min(30, max(w/3, 12))) + " " + c.faultState(f)
	if len(f.Targets) > 0 {
		line += " → " + targetNames(f.Targets)
	}
	out := []string{fit(line, w)}
	if f.Fault.Ladder != nil && len(f.Fault.Ladder.Steps) > 0 {
		if l := c.ladderLine(ladderOf(f, c.snap.Timeline), w-4); l != "" {
			out = append(out, "    "+l)
		}
	}
	if c.needsManual(f) {
		text := tr.S("ui.faults.manualNone")
		if cmd := c.manualCommand(f); cmd != "" {
			text = tr.S("ui.faults.manual", cmd)
		}
		for _, l := range wrapText(text, w-4) {
			out = append(out, "    "+st.Manual.Render(l))
		}
	}
	if f.State == engine.FaultDryRun {
		for _, call := range f.Calls {
			for _, l := range wrapText(tr.S("ui.faults.wouldCall", call), w-4) {
				out = append(out, "    "+st.Neutral.Render(l))
			}
		}
	}
	return out
}

// targetNames lists targets by name: the ones a fault actually hit.
func targetNames(ts []providers.Target) string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = targetName(t)
	}
	return strings.Join(names, ", ")
}

func targetName(t providers.Target) string {
	if t.Name != "" {
		return t.Name
	}
	return t.ID
}

// faultState says a fault's state with a symbol and a word.
func (c consoleScreen) faultState(f engine.FaultStatus) string {
	st, tr := c.styles, c.tr
	withErr := func(s string) string {
		if f.Err != "" {
			s += ": " + f.Err
		}
		return s
	}
	switch f.State {
	case engine.FaultPending:
		s := tr.S("ui.state.pending")
		if f.Fault.Manual {
			s += " " + tr.S("ui.state.onDemand")
		} else if !c.snap.Started.IsZero() {
			s += " " + tr.S("ui.state.at", fmtDuration(f.Fault.StartAfter))
		}
		return st.Neutral.Render(s)
	case engine.FaultRequested:
		return st.Near.Render(tr.S("ui.state.requested"))
	case engine.FaultInjecting:
		return st.Near.Render(tr.S("ui.state.injecting"))
	case engine.FaultActive:
		s := tr.S("ui.state.active")
		if l := f.Fault.Ladder; l != nil && f.Step > 0 {
			s += " · " + tr.S("ui.state.step", f.Step, len(l.Steps))
		}
		if !f.EndsAt.IsZero() {
			s += " · " + tr.S("ui.state.endsIn", fmtClock(f.EndsAt.Sub(c.now)))
		}
		return st.Near.Render(s)
	case engine.FaultRollingBack:
		return st.Near.Render(tr.S("ui.state.rollingBack"))
	case engine.FaultRolledBack:
		s := st.Holding.Render(tr.S("ui.state.rolledBack"))
		if v := f.Verification; v != nil {
			if v.Clean {
				s += st.Holding.Render(" · " + tr.S("ui.state.clean"))
			} else {
				s += st.Breached.Render(" · " + tr.S("ui.state.notClean", strings.Join(v.Details, "; ")))
			}
		}
		return s
	case engine.FaultRollbackFailed:
		return st.Breached.Render(withErr(tr.S("ui.state.rollbackFailed")))
	case engine.FaultSkipped:
		return st.Neutral.Render(tr.S("ui.state.skipped"))
	case engine.FaultInjectFailed:
		return st.Breached.Render(withErr(tr.S("ui.state.injectFailed")))
	case engine.FaultDryRun:
		return st.Neutral.Render(withErr(tr.S("ui.state.dryRun")))
	case engine.FaultGone:
		return st.Neutral.Render(withErr(tr.S("ui.state.gone")))
	}
	return f.State.String()
}

// timelineLines renders the newest events that fit in h lines (one of
// them the title).
func (c consoleScreen) timelineLines(w, h int) []string {
	if h <= 0 {
		return nil
	}
	st := c.styles
	out := []string{rule(st.Title.Render(c.tr.S("ui.timeline.title")), w)}
	start := c.snap.Started
	var entries []string
	lastPhase := ""
	for i, r := range c.snap.Timeline {
		if start.IsZero() {
			start = r.At
		}
		if c.verifiedLater(i) {
			continue // "rolled back, verified clean" follows
		}
		if r.Type == engine.RecPhase {
			// Injecting and Observing are both the plan's fault phase.
			p := c.phaseWord(r.Phase)
			if p == lastPhase {
				continue
			}
			lastPhase = p
		}
		if e := c.timelineEntry(r); e != "" {
			entries = append(entries, fmtT(r.At.Sub(start))+"  "+e)
		}
	}
	if len(entries) == 0 {
		entries = []string{c.tr.S("ui.timeline.empty")}
	}
	room := h - 1
	if len(entries) > room {
		entries = entries[len(entries)-room:]
	}
	for _, e := range entries {
		out = append(out, fit(e, w))
	}
	return out
}

// verifiedLater reports whether the timeline's record i is a fault rolled
// back whose verification is journaled next for that fault: one line says
// both.
func (c consoleScreen) verifiedLater(i int) bool {
	tl := c.snap.Timeline
	r := tl[i]
	if r.Type != engine.RecFault || r.Fault == nil || r.Fault.State != engine.FaultRolledBack || r.Fault.Verification != nil {
		return false
	}
	for _, n := range tl[i+1:] {
		if n.Type == engine.RecFault && n.Fault != nil && n.Fault.Fault.ID == r.Fault.Fault.ID {
			return n.Fault.State == engine.FaultRolledBack && n.Fault.Verification != nil
		}
	}
	return false
}

// phaseWord names a journaled phase as the plan does.
func (c consoleScreen) phaseWord(phase string) string {
	tr := c.tr
	p, ok := engine.ParsePhase(phase)
	if !ok {
		return phase
	}
	switch p {
	case engine.Ready:
		return tr.S("ui.timeline.phase.ready")
	case engine.Baseline:
		return tr.S("ui.group.baseline")
	case engine.Injecting, engine.Observing:
		return tr.S("ui.group.fault")
	case engine.RollingBack:
		return tr.S("ui.timeline.phase.rollingBack")
	case engine.Recovering:
		return tr.S("ui.group.recovery")
	case engine.Done:
		return tr.S("ui.timeline.phase.done")
	case engine.Aborted:
		return tr.S("ui.timeline.phase.aborted")
	}
	return phase
}

// timelineEntry describes one record, or "" for records not shown.
func (c consoleScreen) timelineEntry(r engine.Record) string {
	st, tr := c.styles, c.tr
	switch r.Type {
	case engine.RecPlan:
		return tr.S("ui.timeline.plan", c.title)
	case engine.RecPhase:
		return tr.S("ui.timeline.phase", c.phaseWord(r.Phase))
	case engine.RecFault:
		if r.Fault == nil {
			return ""
		}
		f := r.Fault
		switch f.State {
		case engine.FaultRequested, engine.FaultInjecting, engine.FaultRollingBack, engine.FaultSkipped:
			// Steps on the way (the fault panel and the header show them
			// while they last) and faults never fired: the timeline keeps
			// its lines for what happened.
			return ""
		case engine.FaultPending, engine.FaultActive, engine.FaultRolledBack, engine.FaultRollbackFailed,
			engine.FaultInjectFailed, engine.FaultDryRun, engine.FaultGone:
		}
		s := faultName(f.Fault) + ": " + c.stateWord(f.State)
		switch {
		case f.State == engine.FaultActive && len(f.Targets) > 0:
			s = faultName(f.Fault) + ": " + tr.S("ui.timeline.activeOn", targetNames(f.Targets))
		case f.State == engine.FaultRolledBack && f.Verification != nil && f.Verification.Clean:
			s += ", " + tr.S("ui.state.clean")
		case f.State == engine.FaultRolledBack && f.Verification != nil:
			s += ", " + tr.S("ui.state.notClean", strings.Join(f.Verification.Details, "; "))
		}
		if f.Err != "" {
			s += " — " + f.Err
		}
		if len(f.Calls) > 0 {
			s += " — " + tr.S("ui.timeline.wouldCall", strings.Join(f.Calls, "; "))
		}
		switch f.State {
		case engine.FaultRollbackFailed, engine.FaultInjectFailed:
			return st.Breached.Render("✘ " + s)
		case engine.FaultRolledBack:
			return st.Holding.Render("✔ " + s)
		case engine.FaultActive:
			return st.Near.Render("● " + s)
		case engine.FaultPending, engine.FaultRequested, engine.FaultInjecting, engine.FaultRollingBack,
			engine.FaultSkipped, engine.FaultDryRun, engine.FaultGone:
		}
		return s
	case engine.RecNote:
		if r.Note == nil {
			return ""
		}
		switch r.Note.Kind {
		case engine.Success:
			return st.Holding.Render(tr.S("ui.timeline.success")) + noteText(r.Note)
		case engine.Improvement:
			return st.Near.Render(tr.S("ui.timeline.improvement")) + noteText(r.Note)
		case engine.Observation:
		}
		if reason, ok := strings.CutPrefix(r.Note.Text, AbortReasonPrefix); ok && r.Note.Author == "" {
			return st.Breached.Render(tr.S("ui.timeline.reason")) + reason
		}
		return tr.S("ui.timeline.note") + noteText(r.Note)
	case engine.RecAbort:
		return st.Breached.Render(tr.S("ui.timeline.abort", reasonWords(tr, r.Reason)))
	case engine.RecVerdict:
		if r.Outcome == nil {
			return ""
		}
		return st.Title.Render(tr.S("ui.timeline.verdict", c.verdictWord(r.Outcome.Verdict)))
	case engine.RecRecover:
		return tr.S("ui.timeline.recover", r.Reason)
	case engine.RecSystem:
		if r.Event == nil {
			return ""
		}
		s := "◆ " + r.Event.Source + ": " + r.Event.Text
		switch r.Event.Kind {
		case providers.EventDetected:
			return st.Near.Render(s)
		case providers.EventRecovered:
			return st.Holding.Render(s)
		}
		return s
	case engine.RecStep:
		if r.Step == nil {
			return ""
		}
		return c.stepEntry(*r.Step)
	case engine.RecSample, engine.RecClose:
		return ""
	}
	return ""
}

// stepEntry describes a step of a fault's ladder: started on its targets,
// held, or breached with what breached.
func (c consoleScreen) stepEntry(sr engine.StepRecord) string {
	st, tr := c.styles, c.tr
	name := sr.FaultID
	for _, f := range c.plan.Faults {
		if f.ID == sr.FaultID {
			name = faultName(f)
		}
	}
	step := tr.S("ui.timeline.step", name, sr.Step, sr.Of, shortSelection(tr, sr.Selection))
	switch sr.What {
	case engine.StepStarted:
		if len(sr.Targets) > 0 {
			return st.Near.Render("● " + step + ": " + tr.S("ui.timeline.stepStartedOn", targetNames(sr.Targets)))
		}
		return st.Near.Render("● " + step + ": " + tr.S("ui.timeline.stepStarted"))
	case engine.StepHeld:
		return st.Holding.Render("✔ " + step + ": " + tr.S("ui.timeline.stepHeld"))
	case engine.StepHeldByFacilitator:
		return st.Holding.Render("■ " + step + ": " + tr.S("ui.timeline.stepKept"))
	case engine.StepBreached:
		var bad []engine.Check
		for _, ck := range sr.Checks {
			if !ck.Holds {
				bad = append(bad, ck)
			}
		}
		return st.Breached.Render("✘ " + step + ": " + tr.S("ui.timeline.stepBreached", c.describeChecks(bad)))
	}
	return step + ": " + sr.What
}

// verdictWord is a verdict as one word in capitals, without its symbol.
func (c consoleScreen) verdictWord(v engine.Verdict) string {
	tr := c.tr
	switch v {
	case engine.VerdictHeld:
		return tr.S("ui.verdictWord.held")
	case engine.VerdictViolated:
		return tr.S("ui.verdictWord.violated")
	case engine.VerdictAborted:
		return tr.S("ui.verdictWord.aborted")
	case engine.VerdictNotSteady:
		return tr.S("ui.verdictWord.notSteady")
	case engine.VerdictRollbackFailed:
		return tr.S("ui.verdictWord.rollbackFailed")
	}
	return strings.ToUpper(string(v))
}

// stateWord is a fault state in the console's words.
func (c consoleScreen) stateWord(s engine.FaultState) string {
	tr := c.tr
	switch s {
	case engine.FaultPending:
		return tr.S("ui.stateWord.pending")
	case engine.FaultRequested:
		return tr.S("ui.stateWord.requested")
	case engine.FaultInjecting:
		return tr.S("ui.stateWord.injecting")
	case engine.FaultActive:
		return tr.S("ui.stateWord.active")
	case engine.FaultRollingBack:
		return tr.S("ui.stateWord.rollingBack")
	case engine.FaultRolledBack:
		return tr.S("ui.stateWord.rolledBack")
	case engine.FaultRollbackFailed:
		return tr.S("ui.stateWord.rollbackFailed")
	case engine.FaultSkipped:
		return tr.S("ui.stateWord.skipped")
	case engine.FaultInjectFailed:
		return tr.S("ui.stateWord.injectFailed")
	case engine.FaultDryRun:
		return tr.S("ui.stateWord.dryRun")
	case engine.FaultGone:
		return tr.S("ui.stateWord.gone")
	}
	return s.String()
}

// bottomLine is the reason prompt or the note input when open; otherwise
// what the keys do now: after the run, notes (the retro), the report and
// the way back to the scenarios.
func (c consoleScreen) bottomLine(w int) string {
	tr := c.tr
	switch {
	case c.reasoning:
		return fit(c.reason.View(), w)
	case c.noting:
		return fit(c.note.View(), w)
	case c.ended && c.readOnly && !c.scribe:
		return fit(tr.S("ui.bottom.endedWatcher"), w)
	case c.ended:
		s := tr.S("ui.bottom.ended")
		switch {
		case c.keys.Back.Enabled() && c.day:
			s += tr.S("ui.bottom.endedDay")
		case c.keys.Back.Enabled():
			s += tr.S("ui.bottom.endedBack")
		}
		if c.saved != "" {
			s += " " + tr.S("ui.bottom.saved", c.saved)
		}
		return fit(s, w)
	}
	if c.readOnly && !c.scribe {
		return fit(tr.S("ui.bottom.watcher"), w)
	}
	return fit(tr.S("ui.bottom.hint"), w)
}

// notePrompt labels the note input with the kind the text will be
// journaled as: a leading "+" marks a success, a leading "-" an
// improvement.
func (c consoleScreen) notePrompt(text string) string {
	switch {
	case strings.HasPrefix(text, "+"):
		return c.tr.S("ui.note.promptSuccess")
	case strings.HasPrefix(text, "-"):
		return c.tr.S("ui.note.promptImprovement")
	}
	return c.tr.S("ui.note.prompt")
}

// olderSnapshot reports whether a was taken before b: its newest record or
// its newest sample is older. Record sequence numbers and sample times
// only grow during a run.
func olderSnapshot(a, b engine.Snapshot) bool {
	as, bs := lastSeq(a), lastSeq(b)
	if as != bs {
		return as < bs
	}
	return lastSampleAt(a).Before(lastSampleAt(b))
}

func lastSeq(s engine.Snapshot) int {
	seq := 0
	for _, r := range s.Timeline {
		seq = max(seq, r.Seq)
	}
	return seq
}

func lastSampleAt(s engine.Snapshot) time.Time {
	if len(s.Samples) == 0 {
		return time.Time{}
	}
	return s.Samples[len(s.Samples)-1].At
}
