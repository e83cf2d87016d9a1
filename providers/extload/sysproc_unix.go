//go:build unix && !linux

package extload

import (
	"os"
	"syscall"
)

// sysProcAttr puts the command in its own process group. There is no
// Pdeathsig outside Linux: a command that gameday's crash leaves behind
// ends by its own duration (k6 --duration).
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// terminate sends SIGTERM to the command's process group.
func terminate(p *os.Process) error { return signalGroup(p, syscall.SIGTERM) }

// killGroup sends SIGKILL to what is left of the command's process group.
func killGroup(p *os.Process) error { return signalGroup(p, syscall.SIGKILL) }

func signalGroup(p *os.Process, sig syscall.Signal) error {
	if p == nil {
		return nil
	}
	if err := syscall.Kill(-p.Pid, sig); err != nil && err != syscall.ESRCH {
		return p.Signal(sig)
	}
	return nil
}
