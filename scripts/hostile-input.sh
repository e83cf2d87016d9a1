#!/usr/bin/env bash
# hostile-input.sh — the hostile-input corpus through the real binary.
#
# Builds gameday and runs `gameday validate FILE` and
# `gameday run FILE --headless` on every file of scenarios/testdata/hostile
# and on three it makes: a named pipe (FIFO) nobody writes to, a directory
# and a file one byte over the size limit. Each must exit 3 (invalid, nothing
# ran) within 10 s, say where the problem is (FILE:LINE: or FILE:LINE:COL:,
# or, for the pipe and the directory, that it is not a regular file; run
# looks a directory up as a scenario's name and finds none), print
# no raw escape character and no panic; and no run may write a journal or
# start a sandbox. It prints one line per file, then the count, the
# slowest process of each command, and the slowest parse of the loader in
# process (TestHostileInput's log); any failure exits 1.
#
# Usage: scripts/hostile-input.sh
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GAMEDAY_STATE_DIR=$work/state
mkdir -p "$GAMEDAY_STATE_DIR"
bin=$work/gameday
go build -o "$bin" ./cmd/gameday

mkfifo "$work/pipe.yaml"
mkdir "$work/directory.yaml"
{ printf 'title: Too big\n# '; head -c 1048576 /dev/zero | tr '\0' x; printf '\n'; } >"$work/too-big.yaml"

ms() { echo $(( ($2 - $1) / 1000000 )); }
fail=0
count=0
max_validate=0 max_validate_file=
max_run=0 max_run_file=
for f in scenarios/testdata/hostile/*.yaml "$work/pipe.yaml" "$work/directory.yaml" "$work/too-big.yaml"; do
	count=$((count + 1))
	name=$(basename "$f")
	problems=()

	t0=$(date +%s%N)
	set +e
	timeout 10 "$bin" validate "$f" >"$work/out" 2>"$work/err"
	code=$?
	t1=$(date +%s%N)
	timeout 10 "$bin" run "$f" --headless >"$work/run.out" 2>"$work/run.err"
	rcode=$?
	t2=$(date +%s%N)
	set -e
	v=$(ms "$t0" "$t1") r=$(ms "$t1" "$t2")
	if [ "$v" -gt "$max_validate" ]; then max_validate=$v max_validate_file=$name; fi
	if [ "$r" -gt "$max_run" ]; then max_run=$r max_run_file=$name; fi

	[ "$code" -eq 3 ] || problems+=("validate exit $code")
	[ "$rcode" -eq 3 ] || problems+=("run exit $rcode")
	case $name in
	pipe.yaml) where='not a regular file' rwhere=$where ;;
	# run takes an argument that is a directory for a scenario's name.
	directory.yaml) where='not a regular file' rwhere='no such file or scenario' ;;
	*) where="$f:[0-9]+(:[0-9]+)?: " rwhere=$where ;;
	esac
	grep -Eq -- "$where" "$work/err" || problems+=("validate names no position")
	grep -Eq -- "$rwhere" "$work/run.err" || problems+=("run names no position")
	if LC_ALL=C grep -q $'\x1b' "$work/err" "$work/run.err" "$work/run.out"; then problems+=("raw ESC printed"); fi
	if grep -Eq '^panic:|^goroutine [0-9]+ ' "$work/err" "$work/run.err"; then problems+=("panic"); fi
	if [ -n "$(ls -A "$GAMEDAY_STATE_DIR")" ]; then problems+=("state written: $(ls -A "$GAMEDAY_STATE_DIR" | tr '\n' ' ')"); fi

	first=$(head -n 1 "$work/err" | sed "s|^$work/||; s|^scenarios/testdata/hostile/||" | cut -c1-110)
	if [ ${#problems[@]} -eq 0 ]; then
		printf 'ok    %-30s %4d ms %4d ms  %s\n' "$name" "$v" "$r" "$first"
	else
		printf 'FAIL  %-30s %s\n' "$name" "$(IFS=';'; echo "${problems[*]}")"
		fail=1
	fi
done
echo
echo "$count hostile files: validate and run --headless refuse each (exit 3) saying where; no journal written, no sandbox started, no panic"
echo "slowest process (start to exit): validate $max_validate ms ($max_validate_file), run --headless $max_run ms ($max_run_file)"
# For reference: the same binary doing nothing, the median of 9 runs.
ref=$(for _ in 1 2 3 4 5 6 7 8 9; do t0=$(date +%s%N); "$bin" version >/dev/null; t1=$(date +%s%N); ms "$t0" "$t1"; done | sort -n | sed -n 5p)
echo "reference: gameday version takes $ref ms (median of 9) on this machine now"
# The loader alone, in process, on the same corpus (TestHostileInput).
go test -count=1 -run '^TestHostileInput$' -v ./scenarios/ | sed -n 's/^ *hostile_test.go:[0-9]*: /loader in process: /p'
exit $fail
