//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package app

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// lockJournal takes an advisory lock on a journal without waiting:
// exclusive for the run writing it and for recover, shared for a reader
// that only checks. It reports false when another process holds a lock
// that conflicts. The lock goes with the file descriptor, so a run that is
// killed releases it: a journal nobody holds belongs to a run that ended.
func lockJournal(f *os.File, exclusive bool) (bool, error) {
	how := unix.LOCK_SH
	if exclusive {
		how = unix.LOCK_EX
	}
	for {
		err := unix.Flock(int(f.Fd()), how|unix.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EWOULDBLOCK):
			return false, nil
		}
		return false, fmt.Errorf("flock %s: %w", f.Name(), err)
	}
}
