package app

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// Build information, set by the release build (.goreleaser.yaml):
//
//	-ldflags "-X github.com/gameday-tui/gameday/cmd/gameday/app.Version=v1.2.3
//	          -X …/app.Commit=abc1234 -X …/app.Date=2026-11-29T10:00:00Z"
//
// A binary built otherwise (go install …@v1.2.3, go build in a clone) takes
// them from the module's build information instead (buildInfo).
var (
	Version = "dev"
	Commit  = ""
	Date    = ""
)

// buildVersion is the version every output names (reports, JUnit, the
// journal): the release's, else the module version `go install` recorded,
// else "dev" with the commit when the binary was built in a clone.
func buildVersion() string {
	v, _, _ := buildInfo()
	return v
}

// buildInfo returns the version, commit and date of this binary.
func buildInfo() (version, commit, date string) {
	version, commit, date = Version, Commit, Date
	if commit == "none" { // a snapshot built where git told goreleaser nothing
		commit = ""
	}
	if strings.HasPrefix(date, "0001-") {
		date = ""
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return version, commit, date
	}
	if version == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		version = info.Main.Version // go install github.com/gameday-tui/gameday/cmd/gameday@v1.2.3
	}
	dirty := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			if commit == "" {
				commit = s.Value
			}
		case "vcs.time":
			if date == "" {
				date = s.Value
			}
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if len(commit) > 12 {
		commit = commit[:12]
	}
	if dirty && commit != "" && !strings.HasSuffix(commit, "-dirty") {
		commit += "-dirty"
	}
	return version, commit, date
}

// versionLine is what `gameday version` and `gameday --version` print.
func versionLine() string {
	v, commit, date := buildInfo()
	var extra []string
	if commit != "" {
		extra = append(extra, "commit "+commit)
	}
	if date != "" {
		extra = append(extra, "built "+date)
	}
	extra = append(extra, runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH)
	return fmt.Sprintf("gameday %s (%s)", v, strings.Join(extra, ", "))
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the gameday version, commit and build date",
		Example: "  gameday version\n  gameday --version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(cmd.OutOrStdout(), versionLine())
			return nil
		},
	}
}
