#!/bin/bash
# A short run of every fuzz target (tests/fuzz/NAME.c, built by `make check` into
# build/fuzz/NAME where clang's libFuzzer runtime is installed): 20,000 inputs from a fixed
# random seed, grown from its seed inputs (tests/fuzz/NAME.seeds/) with its dictionary
# (NAME.dict), which must end without a crash, a leak or an escape. `make fuzz` runs them for
# longer (docs/testing.md).
# PARTS: host
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RUNS=20000

runtime=
dir=$(clang --print-runtime-dir 2>/dev/null) && [ -e "$dir/libclang_rt.fuzzer-x86_64.a" ] && runtime=yes
for src in "$ROOT"/tests/fuzz/*.c; do
	name=$(basename "$src" .c)
	check "$name" host || continue
	if [ -z "$runtime" ]; then
		echo "SKIP $name: clang's libFuzzer runtime is not installed (Debian: clang libclang-rt-14-dev)"
		continue
	fi
	bin=$BUILD/fuzz/$name
	if [ ! -x "$bin" ]; then
		echo "SKIP $name: $bin is not built (make check or make fuzz builds it)"
		continue
	fi
	extra=()
	[ -e "$ROOT/tests/fuzz/$name.dict" ] && extra+=(-dict="$ROOT/tests/fuzz/$name.dict")
	mkdir -p "$E2E_TMP/$name"
	# The first directory receives new inputs; the seeds are only read.
	[ -d "$ROOT/tests/fuzz/$name.seeds" ] && extra+=("$ROOT/tests/fuzz/$name.seeds")
	run "$bin" -runs=$RUNS -seed=1 -max_total_time=100 -timeout=10 -artifact_prefix="$E2E_TMP/$name-" \
		"$E2E_TMP/$name" "${extra[@]}"
	want_status 0
	want_line err "^Done $RUNS runs"
	report
done
e2e_exit
