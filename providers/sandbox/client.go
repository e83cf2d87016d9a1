package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Client talks to a sandbox's control API, in this process or another. It
// implements providers.Provider, Verifier, Planner and RunningCounter (see
// provider.go). It is safe for concurrent use.
type Client struct {
	base  string
	token string
	http  *http.Client

	mu    sync.Mutex
	lbURL string
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
			Error string `json:"error"`
		}
		if json.Unmarshal(b, &e) != nil || e.Error == "" {
			e.Error = string(bytes.TrimSpace(b))
		}
		return &APIError{Method: method, Path: path, StatusCode: resp.StatusCode, Message: e.Error}
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("sandbox control %s %s: decode answer: %w", method, path, err)
		}
	}
	return nil
}

// Ping checks that the control API answers and accepts the token.
func (c *Client) Ping(ctx context.Context) error {
	var p pingResponse
	if err := c.do(ctx, http.MethodGet, "/ping", nil, &p); err != nil {
		return err
	}
	c.setLB(p.LB)
	return nil
}

// Status returns the sandbox's replicas (name, pid, state, health), its
// database and dependency, its hooks and its running count.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var st Status
	if err := c.do(ctx, http.MethodGet, "/status", nil, &st); err != nil {
		return Status{}, err
	}
	c.setLB(st.LB)
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
	return lb + loadPath
}

func (c *Client) setLB(lb string) {
	if lb == "" {
		return
	}
	c.mu.Lock()
	c.lbURL = lb
	c.mu.Unlock()
}
