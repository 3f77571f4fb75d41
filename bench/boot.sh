#!/bin/bash
# Boot benchmarks, all measured in one run:
#  1. HelloWorld under QEMU microvm (TCG) against a PVH image that exits at its first
#     instruction, with the same QEMU command line: median wall time of each, interleaved, and
#     the time above that floor.
#  2. Guest instructions from the PVH entry to main (QEMU TCG plugin, deterministic).
#  3. Stripped image sizes, and the smallest --mem each image boots in.
# Usage: bench/boot.sh BUILD_DIR [RUNS]
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh" "$@"
qemu_run() { qemu_microvm "$@"; }

now_ns() { date +%s%N; }

echo "== HelloWorld boot under QEMU microvm TCG, $RUNS runs each, interleaved"
for ((i = 0; i < RUNS; i++)); do
	for img in floor hello hello-posix; do
		case $img in floor) f=$TMP/floor.elf ;; *) f=$BUILD/examples/$img.elf ;; esac
		t0=$(now_ns)
		qemu_run "$f" >/dev/null 2>&1
		t1=$(now_ns)
		echo $(((t1 - t0) / 1000)) >>"$TMP/$img.us"
	done
done
floor=$(median <"$TMP/floor.us")
for img in floor hello hello-posix; do
	m=$(median <"$TMP/$img.us")
	printf '  %-12s median %7.2f ms   above floor %+6.2f ms   ratio %.3f\n' "$img" \
		"$(echo "$m" | awk '{print $1/1000}')" "$(echo "$m $floor" | awk '{print ($1-$2)/1000}')" \
		"$(echo "$m $floor" | awk '{print $1/$2}')"
done

echo "== Guest instructions from the PVH entry to main (icount, TCG)"
ICOUNT=${ICOUNT:-$HERE/icount/icount.sh}
if [ -x "$ICOUNT" ] || [ -f "$ICOUNT" ]; then
	for img in hello hello-posix; do
		# The entry is watched by its symbol: icount.sh's own note parsing expects an older
		# readelf layout.
		out=$(bash "$ICOUNT" -e "$BUILD/examples/$img.elf" pvh_start32 main 2>&1)
		entry=$(echo "$out" | awk '$1 == "pvh_start32" { print $3 }')
		main=$(echo "$out" | awk '$1 == "main" { print $3 }')
		total=$(echo "$out" | awk '$1 == "total" { print $2 }')
		if [[ "$entry" =~ ^[0-9]+$ ]] && [[ "$main" =~ ^[0-9]+$ ]]; then
			printf '  %-12s entry->main %6d instructions (firmware before entry: %d)\n' \
				"$img" $((main - entry)) "$entry"
		else
			echo "  $img: icount failed:"; echo "$out" | sed 's/^/    /'
		fi
	done
else
	echo "  (icount.sh not found at $ICOUNT)"
fi

echo "== Stripped image sizes"
for img in hello hello-posix; do
	strip -o "$TMP/$img.stripped" "$BUILD/examples/$img.elf"
	printf '  %-12s %6d bytes stripped (%d unstripped)\n' "$img" \
		"$(stat -c %s "$TMP/$img.stripped")" "$(stat -c %s "$BUILD/examples/$img.elf")"
done

echo "== Smallest memory each image boots in (QEMU microvm, 64 KiB steps)"
for img in hello hello-posix; do
	smallest=""
	for ((k = 4096; k >= 1088; k -= 64)); do
		out=$(timeout 20 bash -c "$(declare -f qemu_microvm); QEMU=$QEMU qemu_microvm '$BUILD/examples/$img.elf' ${k}K" 2>&1)
		if echo "$out" | grep -q "Hello World"; then smallest=$k; else break; fi
	done
	printf '  %-12s %s KiB\n' "$img" "${smallest:-none of the sizes tried}"
done
