package main

import (
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// sleep sleeps for d precisely and cheaply. time.Sleep alone is up to a
// millisecond late whenever the server's threads are idle (the runtime then
// waits in epoll, whose timeout is in whole milliseconds), and how often
// that happens depends on the load — noise that would land on whichever
// generator is being measured. A blocking nanosleep would tie up a thread
// per request in flight. So each sleep arms a timerfd (pooled) and waits
// for it through the runtime's poller, like the generator's pacing.
func sleep(d time.Duration) {
	t, _ := timers.Get().(*timer)
	if t == nil {
		var err error
		if t, err = newTimer(); err != nil {
			time.Sleep(d)
			return
		}
	}
	if err := t.sleep(d); err != nil {
		t.f.Close()
		time.Sleep(d)
		return
	}
	timers.Put(t)
}

var timers sync.Pool

type timer struct {
	f      *os.File
	fd     int
	rc     syscall.RawConn
	buf    [8]byte
	readFn func(uintptr) bool
}

func newTimer() (*timer, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	t := &timer{f: os.NewFile(uintptr(fd), "timerfd"), fd: fd}
	if t.rc, err = t.f.SyscallConn(); err != nil {
		t.f.Close()
		return nil, err
	}
	t.readFn = func(fd uintptr) bool {
		_, err := unix.Read(int(fd), t.buf[:])
		return err != unix.EAGAIN && err != unix.EINTR
	}
	return t, nil
}

func (t *timer) sleep(d time.Duration) error {
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(int64(d))}
	if _, _, e := unix.Syscall6(unix.SYS_TIMERFD_SETTIME, uintptr(t.fd), 0, uintptr(unsafe.Pointer(&spec)), 0, 0, 0); e != 0 {
		return e
	}
	return t.rc.Read(t.readFn)
}
