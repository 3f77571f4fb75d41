#!/bin/bash
# A fixture for tests/e2e/harness.sh: checks whose runs fail the way the nested VM's flaws make
# the built-in monitor's runs fail (tests/kvm-vm/flakes.sh), at the first attempt or at every
# one; a check that fails without such a signature; a check of two runs; and checks of what
# another check's run left behind. Each counts its attempts in the folder $FLAKY_STATE;
# FLAKY_CHECKS, when set, names the only checks to run. Nothing here runs a guest: the output is
# the monitor's, written by hand.
# PARTS: toro
. "$(dirname "$0")/../lib.sh"
: "${FLAKY_STATE:?}"

# check NAME for the part toro, unless FLAKY_CHECKS leaves it out.
flaky_check() {
	case " ${FLAKY_CHECKS:-$1} " in *" $1 "*) check "$1" toro ;; *) return 1 ;; esac
}

# Counts an attempt of check $1 and prints which one this is.
attempt() {
	echo >>"$FLAKY_STATE/$1"
	wc -l <"$FLAKY_STATE/$1"
}

# A run that ends with status $1 after printing $2 on stderr.
fake_run() {
	run bash -c 'printf "%s\n" "$2" >&2; exit "$1"' _ "$@"
}

# As vmm/kvm/exits.c reports them.
TRIPLE=$'toro: guest triple fault on vCPU 0; this host\'s KVM resets the vCPU on a triple fault, so the registers at the fault are lost\n  last known state, at the vCPU\'s previous exit (io): RIP 0000000000101a2b (arch_serial_init+0x3b)  RSP 0000000000207f80  RBP 0000000000207fa0'
HOST_REGS=$'toro: guest still running after 60 s (--timeout); stopped\n  vCPU 0 was at RIP ffffffff8104d2a6 (?)  RSP ffffc90000013e58'
IDLE=$'toro: guest still running after 60 s (--timeout); stopped\n  vCPU 0 was at RIP 000000000010f2a0 (idle_loop+0x1a)  RSP 0000000000207f80\n  vCPU 1 was at RIP 000000000010f2a4 (idle_loop+0x1e)  RSP 0000000000307f80'
BUSY=$'toro: guest still running after 60 s (--timeout); stopped\n  vCPU 0 was at RIP 000000000010f2a0 (idle_loop+0x1a)  RSP 0000000000207f80\n  vCPU 1 was at RIP 0000000000104000 (spin+0x4)  RSP 0000000000307f80'

for c in triple:3:"$TRIPLE" host-registers:124:"$HOST_REGS" lost-interrupt:124:"$IDLE"; do
	name=${c%%:*} rest=${c#*:}
	flaky_check "$name-once" || continue
	if [ "$(attempt "$name-once")" = 1 ]; then fake_run "${rest%%:*}" "${rest#*:}"; else fake_run 0 ok; fi
	want_status 0
	[ "$RC" = 0 ] && touch "$E2E_TMP/$name-once.made"
	report
done

flaky_check plain-failure && {
	attempt plain-failure >/dev/null
	fake_run 1 "toro: something else went wrong"
	want_status 0
	report
}

# A check of two runs, the first struck by a flaw at its first attempt: the second's clean
# output does not hide it.
flaky_check first-of-two && {
	if [ "$(attempt first-of-two)" = 1 ]; then fake_run 3 "$TRIPLE"; else fake_run 0 ok; fi
	want_status 0
	fake_run 0 ok
	want_status 0
	report
}

# Checks of what another check's run left behind: one after a check a flaw struck, run again
# with it; one after a plain failure, which stands.
flaky_check after-triple && {
	attempt after-triple >/dev/null
	after triple-once
	[ -e "$E2E_TMP/triple-once.made" ] || problem "triple-once made nothing"
	report
}
flaky_check after-plain && {
	attempt after-plain >/dev/null
	after plain-failure
	[ -e "$E2E_TMP/plain-failure.made" ] || problem "plain-failure made nothing"
	report
}

flaky_check triple-always && {
	attempt triple-always >/dev/null
	fake_run 3 "$TRIPLE"
	want_status 0
	report
}

flaky_check busy-hang && {
	attempt busy-hang >/dev/null
	fake_run 124 "$BUSY"
	want_status 0
	report
}

e2e_exit
