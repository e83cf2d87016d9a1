# The steps of .ci/run, one target each, for working on gameday by hand.
# Every target runs the same command CI or the docs run; nothing here adds
# behaviour. `make` (or `make help`) lists them.
#
# The pinned tools (golangci-lint, goreleaser) come from scripts/tools.sh,
# which builds them once into ~/.cache/gameday-tools; the kube-apiserver of
# the Kubernetes integration tests from scripts/kube-tools.sh.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# ARGS are passed to gameday by `make run`: make run ARGS="run latency --headless".
ARGS ?=
# FUZZTIME is how long `make fuzz` fuzzes each target (.ci/run: 20s).
FUZZTIME ?= 20s

.PHONY: help run test test-short lint fuzz bench release-check ci kube-tools

help: ## list the targets
	@echo "usage: make TARGET"
	@echo
	@awk 'BEGIN { FS = ":.*## " } /^[a-z][a-z-]*:.*## / { printf "  %-14s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

run: ## go run ./cmd/gameday (the console; make run ARGS="run latency --headless")
	go run ./cmd/gameday $(ARGS)

test: ## the README's test command: go test -race -count=1 -timeout 30m ./...
	go test -race -count=1 -timeout 30m ./...

test-short: ## the test command with -short: skips the kill test and the app tests that build the binary or start a sandbox
	go test -race -count=1 -short -timeout 30m ./...

lint: ## gofmt check, go vet, golangci-lint (.golangci.yml), as .ci/run does
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	go vet ./...
	tools=$$(scripts/tools.sh); eval "$$tools"; \
	"$$GAMEDAY_TOOLS_BIN/golangci-lint" run ./...

fuzz: ## a short pass of each fuzz target, as .ci/run does (FUZZTIME=20s)
	for target in "./scenarios FuzzParse" "./scenarios FuzzParseDay" "./engine FuzzJournal" "./engine FuzzRedact"; do \
		set -- $$target; \
		go test "$$1" -run '^$$' -fuzz "^$$2\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s -parallel 2; \
	done

bench: ## the Go benchmarks of docs/performance.md (load generator hot path, console frame time)
	go test -run '^$$' -bench . -benchmem ./providers/loadgen
	go test -run xxx -bench ConsoleView -benchmem -count 3 ./tui/

release-check: ## goreleaser check and a snapshot build of this platform, then clean up (as .ci/run)
	tools=$$(scripts/tools.sh); eval "$$tools"; \
	"$$GAMEDAY_TOOLS_BIN/goreleaser" check; \
	"$$GAMEDAY_TOOLS_BIN/goreleaser" build --snapshot --clean --single-target; \
	./dist/*/gameday version; \
	rm -rf dist dist-extra

ci: ## bash .ci/run: everything CI runs (root, when apt-get has packages to install)
	bash .ci/run

kube-tools: ## build kube-apiserver and fetch the Chaos Mesh CRDs; use: eval "$(make -s kube-tools)"
	scripts/kube-tools.sh
