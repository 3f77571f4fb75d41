#!/bin/bash
# The built-in monitor with a guest that misbehaves or must be stopped: unknown ports and MMIO
# addresses are logged once per address and the guest goes on; SIGINT (Ctrl-C) and SIGTERM stop
# a running guest with status 130 in both monitors.
set -u
: "${TORO:?}" "${BUILD:?}"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

out=$(timeout 60 "$TORO" run "$BUILD/tests/guest/native_unknown_io.elf" --vmm toro 2>&1 </dev/null)
rc=$?
[ "$rc" = 0 ] || fail "unknown-io: status $rc"
for what in "unknown port 0x80" "unknown MMIO address 0xd0f00000"; do
	n=$(printf '%s\n' "$out" | grep -c "$what")
	[ "$n" = 1 ] || fail "unknown-io: '$what' logged $n times, want once"
done
printf '%s\n' "$out" | grep -q "^still running after 3 rounds$" || fail "unknown-io: guest did not go on"

# An instruction the host's KVM cannot run: on a software KVM (kvm_pvm) the monitor stops the
# guest with one line (RIP, bytes, function, the --vmm qemu hint) and exit 3; on hardware KVM the
# image simply runs.
out=$(timeout 60 "$TORO" run "$BUILD/tests/guest/native_sse.elf" --vmm toro 2>&1 </dev/null)
rc=$?
if [ -e /sys/module/kvm_pvm ]; then
	if [ "$rc" = 3 ] && printf '%s\n' "$out" | grep -q "in use_sse+0x[0-9a-f]* (bytes 66 0f ef c0.*--vmm qemu runs it"; then
		echo "ok: software KVM stops the SSE image with: $(printf '%s\n' "$out" | tail -1)"
	else
		fail "sse under a software KVM: status $rc: $out"
	fi
elif [ "$rc" != 0 ] || ! printf '%s\n' "$out" | grep -q "^sse ok$"; then
	fail "sse under hardware KVM: status $rc: $out"
fi

for vmm in toro qemu; do
	for sig in INT TERM; do
		err=$(mktemp /tmp/toro-e2e-XXXXXX)
		"$TORO" run "$BUILD/tests/guest/native_hang.elf" --vmm "$vmm" --timeout 60 \
			</dev/null >/dev/null 2>"$err" &
		pid=$!
		sleep 1
		kill -"$sig" "$pid"
		start=$(date +%s)
		wait "$pid"
		rc=$?
		took=$(($(date +%s) - start))
		if [ "$rc" != 130 ]; then
			fail "SIG$sig under $vmm: status $rc, want 130: $(cat "$err")"
		elif [ "$took" -gt 5 ]; then
			fail "SIG$sig under $vmm: took ${took}s to stop"
		else
			echo "ok: SIG$sig under $vmm -> 130: $(tail -1 "$err")"
		fi
		rm -f "$err"
	done
done
[ "$fails" = 0 ]
