//go:build unix && !linux

package sandbox

import (
	"errors"
	"os"
	"syscall"
)

// childSysProcAttr puts a child in its own process group. There is no
// Pdeathsig outside Linux: children notice their parent's death by the end
// of their standard input and by polling their parent process ID.
func childSysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// pauseProcess stops p (SIGSTOP).
func pauseProcess(p *os.Process) error { return p.Signal(syscall.SIGSTOP) }

// resumeProcess continues p (SIGCONT).
func resumeProcess(p *os.Process) error { return p.Signal(syscall.SIGCONT) }

// processAlive reports whether pid is a process (signal 0 reaches it or is
// refused for want of permission). A zombie counts as alive here.
func processAlive(pid int) (alive, known bool) {
	if pid <= 0 {
		return false, true
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM), true
}
