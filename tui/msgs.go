package tui

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/glamour"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/scenarios"
)

// Messages and the commands that produce them. Every call that may block
// (the engine, providers, files, glamour) runs in a tea.Cmd, never in
// Update.
//
// Staleness is checked once. The root model counts generations: one
// begins each time a run starts. A command started in one generation
// stamps its message with it (the gen field, which makes the message
// scoped), and Model.Update drops a scoped message of any other
// generation before routing it; ticks also carry the tag of their refresh
// loop. So a screen never sees, and never checks for, a message that is
// not about what it shows.

// gen is a generation of the root model. Embedded in a message, it makes
// the message scoped to that generation.
type gen int

// scope returns the generation a message belongs to.
func (g gen) scope() gen { return g }

// scoped is a message that belongs to one generation; the root drops it
// when that generation has passed.
type scoped interface{ scope() gen }

// The messages scoped to a generation.
var (
	_ scoped = eventMsg{}
	_ scoped = eventsClosedMsg{}
	_ scoped = runDoneMsg{}
	_ scoped = tickMsg{}
	_ scoped = snapshotMsg{}
	_ scoped = previewMsg{}
	_ scoped = injectedMsg{}
	_ scoped = ladderDoneMsg{}
	_ scoped = noteSavedMsg{}
	_ scoped = noteFailedMsg{}
	_ scoped = reportMsg{}
	_ scoped = savedMsg{}
	_ scoped = saveReportMsg{}
)

// refreshInterval is the console's refresh rate: 4 Hz.
const refreshInterval = 250 * time.Millisecond

// previewTimeout bounds how long resolving a plan's targets may take.
const previewTimeout = 10 * time.Second

// startTimeout bounds how long starting a run may take.
const startTimeout = 60 * time.Second

// recoverTimeout bounds recovering an unfinished journal: rollbacks with
// retries, then verification, of every fault.
const recoverTimeout = 3 * time.Minute

// Requests from the screens. A screen never switches screens or acts on
// the whole run itself: its key returns one of these as a tea.Cmd, and
// the root acts on it (soft-serve's components do the same). A request
// carries its origin, the generation and the screen that sent it; the
// root drops it when that screen is no longer on show — a second key that
// reached the screen before the first request reached the root.

// origin is where a request comes from.
type origin struct {
	gen    gen
	screen screen
}

func (o origin) scope() gen     { return o.gen }
func (o origin) source() screen { return o.screen }

// request is a message from a screen to the root.
type request interface {
	scoped
	source() screen
}

// The requests.
var (
	_ request = startRunMsg{}
	_ request = openReportMsg{}
	_ request = backMsg{}
)

// startRunMsg asks the root to start a run of plan: the picker's enter,
// after the production guard when there is one.
type startRunMsg struct {
	origin
	plan *scenarios.Plan
}

// openReportMsg asks for the report screen: the console's r.
type openReportMsg struct{ origin }

// backMsg asks for the screen before: the report's esc goes back to the
// console, the console's (once its run has ended and nothing is left to
// roll back) to the picker.
type backMsg struct{ origin }

// saveReportMsg asks the root to save the run's report: s on the console
// or the report. It is scoped to the run, not to a screen: a save asked
// for is not dropped because the screen changed since.
type saveReportMsg struct{ gen }

// abortingMsg tells the console, from the root, that its run is being
// aborted: the fault keys go, and a half-typed note is journaled as it
// stands. The root sends it in the same Update as the abort, not as a
// command, so nothing can come between. ask opens the one-line prompt for
// the abort's reason (the abort keys; not quitting); the abort itself has
// been asked for already and never waits for the answer.
type abortingMsg struct{ ask bool }

// send returns a command that delivers msg: how a screen sends a request.
func send(msg tea.Msg) tea.Cmd {
	return func() tea.Msg { return msg }
}

// errMsg is an error from a command; the root shows it as a banner.
type errMsg struct{ err error }

func (e errMsg) Error() string { return e.err.Error() }

// bannerMsg is information for the banner.
type bannerMsg string

// eventMsg is one record from the run's event channel.
type eventMsg struct {
	gen
	rec engine.Record
}

// eventsClosedMsg says the run's event channel was closed.
type eventsClosedMsg struct{ gen }

// runDoneMsg says the run has ended (Run.Done is closed).
type runDoneMsg struct{ gen }

// tickMsg drives the 4 Hz refresh. Only the tick whose tag matches the
// model's current tag is acted on; others are stale and dropped (bubbles'
// spinner), so there is never more than one refresh loop.
type tickMsg struct {
	gen
	tag int
}

// snapshotMsg carries a fresh snapshot of the run.
type snapshotMsg struct {
	gen
	snap engine.Snapshot
}

// previewMsg carries the resolved targets of a plan.
type previewMsg struct {
	gen
	plan     *scenarios.Plan
	previews []FaultPreview
	err      error
}

// startedMsg says a run has started.
type startedMsg struct {
	plan *scenarios.Plan
	run  Run
}

// startFailedMsg says a run could not be started.
type startFailedMsg struct{ err error }

// recoveredMsg carries the outcome of recovering an unfinished journal.
type recoveredMsg struct {
	summary string
	err     error
}

// injectedMsg says a fault was requested.
type injectedMsg struct {
	gen
	faultID string
}

// ladderDoneMsg says the run took a ladder key (hold, widen now); text
// says so on the status line.
type ladderDoneMsg struct {
	gen
	text string
}

// noteSavedMsg says a note reached the journal; reason says it was the
// reason of an abort.
type noteSavedMsg struct {
	gen
	reason bool
}

// noteFailedMsg says a note could not be saved; its text goes back into the
// input it came from (the note input, or the reason prompt) so nothing
// typed is lost.
type noteFailedMsg struct {
	gen
	text   string
	err    error
	reason bool
}

// reportMsg carries the report, as markdown and rendered for width.
type reportMsg struct {
	gen
	markdown string
	rendered string
	width    int
}

// savedMsg carries the path of a saved report.
type savedMsg struct {
	gen
	path string
}

// waitForEvent waits for the next record on ch. The root re-arms it after
// each event, like bubbletea's examples/realtime.
func waitForEvent(g gen, ch <-chan engine.Record) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		rec, ok := <-ch
		if !ok {
			return eventsClosedMsg{gen: g}
		}
		return eventMsg{gen: g, rec: rec}
	}
}

// waitForDone waits until the run ends.
func waitForDone(g gen, r Run) tea.Cmd {
	return func() tea.Msg {
		<-r.Done()
		return runDoneMsg{gen: g}
	}
}

// tick schedules the next refresh.
func tick(g gen, tag int) tea.Cmd {
	return tea.Tick(refreshInterval, func(time.Time) tea.Msg { return tickMsg{gen: g, tag: tag} })
}

// snapshot reads the run's state off the UI loop.
func snapshot(g gen, r Run) tea.Cmd {
	return func() tea.Msg { return snapshotMsg{gen: g, snap: r.Snapshot()} }
}

// preview resolves p's targets.
func preview(g gen, fn func(context.Context, *scenarios.Plan) ([]FaultPreview, error), p *scenarios.Plan) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), previewTimeout)
		defer cancel()
		pv, err := fn(ctx, p)
		return previewMsg{gen: g, plan: p, previews: pv, err: err}
	}
}

// start starts a run of p.
func start(fn func(context.Context, *scenarios.Plan) (Run, error), p *scenarios.Plan) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		defer cancel()
		r, err := fn(ctx, p)
		if err != nil {
			return startFailedMsg{err: fmt.Errorf("start %q: %w", p.Title, err)}
		}
		return startedMsg{plan: p, run: r}
	}
}

// recoverUnfinished rolls back the faults of an unfinished journal.
func recoverUnfinished(fn func(context.Context) (string, error)) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), recoverTimeout)
		defer cancel()
		summary, err := fn(ctx)
		return recoveredMsg{summary: summary, err: err}
	}
}

// inject triggers a fault now.
func inject(g gen, r Run, faultID string) tea.Cmd {
	return func() tea.Msg {
		if err := r.Inject(faultID); err != nil {
			return errMsg{fmt.Errorf("trigger fault %s: %w", faultID, err)}
		}
		return injectedMsg{gen: g, faultID: faultID}
	}
}

// ladderCall holds the fault's ladder at its step, or widens it now, and
// answers with done, or with the run's error (which names the action and
// the fault: "widen f1: step 2 has measured nothing yet…").
func ladderCall(g gen, r Run, faultID string, widen bool, done string) tea.Cmd {
	return func() tea.Msg {
		call := r.HoldLadder
		if widen {
			call = r.WidenNow
		}
		if err := call(faultID); err != nil {
			return errMsg{err}
		}
		return ladderDoneMsg{gen: g, text: done}
	}
}

// abort aborts the run; now skips watching the recovery (Run.AbortNow).
// Neither blocks, but they are still called off the UI loop.
func abort(r Run, reason string, now bool) tea.Cmd {
	return func() tea.Msg {
		if now {
			r.AbortNow(reason)
		} else {
			r.Abort(reason)
		}
		return nil
	}
}

// saveNote writes a note to the journal; reason says it is the reason of
// an abort.
func saveNote(g gen, r Run, text string, reason bool) tea.Cmd {
	return func() tea.Msg {
		if err := r.Note(text); err != nil {
			return noteFailedMsg{gen: g, text: text, err: fmt.Errorf("save note: %w", err), reason: reason}
		}
		return noteSavedMsg{gen: g, reason: reason}
	}
}

// loadReport reads the report from the journal and renders it.
func loadReport(g gen, r reportSource, width int, st Styles) tea.Cmd {
	return func() tea.Msg {
		md, err := r.Report()
		if err != nil {
			return errMsg{fmt.Errorf("build report: %w", err)}
		}
		out, err := renderMarkdown(md, width, st)
		if err != nil {
			return errMsg{err}
		}
		return reportMsg{gen: g, markdown: md, rendered: out, width: width}
	}
}

// rerenderReport renders markdown already loaded for a new width.
func rerenderReport(g gen, md string, width int, st Styles) tea.Cmd {
	return func() tea.Msg {
		out, err := renderMarkdown(md, width, st)
		if err != nil {
			return errMsg{err}
		}
		return reportMsg{gen: g, markdown: md, rendered: out, width: width}
	}
}

// saveReport writes the report file.
func saveReport(g gen, r reportSource) tea.Cmd {
	return func() tea.Msg {
		path, err := r.SaveReport()
		if err != nil {
			return errMsg{fmt.Errorf("save report: %w", err)}
		}
		return savedMsg{gen: g, path: path}
	}
}

// renderMarkdown renders md with glamour in a fixed style ("dark", or
// "notty" without colour), never the auto-detected one, so output does not
// depend on querying the terminal.
func renderMarkdown(md string, width int, st Styles) (string, error) {
	style := "dark"
	if !st.Color || os.Getenv("NO_COLOR") != "" {
		style = "notty"
	}
	r, err := glamour.NewTermRenderer(
		glamour.WithStandardStyle(style),
		glamour.WithWordWrap(max(width-4, 20)),
		glamour.WithColorProfile(lipgloss.ColorProfile()),
	)
	if err != nil {
		return "", fmt.Errorf("render report: %w", err)
	}
	out, err := r.Render(stackWideTables(md, max(width-4, 20)))
	if err != nil {
		return "", fmt.Errorf("render report: %w", err)
	}
	return wrapRendered(out, max(width-2, 20)), nil
}

// hasWide reports whether s has a character two cells wide (CJK).
func hasWide(s string) bool {
	for _, r := range s {
		if r >= 0x1100 && ansi.StringWidth(string(r)) == 2 {
			return true
		}
	}
	return false
}

// stackWideTables rewrites each markdown table of md that would be wider
// than w cells as a list, one item per row: "**p95** — Threshold: ≤ 200
// ms · Baseline: 120 ms ✅ held · …". glamour fits a wide table by
// wrapping its cells, but cuts its headers ("Reco…"); a list says every
// header and every value at any width, and wraps like text.
func stackWideTables(md string, w int) string {
	lines := strings.Split(md, "\n")
	var out []string
	for i := 0; i < len(lines); i++ {
		if i+1 >= len(lines) || !isTableRow(lines[i]) || !isTableRule(lines[i+1]) {
			out = append(out, lines[i])
			continue
		}
		header := tableCells(lines[i])
		end := i + 2
		var rows [][]string
		for ; end < len(lines) && isTableRow(lines[end]); end++ {
			rows = append(rows, tableCells(lines[end]))
		}
		widths := make([]int, len(header))
		for _, row := range append([][]string{header}, rows...) {
			for j, c := range row {
				if j < len(widths) {
					widths[j] = max(widths[j], ansi.StringWidth(c))
				}
			}
		}
		natural := 0
		for _, cw := range widths {
			natural += cw + 3 // a space each side, and the separator
		}
		if natural <= w {
			out = append(out, lines[i:end]...)
			i = end - 1
			continue
		}
		// The first column's header names what each item is, unless it
		// only numbers them (the day's "#").
		if h := strings.Trim(header[0], "* "); h != "" && h != "#" {
			out = append(out, "", "**"+h+"**", "")
		} else {
			out = append(out, "")
		}
		for _, row := range rows {
			var parts []string
			for j := 1; j < len(row) && j < len(header); j++ {
				// A cell's line breaks (the day's key figures, one a
				// line) would run together in a list item.
				parts = append(parts, header[j]+": "+strings.ReplaceAll(row[j], "<br>", "; "))
			}
			item := "- **" + strings.Trim(row[0], "*") + "**"
			if len(parts) > 0 {
				item += " — " + strings.Join(parts, " · ")
			}
			out = append(out, item)
		}
		i = end - 1
	}
	return strings.Join(out, "\n")
}

// isTableRow reports whether l is a row of a markdown table.
func isTableRow(l string) bool {
	l = strings.TrimSpace(l)
	return len(l) > 1 && strings.HasPrefix(l, "|")
}

// isTableRule reports whether l is a table's header rule: |---|:--:|.
func isTableRule(l string) bool {
	l = strings.TrimSpace(l)
	return isTableRow(l) && strings.Trim(l, "|-: ") == "" && strings.Contains(l, "-")
}

// tableCells splits a table row into its trimmed cells; "\|" is a pipe
// inside a cell.
func tableCells(l string) []string {
	l = strings.TrimSpace(l)
	l = strings.TrimPrefix(l, "|")
	if strings.HasSuffix(l, "|") && !strings.HasSuffix(l, "\\|") {
		l = l[:len(l)-1]
	}
	var cells []string
	var cur strings.Builder
	for i := 0; i < len(l); i++ {
		switch {
		case l[i] == '\\' && i+1 < len(l) && l[i+1] == '|':
			cur.WriteString("\\|")
			i++
		case l[i] == '|':
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(l[i])
		}
	}
	return append(cells, strings.TrimSpace(cur.String()))
}

// wrapRendered wraps every line of glamour's output that is wider than w
// cells, keeping its indentation on the lines it continues on. glamour
// wraps at spaces only, so a Japanese sentence — which has none — would
// run off the screen; ansi.Wrap breaks it by display cells, and a word
// longer than the line too.
func wrapRendered(out string, w int) string {
	lines := strings.Split(out, "\n")
	wrapped := make([]string, 0, len(lines))
	for _, l := range lines {
		if ansi.StringWidth(l) <= w {
			wrapped = append(wrapped, l)
			continue
		}
		plain := ansi.Strip(l)
		indent := len(plain) - len(strings.TrimLeft(plain, " "))
		if indent > w/2 {
			indent = 0
		}
		body := ansi.TruncateLeft(l, indent, "")
		// glamour wrapped at every space it could: what is left too wide
		// is a run without spaces. In Japanese a line may break between
		// any two characters, so break it by cells; anything else at its
		// spaces, and a word longer than the line where it must.
		var w2 string
		if hasWide(plain) {
			w2 = ansi.Hardwrap(body, w-indent, true)
		} else {
			w2 = ansi.Wrap(body, w-indent, "")
		}
		for _, p := range strings.Split(w2, "\n") {
			wrapped = append(wrapped, strings.Repeat(" ", indent)+p)
		}
	}
	return strings.Join(wrapped, "\n")
}
