package sandbox_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/providers/sandbox"
)

// parentEnv makes the test binary play a sandbox parent (for the test that
// SIGKILLs it) instead of running tests.
const parentEnv = "GAMEDAY_SANDBOX_TEST_PARENT"

func TestMain(m *testing.M) {
	if code, ok := sandbox.RunChild(os.Args[1:]); ok {
		os.Exit(code)
	}
	if os.Getenv(parentEnv) != "" {
		os.Exit(runTestParent())
	}
	code := m.Run()
	shared.close()
	sharedFragile.close()
	os.Exit(code)
}

// shared and sharedFragile are sandboxes that the tests which need
// nothing else share, one test after another: starting one costs more than
// a second of a 2-core CI machine. shared has 4 resilient replicas and a
// restart delay of 1 s; sharedFragile 2 fragile replicas. Each test begins
// with waitClean and must leave no hook behind.
var (
	shared        = &sharedSandbox{opts: sandbox.Options{Replicas: 4, RestartDelay: time.Second}}
	sharedFragile = &sharedSandbox{opts: sandbox.Options{Replicas: 2, RestartDelay: time.Second, Fragile: true}}
)

type sharedSandbox struct {
	opts sandbox.Options
	once sync.Once
	sb   *sandbox.Sandbox
	err  error
	log  safeLog
}

// sharedSB returns the shared sandbox, starting it on first use.
func sharedSB(t *testing.T) *sandbox.Sandbox { return shared.get(t) }

// sharedFragileSB returns the shared fragile sandbox, starting it on first
// use.
func sharedFragileSB(t *testing.T) *sandbox.Sandbox { return sharedFragile.get(t) }

// get starts s on first use and waits until it is clean. Its log goes to
// the test that uses it, while it runs.
func (s *sharedSandbox) get(t *testing.T) *sandbox.Sandbox {
	t.Helper()
	s.once.Do(func() {
		exe, err := os.Executable()
		if err != nil {
			s.err = err
			return
		}
		opts := s.opts
		opts.Executable = exe
		s.log.done = true
		if testing.Verbose() {
			opts.Logf = s.log.logf
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		s.sb, s.err = sandbox.Start(ctx, opts)
	})
	if s.err != nil {
		t.Fatalf("start the shared sandbox: %v", s.err)
	}
	s.log.mu.Lock()
	s.log.t, s.log.done = t, false
	s.log.mu.Unlock()
	t.Cleanup(func() {
		// A test that failed half way must not fail the next ones: undo
		// whatever it left in force.
		c := s.sb.Client()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if st, err := c.Status(ctx); err == nil {
			for _, h := range st.Hooks {
				if h.State != sandbox.HookActive {
					continue
				}
				if !t.Failed() {
					t.Errorf("the test left hook %s (%s on %v) active", h.ID, h.Kind, h.Targets)
				}
				_ = c.Undo(ctx, h.ID)
			}
		}
		s.log.mu.Lock()
		s.log.done = true
		s.log.mu.Unlock()
	})
	waitClean(t, s.sb.Client())
	return s.sb
}

func (s *sharedSandbox) close() {
	if s.sb != nil {
		_ = s.sb.Close()
	}
}

// runTestParent starts a sandbox, prints "PIDS pid pid …" and then its
// state as one JSON line, and blocks until killed (or until its standard
// input closes, so it cannot outlive a crashed test either).
func runTestParent() int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sb, err := sandbox.Start(ctx, sandbox.Options{Replicas: 2, RestartDelay: time.Second, Executable: exe})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer sb.Close()
	var pids []string
	for _, p := range sb.PIDs() {
		pids = append(pids, fmt.Sprint(p))
	}
	fmt.Printf("PIDS %s\n", strings.Join(pids, " "))
	st, _ := json.Marshal(sb.State())
	fmt.Printf("%s\n", st)
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// safeLog forwards sandbox logs to t.Logf until the test's cleanup.
type safeLog struct {
	mu   sync.Mutex
	t    *testing.T
	done bool
}

func (l *safeLog) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.done {
		l.t.Logf(format, args...)
	}
}

// startSandbox starts a sandbox from the test binary and closes it in the
// test's cleanup.
func startSandbox(t *testing.T, opts sandbox.Options) *sandbox.Sandbox {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	opts.Executable = exe
	if opts.RestartDelay == 0 {
		opts.RestartDelay = time.Second
	}
	l := &safeLog{t: t}
	if testing.Verbose() {
		opts.Logf = l.logf
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sb, err := sandbox.Start(ctx, opts)
	if err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	t.Cleanup(func() {
		if err := sb.Close(); err != nil {
			t.Errorf("close sandbox: %v", err)
		}
		l.mu.Lock()
		l.done = true
		l.mu.Unlock()
	})
	return sb
}

// eventually polls cond every 100 ms until it holds or timeout passes, then
// fails the test with cond's last explanation.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for {
		ok, detail := cond()
		if ok {
			return
		}
		last = detail
		if time.Now().After(deadline) {
			t.Fatalf("%s: not true after %s: %s", what, timeout, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// userAnswer is what a client sees from GET /api/users/{id}.
type userAnswer struct {
	Code          int
	Took          time.Duration
	Err           error
	Replica       string
	ProfileSource string `json:"profile_source"`
	Error         string `json:"error"`
}

var httpClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}

// fetch gets url with a client timeout.
func fetch(url string, timeout time.Duration) userAnswer {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	start := time.Now()
	resp, err := httpClient.Do(req)
	if err != nil {
		return userAnswer{Err: err, Took: time.Since(start)}
	}
	defer resp.Body.Close()
	var a userAnswer
	b, err := io.ReadAll(resp.Body)
	a.Took = time.Since(start)
	a.Code = resp.StatusCode
	a.Replica = resp.Header.Get("X-Sandbox-Replica")
	if err != nil {
		a.Err = err
		return a
	}
	_ = json.Unmarshal(b, &a)
	return a
}

func (a userAnswer) String() string {
	if a.Err != nil {
		return fmt.Sprintf("error after %s: %v", a.Took.Round(time.Millisecond), a.Err)
	}
	return fmt.Sprintf("%d from %s after %s (profile %q, error %q)", a.Code, a.Replica, a.Took.Round(time.Millisecond), a.ProfileSource, a.Error)
}

// readLine reads one line from r within timeout.
func readLine(r io.Reader, timeout time.Duration) (string, error) {
	ch := make(chan string, 1)
	errc := make(chan error, 1)
	go func() {
		line, err := bufio.NewReader(r).ReadString('\n')
		if err != nil {
			errc <- err
			return
		}
		ch <- strings.TrimSpace(line)
	}()
	select {
	case l := <-ch:
		return l, nil
	case err := <-errc:
		return "", err
	case <-time.After(timeout):
		return "", fmt.Errorf("no line after %s", timeout)
	}
}
