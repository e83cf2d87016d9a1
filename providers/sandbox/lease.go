package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/gameday-tui/gameday/providers"
)

// Leases: one run at a time per sandbox. A run asks for the lease before
// it injects anything (POST /lease), renews it while it runs (PUT
// /lease/{id}) and gives it up at the end (DELETE /lease/{id}); a second
// run is refused with 409 and the holder's request, which the client
// turns into a *providers.LeaseHeldError.
//
// Invariants: at most one unexpired lease exists. A lease not renewed
// within its TTL expires by itself, so a run that died does not block the
// sandbox for longer than that; and since the control API serves loopback
// only, the holder's process is on this machine: a lease whose holder
// process is provably dead (a SIGKILLed run) is free at once, as a lock
// file would be. The run that holds the lease may ask again and gets it
// renewed (a restarted console with the same run ID); release is
// idempotent and only ever ends the lease it names.

// DefaultLeaseTTL is the TTL of a lease asked for without one.
const DefaultLeaseTTL = time.Minute

// leaseBody is the body of POST /lease: the request, and the process that
// will hold the lease (the caller's pid; 0 when unknown).
type leaseBody struct {
	providers.LeaseRequest
	PID int `json:"pid,omitempty"`
}

// leaseGrant is the answer of POST /lease and PUT /lease/{id}.
type leaseGrant struct {
	ID        string                 `json:"id"`
	Holder    providers.LeaseRequest `json:"holder"`
	ExpiresAt time.Time              `json:"expires_at"`
	pid       int                    // the holder's process, 0 when unknown
}

// leaseRefusal is the 409 answer of POST /lease.
type leaseRefusal struct {
	Error  string                 `json:"error"`
	Holder providers.LeaseRequest `json:"holder"`
}

// leases holds the sandbox's one lease.
type leases struct {
	mu     sync.Mutex
	holder *leaseGrant // nil when free
	seq    int
}

// currentLocked returns the lease in force at now, if any: unexpired, and
// not held by a process that is provably dead.
func (l *leases) currentLocked(now time.Time) *leaseGrant {
	if h := l.holder; h != nil {
		if !now.Before(h.ExpiresAt) {
			l.holder = nil
		} else if alive, known := processAlive(h.pid); h.pid > 0 && known && !alive {
			l.holder = nil
		}
	}
	return l.holder
}

// take grants req to process pid unless another run holds a lease in
// force, which it returns instead.
func (l *leases) take(req providers.LeaseRequest, pid int, now time.Time) (leaseGrant, *providers.LeaseRequest) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if h := l.currentLocked(now); h != nil {
		if h.Holder.RunID != req.RunID {
			holder := h.Holder
			return leaseGrant{}, &holder
		}
		h.Holder, h.ExpiresAt, h.pid = req, now.Add(req.TTL), pid
		return *h, nil
	}
	l.seq++
	l.holder = &leaseGrant{ID: fmt.Sprintf("l%d-%s", l.seq, randomToken()[:8]), Holder: req, ExpiresAt: now.Add(req.TTL), pid: pid}
	return *l.holder, nil
}

// renew extends lease id by its TTL. A lease that expired is renewed too
// if nobody took the sandbox meanwhile.
func (l *leases) renew(id string, now time.Time) (leaseGrant, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.holder == nil || l.holder.ID != id {
		return leaseGrant{}, false
	}
	l.holder.ExpiresAt = now.Add(l.holder.Holder.TTL)
	return *l.holder, true
}

// release ends lease id if it is the one held.
func (l *leases) release(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.holder != nil && l.holder.ID == id {
		l.holder = nil
	}
}

func (sb *Sandbox) serveLeaseTake(w http.ResponseWriter, r *http.Request) {
	var body leaseBody
	if err := decodeBody(r, &body); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	req := body.LeaseRequest
	if req.TTL == 0 {
		req.TTL = DefaultLeaseTTL
	}
	if req.RunID == "" || req.TTL < 0 || req.TTL > MaxTTL {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("a lease wants a run_id and a ttl in (0, %s]; got run_id %q ttl %s", MaxTTL, req.RunID, req.TTL))
		return
	}
	if req.Since.IsZero() {
		req.Since = time.Now()
	}
	g, held := sb.leases.take(req, body.PID, time.Now())
	if held != nil {
		writeJSON(w, http.StatusConflict, leaseRefusal{Error: (&providers.LeaseHeldError{Holder: *held}).Error(), Holder: *held})
		return
	}
	writeJSON(w, http.StatusCreated, g)
}

func (sb *Sandbox) serveLeaseRenew(w http.ResponseWriter, r *http.Request) {
	g, ok := sb.leases.renew(r.PathValue("id"), time.Now())
	if !ok {
		writeError(w, http.StatusNotFound, "no lease "+r.PathValue("id")+": it expired and the sandbox was leased again, or it was released")
		return
	}
	writeJSON(w, http.StatusOK, g)
}

func (sb *Sandbox) serveLeaseRelease(w http.ResponseWriter, r *http.Request) {
	sb.leases.release(r.PathValue("id"))
	w.WriteHeader(http.StatusNoContent)
}

func (sb *Sandbox) serveLeaseGet(w http.ResponseWriter, _ *http.Request) {
	sb.leases.mu.Lock()
	h := sb.leases.currentLocked(time.Now())
	var g *leaseGrant
	if h != nil {
		c := *h
		g = &c
	}
	sb.leases.mu.Unlock()
	if g == nil {
		writeError(w, http.StatusNotFound, "the sandbox is not leased")
		return
	}
	writeJSON(w, http.StatusOK, g)
}

// Lease asks for the sandbox for one run, held by this process. Another
// run's lease in force makes it fail with an error wrapping
// *providers.LeaseHeldError (and so matching providers.ErrLeaseHeld) that
// names that run. req.TTL 0 means DefaultLeaseTTL; the lease expires at
// its TTL unless renewed, and at once if this process dies.
func (c *Client) Lease(ctx context.Context, req providers.LeaseRequest) (providers.Lease, error) {
	var g leaseGrant
	err := c.do(ctx, http.MethodPost, "/lease", leaseBody{LeaseRequest: req, PID: os.Getpid()}, &g)
	var ae *APIError
	if errors.As(err, &ae) && ae.StatusCode == http.StatusConflict && ae.holder != nil {
		return nil, fmt.Errorf("lease the sandbox: %w", &providers.LeaseHeldError{Holder: *ae.holder})
	}
	if err != nil {
		return nil, fmt.Errorf("lease the sandbox: %w", err)
	}
	return &sandboxLease{c: c, id: g.ID}, nil
}

// sandboxLease is a granted lease.
type sandboxLease struct {
	c  *Client
	id string
}

// Renew extends the lease by its TTL. It fails when the lease was lost:
// it expired and another run took the sandbox, or it was released.
func (l *sandboxLease) Renew(ctx context.Context) error {
	var g leaseGrant
	if err := l.c.do(ctx, http.MethodPut, "/lease/"+url.PathEscape(l.id), nil, &g); err != nil {
		return fmt.Errorf("renew the sandbox lease %s: %w", l.id, err)
	}
	return nil
}

// Release gives the sandbox up. It is idempotent; a sandbox that is gone
// (nobody listens) took the lease with it, which is no error.
func (l *sandboxLease) Release(ctx context.Context) error {
	err := l.c.do(ctx, http.MethodDelete, "/lease/"+url.PathEscape(l.id), nil, nil)
	if err != nil && !isConnectError(err) {
		return fmt.Errorf("release the sandbox lease %s: %w", l.id, err)
	}
	return nil
}
