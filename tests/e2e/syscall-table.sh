#!/bin/bash
# docs/syscalls.md against the kernel's system-call table (kernel/sys/dispatch.c, with the optional
# groups of kernel/sys/syscall_groups.h), so that the two cannot drift: every call in the table has
# a row saying it is implemented (or, for fork, vfork, execve and wait4, the one-process ENOSYS, or
# for glibc's rseq and clone3, declined),
# and every row saying implemented is in the table.
# PARTS: host
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

if check syscall-table/matches-dispatch host; then
	grep -ho 'X([a-z0-9_]*,' "$ROOT/kernel/sys/dispatch.c" "$ROOT/kernel/sys/syscall_groups.h" |
		sed 's/X(\(.*\),/\1/' | sort -u >"$E2E_TMP/table"
	sed -n 's/^| [0-9?]* | `\([a-z0-9_]*\)` | \(implemented\|ENOSYS: one process\|ENOSYS: declined\).*/\1/p' \
		"$ROOT/docs/syscalls.md" | sort -u >"$E2E_TMP/doc"
	[ -s "$E2E_TMP/table" ] || problem "no X(name, handler) entries found in kernel/sys/dispatch.c"
	for n in $(comm -23 "$E2E_TMP/table" "$E2E_TMP/doc"); do
		problem "$n is in kernel/sys/dispatch.c or syscall_groups.h but docs/syscalls.md does not say implemented"
	done
	for n in $(comm -13 "$E2E_TMP/table" "$E2E_TMP/doc"); do
		problem "docs/syscalls.md says $n is implemented but kernel/sys/dispatch.c and syscall_groups.h have no entry"
	done
	report
fi

if check syscall-table/numbers host; then
	# Each row's number is Linux's for that name, as include/toro/abi/linux.h has it.
	while read -r nr name; do
		want=$(sed -n "s/^#define LINUX_SYS_$name  *\([0-9]*\).*/\1/p" "$ROOT/include/toro/abi/linux.h")
		[ -z "$want" ] || [ "$want" = "$nr" ] || problem "$name is $nr in docs/syscalls.md, $want in linux.h"
	done < <(sed -n 's/^| \([0-9]*\) | `\([a-z0-9_]*\)` |.*/\1 \2/p' "$ROOT/docs/syscalls.md")
	report
fi
e2e_exit
