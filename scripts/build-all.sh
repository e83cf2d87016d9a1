#!/usr/bin/env bash
# build-all.sh — cross-compile gameday for every target .goreleaser.yaml
# releases, with the same flags, without goreleaser. Output in dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
for os in linux darwin windows; do
	for arch in amd64 arm64; do
		ext=; [ "$os" = windows ] && ext=.exe
		out=dist/gameday_${os}_${arch}${ext}
		CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath \
			-ldflags "-s -w -X github.com/gameday-tui/gameday/cmd/gameday/app.Version=$version" \
			-o "$out" ./cmd/gameday
		echo "$out"
	done
done
