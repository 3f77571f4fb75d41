#!/bin/bash
# The test runner itself (tests/run.sh): a guest case that expects the wrong exit status or
# output fails under the built-in monitor wherever the suite runs it (here or in the nested VM,
# whichever TEST_KVM chose), a "// VMMS NAME:" line naming no case fails, with TEST_KVM=none
# the monitor's cases are skipped, not passed, and an e2e check that fails with a signature of
# the nested VM's flaws is run again (up to twice) there and only there (the fixture
# harness-flaky/).
# PARTS: host
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
# The runs of tests/run.sh below may boot a nested VM of their own: the monitor socket named for
# the suite's VM (tests/kvm-vm/vm.sh) is not theirs to take.
unset TEST_VM_MONITOR

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
# Runs harness-flaky/flaky.sh through tests/run.sh with the environment's VAR=VALUE words given;
# its checks count their attempts in a new folder, $state.
run_flaky() {
	state=$(mktemp -d "$E2E_TMP/flaky-XXXXXX")
	run env "$@" TEST_E2E_DIR="$here/harness-flaky" TEST_KINDS=e2e FLAKY_STATE="$state" \
		"$here/../run.sh" "$BUILD"
}

# Wants $1 attempts in all ($2 says why) counted in $state.
want_attempts() {
	local attempts
	attempts=$(cat "$state"/* | wc -l)
	[ "$attempts" = "$1" ] || problem "$attempts attempts in all, want $1 ($2)"
}

# harness-flaky/flaky.sh as the nested VM runs it: each of the three signatures fails a check once
# and it passes when run again, saying so, as does a check whose first of two runs a flaw struck,
# and a check of what a struck check left behind; a third failure stands, and so do a hang with
# a vCPU busy and a failure with no signature, which are not run again, nor is a check of what
# that failure left.
if check e2e-flaws-run-again host; then
	run_flaky TEST_IN_VM=1
	want_status 1
	for name in triple-once host-registers-once lost-interrupt-once first-of-two; do
		want_line out "^PASS e2e/flaky/$name \(run again: "
	done
	want_line out '^PASS e2e/flaky/after-triple \(run again: triple-once failed: .*triple fault'
	want_line out '^FAIL e2e/flaky/triple-always: exit status 3, want 0; run again: .*triple fault'
	want_line out '^FAIL e2e/flaky/busy-hang: exit status 124, want 0$'
	want_line out '^FAIL e2e/flaky/plain-failure: exit status 1, want 0$'
	want_line out '^FAIL e2e/flaky/after-plain: plain-failure made nothing$'
	want_line out '^5 passed, 4 failed$'
	want_attempts 16 "two for each check that passes the second time, three for the one that never does"
	report
fi

# A run whose only failures were the flaws' passes once they pass again.
if check e2e-flaws-all-pass host; then
	run_flaky TEST_IN_VM=1 FLAKY_CHECKS="triple-once lost-interrupt-once"
	want_status 0
	want_line out '^2 passed, 0 failed$'
	report
fi

# The same outside the nested VM: every failure stands, nothing is run again.
if check e2e-flaws-only-in-vm host; then
	run_flaky TEST_KVM=host
	want_status 1
	want_line out '^FAIL e2e/flaky/triple-once: exit status 3, want 0$'
	want_line out '^FAIL e2e/flaky/lost-interrupt-once: exit status 124, want 0$'
	want_line out '^FAIL e2e/flaky/first-of-two: exit status 3, want 0$'
	want_line out '^0 passed, 9 failed$'
	want_attempts 9 "one for each check"
	report
fi
e2e_exit
