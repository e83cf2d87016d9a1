package app

import (
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// debugLog is the --log file, if any. It is process-wide by nature (one
// process, one log file), set once before any command runs.
var debugLog struct {
	mu sync.Mutex
	f  *os.File
}

// openDebugLog opens path for debug logs (appending).
func openDebugLog(path string) error {
	f, err := os.OpenFile(expandHome(path), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	debugLog.mu.Lock()
	debugLog.f = f
	debugLog.mu.Unlock()
	return nil
}

// debugf writes one line to the --log file (nothing without one).
func debugf(format string, args ...any) {
	debugLog.mu.Lock()
	defer debugLog.mu.Unlock()
	if debugLog.f == nil {
		return
	}
	fmt.Fprintf(debugLog.f, "%s %s\n", time.Now().Format(time.RFC3339Nano), fmt.Sprintf(format, args...))
}

// forceColor turns colour on even when the output is not a terminal
// (--color always).
func forceColor() { lipgloss.SetColorProfile(termenv.ANSI256) }
