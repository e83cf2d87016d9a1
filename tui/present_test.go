package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/providers"
)

// TestConsolePresenter is the fault-active console switched to the
// presenter view (p), in English and in Japanese.
func TestConsolePresenter(t *testing.T) {
	for _, lang := range []engine.Lang{engine.English, engine.Japanese} {
		for _, sz := range sizes {
			t.Run(fmt.Sprintf("%s/%dx%d", lang, sz.w, sz.h), func(t *testing.T) {
				s := activeSnap(latencyPlan())
				run := newFakeRun(t, s)
				cfg := testConfig(run, sz.w, sz.h, t0.Add(75*time.Second))
				cfg.Lang = lang
				m := New(cfg)
				m, _ = step(t, m, startedMsg{plan: s.Plan, run: run})
				m, _ = step(t, m, snapshotMsg{gen: m.gen, snap: s})
				m, _ = step(t, m, keyMsg("p"))
				requireView(t, m.View(), sz.w, sz.h)
			})
		}
	}
}

// TestPresenterKey: p switches to the presenter view and back, says so in
// help, types a p into an open note instead, and the layout chosen stays
// for the next run.
func TestPresenterKey(t *testing.T) {
	p := latencyPlan()
	m, run := consoleAt(t, activeSnap(p), 80, 24, t0.Add(75*time.Second))
	if strings.Contains(view(m), "███") || !strings.Contains(helpText(m), "p presenter view") {
		t.Fatalf("the console starts in the presenter view, or help lacks p:\n%s", view(m))
	}
	m, _ = step(t, m, keyMsg("p"))
	v := view(m)
	for _, want := range []string{"◆ FAULT 1:16 left", "✘ BREACHED", "FAULT ACTIVE f1 latency · 0:16 left → replica-3"} {
		if !strings.Contains(v, want) {
			t.Errorf("the presenter view lacks %q:\n%s", want, v)
		}
	}
	// 612 ms, the latest p95, in block digits.
	for _, row := range bigText("612", bigScale{1, 1}) {
		if !strings.Contains(v, row) {
			t.Errorf("the presenter view lacks the digits of 612 (%q):\n%s", row, v)
		}
	}
	if strings.Contains(v, "Timeline") || !strings.Contains(helpText(m), "p full console") {
		t.Errorf("the presenter view shows the timeline, or help does not offer the way back:\n%s", v)
	}
	// A p typed in a note is a letter.
	m, _ = step(t, m, keyMsg("n"))
	m, _ = step(t, m, keyMsg("p"))
	if !m.console.presenter || m.console.note.Value() != "p" {
		t.Errorf("p in a note switched the layout (presenter %v) or was lost (%q)", m.console.presenter, m.console.note.Value())
	}
	m, _ = step(t, m, keyMsg("esc"))
	// The next run opens in the layout chosen.
	run.finish()
	m, _ = step(t, m, snapshotMsg{gen: m.gen, snap: settledSnap(p)})
	m, _ = step(t, m, runDoneMsg{gen: m.gen})
	m, _ = step(t, m, backMsg{origin{m.gen, screenConsole}})
	run2 := newFakeRun(t, baselineSnap(p))
	m, _ = step(t, m, startedMsg{plan: p, run: run2})
	if !m.console.presenter {
		t.Error("the next run opened in the full console")
	}
	m, _ = step(t, m, keyMsg("p"))
	if m.console.presenter || !strings.Contains(view(m), "Timeline") {
		t.Errorf("p did not switch back to the console:\n%s", view(m))
	}
}

// TestPresenterShowsFaultPanelWhenPointedTo: the live line sends the eye
// to the fault panel during an abort and when a rollback needs a hand;
// the presenter view then shows the fault panel's rows (and the manual
// command) — otherwise not.
func TestPresenterShowsFaultPanelWhenPointedTo(t *testing.T) {
	p := latencyPlan()
	m, _ := consoleAt(t, activeSnap(p), 80, 24, t0.Add(75*time.Second))
	m, _ = step(t, m, keyMsg("p"))
	if strings.Contains(view(m), "Faults ─") {
		t.Errorf("the presenter view shows the fault panel with nothing to point at it:\n%s", view(m))
	}
	m, _ = step(t, m, keyMsg("X"))
	m, _ = step(t, m, keyMsg("esc"))
	v := view(m)
	if !strings.Contains(v, "watch the fault panel") || !strings.Contains(v, "Faults ─") || !strings.Contains(v, "f1 latency") {
		t.Errorf("aborting: the presenter view lacks the fault panel it points to:\n%s", v)
	}
	if strings.Contains(v, "f2 instance-stop") {
		t.Errorf("aborting: the presenter view lists a fault never fired:\n%s", v)
	}
	jr := journaledRun{fakeRun: newFakeRun(t, abortedSnap(p)), path: "/var/lib/gameday/j.jsonl"}
	m = New(testConfig(nil, 80, 24, t0.Add(90*time.Second)))
	m, _ = step(t, m, startedMsg{plan: p, run: jr})
	m, _ = step(t, m, snapshotMsg{gen: m.gen, snap: abortedSnap(p)})
	m, _ = step(t, m, keyMsg("p"))
	v = view(m)
	for _, want := range []string{"MANUAL ACTION NEEDED: f2 instance-stop — see the fault panel", "Faults ─", "gameday sandbox restart replica-1"} {
		if !strings.Contains(v, want) {
			t.Errorf("manual action: the presenter view lacks %q:\n%s", want, v)
		}
	}
}

// TestPresenterFillsEverySize: the presenter view fills exactly w×h cells
// at every size, in both languages, from a small terminal to a wall.
func TestPresenterFillsEverySize(t *testing.T) {
	for _, lang := range []engine.Lang{engine.English, engine.Japanese} {
		for _, sz := range []struct{ w, h int }{{40, 12}, {60, 20}, {80, 24}, {100, 30}, {120, 40}, {160, 48}, {220, 60}} {
			for name, s := range map[string]engine.Snapshot{"active": activeSnap(latencyPlan()), "ladder": ladderSnap(), "baseline": baselineSnap(latencyPlan()), "aborted": abortedSnap(latencyPlan())} {
				run := newFakeRun(t, s)
				cfg := testConfig(run, sz.w, sz.h, t0.Add(75*time.Second))
				cfg.Lang = lang
				m := New(cfg)
				m, _ = step(t, m, startedMsg{plan: s.Plan, run: run})
				m, _ = step(t, m, snapshotMsg{gen: m.gen, snap: s})
				m, _ = step(t, m, keyMsg("p"))
				lines := strings.Split(view(m), "\n")
				if len(lines) != sz.h {
					t.Errorf("%s %s %dx%d: %d lines", lang, name, sz.w, sz.h, len(lines))
				}
				for i, l := range lines {
					if width(l) != sz.w {
						t.Errorf("%s %s %dx%d: line %d is %d cells: %q", lang, name, sz.w, sz.h, i+1, width(l), l)
					}
				}
			}
		}
	}
}

// TestPresenterTallBlocksInColour: in colour, from presentTall rows, the
// phase and the verdict are blocks three rows tall, every row as wide as
// the screen.
func TestPresenterTallBlocksInColour(t *testing.T) {
	st := DefaultStyles()
	st.Color = true
	m, _ := consoleAt(t, activeSnap(latencyPlan()), 160, 48, t0.Add(75*time.Second))
	m.console.styles = st
	head := m.console.presentHeader(160, true)
	if len(head) != 3 {
		t.Fatalf("the tall header has %d rows, want 3", len(head))
	}
	for i, l := range head {
		if width(l) != 160 {
			t.Errorf("header row %d is %d cells wide", i+1, width(l))
		}
	}
	if !strings.Contains(head[1], "◆ FAULT 1:16 left") || !strings.Contains(head[1], "✘ BREACHED") {
		t.Errorf("the header's middle row lacks the phase or the verdict: %q", head[1])
	}
}

// TestBigFont: every glyph is bigRows tall and of one width; the text
// drawn is exactly as wide as bigWidth says, at every scale.
func TestBigFont(t *testing.T) {
	for r, g := range bigGlyphs {
		for _, row := range g {
			if len(row) != len(g[0]) || strings.Trim(row, "#.") != "" {
				t.Errorf("glyph %q: row %q", r, row)
			}
		}
	}
	all := "0123456789.:%/-msreq"
	if !canBig(all) || canBig("k") || canBig("") {
		t.Error("canBig is wrong")
	}
	for _, sc := range []bigScale{{1, 1}, {2, 1}, {2, 2}} {
		rows := bigText(all, sc)
		if len(rows) != bigRows*sc.ph {
			t.Errorf("%v: %d rows", sc, len(rows))
		}
		for _, r := range rows {
			if width(r) != bigWidth(all, sc) {
				t.Errorf("%v: a row is %d cells, bigWidth says %d", sc, width(r), bigWidth(all, sc))
			}
		}
	}
	if got := strings.Join(bigText("1", bigScale{1, 1}), "\n"); got != " █ \n██ \n █ \n █ \n███" {
		t.Errorf("1 is drawn\n%s", got)
	}
}

// TestPresenterLiveFaultsEachOnALine: two live faults that do not fit on
// the live line get a line each in the presenter view, each with its
// countdown; the console keeps its one line.
func TestPresenterLiveFaultsEachOnALine(t *testing.T) {
	s := drillSnap()
	s.Faults[1].State = engine.FaultActive
	s.Faults[1].InjectedAt = t0.Add(110 * time.Second)
	s.Faults[1].EndsAt = t0.Add(170 * time.Second)
	s.Faults[1].Targets = []providers.Target{{ID: "r3", Name: "replica-3"}}
	m, _ := consoleAt(t, s, 80, 24, t0.Add(120*time.Second))
	if v := view(m); !strings.Contains(v, "FAULT ACTIVE f1 latency · 0:40 left → replica-2, replica-4 · f2 instance-stop ·…") {
		t.Errorf("the console's live line is not one line:\n%s", v)
	}
	m, _ = step(t, m, keyMsg("p"))
	v := view(m)
	lines := strings.Split(v, "\n")
	for i, want := range []string{"FAULT ACTIVE f1 latency · 0:40 left → replica-2, replica-4", "FAULT ACTIVE f2 instance-stop · 0:50 left → replica-3"} {
		if got := strings.TrimRight(lines[1+i], " "); got != want {
			t.Errorf("line %d of the presenter view is %q, want %q:\n%s", 2+i, got, want, v)
		}
	}
}
