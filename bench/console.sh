#!/bin/bash
# Console throughput: 1 MiB printed by a native program (bench/console_bench.c) to stdout, timed
# from `toro run` to its exit, through COM1 (--console serial) and through the virtio console
# (--console virtio, the default), under QEMU TCG and under the built-in monitor (where the
# image can run here). Output goes to a file, which is checked for size. Medians of interleaved
# runs; the run with 0 bytes is the floor (boot and exit) that the rate is computed above.
# Usage: bench/console.sh BUILD_DIR [RUNS]; BYTES=N in the environment changes the amount.
set -u
BUILD=$(cd "${1:-build}" && pwd)
RUNS=${2:-5}
HERE=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d /tmp/toro-console-XXXXXX)
trap 'rm -rf "$TMP"' EXIT
BYTES=${BYTES:-1048576}
"$BUILD/toro" build --native --no-fpu "$HERE/console_bench.c" -o "$TMP/c.elf" || exit 1

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# One run: prints its wall time in ms, or "fail".
one() { # vmm console bytes
	local t0 t1 size
	t0=$(date +%s%N)
	timeout 300 "$BUILD/toro" run "$TMP/c.elf" --vmm "$1" --console "$2" -- "$3" \
		</dev/null >"$TMP/out" 2>/dev/null || { echo fail; return; }
	t1=$(date +%s%N)
	size=$(stat -c %s "$TMP/out")
	[ "$size" = "$3" ] || { echo fail; return; }
	echo $(((t1 - t0) / 1000000))
}

echo "== Console throughput: $BYTES bytes to stdout (a file), $RUNS runs, median"
for vmm in qemu toro; do
	if ! timeout 60 "$BUILD/toro" run "$TMP/c.elf" --vmm "$vmm" -- 0 </dev/null >/dev/null 2>&1; then
		echo "  $vmm: cannot run here; skipped"
		continue
	fi
	for console in serial virtio; do
		: >"$TMP/floor" && : >"$TMP/full"
		for ((i = 0; i < RUNS; i++)); do
			one "$vmm" "$console" 0 >>"$TMP/floor"
			one "$vmm" "$console" "$BYTES" >>"$TMP/full"
		done
		if grep -q fail "$TMP/floor" "$TMP/full"; then
			echo "  $vmm $console: a run failed"
			continue
		fi
		f=$(median <"$TMP/floor") t=$(median <"$TMP/full")
		awk -v v="$vmm" -v c="$console" -v f="$f" -v t="$t" -v b="$BYTES" 'BEGIN {
			d = t - f
			if (d < 20)
				printf "  %-5s %-7s %7d ms (floor %d ms): within the floor'"'"'s noise\n", v, c, t, f
			else
				printf "  %-5s %-7s %7d ms (floor %d ms): %8.0f KB/s\n", v, c, t, f, b / 1000 / (d / 1000)
		}'
	done
done
