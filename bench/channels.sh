#!/bin/bash
# Inter-core channel benchmarks (bench/channel_bench.c): guest instructions per 64-byte send +
# receive on one core against the floor of its two copies (QEMU TCG icount between marker
# functions, deterministic), and the guest's own wall-clock figures with 2 CPUs under QEMU TCG
# and under the built-in monitor: round trips against the baseline of two cores spinning on a
# shared word, and stream rates. Usage: bench/channels.sh BUILD_DIR [ROUNDS]
set -u
BUILD=$(cd "${1:-build}" && pwd)
ROUNDS=${2:-1000}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/icount/markers.sh"
img=$(mktemp /tmp/toro-chan-XXXXXX.elf)
trap 'rm -f "$img"' EXIT
"$BUILD/toro" build --native --no-fpu "$HERE/channel_bench.c" -o "$img" || exit 1

echo "== Guest instructions (icount, QEMU TCG, 1 CPU)"
icount_markers "$img" bench_chan_self_begin bench_chan_self_end bench_copy_begin bench_copy_end
if chan=$(icount_per bench_chan_self_begin bench_chan_self_end 2000) &&
	copy=$(icount_per bench_copy_begin bench_copy_end 2000); then
	printf '  %-44s %8s instructions\n' "64-byte send + receive (to the own core)" "$chan"
	printf '  %-44s %8s instructions\n' "baseline: its two 64-byte memcpy calls" "$copy"
	printf '  %-44s %8s\n' "ratio" "$(echo "$chan $copy" | awk '{ printf "%.2f", $1 / $2 }')"
else
	echo "  icount failed"; echo "$ICOUNT_OUT" | sed 's/^/    /'
fi

for vmm in qemu toro; do
	rounds=$ROUNDS
	[ "$vmm" = toro ] && rounds=$((ROUNDS / 10 > 10 ? ROUNDS / 10 : 10)) # ~0.5 us an instruction
	echo "== Guest wall clock, --vmm $vmm, 2 CPUs, $rounds round trips (medians of 3 runs)"
	runs=$(for ((i = 0; i < 3; i++)); do
		"$BUILD/toro" run "$img" --vmm "$vmm" --cpus 2 --timeout 300 -- "$rounds" 2>/dev/null
	done)
	for key in self spin poll block stream-64B stream-64KiB; do
		line=$(echo "$runs" | grep "^$key:" | head -1)
		[ -n "$line" ] || { echo "  $key: no result"; continue; }
		med=$(echo "$runs" | grep "^$key:" | awk '{ print $2 }' | sort -n |
			awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
		rest=$(echo "$line" | cut -d' ' -f3-)
		case $key in stream-*) # bytes per second from the median rate and the message size
			size=$(echo "$line" | sed -E 's/.* of ([0-9]+) bytes.*/\1/')
			rest="$rest, $(echo "$med $size" | awk '{ printf "%.1f", $1 * $2 / 1e6 }') MB/s" ;;
		esac
		printf '  %-13s %s %s\n' "$key" "$med" "$rest"
	done
done
exit 0
