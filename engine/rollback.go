package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gameday-tui/gameday/providers"
)

// Rollback with retries and verification lives here, once: the engine's
// abort and end-of-phase rollbacks and `gameday recover` both call
// RollbackFault and then VerifyFault.

// RollbackOptions bound one fault's rollback and verification.
type RollbackOptions struct {
	// CallTimeout bounds each provider call.
	CallTimeout time.Duration
	// Deadline bounds the rollback, retries included, and, separately,
	// the verification.
	Deadline time.Duration
	// Retries is how many times a failed rollback is tried again, with
	// exponential backoff from 200 ms, within the deadline.
	Retries int
	// OnFirstFailure, when set, is called once if the first attempt fails
	// (the engine releases the faults waiting on this one then).
	OnFirstFailure func()
}

// RollbackFault rolls inj back through prov, with retries and backoff
// until opts.Deadline (on a context of its own: never the one whose
// cancellation triggered the rollback), each attempt bounded by the call
// timeout even if the provider ignores its context. It always makes at
// least one attempt. It returns the number of attempts and the last error.
func RollbackFault(prov providers.Provider, inj providers.Injection, opts RollbackOptions) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), opts.Deadline)
	defer cancel()
	backoff := 200 * time.Millisecond
	var err error
	attempts := 0
	for attempts <= max(opts.Retries, 0) {
		if attempts > 0 {
			if !sleepCtx(ctx, backoff) {
				break
			}
			backoff *= 2
		}
		attempts++
		actx, acancel := context.WithTimeout(ctx, opts.CallTimeout)
		_, err = call(actx, func(ctx context.Context) (struct{}, error) { return struct{}{}, prov.Rollback(ctx, inj) })
		acancel()
		if err == nil {
			break
		}
		if attempts == 1 && opts.OnFirstFailure != nil {
			opts.OnFirstFailure()
		}
		if ctx.Err() != nil {
			break
		}
	}
	return attempts, err
}

// VerifyFault asks v, until it says clean or opts.Deadline passes, whether
// inj is really gone: right after a rollback the system may still be
// settling (a replica restarting). While it is not clean, the rollback is
// repeated before each new check (rollback is idempotent, and something
// may have appeared after it: an Inject that finished late). When it never
// gets clean, it returns the provider's last answer (what is left) with
// Clean false, or, if the provider never answered, the error.
func VerifyFault(prov providers.Provider, v providers.Verifier, inj providers.Injection, opts RollbackOptions) (providers.Verification, error) {
	ctx, cancel := context.WithTimeout(context.Background(), opts.Deadline)
	defer cancel()
	backoff := 250 * time.Millisecond
	var last providers.Verification
	var lastErr error
	answered := false
	for {
		actx, acancel := context.WithTimeout(ctx, opts.CallTimeout)
		res, err := call(actx, func(ctx context.Context) (providers.Verification, error) { return v.Verify(ctx, inj) })
		acancel()
		switch {
		case err == nil && res.Clean:
			return res, nil
		case err == nil:
			last, answered = res, true
			rctx, rcancel := context.WithTimeout(ctx, opts.CallTimeout)
			_, _ = call(rctx, func(ctx context.Context) (struct{}, error) { return struct{}{}, prov.Rollback(ctx, inj) })
			rcancel()
		case !answered:
			lastErr = err
		}
		if !sleepCtx(ctx, backoff) {
			last.Clean = false
			if !answered {
				return last, lastErr
			}
			return last, nil
		}
		backoff = min(backoff*2, 2*time.Second)
	}
}

// ManualCommand asks prov for the command that finishes rolling back inj
// by hand. ManualRollback only formats a string, so it gets a short bound:
// a provider that hangs there must not hold up the verdict. Without an
// answer it names `gameday recover` on the journal — by its path; a run
// without one (a library caller's) gets the command without an argument
// and a comment saying which journal to give it, never a placeholder a
// reader could paste as it is.
func ManualCommand(prov providers.Provider, inj providers.Injection, journal string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	cmd, err := call(ctx, func(context.Context) (string, error) { return prov.ManualRollback(inj), nil })
	if err != nil || strings.TrimSpace(cmd) == "" {
		if journal == "" {
			return fmt.Sprintf("gameday recover   # give it this run's journal; the %s provider gave no manual command for %s", prov.Name(), inj.FaultID)
		}
		return fmt.Sprintf("gameday recover %s   # the %s provider gave no manual command for %s", shellQuote(journal), prov.Name(), inj.FaultID)
	}
	return cmd
}
