#!/bin/bash
# The test runner itself (tests/run.sh): a guest case that expects the wrong exit status or
# output fails under the built-in monitor wherever the suite runs it (here or in the nested VM,
# whichever TEST_KVM chose), a "// VMMS NAME:" line naming no case fails, and with TEST_KVM=none
# the monitor's cases are skipped, not passed.
# PARTS: host
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)

if check broken-cases-fail host; then
	run env TEST_GUEST_DIR="$here/harness" TEST_KINDS=guest "$here/../run.sh" "$BUILD"
	want_status 1
	# The built-in monitor's cases run here or in the nested VM, or are skipped with TEST_KVM=none.
	vmms="qemu toro" summary='^2 passed, 5 failed$'
	if [ "${TEST_KVM:-}" = none ]; then
		vmms=qemu summary='^1 passed, 3 failed, 3 skipped$'
		want_line out '^SKIP guest/native_basic/wrong-status@toro: no KVM'
	fi
	for vmm in $vmms; do
		want_line out "^PASS guest/native_basic/right@$vmm "
		want_line out "^FAIL guest/native_basic/wrong-status@$vmm: exit status 3, expected 4\$"
		want_line out "^FAIL guest/native_basic/wrong-output@$vmm: output does not match /\\^a line it never prints\\\$/\$"
	done
	want_line out "^FAIL guest/native_basic/VMMS-no-such-case: .*names no case"
	want_line out "$summary"
	report
fi

if check none-skips host; then
	run env TEST_KVM=none TEST_GUEST_DIR="$here/harness-ok" TEST_KINDS=guest "$here/../run.sh" "$BUILD"
	want_status 0
	want_line out '^kvm: none '
	want_line out '^PASS guest/native_basic/right@qemu '
	want_line out '^SKIP guest/native_basic/right@toro: no KVM for the built-in monitor'
	want_line out '^1 passed, 0 failed, 1 skipped$'
	report
fi
e2e_exit
