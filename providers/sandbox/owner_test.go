package sandbox_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/providers/sandbox"
)

// TestRollbackByOwner checks the crash-safety path: a caller that died
// after Inject applied a hook but before it learnt the hook's ID has only
// journaled the fault's Owner, and Rollback and Verify of that Injection
// (no Handles) still find and undo the hook by its label.
func TestRollbackByOwner(t *testing.T) {
	sb := sharedSB(t)
	c := sb.Client()
	ctx := bg(t)

	const owner = "gd-test01/f1"
	f := providers.Fault{ID: "f1", Kind: providers.DependencyOutage, Owner: owner}
	inj, err := c.Inject(ctx, f, time.Minute)
	if err != nil || len(inj.Handles) != 1 || inj.Owner != owner {
		t.Fatalf("Inject: %+v, %v; want one handle and owner %q", inj, err, owner)
	}
	h, err := c.Hook(ctx, inj.Handles[0])
	if err != nil || h.Spec.Label != owner {
		t.Fatalf("hook %s: label %q, %v; want %q", inj.Handles[0], h.Spec.Label, err, owner)
	}
	// A second fault of the same run, with another owner, must survive the
	// rollback of the first.
	other, err := c.Inject(ctx, providers.Fault{ID: "f2", Kind: providers.Latency, Params: providers.Params{Delay: 50 * time.Millisecond}, Owner: "gd-test01/f2"}, time.Minute)
	if err != nil {
		t.Fatalf("Inject f2: %v", err)
	}

	// What the journal holds when the caller died during Inject.
	lost := providers.Injection{FaultID: "f1", Provider: sandbox.ProviderName, Kind: f.Kind, Owner: owner}
	if v, err := c.Verify(ctx, lost); err != nil || v.Clean || !strings.Contains(strings.Join(v.Details, "; "), h.ID) {
		t.Fatalf("Verify by owner while applied: %+v, %v; want not clean, naming %s", v, err, h.ID)
	}
	if m := c.ManualRollback(lost); !strings.Contains(m, owner) {
		t.Errorf("ManualRollback without handles = %q, want it to name the label %q", m, owner)
	}
	if err := c.Rollback(ctx, lost); err != nil {
		t.Fatalf("Rollback by owner: %v", err)
	}
	if h, err := c.Hook(ctx, h.ID); err != nil || h.State != sandbox.HookRolledBack {
		t.Fatalf("hook %s after Rollback by owner: %+v, %v; want rolled back", h.ID, h, err)
	}
	if h, err := c.Hook(ctx, other.Handles[0]); err != nil || h.State != sandbox.HookActive {
		t.Fatalf("f2's hook after f1's rollback: %+v, %v; want still active", h, err)
	}
	eventually(t, 10*time.Second, "f1 verified clean by owner", func() (bool, string) {
		v, err := c.Verify(ctx, lost)
		if err != nil {
			return false, err.Error()
		}
		return v.Clean, strings.Join(v.Details, "; ")
	})
	// Idempotent, and fine when nothing was ever applied.
	if err := c.Rollback(ctx, lost); err != nil {
		t.Errorf("second Rollback by owner: %v", err)
	}
	if err := c.Rollback(ctx, providers.Injection{FaultID: "f9", Owner: "gd-test01/f9"}); err != nil {
		t.Errorf("Rollback of an owner with no hook: %v", err)
	}
	if err := c.Rollback(ctx, other); err != nil {
		t.Fatalf("Rollback f2: %v", err)
	}
	waitClean(t, c)
}

func TestLabelValidated(t *testing.T) {
	for name, tc := range map[string]struct {
		label string
		ok    bool
	}{
		"run/fault":   {"gd-0a1b2c3d/f1", true},
		"empty":       {"", true},
		"space":       {"a b", false},
		"quote":       {`a"b`, false},
		"too long":    {strings.Repeat("x", 129), false},
		"longest":     {strings.Repeat("x", 128), true},
		"punctuation": {"a.b_c:d/e-f", true},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := sandbox.SpecFor(providers.Fault{ID: "f1", Kind: providers.CPUStress, Owner: tc.label}, time.Minute)
			if tc.ok && err != nil {
				t.Errorf("label %q: %v", tc.label, err)
			}
			if !tc.ok && (err == nil || !strings.Contains(err.Error(), "label")) {
				t.Errorf("label %q: error %v, want one about the label", tc.label, err)
			}
			if !tc.ok {
				_, err := (&sandbox.Client{}).Inject(bg(t), providers.Fault{ID: "f1", Kind: providers.CPUStress, Owner: tc.label}, time.Minute)
				if !errors.Is(err, providers.ErrNotApplied) {
					t.Errorf("Inject with label %q: %v, want ErrNotApplied", tc.label, err)
				}
			}
		})
	}
}

// TestApplySurvivesClientGone checks that a POST /hooks whose client dies
// right after sending it (a SIGKILLed run) is still applied in full and
// registered with its label, so Rollback by owner can undo it, instead of
// being cut off half way and left unregistered until the replica's own TTL.
func TestApplySurvivesClientGone(t *testing.T) {
	sb := sharedSB(t)
	c := sb.Client()
	st := sb.State()
	const owner = "gd-gone/f1"
	for i := range 3 {
		label := fmt.Sprintf("%s-%d", owner, i)
		body, _ := json.Marshal(sandbox.HookSpec{Kind: sandbox.HookMemory, MemoryMB: 8, Count: 1, TTL: time.Minute, Label: label})
		conn, err := net.Dial("tcp", st.Control)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "POST /hooks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", st.Token, len(body), body)
		conn.Close() // gone before the answer
		lost := providers.Injection{FaultID: "f1", Kind: providers.MemoryStress, Owner: label}
		eventually(t, 10*time.Second, "the hook of a vanished client registered with its label", func() (bool, string) {
			v, err := c.Verify(bg(t), lost)
			if err != nil {
				return false, err.Error()
			}
			return !v.Clean && strings.Contains(strings.Join(v.Details, " "), "still active"), strings.Join(v.Details, "; ")
		})
		if err := c.Rollback(bg(t), lost); err != nil {
			t.Fatalf("Rollback by owner: %v", err)
		}
		waitClean(t, c)
	}
}
