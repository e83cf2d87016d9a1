// Package tui is gameday's interactive console: a picker of scenarios with
// their plan cards, and a console over a running experiment with live
// graphs, a fault panel, a timeline, notes, the abort key and the report.
//
// Only this file implements tea.Model, and it routes. Screens (picker,
// console, report; the picker draws a planCard) are structs whose Update
// returns their own concrete type; each handles its own keys and answers
// with a request (startRunMsg, openReportMsg, backMsg, saveReportMsg) that
// the root acts on. The root keeps the global keys (abort, interrupt,
// quit, help), the banner and the run's life. All I/O — the engine,
// providers, files — happens in tea.Cmds; engine events arrive on a
// channel that is re-armed after each one; the console refreshes at 4 Hz
// on a tagged tick. Messages of a run or a screen that is gone are dropped
// once, in Update (msgs.go). The package does not import cmd: cmd
// implements Run and hands a Config to New.
package tui

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/scenarios"
)

// Run is one running experiment as the console sees it. cmd implements it
// over engine.Run and its journal. Every method may be called from any
// goroutine; the console calls them only from tea.Cmds.
type Run interface {
	// Events delivers every journaled record in order. It may be closed when
	// the run ends, or not: the console also watches Done.
	Events() <-chan engine.Record
	// Snapshot returns a consistent copy of the run's observed state.
	Snapshot() engine.Snapshot
	// Inject triggers the fault with the given ID now.
	Inject(faultID string) error
	// HoldLadder keeps the ladder of the fault with the given ID at its
	// current step until the fault ends; WidenNow judges the current step
	// now and, if it held, widens the ladder at once. Both fail when that
	// fault has no ladder climbing (engine.Run's own contract).
	HoldLadder(faultID string) error
	WidenNow(faultID string) error
	// Abort rolls back every fault and ends the run; when something had
	// been injected, the run first watches the system recover for the
	// plan's recovery phase. It is idempotent and does not block.
	Abort(reason string)
	// AbortNow is Abort without watching the recovery: the run ends as
	// soon as every fault is rolled back; called after Abort, it ends the
	// watch. The console calls it when the facilitator leaves (q, ctrl+c).
	// It is idempotent and does not block.
	AbortNow(reason string)
	// Note journals an observation at once; a leading "+" marks a success,
	// a leading "-" an improvement.
	Note(text string) error
	// Done is closed when the run has ended (rollback included).
	Done() <-chan struct{}
	// Report renders the markdown report from the journal so far.
	Report() (string, error)
	// SaveReport writes the report file and returns its path.
	SaveReport() (string, error)
}

// FaultPreview is what a fault of a plan would hit if started now, for the
// plan card ("will stop 1 of 4 replicas: replica-3").
type FaultPreview struct {
	FaultID string
	Summary string
	// Calls are, in a dry run, every call injecting and rolling back the
	// fault would make; the plan card lists them.
	Calls []string
}

// Config is what the console needs from cmd.
type Config struct {
	// Plans are the scenarios to pick from, in display order.
	Plans []*scenarios.Plan
	// PlanErrors are invalid user scenario files, shown in the picker.
	PlanErrors []error
	// Preview resolves a plan's targets now. It is called in a tea.Cmd
	// with a timeout. Nil skips the preview.
	Preview func(ctx context.Context, p *scenarios.Plan) ([]FaultPreview, error)
	// Start starts a run of p. It is called in a tea.Cmd.
	Start func(ctx context.Context, p *scenarios.Plan) (Run, error)
	// DryRun leaves the fault keys unbound and starts runs that inject
	// nothing (Start is expected to start a dry run); a production target
	// needs no confirmation then.
	DryRun bool
	// Unfinished, when not empty, says that an earlier run's journal has
	// faults that were not confirmed rolled back. The picker shows it, with
	// the recover key, until they are recovered.
	Unfinished string
	// Recover rolls those faults back, verifies and journals the outcome
	// (what `gameday recover` does) and says what happened in one line. An
	// error means the journal could not be used or some fault still needs
	// manual action, and says which. It is called in a tea.Cmd with a
	// timeout. Nil leaves the recover key unbound.
	Recover func(ctx context.Context) (string, error)
	// LastRun says when a plan's scenario last ran and how, for the
	// picker to show beside it ("✅ held 7 days ago", "never run"; ""
	// shows nothing). It may read files: the picker calls it in a
	// tea.Cmd, for every plan, each time it is shown. Nil shows nothing.
	LastRun func(p *scenarios.Plan) string
	// Width and Height are an optional initial size (for tests); a
	// tea.WindowSizeMsg replaces them.
	Width, Height int
	// Now is the clock used for elapsed times and countdowns; nil means
	// time.Now. Tests pass a fixed clock so views are deterministic.
	Now func() time.Time
	// Styles overrides DefaultStyles() when not nil.
	Styles *Styles
	// Lang is the language of the console's own words and of the
	// scenarios' text where they have a translation (English when empty);
	// the command line sets it (--lang), as it does the report's.
	Lang engine.Lang
	// Day, when set, is a whole game day to walk (gameday day DAY): the
	// console opens on the day screen (day.go) instead of the picker, and
	// each experiment starts through Day.Start, not Start.
	Day Day
	// Team, when set, are the lines teammates run to follow this
	// console's runs (--share): the watch line is on the banner when the
	// console opens, all of them on w.
	Team *Team
	// Watch, when set, makes this a watcher's console (watch.go).
	Watch *Watch
}

// screen names the screen on show.
type screen int

const (
	screenPicker screen = iota
	screenConsole
	screenReport
	screenDay
)

// bannerKind says what a banner is about, and so when it goes away: info
// and error banners at the next key, abort banners when the run is done.
type bannerKind int

const (
	bannerInfo bannerKind = iota
	bannerError
	bannerAbort
	// bannerGone: a watcher's stream has ended; it stays.
	bannerGone
)

// Model is the console's root tea.Model.
type Model struct {
	cfg    Config
	styles Styles
	tr     *printer
	keys   globalKeyMap
	help   help.Model
	clock  func() time.Time

	screen  screen
	picker  pickerScreen
	console consoleScreen
	report  reportScreen
	day     dayScreen

	// gen is the current generation (msgs.go): scoped messages of any
	// other are stale. run is the run being watched, tickTag the tag of
	// its refresh loop.
	gen     gen
	run     Run
	tickTag int
	ended   bool

	aborted       bool // Abort was called on this run
	interrupted   bool // ctrl+c was pressed once during the run
	quitAfterDone bool // quit when the run is done (rolled back)
	quitting      bool

	showHelp   bool
	showJoin   bool
	banner     string
	bannerKind bannerKind

	width, height int
}

// New returns the console's root model, showing the picker.
func New(cfg Config) Model {
	st := DefaultStyles()
	if cfg.Styles != nil {
		st = *cfg.Styles
	}
	clock := cfg.Now
	if clock == nil {
		clock = time.Now
	}
	h := help.New()
	h.Styles.ShortKey = st.HelpKey
	h.Styles.ShortDesc = st.HelpDesc
	h.Styles.ShortSeparator = st.HelpSep
	h.Styles.FullKey = st.HelpKey
	h.Styles.FullDesc = st.HelpDesc
	h.Styles.FullSeparator = st.HelpSep
	h.Styles.Ellipsis = st.HelpSep
	h.ShortSeparator = " · "
	tr := newPrinter(cfg.Lang)
	m := Model{
		cfg:    cfg,
		styles: st,
		tr:     tr,
		keys:   defaultGlobalKeyMap(tr),
		help:   h,
		clock:  clock,
		picker: newPicker(cfg, st, tr),
		report: newReport(0, nil, "", st, tr),
	}
	if cfg.Day != nil {
		m.day = newDayScreen(cfg, st, tr, clock)
		m.screen = screenDay
	}
	if cfg.Watch != nil {
		m.openWatch()
	}
	if cfg.Team != nil {
		m.banner = tr.S("ui.team.banner", cfg.Team.Watch)
	}
	m.setSize(cfg.Width, cfg.Height)
	m.updateKeybindings()
	return m
}

// Init resolves the first plan's targets, reads where the day stands, or
// starts following the watched run.
func (m Model) Init() tea.Cmd {
	if m.watching() {
		return m.watchInit()
	}
	if m.screen == screenDay {
		return m.day.Init()
	}
	return m.picker.Init()
}

// Aborted reports whether the console has aborted its run.
func (m Model) Aborted() bool { return m.aborted }

// runActive reports whether a run is being watched and has not ended.
func (m Model) runActive() bool { return m.run != nil && !m.ended }

// typing reports whether keys go to a text input.
func (m Model) typing() bool {
	switch m.screen {
	case screenPicker:
		return m.picker.typing()
	case screenConsole:
		return m.console.typing()
	case screenReport:
		return false
	case screenDay:
		return m.day.typing()
	}
	return false
}

// updateKeybindings enables the global keys that apply now.
func (m *Model) updateKeybindings() {
	m.keys.AbortAlt.SetEnabled(m.runActive() && !m.typing() && !m.watching())
	m.keys.Abort.SetEnabled(m.runActive() && !m.watching())
	m.keys.Share.SetEnabled(m.cfg.Team != nil && !m.typing())
	m.keys.Interrupt.SetEnabled(true)
	m.keys.Quit.SetEnabled(!m.typing())
	m.keys.Help.SetEnabled(!m.typing())
}

// setSize lays every screen out for w×h. The footer takes one line and a
// banner another.
func (m *Model) setSize(w, h int) {
	m.width, m.height = w, h
	m.help.Width = w
	body := m.bodyHeight()
	m.picker.SetSize(w, body)
	m.console.SetSize(w, body)
	m.console.reserve = 0
	if m.banner == "" && h > 0 {
		m.console.reserve = 1
	}
	m.report.SetSize(w, body)
	m.day.SetSize(w, body)
}

func (m Model) bodyHeight() int {
	h := m.height - 1
	if m.banner != "" {
		h--
	}
	return max(h, 0)
}

func (m *Model) setBanner(s string, kind bannerKind) {
	m.banner, m.bannerKind = s, kind
	m.setSize(m.width, m.height)
}

// Update is the root of the console's event loop. A stale message is
// dropped here, before anything else sees it; this is the only place
// that checks.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if m.stale(msg) {
		return m, nil
	}
	if k, ok := msg.(tea.KeyMsg); ok && k.Type == tea.KeyRunes && len(k.Runes) > 1 && !k.Paste {
		return m.typed(k)
	}
	m2, cmd := m.update(msg)
	m2.updateKeybindings()
	return m2, cmd
}

// typed handles keys typed faster than the terminal is read (a burst
// over tmux or SSH, a held key): the input reader hands them over as one
// message of several runes, which no key binding matches. Each rune is
// a key of its own, in order, as if typed one at a time. A paste
// (bracketed) stays whole, for the text input it goes to.
func (m Model) typed(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	var cmds []tea.Cmd
	var cur tea.Model = m
	for _, r := range k.Runes {
		one := tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: k.Alt}
		if r == ' ' {
			one = tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{r}, Alt: k.Alt}
		}
		var cmd tea.Cmd
		cur, cmd = cur.Update(one)
		cmds = append(cmds, cmd)
	}
	return cur, tea.Sequence(cmds...)
}

// stale reports whether msg is scoped to a generation other than the
// current one, is a tick of a refresh loop that was replaced, or is a
// request from a screen no longer on show.
func (m Model) stale(msg tea.Msg) bool {
	s, ok := msg.(scoped)
	if !ok {
		return false
	}
	if s.scope() != m.gen {
		return true
	}
	switch msg := msg.(type) {
	case tickMsg:
		return msg.tag != m.tickTag
	case request:
		return msg.source() != m.screen
	}
	return false
}

// update routes msg. The root knows no screen's keys: a screen's key
// comes back as a request (openReportMsg, backMsg, …) and the root acts
// on that. What it does itself: the global keys, the banner, screen
// switches, and the run's life — start, refresh, abort, end.
func (m Model) update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		// Every screen is laid out again; the one on show also gets the
		// message (the report renders its markdown for the new width).
		m.setSize(msg.Width, msg.Height)
		return m.updateScreen(msg)

	case tea.KeyMsg:
		return m.handleKey(msg)

	case errMsg:
		m.setBanner("✘ "+msg.err.Error(), bannerError)
		return m, nil

	case bannerMsg:
		m.setBanner(string(msg), bannerInfo)
		return m, nil

	// Requests from the screens.
	case startRunMsg:
		return m.startRun(msg.plan)

	case openReportMsg:
		m.screen = screenReport
		return m.updateScreen(msg) // the report loads itself

	case backMsg:
		switch msg.source() {
		case screenReport:
			m.screen = m.report.back
		case screenConsole:
			if m.cfg.Day != nil {
				return m.backToDay()
			}
			return m.backToPicker()
		case screenPicker, screenDay:
		}
		return m, nil

	case saveReportMsg:
		return m, saveReport(m.gen, m.report.src)

	// The day's requests, and its commands' results (day.go).
	case startExperimentMsg:
		return m.startExperiment(msg)

	case openDayReportMsg:
		return m.openDayReport()

	case dayMessage:
		var cmd tea.Cmd
		m.day, cmd = m.day.Update(msg)
		return m, cmd

	// The run's life.
	case startedMsg:
		return m.started(msg)

	case startFailedMsg:
		m.picker, _ = m.picker.Update(msg)
		m.setBanner("✘ "+msg.err.Error(), bannerError)
		return m, nil

	case tickMsg:
		m.tickTag++
		cmds := []tea.Cmd{snapshot(m.gen, m.run)}
		if !m.ended {
			cmds = append(cmds, tick(m.gen, m.tickTag))
		}
		return m, tea.Batch(cmds...)

	case eventMsg:
		return m, tea.Batch(waitForEvent(m.gen, m.run.Events()), snapshot(m.gen, m.run))

	case eventsClosedMsg:
		if m.watching() {
			return m, m.watchGone()
		}
		return m, nil

	case watchGoneMsg:
		m.setBanner(string(msg), bannerGone)
		return m, nil

	case snapshotMsg:
		return m.updateConsole(msg)

	case runDoneMsg:
		m.ended = true
		if m.bannerKind == bannerAbort {
			m.setBanner("", bannerInfo)
		}
		if m.quitAfterDone {
			m.quitting = true
			return m, tea.Quit
		}
		// Both of the run's screens learn it: the report, if loaded, is
		// built again with the verdict.
		var rcmd tea.Cmd
		m.report, rcmd = m.report.Update(msg)
		m, cmd := m.updateConsole(msg)
		return m, tea.Batch(cmd, rcmd, snapshot(m.gen, m.run))

	// Results of the screens' commands: a banner, and the screen that
	// asked, whichever is on show.
	case previewMsg:
		var cmd tea.Cmd
		m.picker, cmd = m.picker.Update(msg)
		return m, cmd

	case recoveredMsg:
		m.picker, _ = m.picker.Update(msg)
		if msg.err != nil {
			m.setBanner(m.tr.S("ui.banner.recoverFailed", msg.err.Error()), bannerError)
		} else {
			m.setBanner("✔ "+msg.summary, bannerInfo)
		}
		return m, nil

	case injectedMsg:
		m.setBanner(m.tr.S("ui.banner.injected", msg.faultID), bannerInfo)
		return m, snapshot(m.gen, m.run)

	case ladderDoneMsg:
		m.setBanner(msg.text, bannerInfo)
		return m, snapshot(m.gen, m.run)

	case noteSavedMsg:
		if msg.reason {
			m.setBanner(m.tr.S("ui.banner.reasonSaved"), bannerInfo)
		} else {
			m.setBanner(m.tr.S("ui.banner.noteSaved"), bannerInfo)
		}
		return m, snapshot(m.gen, m.run)

	case noteFailedMsg:
		// The text goes back into the input, which must be on show.
		m.setBanner(m.tr.S("ui.banner.noteFailed", msg.err.Error()), bannerError)
		m.screen = screenConsole
		return m.updateConsole(msg)

	case reportMsg:
		var cmd tea.Cmd
		m.report, cmd = m.report.Update(msg)
		return m, cmd

	case savedMsg:
		// Both of the run's screens say where the report is.
		m.setBanner(m.tr.S("ui.banner.saved", msg.path), bannerInfo)
		m.report, _ = m.report.Update(msg)
		return m.updateConsole(msg)
	}

	// Anything else (cursor blinks, …) goes to the screen on show.
	return m.updateScreen(msg)
}

// startRun starts a run of p, unless a run is being watched.
func (m Model) startRun(p *scenarios.Plan) (Model, tea.Cmd) {
	if m.runActive() || m.cfg.Start == nil {
		return m, nil
	}
	m.setBanner(m.tr.S("ui.banner.starting", p.Title), bannerInfo)
	return m, start(m.cfg.Start, p)
}

// started switches to the console for a new run, in a new generation.
func (m Model) started(msg startedMsg) (Model, tea.Cmd) {
	if m.runActive() {
		// A second start while watching a run cannot happen through the
		// keys; refuse it rather than lose track of the first run.
		return m, abort(msg.run, reasonSecondRun, true)
	}
	m.gen++
	m.tickTag++
	m.run = msg.run
	m.ended = false
	m.aborted = false
	m.interrupted = false
	// The layout the facilitator chose (the presenter view for a screen
	// share) stays for the next run.
	presenter := m.console.presenter
	m.console = newConsole(m.gen, msg.run, msg.plan, m.cfg.DryRun, m.styles, m.tr, m.clock)
	m.console.presenter = presenter
	if m.cfg.Day != nil {
		m.console.inDay()
	}
	m.report = newReport(m.gen, msg.run, m.console.title, m.styles, m.tr)
	m.screen = screenConsole
	m.banner = ""
	m.setSize(m.width, m.height)
	return m, tea.Batch(
		snapshot(m.gen, m.run),
		waitForEvent(m.gen, m.run.Events()),
		waitForDone(m.gen, m.run),
		tick(m.gen, m.tickTag),
	)
}

// backToPicker shows the picker again once the run has ended, in a new
// generation: whatever the old run's commands still deliver is stale from
// here on.
func (m Model) backToPicker() (Model, tea.Cmd) {
	if m.runActive() {
		return m, nil // a running run is never left unwatched
	}
	m.gen++
	m.run = nil
	m.ended = false
	m.screen = screenPicker
	var cmd tea.Cmd
	m.picker, cmd = m.picker.reopen(m.gen)
	return m, cmd
}

// abortRun aborts the watched run (idempotent) and tells the console,
// which stops offering fault keys and journals a half-typed note. leaving
// says the facilitator is leaving (q, ctrl+c): the run then ends once its
// faults are rolled back, without watching the recovery; otherwise (the
// abort keys) the console then asks why, without waiting for the answer:
// the abort is already under way.
func (m *Model) abortRun(reason string, leaving bool) tea.Cmd {
	if !m.runActive() || m.watching() {
		return nil
	}
	m.aborted = true
	var cmd tea.Cmd
	m.console, cmd = m.console.Update(abortingMsg{ask: !leaving})
	return tea.Batch(abort(m.run, reason, leaving), snapshot(m.gen, m.run), cmd)
}

// handleKey handles the global keys and passes every other key to the
// screen on show. The global keys are the root's because they must mean
// the same on every screen, and must not depend on a screen passing them
// on: ctrl+x aborts and ctrl+c interrupts even while text is typed; X,
// q and ? work wherever no text is typed.
func (m Model) handleKey(msg tea.KeyMsg) (Model, tea.Cmd) {
	if m.banner != "" && m.bannerKind != bannerAbort && m.bannerKind != bannerGone {
		m.setBanner("", bannerInfo)
	}
	switch {
	case key.Matches(msg, m.keys.Interrupt):
		if !m.runActive() || m.interrupted || m.watching() {
			m.quitting = true
			return m, tea.Quit
		}
		m.interrupted = true
		m.quitAfterDone = true
		cmd := m.abortRun(reasonInterrupt, true)
		m.setBanner(m.tr.S("ui.banner.exiting"), bannerAbort)
		return m, cmd
	case key.Matches(msg, m.keys.Abort):
		// A note half typed is journaled at once, as it stands, while the
		// rollback runs. If saving fails, the text goes back into the
		// input.
		if !m.runActive() {
			break // the reason prompt may be open: ctrl+x is not text
		}
		cmd := m.abortRun(reasonAbortKey, false)
		m.setBanner(m.tr.S("ui.banner.abort"), bannerAbort)
		return m, cmd
	}

	if m.typing() {
		return m.updateScreen(msg)
	}

	if m.showHelp {
		if key.Matches(msg, m.keys.Help) || msg.Type == tea.KeyEsc {
			m.showHelp = false
			return m, nil
		}
	}
	if m.showJoin && msg.Type == tea.KeyEsc {
		m.showJoin = false
		return m, nil
	}
	switch {
	case key.Matches(msg, m.keys.Help):
		m.showHelp = !m.showHelp
		return m, nil
	case key.Matches(msg, m.keys.Share):
		m.showJoin = !m.showJoin
		return m, nil
	case key.Matches(msg, m.keys.AbortAlt):
		cmd := m.abortRun(reasonAbortAlt, false)
		m.setBanner(m.tr.S("ui.banner.abort"), bannerAbort)
		return m, cmd
	case key.Matches(msg, m.keys.Quit):
		if m.runActive() && !m.watching() {
			m.quitAfterDone = true
			cmd := m.abortRun(reasonQuit, true)
			m.setBanner(m.tr.S("ui.banner.quitting"), bannerAbort)
			return m, cmd
		}
		m.quitting = true
		return m, tea.Quit
	}
	return m.updateScreen(msg)
}

// updateConsole passes msg to the console, the run's screen, whichever
// screen is on show.
func (m Model) updateConsole(msg tea.Msg) (Model, tea.Cmd) {
	var cmd tea.Cmd
	m.console, cmd = m.console.Update(msg)
	return m, cmd
}

// updateScreen passes msg to the screen on show.
func (m Model) updateScreen(msg tea.Msg) (Model, tea.Cmd) {
	var cmd tea.Cmd
	switch m.screen {
	case screenPicker:
		m.picker, cmd = m.picker.Update(msg)
	case screenConsole:
		m.console, cmd = m.console.Update(msg)
	case screenReport:
		m.report, cmd = m.report.Update(msg)
	case screenDay:
		m.day, cmd = m.day.Update(msg)
	}
	return m, cmd
}

// shortHelp is the footer's key list for the screen on show, when they
// all fit (footer).
func (m Model) shortHelp() []key.Binding {
	return append(m.screenHelp(), m.keys.AbortAlt, m.keys.Share, m.keys.Help, m.keys.Quit)
}

// screenHelp is the short help of the screen on show, most needed first.
func (m Model) screenHelp() []key.Binding {
	switch m.screen {
	case screenPicker:
		return m.picker.ShortHelp()
	case screenConsole:
		return m.console.ShortHelp()
	case screenReport:
		return m.report.ShortHelp()
	case screenDay:
		return m.day.ShortHelp()
	}
	return nil
}

// fullHelp is the `?` view's key groups for the screen on show.
func (m Model) fullHelp() [][]key.Binding {
	var gs [][]key.Binding
	switch m.screen {
	case screenPicker:
		gs = m.picker.FullHelp()
	case screenConsole:
		gs = m.console.FullHelp()
	case screenReport:
		gs = m.report.FullHelp()
	case screenDay:
		gs = m.day.FullHelp()
	}
	return append(gs, []key.Binding{m.keys.Abort, m.keys.AbortAlt, m.keys.Interrupt, m.keys.Quit, m.keys.Share, m.keys.Help})
}

// View draws the screen on show, the banner, and the footer: key help and
// the ABORT block, always visible.
func (m Model) View() string {
	if m.quitting {
		return ""
	}
	w, h := m.width, m.height
	if w <= 0 || h <= 0 {
		return ""
	}
	var body string
	switch {
	case m.showHelp:
		body = m.helpView(m.bodyHeight())
	case m.showJoin && m.cfg.Team != nil:
		body = m.joinView(m.bodyHeight())
	case m.screen == screenPicker:
		body = m.picker.View()
	case m.screen == screenConsole:
		body = m.console.View()
	case m.screen == screenReport:
		body = m.report.View()
	case m.screen == screenDay:
		body = m.day.View()
	}
	lines := block(strings.Split(body, "\n"), w, m.bodyHeight())
	if m.banner != "" {
		style := m.styles.Banner
		if m.bannerKind != bannerInfo {
			style = m.styles.ErrorBanner
		}
		lines = append(lines, style.Render(fit(m.banner, w)))
	}
	lines = append(lines, m.footer())
	return strings.Join(lines, "\n")
}

// footer renders the short help and, on the right, the ABORT block.
func (m Model) footer() string {
	abort := m.styles.abortLabel(m.tr)
	if m.watching() {
		abort = m.styles.watchLabel(m.tr, m.cfg.Watch.Scribe)
	}
	aw := width(abort)
	room := max(m.width-aw-1, 0)
	// Help and quit always show. When not everything fits, X abort goes
	// first (the ABORT block beside it says abort), then the screen's keys
	// from the end of its list, its least needed.
	hm := m.help
	hm.Width = 0
	view := func(ks []key.Binding, alt bool) string {
		ks = slices.Clone(ks)
		if alt {
			ks = append(ks, m.keys.AbortAlt)
		}
		return hm.ShortHelpView(append(ks, m.keys.Share, m.keys.Help, m.keys.Quit))
	}
	ks := m.screenHelp()
	text := view(ks, true)
	for width(text) > room {
		if t := view(ks, false); width(t) <= room || len(ks) == 0 {
			text = t
			break
		}
		ks = ks[:len(ks)-1]
		text = view(ks, true)
	}
	return fit(text, room) + " " + abort
}

// helpView renders the full help in h lines.
func (m Model) helpView(h int) string {
	hm := m.help
	hm.ShowAll = true
	lines := []string{m.styles.Title.Render(m.tr.S("ui.help.title")) + " " + m.tr.S("ui.help.close"), ""}
	lines = append(lines, strings.Split(hm.FullHelpView(m.fullHelp()), "\n")...)
	lines = append(lines, "")
	paras := []string{
		m.tr.S("ui.help.abort"),
		m.tr.S("ui.help.interrupt"),
		m.tr.S("ui.help.quit"),
		m.tr.S("ui.help.notes"),
	}
	if m.watching() {
		paras = m.watchHelp()
	}
	for _, p := range paras {
		lines = append(lines, wrapText(p, m.width)...)
	}
	return strings.Join(block(lines, m.width, h), "\n")
}
