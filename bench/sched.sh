#!/bin/bash
# Scheduler and heap benchmarks: guest instructions per cooperative switch, per thread
# create+join and per malloc+free pair (QEMU TCG icount between marker functions, deterministic),
# and the guest's own wall-clock figures under QEMU TCG and under the built-in monitor, plus the
# host-side heap fast path (bench/heap.sh). Usage: bench/sched.sh BUILD_DIR
set -u
BUILD=$(cd "${1:-build}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
ICOUNT=${ICOUNT:-$HERE/icount/icount.sh}
img=$(mktemp /tmp/toro-sched-XXXXXX.elf)
trap 'rm -f "$img"' EXIT
"$BUILD/toro" build --native --no-fpu "$HERE/sched_bench.c" -o "$img" || exit 1

echo "== Guest instructions (icount, QEMU TCG, 1 CPU)"
out=$(bash "$ICOUNT" -e -t 300 "$img" bench_switch_begin bench_switch_end bench_create_begin \
	bench_create_end bench_malloc_begin bench_malloc_end 2>&1)
count() { echo "$out" | awk -v s="$1" '$1 == s { print $3 }'; }
per() { # begin end ops label
	local b e
	b=$(count "$1") e=$(count "$2")
	if [[ "$b" =~ ^[0-9]+$ && "$e" =~ ^[0-9]+$ ]]; then
		printf '  %-32s %8.1f instructions\n' "$4" "$(echo "$e $b $3" | awk '{print ($1-$2)/$3}')"
	else
		echo "  $4: icount failed"; echo "$out" | sed 's/^/    /'
	fi
}
per bench_switch_begin bench_switch_end 2000 "cooperative switch (incl. yield)"
per bench_create_begin bench_create_end 200 "thread create + join"
per bench_malloc_begin bench_malloc_end 2000 "toro_malloc + toro_free pair"

pimg=$(mktemp /tmp/toro-pmalloc-XXXXXX.elf)
"$BUILD/toro" build "$HERE/posix_malloc_bench.c" -o "$pimg" || exit 1
out=$(bash "$ICOUNT" -e -t 300 "$pimg" bench_posix_malloc_begin bench_posix_malloc_end 2>&1)
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
