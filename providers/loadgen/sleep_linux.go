package loadgen

import (
	"os"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// sleeper sleeps precisely. Go's runtime timers wake idle threads from
// epoll, whose timeout is in whole milliseconds, so time.Sleep(200µs) sleeps
// about a millisecond; since latency is measured from the scheduled send
// time, that lateness would show up as latency. A blocking nanosleep is
// precise but holds a thread in a system call, which keeps the runtime's
// monitor thread polling every 20 µs — a CPU cost per request.
//
// On Linux the sleeper arms a timerfd (a kernel high-resolution timer) and
// reads it through the runtime's network poller: the goroutine parks like
// any other, and the poller wakes it when the timer fires, within tens of
// microseconds. Elsewhere, or if timerfd is unavailable, it uses time.Sleep.
// A sleeper belongs to one goroutine.
type sleeper struct {
	f      *os.File
	fd     int // f's descriptor; f.Fd() would switch it to blocking mode
	rc     syscall.RawConn
	buf    [8]byte
	readFn func(uintptr) bool
}

func newSleeper() *sleeper {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return &sleeper{}
	}
	s := &sleeper{f: os.NewFile(uintptr(fd), "timerfd"), fd: fd}
	rc, err := s.f.SyscallConn()
	if err != nil {
		s.f.Close()
		return &sleeper{}
	}
	s.rc = rc
	s.readFn = s.doRead
	return s
}

// doRead reads the timer's expiry count, or reports that it has not fired
// yet. Raw system calls, for the reason given at fdConn.
func (s *sleeper) doRead(fd uintptr) bool {
	_, _, e := unix.RawSyscall(unix.SYS_READ, fd, uintptr(unsafe.Pointer(&s.buf[0])), uintptr(len(s.buf)))
	return e != unix.EAGAIN && e != unix.EINTR
}

// sleep sleeps for d.
func (s *sleeper) sleep(d time.Duration) {
	if s.f == nil || d <= 0 {
		time.Sleep(d)
		return
	}
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(int64(d))}
	if _, _, e := unix.RawSyscall6(unix.SYS_TIMERFD_SETTIME, uintptr(s.fd), 0, uintptr(unsafe.Pointer(&spec)), 0, 0, 0); e != 0 {
		time.Sleep(d)
		return
	}
	if err := s.rc.Read(s.readFn); err != nil {
		time.Sleep(d)
	}
}

// close releases the timer.
func (s *sleeper) close() {
	if s.f != nil {
		s.f.Close()
	}
}
