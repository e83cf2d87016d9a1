package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// Two runs against one target at once corrupt each other's verdicts (each
// sees the other's faults). A run therefore leases its target before it
// writes anything: through the provider when its system can hold a lease
// itself (providers.Leaser: the sandbox, through its control API), else
// with a lock file named after the target in the state directory, which
// covers every run on this machine. A second run is refused (exit 3),
// naming the live run, its owner and its start time. Watching is not
// running: only runs take leases.

// leaseTTL bounds a provider-held lease whose holder died; the run renews
// it every leaseTTL/3.
const leaseTTL = 30 * time.Second

// lease is a held lease; Release is idempotent.
type lease struct {
	release func()
}

func (l *lease) Release() {
	if l != nil && l.release != nil {
		l.release()
		l.release = nil
	}
}

// leaseTarget leases plan's target for run runID.
func leaseTarget(ctx context.Context, c *conn, plan *scenarios.Plan, runID string) (*lease, error) {
	req := providers.LeaseRequest{Target: targetKey(c, plan), RunID: runID, Owner: whoAmI(), Since: time.Now().UTC(), TTL: leaseTTL}
	if l, ok := c.provider.(providers.Leaser); ok {
		held, err := l.Lease(ctx, req)
		if err != nil {
			if errors.Is(err, providers.ErrLeaseHeld) {
				return nil, invalid(fmt.Errorf("%s: refusing to start: %w", plan.Path, err))
			}
			return nil, fmt.Errorf("lease the target %s: %w", req.Target, err)
		}
		rctx, stop := context.WithCancel(context.WithoutCancel(ctx))
		go func() {
			t := time.NewTicker(leaseTTL / 3)
			defer t.Stop()
			for {
				select {
				case <-rctx.Done():
					return
				case <-t.C:
					_ = held.Renew(rctx)
				}
			}
		}()
		return &lease{release: func() {
			stop()
			cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = held.Release(cctx)
		}}, nil
	}
	return fileLease(plan, req)
}

// targetKey names what is leased: the provider and the instance of its
// system (the identity's ID), else the target's name.
func targetKey(c *conn, plan *scenarios.Plan) string {
	key := plan.Target.Provider
	switch {
	case c.identity.ID != "":
		key += ":" + c.identity.ID
	case plan.Target.Name != "":
		key += ":" + plan.Target.Name
	}
	if ns := plan.Target.Fields.String("namespace"); ns != "" {
		key += "/" + ns
	}
	return key
}

// whoAmI says who runs this process: user@host (pid N).
func whoAmI() string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	return fmt.Sprintf("%s@%s (pid %d)", name, host, os.Getpid())
}

// fileLease holds an exclusive lock on $STATE/leases/<target>.lock for as
// long as the run lives (the lock goes with the process), with the holder
// written in it for the refusal message.
func fileLease(plan *scenarios.Plan, req providers.LeaseRequest) (*lease, error) {
	dir, err := stateDir()
	if err != nil {
		return nil, err
	}
	dir = filepath.Join(dir, "leases")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("lease the target: %w", err)
	}
	path := filepath.Join(dir, slugKey(req.Target)+".lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lease the target: %w", err)
	}
	ok, err := lockJournal(f, true)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lease the target: %w", err)
	}
	if !ok {
		var holder providers.LeaseRequest
		data, _ := io.ReadAll(io.LimitReader(f, 4096))
		f.Close()
		if json.Unmarshal(data, &holder) != nil || holder.RunID == "" {
			holder = providers.LeaseRequest{Target: req.Target, RunID: "unknown", Owner: "another gameday on this machine"}
		}
		return nil, invalid(fmt.Errorf("%s: refusing to start: %w", plan.Path, &providers.LeaseHeldError{Holder: holder}))
	}
	data, _ := json.Marshal(req)
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt(data, 0)
		_ = f.Sync()
	}
	return &lease{release: func() {
		_ = f.Truncate(0)
		f.Close()
	}}, nil
}

func slugKey(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, s)
}

// stateDir is gameday's state directory: $GAMEDAY_STATE_DIR, else
// $XDG_STATE_HOME/gameday, else ~/.local/state/gameday.
func stateDir() (string, error) {
	j, err := journalDir()
	if err != nil {
		return "", err
	}
	return filepath.Dir(j), nil
}
