package tui

import (
	"github.com/charmbracelet/lipgloss"
	"github.com/guptarohit/asciigraph"
	"github.com/muesli/termenv"
)

// Styles holds every style the console uses. Colours carry meaning (green
// holds, amber near a bound, red breached) but never alone: every state is
// also written as a word or a symbol, so the screen reads the same with
// NO_COLOR, where the renderer drops all styling. No style is Faint: the
// screen is read over video calls.
type Styles struct {
	// Color is false under NO_COLOR (the Ascii profile); views then use
	// bracketed forms where a coloured block would otherwise carry a mark.
	Color bool

	Title    lipgloss.Style // screen and panel titles
	Label    lipgloss.Style // field names on the plan card and panels
	Text     lipgloss.Style // ordinary text
	Selected lipgloss.Style // the picker's current row

	Holding  lipgloss.Style // within bounds
	Near     lipgloss.Style // within 80 % of a bound
	Breached lipgloss.Style // beyond a bound, failures
	Neutral  lipgloss.Style // phases, pending states

	FaultKey lipgloss.Style // "[1]" before a fault that can be triggered
	Manual   lipgloss.Style // the manual rollback command

	// The header's phase, in the colour of the plan's phase: baseline,
	// fault, recovery; the end of a run. The phase is always also a word.
	PhaseBaseline lipgloss.Style
	PhaseFault    lipgloss.Style
	PhaseRecovery lipgloss.Style
	PhaseEnded    lipgloss.Style
	// FaultLive is the header's line while a fault is live.
	FaultLive lipgloss.Style

	Banner      lipgloss.Style // information banner
	ErrorBanner lipgloss.Style // errMsg banner
	Abort       lipgloss.Style // the ABORT block in the footer

	HelpKey  lipgloss.Style
	HelpDesc lipgloss.Style
	HelpSep  lipgloss.Style

	// Graph colours, used only when Color is true (asciigraph writes raw
	// escape codes that the renderer cannot strip).
	GraphLine      asciigraph.AnsiColor
	GraphThreshold asciigraph.AnsiColor
	GraphBreach    asciigraph.AnsiColor
}

// DefaultStyles returns the console's styles for the current colour profile
// of lipgloss's default renderer (which honours NO_COLOR).
func DefaultStyles() Styles {
	color := lipgloss.ColorProfile() != termenv.Ascii
	green := lipgloss.Color("10")
	amber := lipgloss.Color("214")
	red := lipgloss.Color("9")
	white := lipgloss.Color("15")
	cyan := lipgloss.Color("14")
	s := Styles{
		Color:    color,
		Title:    lipgloss.NewStyle().Bold(true),
		Label:    lipgloss.NewStyle().Bold(true).Foreground(cyan),
		Text:     lipgloss.NewStyle(),
		Selected: lipgloss.NewStyle().Bold(true).Reverse(true),

		Holding:  lipgloss.NewStyle().Bold(true).Foreground(green),
		Near:     lipgloss.NewStyle().Bold(true).Foreground(amber),
		Breached: lipgloss.NewStyle().Bold(true).Foreground(red),
		Neutral:  lipgloss.NewStyle().Bold(true),

		FaultKey: lipgloss.NewStyle().Bold(true).Reverse(true),
		Manual:   lipgloss.NewStyle().Bold(true).Foreground(red),

		PhaseBaseline: lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("0")).Background(cyan),
		PhaseFault:    lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("0")).Background(amber),
		PhaseRecovery: lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("0")).Background(green),
		PhaseEnded:    lipgloss.NewStyle().Bold(true).Reverse(true),
		FaultLive:     lipgloss.NewStyle().Bold(true).Foreground(white).Background(red),

		Banner:      lipgloss.NewStyle().Bold(true).Foreground(cyan),
		ErrorBanner: lipgloss.NewStyle().Bold(true).Foreground(white).Background(red),
		Abort:       lipgloss.NewStyle().Bold(true).Foreground(white).Background(red),

		HelpKey:  lipgloss.NewStyle().Bold(true),
		HelpDesc: lipgloss.NewStyle(),
		HelpSep:  lipgloss.NewStyle(),

		GraphLine:      asciigraph.Default,
		GraphThreshold: asciigraph.Orange,
		GraphBreach:    asciigraph.Red,
	}
	return s
}

// abortLabel is the text of the footer's ABORT block: a red block when
// colour is available, a bracketed one (same width) under NO_COLOR.
func (s Styles) abortLabel(tr *printer) string {
	if s.Color {
		return s.Abort.Render(" " + tr.S("ui.footer.abort") + " ")
	}
	return "[" + tr.S("ui.footer.abort") + "]"
}

// level is how a metric stands against its bound.
type level int

const (
	levelNone      level = iota // no data yet
	levelUnbounded              // the plan sets no bound on this metric
	levelHolding                // within bounds
	levelNear                   // within 80 % of a bound
	levelBreached               // beyond a bound
)

// style returns the style for a level.
func (s Styles) style(l level) lipgloss.Style {
	switch l {
	case levelHolding:
		return s.Holding
	case levelNear:
		return s.Near
	case levelBreached:
		return s.Breached
	case levelNone, levelUnbounded:
		return s.Neutral
	}
	return s.Neutral
}

// word returns the symbol and word that say a level without colour.
func (l level) word(tr *printer) string {
	switch l {
	case levelHolding:
		return tr.S("ui.level.holding")
	case levelNear:
		return tr.S("ui.level.near")
	case levelBreached:
		return tr.S("ui.level.breached")
	case levelNone:
		return tr.S("ui.level.none")
	case levelUnbounded:
		return tr.S("ui.level.unbounded")
	}
	return ""
}
