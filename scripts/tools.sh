#!/usr/bin/env bash
# tools.sh — build the pinned developer tools once into a cache outside the
# clone and print where they are. CI (.ci/run) and the Makefile call it; a
# second run finds them and returns at once.
#
#   golangci-lint  the linter (.golangci.yml)
#   goreleaser     checks .goreleaser.yaml and builds a snapshot
#
# Both come from the Go module proxy at the versions below, built with the
# project's Go. Usage: eval "$(scripts/tools.sh)" exports GAMEDAY_TOOLS_BIN.
set -euo pipefail

GOLANGCI_LINT_VERSION=v2.15.0
GORELEASER_VERSION=v2.15.1 # the newest that builds on Go 1.26

cache=${GAMEDAY_TOOLS_CACHE:-$HOME/.cache/gameday-tools}
bin=$cache/bin
mkdir -p "$bin"

have() { # have NAME VERSION: the cached binary reports VERSION
	[ -x "$bin/$1" ] && "$bin/$1" --version 2>/dev/null | grep -q "${2#v}"
}
if ! have golangci-lint "$GOLANGCI_LINT_VERSION"; then
	echo "tools.sh: building golangci-lint $GOLANGCI_LINT_VERSION" >&2
	GOBIN=$bin go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$GOLANGCI_LINT_VERSION" >&2
fi
if ! have goreleaser "$GORELEASER_VERSION"; then
	echo "tools.sh: building goreleaser $GORELEASER_VERSION" >&2
	GOBIN=$bin go install "github.com/goreleaser/goreleaser/v2@$GORELEASER_VERSION" >&2
fi
echo "export GAMEDAY_TOOLS_BIN=$bin"
