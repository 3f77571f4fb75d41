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
e2e_exit
