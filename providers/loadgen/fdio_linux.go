package loadgen

import (
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// fdConn reads and writes a connection's socket with raw system calls
// through its syscall.RawConn, so waiting still goes through the runtime's
// network poller (deadlines included) but the calls themselves skip the
// runtime's syscall bookkeeping. That bookkeeping wakes the runtime's
// monitor thread from its deep sleep on every call when the process is
// otherwise idle — at 1,000 requests a second, several thread wake-ups per
// request, the largest CPU cost of a mostly idle generator. The calls are
// on non-blocking sockets and never block, which is what RawSyscall needs.
//
// An fdConn is used by one reader and one writer goroutine at a time.
type fdConn struct {
	rc syscall.RawConn

	rp      []byte
	rn      int
	rerrno  syscall.Errno
	readFn  func(uintptr) bool
	wp      []byte
	wn      int
	werrno  syscall.Errno
	writeFn func(uintptr) bool
}

// wrapConn returns c's raw reader/writer, or c itself if it has no
// RawConn.
func wrapConn(c net.Conn) io.ReadWriter {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return c
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return c
	}
	f := &fdConn{rc: rc}
	f.readFn = f.doRead
	f.writeFn = f.doWrite
	return f
}

func (f *fdConn) doRead(fd uintptr) bool {
	for {
		n, _, e := unix.RawSyscall(unix.SYS_READ, fd, uintptr(unsafe.Pointer(&f.rp[0])), uintptr(len(f.rp)))
		switch e {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false // wait in the poller
		}
		f.rn, f.rerrno = int(n), e
		return true
	}
}

func (f *fdConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	f.rp, f.rn, f.rerrno = p, 0, 0
	err := f.rc.Read(f.readFn)
	f.rp = nil
	switch {
	case err != nil:
		return 0, err
	case f.rerrno != 0:
		return 0, os.NewSyscallError("read", f.rerrno)
	case f.rn == 0:
		return 0, io.EOF
	}
	return f.rn, nil
}

func (f *fdConn) doWrite(fd uintptr) bool {
	for f.wn < len(f.wp) {
		n, _, e := unix.RawSyscall(unix.SYS_WRITE, fd, uintptr(unsafe.Pointer(&f.wp[f.wn])), uintptr(len(f.wp)-f.wn))
		switch e {
		case 0:
			f.wn += int(n)
		case unix.EINTR:
		case unix.EAGAIN:
			return false // wait in the poller
		default:
			f.werrno = e
			return true
		}
	}
	return true
}

func (f *fdConn) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	f.wp, f.wn, f.werrno = p, 0, 0
	err := f.rc.Write(f.writeFn)
	f.wp = nil
	switch {
	case err != nil:
		return f.wn, err
	case f.werrno != 0:
		return f.wn, os.NewSyscallError("write", f.werrno)
	}
	return f.wn, nil
}
