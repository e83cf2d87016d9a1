#!/usr/bin/env bash
# reliability.sh — the figures of docs/reliability.md that need a running
# sandbox:
#
#   signals   INT, TERM, HUP, PIPE and QUIT, each sent ROUNDS times to a
#             headless run mid-fault: every time, exit 2 and the fault
#             rolled back and verified clean (read from the journal);
#   recover   a run SIGKILLed mid-fault, then gameday recover under another
#             HOME and state directory (exit 4, nothing confirmed, the hook
#             still in place), then with the run's (exit 0, clean);
#   abort     abort → rolled back and → verified, with a latency and an
#             instance-stop fault active, p50/p99 over ROUNDS aborts
#             (internal/journalstat).
#
# Usage: scripts/reliability.sh [ROUNDS]   (default 5 signals each, 20 aborts)
# Traffic goes only to 127.0.0.1; every run stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${1:-5}
aborts=$((rounds * 4))
work=$(mktemp -d)
export GAMEDAY_STATE_DIR=$work/state
export HOME=$work/home XDG_STATE_HOME=$work/home/state XDG_CONFIG_HOME=$work/home/config
mkdir -p "$HOME"
bin=$work/gameday
cleanup() {
	[ -n "${sbpid:-}" ] && kill "$sbpid" 2>/dev/null && wait "$sbpid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
go build -o "$bin" ./cmd/gameday

cat >"$work/one.yaml" <<'EOF2'
title: Reliability (one fault)
hypothesis: any signal rolls the fault back
blast_radius: one replica
rollback: abort
target: { provider: sandbox }
load: { rate: 20, path: /api/users/7 }
steady_state:
  error_rate: { max: 1 }
phases: { baseline: 2s, fault: 5m, recovery: 1s }
faults:
  - { kind: latency, selection: { count: 1 }, params: { delay: 50ms } }
EOF2
cat >"$work/two.yaml" <<'EOF2'
title: Reliability (latency and instance stop)
hypothesis: abort rolls both back
blast_radius: two replicas
rollback: abort
target: { provider: sandbox }
load: { rate: 20, path: /api/users/7 }
steady_state:
  error_rate: { max: 1 }
phases: { baseline: 2s, fault: 5m, recovery: 1s }
faults:
  - { kind: latency, selection: { names: [replica-1] }, params: { delay: 50ms } }
  - { kind: instance-stop, target: { names: [replica-2] } }
EOF2
sed -i 's/selection: { names: \[replica-1\] }/target: { names: [replica-1] }/' "$work/two.yaml"

"$bin" sandbox --restart-delay 1s >/dev/null 2>&1 &
sbpid=$!
for _ in $(seq 150); do [ -f "$GAMEDAY_STATE_DIR/sandbox.json" ] && break; sleep 0.2; done
sleep 3

# active N JOURNAL: wait until N faults are active in JOURNAL.
active() {
	for _ in $(seq 600); do
		[ -f "$2" ] && [ "$(grep -c '"state":3' "$2" || true)" -ge "$1" ] && return 0
		sleep 0.05
	done
	echo "no $1 active fault(s) in $2" >&2
	return 1
}
# clean JOURNAL: every fault rolled back and verified clean.
clean() {
	go run ./internal/journalstat --clean "$1"
}

echo "== signals ($rounds each)"
for sig in INT TERM HUP PIPE QUIT; do
	ok=0
	for i in $(seq "$rounds"); do
		j=$work/sig-$sig-$i.jsonl
		"$bin" run "$work/one.yaml" --headless --journal "$j" >/dev/null 2>&1 &
		pid=$!
		active 1 "$j"
		kill -"$sig" "$pid"
		code=0
		wait "$pid" || code=$?
		if [ "$code" = 2 ] && clean "$j" >/dev/null; then ok=$((ok + 1)); else echo "  $sig round $i: exit $code; $(clean "$j" 2>&1 | tail -1)"; fi
	done
	echo "SIG$sig: $ok/$rounds runs exited 2 with the fault rolled back and verified clean"
done

echo "== recover from another state directory"
j=$work/killed.jsonl
"$bin" run "$work/one.yaml" --headless --journal "$j" >/dev/null 2>&1 &
pid=$!
active 1 "$j"
kill -KILL "$pid"; wait "$pid" 2>/dev/null || true
code=0
GAMEDAY_STATE_DIR=$work/other HOME=$work/otherhome XDG_STATE_HOME=$work/otherhome/state "$bin" recover "$j" >"$work/other.out" 2>&1 || code=$?
hooks=$("$bin" sandbox status --json | grep -c '"state": *"active"' || true)
echo "recover under another HOME and state dir: exit $code, active hooks still in place: $hooks"
grep -m1 "NOT confirmed" "$work/other.out" | cut -c1-160
code=0
"$bin" recover "$j" >"$work/right.out" 2>&1 || code=$?
echo "recover with the run's state dir: exit $code: $(grep -m1 'f1 latency' "$work/right.out")"

echo "== abort with latency and instance-stop active ($aborts aborts)"
journals=()
for i in $(seq "$aborts"); do
	j=$work/abort-$i.jsonl
	"$bin" run "$work/two.yaml" --headless --journal "$j" >/dev/null 2>&1 &
	pid=$!
	active 2 "$j"
	kill -INT "$pid"
	wait "$pid" || true
	journals+=("$j")
	sleep 1.5 # the supervisor restarts the stopped replica
done
go run ./internal/journalstat "${journals[@]}" | tail -2
