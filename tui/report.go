package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
)

// reportScreen shows the run's markdown report, rendered with glamour, in
// a scrollable viewport. It loads the report itself when it is opened and
// renders it again when its width changes.
type reportScreen struct {
	styles Styles
	tr     *printer
	keys   reportKeyMap

	gen gen // the run's generation: its commands' messages carry it
	// src is what the report is of: the run, or the whole day (a Day).
	src reportSource
	// back is the screen esc returns to: the console, or the day.
	back screen

	title    string
	vp       viewport.Model
	markdown string
	width    int // the width the content was rendered for
	loading  bool
	saved    string
	ended    bool // the run has ended; until then the report is its journal so far

	w, h int
}

// reportSource is what the report view shows and saves: a Run's report,
// or a Day's.
type reportSource interface {
	Report() (string, error)
	SaveReport() (string, error)
}

func newReport(g gen, r reportSource, title string, st Styles, tr *printer) reportScreen {
	rs := reportScreen{styles: st, tr: tr, keys: defaultReportKeyMap(tr), gen: g, src: r, back: screenConsole, title: title, vp: viewport.New(0, 0)}
	rs.updateKeybindings()
	return rs
}

// SetSize sets the report view's size.
func (r *reportScreen) SetSize(w, h int) {
	r.w, r.h = w, h
	r.vp.Width = w
	r.vp.Height = max(h-1, 1)
}

// updateKeybindings enables the keys that apply now: scrolling once there
// is a report to scroll.
func (r *reportScreen) updateKeybindings() {
	r.keys.Scroll.SetEnabled(r.markdown != "")
	r.keys.Save.SetEnabled(r.src != nil)
	r.keys.Back.SetEnabled(true)
}

// render renders the report again when its content was rendered for
// another width.
func (r reportScreen) render() tea.Cmd {
	if r.markdown == "" || r.width == r.w {
		return nil
	}
	return rerenderReport(r.gen, r.markdown, r.w, r.styles)
}

// Update handles the report's keys, loads the report when it is opened,
// and takes rendered content.
func (r reportScreen) Update(msg tea.Msg) (reportScreen, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case openReportMsg:
		r.loading = true
		cmd = loadReport(r.gen, r.src, r.w, r.styles)
	case tea.WindowSizeMsg:
		cmd = r.render()
	case reportMsg:
		offset := r.vp.YOffset
		r.markdown = msg.markdown
		r.width = msg.width
		r.loading = false
		r.vp.SetContent(strings.TrimRight(msg.rendered, "\n"))
		r.vp.SetYOffset(offset)
		// The size may have changed while it was being rendered.
		cmd = r.render()
	case savedMsg:
		r.saved = msg.path
	case runDoneMsg:
		// The run has ended: a report loaded while it was live is built
		// again, with the verdict.
		r.ended = true
		if r.markdown != "" || r.loading {
			r.loading = true
			cmd = loadReport(r.gen, r.src, r.w, r.styles)
		}
	case tea.KeyMsg:
		switch {
		case key.Matches(msg, r.keys.Back):
			cmd = send(backMsg{origin{r.gen, screenReport}})
		case key.Matches(msg, r.keys.Save):
			cmd = send(saveReportMsg{r.gen})
		default:
			r.vp, cmd = r.vp.Update(msg)
		}
	}
	r.updateKeybindings()
	return r, cmd
}

// ShortHelp lists the report view's keys.
func (r reportScreen) ShortHelp() []key.Binding {
	return []key.Binding{r.keys.Scroll, r.keys.Save, r.keys.Back}
}

// FullHelp lists the report view's keys.
func (r reportScreen) FullHelp() [][]key.Binding {
	return [][]key.Binding{{r.keys.Scroll, r.keys.Save, r.keys.Back}}
}

// View renders a title line and the viewport.
func (r reportScreen) View() string {
	if r.w <= 0 || r.h <= 0 {
		return ""
	}
	st := r.styles
	right := fmt.Sprintf("%3.0f%%", r.vp.ScrollPercent()*100)
	if r.saved != "" {
		right = r.tr.S("ui.report.saved", r.saved) + "  " + right
	}
	if r.src != nil && !r.ended {
		// Said by the console whatever the report's text says: what is
		// on show is the journal so far, not a verdict.
		right = st.Near.Render(r.tr.S("ui.report.live")) + "  " + right
	}
	head := rightAlign(st.Title.Render(r.tr.S("ui.report.title"))+" — "+r.title, right, r.w)
	var body string
	switch {
	case r.loading && r.markdown == "":
		body = r.tr.S("ui.report.loading")
	default:
		body = r.vp.View()
	}
	lines := append([]string{head}, strings.Split(body, "\n")...)
	return strings.Join(block(lines, r.w, r.h), "\n")
}
