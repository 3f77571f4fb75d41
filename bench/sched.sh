#!/bin/bash
# Scheduler and heap benchmarks: guest instructions per cooperative switch, per thread
# create+join and per malloc+free pair (QEMU TCG icount between marker functions, deterministic),
# and the guest's own wall-clock figures under QEMU TCG and under the built-in monitor, plus the
# host-side heap fast path (bench/heap.sh). Usage: bench/sched.sh BUILD_DIR
set -u
BUILD=$(cd "${1:-build}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/icount/markers.sh"
img=$(mktemp /tmp/toro-sched-XXXXXX.elf)
trap 'rm -f "$img"' EXIT
"$BUILD/toro" build --native --no-fpu "$HERE/sched_bench.c" -o "$img" || exit 1

echo "== Guest instructions (icount, QEMU TCG, 1 CPU)"
icount_markers "$img" bench_switch_begin bench_switch_end bench_create_begin bench_create_end \
	bench_malloc_begin bench_malloc_end
per() { # begin end ops label
	local n
	if n=$(icount_per "$1" "$2" "$3"); then
		printf '  %-32s %8s instructions\n' "$4" "$n"
	else
		echo "  $4: icount failed"; echo "$ICOUNT_OUT" | sed 's/^/    /'
	fi
}
per bench_switch_begin bench_switch_end 2000 "cooperative switch (incl. yield)"
per bench_create_begin bench_create_end 200 "thread create + join"
per bench_malloc_begin bench_malloc_end 2000 "toro_malloc + toro_free pair"

pimg=$(mktemp /tmp/toro-pmalloc-XXXXXX.elf)
"$BUILD/toro" build "$HERE/posix_malloc_bench.c" -o "$pimg" || exit 1
icount_markers "$pimg" bench_posix_malloc_begin bench_posix_malloc_end
per bench_posix_malloc_begin bench_posix_malloc_end 2000 "musl malloc + free pair (POSIX)"
rm -f "$pimg"

for vmm in qemu toro; do
	echo "== Guest wall clock, --vmm $vmm, 2 CPUs (medians of 5 runs)"
	runs=$(for ((i = 0; i < 5; i++)); do
		"$BUILD/toro" run "$img" --vmm "$vmm" --cpus 2 --timeout 120 2>/dev/null
	done)
	for key in switch create+join malloc+free cross-core; do
		line=$(echo "$runs" | grep "^$key" | head -1)
		[ -n "$line" ] || continue
		med=$(echo "$runs" | grep "^$key" | awk -F': ' '{ split($2, w, " "); print w[1] }' | sort -n |
			awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
		printf '  %-12s %s %s\n' "$key" "$med" "$(echo "$line" | cut -d: -f2- | cut -d' ' -f3-)"
	done
done

[ -f "$HERE/heap.sh" ] && bash "$HERE/heap.sh" "$BUILD"
exit 0
