package main

import (
	"time"

	"golang.org/x/sys/unix"
)

// sleep sleeps for d precisely. time.Sleep alone is up to a millisecond
// late whenever the server's threads are idle (the runtime then waits in
// epoll, whose timeout is in whole milliseconds), and how often that
// happens depends on the load — noise that would land on whichever
// generator is being measured. So: time.Sleep for all but the last 1.5 ms,
// then nanosleep for the rest.
func sleep(d time.Duration) {
	start := time.Now()
	if d > 2*time.Millisecond {
		time.Sleep(d - 1500*time.Microsecond)
	}
	if rest := d - time.Since(start); rest > 0 {
		ts := unix.NsecToTimespec(int64(rest))
		for unix.Nanosleep(&ts, &ts) == unix.EINTR {
		}
	}
}
