#!/usr/bin/env bash
# bench-loadgen.sh — gameday load side by side with vegeta and wrk against
# one loopback target, printing a markdown table (see docs/performance.md).
#
#   scripts/bench-loadgen.sh                 # 10 s per run, 1 round
#   DUR=10 ROUNDS=3 CONNS=50 scripts/bench-loadgen.sh
#
# Environment:
#   DUR         seconds per run (default 10)
#   ROUNDS      rounds; each cell is the median over rounds (default 1)
#   CONNS       connections/workers for the max-throughput runs (default 50)
#   GAMEDAY_BIN use this gameday binary instead of building ./cmd/gameday
#
# It installs vegeta (go install) and wrk (apt-get) if they are missing,
# builds gameday and the target (internal/benchtarget: GET / answers at once,
# GET /slow after 5 ms), starts the target on 127.0.0.1 and runs, per round:
#   1. maximum throughput: gameday --rate 0 vs vegeta -rate=0 vs wrk, with
#      the same number of connections/workers;
#   2. p95 latency at 1,000 and 5,000 req/s on /slow, gameday vs vegeta, and
#      an unloaded reference: wrk with one connection, sequential requests;
#   3. CPU seconds (user+sys) of the generator process during the 1,000 req/s
#      runs of (2), gameday vs vegeta.
# Every run is bounded by `timeout`; traffic goes to 127.0.0.1 only. The
# target and the generator share the machine's cores.
set -euo pipefail
cd "$(dirname "$0")/.."

DUR=${DUR:-10}
ROUNDS=${ROUNDS:-1}
CONNS=${CONNS:-50}
RATES=(1000 5000)

WORK=$(mktemp -d)
TARGET_PID=
cleanup() {
	if [ -n "$TARGET_PID" ]; then kill "$TARGET_PID" 2>/dev/null || true; wait "$TARGET_PID" 2>/dev/null || true; fi
	rm -rf "$WORK"
}
trap cleanup EXIT
log() { echo "bench: $*" >&2; }

# --- tools -------------------------------------------------------------------
VEGETA=$(command -v vegeta || true)
if [ -z "$VEGETA" ]; then
	VEGETA="$(go env GOPATH)/bin/vegeta"
	if [ ! -x "$VEGETA" ]; then
		log "installing vegeta v12.13.0"
		GOFLAGS= go install github.com/tsenart/vegeta/v12@v12.13.0
	fi
fi
if ! command -v wrk >/dev/null; then
	log "installing wrk"
	apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi

log "building gameday and the target"
GAMEDAY=${GAMEDAY_BIN:-$WORK/gameday}
if [ -z "${GAMEDAY_BIN:-}" ]; then go build -o "$GAMEDAY" ./cmd/gameday; fi
go build -o "$WORK/benchtarget" ./internal/benchtarget

"$WORK/benchtarget" -addr 127.0.0.1:0 -addr-file "$WORK/addr" &
TARGET_PID=$!
for _ in $(seq 100); do [ -s "$WORK/addr" ] && break; sleep 0.1; done
[ -s "$WORK/addr" ] || { log "target did not start"; exit 1; }
BASE="http://$(cat "$WORK/addr")"
case "$BASE" in http://127.0.0.1:*) ;; *) log "target not on 127.0.0.1: $BASE"; exit 1 ;; esac
log "target at $BASE"

cat >"$WORK/p95.lua" <<'EOF'
done = function(summary, latency, requests)
  io.write(string.format("p95_us %d\n", latency:percentile(95)))
end
EOF

# --- helpers -----------------------------------------------------------------
LIMIT=$((DUR + 30)) # hard bound on every run
# timed OUT CMD...: run CMD with stdout to OUT; append its CPU seconds to
# $WORK/cpu (the last line is this run's).
timed() {
	local out=$1; shift
	local TIMEFORMAT='%U %S'
	{ time timeout "$LIMIT" "$@" >"$out" 2>>"$WORK/stderr"; } 2>"$WORK/time"
	awk '{ printf "%.3f\n", $1 + $2 }' "$WORK/time" >>"$WORK/cpu"
}
# jnum FILE KEY: the first number after "KEY": in a JSON file.
jnum() { grep -o "\"$2\": *[0-9.e+-]*" "$1" | head -1 | sed 's/.*: *//'; }
# put METRIC VALUE: record one round's value.
put() { echo "$2" >>"$WORK/m.$1"; }
# median METRIC
median() { sort -g "$WORK/m.$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
lastcpu() { tail -1 "$WORK/cpu"; }

echo "GET $BASE/" >"$WORK/fast.txt"
echo "GET $BASE/slow" >"$WORK/slow.txt"

for round in $(seq "$ROUNDS"); do
	log "round $round/$ROUNDS: max throughput ($CONNS connections, ${DUR}s each)"
	timed "$WORK/g.json" "$GAMEDAY" load "$BASE/" --rate 0 --workers "$CONNS" --duration "${DUR}s" --json
	put g_max "$(jnum "$WORK/g.json" throughput | awk '{ printf "%.0f", $1 }')"
	timed "$WORK/v.bin" "$VEGETA" attack -targets "$WORK/fast.txt" -rate=0 -workers="$CONNS" -max-workers="$CONNS" -duration="${DUR}s"
	"$VEGETA" report -type=json "$WORK/v.bin" >"$WORK/v.json"
	put v_max "$(jnum "$WORK/v.json" throughput | awk '{ printf "%.0f", $1 }')"
	timed "$WORK/w.txt" wrk -t2 -c"$CONNS" -d"${DUR}s" "$BASE/"
	put w_max "$(awk '/Requests\/sec/ { printf "%.0f", $2 }' "$WORK/w.txt")"

	log "round $round/$ROUNDS: unloaded reference (wrk, 1 connection, /slow)"
	timed "$WORK/w.txt" wrk -t1 -c1 -d"${DUR}s" -s "$WORK/p95.lua" "$BASE/slow"
	put ref_p95 "$(awk '/p95_us/ { printf "%.3f", $2 / 1000 }' "$WORK/w.txt")"

	for r in "${RATES[@]}"; do
		log "round $round/$ROUNDS: $r req/s on /slow"
		timed "$WORK/g.json" "$GAMEDAY" load "$BASE/slow" --rate "$r" --duration "${DUR}s" --json
		put "g_p95_$r" "$(jnum "$WORK/g.json" p95_ns | awk '{ printf "%.3f", $1 / 1e6 }')"
		put "g_cpu_$r" "$(lastcpu)"
		put "g_ok_$r" "$(jnum "$WORK/g.json" success | awk '{ printf "%.4f", $1 }')"
		timed "$WORK/v.bin" "$VEGETA" attack -targets "$WORK/slow.txt" -rate="$r" -duration="${DUR}s"
		"$VEGETA" report -type=json "$WORK/v.bin" >"$WORK/v.json"
		put "v_p95_$r" "$(jnum "$WORK/v.json" 95th | awk '{ printf "%.3f", $1 / 1e6 }')"
		put "v_cpu_$r" "$(lastcpu)"
		put "v_ok_$r" "$(jnum "$WORK/v.json" success | awk '{ printf "%.4f", $1 }')"
	done
done

# --- report ------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
# verdict EXPR: "met" if the awk expression EXPR (numbers only) holds.
verdict() { if awk "BEGIN { exit !($1) }"; then echo "met"; else echo "**missed**"; fi; }

g_max=$(median g_max); v_max=$(median v_max); w_max=$(median w_max); ref=$(median ref_p95)
max_ratio=$(ratio "$g_max" "$v_max")

echo
echo "### Results"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC') · $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //') · $(uname -sr) · $(go version | awk '{ print $3 }') · vegeta $(go version -m "$VEGETA" 2>/dev/null | awk '$1 == "mod" { print $3 }') · $(wrk -v 2>&1 | head -1 | awk '{ print $1, $2 }') · load average $(cut -d' ' -f1-3 /proc/loadavg) · ${DUR}s per run, median of $ROUNDS round(s)"
echo
echo "| measurement | gameday | vegeta | wrk | target | result |"
echo "|---|---:|---:|---:|---|---|"
printf "| max throughput, req/s (%s connections) | %.0f | %.0f | %.0f | ≥ 1.5× vegeta | %s× vegeta: %s |\n" \
	"$CONNS" "$g_max" "$v_max" "$w_max" "$max_ratio" "$(verdict "$max_ratio >= 1.5")"
for r in "${RATES[@]}"; do
	g=$(median "g_p95_$r"); v=$(median "v_p95_$r")
	d=$(awk -v g="$g" -v ref="$ref" 'BEGIN { printf "%+.2f", g - ref }')
	printf "| p95 at %s req/s, 5 ms handler (ms) | %.2f | %.2f | ref %.2f (1 conn) | ≤ ref + 0.5 ms | %s ms vs ref: %s |\n" \
		"$r" "$g" "$v" "$ref" "$d" "$(verdict "$g - $ref <= 0.5")"
done
gc=$(median g_cpu_1000); vc=$(median v_cpu_1000); cr=$(ratio "$gc" "$vc")
printf "| CPU s (user+sys) of the generator at 1,000 req/s for %ss | %.2f | %.2f | — | ≤ ½ vegeta | %s× vegeta: %s |\n" \
	"$DUR" "$gc" "$vc" "$cr" "$(verdict "$cr <= 0.5")"
echo
echo "Per round (gameday / vegeta / wrk):"
echo
echo "| round | max req/s | ref p95 ms | p95 ms @1000 | p95 ms @5000 | CPU s @1000 | CPU s @5000 | success @1000 / @5000 |"
echo "|---|---|---|---|---|---|---|---|"
for i in $(seq "$ROUNDS"); do
	v() { sed -n "${i}p" "$WORK/m.$1"; }
	echo "| $i | $(v g_max) / $(v v_max) / $(v w_max) | $(v ref_p95) | $(v g_p95_1000) / $(v v_p95_1000) | $(v g_p95_5000) / $(v v_p95_5000) | $(v g_cpu_1000) / $(v v_cpu_1000) | $(v g_cpu_5000) / $(v v_cpu_5000) | $(v g_ok_1000) / $(v v_ok_1000), $(v g_ok_5000) / $(v v_ok_5000) |"
done
