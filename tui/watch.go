package tui

import (
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/scenarios"
)

// Team mode: the facilitator's console shows the lines teammates run to
// follow the run (Config.Team); a teammate's console (Config.Watch)
// follows it read-only. Both live here so that the rest of the console
// knows of them only through m.watching() and c.readOnly.

// Team are the lines a facilitator hands out.
type Team struct {
	// Watch follows the run read-only: gameday watch TOKEN@HOST:PORT.
	Watch string
	// Scribe also takes notes: gameday watch --scribe NAME TOKEN@HOST:PORT.
	// Empty leaves it out.
	Scribe string
	// SSH is the read-only console for a teammate with nothing installed
	// (ssh -p PORT HOST, and the host key), when --ssh serves it.
	SSH string
}

// Watch makes the console a watcher's (gameday watch): it opens on Run at
// once, with no picker, and changes nothing. The abort keys, the fault
// keys and the ladder's are not bound (so help does not offer them; a
// number key says who fires faults); q and ctrl+c leave at once, without
// calling Abort or AbortNow; there is nothing to save or go back to. Run's
// Inject, HoldLadder, WidenNow, Abort and AbortNow are expected to do
// nothing as well: the console never calls them, and a watcher's Run
// refuses anyway.
type Watch struct {
	// Run is the followed run (cmd's share.Watcher). Its Done is closed
	// when the run's verdict arrives, its Events when the stream ends.
	Run Run
	// Plan is the run's plan, from the stream's first record.
	Plan *scenarios.Plan
	// Scribe binds the note key: Run.Note sends the note to the
	// facilitator's console, which journals it with the scribe's name.
	Scribe bool
	// Gone says why the stream ended (the run is over, the facilitator's
	// console closed, this watcher was dropped); it is called once, when
	// Run.Events is closed, and its answer stays on the banner.
	Gone func() string
}

// watching reports whether this is a watcher's console.
func (m Model) watching() bool { return m.cfg.Watch != nil }

// openWatch shows the console on the watched run, as started does for a
// run the facilitator starts.
func (m *Model) openWatch() {
	w := m.cfg.Watch
	m.gen++
	m.tickTag++
	m.run = w.Run
	m.console = newConsole(m.gen, w.Run, w.Plan, false, m.styles, m.tr, m.clock)
	m.console.readOnly, m.console.scribe = true, w.Scribe
	m.console.updateKeybindings()
	m.report = newReport(m.gen, w.Run, m.console.title, m.styles, m.tr)
	m.screen = screenConsole
	m.keys.Interrupt.SetHelp("ctrl+c", m.tr.S("ui.key.quit"))
}

// watchInit starts following the watched run.
func (m Model) watchInit() tea.Cmd {
	return tea.Batch(
		snapshot(m.gen, m.run),
		waitForEvent(m.gen, m.run.Events()),
		waitForDone(m.gen, m.run),
		tick(m.gen, m.tickTag),
	)
}

// watchGone says, once a watcher's stream has ended, why.
func (m Model) watchGone() tea.Cmd {
	gone := m.cfg.Watch.Gone
	if gone == nil {
		return nil
	}
	return func() tea.Msg { return watchGoneMsg(gone()) }
}

// watchGoneMsg carries why a watcher's stream ended.
type watchGoneMsg string

// joinView lists the join lines in h lines (the w key).
func (m Model) joinView(h int) string {
	st, tr, team := m.styles, m.tr, m.cfg.Team
	lines := []string{st.Title.Render(tr.S("ui.team.title")) + " " + tr.S("ui.team.close"), ""}
	add := func(intro, line string) {
		if line == "" {
			return
		}
		lines = append(lines, wrapText(intro, m.width)...)
		lines = append(lines, "", "  "+line, "")
	}
	add(tr.S("ui.team.watch"), team.Watch)
	add(tr.S("ui.team.ssh"), team.SSH)
	add(tr.S("ui.team.scribe"), team.Scribe)
	if team.Scribe != "" {
		lines = append(lines, wrapText(tr.S("ui.team.private"), m.width)...)
	}
	lines = append(lines, wrapText(tr.S("ui.team.readOnly"), m.width)...)
	return strings.Join(block(lines, m.width, h), "\n")
}

// watchHelp is what the help says of a watcher's console, instead of
// the abort.
func (m Model) watchHelp() []string {
	paras := []string{m.tr.S("ui.help.watcher")}
	if m.cfg.Watch.Scribe {
		paras = append(paras, m.tr.S("ui.help.scribe"))
	}
	return paras
}

// watchLabel is the footer's block on a watcher's console, where the
// facilitator's shows ABORT.
func (s Styles) watchLabel(tr *printer, scribe bool) string {
	text := tr.S("ui.footer.watching")
	if scribe {
		text = tr.S("ui.footer.scribe")
	}
	if s.Color {
		return s.Banner.Reverse(true).Render(" " + text + " ")
	}
	return "[" + text + "]"
}

// noteText is a note as the timeline shows it: a scribe's with their
// name.
func noteText(n *engine.Note) string {
	if n.Author != "" {
		return n.Author + ": " + n.Text
	}
	return n.Text
}
