#!/usr/bin/env bash
# soak.sh — a long headless run at a steady rate: the run's memory and
# goroutines over time.
#
# Starts a sandbox, then one headless run of MINUTES minutes (baseline 1 m,
# the rest a fault phase with one latency fault on demand that is never
# injected, recovery 1 m) at RATE req/s, and records every minute the run
# process's RSS (VmRSS) and its goroutine count (from its debug endpoint,
# GAMEDAY_DEBUG_ADDR on loopback). Prints one line per minute and a
# summary. The sandbox's processes are not counted.
#
# Usage: scripts/soak.sh [MINUTES] [RATE]   (default 60 and 1000)
# Traffic goes only to 127.0.0.1; the run stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."

mins=${1:-60}
rate=${2:-1000}
work=$(mktemp -d)
export GAMEDAY_STATE_DIR=$work/state
bin=$work/gameday
debug=127.0.0.1:16061
cleanup() {
	[ -n "${rpid:-}" ] && kill -INT "$rpid" 2>/dev/null && wait "$rpid" 2>/dev/null
	[ -n "${sbpid:-}" ] && kill "$sbpid" 2>/dev/null && wait "$sbpid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
go build -o "$bin" ./cmd/gameday

fault=$((mins - 2))
cat >"$work/soak.yaml" <<EOF2
title: Soak
hypothesis: the run holds its memory flat
blast_radius: none (the fault is never injected)
rollback: nothing
target: { provider: sandbox }
load: { rate: $rate, timeout: 2s }
steady_state:
  error_rate: { max: 0.5 }
phases: { baseline: 1m, fault: ${fault}m, recovery: 1m }
faults:
  - { kind: latency, manual: true, selection: { count: 1 }, params: { delay: 10ms } }
EOF2

"$bin" sandbox >/dev/null 2>&1 &
sbpid=$!
for _ in $(seq 100); do [ -f "$GAMEDAY_STATE_DIR/sandbox.json" ] && break; sleep 0.2; done

GAMEDAY_DEBUG_ADDR=$debug "$bin" run "$work/soak.yaml" --headless --journal "$work/soak.jsonl" >"$work/run.out" 2>&1 &
rpid=$!
goroutines() { curl -s "http://$debug/debug/pprof/goroutine?debug=1" | head -1 | sed 's/.*total //'; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$rpid/status"; }
sleep 5
printf "minute  rss_mb  goroutines\n"
for m in $(seq 0 $((mins - 1))); do
	kill -0 "$rpid" 2>/dev/null || break
	printf "%6d  %6s  %10s\n" "$m" "$(awk -v k="$(rss)" 'BEGIN { printf "%.1f", k / 1024 }')" "$(goroutines)"
	sleep 60
done
code=0
wait "$rpid" || code=$?
rpid=
echo "run exit $code; its last lines:"
tail -5 "$work/run.out"
echo "journal: $(wc -l <"$work/soak.jsonl") records, $(du -k "$work/soak.jsonl" | cut -f1) KB"
