package extload

import (
	"os"
	"syscall"
)

// sysProcAttr puts the command in its own process group (a Ctrl+C in the
// terminal reaches gameday, which stops the command itself) and asks the
// kernel to SIGKILL it when the thread that started it dies: with
// gameday, since Start keeps that thread until the command is reaped.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

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
