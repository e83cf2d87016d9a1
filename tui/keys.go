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

func defaultGlobalKeyMap(tr *printer) globalKeyMap {
	return globalKeyMap{
		Abort:     key.NewBinding(key.WithKeys("ctrl+x"), key.WithHelp("ctrl+x", tr.S("ui.key.abort"))),
		AbortAlt:  key.NewBinding(key.WithKeys("X"), key.WithHelp("X", tr.S("ui.key.abortAlt"))),
		Interrupt: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", tr.S("ui.key.interrupt"))),
		Quit:      key.NewBinding(key.WithKeys("q"), key.WithHelp("q", tr.S("ui.key.quit"))),
		Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", tr.S("ui.key.help"))),
		Share:     key.NewBinding(key.WithKeys("w"), key.WithHelp("w", tr.S("ui.key.team"))),
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

func defaultPickerKeyMap(tr *printer) pickerKeyMap {
	return pickerKeyMap{
		Up:           key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", tr.S("ui.key.up"))),
		Down:         key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", tr.S("ui.key.down"))),
		Filter:       key.NewBinding(key.WithKeys("/"), key.WithHelp("/", tr.S("ui.key.filter"))),
		ClearFilter:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", tr.S("ui.key.clearFilter"))),
		AcceptFilter: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", tr.S("ui.key.keepFilter"))),
		Start:        key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", tr.S("ui.key.start"))),
		Recover:      key.NewBinding(key.WithKeys("R"), key.WithHelp("R", tr.S("ui.key.recover"))),

		Confirm:       key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", tr.S("ui.key.confirm"))),
		CancelConfirm: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", tr.S("ui.key.cancel"))),
	}
}

// maxFaultKeys is how many faults get a number key (1–9).
const maxFaultKeys = 9

// consoleKeyMap holds the console's keys. Inject is bound to "1"…"n" for a
// plan with n faults, and not at all in dry run (dangerous keys are bound
// only when they can act, like k9s's bindDangerousKeys). FaultKey is every
// number key, bound always and never shown in help: a number key that
// cannot fire a fault now answers with a status line instead ("f1 is
// already active"), so that no number key goes unanswered. Back returns
// to the picker once the run has ended with nothing left to roll back.
// SaveReason and SkipReason answer the one-line prompt for the reason of
// an abort.
//
// Hold and Widen act on a ladder that is climbing (a fault with a
// progressive blast radius holding a step): bound, like Inject, only
// outside dry run, and enabled only while a ladder climbs. LadderKey is
// both of their keys, always bound and never in help, so that either
// answers on the status line when no ladder climbs. Present switches
// between the console and the presenter view.
type consoleKeyMap struct {
	Inject     key.Binding
	FaultKey   key.Binding
	Hold       key.Binding
	Widen      key.Binding
	LadderKey  key.Binding
	Present    key.Binding
	Note       key.Binding
	SaveNote   key.Binding
	CancelNote key.Binding
	SaveReason key.Binding
	SkipReason key.Binding
	Report     key.Binding
	Save       key.Binding
	Back       key.Binding
}

func defaultConsoleKeyMap(tr *printer, faults int, dryRun bool) consoleKeyMap {
	numbers := make([]string, maxFaultKeys)
	for i := range numbers {
		numbers[i] = fmt.Sprint(i + 1)
	}
	k := consoleKeyMap{
		Inject:     key.NewBinding(key.WithKeys(), key.WithHelp("1", tr.S("ui.key.inject"))),
		FaultKey:   key.NewBinding(key.WithKeys(numbers...)),
		Hold:       key.NewBinding(key.WithKeys(), key.WithHelp(holdKey, tr.S("ui.key.hold"))),
		Widen:      key.NewBinding(key.WithKeys(), key.WithHelp(widenKey, tr.S("ui.key.widen"))),
		LadderKey:  key.NewBinding(key.WithKeys(holdKey, widenKey)),
		Present:    key.NewBinding(key.WithKeys("p"), key.WithHelp("p", tr.S("ui.key.present"))),
		Note:       key.NewBinding(key.WithKeys("n"), key.WithHelp("n", tr.S("ui.key.note"))),
		SaveNote:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", tr.S("ui.key.saveNote"))),
		CancelNote: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", tr.S("ui.key.cancelNote"))),
		SaveReason: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", tr.S("ui.key.saveReason"))),
		SkipReason: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", tr.S("ui.key.skipReason"))),
		Report:     key.NewBinding(key.WithKeys("r"), key.WithHelp("r", tr.S("ui.key.report"))),
		Save:       key.NewBinding(key.WithKeys("s"), key.WithHelp("s", tr.S("ui.key.save"))),
		Back:       key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", tr.S("ui.key.scenarios"))),
	}
	if !dryRun {
		bindDangerousKeys(&k, tr, faults)
	}
	return k
}

// The ladder's keys. Widening is a capital, like the abort's X: it makes
// the blast radius larger, so a stray keystroke must not do it.
const (
	holdKey  = "h"
	widenKey = "W"
)

// bindDangerousKeys binds the keys that change what is injected: the
// number keys that inject faults and the ladder's hold and widen.
func bindDangerousKeys(k *consoleKeyMap, tr *printer, faults int) {
	k.Hold.SetKeys(holdKey)
	k.Widen.SetKeys(widenKey)
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
	k.Inject.SetHelp(help, tr.S("ui.key.inject"))
}

// reportKeyMap holds the report view's keys; scrolling uses the viewport's
// own keymap, listed here for help.
type reportKeyMap struct {
	Scroll key.Binding
	Save   key.Binding
	Back   key.Binding
}

func defaultReportKeyMap(tr *printer) reportKeyMap {
	return reportKeyMap{
		Scroll: key.NewBinding(key.WithKeys("up", "down", "pgup", "pgdown"), key.WithHelp("↑/↓/pgup/pgdn", tr.S("ui.key.scroll"))),
		Save:   key.NewBinding(key.WithKeys("s"), key.WithHelp("s", tr.S("ui.key.saveShort"))),
		Back:   key.NewBinding(key.WithKeys("esc", "r"), key.WithHelp("esc", tr.S("ui.key.back"))),
	}
}
