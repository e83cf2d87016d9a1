package app

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newReportCmd() *cobra.Command {
	var out, junit string
	cmd := &cobra.Command{
		Use:   "report JOURNAL",
		Short: "Render the markdown report of a run from its journal",
		Long: `Render the markdown experiment report from a journal alone. The output is
byte for byte the report the run wrote. With -o it is written to a file,
otherwise to standard output.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				if err := renderReport(cmd.OutOrStdout(), args[0]); err != nil {
					return invalid(err)
				}
			} else {
				if err := writeReportFile(out, args[0]); err != nil {
					return invalid(err)
				}
				fmt.Fprintln(cmd.ErrOrStderr(), "report:", out)
			}
			if junit != "" {
				if err := writeJUnitFile(junit, args[0]); err != nil {
					return invalid(err)
				}
				fmt.Fprintln(cmd.ErrOrStderr(), "junit:", junit)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the report to `FILE`")
	cmd.Flags().StringVar(&junit, "junit", "", "also write JUnit XML to `FILE`")
	return cmd
}
