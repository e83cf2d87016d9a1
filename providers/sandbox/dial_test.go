package sandbox

import (
	"context"
	"errors"
	"net"
	"syscall"
	"testing"
	"time"
)

// A socket bound to port P that dials 127.0.0.1:P connects to itself on
// Linux (TCP simultaneous open) and then holds P; dialTCP must refuse and
// close it so that the process owning P can bind it again.
func TestDialTCPRefusesSelfConnect(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	ln.Close()

	d := &net.Dialer{Timeout: 2 * time.Second, LocalAddr: &net.TCPAddr{IP: addr.IP, Port: addr.Port}}
	c, err := dialTCP(context.Background(), d, "tcp", addr.String())
	if err == nil {
		c.Close()
		t.Fatalf("dialTCP to its own port succeeded; want a self-connect error")
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dialTCP: %v, want an error wrapping ECONNREFUSED", err)
	}
	// The port is free again for its owner.
	ln2, err := net.Listen("tcp", addr.String())
	if err != nil {
		t.Fatalf("listen on %s after a refused self-connect: %v", addr, err)
	}
	ln2.Close()
}
