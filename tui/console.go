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

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// consoleScreen watches one run: header, four graphs, fault panel,
// timeline and the note input.
type consoleScreen struct {
	styles Styles
	keys   consoleKeyMap

	gen    gen // the run's generation: its commands' messages carry it
	run    Run
	plan   *scenarios.Plan
	dryRun bool

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

	note   textinput.Model
	noting bool

	cache *graphCache

	width, height int
}

// wideGraphs is the width from which the graphs are laid out 2×2.
const wideGraphs = 120

func newConsole(g gen, r Run, p *scenarios.Plan, dryRun bool, st Styles, clock func() time.Time) consoleScreen {
	in := textinput.New()
	in.Prompt = notePrompt("")
	in.Placeholder = "what do you see? start with + for a success, - for an improvement"
	in.PlaceholderStyle = st.Text
	in.PromptStyle = st.Label
	in.Cursor.SetMode(cursor.CursorStatic)
	in.CharLimit = 500
	c := consoleScreen{
		styles: st,
		keys:   defaultConsoleKeyMap(len(p.Faults), dryRun),
		gen:    g,
		run:    r,
		plan:   p,
		dryRun: dryRun,
		clock:  clock,
		now:    clock(),
		note:   in,
		cache:  newGraphCache(),
		snap:   engine.Snapshot{Plan: p},
	}
	c.updateKeybindings()
	return c
}

// SetSize sets the console's size.
func (c *consoleScreen) SetSize(w, h int) {
	c.width, c.height = w, h
	c.note.Width = max(w-width(notePrompt("-"))-2, 10)
}

// typing reports whether keys go to the note input.
func (c consoleScreen) typing() bool { return c.noting }

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
// (the engine allows injecting those again).
func triggerable(s engine.FaultState) bool {
	switch s {
	case engine.FaultPending, engine.FaultRolledBack, engine.FaultInjectFailed:
		return true
	case engine.FaultRequested, engine.FaultInjecting, engine.FaultActive, engine.FaultRollingBack,
		engine.FaultRollbackFailed, engine.FaultSkipped, engine.FaultDryRun:
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
	c.keys.Inject.SetEnabled(!c.noting && c.injectable() && some && !c.readOnly)
	c.keys.Note.SetEnabled(!c.noting && !c.ended && (!c.readOnly || c.scribe))
	c.keys.SaveNote.SetEnabled(c.noting)
	c.keys.CancelNote.SetEnabled(c.noting)
	c.keys.Report.SetEnabled(!c.noting)
	c.keys.Save.SetEnabled(!c.noting && c.ended && !c.readOnly)
	c.keys.Back.SetEnabled(!c.noting && c.ended && c.settled() && !c.readOnly)
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
			cmd = send(bannerMsg("Rollback finished (see the fault panel). Watching the system recover after the abort; q leaves now."))
		}
	case runDoneMsg:
		c.ended = true
	case abortingMsg:
		c.aborting = true
		if c.noting {
			cmd = c.flushNote()
		}
	case savedMsg:
		c.saved = msg.path
	case noteFailedMsg:
		// Put the text back (ahead of anything typed since) so nothing
		// typed is lost.
		v := msg.text
		if cur := strings.TrimSpace(c.note.Value()); cur != "" {
			v += " " + cur
		}
		c.note.SetValue(v)
		c.note.CursorEnd()
		c.note.Prompt = notePrompt(v)
		if !c.noting {
			c.noting = true
			cmd = c.note.Focus()
		}
	case tea.KeyMsg:
		cmd = c.handleKey(msg)
	}
	c.updateKeybindings()
	return c, cmd
}

func (c *consoleScreen) handleKey(msg tea.KeyMsg) tea.Cmd {
	if c.noting {
		switch {
		case key.Matches(msg, c.keys.SaveNote):
			return c.flushNote()
		case key.Matches(msg, c.keys.CancelNote):
			c.noting = false
			c.note.Blur()
			c.note.SetValue("")
			c.note.Prompt = notePrompt("")
			return nil
		}
		var cmd tea.Cmd
		c.note, cmd = c.note.Update(msg)
		c.note.Prompt = notePrompt(c.note.Value())
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
	case key.Matches(msg, c.keys.Inject) && len(msg.Runes) == 1:
		n := int(msg.Runes[0] - '1')
		fs := c.faults()
		if n < 0 || n >= len(fs) {
			return nil
		}
		f := fs[n]
		if !triggerable(f.State) {
			return func() tea.Msg {
				return bannerMsg(fmt.Sprintf("Fault %d (%s) is %s; it cannot be triggered now.", n+1, f.Fault.ID, f.State))
			}
		}
		return inject(c.gen, c.run, f.Fault.ID)
	}
	return nil
}

// flushNote closes the note input and saves what it holds, if anything.
func (c *consoleScreen) flushNote() tea.Cmd {
	text := strings.TrimSpace(c.note.Value())
	c.noting = false
	c.note.Blur()
	c.note.SetValue("")
	c.note.Prompt = notePrompt("")
	c.updateKeybindings()
	if text == "" {
		return nil
	}
	return saveNote(c.gen, c.run, text)
}

// ShortHelp lists the console's keys that apply now.
func (c consoleScreen) ShortHelp() []key.Binding {
	return []key.Binding{c.keys.SaveNote, c.keys.CancelNote, c.keys.Inject, c.keys.Note, c.keys.Report, c.keys.Save, c.keys.Back}
}

// FullHelp lists all of the console's keys that apply now.
func (c consoleScreen) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{c.keys.Inject, c.keys.Note, c.keys.SaveNote, c.keys.CancelNote},
		{c.keys.Report, c.keys.Save, c.keys.Back},
	}
}

// View renders the console in its size. The note line (or the offer of
// the report) is always the last line.
func (c consoleScreen) View() string {
	w, h := c.width, c.height
	if w <= 0 || h <= 0 {
		return ""
	}
	header := []string{c.headerLine(w)}
	faults := c.faultLines(w)
	bottom := c.bottomLine(w)
	const minTimeline = 2
	rest := h - len(header) - len(faults) - 1 - (1 + minTimeline)
	graphs := c.graphLines(w, rest)
	tl := max(h-len(header)-len(graphs)-len(faults)-1, 0)
	lines := make([]string, 0, h)
	lines = append(lines, header...)
	lines = append(lines, graphs...)
	lines = append(lines, faults...)
	lines = append(lines, c.timelineLines(w, tl)...)
	lines = block(lines, w, h-1)
	lines = append(lines, bottom)
	return strings.Join(lines, "\n")
}

// elapsed is the time since the run started.
func (c consoleScreen) elapsed() time.Duration {
	if c.snap.Started.IsZero() {
		return 0
	}
	return c.now.Sub(c.snap.Started)
}

// headerLine: title, phase with countdown, elapsed, and the verdict so far.
func (c consoleScreen) headerLine(w int) string {
	st := c.styles
	ph := strings.ToUpper(c.phase().String())
	if !c.snap.PhaseEnds.IsZero() && !c.phase().Ended() {
		ph += " " + fmtClock(c.snap.PhaseEnds.Sub(c.now)) + " left"
	}
	left := st.Title.Render(c.plan.Title) + " │ " + st.Neutral.Render(ph) + " │ " + fmtT(c.elapsed())
	if c.dryRun {
		left += " │ DRY RUN"
	}
	return rightAlign(left, c.verdict(), w)
}

// verdict is the hypothesis verdict so far, or the run's outcome: a
// symbol and a word in the colour of its meaning.
func (c consoleScreen) verdict() string {
	st := c.styles
	if o := c.snap.Outcome; o != nil {
		switch o.Verdict {
		case engine.VerdictHeld:
			return st.Holding.Render("✔ HELD")
		case engine.VerdictViolated:
			return st.Breached.Render("✘ VIOLATED")
		case engine.VerdictAborted:
			return st.Breached.Render("■ ABORTED")
		case engine.VerdictNotSteady:
			return st.Breached.Render("✘ NOT STEADY")
		case engine.VerdictRollbackFailed:
			return st.Breached.Render("✘ ROLLBACK FAILED")
		}
		return st.Neutral.Render(strings.ToUpper(string(o.Verdict)))
	}
	if len(c.snap.Samples) == 0 {
		return st.Neutral.Render("· NO DATA YET")
	}
	if !c.snap.Holding {
		// The header names what breached; the values are on the graphs.
		var names []string
		for _, ck := range c.snap.Checks {
			if !ck.Holds {
				names = append(names, metricName(ck.Metric))
			}
		}
		s := "✘ BREACHED"
		if len(names) > 0 {
			s += ": " + strings.Join(names, ", ")
		}
		return st.Breached.Render(s)
	}
	for _, m := range scenarios.Metrics {
		if _, bounded := c.plan.SteadyState[m]; bounded && c.level(m) == levelNear {
			return st.Near.Render("▲ HOLDING, NEAR A BOUND")
		}
	}
	return st.Holding.Render("✔ HOLDING")
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

// graphLines renders the four graphs in at most h lines: 2×2 when the
// terminal is wide, stacked with a side label when narrow. The fault
// window row is shared by the graphs of a column (they share the x axis).
func (c consoleScreen) graphLines(w, h int) []string {
	st := c.styles
	wins := c.windows()
	if w >= wideGraphs {
		gh := min((h-1)/2-1, 16)
		if gh < 1 {
			return nil
		}
		cw := (w - 3) / 2
		var cells [4][]string
		var cols []column
		for i, m := range scenarios.Metrics {
			b := c.plan.SteadyState[m]
			plotLines, cl := c.cache.chart(m, b, c.snap.Samples, cw, gh, st)
			cols = cl
			cells[i] = append([]string{fit(c.graphTitle(m, b), cw)}, plotLines...)
		}
		out := beside(" │ ", cells[0], cells[1])
		out = append(out, beside(" │ ", cells[2], cells[3])...)
		marker := faultRow(cols, wins, cw, st)
		return append(out, marker+" │ "+marker)
	}
	gh := min((h-1)/4, 10)
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
		plotLines, cl := c.cache.chart(m, b, c.snap.Samples, pw, gh, st)
		cols = cl
		side := block(c.graphSide(m, b), sw, gh)
		out = append(out, beside(" ", side, plotLines)...)
	}
	return append(out, fit("", sw)+" "+faultRow(cols, wins, pw, st))
}

// graphTitle is a graph's one-line title for the 2×2 layout.
func (c consoleScreen) graphTitle(m scenarios.Metric, b scenarios.Bound) string {
	st := c.styles
	v, _ := c.current(m)
	l := c.level(m)
	return st.Title.Render(metricName(m)) + "  " + st.style(l).Render(formatValue(m, v)+" "+l.word()) +
		"  limit " + formatBound(m, b)
}

// graphSide is a graph's label block for the stacked layout.
func (c consoleScreen) graphSide(m scenarios.Metric, b scenarios.Bound) []string {
	st := c.styles
	v, _ := c.current(m)
	l := c.level(m)
	return []string{
		st.Title.Render(metricName(m)),
		st.style(l).Render(formatValue(m, v) + " " + l.word()),
		"limit " + formatBound(m, b),
	}
}

// faultLines renders the fault panel: a number key per fault that can be
// triggered now, its state with a symbol and a word, countdown, targets,
// rollback verification, and the manual command when rollback failed.
func (c consoleScreen) faultLines(w int) []string {
	st := c.styles
	title := st.Title.Render("Faults")
	switch {
	case c.dryRun:
		title += " — dry run: nothing is injected"
	case c.readOnly:
		title += " — the facilitator triggers them"
	case c.keys.Inject.Enabled():
		title += " — press " + c.keys.Inject.Help().Key + " to trigger now"
	case !c.ended && (c.phase() == engine.Ready || c.phase() == engine.Baseline):
		title += " — can be triggered by key from the fault phase"
	}
	out := []string{rule(title, w)}
	for i, f := range c.faults() {
		keyLabel := fmt.Sprintf(" %d  ", i+1)
		if c.keys.Inject.Enabled() && triggerable(f.State) && i < maxFaultKeys {
			keyLabel = st.FaultKey.Render(fmt.Sprintf("[%d]", i+1)) + " "
		}
		desc := f.Fault.ID + " " + string(f.Fault.Kind) + " " + shortSelection(f.Fault.Selection)
		line := keyLabel + fit(desc, min(30, max(w/3, 12))) + " " + c.faultState(f)
		if len(f.Targets) > 0 {
			names := make([]string, len(f.Targets))
			for j, t := range f.Targets {
				names[j] = targetName(t)
			}
			line += " → " + strings.Join(names, ", ")
		}
		out = append(out, fit(line, w))
		if f.State == engine.FaultRollbackFailed && f.Manual != "" {
			for _, l := range wrapText("manual rollback: "+f.Manual, w-4) {
				out = append(out, "    "+st.Manual.Render(l))
			}
		}
		if f.State == engine.FaultDryRun {
			for _, c := range f.Calls {
				for _, l := range wrapText("would call: "+c, w-4) {
					out = append(out, "    "+st.Neutral.Render(l))
				}
			}
		}
	}
	return out
}

func targetName(t providers.Target) string {
	if t.Name != "" {
		return t.Name
	}
	return t.ID
}

// faultState says a fault's state with a symbol and a word.
func (c consoleScreen) faultState(f engine.FaultStatus) string {
	st := c.styles
	withErr := func(s string) string {
		if f.Err != "" {
			s += ": " + f.Err
		}
		return s
	}
	switch f.State {
	case engine.FaultPending:
		s := "○ pending"
		if f.Fault.Manual {
			s += " (on demand)"
		} else if !c.snap.Started.IsZero() {
			s += " (at +" + fmtDuration(f.Fault.StartAfter) + " into fault phase)"
		}
		return st.Neutral.Render(s)
	case engine.FaultRequested:
		return st.Near.Render("◔ requested")
	case engine.FaultInjecting:
		return st.Near.Render("◑ injecting…")
	case engine.FaultActive:
		s := "● ACTIVE"
		if !f.EndsAt.IsZero() {
			s += " · ends in " + fmtClock(f.EndsAt.Sub(c.now))
		}
		return st.Near.Render(s)
	case engine.FaultRollingBack:
		return st.Near.Render("↺ rolling back…")
	case engine.FaultRolledBack:
		s := st.Holding.Render("✔ rolled back")
		if v := f.Verification; v != nil {
			if v.Clean {
				s += st.Holding.Render(" · verified clean")
			} else {
				s += st.Breached.Render(" · ✘ NOT CLEAN: " + strings.Join(v.Details, "; "))
			}
		}
		return s
	case engine.FaultRollbackFailed:
		return st.Breached.Render(withErr("✘ ROLLBACK FAILED"))
	case engine.FaultSkipped:
		return st.Neutral.Render("– skipped")
	case engine.FaultInjectFailed:
		return st.Breached.Render(withErr("✘ inject failed"))
	case engine.FaultDryRun:
		return st.Neutral.Render(withErr("◌ dry run: not injected"))
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
	out := []string{rule(st.Title.Render("Timeline"), w)}
	start := c.snap.Started
	var entries []string
	for _, r := range c.snap.Timeline {
		if start.IsZero() {
			start = r.At
		}
		if e := c.timelineEntry(r); e != "" {
			entries = append(entries, fmtT(r.At.Sub(start))+"  "+e)
		}
	}
	if len(entries) == 0 {
		entries = []string{"no events yet"}
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

// timelineEntry describes one record, or "" for records not shown.
func (c consoleScreen) timelineEntry(r engine.Record) string {
	st := c.styles
	switch r.Type {
	case engine.RecPlan:
		return "plan " + c.plan.Title
	case engine.RecPhase:
		return "phase → " + r.Phase
	case engine.RecFault:
		if r.Fault == nil {
			return ""
		}
		f := r.Fault
		s := f.Fault.ID + " " + string(f.Fault.Kind) + ": " + f.State.String()
		if f.Err != "" {
			s += " — " + f.Err
		}
		if len(f.Calls) > 0 {
			s += " — would call " + strings.Join(f.Calls, "; ")
		}
		switch f.State {
		case engine.FaultRollbackFailed, engine.FaultInjectFailed:
			return st.Breached.Render("✘ " + s)
		case engine.FaultRolledBack:
			return st.Holding.Render("✔ " + s)
		case engine.FaultActive:
			return st.Near.Render("● " + s)
		case engine.FaultPending, engine.FaultRequested, engine.FaultInjecting, engine.FaultRollingBack, engine.FaultSkipped, engine.FaultDryRun:
		}
		return s
	case engine.RecNote:
		if r.Note == nil {
			return ""
		}
		switch r.Note.Kind {
		case engine.Success:
			return st.Holding.Render("+ success: ") + noteText(r.Note)
		case engine.Improvement:
			return st.Near.Render("- improvement: ") + noteText(r.Note)
		case engine.Observation:
		}
		return "✎ note: " + noteText(r.Note)
	case engine.RecAbort:
		return st.Breached.Render("■ ABORT: " + r.Reason)
	case engine.RecVerdict:
		if r.Outcome == nil {
			return "verdict"
		}
		s := "verdict: " + strings.ToUpper(string(r.Outcome.Verdict))
		if r.Outcome.Reason != "" {
			s += " — " + r.Outcome.Reason
		}
		return st.Title.Render(s)
	case engine.RecRecover:
		return "recover: " + r.Reason
	case engine.RecSample:
		return ""
	}
	return string(r.Type)
}

// bottomLine is the note input when open; otherwise, after the run, the
// offer of the report; otherwise a hint.
func (c consoleScreen) bottomLine(w int) string {
	st := c.styles
	switch {
	case c.noting:
		return fit(c.note.View(), w)
	case c.ended:
		s := "Run ended — press r for the report"
		if c.keys.Back.Enabled() {
			s += ", esc for the scenarios"
		}
		if c.saved != "" {
			s += " (saved to " + c.saved + ")"
		}
		s += ". " + c.verdict()
		if o := c.snap.Outcome; o != nil && o.Reason != "" {
			s += ": " + o.Reason
		}
		return fit(s, w)
	case c.watching:
		return fit(st.Breached.Render("ABORTED:")+" watching the system recover until the phase ends · q leaves now", w)
	case c.aborting || c.phase() == engine.RollingBack:
		return fit(st.Breached.Render("ABORTING: rolling back every fault…")+" watch the fault panel for confirmation.", w)
	}
	if c.readOnly && !c.scribe {
		return fit("watching read-only: the facilitator's console runs it · r: the report so far", w)
	}
	return fit("n: add a note (+ success, - improvement) · it is journaled at once", w)
}

// notePrompt labels the note input with the kind the text will be
// journaled as: a leading "+" marks a success, a leading "-" an
// improvement.
func notePrompt(text string) string {
	switch {
	case strings.HasPrefix(text, "+"):
		return "note (success) › "
	case strings.HasPrefix(text, "-"):
		return "note (improvement) › "
	}
	return "note › "
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
