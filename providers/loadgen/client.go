package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"
)

// requester sends one request at a time on its own connection. Each worker
// owns one; it is not safe for concurrent use.
type requester interface {
	// Do sends the request and reads the whole response, giving up at
	// deadline. It returns the status code (0 if no response arrived).
	Do(deadline time.Time) (code int, err error)
	// Close releases the connection.
	Close()
}

// errMalformed is returned for a response that is not HTTP/1.x.
var errMalformed = errors.New("malformed HTTP response")

// rawClient is a lean HTTP/1.1 keep-alive client for plain http URLs: a
// prebuilt GET written as is, and a response parser that reads the status
// line and the few headers it needs (Content-Length, Transfer-Encoding,
// Connection) from a bufio.Reader and discards the body. It does not
// allocate per request. net/http's client costs several times more CPU per
// request (a goroutine pair per connection, header maps, per-request
// allocations), which matters when the generator shares a machine with the
// system it measures.
type rawClient struct {
	addr string // host:port to dial
	req  []byte // the whole request, prebuilt
}

func newRawClient(u *url.URL) *rawClient {
	port := u.Port()
	if port == "" {
		port = "80"
	}
	uri := u.RequestURI()
	req := "GET " + uri + " HTTP/1.1\r\nHost: " + u.Host +
		"\r\nUser-Agent: gameday-load\r\nAccept: */*\r\n\r\n"
	return &rawClient{addr: net.JoinHostPort(u.Hostname(), port), req: []byte(req)}
}

func (c *rawClient) newRequester() requester { return &rawConn{cl: c} }

// rawConn is one worker's connection of a rawClient.
type rawConn struct {
	cl *rawClient
	c  net.Conn
	rw io.ReadWriter // c's raw reads and writes (wrapConn)
	br *bufio.Reader
}

func (r *rawConn) Close() {
	if r.c != nil {
		r.c.Close()
		r.c = nil
	}
}

func (r *rawConn) Do(deadline time.Time) (int, error) {
	for attempt := 0; ; attempt++ {
		fresh := r.c == nil
		if fresh {
			d := net.Dialer{Deadline: deadline}
			c, err := d.Dial("tcp", r.cl.addr)
			if err != nil {
				return 0, fmt.Errorf("dial %s: %w", r.cl.addr, err)
			}
			r.c = c
			r.rw = wrapConn(c)
			if r.br == nil {
				r.br = bufio.NewReaderSize(r.rw, 4096)
			} else {
				r.br.Reset(r.rw)
			}
		}
		if err := r.c.SetDeadline(deadline); err != nil {
			r.Close()
			return 0, fmt.Errorf("set deadline: %w", err)
		}
		code, keep, started, err := r.roundTrip()
		if err == nil {
			if !keep {
				r.Close()
			}
			return code, nil
		}
		r.Close()
		// The server may close an idle keep-alive connection just as we
		// reuse it; like net/http for idempotent requests, retry once on a
		// fresh connection if no byte of a response had arrived.
		if !fresh && !started && attempt == 0 && Classify(0, err) == Reset {
			continue
		}
		return code, err
	}
}

// roundTrip writes the request and reads one response. started reports
// whether any byte of a response was read; keep whether the connection may
// be reused.
func (r *rawConn) roundTrip() (code int, keep, started bool, err error) {
	if _, err := r.rw.Write(r.cl.req); err != nil {
		return 0, false, false, fmt.Errorf("write request: %w", err)
	}
	return readResponse(r.br)
}

// readResponse reads one response to a GET and discards its body. started
// reports whether any byte of a response was read; keep whether the
// connection may be reused.
func readResponse(br *bufio.Reader) (code int, keep, started bool, err error) {
	for {
		line, err := readLine(br)
		if err != nil {
			return 0, false, len(line) > 0, fmt.Errorf("read status line: %w", err)
		}
		code, http10, err := parseStatusLine(line)
		if err != nil {
			return 0, false, true, err
		}
		keep = !http10
		length, chunked := int64(-1), false
		for {
			h, err := readLine(br)
			if err != nil {
				return code, false, true, fmt.Errorf("read header: %w", err)
			}
			if len(h) == 0 {
				break
			}
			name, value, ok := bytes.Cut(h, []byte{':'})
			if !ok {
				continue
			}
			value = bytes.TrimSpace(value)
			switch {
			case bytes.EqualFold(name, []byte("Content-Length")):
				n, ok := parseDecimal(value)
				if !ok {
					return code, false, true, fmt.Errorf("%w: bad Content-Length %q", errMalformed, value)
				}
				length = n
			case bytes.EqualFold(name, []byte("Transfer-Encoding")):
				chunked = containsFold(value, "chunked")
			case bytes.EqualFold(name, []byte("Connection")):
				if containsFold(value, "close") {
					keep = false
				} else if containsFold(value, "keep-alive") {
					keep = true
				}
			}
		}
		switch {
		case code >= 100 && code < 200 && code != 101:
			continue // informational; the final response follows
		case code == 204 || code == 304 || code == 101:
			// no body
		case chunked:
			if err := discardChunked(br); err != nil {
				return code, false, true, fmt.Errorf("read chunked body: %w", err)
			}
		case length >= 0:
			if _, err := br.Discard(int(length)); err != nil {
				return code, false, true, fmt.Errorf("read body: %w", err)
			}
		default:
			// Delimited by the end of the connection.
			if _, err := io.Copy(io.Discard, br); err != nil {
				return code, false, true, fmt.Errorf("read body: %w", err)
			}
			keep = false
		}
		return code, keep, true, nil
	}
}

// longLine stands for a line longer than the read buffer: it is never a
// status line or a header this client reads, only a long one it skips.
var longLine = []byte("X-Gameday-Long-Line: skipped")

// readLine reads one CRLF- or LF-terminated line without allocating and
// returns it without the terminator. A line longer than the buffer is
// consumed whole and returned as longLine. The returned slice is valid until
// the next read.
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		for err == bufio.ErrBufferFull {
			_, err = br.ReadSlice('\n')
		}
		if err != nil {
			return nil, err
		}
		return longLine, nil
	}
	if err != nil {
		if err == io.EOF && len(line) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return line, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

func parseStatusLine(line []byte) (code int, http10 bool, err error) {
	// "HTTP/1.1 200 OK"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return 0, false, fmt.Errorf("%w: status line %q", errMalformed, line)
	}
	n, ok := parseDecimal(line[9:12])
	if !ok || n < 100 {
		return 0, false, fmt.Errorf("%w: status line %q", errMalformed, line)
	}
	return int(n), line[7] == '0', nil
}

func parseDecimal(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func parseHex(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 15 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		n = n<<4 | int64(d)
	}
	return n, true
}

func containsFold(b []byte, word string) bool {
	for i := 0; i+len(word) <= len(b); i++ {
		if bytes.EqualFold(b[i:i+len(word)], []byte(word)) {
			return true
		}
	}
	return false
}

// discardChunked reads and drops a chunked body and its trailers.
func discardChunked(br *bufio.Reader) error {
	for {
		line, err := readLine(br)
		if err != nil {
			return err
		}
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i] // chunk extension
		}
		size, ok := parseHex(bytes.TrimSpace(line))
		if !ok {
			return fmt.Errorf("%w: chunk size %q", errMalformed, line)
		}
		if size == 0 {
			for { // trailers, up to the empty line
				t, err := readLine(br)
				if err != nil {
					return err
				}
				if len(t) == 0 {
					return nil
				}
			}
		}
		if _, err := br.Discard(int(size)); err != nil {
			return err
		}
		if t, err := readLine(br); err != nil || len(t) != 0 {
			if err == nil {
				err = fmt.Errorf("%w: no CRLF after chunk", errMalformed)
			}
			return err
		}
	}
}

// stdClient sends requests with net/http: used for https URLs and when the
// caller supplies its own *http.Client. Its own client, like rawClient,
// does not follow redirects: a 3xx is the answer, classified as such. A
// caller's client follows its own policy.
type stdClient struct {
	c   *http.Client
	url string
}

func newStdClient(u *url.URL, c *http.Client) *stdClient {
	if c == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 10000
		t.MaxIdleConns = 10000
		c = &http.Client{Transport: t, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	return &stdClient{c: c, url: u.String()}
}

func (c *stdClient) newRequester() requester { return stdRequester{c} }

type stdRequester struct{ c *stdClient }

func (r stdRequester) Close() {}

func (r stdRequester) Do(deadline time.Time) (int, error) {
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.c.url, nil)
	if err != nil {
		return 0, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("User-Agent", "gameday-load")
	resp, err := r.c.c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return resp.StatusCode, fmt.Errorf("read body: %w", err)
	}
	return resp.StatusCode, nil
}

// Classify returns the category of one request's outcome: its status code
// if it got a response, else the kind of error.
//
//   - a status of 300–399 is Status3xx (neither client follows redirects;
//     Config.AcceptRedirects counts them as successes), 400–499 Status4xx,
//     500–599 Status5xx, anything else that is a whole response is
//     Success;
//   - a deadline (the request's Timeout) is Timeout;
//   - ECONNREFUSED is Refused;
//   - ECONNRESET, EPIPE, ECONNABORTED, or the connection ending before a
//     whole response (EOF) is Reset;
//   - anything else is Other.
func Classify(code int, err error) Category {
	if err == nil {
		switch {
		case code >= 500 && code < 600:
			return Status5xx
		case code >= 400 && code < 500:
			return Status4xx
		case code >= 300 && code < 400:
			return Status3xx
		default:
			return Success
		}
	}
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return Refused
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return Timeout
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return Reset
	}
	// Platforms whose socket errors are not these errnos (Windows).
	switch s := err.Error(); {
	case strings.Contains(s, "connection refused"), strings.Contains(s, "actively refused"):
		return Refused
	case strings.Contains(s, "connection reset"), strings.Contains(s, "forcibly closed"):
		return Reset
	}
	return Other
}
