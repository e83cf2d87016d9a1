package extload

import (
	"bufio"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestChildDiesWithParent: a load command never outlives gameday. The
// test binary, acting as gameday, starts `sleep 300`; the command lives
// on while gameday does (whatever threads it retires), and is gone soon
// after gameday is SIGKILLed — no chance to stop it, only the kernel's
// Pdeathsig.
func TestChildDiesWithParent(t *testing.T) {
	parent := exec.Command(os.Args[0], "-test.run=^$")
	parent.Env = append(os.Environ(), parentEnv+"=1")
	parent.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // if the test dies, so does the parent
	out, err := parent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = parent.Process.Kill(); _ = parent.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("read the command's pid: %v", err)
	}
	child, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("the parent said %q", line)
	}
	defer syscall.Kill(child, syscall.SIGKILL) // should the test fail
	// The parent retires a thread every 20 ms: after a second of that, the
	// command must still run (Pdeathsig follows the starting thread).
	time.Sleep(time.Second)
	if !alive(child) {
		t.Fatal("the load command died while gameday lived: its starting thread was retired")
	}
	if err := parent.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = parent.Wait()
	waitFor(t, 10*time.Second, "the load command gone after gameday was SIGKILLed", func() bool { return !alive(child) })
}
