package sandbox

import (
	"bufio"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"
)

// ChildArg is the hidden first argument of a re-executed sandbox child. A
// binary that embeds the sandbox passes its arguments to RunChild before
// anything else (gameday's app.Main does; so does this package's TestMain).
const ChildArg = "__sandbox-child"

// The roles a child process can play.
const (
	roleReplica    = "replica"
	roleDatabase   = "database"
	roleDependency = "dependency"
)

// childConfig is what the parent writes, as one JSON line, on a child's
// standard input. The parent keeps that pipe open for the child's whole
// life: end of file means the parent is gone.
type childConfig struct {
	Role       string `json:"role"`
	Name       string `json:"name"`
	Addr       string `json:"addr"` // where to listen; port 0 picks one
	ParentPID  int    `json:"parent_pid"`
	AdminToken string `json:"admin_token"`
	// Replica only.
	DatabaseAddr   string `json:"database_addr,omitempty"`
	DependencyAddr string `json:"dependency_addr,omitempty"`
	Fragile        bool   `json:"fragile,omitempty"`
}

// readyPrefix starts the one line a child prints on standard output once it
// listens: "READY 127.0.0.1:PORT".
const readyPrefix = "READY "

// parentPollInterval is how often a child checks that its parent is alive.
const parentPollInterval = 200 * time.Millisecond

// RunChild runs a sandbox child role when args[0] is ChildArg and returns
// its exit code and true; otherwise it returns (0, false) at once and does
// nothing. args are the program's arguments without the program name.
func RunChild(args []string) (int, bool) {
	if len(args) == 0 || args[0] != ChildArg {
		return 0, false
	}
	if err := runChild(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "sandbox child:", err)
		return 1, true
	}
	return 0, true
}

func runChild(stdin io.Reader, stdout io.Writer) error {
	// The parent owns shutdown: a Ctrl+C in the terminal reaches the parent,
	// which stops every child. Children live in their own process group on
	// Unix anyway; this covers the rest.
	signal.Ignore(os.Interrupt)

	in := bufio.NewReader(stdin)
	line, err := in.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("read config from the parent: %w", err)
	}
	var cfg childConfig
	if err := json.Unmarshal(line, &cfg); err != nil {
		return fmt.Errorf("decode config from the parent: %w", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go watchParent(ctx, cancel, in, cfg.ParentPID)

	ln, err := listenRetry(ctx, cfg.Addr)
	if err != nil {
		return fmt.Errorf("%s %s: %w", cfg.Role, cfg.Name, err)
	}
	defer ln.Close()

	var serve func(context.Context, net.Listener) error
	switch cfg.Role {
	case roleDatabase:
		serve = newDatabase().serve
	case roleDependency:
		serve = newDependency(cfg).serve
	case roleReplica:
		serve = newReplica(cfg).serve
	default:
		return fmt.Errorf("unknown child role %q", cfg.Role)
	}
	if _, err := fmt.Fprintf(stdout, "%s%s\n", readyPrefix, ln.Addr()); err != nil {
		return fmt.Errorf("report readiness: %w", err)
	}
	return serve(ctx, ln)
}

// watchParent cancels the child when its parent goes away: standard input
// reaches end of file (the parent's end of the pipe closed when it died),
// or the parent process ID changes (the child was re-parented). This is the
// second line of defence behind Pdeathsig.
func watchParent(ctx context.Context, cancel context.CancelFunc, in io.Reader, parent int) {
	go func() {
		_, _ = io.Copy(io.Discard, in)
		cancel()
	}()
	t := time.NewTicker(parentPollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if parent > 0 && os.Getppid() != parent {
				cancel()
				return
			}
		}
	}
}

// listenRetry listens on addr, retrying for a few seconds while the port is
// still held (a restarted process reuses its predecessor's port).
func listenRetry(ctx context.Context, addr string) (net.Listener, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			return ln, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, fmt.Errorf("listen on %s: %w", addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// serveHTTP serves h on ln until ctx is done.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// requireToken wraps h so that only requests bearing token get through.
func requireToken(token string, h http.Handler) http.Handler {
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if token == "" || subtle.ConstantTimeCompare(got, want) != 1 {
			writeError(w, http.StatusUnauthorized, "missing or wrong token")
			return
		}
		h.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

// decodeBody decodes a small JSON request body strictly.
func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decode request body: %w", err)
	}
	return nil
}

// validID reports whether s is a decimal user ID such as "7".
func validID(s string) bool {
	return s != "" && len(s) <= 9 && strings.Trim(s, "0123456789") == ""
}
