package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gameday-tui/gameday/providers"
)

// Client talks to a sandbox's control API, in this process or another. It
// implements providers.Provider, Verifier, Planner, RunningCounter and
// TargetCounter (provider.go, verify.go), EventStreamer (events.go),
// Identifier (identity.go), Leaser (lease.go) and Tuned (provider.go). It
// is safe for concurrent use.
type Client struct {
	base  string
	token string
	http  *http.Client
	// local, for the client of a sandbox in this process, is closed when
	// that sandbox is closed.
	local <-chan struct{}

	mu       sync.Mutex
	lbURL    string
	instance string // learnt from the sandbox; "" until then
	pid      int    // the sandbox's parent process; 0 until learnt
}

// NewClient returns a client for the control API at controlAddr
// ("127.0.0.1:PORT") that authenticates with token.
func NewClient(controlAddr, token string) *Client {
	return &Client{
		base:  "http://" + controlAddr,
		token: token,
		http:  &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4, IdleConnTimeout: 30 * time.Second}},
	}
}

// APIError is an error answer of the control API.
type APIError struct {
	Method     string
	Path       string
	StatusCode int
	Message    string
	// holder is the lease holder a 409 of POST /lease names.
	holder *providers.LeaseRequest
}

// Error says which call failed, with the status and the API's message.
func (e *APIError) Error() string {
	return fmt.Sprintf("sandbox control %s %s: %d %s: %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode), e.Message)
}

// nothingChanged reports whether the API refused the request without
// changing anything.
func (e *APIError) nothingChanged() bool {
	switch e.StatusCode {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity:
		return true
	}
	return false
}

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("sandbox control %s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return fmt.Errorf("sandbox control %s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("sandbox control %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("sandbox control %s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error  string                  `json:"error"`
			Holder *providers.LeaseRequest `json:"holder"`
		}
		if json.Unmarshal(b, &e) != nil || e.Error == "" {
			e.Error = string(bytes.TrimSpace(b))
		}
		return &APIError{Method: method, Path: path, StatusCode: resp.StatusCode, Message: e.Error, holder: e.Holder}
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("sandbox control %s %s: decode answer: %w", method, path, err)
		}
	}
	return nil
}

// Ping checks that the control API answers and accepts the token, and
// learns the sandbox's instance ID, pid and load balancer.
func (c *Client) Ping(ctx context.Context) error {
	var p pingResponse
	if err := c.do(ctx, http.MethodGet, "/ping", nil, &p); err != nil {
		return err
	}
	c.learn(p.Instance, p.PID, p.LB)
	return nil
}

// Status returns the sandbox's replicas (name, pid, state, health), its
// database and dependency, its hooks and its running count.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var st Status
	if err := c.do(ctx, http.MethodGet, "/status", nil, &st); err != nil {
		return Status{}, err
	}
	c.learn(st.Instance, st.PID, st.LB)
	return st, nil
}

// Apply applies a fault hook. An *APIError with status 400, 409 or 422
// means nothing was changed. A returned hook whose Error is set was applied
// only in part.
func (c *Client) Apply(ctx context.Context, spec HookSpec) (Hook, error) {
	var h Hook
	if err := c.do(ctx, http.MethodPost, "/hooks", spec, &h); err != nil {
		return Hook{}, err
	}
	return h, nil
}

// Hook returns hook id's current state.
func (c *Client) Hook(ctx context.Context, id string) (Hook, error) {
	var h Hook
	if err := c.do(ctx, http.MethodGet, "/hooks/"+url.PathEscape(id), nil, &h); err != nil {
		return Hook{}, err
	}
	return h, nil
}

// Undo rolls hook id back and returns once that is confirmed. It is
// idempotent: undoing an unknown, expired or rolled-back hook succeeds.
func (c *Client) Undo(ctx context.Context, id string) error {
	_, err := c.UndoHook(ctx, id)
	return err
}

// UndoHook is Undo that also returns the hook's state afterwards (State
// "unknown" for an ID the sandbox does not know).
func (c *Client) UndoHook(ctx context.Context, id string) (Hook, error) {
	var h Hook
	if err := c.do(ctx, http.MethodDelete, "/hooks/"+url.PathEscape(id), nil, &h); err != nil {
		return Hook{}, err
	}
	return h, nil
}

// URL returns the sandbox load balancer's base URL ("" if it cannot be
// learnt within a few seconds).
func (c *Client) URL() string {
	c.mu.Lock()
	lb := c.lbURL
	c.mu.Unlock()
	if lb == "" {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if c.Ping(ctx) == nil {
			c.mu.Lock()
			lb = c.lbURL
			c.mu.Unlock()
		}
	}
	return lb
}

// LoadURL returns the URL load should hit ("" if the sandbox cannot be
// reached to learn it).
func (c *Client) LoadURL() string {
	lb := c.URL()
	if lb == "" {
		return ""
	}
	return lb + LoadPath
}

func (c *Client) setLB(lb string) {
	if lb == "" {
		return
	}
	c.mu.Lock()
	c.lbURL = lb
	c.mu.Unlock()
}

// learn records what the sandbox said of itself; empty values are ignored.
func (c *Client) learn(instance string, pid int, lb string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if instance != "" {
		c.instance = instance
	}
	if pid > 0 {
		c.pid = pid
	}
	if lb != "" {
		c.lbURL = lb
	}
}

func (c *Client) instanceID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.instance
}

func (c *Client) pidOf() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pid
}

// addr returns the control API's address, 127.0.0.1:PORT.
func (c *Client) addr() string { return strings.TrimPrefix(c.base, "http://") }

// localClosed reports whether the client's sandbox lives in this process
// and has been closed.
func (c *Client) localClosed() bool {
	if c.local == nil {
		return false
	}
	select {
	case <-c.local:
		return true
	default:
		return false
	}
}

// gone reports whether the client's sandbox is provably gone, and why: it
// lived in this process and was closed, or its process is not alive and
// its control address refuses connections. It asks nothing of a sandbox it
// never reached (without a pid there is no proof).
func (c *Client) gone(ctx context.Context) (string, bool) {
	pid := c.pidOf()
	if c.localClosed() {
		return fmt.Sprintf("the sandbox (pid %d) was closed", pid), true
	}
	if pid <= 0 {
		return "", false
	}
	if alive, known := processAlive(pid); !known || alive {
		return "", false
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	d := net.Dialer{}
	conn, err := d.DialContext(ctx, "tcp", c.addr())
	if err == nil {
		conn.Close()
		return "", false
	}
	if !isConnectError(err) {
		return "", false
	}
	return fmt.Sprintf("the sandbox (pid %d) is gone: its process is not alive and %s refuses connections", pid, c.addr()), true
}
