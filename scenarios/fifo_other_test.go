//go:build !unix

package scenarios_test

import "errors"

// mkfifo cannot make a named pipe here.
func mkfifo(string) error { return errors.ErrUnsupported }
