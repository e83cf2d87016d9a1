package app

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/spf13/cobra"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

// completeScenarios completes a scenario argument with the names gameday
// list shows.
func completeScenarios(_ *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	plans, _ := scenarios.Discover(scenarios.SearchDirs(nil), scenarioOptions())
	var out []string
	for _, p := range plans {
		if name := planName(p); strings.HasPrefix(name, prefix) {
			out = append(out, name+"\t"+oneLine(p.Title))
		}
	}
	// A path to a file of one's own completes too.
	return out, cobra.ShellCompDirectiveDefault
}

// completeKinds completes a fault kind: every kind some provider of this
// build implements.
func completeKinds(_ *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
	seen := map[providers.Kind]bool{}
	var out []string
	for _, spec := range defaultRegistry().options().Providers {
		for _, k := range spec.Kinds {
			if !seen[k] && strings.HasPrefix(string(k), prefix) {
				seen[k] = true
				out = append(out, string(k))
			}
		}
	}
	slices.Sort(out)
	return out, cobra.ShellCompDirectiveNoFileComp
}

func newListCmd() *cobra.Command {
	var dirs []string
	var days bool
	var kind string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the scenarios gameday can run",
		Long: `List every scenario gameday can run: the shipped ones, then the files in
./scenarios, in each --scenarios DIR and in the user config directory
(for example ~/.config/gameday/scenarios). Columns: the name gameday run
accepts, title, provider, fault kinds, path. Files that are not valid scenarios are reported on standard
error; the valid ones are still listed. A game-day file (day:) is not a
scenario: --days lists those instead, from the same places.

Exit codes: 0 all found files are valid; 3 some are not.`,
		Example: "  gameday list\n  gameday list --kind latency\n  gameday list --scenarios ./gamedays\n  gameday list --days",
		Args:    argsWith(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkScenarioDirs(dirs); err != nil {
				return invalid(err)
			}
			if days {
				return listDays(cmd.OutOrStdout(), cmd.ErrOrStderr(), dirs)
			}
			plans, errs := scenarios.Discover(scenarios.SearchDirs(dirs), scenarioOptions())
			if kind != "" {
				var keep []*scenarios.Plan
				for _, p := range plans {
					if slices.Contains(p.Kinds(), providers.Kind(kind)) {
						keep = append(keep, p)
					}
				}
				plans = keep
			}
			writeScenarioTable(cmd.OutOrStdout(), plans)
			for _, err := range errs {
				fmt.Fprintln(cmd.ErrOrStderr(), err)
			}
			if len(errs) > 0 {
				files := "files"
				if len(errs) == 1 {
					files = "file"
				}
				return invalid(fmt.Errorf("%d scenario %s could not be loaded (see above)", len(errs), files))
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&dirs, "scenarios", nil, "also look for scenarios in `DIR` (repeatable)")
	cmd.Flags().BoolVar(&days, "days", false, "list the game-day files instead (gameday day runs them)")
	cmd.Flags().StringVar(&kind, "kind", "", "only the scenarios with a fault of `KIND` (instance-stop, latency, …)")
	_ = cmd.RegisterFlagCompletionFunc("kind", completeKinds)
	return cmd
}

// writeScenarioTable writes one row per plan under a header, each column as
// wide as its widest cell in terminal cells (lipgloss.Width), so titles in
// Japanese or any other script line up.
func writeScenarioTable(w io.Writer, plans []*scenarios.Plan) {
	rows := [][]string{{"NAME", "TITLE", "PROVIDER", "FAULTS", "PATH"}}
	for _, p := range plans {
		kinds := make([]string, 0, len(p.Faults))
		for _, k := range p.Kinds() {
			kinds = append(kinds, string(k))
		}
		rows = append(rows, []string{oneLine(planName(p)), oneLine(p.Title), oneLine(p.Target.Provider), strings.Join(kinds, ", "), oneLine(p.Path)})
	}
	writeTable(w, rows)
}

// writeTable writes rows, the first the header, in columns.
func writeTable(w io.Writer, rows [][]string) {
	widths := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, cell := range row {
			widths[i] = max(widths[i], lipgloss.Width(cell))
		}
	}
	var b strings.Builder
	for _, row := range rows {
		b.Reset()
		for i, cell := range row {
			b.WriteString(cell)
			if i < len(row)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-lipgloss.Width(cell)+2))
			}
		}
		fmt.Fprintln(w, b.String())
	}
}
