//go:build !unix

package sandbox

import (
	"errors"
	"os"
	"syscall"
)

// childSysProcAttr has nothing to add where there are no process groups or
// Pdeathsig: children notice their parent's death by the end of their
// standard input and by polling their parent process ID.
func childSysProcAttr() *syscall.SysProcAttr { return nil }

var errNoPause = errors.New("pausing a process needs SIGSTOP, which this system lacks")

// pauseProcess is not supported here.
func pauseProcess(*os.Process) error { return errNoPause }

// resumeProcess is not supported here.
func resumeProcess(*os.Process) error { return errNoPause }

// processAlive cannot tell here: known is false.
func processAlive(int) (alive, known bool) { return false, false }
