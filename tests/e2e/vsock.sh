#!/bin/bash
# The built-in monitor's vsock muxer with a real guest (tests/guest/native_vsock.c; the host's
# side is build/tests/guest/vsock-peer and bash), for what is the monitor's own doing rather
# than the guest's (tests/e2e/vsock-native.sh has the sockets themselves): host connections made
# before the guest listens are held, not reset; the Unix socket file goes with the run even when
# the guest exits with a connection open; and a host program that writes without reading makes
# the monitor hold a bounded amount, not grow.
# PARTS: toro
. "$(dirname "$0")/lib.sh"

IMAGE=$BUILD/tests/guest/native_vsock.elf
SOCK=$E2E_TMP/v.sock
PORT=$((20000 + RANDOM % 20000))

# Starts the guest in the background with toro options, then "--" and its role.
guest_start() {
	rm -f "$SOCK"
	bg_start 100 "$TORO" run "$IMAGE" --timeout 90 "$@"
}

# Connections made as soon as the TCP port takes them, long before the guest has booted and
# listens: each is held and connected once the guest listens.
check held-before-listen toro && {
	guest_start --cpus 2 --forward "127.0.0.1:$PORT:5000" -- serve 5000 4
	for _ in $(seq 500); do
		"$PEER" many "tcp:127.0.0.1:$PORT" 4 5000 >"$E2E_TMP/peer.out" 2>&1 && break
		grep -q 'Connection refused' "$E2E_TMP/peer.out" || break # bound: no retry
		sleep 0.01
	done
	grep -q '^4 connections, 0 bad' "$E2E_TMP/peer.out" ||
		problem "the early connections: $(tail -2 "$E2E_TMP/peer.out")"
	bg_wait
	want_status 0
	want_line out '^served 4, 0 failed$'
	report
}

# The guest exits with a connection open: the client sees the end of its stream, the monitor
# exits with the guest's status and removes its socket file.
check socket-removed toro && {
	guest_start --vsock "$SOCK" -- exitopen 5000
	bg_listening "$SOCK"
	got=$(timeout 30 "$PEER" send "unix:$SOCK:5000" </dev/null 2>&1)
	[ "$got" = bye ] || problem "the host got \"$got\", want \"bye\""
	bg_wait
	want_status 0
	[ -e "$SOCK" ] && problem "$SOCK is still there after the run"
	report
}

# A host program that writes 64 MiB to an echo server and reads nothing: the guest's echoes
# fill what the monitor grants it (256 KiB), the guest stops reading, and the monitor's memory
# stays within a few MiB of where it started.
check slow-reader-bounded toro && {
	guest_start --forward "127.0.0.1:$PORT:5000" -- echo 5000 1
	bg_listening
	pid=$(pgrep -n -P "$BG" toro || echo "$BG")
	before=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
	bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; head -c 67108864 /dev/zero >&3" 2>/dev/null &
	writer=$!
	sleep 5
	after=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
	kill "$writer" 2>/dev/null
	wait "$writer" 2>/dev/null
	bg_wait
	if [ -z "$before" ] || [ -z "$after" ]; then
		problem "could not read the monitor's RSS"
	elif [ $((after - before)) -gt 8192 ]; then
		problem "the monitor's RSS grew from $before KiB to $after KiB"
	fi
	report
}
e2e_exit
