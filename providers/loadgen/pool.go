package loadgen

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// connPool is the fixed-rate fast path for plain http: the scheduler
// goroutine writes each request itself, at its due time, on an idle
// keep-alive connection, and each connection has a reader goroutine that is
// always blocked reading it. The reader is woken by the network poller when
// the response arrives, records it, and puts the connection back.
//
// Compared with handing each due time to a worker goroutine over a channel,
// this saves a goroutine wake-up (and the runtime's thread wake-ups behind
// it) per request and sends each request without a hand-off delay: less CPU,
// and sends closer to schedule.
//
// A connection is idle (in the pool, its reader waiting with no deadline),
// busy (a request written, the reader waiting for the response under the
// request's deadline) or dead. The scheduler claims an idle connection with a
// compare-and-swap; a reader that finds its idle connection closed by the
// server marks it dead the same way, so exactly one side wins.
type connPool struct {
	g  *Generator
	cl *rawClient

	mu   sync.Mutex
	idle []*poolConn
	all  map[*poolConn]struct{}

	readers  sync.WaitGroup // one per connection goroutine
	requests sync.WaitGroup // one per request sent and not yet recorded
	closed   bool
}

const (
	connIdle int32 = iota
	connBusy
	connDead
)

type poolConn struct {
	p     *connPool
	c     net.Conn
	rw    io.ReadWriter // c's raw reads and writes (wrapConn)
	br    *bufio.Reader
	state atomic.Int32
	due   atomic.Int64 // of the request in flight, since the start
	werr  atomic.Pointer[error]
}

func newConnPool(g *Generator, cl *rawClient) *connPool {
	return &connPool{g: g, cl: cl, all: map[*poolConn]struct{}{}}
}

// dispatch sends the request due at due: on an idle connection from the
// scheduler's goroutine, or else on a new connection dialled by a new
// goroutine if MaxInFlight allows. It reports false if the request was
// dropped.
func (p *connPool) dispatch(due time.Duration) bool {
	for {
		pc := p.pop()
		if pc == nil {
			break
		}
		if !pc.state.CompareAndSwap(connIdle, connBusy) {
			continue // its reader found it closed; forget it
		}
		p.send(pc, due)
		return true
	}
	if int(p.g.inflight.Load()) >= p.g.cfg.MaxInFlight {
		return false
	}
	p.g.inflight.Add(1)
	p.requests.Add(1)
	p.readers.Add(1)
	go p.fresh(due)
	return true
}

// send writes the request due at due on pc, claimed busy by the caller.
func (p *connPool) send(pc *poolConn, due time.Duration) {
	p.g.inflight.Add(1)
	p.requests.Add(1)
	pc.due.Store(int64(due))
	now := time.Now()
	err := pc.c.SetDeadline(now.Add(p.g.cfg.Timeout))
	if err == nil {
		_, err = pc.rw.Write(p.cl.req)
	}
	if err != nil {
		// The reader records the failure: closing wakes it.
		err = fmt.Errorf("write request: %w", err)
		pc.werr.Store(&err)
		pc.c.Close()
	}
}

func (p *connPool) pop() *poolConn {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.idle)
	if n == 0 {
		return nil
	}
	pc := p.idle[n-1]
	p.idle[n-1] = nil
	p.idle = p.idle[:n-1]
	return pc
}

func (p *connPool) push(pc *poolConn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.idle = append(p.idle, pc)
	return true
}

func (p *connPool) register(pc *poolConn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.all[pc] = struct{}{}
	return true
}

func (p *connPool) unregister(pc *poolConn) {
	p.mu.Lock()
	delete(p.all, pc)
	p.mu.Unlock()
}

// fresh dials a connection for the request due at due (already counted in
// flight), sends it, and becomes the connection's reader.
func (p *connPool) fresh(due time.Duration) {
	defer p.readers.Done()
	pc, err := p.dial(due)
	if err != nil {
		p.record(due, 0, err)
		return
	}
	p.read(pc)
}

// dial opens a connection, registers it and writes the request due at due
// on it, busy.
func (p *connPool) dial(due time.Duration) (*poolConn, error) {
	deadline := time.Now().Add(p.g.cfg.Timeout)
	d := net.Dialer{Deadline: deadline}
	c, err := d.Dial("tcp", p.cl.addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", p.cl.addr, err)
	}
	rw := wrapConn(c)
	pc := &poolConn{p: p, c: c, rw: rw, br: bufio.NewReaderSize(rw, 4096)}
	pc.state.Store(connBusy)
	pc.due.Store(int64(due))
	if !p.register(pc) {
		c.Close()
		return nil, fmt.Errorf("dial %s: run over", p.cl.addr)
	}
	if err := c.SetDeadline(deadline); err != nil {
		p.drop(pc)
		return nil, fmt.Errorf("set deadline: %w", err)
	}
	if _, err := rw.Write(p.cl.req); err != nil {
		p.drop(pc)
		return nil, fmt.Errorf("write request: %w", err)
	}
	return pc, nil
}

func (p *connPool) drop(pc *poolConn) {
	pc.state.Store(connDead)
	pc.c.Close()
	p.unregister(pc)
}

// record records the outcome of the request due at due and counts it out
// of flight.
func (p *connPool) record(due time.Duration, code int, err error) {
	done := time.Now()
	p.g.inflight.Add(-1)
	cat := p.g.classify(code, err)
	if cat == Other {
		p.g.noteOther(err)
	}
	p.g.rec.Load().Record(done, done.Sub(p.g.start)-due, cat, code)
	p.requests.Done()
}

// read is pc's reader: it reads one response per request written, records
// it and returns the connection to the pool, until the connection ends.
func (p *connPool) read(pc *poolConn) {
	reused := false
	for {
		code, keep, started, err := readResponse(pc.br)
		if pc.state.Load() == connIdle && pc.state.CompareAndSwap(connIdle, connDead) {
			// Closed (by the server, or by close at the end) while idle.
			p.drop(pc)
			return
		}
		due := time.Duration(pc.due.Load())
		if werr := pc.werr.Load(); werr != nil {
			err = *werr
		}
		if err != nil && reused && !started && Classify(0, err) == Reset {
			// The server closed the idle connection as this request was
			// written on it: retry once on a fresh connection, as net/http
			// does for idempotent requests.
			p.drop(pc)
			npc, derr := p.dial(due)
			if derr != nil {
				p.record(due, 0, derr)
				return
			}
			pc, reused = npc, false
			continue
		}
		if err == nil && keep {
			// Clear the deadline before the connection can be claimed
			// again: the next request sets its own.
			err = pc.c.SetDeadline(time.Time{})
			p.record(due, code, nil)
			if err == nil {
				pc.state.Store(connIdle)
				if p.push(pc) {
					reused = true
					continue
				}
			}
			p.drop(pc)
			return
		}
		p.record(due, code, err)
		p.drop(pc)
		return
	}
}

// close waits for the requests in flight (each ends by its deadline), then
// closes every connection and waits for the readers to exit.
func (p *connPool) close() {
	p.requests.Wait()
	p.mu.Lock()
	p.closed = true
	conns := make([]*poolConn, 0, len(p.all))
	for pc := range p.all {
		conns = append(conns, pc)
	}
	p.idle = nil
	p.mu.Unlock()
	for _, pc := range conns {
		pc.c.Close()
	}
	p.readers.Wait()
}
