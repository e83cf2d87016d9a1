package app

import (
	"errors"

	"github.com/spf13/cobra"
)

// runChild runs a re-executed sandbox child process when args name one.
func runChild(args []string) (int, bool) { return 0, false }

func newSandboxCmd() *cobra.Command {
	return &cobra.Command{Use: "sandbox", RunE: func(*cobra.Command, []string) error { return errors.New("not yet") }}
}
