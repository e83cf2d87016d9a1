package sandbox

import (
	"context"
	"errors"
	"net/http"
	"os"
	"time"
)

// The control API, served on 127.0.0.1 by the sandbox's parent process.
// Every request needs "Authorization: Bearer TOKEN" (the token is in the
// state file, mode 0600); anything else gets 401 — except GET /identity,
// which says only which sandbox listens here (see identity.go).
//
//	GET    /identity       {"instance": …, "pid": …}  (no token needed)
//	GET    /ping           {"pid", "lb", "instance", "control"}
//	GET    /running        {"running": n, "configured": n}
//	GET    /status         Status
//	POST   /hooks          HookSpec → 201 Hook; 400 bad spec, 409 no target,
//	                       422 could not be applied (nothing changed)
//	GET    /hooks/{id}     Hook, or 404
//	DELETE /hooks/{id}     undo: 200 Hook (unknown or ended hooks too);
//	                       500 when the undo could not be confirmed
//	POST   /verify         VerifyRequest → VerifyResult (verify.go)
//	GET    /events         ?after=SEQ&wait=25s → EventsResponse, long-poll
//	                       (events.go); without after: the last SEQ at once
//	POST   /lease          providers.LeaseRequest → 201 grant; 409 with the
//	                       holder when another run holds it (lease.go)
//	GET    /lease          the current grant, or 404
//	PUT    /lease/{id}     renew: 200 grant; 404 when it was lost
//	DELETE /lease/{id}     release: 204, idempotent
func (sb *Sandbox) controlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ping", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, pingResponse{PID: os.Getpid(), LB: sb.lbURL, Instance: sb.instance, Control: sb.ctlAddr})
	})
	mux.HandleFunc("GET /running", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, runningResponse{Running: sb.lb.healthy(), Configured: len(sb.replicas)})
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, sb.Status(r.Context()))
	})
	mux.HandleFunc("POST /hooks", func(w http.ResponseWriter, r *http.Request) {
		var spec HookSpec
		if err := decodeBody(r, &spec); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		// Not the request's context: a client that dies mid-request (a
		// SIGKILLed run) must not leave a hook half applied and unregistered.
		// Finished and registered with its label, it can be found and undone.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 15*time.Second)
		defer cancel()
		h, err := sb.hooks.apply(ctx, spec)
		switch {
		case errors.Is(err, errBadSpec):
			writeError(w, http.StatusBadRequest, err.Error())
		case errors.Is(err, errNoTargets):
			writeError(w, http.StatusConflict, err.Error())
		case errors.Is(err, errNotApplied):
			writeError(w, http.StatusUnprocessableEntity, err.Error())
		case err != nil:
			writeError(w, http.StatusInternalServerError, err.Error())
		default:
			writeJSON(w, http.StatusCreated, h)
		}
	})
	mux.HandleFunc("GET /hooks/{id}", func(w http.ResponseWriter, r *http.Request) {
		h, ok := sb.hooks.get(r.PathValue("id"))
		if !ok {
			writeError(w, http.StatusNotFound, "no hook "+r.PathValue("id"))
			return
		}
		writeJSON(w, http.StatusOK, h)
	})
	mux.HandleFunc("DELETE /hooks/{id}", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 15*time.Second)
		defer cancel()
		h, err := sb.hooks.undo(ctx, r.PathValue("id"))
		if err != nil {
			writeError(w, http.StatusInternalServerError, "undo "+h.ID+": "+err.Error())
			return
		}
		writeJSON(w, http.StatusOK, h)
	})
	mux.HandleFunc("POST /verify", func(w http.ResponseWriter, r *http.Request) {
		var req VerifyRequest
		if err := decodeBody(r, &req); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, sb.hooks.verify(r.Context(), req))
	})
	mux.HandleFunc("GET /events", sb.serveEvents)
	mux.HandleFunc("POST /lease", sb.serveLeaseTake)
	mux.HandleFunc("GET /lease", sb.serveLeaseGet)
	mux.HandleFunc("PUT /lease/{id}", sb.serveLeaseRenew)
	mux.HandleFunc("DELETE /lease/{id}", sb.serveLeaseRelease)

	public := http.NewServeMux()
	public.HandleFunc("GET /identity", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, identityResponse{Instance: sb.instance, PID: os.Getpid()})
	})
	public.Handle("/", requireToken(sb.token, mux))
	return public
}

type runningResponse struct {
	Running    int `json:"running"`
	Configured int `json:"configured"`
}
