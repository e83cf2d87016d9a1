package sandbox

import (
	"os"
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
