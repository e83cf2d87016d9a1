#!/usr/bin/env bash
# bench-abort.sh — abort to every fault rolled back, with six faults active.
#
# Starts a sandbox, then ROUNDS times runs a headless scenario whose six
# faults (one of each kind) are all injected at the start of the fault
# phase, waits until the journal shows all six active, sends SIGINT (the
# abort), and lets the run end. internal/journalstat then reads the
# journals: the time from the abort record to the last "rolled back"
# record (every rollback confirmed by the sandbox) and, separately, to the
# last verification, with p50/p99/max over the rounds.
#
# Usage: scripts/bench-abort.sh [ROUNDS]   (default 20)
# Traffic goes only to 127.0.0.1; every run stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${1:-20}
work=$(mktemp -d)
export GAMEDAY_STATE_DIR=$work/state
bin=$work/gameday
cleanup() {
	[ -n "${sbpid:-}" ] && kill "$sbpid" 2>/dev/null && wait "$sbpid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
go build -o "$bin" ./cmd/gameday

cat >"$work/six.yaml" <<'EOF2'
title: Abort bench (six faults)
hypothesis: abort rolls every fault back
blast_radius: one replica per replica fault, the database and the dependency
rollback: abort
target: { provider: sandbox }
load: { rate: 50 }
steady_state:
  error_rate: { max: 1 }
phases: { baseline: 2s, fault: 2m, recovery: 1s }
faults:
  - { kind: latency, selection: { count: 1 }, params: { delay: 50ms } }
  - { kind: cpu-stress, selection: { count: 1 }, params: { workers: 1, load: 10 } }
  - { kind: memory-stress, selection: { count: 1 }, params: { memory_mb: 8 } }
  - { kind: instance-stop, selection: { count: 1 }, params: { mode: pause } }
  - { kind: db-failure, params: { mode: pause } }
  - { kind: dependency-outage, params: { mode: error } }
EOF2

"$bin" sandbox --restart-delay 1s >/dev/null 2>&1 &
sbpid=$!
for _ in $(seq 100); do [ -f "$GAMEDAY_STATE_DIR/sandbox.json" ] && break; sleep 0.2; done
[ -f "$GAMEDAY_STATE_DIR/sandbox.json" ] || { echo "sandbox did not start" >&2; exit 1; }
sleep 3

journals=()
for i in $(seq "$rounds"); do
	j=$work/abort-$i.jsonl
	"$bin" run "$work/six.yaml" --headless --journal "$j" --report "$work/abort-$i.md" >/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 300); do
		[ -f "$j" ] && [ "$(grep -c '"state":3' "$j" || true)" -ge 6 ] && break
		sleep 0.05
	done
	kill -INT "$pid"
	wait "$pid" || true
	journals+=("$j")
	sleep 1
done
go run ./internal/journalstat "${journals[@]}"
