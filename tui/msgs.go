package tui

import (
	"context"
	"fmt"
	"os"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/glamour"
	"github.com/charmbracelet/lipgloss"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/scenarios"
)

// Messages and the commands that produce them. Every call that may block
// (the engine, providers, files, glamour) runs in a tea.Cmd, never in
// Update. Messages about a run carry its id, so that messages from a run
// that is no longer shown are dropped.

// refreshInterval is the console's refresh rate: 4 Hz.
const refreshInterval = 250 * time.Millisecond

// previewTimeout bounds how long resolving a plan's targets may take.
const previewTimeout = 10 * time.Second

// startTimeout bounds how long starting a run may take.
const startTimeout = 60 * time.Second

// recoverTimeout bounds recovering an unfinished journal: rollbacks with
// retries, then verification, of every fault.
const recoverTimeout = 3 * time.Minute

// errMsg is an error from a command; the root shows it as a banner.
type errMsg struct{ err error }

func (e errMsg) Error() string { return e.err.Error() }

// bannerMsg is information for the banner.
type bannerMsg string

// eventMsg is one record from the run's event channel.
type eventMsg struct {
	run int
	rec engine.Record
}

// eventsClosedMsg says the run's event channel was closed.
type eventsClosedMsg struct{ run int }

// runDoneMsg says the run has ended (Run.Done is closed).
type runDoneMsg struct{ run int }

// tickMsg drives the 4 Hz refresh. Only the tick whose tag matches the
// model's current tag is acted on; others are stale and dropped.
type tickMsg struct {
	run int
	tag int
}

// snapshotMsg carries a fresh snapshot of the run.
type snapshotMsg struct {
	run  int
	snap engine.Snapshot
}

// previewMsg carries the resolved targets of a plan.
type previewMsg struct {
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
	run     int
	faultID string
}

// noteSavedMsg says a note reached the journal.
type noteSavedMsg struct{ run int }

// noteFailedMsg says a note could not be saved; its text goes back into the
// input so nothing typed is lost.
type noteFailedMsg struct {
	run  int
	text string
	err  error
}

// reportMsg carries the report, as markdown and rendered for width.
type reportMsg struct {
	run      int
	markdown string
	rendered string
	width    int
}

// savedMsg carries the path of a saved report.
type savedMsg struct {
	run  int
	path string
}

// waitForEvent waits for the next record on ch. The root re-arms it after
// each event, like bubbletea's examples/realtime.
func waitForEvent(id int, ch <-chan engine.Record) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		rec, ok := <-ch
		if !ok {
			return eventsClosedMsg{run: id}
		}
		return eventMsg{run: id, rec: rec}
	}
}

// waitForDone waits until the run ends.
func waitForDone(id int, r Run) tea.Cmd {
	return func() tea.Msg {
		<-r.Done()
		return runDoneMsg{run: id}
	}
}

// tick schedules the next refresh.
func tick(id, tag int) tea.Cmd {
	return tea.Tick(refreshInterval, func(time.Time) tea.Msg { return tickMsg{run: id, tag: tag} })
}

// snapshot reads the run's state off the UI loop.
func snapshot(id int, r Run) tea.Cmd {
	return func() tea.Msg { return snapshotMsg{run: id, snap: r.Snapshot()} }
}

// preview resolves p's targets.
func preview(fn func(context.Context, *scenarios.Plan) ([]FaultPreview, error), p *scenarios.Plan) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), previewTimeout)
		defer cancel()
		pv, err := fn(ctx, p)
		return previewMsg{plan: p, previews: pv, err: err}
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
func inject(id int, r Run, faultID string) tea.Cmd {
	return func() tea.Msg {
		if err := r.Inject(faultID); err != nil {
			return errMsg{fmt.Errorf("trigger fault %s: %w", faultID, err)}
		}
		return injectedMsg{run: id, faultID: faultID}
	}
}

// abort aborts the run. Run.Abort does not block, but it is still called
// off the UI loop.
func abort(r Run, reason string) tea.Cmd {
	return func() tea.Msg {
		r.Abort(reason)
		return nil
	}
}

// saveNote writes a note to the journal.
func saveNote(id int, r Run, text string) tea.Cmd {
	return func() tea.Msg {
		if err := r.Note(text); err != nil {
			return noteFailedMsg{run: id, text: text, err: fmt.Errorf("save note: %w", err)}
		}
		return noteSavedMsg{run: id}
	}
}

// loadReport reads the report from the journal and renders it.
func loadReport(id int, r Run, width int, st Styles) tea.Cmd {
	return func() tea.Msg {
		md, err := r.Report()
		if err != nil {
			return errMsg{fmt.Errorf("build report: %w", err)}
		}
		out, err := renderMarkdown(md, width, st)
		if err != nil {
			return errMsg{err}
		}
		return reportMsg{run: id, markdown: md, rendered: out, width: width}
	}
}

// rerenderReport renders markdown already loaded for a new width.
func rerenderReport(id int, md string, width int, st Styles) tea.Cmd {
	return func() tea.Msg {
		out, err := renderMarkdown(md, width, st)
		if err != nil {
			return errMsg{err}
		}
		return reportMsg{run: id, markdown: md, rendered: out, width: width}
	}
}

// saveReport writes the report file.
func saveReport(id int, r Run) tea.Cmd {
	return func() tea.Msg {
		path, err := r.SaveReport()
		if err != nil {
			return errMsg{fmt.Errorf("save report: %w", err)}
		}
		return savedMsg{run: id, path: path}
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
	out, err := r.Render(md)
	if err != nil {
		return "", fmt.Errorf("render report: %w", err)
	}
	return out, nil
}
