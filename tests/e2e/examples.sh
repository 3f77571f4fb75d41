#!/bin/bash
# Every example end to end through `toro run` with its default monitor choice: exact output and
# exit status.
set -u
: "${TORO:?}" "${BUILD:?}"
fails=0
check() { # name, expected output, toro run args...
	local name=$1 want=$2 got rc
	shift 2
	got=$(timeout 60 "$TORO" run "$@" --timeout 30 </dev/null 2>/dev/null)
	rc=$?
	if [ "$rc" != 0 ] || [ "$got" != "$want" ]; then
		echo "FAIL $name: status $rc, output:"
		printf '%s\n' "$got" | sed 's/^/  | /'
		fails=$((fails + 1))
	else
		echo "ok $name"
	fi
}

hello="Hello World, I am Toro in C!"
check hello "$hello" "$BUILD/examples/hello.elf"
check hello-qemu "$hello" "$BUILD/examples/hello.elf" --vmm qemu
check hello-posix "$hello" "$BUILD/examples/hello-posix.elf"

for cores in 1 2 4; do
	want="$cores cores, one thread each"
	for round in 0 1 2; do
		for ((t = 0; t < cores; t++)); do
			want+=$'\n'"round $round: hello from thread $t on core $t"
		done
	done
	want+=$'\n'"all threads done"
	check "threads-$cores" "$want" "$BUILD/examples/threads.elf" --cpus "$cores"
	check "threads-$cores-qemu" "$want" "$BUILD/examples/threads.elf" --cpus "$cores" --vmm qemu
done
# parallel-sum: the timings vary, the sum and the per-core lines do not.
for cores in 1 2 4; do
	for vmm in toro qemu; do
		out=$(timeout 60 "$TORO" run "$BUILD/examples/parallel-sum.elf" --cpus "$cores" \
			--vmm "$vmm" --timeout 30 -- 40000 </dev/null 2>/dev/null)
		rc=$?
		lines=$(printf '%s\n' "$out" | grep -c '^core [0-9]*: [0-9]* numbers in')
		if [ "$rc" = 0 ] && [ "$lines" = "$cores" ] &&
			printf '%s\n' "$out" | grep -q "^sum of 3i+1 for i < 40000 on $cores cores: 2399980000 (correct)"; then
			echo "ok parallel-sum-$cores-$vmm"
		else
			echo "FAIL parallel-sum-$cores-$vmm: status $rc, output:"
			printf '%s\n' "$out" | sed 's/^/  | /'
			fails=$((fails + 1))
		fi
	done
done
[ "$fails" = 0 ]
