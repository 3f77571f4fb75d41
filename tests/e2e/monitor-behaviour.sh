#!/bin/bash
# The built-in monitor with a guest that misbehaves or must be stopped: unknown ports and MMIO
# addresses are logged once per address and the guest goes on; an instruction a software KVM
# cannot run is reported; SIGINT (Ctrl-C) and SIGTERM stop a running guest with status 130 in
# both monitors.
# PARTS: qemu toro
. "$(dirname "$0")/lib.sh"

if check unknown-io@toro toro; then
	run "$TORO" run "$BUILD/tests/guest/native_unknown_io.elf" --vmm toro
	want_status 0
	want_count err "unknown port 0x80" 1
	want_count err "unknown MMIO address 0xd0f00000" 1
	want_line out "^still running after 3 rounds$"
	report
fi

# On a software KVM (kvm_pvm) the monitor stops the guest with one line (RIP, bytes, function,
# the --vmm qemu hint) and exit 3; on hardware KVM the image simply runs.
if check sse@toro toro; then
	run "$TORO" run "$BUILD/tests/guest/native_sse.elf" --vmm toro
	if [ -e /sys/module/kvm_pvm ]; then
		want_status 3
		want_line err "in use_sse\\+0x[0-9a-f]* \\(bytes 66 0f ef c0.*--vmm qemu runs it"
	else
		want_status 0
		want_line out "^sse ok$"
	fi
	report
fi

for vmm in toro qemu; do
	for sig in INT TERM; do
		check "SIG$sig@$vmm" "$vmm" || continue
		"$TORO" run "$BUILD/tests/guest/native_hang.elf" --vmm "$vmm" --timeout 60 \
			</dev/null >"$OUT" 2>"$ERR" &
		pid=$!
		sleep 1
		kill -"$sig" "$pid"
		start=$(date +%s)
		wait "$pid"
		ran $?
		took=$(($(date +%s) - start))
		want_status 130
		[ "$took" -le 5 ] || problem "took ${took}s to stop"
		report
	done
done
e2e_exit
