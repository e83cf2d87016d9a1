//go:build !unix

package extload

import (
	"os"
	"syscall"
)

// sysProcAttr has nothing to add where there are no process groups.
func sysProcAttr() *syscall.SysProcAttr { return nil }

// terminate kills the command: there is no SIGTERM to send.
func terminate(p *os.Process) error {
	if p == nil {
		return nil
	}
	return p.Kill()
}

// killGroup has no group to sweep.
func killGroup(*os.Process) error { return nil }
