package tui

import (
	"fmt"

	"github.com/charmbracelet/bubbles/key"
)

// globalKeyMap holds the keys that work on every screen, the only keys the
// root model handles: they must mean the same everywhere and must not
// depend on a screen passing them on. Abort (ctrl+x) and Interrupt
// (ctrl+c) work even while text is being typed; AbortAlt (X), Quit and
// Help only outside text input. Every other key is a screen's.
type globalKeyMap struct {
	Abort     key.Binding
	AbortAlt  key.Binding
	Interrupt key.Binding
	Quit      key.Binding
	Help      key.Binding
	// Share shows the lines teammates run to follow the run (team mode).
	Share key.Binding
}

func defaultGlobalKeyMap() globalKeyMap {
	return globalKeyMap{
		Abort:     key.NewBinding(key.WithKeys("ctrl+x"), key.WithHelp("ctrl+x", "ABORT")),
		AbortAlt:  key.NewBinding(key.WithKeys("X"), key.WithHelp("X", "abort")),
		Interrupt: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "abort & quit (twice: now)")),
		Quit:      key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
		Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Share:     key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "team: join lines")),
	}
}

// pickerKeyMap holds the picker's keys.
type pickerKeyMap struct {
	Up           key.Binding
	Down         key.Binding
	Filter       key.Binding
	ClearFilter  key.Binding
	AcceptFilter key.Binding
	Start        key.Binding
	Recover      key.Binding
	// Confirm and CancelConfirm answer the production guard: the target's
	// name typed in full starts the run.
	Confirm       key.Binding
	CancelConfirm key.Binding
}

func defaultPickerKeyMap() pickerKeyMap {
	return pickerKeyMap{
		Up:           key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:         key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		Filter:       key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		ClearFilter:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
		AcceptFilter: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "keep filter")),
		Start:        key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "start run")),
		Recover:      key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "recover now")),

		Confirm:       key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "start against production")),
		CancelConfirm: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}
}

// maxFaultKeys is how many faults get a number key (1–9).
const maxFaultKeys = 9

// consoleKeyMap holds the console's keys. Inject is bound to "1"…"n" for a
// plan with n faults, and not at all in dry run (dangerous keys are bound
// only when they can act, like k9s's bindDangerousKeys). Back returns to
// the picker once the run has ended with nothing left to roll back.
type consoleKeyMap struct {
	Inject     key.Binding
	Note       key.Binding
	SaveNote   key.Binding
	CancelNote key.Binding
	Report     key.Binding
	Save       key.Binding
	Back       key.Binding
}

func defaultConsoleKeyMap(faults int, dryRun bool) consoleKeyMap {
	k := consoleKeyMap{
		Inject:     key.NewBinding(key.WithKeys(), key.WithHelp("1", "trigger fault")),
		Note:       key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "note")),
		SaveNote:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "save note")),
		CancelNote: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel note")),
		Report:     key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "report")),
		Save:       key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "save report")),
		Back:       key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "scenarios")),
	}
	if !dryRun {
		bindDangerousKeys(&k, faults)
	}
	return k
}

// bindDangerousKeys binds the number keys that inject faults.
func bindDangerousKeys(k *consoleKeyMap, faults int) {
	n := min(faults, maxFaultKeys)
	if n == 0 {
		return
	}
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprint(i + 1)
	}
	help := "1"
	if n > 1 {
		help = fmt.Sprintf("1–%d", n)
	}
	k.Inject.SetKeys(keys...)
	k.Inject.SetHelp(help, "trigger fault")
}

// reportKeyMap holds the report view's keys; scrolling uses the viewport's
// own keymap, listed here for help.
type reportKeyMap struct {
	Scroll key.Binding
	Save   key.Binding
	Back   key.Binding
}

func defaultReportKeyMap() reportKeyMap {
	return reportKeyMap{
		Scroll: key.NewBinding(key.WithKeys("up", "down", "pgup", "pgdown"), key.WithHelp("↑/↓/pgup/pgdn", "scroll")),
		Save:   key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "save")),
		Back:   key.NewBinding(key.WithKeys("esc", "r"), key.WithHelp("esc", "back")),
	}
}
