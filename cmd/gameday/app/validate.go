package app

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/gameday-tui/gameday/scenarios"
)

func newValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check scenario files without running anything",
		Long: `Check scenario files strictly, the way run and the console load them,
without touching any system. Each valid file prints "ok  FILE  (title)";
each invalid one prints every mistake it has as FILE:LINE:COLUMN: message.
FILE "-" reads standard input. A game-day file (day:) is checked the way
gameday day loads it: the file, then the scenario of each experiment with
the phases the day gives it.

Exit codes: 0 every file is valid; 3 at least one is not.`,
		Example: "  gameday validate scenarios/*.yaml\n  cat plan.yaml | gameday validate -\n  gameday validate scenarios/days/sandbox-day.yaml",
		Args:    argsWith(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return validateFiles(cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr(), args)
		},
	}
}

// validateFiles checks each file, printing a line per valid file to stdout
// and the mistakes of the others to stderr.
func validateFiles(stdin io.Reader, stdout, stderr io.Writer, paths []string) error {
	bad := 0
	for _, path := range paths {
		title, err := validateOne(stdin, path)
		if err != nil {
			bad++
			fmt.Fprintln(stderr, err)
			continue
		}
		fmt.Fprintf(stdout, "ok  %s  (%s)\n", path, oneLine(title))
	}
	if bad > 0 {
		return invalid(fmt.Errorf("%d of %d scenario files are invalid", bad, len(paths)))
	}
	return nil
}

// validateOne checks one scenario or game-day file ("-": standard input)
// and returns what the ok line says of it.
func validateOne(stdin io.Reader, path string) (string, error) {
	if path == "-" {
		data, err := io.ReadAll(io.LimitReader(stdin, scenarios.MaxFileSize+1))
		if err != nil {
			return "", fmt.Errorf("read scenario from standard input: %w", err)
		}
		if scenarios.IsDay(data) {
			return validateDay(scenarios.ParseDay("<stdin>", data))
		}
		plan, err := scenarios.Parse("<stdin>", data, scenarioOptions())
		if err != nil {
			return "", err
		}
		return plan.Title, nil
	}
	plan, err := scenarios.LoadFile(path, scenarioOptions())
	if errors.Is(err, scenarios.ErrDayFile) {
		return validateDay(scenarios.LoadDayFile(path))
	}
	if err != nil {
		return "", err
	}
	return plan.Title, nil
}

// oneLine makes text from a scenario file safe to print on one line of a
// terminal: line breaks and tabs become spaces, other control characters
// (a "\e[2J" in a double-quoted YAML title) become U+FFFD.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case unicode.IsControl(r):
			return unicode.ReplacementChar
		}
		return r
	}, strings.TrimSpace(s))
}

// checkScenarioDirs makes sure each directory given with --scenarios exists:
// a typo there would otherwise hide the user's scenarios silently.
func checkScenarioDirs(dirs []string) error {
	for _, dir := range dirs {
		fi, err := os.Stat(dir)
		if err != nil {
			return fmt.Errorf("--scenarios %s: %w", dir, err)
		}
		if !fi.IsDir() {
			return fmt.Errorf("--scenarios %s: not a directory", dir)
		}
	}
	return nil
}
