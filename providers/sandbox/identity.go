package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gameday-tui/gameday/providers"
)

// Identity: every sandbox gets a random instance ID when it starts. A run
// journals the identity of the sandbox it acted on (providers.Identity:
// instance ID, control address, pid, load balancer — no token), and
// `gameday recover` hands it to Reach, which either connects to that very
// sandbox, proves it gone, or says what it could not check.
//
// Invariants:
//   - The instance ID is never reused: a sandbox restarted on the same
//     port, or another one, has another ID.
//   - GET /identity answers the instance ID and pid without a token (they
//     are not secrets; they are journaled), so that whoever lacks the
//     token can still tell which sandbox listens at an address. Nothing
//     else is served without the token.
//   - Reach confirms nothing it has not verified: "gone" needs the pid not
//     alive and the control address refusing (or held by another
//     sandbox); everything short of that, or of a client that reaches the
//     same instance with its token, is an *UncheckedError.

// Fields of a sandbox's providers.Identity.
const (
	IdentityControl = "control" // control API address, 127.0.0.1:PORT
	IdentityPID     = "pid"     // the sandbox's parent process
	IdentityLB      = "lb"      // load balancer base URL
)

// identityResponse is the answer of GET /identity (no token needed).
type identityResponse struct {
	Instance string `json:"instance"`
	PID      int    `json:"pid"`
}

// pingResponse is the answer of GET /ping.
type pingResponse struct {
	PID      int    `json:"pid"`
	LB       string `json:"lb"`
	Instance string `json:"instance"`
	Control  string `json:"control"`
}

// identity returns the sandbox's identity from what it knows of itself.
func identity(instance, control string, pid int, lb string) providers.Identity {
	return providers.Identity{Provider: ProviderName, ID: instance, Fields: map[string]string{
		IdentityControl: control, IdentityPID: strconv.Itoa(pid), IdentityLB: lb,
	}}
}

// Identity returns the sandbox's identity: what a run journals.
func (sb *Sandbox) Identity() providers.Identity {
	return identity(sb.instance, sb.ctlAddr, os.Getpid(), sb.lbURL)
}

// Identity asks the sandbox who it is: providers.Identity{Provider
// "sandbox", ID its instance ID, Fields control, pid, lb}. It implements
// providers.Identifier.
func (c *Client) Identity(ctx context.Context) (providers.Identity, error) {
	var p pingResponse
	if err := c.do(ctx, http.MethodGet, "/ping", nil, &p); err != nil {
		return providers.Identity{}, fmt.Errorf("identify the sandbox: %w", err)
	}
	c.learn(p.Instance, p.PID, p.LB)
	return identity(p.Instance, c.addr(), p.PID, p.LB), nil
}

// publicIdentity asks GET /identity, without the token.
func (c *Client) publicIdentity(ctx context.Context) (identityResponse, error) {
	var id identityResponse
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/identity", nil)
	if err != nil {
		return id, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return id, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return id, err
	}
	if resp.StatusCode != http.StatusOK {
		return id, fmt.Errorf("GET /identity: %s", resp.Status)
	}
	if err := json.Unmarshal(b, &id); err != nil || id.Instance == "" {
		return id, fmt.Errorf("GET /identity: not a sandbox's answer: %q", b)
	}
	return id, nil
}

// ErrSandboxGone is matched (errors.Is) by a *GoneError.
var ErrSandboxGone = errors.New("the sandbox is gone")

// ErrUnchecked is matched (errors.Is) by an *UncheckedError.
var ErrUnchecked = errors.New("could not check the sandbox")

// GoneError says that the sandbox of an identity is provably gone: its
// process is not alive and its control address refuses connections, or is
// held by another sandbox. Every fault it applied ended with it. It also
// matches ErrNoSandbox.
type GoneError struct {
	Identity providers.Identity
	// Evidence says what was checked: "pid 4242 is not alive",
	// "127.0.0.1:41234 refuses connections".
	Evidence []string
}

func (e *GoneError) Error() string {
	return fmt.Sprintf("the %s is gone (%s); its faults ended with it", e.Identity, strings.Join(e.Evidence, "; "))
}

// Is makes errors.Is(err, ErrSandboxGone) and errors.Is(err, ErrNoSandbox)
// true.
func (e *GoneError) Is(target error) bool { return target == ErrSandboxGone || target == ErrNoSandbox }

// UncheckedError says that Reach could neither reach the sandbox of an
// identity with its token nor prove it gone, and what it could not check.
// Nothing about that sandbox's faults may be confirmed: not rolled back,
// not ended.
type UncheckedError struct {
	Identity providers.Identity
	// Reasons say what could not be checked, and why: "no state file I
	// can read holds its token (looked in …)", "pid 4242 is alive but
	// 127.0.0.1:41234 refuses connections".
	Reasons []string
	// Err is the underlying error of the last call, if any.
	Err error
}

func (e *UncheckedError) Error() string {
	return fmt.Sprintf("could not check the %s: %s", e.Identity, strings.Join(e.Reasons, "; "))
}

// Unwrap returns the underlying error.
func (e *UncheckedError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrUnchecked) true.
func (e *UncheckedError) Is(target error) bool { return target == ErrUnchecked }

// reachTimeout bounds each call Reach makes.
const reachTimeout = 3 * time.Second

// Reach connects to the very sandbox id names (as Identity returned it and
// a run journaled it). It looks for that instance's token in every state
// file it can find (StatePaths), asks the journaled control address who
// answers there (GET /identity, no token needed) and checks the journaled
// pid. It returns:
//   - a *Client, when the sandbox at the control address is that instance
//     and accepts the token from its state file;
//   - a *GoneError, when that sandbox is provably gone: its pid is not
//     alive, and its control address refuses connections or is held by
//     another sandbox;
//   - an *UncheckedError otherwise, saying what could not be checked: the
//     sandbox answers but no readable state file holds its token (recover
//     run with another HOME or state directory), its pid is alive but the
//     control address does not answer, the journal lacks an instance ID,
//     liveness cannot be checked on this system, …
func Reach(ctx context.Context, id providers.Identity) (*Client, error) {
	unchecked := func(err error, reasons ...string) error {
		return &UncheckedError{Identity: id, Reasons: reasons, Err: err}
	}
	if id.Provider != ProviderName {
		return nil, unchecked(nil, fmt.Sprintf("the identity is of provider %q, not the sandbox", id.Provider))
	}
	if id.ID == "" {
		return nil, unchecked(nil, "the journal does not record which sandbox instance the run acted on")
	}
	control := id.Fields[IdentityControl]
	pid, _ := strconv.Atoi(id.Fields[IdentityPID])
	st, found, looked := findState(id.ID)
	if control == "" && found {
		control = st.Control
	}
	if control == "" {
		return nil, unchecked(nil, "the journal does not record the sandbox's control address, and no state file describes its instance (looked in "+strings.Join(looked, ", ")+")")
	}

	probe := NewClient(control, "")
	pctx, cancel := context.WithTimeout(ctx, reachTimeout)
	who, err := probe.publicIdentity(pctx)
	cancel()
	probe.http.CloseIdleConnections()
	alive, known := false, false
	if pid > 0 {
		alive, known = processAlive(pid)
	}
	pidState := func() string {
		switch {
		case pid <= 0:
			return "the journal does not record its pid"
		case !known:
			return fmt.Sprintf("whether pid %d is alive cannot be checked on this system", pid)
		case alive:
			return fmt.Sprintf("pid %d is alive", pid)
		}
		return fmt.Sprintf("pid %d is not alive", pid)
	}

	switch {
	case err == nil && who.Instance == id.ID:
		if !found {
			return nil, unchecked(nil, fmt.Sprintf("the sandbox (pid %d) is running at %s, but no state file I can read holds its token (looked in %s); run recover with the run's HOME or %s", who.PID, control, strings.Join(looked, ", "), StateDirEnv))
		}
		c := NewClient(control, st.Token)
		c.setLB(st.LB)
		cctx, cancel := context.WithTimeout(ctx, reachTimeout)
		defer cancel()
		if perr := c.Ping(cctx); perr != nil {
			return nil, unchecked(perr, fmt.Sprintf("the sandbox at %s refused the token of its state file: %v", control, perr))
		}
		if c.instanceID() != id.ID {
			return nil, unchecked(nil, fmt.Sprintf("the sandbox at %s is instance %s, not %s", control, c.instanceID(), id.ID))
		}
		return c, nil

	case err == nil: // another sandbox holds the address
		other := fmt.Sprintf("%s now answers as another sandbox (instance %s, pid %d)", control, who.Instance, who.PID)
		if known && !alive {
			return nil, &GoneError{Identity: id, Evidence: []string{pidState(), other}}
		}
		return nil, unchecked(nil, other, pidState())

	case isConnectError(err):
		refused := control + " refuses connections"
		if known && !alive {
			return nil, &GoneError{Identity: id, Evidence: []string{pidState(), refused}}
		}
		return nil, unchecked(err, refused, pidState())
	}
	return nil, unchecked(err, fmt.Sprintf("%s did not answer: %v", control, err), pidState())
}

// StatePaths returns every place a state file may be, whichever of
// GAMEDAY_STATE_DIR, XDG_STATE_HOME and HOME a sandbox was started with:
// StatePath first, then the others, without repeats.
func StatePaths() []string {
	var paths []string
	add := func(p string) {
		for _, q := range paths {
			if q == p {
				return
			}
		}
		paths = append(paths, p)
	}
	if p, err := StatePath(); err == nil {
		add(p)
	}
	if dir := os.Getenv(StateDirEnv); dir != "" {
		add(filepath.Join(dir, "sandbox.json"))
	}
	if dir := os.Getenv("XDG_STATE_HOME"); dir != "" && filepath.IsAbs(dir) {
		add(filepath.Join(dir, "gameday", "sandbox.json"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		add(filepath.Join(home, ".local", "state", "gameday", "sandbox.json"))
	}
	return paths
}

// findState returns the state of instance from the first state file that
// describes it, and every path it looked in.
func findState(instance string) (State, bool, []string) {
	paths := StatePaths()
	for _, p := range paths {
		st, err := readStateAt(p)
		if err == nil && st.Instance == instance {
			return st, true, paths
		}
	}
	return State{}, false, paths
}
