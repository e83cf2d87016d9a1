package sandbox

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The sandbox database is a tiny key-value server on a real TCP socket. Its
// protocol is one line per request and one per response:
//
//	GET user:7\n   →  OK {"id":7,...}\n  |  NOTFOUND\n  |  ERR message\n
//	PING\n         →  PONG\n
//
// It holds users 1..databaseUsers, generated the same way at every start, so
// a restarted database serves the same data.
const databaseUsers = 10000

var firstNames = []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret", "Dennis"}

type database struct {
	users map[string]string
}

func newDatabase() *database {
	db := &database{users: make(map[string]string, databaseUsers)}
	for id := 1; id <= databaseUsers; id++ {
		name := firstNames[id%len(firstNames)]
		v, _ := json.Marshal(map[string]any{
			"id":    id,
			"name":  fmt.Sprintf("%s %d", name, id),
			"email": fmt.Sprintf("%s.%d@example.test", strings.ToLower(name), id),
		})
		db.users["user:"+strconv.Itoa(id)] = string(v)
	}
	return db
}

func (db *database) serve(ctx context.Context, ln net.Listener) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	go func() {
		<-ctx.Done()
		_ = ln.Close()
	}()
	var mu sync.Mutex
	conns := map[net.Conn]struct{}{}
	defer func() {
		mu.Lock()
		for c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("database accept: %w", err)
		}
		mu.Lock()
		conns[c] = struct{}{}
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			db.handle(c)
			mu.Lock()
			delete(conns, c)
			mu.Unlock()
		}()
	}
}

func (db *database) handle(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	w := bufio.NewWriter(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
		switch cmd {
		case "PING":
			_, _ = w.WriteString("PONG\n")
		case "GET":
			if v, ok := db.users[arg]; ok {
				_, _ = w.WriteString("OK " + v + "\n")
			} else {
				_, _ = w.WriteString("NOTFOUND\n")
			}
		default:
			_, _ = w.WriteString("ERR unknown command\n")
		}
		if w.Flush() != nil {
			return
		}
	}
}

// errNotFound is returned by dbClient.get for a key the database lacks.
var errNotFound = errors.New("not found")

// dbClient talks to the sandbox database over a small pool of connections.
type dbClient struct {
	addr string
	pool chan *dbConn
}

type dbConn struct {
	net.Conn
	r *bufio.Reader
}

func newDBClient(addr string) *dbClient {
	return &dbClient{addr: addr, pool: make(chan *dbConn, 32)}
}

// get fetches key with one attempt bounded by timeout. A broken connection
// is dropped, never returned to the pool.
//
// A pooled connection that the database has closed (it was restarted since
// the connection was made) fails at once with EOF or a reset; every other
// pooled connection dates from before the restart too. Like database/sql
// with a bad pooled connection, get then drops them all and makes its
// attempt again on a fresh one, so a restarted database is not seen as a
// burst of errors.
func (c *dbClient) get(ctx context.Context, key string, timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	var conn *dbConn
	pooled := true
	select {
	case conn = <-c.pool:
	default:
		pooled = false
	}
	for {
		if conn == nil {
			var err error
			if conn, err = c.dial(ctx, deadline); err != nil {
				return "", err
			}
		}
		v, err, interrupted := c.try(ctx, conn, key, deadline)
		switch {
		case err == nil || errors.Is(err, errNotFound):
			return v, err
		case interrupted:
			return "", fmt.Errorf("database get %s: %w", key, ctx.Err())
		case pooled && staleConn(err) && time.Now().Before(deadline):
			c.drain()
			conn, pooled = nil, false
			continue
		}
		return "", fmt.Errorf("database get %s: %w", key, err)
	}
}

func (c *dbClient) dial(ctx context.Context, deadline time.Time) (*dbConn, error) {
	d := net.Dialer{Deadline: deadline}
	nc, err := dialTCP(ctx, &d, "tcp", c.addr)
	if err != nil {
		return nil, fmt.Errorf("dial database: %w", err)
	}
	return &dbConn{Conn: nc, r: bufio.NewReader(nc)}, nil
}

// try makes one round trip on conn and returns it to the pool if it is
// still good; interrupted is true when ctx ended the attempt.
func (c *dbClient) try(ctx context.Context, conn *dbConn, key string, deadline time.Time) (v string, err error, interrupted bool) {
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	v, err = conn.roundTrip(key)
	interrupted = !stop()
	if interrupted || err != nil && !errors.Is(err, errNotFound) {
		_ = conn.Close() // its state is unknown: never reuse it
	} else {
		select {
		case c.pool <- conn:
		default:
			_ = conn.Close()
		}
	}
	return v, err, interrupted
}

// drain closes every pooled connection.
func (c *dbClient) drain() {
	for {
		select {
		case conn := <-c.pool:
			_ = conn.Close()
		default:
			return
		}
	}
}

// staleConn reports whether err means the other end had closed the
// connection before the request: end of file, a reset or a broken pipe.
func staleConn(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

func (c *dbConn) roundTrip(key string) (string, error) {
	if _, err := c.Write([]byte("GET " + key + "\n")); err != nil {
		return "", err
	}
	line, err := c.r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimSuffix(line, "\n")
	switch {
	case strings.HasPrefix(line, "OK "):
		return strings.TrimPrefix(line, "OK "), nil
	case line == "NOTFOUND":
		return "", errNotFound
	default:
		return "", fmt.Errorf("database replied %q", line)
	}
}
