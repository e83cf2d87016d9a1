// Command gameday is a terminal console for running chaos-engineering game
// days. See the README.
package main

import (
	"os"

	"github.com/gameday-tui/gameday/cmd/gameday/app"
)

func main() { os.Exit(app.Main()) }
