package app

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	gossh "golang.org/x/crypto/ssh"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
	"github.com/gameday-tui/gameday/share"
)

// sshKey makes a client key.
func sshKey(t *testing.T) gossh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// screenBuffer collects a session's output.
type screenBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *screenBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// text is what was written since from, escape codes taken out.
func (s *screenBuffer) text(from int) (string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return ansi.Strip(s.b.String()[from:]), s.b.Len()
}

// TestSSHConsole: --ssh serves the read-only console of the shared run to
// the authorized keys, at the session's terminal size and following it;
// a watcher's ctrl+x over SSH changes nothing; a session without a
// terminal is told to ask for one; other keys are refused.
func TestSSHConsole(t *testing.T) {
	t.Setenv("GAMEDAY_STATE_DIR", t.TempDir())
	sys := &fakeSystem{id: "ssh", applied: map[string]bool{}}
	srv, err := share.Listen(share.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close("done")
	feed := srv.NewFeed()
	max := 0.5
	plan := &scenarios.Plan{
		Path: "ssh.yaml", Title: "Shared over SSH", Hypothesis: "h", BlastRadius: "b", Rollback: "r",
		Target:      scenarios.Target{Provider: "fakesys"},
		SteadyState: map[scenarios.Metric]scenarios.Bound{scenarios.ErrorRate: {Max: &max}},
		Phases:      scenarios.Phases{Baseline: time.Hour, Fault: time.Minute, Recovery: time.Minute},
	}
	run, err := engine.New(engine.Options{Plan: plan, Provider: sys, Sources: []providers.MetricSource{tickSource{}}, Journal: feed.Journal(io.Discard)})
	if err != nil {
		t.Fatal(err)
	}
	feed.SetNoter(run)
	run.Start(context.Background())
	defer func() { run.AbortNow("test over"); <-run.Done() }()

	good, other := sshKey(t), sshKey(t)
	keys := filepath.Join(t.TempDir(), "authorized_keys")
	optioned := "from=\"10.0.0.1\" " + string(gossh.MarshalAuthorizedKey(other.PublicKey()))
	if err := os.WriteFile(keys, []byte("# the team\n"+string(gossh.MarshalAuthorizedKey(good.PublicKey()))+optioned+"not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var warned []string
	ss, err := listenSSH(sshFlags{addr: "127.0.0.1:0", keys: keys}, srv, func(f string, a ...any) { warned = append(warned, f) }, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ss.Close()
	if len(warned) != 2 {
		t.Errorf("%d warnings about the keys file, want 2 (the key with options, the line that is no key)", len(warned))
	}
	m := regexp.MustCompile(`^ssh -t -p ([0-9]+) 127\.0\.0\.1   \(host key (SHA256:\S+)\)$`).FindStringSubmatch(ss.Line())
	if m == nil {
		t.Fatalf("the ssh line is %q", ss.Line())
	}
	addr := "127.0.0.1:" + m[1]
	var hostKey gossh.PublicKey
	dial := func(signer gossh.Signer) (*gossh.Client, error) {
		return gossh.Dial("tcp", addr, &gossh.ClientConfig{
			User: "sato",
			Auth: []gossh.AuthMethod{gossh.PublicKeys(signer)},
			HostKeyCallback: func(_ string, _ net.Addr, key gossh.PublicKey) error {
				hostKey = key
				return nil
			},
			Timeout: 10 * time.Second,
		})
	}
	if _, err := dial(other); err == nil {
		t.Error("a key with options in the file got in")
	}
	c, err := dial(good)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := gossh.FingerprintSHA256(hostKey); got != m[2] {
		t.Errorf("host key %s, the line says %s", got, m[2])
	}

	// Without a terminal: told to ask for one.
	plain, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	plain.Stderr = &stderr
	if err := plain.Run(""); err == nil || !strings.Contains(stderr.String(), "connect with a terminal") {
		t.Errorf("a session without a terminal: %v, %q", err, stderr.String())
	}

	// With one: the console, at its size.
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if err := sess.RequestPty("xterm", 24, 80, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	in, err := sess.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out screenBuffer
	sess.Stdout = &out
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	waitScreen := func(what string, from int, ok func(string) bool) int {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			s, n := out.text(from)
			if ok(s) {
				return n
			}
			if time.Now().After(deadline) {
				t.Fatalf("the SSH console did not show %s; it showed:\n%s", what, s)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	wide := regexp.MustCompile(`p95 latency\s+[0-9.]+ ms|error rate\s+[0-9.]+ %`)
	at := waitScreen("the console at 80×24", 0, func(s string) bool {
		return strings.Contains(s, "Shared over SSH") && strings.Contains(s, "WATCHING · read-only") && strings.Contains(s, "BASELINE")
	})
	if s, _ := out.text(0); wide.MatchString(s) {
		t.Errorf("at 80×24 the console drew the wide layout:\n%s", s)
	}
	// The teammate's terminal grows: the console follows.
	if err := sess.WindowChange(48, 160); err != nil {
		t.Fatal(err)
	}
	at = waitScreen("the console at 160×48", at, func(s string) bool { return wide.MatchString(s) })
	// ctrl+x and X from the teammate change nothing.
	if _, err := in.Write([]byte{0x18, 'X', '1'}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if ph := run.Snapshot().Phase; ph != engine.Baseline {
		t.Errorf("the run is %s after a watcher's ctrl+x over SSH, want baseline", ph)
	}
	if s, _ := out.text(at); strings.Contains(s, "ABORT") {
		t.Errorf("the SSH console shows ABORT:\n%s", s)
	}
	// q leaves; the run goes on.
	if _, err := in.Write([]byte("q")); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- sess.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("the session ended with %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("q did not end the session")
	}
	if ph := run.Snapshot().Phase; ph != engine.Baseline {
		t.Errorf("the run is %s after the watcher left, want baseline", ph)
	}
	// The host key is kept for the next run.
	again, err := listenSSH(sshFlags{addr: "127.0.0.1:0", keys: keys}, srv, func(string, ...any) {}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if !strings.Contains(again.Line(), m[2]) {
		t.Errorf("a second server has another host key: %s", again.Line())
	}
}
