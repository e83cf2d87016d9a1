package app

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/gliderlabs/ssh"
	"github.com/spf13/pflag"
	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/net/netutil"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/share"
	"github.com/gameday-tui/gameday/tui"
)

// Team mode for teammates with nothing installed: --ssh serves the
// read-only console over SSH. Each session is a watcher of the share (on
// loopback, with the watch token) whose console runs here and draws on
// the session's terminal, at its size.

type sshFlags struct {
	addr string
	keys string
}

// addSSHFlags adds --ssh ADDR and --ssh-keys FILE.
func addSSHFlags(fl *pflag.FlagSet, f *sshFlags) {
	fl.StringVar(&f.addr, "ssh", "", "also serve the read-only console over SSH on `ADDR` (host:port), to the keys of --ssh-keys")
	fl.StringVar(&f.keys, "ssh-keys", "", "the public keys that may watch over SSH, one a line (default ~/.ssh/authorized_keys)")
}

// sshIdle ends a session on which nothing was read or written for so
// long: a console redraws at least every second while its run goes on.
const sshIdle = 10 * time.Minute

// maxSSHConns bounds the SSH connections served at once, and
// maxSSHSessions the consoles: each is drawn by the facilitator's own
// process (about 1% of a core at 200×50, docs/performance.md), where a
// gameday watch draws on the teammate's machine.
const (
	maxSSHConns    = 64
	maxSSHSessions = 20
)

// sshShare serves the watcher's console over SSH.
type sshShare struct {
	srv         *ssh.Server
	ln          net.Listener
	join        string // the share's watch join
	addr        string
	fingerprint string
	served      chan struct{}
	logf        func(string, ...any)

	mu       sync.Mutex
	closing  bool
	consoles map[*tea.Program]bool // the sessions' consoles, to end with the server
	sessions sync.WaitGroup
}

// listenSSH starts serving the read-only console of sh's runs on f.addr
// to the keys of f.keys. The host key is made once and kept in the state
// directory, so that teammates' known_hosts stay valid from run to run.
// warn receives what is wrong with the keys file (keys left out), logf
// the sessions' comings and goings and refused keys (nil: discarded).
func listenSSH(f sshFlags, sh *share.Server, warn, logf func(string, ...any)) (*sshShare, error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	keysPath := f.keys
	if keysPath == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, invalid(fmt.Errorf("--ssh-keys: %w", err))
		}
		keysPath = filepath.Join(home, ".ssh", "authorized_keys")
	}
	keys, skipped, err := readAuthorizedKeys(keysPath)
	if err != nil {
		return nil, invalid(fmt.Errorf("--ssh-keys: %w", err))
	}
	for _, s := range skipped {
		warn("ssh: %s: a key left out: %s", keysPath, s)
	}
	dir, err := stateDir()
	if err != nil {
		return nil, err
	}
	signer, err := sshHostKey(filepath.Join(dir, "ssh_host_ed25519_key"))
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return nil, invalid(fmt.Errorf("--ssh: listen on %s: %w", f.addr, err))
	}
	s := &sshShare{
		ln:          ln,
		join:        sh.Join(share.RoleWatch).String(),
		addr:        share.ReachableAddr(ln.Addr()),
		fingerprint: gossh.FingerprintSHA256(signer.PublicKey()),
		served:      make(chan struct{}),
		logf:        logf,
		consoles:    map[*tea.Program]bool{},
	}
	s.srv = &ssh.Server{
		Handler:     s.session,
		HostSigners: []ssh.Signer{signer},
		Version:     "gameday",
		IdleTimeout: sshIdle,
		PublicKeyHandler: func(ctx ssh.Context, key ssh.PublicKey) bool {
			for _, k := range keys {
				if ssh.KeysEqual(k, key) {
					return true
				}
			}
			logf("ssh: %s (%s) refused: key %s is not authorized", ctx.RemoteAddr(), ctx.User(), gossh.FingerprintSHA256(key))
			return false
		},
	}
	go func() {
		defer close(s.served)
		_ = s.srv.Serve(netutil.LimitListener(ln, maxSSHConns))
	}()
	return s, nil
}

// Line is what a teammate runs, and the host key to expect.
func (s *sshShare) Line() string {
	host, port, _ := net.SplitHostPort(s.addr)
	return fmt.Sprintf("ssh -t -p %s %s   (host key %s)", port, host, s.fingerprint)
}

// Close ends every session — each console quits, so that the teammate's
// terminal is given back, and says why — and stops listening.
func (s *sshShare) Close() {
	s.mu.Lock()
	s.closing = true
	for p := range s.consoles {
		p.Quit()
	}
	s.mu.Unlock()
	ended := make(chan struct{})
	go func() { s.sessions.Wait(); close(ended) }()
	select {
	case <-ended:
	case <-time.After(3 * time.Second):
	}
	_ = s.srv.Close()
	// Serve may not have taken the listener in yet, and then the server's
	// Close does not close it.
	_ = s.ln.Close()
	<-s.served
}

// session is one teammate's console.
func (s *sshShare) session(sess ssh.Session) {
	s.mu.Lock()
	if s.closing || len(s.consoles) >= maxSSHSessions {
		busy := !s.closing
		s.mu.Unlock()
		if busy {
			fmt.Fprintf(sess.Stderr(), "gameday: %d teammates already watch over SSH; run gameday watch with the watch line instead\n", maxSSHSessions)
		}
		_ = sess.Exit(1)
		return
	}
	s.sessions.Add(1)
	s.mu.Unlock()
	defer s.sessions.Done()
	who := fmt.Sprintf("%s (%s)", sess.RemoteAddr(), sess.User())
	pty, winch, ok := sess.Pty()
	if !ok {
		fmt.Fprintln(sess.Stderr(), "gameday: this serves the run's console: connect with a terminal (ssh -t)")
		_ = sess.Exit(1)
		return
	}
	ctx := sess.Context()
	dctx, cancel := context.WithTimeout(ctx, joinTimeout)
	w, err := share.Dial(dctx, s.join, share.DialOptions{Report: []engine.ReportOption{engine.WithLocation(time.Local)}})
	cancel()
	if err != nil {
		fmt.Fprintf(sess, "gameday: %v\r\n", err)
		_ = sess.Exit(1)
		return
	}
	defer w.Close()
	s.logf("ssh: %s watches", who)
	defer s.logf("ssh: %s left", who)
	said := time.After(time.Second)
	for ready := false; !ready; {
		select {
		case <-w.Ready():
			ready = true
		case <-said:
			fmt.Fprint(sess, "gameday: waiting for the facilitator to start a run… (ctrl+c leaves)\r\n")
		case <-w.Gone():
			fmt.Fprintf(sess, "gameday: %s\r\n", w.Why())
			_ = sess.Exit(1)
			return
		case <-ctx.Done():
			return
		}
	}
	// The console draws at the session's size, and follows it.
	cfg := tui.Config{Watch: &tui.Watch{Run: w, Plan: w.Plan(), Gone: w.Why}, Width: pty.Window.Width, Height: pty.Window.Height}
	prog := tea.NewProgram(tui.New(cfg), tea.WithInput(sess), tea.WithOutput(sess), tea.WithAltScreen(),
		tea.WithoutSignalHandler(), tea.WithContext(ctx))
	go func() {
		// Send blocks until the program runs, and ends with it.
		for win := range winch {
			prog.Send(tea.WindowSizeMsg{Width: win.Width, Height: win.Height})
		}
	}()
	s.mu.Lock()
	s.consoles[prog] = true
	s.mu.Unlock()
	_, _ = prog.Run()
	s.mu.Lock()
	delete(s.consoles, prog)
	s.mu.Unlock()
	if why := w.Why(); why != "" {
		fmt.Fprintf(sess, "gameday: %s\r\n", why)
	}
	_ = sess.Exit(0)
}

// readAuthorizedKeys reads the keys of an authorized_keys file. A key
// with options (from=, command=, …) is left out, and said so: this server
// does not honour them, so it does not let such a key in.
func readAuthorizedKeys(path string) (keys []ssh.PublicKey, skipped []string, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	for n, rest := 1, b; len(bytes.TrimSpace(rest)) > 0; n++ {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		key, comment, options, _, err := gossh.ParseAuthorizedKey(line)
		switch {
		case err != nil:
			skipped = append(skipped, "line "+strconv.Itoa(n)+": not a key")
		case len(options) > 0:
			skipped = append(skipped, fmt.Sprintf("line %d (%s): it has options, which this server does not honour", n, comment))
		default:
			keys = append(keys, key)
		}
	}
	if len(keys) == 0 {
		return nil, skipped, fmt.Errorf("%s has no key that could watch", path)
	}
	return keys, skipped, nil
}

// sshHostKey reads the host key at path, or makes one there (0600).
func sshHostKey(path string) (ssh.Signer, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		s, err := gossh.ParsePrivateKey(b)
		if err != nil {
			return nil, fmt.Errorf("the SSH host key %s: %w", path, err)
		}
		return s, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("the SSH host key: %w", err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("make an SSH host key: %w", err)
	}
	block, err := gossh.MarshalPrivateKey(priv, "gameday ssh host key")
	if err != nil {
		return nil, fmt.Errorf("make an SSH host key: %w", err)
	}
	if err := writeFileAtomic(path, pem.EncodeToMemory(block)); err != nil {
		return nil, err
	}
	return gossh.NewSignerFromKey(priv)
}
