#!/bin/bash
# Native vsock sockets end to end: tests/guest/native_vsock.c in the built-in monitor with its
# vsock device, the host's side played by build/tests/guest/vsock-peer (tests/e2e/vsock-peer.c)
# and bash. An echo server reached through --forward (TCP) and through --vsock (Firecracker's
# CONNECT); the guest connecting out to a host Unix listener and to a port nobody listens on;
# many connections at once, each checked by a sum; half-close; a guest that exits with a
# connection open. Then an unmodified TCP echo server and a refused AF_VSOCK connect through the
# Linux calls (tests/guest/posix_vsock.c). And, on the host, that an image without sockets
# carries none of this.
# PARTS: host toro
. "$(dirname "$0")/lib.sh"

IMAGE=$BUILD/tests/guest/native_vsock.elf
SOCK=$E2E_TMP/v.sock

# Pay for what you use: hello links no socket code, so no vsock driver claims a device.
check pay-for-use host && {
	strip -o "$E2E_TMP/hello" "$BUILD/examples/hello.elf"
	size=$(stat -c %s "$E2E_TMP/hello")
	[ "$size" -le 24576 ] || problem "hello.elf stripped is $size bytes, more than 24576"
	nm "$BUILD/examples/hello.elf" | grep -Eq ' (vsock_|virtio_vsock_)' &&
		problem "hello.elf links vsock code: $(nm "$BUILD/examples/hello.elf" | grep -E ' (vsock_|virtio_vsock_)' | head -3 | tr '\n' ' ')"
	nm "$IMAGE" | grep -q ' virtio_vsock_driver$' || problem "native_vsock.elf has no vsock driver"
	report
}

# A TCP port for --forward, different per run so parallel runs do not meet.
PORT=$((20000 + RANDOM % 20000))

# Starts the guest in the background with toro options, then "--" and its role; waits until it
# listens (a role that listens) or returns at once.
guest_start() {
	rm -f "$SOCK"
	bg_start 100 "$TORO" run "$IMAGE" --timeout 90 "$@"
	case " $* " in *" -- connect "* | *" -- refused "*) return 0 ;; esac
	bg_listening "$SOCK"
}

head -c 30000 /dev/urandom >"$E2E_TMP/data"

for via in forward vsock; do
	check "echo-$via" toro || continue
	if [ $via = forward ]; then addr=tcp:127.0.0.1:$PORT; else addr=unix:$SOCK:5000; fi
	guest_start --vsock "$SOCK" --forward "127.0.0.1:$PORT:5000" -- echo 5000 1 &&
		peer_echo "$addr" "$E2E_TMP/data"
	bg_wait
	want_status 0
	want_line out '^echoed 30000$'
	report
done

check connect-out toro && {
	peer_serve "${SOCK}_6000"
	guest_start --vsock "$SOCK" -- connect 6000 hello-from-the-guest
	bg_wait
	peer_served
	want_status 0
	want_line out '^reply: host got 20: hello-from-the-guest$'
	report
}

check refused toro && {
	guest_start --vsock "$SOCK" -- refused 6001
	bg_wait
	want_status 0
	want_line out '^refused$'
	report
}

# Connections at once through --forward and through --vsock, the two clients running together
# (so TCP and Unix connections reach the muxer interleaved), spread over the guest's two cores,
# each carrying its own data and checked by its sum. VSOCK_MANY_CONNS connections each way of
# VSOCK_MANY_BYTES bytes: 32 x 256 KiB by default, which the nested test VM carries in
# reasonable time; VSOCK_MANY_CONNS=100 VSOCK_MANY_BYTES=1048576 is the full 200 x 1 MiB for
# a real KVM.
MANY_CONNS=${VSOCK_MANY_CONNS:-32}
MANY_BYTES=${VSOCK_MANY_BYTES:-262144}
MANY_TIMEOUT=${VSOCK_MANY_TIMEOUT:-240}
check many toro && {
	rm -f "$SOCK"
	bg_start $((MANY_TIMEOUT + 10)) "$TORO" run "$IMAGE" --timeout "$MANY_TIMEOUT" --cpus 2 \
		--vsock "$SOCK" --forward "127.0.0.1:$PORT:5000" -- serve 5000 $((2 * MANY_CONNS))
	if bg_listening "$SOCK"; then
		timeout "$MANY_TIMEOUT" "$PEER" many "tcp:127.0.0.1:$PORT" "$MANY_CONNS" "$MANY_BYTES" \
			>"$E2E_TMP/tcp.out" 2>&1 &
		tcp=$!
		timeout "$MANY_TIMEOUT" "$PEER" many "unix:$SOCK:5000" "$MANY_CONNS" "$MANY_BYTES" \
			>"$E2E_TMP/unix.out" 2>&1 &
		unix=$!
		wait $tcp || problem "through --forward: $(tail -3 "$E2E_TMP/tcp.out")"
		wait $unix || problem "through --vsock: $(tail -3 "$E2E_TMP/unix.out")"
	fi
	bg_wait
	want_status 0
	want_line out "^served $((2 * MANY_CONNS)), 0 failed\$"
	report
}

# The host shuts down its sending half; the guest reads to the end, then still answers.
check halfclose toro && {
	if guest_start --forward "127.0.0.1:$PORT:5000" --vsock "$SOCK" -- halfclose 5000; then
		reply=$(printf '0123456789abc' | timeout 60 "$PEER" send "unix:$SOCK:5000" 2>&1)
		[ "$reply" = "got 13" ] || problem "the host got \"$reply\", want \"got 13\""
	fi
	bg_wait
	want_status 0
	want_line out '^halfclose 13$'
	report
}

# The guest exits while a connection is open: the host sees the end of the stream, the monitor
# exits with the guest's status.
check exit-open toro && {
	if guest_start --forward "127.0.0.1:$PORT:5000" --vsock "$SOCK" -- exitopen 5000; then
		got=$(timeout 30 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT && cat <&3" 2>&1)
		[ $? = 0 ] || problem "the host's read did not end: $got"
		[ "$got" = bye ] || problem "the host got \"$got\", want \"bye\""
	fi
	bg_wait
	want_status 0
	want_line out '^recv timed out$'
	want_line out '^exiting with a connection open$'
	report
}

# The Linux calls: an AF_INET server carried over vsock, reached through --forward twice.
IMAGE=$BUILD/tests/guest/posix_vsock.elf
check posix-echo-forward toro && {
	if guest_start --vsock "$SOCK" --forward "127.0.0.1:$PORT:5000" -- echo 5000 2; then
		peer_echo "tcp:127.0.0.1:$PORT" "$E2E_TMP/data"
		peer_echo "tcp:127.0.0.1:$PORT" "$E2E_TMP/data"
	fi
	bg_wait
	want_status 0
	want_count out '^echoed 30000$' 2
	report
}

check posix-refused toro && {
	guest_start --vsock "$SOCK" -- refused 6002
	bg_wait
	want_status 0
	want_line out '^refused$'
	report
}

e2e_exit
