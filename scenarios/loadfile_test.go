//go:build unix

package scenarios_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/scenarios"
)

// loadWithin runs LoadFile on path and fails the test if it does not
// answer within a few seconds: a FIFO nobody writes to would block an
// ordinary open for ever.
func loadWithin(t *testing.T, path string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := scenarios.LoadFile(path, testOptions())
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatalf("LoadFile(%s) is still blocked after 5s", path)
		return nil
	}
}

// A named pipe, a device and a directory are refused at once, saying what
// they are, without waiting for a writer or reading without end.
func TestLoadFileRefusesNonRegular(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink(fifo, link); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		path string
		what string
	}{
		"fifo":                {fifo, "a named pipe (FIFO)"},
		"symlink to a fifo":   {link, "a named pipe (FIFO)"},
		"directory":           {dir, "a directory"},
		"character device":    {"/dev/null", "a character device"},
		"endless char device": {"/dev/zero", "a character device"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := os.Stat(tc.path); err != nil {
				t.Skip(err)
			}
			start := time.Now()
			err := loadWithin(t, tc.path)
			if !errors.Is(err, scenarios.ErrNotRegular) || !strings.Contains(err.Error(), "it is "+tc.what) {
				t.Errorf("LoadFile(%s) = %v; want ErrNotRegular saying it is %s", tc.path, err, tc.what)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("LoadFile took %s", d)
			}
		})
	}
}

// Files that are empty, too large or indented with tabs are refused with a
// line, and a column where there is one, like every other mistake.
func TestLoadFilePositions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	big := "title: x\n# " + strings.Repeat("y", scenarios.MaxFileSize) + "\nmore: z\n"
	tests := map[string]struct {
		path      string
		line, col int
		contains  string
	}{
		"empty":        {write("empty.yaml", ""), 1, 1, "the file is empty"},
		"blank":        {write("blank.yaml", "\n\n   \n"), 1, 1, "the file is empty"},
		"too large":    {write("big.yaml", big), 2, scenarios.MaxFileSize - 9 + 1, "goes past 1048576 bytes here"},
		"tab-indented": {write("tab.yaml", "title: x\nload:\n\trate: 5\n"), 3, 1, "a tab indents this line"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := loadWithin(t, tc.path)
			var errs scenarios.Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("LoadFile = %v; want scenario errors", err)
			}
			if e := errs[0]; e.Line != tc.line || e.Column != tc.col || !strings.Contains(e.Msg, tc.contains) || e.Path != tc.path {
				t.Errorf("first error = %v; want %s:%d:%d: …%s…", e, tc.path, tc.line, tc.col, tc.contains)
			}
		})
	}
}
