package app

import (
	"os"
	"testing"
)

// TestMain lets the test binary play the sandbox's children, as the
// gameday binary does, so that tests can start a real sandbox in process.
func TestMain(m *testing.M) {
	if code, ok := runChild(os.Args[1:]); ok {
		os.Exit(code)
	}
	os.Exit(m.Run())
}
