#!/bin/bash
# System-call and signal round trips in a POSIX image (bench/syscall_bench.c): guest
# instructions per getppid() and per raise() of a signal whose handler runs and returns, each
# less the same loop calling an empty function (QEMU TCG icount between marker functions, 1 CPU,
# deterministic). With -p, where the instructions go, per function. Usage:
# bench/syscalls.sh [-p] BUILD_DIR
set -u
PROFILE=0
[ "${1:-}" = -p ] && { PROFILE=1; shift; }
BUILD=$(cd "${1:-build}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
ROUNDS=1000 # syscall_bench.c's
. "$HERE/icount/markers.sh"
img=$(mktemp /tmp/toro-syscalls-XXXXXX.elf)
trap 'rm -f "$img"' EXIT
"$BUILD/toro" build "$HERE/syscall_bench.c" -o "$img" >/dev/null || exit 1

echo "== System calls and signals (icount, QEMU TCG, 1 CPU, POSIX image)"
icount_markers "$img" bench_empty_begin bench_empty_end bench_getppid_begin bench_getppid_end \
	bench_raise_begin bench_raise_end
row() { # begin end label aim
	local n
	if n=$(icount_per "$1" "$2" "$ROUNDS" bench_empty_begin bench_empty_end); then
		printf '  %-52s %8s instructions (aim <= %s)\n' "$3" "$n" "$4"
	else
		echo "  $3: icount failed"; echo "$ICOUNT_OUT" | sed 's/^/    /'
	fi
}
printf '  %-52s %8s instructions\n' "baseline: the loop calling an empty function" \
	"$(icount_per bench_empty_begin bench_empty_end "$ROUNDS")"
row bench_getppid_begin bench_getppid_end "getppid() round trip" 100
row bench_raise_begin bench_raise_end "raise() -> handler -> rt_sigreturn round trip" 1500
if [ $PROFILE = 1 ]; then
	for what in getppid raise; do
		echo "== Where a $what round trip goes (per call, the loop included)"
		bash "$ICOUNT" -e -t 300 -p "bench_${what}_begin:bench_${what}_end:$ROUNDS" "$img" \
			"bench_${what}_begin" "bench_${what}_end" 2>&1 | sed -n '/function/,$p'
	done
fi
exit 0
