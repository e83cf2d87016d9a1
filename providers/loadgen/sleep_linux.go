package loadgen

import (
	"os"
	"time"

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
	f   *os.File
	fd  int // f's descriptor; f.Fd() would switch it to blocking mode
	buf [8]byte
}

func newSleeper() *sleeper {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return &sleeper{}
	}
	return &sleeper{f: os.NewFile(uintptr(fd), "timerfd"), fd: fd}
}

// sleep sleeps for d.
func (s *sleeper) sleep(d time.Duration) {
	if s.f == nil || d <= 0 {
		time.Sleep(d)
		return
	}
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(int64(d))}
	if err := unix.TimerfdSettime(s.fd, 0, &spec, nil); err != nil {
		time.Sleep(d)
		return
	}
	if _, err := s.f.Read(s.buf[:]); err != nil {
		time.Sleep(d)
	}
}

// close releases the timer.
func (s *sleeper) close() {
	if s.f != nil {
		s.f.Close()
	}
}
