package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"runtime/debug"
	"sort"
	"sync"
	"time"
)

// resilience is how a replica protects itself from its database and its
// dependency. The resilient settings keep a replica answering well under
// 200 ms during a dependency blackhole once the breaker is open; the fragile
// ones turn every protection off, so an outage shows as errors and timeouts.
type resilience struct {
	dbTimeout  time.Duration // per attempt
	dbAttempts int
	dbBackoff  time.Duration // first retry waits up to this (doubled each time, plus jitter)
	depTimeout time.Duration
	breaker    bool // circuit breaker with cached fallback on the dependency
}

var (
	resilient = resilience{dbTimeout: 100 * time.Millisecond, dbAttempts: 3, dbBackoff: 20 * time.Millisecond, depTimeout: 100 * time.Millisecond, breaker: true}
	fragile   = resilience{dbTimeout: 5 * time.Second, dbAttempts: 1, depTimeout: 10 * time.Second}
)

// Breaker settings: open after breakerThreshold consecutive failures, probe
// again after breakerCooldown.
const (
	breakerThreshold = 5
	breakerCooldown  = 3 * time.Second
)

// Limits on stress requests, so a typo cannot take the machine down.
const (
	maxWorkers  = 64
	maxMemoryMB = 8192
)

// replica is one replica of the sandbox API: GET /api/users/{id} reads the
// user from the database and the profile from the dependency.
type replica struct {
	name    string
	token   string
	res     resilience
	db      *dbClient
	depURL  string
	client  *http.Client
	breaker *breaker

	cacheMu sync.Mutex
	cache   map[string]json.RawMessage // last good profile per user ID

	stressMu sync.Mutex
	cpu      map[string]*cpuStress
	memory   map[string]*memoryStress
}

type cpuStress struct {
	Workers int           `json:"workers"`
	Load    int           `json:"load"`
	Until   time.Time     `json:"until"`
	stop    func()        // cancels the burners
	timer   *time.Timer   // ends it at Until
	done    chan struct{} // closed when every burner has returned
}

type memoryStress struct {
	MB    int       `json:"mb"`
	Until time.Time `json:"until"`
	buf   []byte
	timer *time.Timer
}

func newReplica(cfg childConfig) *replica {
	res := resilient
	if cfg.Fragile {
		res = fragile
	}
	return &replica{
		name:    cfg.Name,
		token:   cfg.AdminToken,
		res:     res,
		db:      newDBClient(cfg.DatabaseAddr),
		depURL:  "http://" + cfg.DependencyAddr,
		client:  &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second, DialContext: dialer(5 * time.Second)}},
		breaker: newBreaker(breakerThreshold, breakerCooldown),
		cache:   map[string]json.RawMessage{},
		cpu:     map[string]*cpuStress{},
		memory:  map[string]*memoryStress{},
	}
}

func (rp *replica) serve(ctx context.Context, ln net.Listener) error {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/users/{id}", rp.getUser)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		h := healthzResponse{Status: "ok", Replica: rp.name}
		if rp.res.breaker {
			br := rp.breaker.report()
			h.Breaker = &br
		}
		writeJSON(w, http.StatusOK, h)
	})
	admin := http.NewServeMux()
	admin.HandleFunc("POST /_admin/cpu", rp.startCPU)
	admin.HandleFunc("DELETE /_admin/cpu/{id}", rp.stopCPU)
	admin.HandleFunc("POST /_admin/memory", rp.startMemory)
	admin.HandleFunc("DELETE /_admin/memory/{id}", rp.stopMemory)
	admin.HandleFunc("GET /_admin/status", rp.status)
	mux.Handle("/_admin/", requireToken(rp.token, admin))
	return serveHTTP(ctx, ln, mux)
}

// userResponse is the body of a successful GET /api/users/{id}.
type userResponse struct {
	Replica string          `json:"replica"`
	User    json.RawMessage `json:"user"`
	Profile json.RawMessage `json:"profile"`
	// ProfileSource says where the profile came from: "live" (the
	// dependency), "cache" (the last good value, served because the call
	// failed or the breaker is open) or "none" (no value known).
	ProfileSource string `json:"profile_source"`
}

func (rp *replica) getUser(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !validID(id) {
		writeError(w, http.StatusBadRequest, "user id must be a positive number")
		return
	}
	user, err := rp.lookupUser(r.Context(), id)
	switch {
	case errors.Is(err, errNotFound):
		writeError(w, http.StatusNotFound, "no user "+id)
		return
	case err != nil:
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	profile, source, err := rp.profile(r.Context(), id)
	if err != nil {
		writeError(w, http.StatusBadGateway, err.Error())
		return
	}
	w.Header().Set("X-Profile-Source", source)
	writeJSON(w, http.StatusOK, userResponse{Replica: rp.name, User: json.RawMessage(user), Profile: profile, ProfileSource: source})
}

// lookupUser reads a user from the database: resilient replicas retry with
// exponential backoff and full jitter; a missing user is not retried.
func (rp *replica) lookupUser(ctx context.Context, id string) (string, error) {
	var err error
	for attempt := range rp.res.dbAttempts {
		if attempt > 0 {
			backoff := rp.res.dbBackoff << (attempt - 1)
			wait := backoff/2 + rand.N(backoff/2+1)
			select {
			case <-ctx.Done():
				return "", fmt.Errorf("database: %w", ctx.Err())
			case <-time.After(wait):
			}
		}
		var v string
		v, err = rp.db.get(ctx, "user:"+id, rp.res.dbTimeout)
		if err == nil || errors.Is(err, errNotFound) {
			return v, err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return "", fmt.Errorf("database: %w", err)
}

// profile returns the user's profile and where it came from. A fragile
// replica returns the dependency's error; a resilient one falls back to the
// cache and never fails.
func (rp *replica) profile(ctx context.Context, id string) (json.RawMessage, string, error) {
	if !rp.res.breaker {
		p, err := rp.fetchProfile(ctx, id)
		if err != nil {
			return nil, "", err
		}
		return p, "live", nil
	}
	if rp.breaker.allow(time.Now()) {
		p, err := rp.fetchProfile(ctx, id)
		if err == nil {
			rp.breaker.success()
			rp.cacheMu.Lock()
			if len(rp.cache) < databaseUsers {
				rp.cache[id] = p
			} else if _, ok := rp.cache[id]; ok {
				rp.cache[id] = p
			}
			rp.cacheMu.Unlock()
			return p, "live", nil
		}
		rp.breaker.failure(time.Now())
	}
	rp.cacheMu.Lock()
	p, ok := rp.cache[id]
	rp.cacheMu.Unlock()
	if ok {
		return p, "cache", nil
	}
	return json.RawMessage("null"), "none", nil
}

func (rp *replica) fetchProfile(ctx context.Context, id string) (json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, rp.res.depTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rp.depURL+"/profiles/"+id, nil)
	if err != nil {
		return nil, fmt.Errorf("dependency: %w", err)
	}
	resp, err := rp.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("dependency: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("dependency: read profile: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("dependency answered %s", resp.Status)
	}
	if !json.Valid(body) {
		return nil, errors.New("dependency answered invalid JSON")
	}
	return json.RawMessage(body), nil
}

// stressRequest is the body of POST /_admin/cpu and /_admin/memory.
type stressRequest struct {
	ID       string        `json:"id"`
	Workers  int           `json:"workers,omitempty"`
	Load     int           `json:"load,omitempty"`
	MemoryMB int           `json:"memory_mb,omitempty"`
	TTL      time.Duration `json:"ttl"`
}

func (rp *replica) startCPU(w http.ResponseWriter, r *http.Request) {
	var req stressRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if req.ID == "" || req.TTL <= 0 || req.Workers < 1 || req.Workers > maxWorkers || req.Load < 1 || req.Load > 100 {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("cpu stress wants an id, a positive ttl, workers 1..%d and load 1..100; got %+v", maxWorkers, req))
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &cpuStress{Workers: req.Workers, Load: req.Load, Until: time.Now().Add(req.TTL), stop: cancel, done: make(chan struct{})}
	var wg sync.WaitGroup
	for range req.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			burn(ctx, req.Load)
		}()
	}
	go func() {
		wg.Wait()
		close(s.done)
	}()
	rp.stressMu.Lock()
	if old, ok := rp.cpu[req.ID]; ok {
		old.end()
	}
	rp.cpu[req.ID] = s
	id := req.ID
	s.timer = time.AfterFunc(req.TTL, func() { rp.endCPU(id, s) })
	rp.stressMu.Unlock()
	writeJSON(w, http.StatusOK, s)
}

func (s *cpuStress) end() {
	s.timer.Stop()
	s.stop()
	<-s.done
}

// endCPU ends stress s if it is still the one registered under id.
func (rp *replica) endCPU(id string, s *cpuStress) {
	rp.stressMu.Lock()
	if rp.cpu[id] == s {
		delete(rp.cpu, id)
	}
	rp.stressMu.Unlock()
	s.end()
}

func (rp *replica) stopCPU(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	rp.stressMu.Lock()
	s, ok := rp.cpu[id]
	rp.stressMu.Unlock()
	if ok {
		rp.endCPU(id, s)
	}
	w.WriteHeader(http.StatusNoContent)
}

// burn keeps one goroutine busy load percent of every 100 ms until ctx is
// done.
func burn(ctx context.Context, load int) {
	const period = 100 * time.Millisecond
	busy := period * time.Duration(load) / 100
	x := uint64(1)
	for ctx.Err() == nil {
		start := time.Now()
		for time.Since(start) < busy {
			for range 1000 {
				x = x*6364136223846793005 + 1442695040888963407
			}
		}
		if rest := period - busy; rest > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(rest):
			}
		}
	}
	_ = x
}

func (rp *replica) startMemory(w http.ResponseWriter, r *http.Request) {
	var req stressRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if req.ID == "" || req.TTL <= 0 || req.MemoryMB < 1 || req.MemoryMB > maxMemoryMB {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("memory stress wants an id, a positive ttl and memory_mb 1..%d; got %+v", maxMemoryMB, req))
		return
	}
	buf := make([]byte, req.MemoryMB<<20)
	for i := 0; i < len(buf); i += 4096 {
		buf[i] = 1 // touch every page so it is really resident
	}
	s := &memoryStress{MB: req.MemoryMB, Until: time.Now().Add(req.TTL), buf: buf}
	rp.stressMu.Lock()
	old := rp.memory[req.ID]
	if old != nil {
		old.timer.Stop()
		old.buf = nil
	}
	rp.memory[req.ID] = s
	id := req.ID
	s.timer = time.AfterFunc(req.TTL, func() { rp.endMemory(id, s) })
	rp.stressMu.Unlock()
	if old != nil {
		freeMemory()
	}
	writeJSON(w, http.StatusOK, s)
}

// endMemory frees stress s if it is still the one registered under id.
func (rp *replica) endMemory(id string, s *memoryStress) {
	rp.stressMu.Lock()
	if rp.memory[id] == s {
		delete(rp.memory, id)
	}
	s.timer.Stop()
	s.buf = nil
	rp.stressMu.Unlock()
	freeMemory()
}

// freeMemory returns freed memory to the operating system at once, so the
// process's resident size drops when a memory stress ends.
func freeMemory() { debug.FreeOSMemory() }

func (rp *replica) stopMemory(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	rp.stressMu.Lock()
	s, ok := rp.memory[id]
	rp.stressMu.Unlock()
	if ok {
		rp.endMemory(id, s)
	}
	w.WriteHeader(http.StatusNoContent)
}

// replicaStatus is what GET /_admin/status returns.
type replicaStatus struct {
	Name      string   `json:"name"`
	CPUHooks  []string `json:"cpu_hooks,omitempty"`
	Burners   int      `json:"burners"`
	MemHooks  []string `json:"memory_hooks,omitempty"`
	HeldMB    int      `json:"held_mb"`
	Breaker   string   `json:"breaker"`
	CacheSize int      `json:"cache_size"`
}

func (rp *replica) status(w http.ResponseWriter, _ *http.Request) {
	st := replicaStatus{Name: rp.name, Breaker: "off"}
	if rp.res.breaker {
		st.Breaker = rp.breaker.current().String()
	}
	rp.stressMu.Lock()
	for id, s := range rp.cpu {
		st.CPUHooks = append(st.CPUHooks, id)
		st.Burners += s.Workers
	}
	for id, s := range rp.memory {
		st.MemHooks = append(st.MemHooks, id)
		st.HeldMB += s.MB
	}
	rp.stressMu.Unlock()
	sort.Strings(st.CPUHooks)
	sort.Strings(st.MemHooks)
	rp.cacheMu.Lock()
	st.CacheSize = len(rp.cache)
	rp.cacheMu.Unlock()
	writeJSON(w, http.StatusOK, st)
}
