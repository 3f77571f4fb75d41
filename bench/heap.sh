#!/bin/bash
# Per-core heap benchmark: instructions per heap_alloc and heap_free on the fast path,
# per remote free and per drained block, counted by callgrind (deterministic) on a host build of
# kernel/core/heap.c with the kernel's code-generation flags; wall time from a plain run.
# Usage: bench/heap.sh [BUILD_DIR]
set -u
BUILD=$(cd "${1:-build}" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d /tmp/toro-heap-bench-XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# heap.c with the kernel's KERNEL_CFLAGS code generation (no -ffreestanding/-nostdinc: the
# benchmark links the C library); the driver, which uses floating point, with plain -O2.
KFLAGS="-std=gnu11 -O2 -g -Wall -Wextra -Werror -mgeneral-regs-only -mno-red-zone -march=x86-64
	-mtune=generic -fno-pic -fno-pie -fno-stack-protector -fno-omit-frame-pointer
	-mno-omit-leaf-frame-pointer -fno-asynchronous-unwind-tables"
INC="-I$ROOT/include -I$ROOT/kernel/include"
mkdir -p "$BUILD/bench"
BIN=$BUILD/bench/heap-fastpath
# shellcheck disable=SC2086
if ! gcc $KFLAGS $INC -c -o "$TMP/heap.o" "$ROOT/kernel/core/heap.c" ||
	! gcc -std=gnu11 -O2 -g -Wall -Wextra -Werror -fno-pie -no-pie $INC -o "$BIN" \
		"$ROOT/bench/heap-fastpath.c" "$TMP/heap.o"; then
	echo "bench: cannot build $BIN"
	exit 1
fi

echo "== per-core heap"
"$BIN" || { echo "bench: $BIN failed"; exit 1; }
command -v valgrind >/dev/null || { echo "bench: valgrind not installed, no instruction counts"; exit 0; }

# Calls made by each loop of bench/heap-fastpath.c.
PAIRS=$(sed -n 's/^#define BENCH_PAIRS *\([0-9]*\).*/\1/p' "$ROOT/bench/heap-fastpath.c")
REMOTE=$(sed -n 's/^#define BENCH_REMOTE *\([0-9]*\).*/\1/p' "$ROOT/bench/heap-fastpath.c")

# count LOOP FUNCTION: instructions of FUNCTION (inclusive) while LOOP runs, from a callgrind
# run that collects inside LOOP only.
count() {
	local out=$TMP/$1.out
	[ -f "$out.txt" ] || {
		valgrind --tool=callgrind --callgrind-out-file="$out" --collect-atstart=no \
			--toggle-collect="$1" "$BIN" >/dev/null 2>"$TMP/valgrind.log" ||
			{ cat "$TMP/valgrind.log" >&2; return 1; }
		callgrind_annotate --inclusive=yes --threshold=100 "$out" >"$out.txt"
	}
	# Lines read "62,125,011 (100.0%)  kernel/core/heap.c:heap_free [binary]".
	awk -v f="$2" '{ n = split($3, a, ":") } a[n] == f { gsub(",", "", $1); print $1; exit }' "$out.txt"
}
per() { awk -v a="$1" -v n="$2" 'BEGIN { if (a == "" || n == 0) exit 1; printf "%.1f", a / n }'; }

if ! PAIR=$(per "$(count bench_local_pairs bench_local_pairs)" "$PAIRS") ||
	! ALLOC=$(per "$(count bench_local_pairs heap_alloc)" "$PAIRS") ||
	! FREE=$(per "$(count bench_local_pairs heap_free)" "$PAIRS") ||
	! PUSH=$(per "$(count bench_remote_frees heap_free)" "$REMOTE") ||
	! DRAIN=$(per "$(count bench_drain_allocs heap_alloc)" "$REMOTE"); then
	echo "bench: no instruction counts from callgrind"
	exit 1
fi
echo "heap fast path: $(per "$(awk -v a="$ALLOC" -v f="$FREE" 'BEGIN { print a + f }')" 1) instructions per malloc+free pair (aim ≤ 40 per call)"
echo "  heap_alloc $ALLOC, heap_free $FREE instructions per call; $PAIR per pair with the loop"
echo "  remote free (push onto the owner's stack): $PUSH instructions per call"
echo "  owner allocating drained blocks: $DRAIN instructions per heap_alloc (drain included)"
