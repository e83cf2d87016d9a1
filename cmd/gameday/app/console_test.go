package app

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/scenarios"
)

// When the console closes, a run whose rollback was not confirmed makes it
// exit 4 and print the command that finishes the rollback, as a headless
// run does; a run that held does not.
func TestCloseSessionsRollbackNotConfirmed(t *testing.T) {
	t.Setenv("GAMEDAY_STATE_DIR", t.TempDir())
	sys := &fakeSystem{id: "sys-close", applied: map[string]bool{}}
	reg, _ := dayRegistry(sys)
	day, err := scenarios.LoadDayFile(writeDay(t, "stuck.yaml", "held.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	plans, err := resolveDay(day, nil, reg.options(), scenarios.Phases{})
	if err != nil {
		t.Fatal(err)
	}
	shared, closeShared := reg.sharing(context.Background())
	t.Cleanup(func() { _ = closeShared() })
	start := dayStarter(shared, connectOptions{logf: t.Logf}, engine.English, nil)
	dir := t.TempDir()
	var sessions []*session
	for i, p := range plans {
		s, err := start(context.Background(), p, filepath.Join(dir, p.Title+".jsonl"))
		if err != nil {
			t.Fatalf("start %d: %v", i, err)
		}
		select {
		case <-s.Done():
		case <-time.After(time.Minute):
			t.Fatalf("run %d did not end", i)
		}
		sessions = append(sessions, s)
	}

	var out, errOut bytes.Buffer
	if !closeSessions(&out, &errOut, sessions) {
		t.Errorf("a run whose rollback failed was reported confirmed:\n%s%s", out.String(), errOut.String())
	}
	for _, want := range []string{"Cannot roll back: rollback failed", "MANUAL ACTION NEEDED: fakesysctl undo ", "Holds: held"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the console's last words lack %q:\n%s", want, out.String())
		}
	}
	if closeSessions(&out, &errOut, sessions[1:]) {
		t.Error("a run that held was reported unconfirmed")
	}
}
