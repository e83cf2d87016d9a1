package sandbox

import (
	"context"
	"fmt"
	"net"
	"syscall"
	"time"
)

// dialTCP dials addr and refuses a TCP self-connect.
//
// The sandbox's ports come from the kernel's ephemeral range. While a
// process is down (a killed replica, a stopped database), its clients keep
// dialing its port, and sooner or later the kernel picks that very port as
// the source port of one of those dials: the socket connects to itself
// (TCP simultaneous open) and holds the port, so the process cannot bind it
// again when it restarts ("address already in use"). Closing such a
// connection at once frees the port.
func dialTCP(ctx context.Context, d *net.Dialer, network, addr string) (net.Conn, error) {
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if c.LocalAddr().String() == c.RemoteAddr().String() {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // reset, so the port is free at once (no TIME_WAIT)
		}
		c.Close()
		return nil, &net.OpError{Op: "dial", Net: network, Addr: c.RemoteAddr(), Err: fmt.Errorf("self-connect: %w", syscall.ECONNREFUSED)}
	}
	return c, nil
}

// dialer returns a DialContext for http.Transport that refuses
// self-connects.
func dialer(timeout time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: timeout}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		return dialTCP(ctx, d, network, addr)
	}
}
