package sandbox

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Dependency modes: how the external-dependency process answers.
const (
	DependencyNormal    = "normal"
	DependencyBlackhole = "blackhole" // requests are accepted, then hang
	DependencyError     = "error"     // requests fail with 503
)

// dependency is the external-dependency process: an HTTP server that
// returns a user's profile as JSON at GET /profiles/{id}. Its mode is set
// through the admin API with a TTL that the process enforces itself.
type dependency struct {
	token string

	mu      sync.Mutex
	mode    string
	hookID  string
	until   time.Time
	timer   *time.Timer
	changed chan struct{} // closed and replaced at every mode change
}

func newDependency(cfg childConfig) *dependency {
	return &dependency{token: cfg.AdminToken, mode: DependencyNormal, changed: make(chan struct{})}
}

func (d *dependency) serve(ctx context.Context, ln net.Listener) error {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /profiles/{id}", d.profile)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, map[string]string{"status": "ok"}) })
	admin := http.NewServeMux()
	admin.HandleFunc("POST /_admin/mode", d.setMode)
	admin.HandleFunc("DELETE /_admin/mode/{id}", d.clearMode)
	admin.HandleFunc("GET /_admin/status", d.status)
	mux.Handle("/_admin/", requireToken(d.token, admin))
	return serveHTTP(ctx, ln, mux)
}

func (d *dependency) current() (string, <-chan struct{}) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.mode, d.changed
}

func (d *dependency) profile(w http.ResponseWriter, r *http.Request) {
	for {
		mode, changed := d.current()
		switch mode {
		case DependencyBlackhole:
			// Hang until the caller gives up or the blackhole ends.
			select {
			case <-r.Context().Done():
				return
			case <-changed:
				continue
			}
		case DependencyError:
			writeError(w, http.StatusServiceUnavailable, "dependency unavailable")
			return
		}
		break
	}
	id := r.PathValue("id")
	if !validID(id) {
		writeError(w, http.StatusBadRequest, "bad profile id")
		return
	}
	n, _ := strconv.Atoi(id)
	tiers := []string{"bronze", "silver", "gold"}
	writeJSON(w, http.StatusOK, map[string]any{
		"id":     n,
		"tier":   tiers[n%len(tiers)],
		"score":  (n * 7919) % 1000,
		"served": time.Now().UTC().Format(time.RFC3339Nano),
	})
}

// modeRequest is the body of POST /_admin/mode.
type modeRequest struct {
	ID   string        `json:"id"`
	Mode string        `json:"mode"`
	TTL  time.Duration `json:"ttl"`
}

func (d *dependency) setMode(w http.ResponseWriter, r *http.Request) {
	var req modeRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if req.Mode != DependencyBlackhole && req.Mode != DependencyError || req.TTL <= 0 || req.ID == "" {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("want mode blackhole or error, a positive ttl and an id; got mode %q ttl %s id %q", req.Mode, req.TTL, req.ID))
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil {
		d.timer.Stop()
	}
	d.setLocked(req.Mode, req.ID, time.Now().Add(req.TTL))
	id := req.ID
	d.timer = time.AfterFunc(req.TTL, func() { d.reset(id) })
	writeJSON(w, http.StatusOK, d.statusLocked())
}

func (d *dependency) clearMode(w http.ResponseWriter, r *http.Request) {
	d.reset(r.PathValue("id"))
	d.mu.Lock()
	defer d.mu.Unlock()
	writeJSON(w, http.StatusOK, d.statusLocked())
}

// reset returns to normal if the mode in force was set by hook id; a later
// hook's mode is left alone.
func (d *dependency) reset(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.hookID != id {
		return
	}
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	d.setLocked(DependencyNormal, "", time.Time{})
}

func (d *dependency) setLocked(mode, id string, until time.Time) {
	d.mode, d.hookID, d.until = mode, id, until
	close(d.changed)
	d.changed = make(chan struct{})
}

// dependencyStatus is what GET /_admin/status returns.
type dependencyStatus struct {
	Mode   string    `json:"mode"`
	HookID string    `json:"hook_id,omitempty"`
	Until  time.Time `json:"until,omitzero"`
}

func (d *dependency) status(w http.ResponseWriter, _ *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	writeJSON(w, http.StatusOK, d.statusLocked())
}

func (d *dependency) statusLocked() dependencyStatus {
	return dependencyStatus{Mode: d.mode, HookID: d.hookID, Until: d.until}
}
