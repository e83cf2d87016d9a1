package sandbox_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/providers/sandbox"
)

// TestLease checks one run at a time per sandbox: a second run's lease is
// refused with the holder's run, owner and start time; the holder renews
// and releases; a lease not renewed expires at its TTL and is lost.
func TestLease(t *testing.T) {
	sb := sharedSB(t)
	c := sb.Client()
	ctx := bg(t)
	var _ providers.Leaser = c

	since := time.Now().Add(-time.Minute).Truncate(time.Second)
	a := providers.LeaseRequest{Target: "sandbox", RunID: "run-a", Owner: "ada@host (pid 1)", Since: since, TTL: time.Minute}
	la, err := c.Lease(ctx, a)
	if err != nil {
		t.Fatalf("first lease: %v", err)
	}
	b := providers.LeaseRequest{Target: "sandbox", RunID: "run-b", Owner: "bob@host (pid 2)", Since: time.Now(), TTL: time.Second}
	_, err = c.Lease(ctx, b)
	var held *providers.LeaseHeldError
	if !errors.As(err, &held) || !errors.Is(err, providers.ErrLeaseHeld) {
		t.Fatalf("second run's lease: %v, want a LeaseHeldError", err)
	}
	if held.Holder.RunID != "run-a" || held.Holder.Owner != a.Owner || !held.Holder.Since.Equal(since) {
		t.Errorf("holder %+v, want run-a of %s since %s", held.Holder, a.Owner, since)
	}
	if _, err := c.Lease(ctx, a); err != nil {
		t.Errorf("the holder asking again: %v", err)
	}
	if err := la.Renew(ctx); err != nil {
		t.Errorf("renew: %v", err)
	}
	if err := la.Release(ctx); err != nil {
		t.Fatalf("release: %v", err)
	}
	if err := la.Release(ctx); err != nil {
		t.Errorf("second release: %v", err)
	}

	lb, err := c.Lease(ctx, b)
	if err != nil {
		t.Fatalf("lease after the release: %v", err)
	}
	time.Sleep(1500 * time.Millisecond) // b's TTL of 1 s passes unrenewed
	lc, err := c.Lease(ctx, providers.LeaseRequest{Target: "sandbox", RunID: "run-c", Owner: "cy@host", TTL: time.Minute})
	if err != nil {
		t.Fatalf("lease after the holder's TTL: %v", err)
	}
	var ae *sandbox.APIError
	if err := lb.Renew(ctx); !errors.As(err, &ae) || ae.StatusCode != http.StatusNotFound {
		t.Errorf("renew of an expired lease taken by another run: %v, want 404", err)
	}
	if err := lb.Release(ctx); err != nil { // releases nothing: c holds it
		t.Errorf("release of a lost lease: %v", err)
	}
	if _, err := c.Lease(ctx, a); !errors.Is(err, providers.ErrLeaseHeld) {
		t.Errorf("lease while run-c holds it: %v, want held", err)
	}
	if err := lc.Release(ctx); err != nil {
		t.Fatal(err)
	}

	// A lease whose holder process died (a SIGKILLed run) is free at once,
	// long before its TTL.
	body, _ := json.Marshal(map[string]any{"target": "sandbox", "run_id": "run-dead", "owner": "killed@host", "ttl": time.Hour, "pid": deadPID(t)})
	req, _ := http.NewRequest(http.MethodPost, "http://"+sb.State().Control+"/lease", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+sb.State().Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("lease for a dead process: %v, %v", resp, err)
	}
	resp.Body.Close()
	ld, err := c.Lease(ctx, a)
	if err != nil {
		t.Fatalf("lease while the holder's process is dead: %v, want it granted", err)
	}
	if err := ld.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := sandbox.NewClient(sb.State().Control, "wrong").Lease(ctx, a); !errors.As(err, &ae) || ae.StatusCode != http.StatusUnauthorized {
		t.Errorf("lease with a wrong token: %v, want 401", err)
	}
}
