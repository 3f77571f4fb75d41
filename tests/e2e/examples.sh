#!/bin/bash
# Every example end to end through `toro run`, in each monitor and with the tool's own choice
# (--vmm auto): exact output and exit status.
# PARTS: host qemu toro
. "$(dirname "$0")/lib.sh"

# The part a monitor choice needs.
part_of() {
	[ "$1" = auto ] && echo host || echo "$1"
}

hello="Hello World, I am Toro in C!"
printf '%s\n' "$hello" >"$E2E_TMP/hello"
for image in hello hello-posix; do
	for vmm in auto qemu toro; do
		check "$image@$vmm" "$(part_of $vmm)" || continue
		run "$TORO" run "$BUILD/examples/$image.elf" --vmm "$vmm" --timeout 30
		want_status 0
		want_same out "$E2E_TMP/hello"
		report
	done
done

for cores in 1 2 4; do
	{
		echo "$cores cores, one thread each"
		for round in 0 1 2; do
			for ((t = 0; t < cores; t++)); do
				echo "round $round: hello from thread $t on core $t"
			done
		done
		echo "all threads done"
	} >"$E2E_TMP/threads-$cores"
	for vmm in qemu toro; do
		check "threads-$cores@$vmm" "$vmm" || continue
		run "$TORO" run "$BUILD/examples/threads.elf" --cpus "$cores" --vmm "$vmm" --timeout 30
		want_status 0
		want_same out "$E2E_TMP/threads-$cores"
		report
	done
done

# parallel-sum: the timings vary, the sum and the per-core lines do not.
for cores in 1 2 4; do
	for vmm in qemu toro; do
		check "parallel-sum-$cores@$vmm" "$vmm" || continue
		run "$TORO" run "$BUILD/examples/parallel-sum.elf" --cpus "$cores" --vmm "$vmm" \
			--timeout 30 -- 40000
		want_status 0
		want_count out '^core [0-9]+: [0-9]+ numbers in' "$cores"
		want_line out "^sum of 3i\\+1 for i < 40000 on $cores cores: 2399980000 \\(correct\\)"
		report
	done
done

# intercore: every exchange of every round, in order, and the summary; the times vary.
for cores in 2 4; do
	rounds=5
	{
		for ((r = 0; r < rounds; r++)); do
			for ((c = 1; c < cores; c++)); do
				echo "Core[0] -> Core[$c]: ping $r, Core[$c] -> Core[0]: pong $r from core $c"
			done
		done
	} >"$E2E_TMP/intercore-$cores"
	for vmm in qemu toro; do
		check "intercore-$cores@$vmm" "$vmm" || continue
		run "$TORO" run "$BUILD/examples/intercore.elf" --cpus "$cores" --vmm "$vmm" \
			--timeout 60 -- "$rounds"
		want_status 0
		sed -E 's/, [0-9]+\.[0-9] us$//' "$OUT" | grep '^Core' >"$E2E_TMP/intercore-got"
		cmp -s "$E2E_TMP/intercore-got" "$E2E_TMP/intercore-$cores" ||
			problem "the exchanges differ from $rounds rounds with cores 1..$((cores - 1))"
		want_line out "^$rounds rounds, $((rounds * (cores - 1))) round trips over $cores cores: min [0-9]+ us, avg [0-9]+ us, max [0-9]+ us$"
		report
	done
done
for vmm in qemu toro; do
	check "intercore-1-core@$vmm" "$vmm" || continue
	run "$TORO" run "$BUILD/examples/intercore.elf" --cpus 1 --vmm "$vmm" --timeout 30
	want_status 1
	want_line out '^intercore needs at least 2 cores'
	report
done
for vmm in qemu toro; do
	check "intercore-bad-rounds@$vmm" "$vmm" || continue
	run "$TORO" run "$BUILD/examples/intercore.elf" --cpus 2 --vmm "$vmm" --timeout 30 -- 3x
	want_status 2
	want_line out '^usage: intercore \[ROUNDS\]'
	report
done

# exceptions: each fault's report (a kernel message: on stderr) and 128 + its vector; one on
# another core.
while read -r fault cpus core status report; do
	for vmm in qemu toro; do
		check "exceptions-$fault-core$core@$vmm" "$vmm" || continue
		run "$TORO" run "$BUILD/examples/exceptions.elf" --cpus "$cpus" --vmm "$vmm" \
			--timeout 30 -- "$fault" "$core"
		want_status "$status"
		want_line out "^core $core: provoking "
		want_line err "^\*\*\* CPU exception: $report"
		want_line err '^  #0  0x[0-9a-f]+ [a-z_]+\+0x[0-9a-f]+$'
		report
	done
done <<'EOF'
divide 1 0 128 divide error \(#DE\), error code 0, at RIP 0x[0-9a-f]+ <divide_by_zero\+0x
opcode 1 0 134 invalid opcode \(#UD\), error code 0, at RIP 0x[0-9a-f]+ <invalid_opcode\+0x
gp 1 0 141 general protection fault \(#GP\)
null 1 0 142 page fault \(#PF\), error code 0, at RIP 0x[0-9a-f]+ <read_null\+0x
unmapped 1 0 142 page fault \(#PF\), error code 0x2, at RIP 0x[0-9a-f]+ <write_unmapped\+0x
null 2 1 142 page fault \(#PF\), error code 0, at RIP 0x[0-9a-f]+ <read_null\+0x
EOF
if check "exceptions-unknown@qemu" qemu; then
	run "$TORO" run "$BUILD/examples/exceptions.elf" --vmm qemu --timeout 30 -- fire
	want_status 2
	want_count out '^  (divide|opcode|gp|null|unmapped) ' 5
	report
fi
e2e_exit
