package loadgen

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// scriptServer is a raw TCP server on 127.0.0.1 that answers each request
// it reads on a connection with the next of replies, then acts as close
// says. It counts the connections it accepted.
type scriptServer struct {
	ln      net.Listener
	accepts atomic.Int64
	wg      sync.WaitGroup
}

func newScriptServer(t *testing.T, handle func(c net.Conn, br *bufio.Reader)) *scriptServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &scriptServer{ln: ln}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.accepts.Add(1)
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer c.Close()
				handle(c, bufio.NewReader(c))
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
	})
	return s
}

func (s *scriptServer) url() string { return "http://" + s.ln.Addr().String() + "/x?y=1" }

// readRequest reads one request head; false at EOF.
func readRequest(br *bufio.Reader) (string, bool) {
	var head strings.Builder
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return "", false
		}
		head.WriteString(line)
		if line == "\r\n" {
			return head.String(), true
		}
	}
}

// replyAll answers every request on the connection with reply.
func replyAll(reply string) func(net.Conn, *bufio.Reader) {
	return func(c net.Conn, br *bufio.Reader) {
		for {
			if _, ok := readRequest(br); !ok {
				return
			}
			if _, err := io.WriteString(c, reply); err != nil {
				return
			}
		}
	}
}

func rawRequester(t *testing.T, rawURL string) requester {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	rq := newRawClient(u).newRequester()
	t.Cleanup(rq.Close)
	return rq
}

func TestRawClientParsesResponsesAndReusesConnections(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("v", 10000)
	cases := map[string]struct {
		reply     string
		wantCode  int
		wantConns int64 // connections for 5 requests
	}{
		"content-length": {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 200, 1},
		"empty body":     {"HTTP/1.1 204 No Content\r\n\r\n", 204, 1},
		"chunked": {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
			"5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n", 200, 1},
		"long header line":    {"HTTP/1.1 503 Busy\r\nX-Long: " + long + "\r\ncontent-length: 2\r\n\r\nno", 503, 1},
		"connection close":    {"HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", 404, 5},
		"http/1.0":            {"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", 200, 5},
		"http/1.0 keep-alive": {"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok", 200, 1},
		"100 continue first":  {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", 201, 1},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := newScriptServer(t, func(c net.Conn, br *bufio.Reader) {
				for {
					if _, ok := readRequest(br); !ok {
						return
					}
					if _, err := io.WriteString(c, tc.reply); err != nil {
						return
					}
					if strings.Contains(tc.reply, "close") || (strings.HasPrefix(tc.reply, "HTTP/1.0") && !strings.Contains(tc.reply, "keep-alive")) {
						return
					}
				}
			})
			rq := rawRequester(t, srv.url())
			for i := range 5 {
				code, err := rq.Do(time.Now().Add(5 * time.Second))
				if err != nil || code != tc.wantCode {
					t.Fatalf("request %d: %d, %v; want %d", i, code, err, tc.wantCode)
				}
			}
			if got := srv.accepts.Load(); got != tc.wantConns {
				t.Errorf("%d connections for 5 requests, want %d", got, tc.wantConns)
			}
		})
	}
}

func TestRawClientSendsARequestLine(t *testing.T) {
	t.Parallel()
	heads := make(chan string, 1)
	srv := newScriptServer(t, func(c net.Conn, br *bufio.Reader) {
		head, ok := readRequest(br)
		if !ok {
			return
		}
		heads <- head
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
	})
	rq := rawRequester(t, srv.url())
	if _, err := rq.Do(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	head := <-heads
	want := "GET /x?y=1 HTTP/1.1\r\nHost: " + srv.ln.Addr().String() + "\r\n"
	if !strings.HasPrefix(head, want) {
		t.Errorf("request head %q, want it to start with %q", head, want)
	}
}

func TestRawClientBodyToEOF(t *testing.T) {
	t.Parallel()
	srv := newScriptServer(t, func(c net.Conn, br *bufio.Reader) {
		if _, ok := readRequest(br); ok {
			io.WriteString(c, "HTTP/1.1 200 OK\r\n\r\nuntil the end")
		}
	})
	rq := rawRequester(t, srv.url())
	for range 3 {
		if code, err := rq.Do(time.Now().Add(5 * time.Second)); err != nil || code != 200 {
			t.Fatalf("%d, %v", code, err)
		}
	}
	if srv.accepts.Load() != 3 {
		t.Errorf("a close-delimited body must not reuse the connection: %d accepts", srv.accepts.Load())
	}
}

func TestRawClientRetriesAStaleKeepAlive(t *testing.T) {
	t.Parallel()
	// Each connection serves exactly one request and then closes without
	// saying so (an idle timeout): the next request on it must be retried
	// on a fresh connection, not reported as a reset.
	srv := newScriptServer(t, func(c net.Conn, br *bufio.Reader) {
		if _, ok := readRequest(br); ok {
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
		}
	})
	rq := rawRequester(t, srv.url())
	for i := range 4 {
		if code, err := rq.Do(time.Now().Add(5 * time.Second)); err != nil || code != 200 {
			t.Fatalf("request %d: %d, %v", i, code, err)
		}
	}
}

func TestRawClientMalformed(t *testing.T) {
	t.Parallel()
	srv := newScriptServer(t, replyAll("SSH-2.0-OpenSSH\r\n\r\n"))
	rq := rawRequester(t, srv.url())
	_, err := rq.Do(time.Now().Add(5 * time.Second))
	if !errors.Is(err, errMalformed) || Classify(0, err) != Other {
		t.Errorf("err %v (%s), want malformed / other", err, Classify(0, err))
	}
}

// TestCategories drives the real clients against real loopback servers that
// fail in each way.
func TestCategories(t *testing.T) {
	t.Parallel()
	status := func(code int) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(code) }))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); slow.Close() })
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			http.Redirect(w, r, "/login", http.StatusMovedPermanently)
		}
	}))
	t.Cleanup(redirect.Close)

	resetter := newScriptServer(t, func(c net.Conn, br *bufio.Reader) {
		readRequest(br)
		c.(*net.TCPConn).SetLinger(0) // close with RST
	})
	hangup := newScriptServer(t, func(c net.Conn, br *bufio.Reader) {
		readRequest(br)
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
	})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := "http://" + ln.Addr().String() + "/"
	ln.Close()

	cases := map[string]struct {
		url     string
		timeout time.Duration
		want    Category
	}{
		"200":           {status(200), time.Second, Success},
		"204":           {status(204), time.Second, Success},
		"302":           {status(302), time.Second, Status3xx},
		"301 elsewhere": {redirect.URL, time.Second, Status3xx}, // not followed
		"304":           {status(304), time.Second, Status3xx},
		"404":           {status(404), time.Second, Status4xx},
		"500":           {status(500), time.Second, Status5xx},
		"503":           {status(503), time.Second, Status5xx},
		"slow handler":  {slow.URL, 100 * time.Millisecond, Timeout},
		"reset":         {resetter.url(), time.Second, Reset},
		"hang up early": {hangup.url(), time.Second, Reset},
		"closed port":   {closedPort, time.Second, Refused},
	}
	for name, tc := range cases {
		for _, client := range []string{"raw", "net/http"} {
			t.Run(name+"/"+client, func(t *testing.T) {
				t.Parallel()
				u, err := url.Parse(tc.url)
				if err != nil {
					t.Fatal(err)
				}
				var rq requester
				if client == "raw" {
					rq = newRawClient(u).newRequester()
				} else {
					rq = newStdClient(u, nil).newRequester()
				}
				defer rq.Close()
				code, err := rq.Do(time.Now().Add(tc.timeout))
				if got := Classify(code, err); got != tc.want {
					t.Errorf("got %q (code %d, err %v), want %q", got, code, err, tc.want)
				}
			})
		}
	}
}

func TestClassifyErrors(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		err  error
		want Category
	}{
		"wrapped EOF":     {fmt.Errorf("read: %w", io.EOF), Reset},
		"unexpected EOF":  {io.ErrUnexpectedEOF, Reset},
		"windows refused": {errors.New("connectex: No connection could be made because the target machine actively refused it."), Refused},
		"dns":             {&net.DNSError{Err: "no such host", Name: "x"}, Other},
	}
	for name, tc := range cases {
		if got := Classify(0, tc.err); got != tc.want {
			t.Errorf("%s: %q, want %q", name, got, tc.want)
		}
	}
}

// BenchmarkRawClientDo measures one request/response round trip of the
// lean client against a minimal responder that does not allocate, so the
// allocations reported are the client's.
func BenchmarkRawClientDo(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		reply := []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		buf := make([]byte, 4096)
		for {
			n, err := c.Read(buf) // one request per read: the client waits for each reply
			if err != nil || n == 0 {
				return
			}
			if _, err := c.Write(reply); err != nil {
				return
			}
		}
	}()
	u, _ := url.Parse("http://" + ln.Addr().String() + "/")
	rq := newRawClient(u).newRequester()
	defer rq.Close()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rq.Do(time.Now().Add(5 * time.Second)); err != nil {
			b.Fatal(err)
		}
	}
}
