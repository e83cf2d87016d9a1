package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// State is what a running `gameday sandbox` writes to its state file so
// that a console or headless run started later attaches to it. The file
// holds the control token, so it is written with mode 0600.
type State struct {
	Control  string `json:"control"` // control API address, 127.0.0.1:PORT
	Token    string `json:"token"`
	LB       string `json:"lb"` // load balancer base URL
	PID      int    `json:"pid"`
	Replicas int    `json:"replicas"`
	Fragile  bool   `json:"fragile"`
	// Instance is the sandbox's instance ID (see Identity); empty in state
	// files written before sandboxes had one.
	Instance string `json:"instance,omitempty"`
}

// StateDirEnv overrides the directory of the state file (tests use it).
const StateDirEnv = "GAMEDAY_STATE_DIR"

// ErrNoSandbox is returned by Discover when no sandbox is running.
var ErrNoSandbox = errors.New("no sandbox running")

// StatePath returns the state file's path: $GAMEDAY_STATE_DIR/sandbox.json
// if that is set, else $XDG_STATE_HOME/gameday/sandbox.json, else
// ~/.local/state/gameday/sandbox.json.
func StatePath() (string, error) {
	if dir := os.Getenv(StateDirEnv); dir != "" {
		return filepath.Join(dir, "sandbox.json"), nil
	}
	if dir := os.Getenv("XDG_STATE_HOME"); dir != "" && filepath.IsAbs(dir) {
		return filepath.Join(dir, "gameday", "sandbox.json"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the sandbox state file: %w", err)
	}
	return filepath.Join(home, ".local", "state", "gameday", "sandbox.json"), nil
}

// WriteState writes st to the state file, atomically, readable by the user
// alone.
func WriteState(st State) error {
	path, err := StatePath()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write sandbox state: %w", err)
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("write sandbox state: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".sandbox-*.json")
	if err != nil {
		return fmt.Errorf("write sandbox state: %w", err)
	}
	defer os.Remove(f.Name()) // after a successful rename there is nothing to remove
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("write sandbox state %s: %w", path, err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("write sandbox state %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write sandbox state %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write sandbox state %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write sandbox state %s: %w", path, err)
	}
	return nil
}

// ReadState reads the state file. A missing file is an error wrapping
// fs.ErrNotExist.
func ReadState() (State, error) {
	path, err := StatePath()
	if err != nil {
		return State{}, err
	}
	return readStateAt(path)
}

// readStateAt reads the state file at path.
func readStateAt(path string) (State, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return State{}, fmt.Errorf("read sandbox state: %w", err)
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return State{}, fmt.Errorf("read sandbox state %s: %w", path, err)
	}
	if st.Control == "" || st.Token == "" {
		return State{}, fmt.Errorf("read sandbox state %s: no control address or token", path)
	}
	return st, nil
}

// RemoveState removes the state file. A missing file is fine.
func RemoveState() error {
	path, err := StatePath()
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove sandbox state: %w", err)
	}
	return nil
}

// discoverTimeout bounds the ping Discover makes.
const discoverTimeout = 2 * time.Second

// Discover finds a running sandbox from the state file and checks that its
// control API answers with the token. It returns an error wrapping
// ErrNoSandbox when there is no state file or it is stale (nobody answers,
// or the token is refused); the file is left alone.
func Discover(ctx context.Context) (*Client, State, error) {
	st, err := ReadState()
	if errors.Is(err, fs.ErrNotExist) {
		return nil, State{}, ErrNoSandbox
	}
	if err != nil {
		return nil, State{}, fmt.Errorf("%w (%v)", ErrNoSandbox, err)
	}
	c := NewClient(st.Control, st.Token)
	c.setLB(st.LB)
	c.learn(st.Instance, st.PID, st.LB)
	ctx, cancel := context.WithTimeout(ctx, discoverTimeout)
	defer cancel()
	if err := c.Ping(ctx); err != nil {
		path, _ := StatePath()
		return nil, State{}, fmt.Errorf("%w (stale state file %s: %v)", ErrNoSandbox, path, err)
	}
	return c, st, nil
}
