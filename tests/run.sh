#!/bin/bash
# Runs every test: host unit tests (build/tests/unit/*), guest tests (the CASE lines of
# tests/guest/*.c, each booted with `toro run` under every monitor it names) and end-to-end
# scripts (tests/e2e/*.sh). Two at a time; each has a timeout. The last line is the summary,
# "N passed, N failed". Usage: tests/run.sh BUILD_DIR [FILTER]  (FILTER: a substring of names)
set -u
BUILD=${1:-build}
FILTER=${2:-}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "$BUILD" && pwd)
export TORO="$BUILD/toro" BUILD ROOT
JOBS=${TEST_JOBS:-2}
RESULTS=$(mktemp -d /tmp/toro-tests-XXXXXX)
trap 'rm -rf "$RESULTS"' EXIT

# Monitors a native guest test runs under; POSIX ones always use QEMU here (DESIGN.md §4).
# A test file may name its own: "// VMMS: toro" for all its cases, "// VMMS CASE: qemu" for one.
NATIVE_VMMS=${TEST_NATIVE_VMMS:-qemu toro}

# One test per line: "name<TAB>kind<TAB>spec", written for the workers.
list_tests() {
	for t in "$BUILD"/tests/unit/*; do
		[ -x "$t" ] && printf '%s\tunit\t%s\n' "unit/$(basename "$t")" "$t"
	done
	for src in "$ROOT"/tests/guest/*.c; do
		local base native=0
		base=$(basename "$src" .c)
		grep -q '^// BUILD:.*--native' "$src" && native=1
		sed -n 's|^// CASE: *||p' "$src" | while IFS= read -r spec; do
			local cname vmms=qemu
			cname=$(printf '%s' "$spec" | awk -F' [|] ' '{print $1}')
			[ $native = 1 ] && vmms=$NATIVE_VMMS
			vmms=$(sed -n "s|^// VMMS: *||p" "$src" | tail -1 | grep . || echo "$vmms")
			vmms=$(sed -n "s|^// VMMS $cname: *||p" "$src" | tail -1 | grep . || echo "$vmms")
			for vmm in $vmms; do
				printf '%s\tguest\t%s|%s|%s\n' "guest/$base/$cname@$vmm" "$base" "$vmm" "$spec"
			done
		done
	done
	for t in "$ROOT"/tests/e2e/*.sh; do
		[ -f "$t" ] && printf '%s\te2e\t%s\n' "e2e/$(basename "$t" .sh)" "$t"
	done
}

# Runs one test; writes RESULTS/<n>.pass or .fail with the reason and output.
run_one() {
	local n=$1 name=$2 kind=$3 spec=$4 out rc start
	out="$RESULTS/$n.out"
	start=$(date +%s.%N)
	case $kind in
	unit)
		timeout -k 5 120 "$spec" >"$out" 2>&1
		rc=$?
		if [ $rc = 0 ]; then ok=1; why=""; else ok=0; why="exit status $rc"; fi
		;;
	e2e)
		timeout -k 5 300 bash "$spec" >"$out" 2>&1
		rc=$?
		if [ $rc = 0 ]; then ok=1; why=""; else ok=0; why="exit status $rc"; fi
		;;
	guest)
		local image vmm cname opts want pats
		IFS='|' read -r image vmm cname opts want pats <<<"$spec"
		image="$BUILD/tests/guest/$image.elf"
		opts=$(echo "$opts" | sed 's/^ *//; s/ *$//')
		want=$(echo "$want" | tr -d ' ')
		pats=$(echo "$pats" | sed 's/^ *//; s/ *$//')
		# shellcheck disable=SC2086
		eval "set -- $opts"
		timeout -k 5 120 "$TORO" run "$image" --vmm "$vmm" --timeout 60 "$@" \
			</dev/null >"$out" 2>&1
		rc=$?
		ok=1 why=""
		if [ "$rc" != "$want" ]; then
			ok=0 why="exit status $rc, expected $want"
		fi
		if [ $ok = 1 ] && [ -n "$pats" ]; then
			local rest=$pats p
			while [ -n "$rest" ]; do
				p=${rest%% && *}
				if [ "$p" = "$rest" ]; then rest=""; else rest=${rest#* && }; fi
				if ! grep -Eq -- "$p" "$out"; then
					ok=0 why="output does not match /$p/"
					break
				fi
			done
		fi
		;;
	esac
	local secs
	secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
	if [ $ok = 1 ]; then
		printf 'PASS %s (%.1fs)\n' "$name" "$secs" >"$RESULTS/$n.pass"
	else
		{
			printf 'FAIL %s: %s\n' "$name" "$why"
			tail -n 25 "$out" | sed 's/^/    | /'
		} >"$RESULTS/$n.fail"
	fi
	cat "$RESULTS/$n.pass" "$RESULTS/$n.fail" 2>/dev/null
}
export -f run_one
export RESULTS

list_tests | { if [ -n "$FILTER" ]; then grep -F -- "$FILTER"; else cat; fi; } | nl -w1 -s$'\t' |
	while IFS=$'\t' read -r n name kind spec; do
		printf '%s\0%s\0%s\0%s\0' "$n" "$name" "$kind" "$spec"
	done | xargs -0 -n 4 -P "$JOBS" bash -c 'run_one "$@"' _

passed=$(find "$RESULTS" -name '*.pass' | wc -l)
failed=$(find "$RESULTS" -name '*.fail' | wc -l)
if [ "$failed" -gt 0 ]; then
	echo
	echo "Failures:"
	cat "$RESULTS"/*.fail | grep '^FAIL'
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
