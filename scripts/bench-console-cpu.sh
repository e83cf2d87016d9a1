#!/usr/bin/env bash
# bench-console-cpu.sh — the console's own CPU while watching a run.
#
# The console process also runs the built-in load generator, so its CPU
# alone is not the console's cost. This script runs the same scenario twice
# against one separately started sandbox (whose processes are not counted):
# once headless and once in the console (tmux, 200×50), and measures each
# gameday process's user+system CPU over the same window of the baseline.
# The difference is what the screen costs: rendering at 4 Hz, event
# handling, layout.
#
# Usage: scripts/bench-console-cpu.sh [SECONDS]   (default 30)
# Needs tmux. Traffic goes only to 127.0.0.1 and every run stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-30}
warm=8
work=$(mktemp -d)
export GAMEDAY_STATE_DIR=$work/state
bin=$work/gameday
cleanup() {
	tmux kill-session -t gdbench 2>/dev/null || true
	[ -n "${sbpid:-}" ] && kill "$sbpid" 2>/dev/null && wait "$sbpid" 2>/dev/null
	[ -n "${hpid:-}" ] && kill -9 "$hpid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

command -v tmux >/dev/null || { echo "tmux is needed (apt-get install -y tmux)" >&2; exit 1; }
go build -o "$bin" ./cmd/gameday

# One scenario with a long baseline and a fault that only runs on demand,
# so both measurements see the same steady traffic.
mkdir -p "$work/scenarios"
baseline=$((warm + secs + 30))
cat >"$work/scenarios/bench.yaml" <<EOF
title: Console CPU bench
hypothesis: nothing is injected; this only measures the console
blast_radius: none
rollback: nothing to roll back
target: { provider: sandbox }
load: { rate: 100 }
steady_state:
  error_rate: { max: 0.5 }
phases: { baseline: ${baseline}s, fault: 5s, recovery: 5s }
faults:
  - kind: latency
    manual: true
    selection: { count: 1 }
    params: { delay: 10ms }
EOF

"$bin" sandbox --restart-delay 1s >/dev/null 2>&1 &
sbpid=$!
for _ in $(seq 100); do [ -f "$GAMEDAY_STATE_DIR/sandbox.json" ] && break; sleep 0.2; done
[ -f "$GAMEDAY_STATE_DIR/sandbox.json" ] || { echo "sandbox did not start" >&2; exit 1; }

ticks=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
measure() { # pid → CPU % of one core over $secs after $warm
	local pid=$1 a b
	sleep "$warm"
	a=$(cpu "$pid")
	sleep "$secs"
	b=$(cpu "$pid")
	awk -v d=$((b - a)) -v t="$ticks" -v s="$secs" 'BEGIN { printf "%.2f", 100 * d / t / s }'
}

"$bin" run "$work/scenarios/bench.yaml" --headless --journal "$work/h.jsonl" >/dev/null 2>&1 &
hpid=$!
headless=$(measure "$hpid")
kill -INT "$hpid"; wait "$hpid" 2>/dev/null || true
hpid=

cpid=$(tmux new -d -P -F '#{pane_pid}' -s gdbench -x 200 -y 50 \
	"exec env GAMEDAY_STATE_DIR=$GAMEDAY_STATE_DIR $bin --scenarios $work/scenarios")
for _ in $(seq 100); do tmux capture-pane -p -t gdbench | grep -q "Console CPU bench" && break; sleep 0.2; done
tmux send-keys -t gdbench / && tmux send-keys -t gdbench -l "Console CPU" && tmux send-keys -t gdbench Enter Enter
for _ in $(seq 100); do tmux capture-pane -p -t gdbench | grep -q "BASELINE" && break; sleep 0.2; done
tmux capture-pane -p -t gdbench | grep -q "BASELINE" || { echo "the console did not start the run:" >&2; tmux capture-pane -p -t gdbench >&2; exit 1; }
console=$(measure "$cpid")
tmux send-keys -t gdbench C-x; sleep 2; tmux send-keys -t gdbench q
for _ in $(seq 50); do kill -0 "$cpid" 2>/dev/null || break; sleep 0.2; done

echo "| measurement (${secs} s, 100 req/s of built-in load) | CPU, % of one core |"
echo "|---|---|"
echo "| headless run (load generator + engine) | $headless |"
echo "| console at 200×50 (load generator + engine + screen) | $console |"
awk -v a="$console" -v b="$headless" 'BEGIN { printf "| **the console'"'"'s own cost** (difference) | **%.2f** |\n", a - b }'
