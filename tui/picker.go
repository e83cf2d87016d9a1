package tui

import (
	"context"
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/scenarios"
)

// pickerScreen is the filterable list of scenarios with the plan card of
// the selected one beside it (below it when the terminal is narrow).
type pickerScreen struct {
	styles Styles
	tr     *printer
	keys   pickerKeyMap
	gen    gen // the generation the picker is shown in: its previews carry it

	plans    []*scenarios.Plan
	planErrs []error
	visible  []int // indexes into plans that match the filter
	cursor   int   // index into visible

	filter    textinput.Model
	filtering bool

	previewFn func(context.Context, *scenarios.Plan) ([]FaultPreview, error)
	previews  map[*scenarios.Plan]previewState
	canStart  bool // the root can start runs (Config.Start is set)
	starting  bool // a start was asked for and has not failed
	dryRun    bool

	// The production guard: confirming is the plan whose target's name
	// must be typed in confirm before it starts; confirmErr says that what
	// was typed is not it.
	confirming *scenarios.Plan
	confirm    textinput.Model
	confirmErr string

	// unfinished is the notice about an earlier run's journal with faults
	// not confirmed rolled back; recoverFn rolls them back.
	unfinished string
	recoverFn  func(context.Context) (string, error)
	recovering bool

	// lastRunFn says when each plan last ran (Config.LastRun); lastRun
	// holds what it said when the picker was last shown.
	lastRunFn func(*scenarios.Plan) string
	lastRun   map[*scenarios.Plan]string

	width, height int
}

// wideCard is the width from which the plan card goes beside the list.
const wideCard = 100

func newPicker(cfg Config, st Styles, tr *printer) pickerScreen {
	f := textinput.New()
	f.Prompt = "/ "
	f.Placeholder = tr.S("ui.picker.filterPlaceholder")
	f.PlaceholderStyle = st.Text
	f.PromptStyle = st.Label
	f.Cursor.SetMode(cursor.CursorStatic)
	c := textinput.New()
	c.PromptStyle = st.Breached
	c.Cursor.SetMode(cursor.CursorStatic)
	c.CharLimit = 200
	p := pickerScreen{
		styles:    st,
		tr:        tr,
		keys:      defaultPickerKeyMap(tr),
		plans:     cfg.Plans,
		planErrs:  cfg.PlanErrors,
		filter:    f,
		previewFn: cfg.Preview,
		canStart:  cfg.Start != nil,
		previews:  map[*scenarios.Plan]previewState{},
		dryRun:    cfg.DryRun,
		confirm:   c,

		unfinished: cfg.Unfinished,
		recoverFn:  cfg.Recover,
		lastRunFn:  cfg.LastRun,
	}
	p.applyFilter()
	p.updateKeybindings()
	return p
}

// SetSize sets the picker's size.
func (p *pickerScreen) SetSize(w, h int) {
	p.width, p.height = w, h
	p.filter.Width = max(w-4, 1)
	p.confirm.Width = max(w-width(p.confirm.Prompt)-2, 1)
}

// selected returns the plan under the cursor, or nil.
func (p pickerScreen) selected() *scenarios.Plan {
	if p.cursor < 0 || p.cursor >= len(p.visible) {
		return nil
	}
	return p.plans[p.visible[p.cursor]]
}

// card is the plan card of the plan under the cursor (no plan: no lines).
func (p pickerScreen) card() planCard {
	pl := p.selected()
	return planCard{plan: p.shown(pl), preview: p.previews[pl], dryRun: p.dryRun, styles: p.styles, tr: p.tr}
}

// shown is pl as the picker shows it: its text in the console's language
// where the scenario has a translation (translations.ja).
func (p pickerScreen) shown(pl *scenarios.Plan) *scenarios.Plan {
	if pl == nil {
		return nil
	}
	return pl.Localized(string(p.tr.lang))
}

// typing reports whether keys go to the filter or the confirmation input.
func (p pickerScreen) typing() bool { return p.filtering || p.confirming != nil }

// applyFilter recomputes the visible plans: every word of the filter must
// occur (case-insensitively) in the title, path or provider.
func (p *pickerScreen) applyFilter() {
	var prev *scenarios.Plan
	if sel := p.selected(); sel != nil {
		prev = sel
	}
	words := strings.Fields(strings.ToLower(p.filter.Value()))
	p.visible = p.visible[:0]
	for i, pl := range p.plans {
		hay := strings.ToLower(pl.Title + " " + p.shown(pl).Title + " " + pl.Path + " " + pl.Target.Provider)
		ok := true
		for _, w := range words {
			if !strings.Contains(hay, w) {
				ok = false
				break
			}
		}
		if ok {
			p.visible = append(p.visible, i)
		}
	}
	p.cursor = 0
	for i, idx := range p.visible {
		if p.plans[idx] == prev {
			p.cursor = i
		}
	}
}

// updateKeybindings enables the keys that apply now.
func (p *pickerScreen) updateKeybindings() {
	has := len(p.visible) > 0
	conf := p.confirming != nil
	p.keys.Up.SetEnabled(has && !p.filtering && !conf)
	p.keys.Down.SetEnabled(has && !p.filtering && !conf)
	p.keys.Filter.SetEnabled(!p.filtering && !conf && len(p.plans) > 0)
	p.keys.ClearFilter.SetEnabled(!conf && (p.filtering || p.filter.Value() != ""))
	p.keys.AcceptFilter.SetEnabled(p.filtering)
	p.keys.Start.SetEnabled(!p.filtering && !conf && has && !p.starting && p.canStart)
	p.keys.Recover.SetEnabled(!p.filtering && !conf && p.unfinished != "" && p.recoverFn != nil && !p.recovering)
	p.keys.Confirm.SetEnabled(conf)
	p.keys.CancelConfirm.SetEnabled(conf)
}

// needsConfirmation reports whether starting pl needs its target's name
// typed first: a production target, unless nothing will be injected.
func (p pickerScreen) needsConfirmation(pl *scenarios.Plan) bool {
	return pl.Target.Production() && !p.dryRun
}

// startConfirming opens the production guard's input for pl.
func (p *pickerScreen) startConfirming(pl *scenarios.Plan) tea.Cmd {
	p.confirming = pl
	p.confirmErr = ""
	p.confirm.SetValue("")
	p.confirm.Prompt = p.tr.S("ui.picker.confirmPrompt", strings.TrimSpace(pl.Target.Name))
	p.SetSize(p.width, p.height)
	return p.confirm.Focus()
}

// stopConfirming closes the production guard's input.
func (p *pickerScreen) stopConfirming() {
	p.confirming = nil
	p.confirmErr = ""
	p.confirm.Blur()
	p.confirm.SetValue("")
}

// startRun asks the root to start pl (the production guard passed or
// not needed).
func (p *pickerScreen) startRun(pl *scenarios.Plan) tea.Cmd {
	p.starting = true
	return send(startRunMsg{origin{p.gen, screenPicker}, pl})
}

// ensurePreview resolves the selected plan's targets unless known.
func (p *pickerScreen) ensurePreview() tea.Cmd {
	sel := p.selected()
	if sel == nil || p.previewFn == nil {
		return nil
	}
	if _, ok := p.previews[sel]; ok {
		return nil
	}
	p.previews[sel] = previewState{loading: true}
	return preview(p.gen, p.previewFn, sel)
}

// Init resolves the first plan's targets and asks when each plan last
// ran.
func (p *pickerScreen) Init() tea.Cmd {
	return tea.Batch(p.ensurePreview(), lastRuns(p.gen, p.lastRunFn, p.plans))
}

// reopen shows the picker again, in generation g, after a run. Targets are
// resolved anew (the run may have changed them, and a pick may be random);
// the filter, the cursor and the unfinished notice are kept.
func (p pickerScreen) reopen(g gen) (pickerScreen, tea.Cmd) {
	p.gen = g
	p.starting = false
	p.previews = map[*scenarios.Plan]previewState{}
	cmd := tea.Batch(p.ensurePreview(), lastRuns(g, p.lastRunFn, p.plans))
	p.updateKeybindings()
	return p, cmd
}

// lastRunMsg carries what Config.LastRun said of each plan.
type lastRunMsg struct {
	gen
	badges map[*scenarios.Plan]string
}

var _ scoped = lastRunMsg{}

// lastRuns asks fn about every plan, in a command: it reads journals.
func lastRuns(g gen, fn func(*scenarios.Plan) string, plans []*scenarios.Plan) tea.Cmd {
	if fn == nil {
		return nil
	}
	return func() tea.Msg {
		badges := make(map[*scenarios.Plan]string, len(plans))
		for _, pl := range plans {
			badges[pl] = fn(pl)
		}
		return lastRunMsg{gen: g, badges: badges}
	}
}

// Update handles the picker's keys and preview results.
func (p pickerScreen) Update(msg tea.Msg) (pickerScreen, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case previewMsg:
		p.previews[msg.plan] = previewState{previews: msg.previews, err: msg.err}
	case startFailedMsg:
		p.starting = false
	case recoveredMsg:
		p.recovering = false
		if msg.err == nil {
			p.unfinished = ""
		}
	case lastRunMsg:
		p.lastRun = msg.badges
	case tea.KeyMsg:
		cmd = p.handleKey(msg)
	}
	p.updateKeybindings()
	return p, cmd
}

func (p *pickerScreen) handleKey(msg tea.KeyMsg) tea.Cmd {
	if pl := p.confirming; pl != nil {
		switch {
		case key.Matches(msg, p.keys.CancelConfirm):
			p.stopConfirming()
			return func() tea.Msg {
				return bannerMsg(p.tr.S("ui.picker.notStarted", pl.Title))
			}
		case key.Matches(msg, p.keys.Confirm):
			if err := engine.ConfirmProduction(pl.Target, p.confirm.Value(), ""); err != nil {
				typed := strings.TrimSpace(p.confirm.Value())
				p.confirmErr = p.tr.S("ui.picker.confirmWrong", typed, strings.TrimSpace(pl.Target.Name))
				if typed == "" {
					p.confirmErr = p.tr.S("ui.picker.confirmEmpty", strings.TrimSpace(pl.Target.Name))
				}
				return nil
			}
			p.stopConfirming()
			if p.starting || !p.canStart {
				return nil
			}
			return p.startRun(pl)
		}
		var cmd tea.Cmd
		p.confirm, cmd = p.confirm.Update(msg)
		return cmd
	}
	if p.filtering {
		switch {
		case key.Matches(msg, p.keys.ClearFilter):
			p.filtering = false
			p.filter.Blur()
			p.filter.SetValue("")
			p.applyFilter()
			return p.ensurePreview()
		case key.Matches(msg, p.keys.AcceptFilter):
			p.filtering = false
			p.filter.Blur()
			return nil
		}
		var cmd tea.Cmd
		p.filter, cmd = p.filter.Update(msg)
		p.applyFilter()
		return tea.Batch(cmd, p.ensurePreview())
	}
	switch {
	case key.Matches(msg, p.keys.Up):
		if p.cursor > 0 {
			p.cursor--
		}
		return p.ensurePreview()
	case key.Matches(msg, p.keys.Down):
		if p.cursor < len(p.visible)-1 {
			p.cursor++
		}
		return p.ensurePreview()
	case key.Matches(msg, p.keys.Filter):
		p.filtering = true
		return p.filter.Focus()
	case key.Matches(msg, p.keys.ClearFilter):
		p.filter.SetValue("")
		p.applyFilter()
		return p.ensurePreview()
	case key.Matches(msg, p.keys.Recover):
		p.recovering = true
		return recoverUnfinished(p.recoverFn)
	case key.Matches(msg, p.keys.Start):
		sel := p.selected()
		if sel == nil || !p.canStart || p.starting {
			return nil
		}
		if p.needsConfirmation(sel) {
			return p.startConfirming(sel)
		}
		return p.startRun(sel)
	}
	return nil
}

// ShortHelp lists the picker's main keys.
func (p pickerScreen) ShortHelp() []key.Binding {
	return []key.Binding{p.keys.Confirm, p.keys.CancelConfirm, p.keys.Recover, p.keys.Start, p.keys.Up, p.keys.Down, p.keys.Filter, p.keys.AcceptFilter, p.keys.ClearFilter}
}

// FullHelp lists all of the picker's keys.
func (p pickerScreen) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{p.keys.Up, p.keys.Down, p.keys.Start},
		{p.keys.Filter, p.keys.AcceptFilter, p.keys.ClearFilter},
		{p.keys.Recover},
		{p.keys.Confirm, p.keys.CancelConfirm},
	}
}

// View renders the list and the plan card in the picker's size.
func (p pickerScreen) View() string {
	w, h := p.width, p.height
	if w <= 0 || h <= 0 {
		return ""
	}
	st := p.styles
	title := st.Title.Render("gameday") + " — " + p.tr.S("ui.picker.title")
	count := p.tr.S("ui.picker.count", len(p.visible), len(p.plans))
	lines := []string{rightAlign(title, count, w)}
	lines = append(lines, p.unfinishedLines(w)...)
	lines = append(lines, p.confirmLines(w)...)
	if p.filtering || p.filter.Value() != "" {
		lines = append(lines, fit(p.filter.View(), w))
	}
	if w >= wideCard {
		lw := min(max(w/3, 30), 48)
		cw := w - lw - 3
		body := h - len(lines)
		list := block(p.listLines(lw, body), lw, body)
		card := block(p.card().lines(cw), cw, body)
		sep := " " + "│" + " "
		lines = append(lines, beside(sep, list, card)...)
		return strings.Join(block(lines, w, h), "\n")
	}
	// Narrow: the list on top (at most a third of the screen), the card
	// below it, separated by a rule.
	maxList := max((h-len(lines))/3, 3)
	list := p.listLines(w, maxList)
	if len(list) > maxList {
		list = list[:maxList]
	}
	lines = append(lines, list...)
	lines = append(lines, strings.Repeat("─", w))
	lines = append(lines, p.card().lines(w)...)
	return strings.Join(block(lines, w, h), "\n")
}

// unfinishedLines renders the notice about an unfinished journal, with
// what the recover key does, on at most three lines.
func (p pickerScreen) unfinishedLines(w int) []string {
	if p.unfinished == "" {
		return nil
	}
	text := "⚠ " + p.unfinished
	switch {
	case p.recovering:
		text += " " + p.tr.S("ui.picker.recovering")
	case p.recoverFn != nil:
		text += " " + p.tr.S("ui.picker.recoverKey")
	default:
		text += " " + p.tr.S("ui.picker.recoverRun")
	}
	lines := wrapText(text, w)
	if len(lines) > 3 {
		lines = append(lines[:2], clip(lines[2], w-1)+"…")
	}
	for i, l := range lines {
		lines[i] = p.styles.Breached.Render(l)
	}
	return lines
}

// confirmLines renders the production guard's input and what it says
// about what was typed, when it is open.
func (p pickerScreen) confirmLines(w int) []string {
	pl := p.confirming
	if pl == nil {
		return nil
	}
	st := p.styles
	out := []string{st.Breached.Render(fit(p.tr.S("ui.picker.production", pl.Title, strings.TrimSpace(pl.Target.Name)), w))}
	out = append(out, fit(p.confirm.View(), w))
	if p.confirmErr != "" {
		out = append(out, st.Breached.Render(fit(p.confirmErr, w)))
	}
	return out
}

// listLines renders the visible plans (scrolled to keep the cursor in
// view within h lines) and the invalid scenario files.
func (p pickerScreen) listLines(w, h int) []string {
	st := p.styles
	var rows []string
	if len(p.plans) == 0 {
		rows = append(rows, p.tr.S("ui.picker.none"))
	} else if len(p.visible) == 0 {
		rows = append(rows, p.tr.S("ui.picker.noMatch"))
	}
	errLines := p.errorLines(w)
	room := max(h-len(errLines), 1)
	layout := p.badgeLayout(w)
	// Beside the rows, badges and providers are columns of their own.
	wb, wp := 0, 0
	for _, i := range p.visible {
		wb = max(wb, width(p.lastRun[p.plans[i]]))
		wp = max(wp, width(p.plans[i].Target.Provider))
	}
	perPlan := 1
	if layout == badgeBelow {
		perPlan = 2
	}
	first := 0
	if shown := max(room/perPlan, 1); p.cursor >= shown {
		first = p.cursor - shown + 1
	}
	for i := first; i < len(p.visible) && len(rows) < room; i++ {
		pl := p.plans[p.visible[i]]
		marker := "  "
		if i == p.cursor {
			marker = "› "
		}
		badge := p.lastRun[pl]
		right := pl.Target.Provider
		if layout == badgeBeside {
			right = padRight(badge, wb) + "  " + padRight(right, wp)
		}
		row := rightAlign(marker+p.shown(pl).Title, right, w)
		if i == p.cursor {
			row = st.Selected.Render(row)
		}
		rows = append(rows, row)
		if layout == badgeBelow && len(rows) < room {
			rows = append(rows, clip("    "+badge, w))
		}
	}
	return append(rows, errLines...)
}

// padRight pads s with spaces to w cells.
func padRight(s string, w int) string { return s + strings.Repeat(" ", max(w-width(s), 0)) }

// Where the picker shows when each plan last ran.
const (
	badgeNone   = iota // nothing to show
	badgeBeside        // on the plan's row, before its provider
	badgeBelow         // on a line of its own under the plan's row
)

// minTitle is how many cells a plan's title keeps on its row before the
// badges move to lines of their own.
const minTitle = 24

// badgeLayout says where the badges go at width w: on the rows when each
// row keeps minTitle cells for its title, else below them — the same for
// every row, so the list scrolls by whole plans.
func (p pickerScreen) badgeLayout(w int) int {
	widest, some := 0, false
	for _, i := range p.visible {
		pl := p.plans[i]
		if b := p.lastRun[pl]; b != "" {
			some = true
			widest = max(widest, width(b)+2+width(pl.Target.Provider))
		}
	}
	switch {
	case !some:
		return badgeNone
	case w-2-widest-1 >= minTitle:
		return badgeBeside
	}
	return badgeBelow
}

// errorLines renders the invalid scenario files.
func (p pickerScreen) errorLines(w int) []string {
	var out []string
	for _, err := range p.planErrs {
		for i, l := range wrapText(p.tr.S("ui.picker.invalid", err.Error()), w-2) {
			if i > 0 {
				l = "  " + l
			}
			out = append(out, p.styles.Breached.Render(clip(l, w)))
		}
	}
	return out
}
