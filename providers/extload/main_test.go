//go:build unix

package extload

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"
)

// parentEnv makes the test binary act as a gameday that starts a load
// command and then does nothing (TestChildDiesWithParent kills it).
const parentEnv = "EXTLOAD_TEST_PARENT"

func TestMain(m *testing.M) {
	if os.Getenv(parentEnv) == "1" {
		actAsParent()
		return
	}
	os.Exit(m.Run())
}

// actAsParent starts `sleep 300` as a load command, prints its pid, then
// churns OS threads (goroutines that lock their thread and exit, so the
// runtime retires those threads) as a long-lived gameday would, and
// waits to be killed.
func actAsParent() {
	p, err := Start(context.Background(), Config{Argv: []string{"sleep", "300"}})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println(p.Pid())
	for {
		done := make(chan struct{})
		go func() {
			runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
			close(done)
		}()
		<-done
		time.Sleep(20 * time.Millisecond)
	}
}
