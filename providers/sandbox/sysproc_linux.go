package sandbox

import (
	"errors"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// childSysProcAttr puts a child in its own process group (a Ctrl+C in the
// terminal reaches only the parent, which stops the children itself) and
// asks the kernel to SIGKILL it when its parent dies. Pdeathsig fires when
// the creating OS thread exits, so children are started from a goroutine
// locked to a thread that lives as long as the sandbox (see spawner).
func childSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// pauseProcess stops p (SIGSTOP).
func pauseProcess(p *os.Process) error { return p.Signal(syscall.SIGSTOP) }

// resumeProcess continues p (SIGCONT).
func resumeProcess(p *os.Process) error { return p.Signal(syscall.SIGCONT) }

// processAlive reports whether pid is a live process (a zombie, dead but
// not yet reaped, is not). known is always true here.
func processAlive(pid int) (alive, known bool) {
	if pid <= 0 {
		return false, true
	}
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false, true
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return !errors.Is(err, fs.ErrNotExist), true
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return true, true
	}
	state := s[i+2]
	return state != 'Z' && state != 'X', true
}
