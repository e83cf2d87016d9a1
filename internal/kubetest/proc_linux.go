package kubetest

import "syscall"

// sysProcAttr asks the kernel to SIGKILL the child when the thread that
// started it ends: the test binary dying (even by SIGKILL) takes etcd and
// kube-apiserver with it.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
