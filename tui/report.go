package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
)

// reportScreen shows the run's markdown report, rendered with glamour, in
// a scrollable viewport.
type reportScreen struct {
	styles Styles
	keys   reportKeyMap

	title    string
	vp       viewport.Model
	markdown string
	width    int // the width the content was rendered for
	loading  bool
	saved    string

	w, h int
}

func newReport(st Styles) reportScreen {
	return reportScreen{styles: st, keys: defaultReportKeyMap(), vp: viewport.New(0, 0)}
}

// SetSize sets the report view's size.
func (r *reportScreen) SetSize(w, h int) {
	r.w, r.h = w, h
	r.vp.Width = w
	r.vp.Height = max(h-1, 1)
}

// needsRender reports whether the content was rendered for another width.
func (r reportScreen) needsRender() bool {
	return r.markdown != "" && r.width != r.w
}

// Update scrolls the report and takes rendered content.
func (r reportScreen) Update(msg tea.Msg) (reportScreen, tea.Cmd) {
	switch msg := msg.(type) {
	case reportMsg:
		offset := r.vp.YOffset
		r.markdown = msg.markdown
		r.width = msg.width
		r.loading = false
		r.vp.SetContent(strings.TrimRight(msg.rendered, "\n"))
		r.vp.SetYOffset(offset)
		return r, nil
	case tea.KeyMsg:
		var cmd tea.Cmd
		r.vp, cmd = r.vp.Update(msg)
		return r, cmd
	}
	return r, nil
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
		right = "saved: " + r.saved + "  " + right
	}
	head := rightAlign(st.Title.Render("Report")+" — "+r.title, right, r.w)
	var body string
	switch {
	case r.loading && r.markdown == "":
		body = "Building the report from the journal…"
	default:
		body = r.vp.View()
	}
	lines := append([]string{head}, strings.Split(body, "\n")...)
	return strings.Join(block(lines, r.w, r.h), "\n")
}
