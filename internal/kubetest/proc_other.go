//go:build !linux

package kubetest

import "syscall"

// sysProcAttr has no Pdeathsig outside Linux: the children are killed at
// the test's cleanup only.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }
