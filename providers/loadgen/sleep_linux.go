package loadgen

import (
	"time"

	"golang.org/x/sys/unix"
)

// preciseSleep sleeps for d with the kernel's high-resolution timer. Go's
// runtime timers wake idle threads from epoll, whose timeout is in whole
// milliseconds, so time.Sleep(200µs) sleeps about a millisecond; since
// latency is measured from the scheduled send time, that lateness would show
// up as latency. nanosleep overshoots by tens of microseconds. The generator
// only calls it for the last few milliseconds before a send.
func preciseSleep(d time.Duration) {
	ts := unix.NsecToTimespec(int64(d))
	for unix.Nanosleep(&ts, &ts) == unix.EINTR {
	}
}
