# The nested VM's known flaws (docs/testing.md, "Which KVM runs the built-in monitor"): the
# signatures they leave in the output of a run of the built-in monitor that they, not the test,
# made fail. Sourced by tests/run.sh for guest cases and by tests/e2e/lib.sh for e2e checks;
# inside the nested VM only, a failure that shows one is run again (up to twice), and its result
# says so.

# vm_flake RC FILE...: true if the failed run whose exit status is RC and whose output (stdout and
# stderr) is in the FILEs shows one of the signatures; prints why it is worth a second run.
vm_flake() {
	local rc=$1
	shift
	# The emulated SVM ran a vCPU with the L1 kernel's registers: the monitor's report puts it
	# at a RIP in the upper half, where our guests never run.
	if grep -Eq -- '(was at|last known state.*:) RIP ffff[89a-f][0-9a-f]{11}' "$@"; then
		echo "the nested KVM ran the first attempt with the host's registers"
	# A triple fault, which the emulated SVM's COM1 flaw causes (also at boot, in
	# arch_serial_init) and which never happens under QEMU or kvm_pvm.
	elif [ "$rc" = 3 ] && grep -q 'guest triple fault on vCPU' "$@"; then
		echo "the first attempt ended in a triple fault under the nested KVM"
	# Stopped by --timeout with every vCPU halted in the idle loop: it waited for an interrupt
	# that the emulated SVM, under load, now and then loses. A hang with a vCPU busy stands.
	elif [ "$rc" = 124 ] && grep -q 'was at RIP' "$@" &&
		! grep -h 'was at RIP' "$@" | grep -vq '(idle_loop+'; then
		echo "every vCPU sat idle at the first attempt's timeout (an interrupt the nested KVM lost)"
	else
		return 1
	fi
}
