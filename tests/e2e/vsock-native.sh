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
PEER=$BUILD/tests/guest/vsock-peer
SOCK=$E2E_TMP/v.sock
GUEST_OUT=$E2E_TMP/guest.out
GUEST=

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

# The monitor's vsock device is another branch's work: until it is there, say so.
if ! "$TORO" run --help 2>&1 | grep -q -- '--vsock'; then
	for name in echo-forward echo-vsock connect-out refused many halfclose exit-open \
		posix-echo-forward posix-refused; do
		check "$name" toro && echo "SKIP $name: this monitor has no vsock device (--vsock)"
	done
	# The Linux calls: an AF_INET server carried over vsock, reached through --forward twice.
IMAGE=$BUILD/tests/guest/posix_vsock.elf
check posix-echo-forward toro && {
	if guest_start --vsock "$SOCK" --forward "127.0.0.1:$PORT:5000" -- echo 5000 2; then
		for i in 1 2; do
			timeout 60 "$PEER" send "tcp:127.0.0.1:$PORT" <"$E2E_TMP/data" >"$E2E_TMP/back" 2>"$E2E_TMP/peer.err" ||
				problem "vsock-peer: $(cat "$E2E_TMP/peer.err")"
			cmp -s "$E2E_TMP/data" "$E2E_TMP/back" || problem "echo $i differs from what was sent"
		done
	fi
	guest_wait
	want_status 0
	want_count out '^echoed 30000$' 2
	report
}

check posix-refused toro && {
	guest_start --vsock "$SOCK" -- refused 6002
	guest_wait
	want_status 0
	want_line out '^refused$'
	report
}

e2e_exit
fi

# A TCP port for --forward, different per run so parallel runs do not meet.
PORT=$((20000 + RANDOM % 20000))

# Starts the guest in the background with toro options, then "--" and its role; waits for its
# "listening" line (a role that listens) or returns at once.
guest_start() {
	rm -f "$SOCK"
	timeout -k 5 100 "$TORO" run "$IMAGE" --timeout 90 "$@" </dev/null >"$GUEST_OUT" 2>&1 &
	GUEST=$!
	case " $* " in *" -- connect "* | *" -- refused "*) return 0 ;; esac
	for _ in $(seq 600); do
		grep -q '^listening' "$GUEST_OUT" && [ -S "$SOCK" ] && return 0
		kill -0 "$GUEST" 2>/dev/null || break
		sleep 0.1
	done
	problem "the guest did not start listening"
	return 1
}

# Waits for the guest; its output becomes the check's stdout (for want_line), its status RC.
guest_wait() {
	wait "$GUEST"
	RC=$?
	cp "$GUEST_OUT" "$OUT"
}

head -c 30000 /dev/urandom >"$E2E_TMP/data"

for via in forward vsock; do
	check "echo-$via" toro || continue
	if [ $via = forward ]; then addr=tcp:127.0.0.1:$PORT; else addr=unix:$SOCK:5000; fi
	if guest_start --vsock "$SOCK" --forward "127.0.0.1:$PORT:5000" -- echo 5000 1; then
		timeout 60 "$PEER" send "$addr" <"$E2E_TMP/data" >"$E2E_TMP/back" 2>"$E2E_TMP/peer.err" ||
			problem "vsock-peer: $(cat "$E2E_TMP/peer.err")"
		cmp -s "$E2E_TMP/data" "$E2E_TMP/back" || problem "the echo differs from what was sent"
	fi
	guest_wait
	want_status 0
	want_line out '^echoed 30000$'
	report
done

check connect-out toro && {
	"$PEER" serve "${SOCK}_6000" >"$E2E_TMP/serve.out" 2>&1 &
	server=$!
	for _ in $(seq 50); do [ -S "${SOCK}_6000" ] && break; sleep 0.1; done
	guest_start --vsock "$SOCK" -- connect 6000 hello-from-the-guest
	guest_wait
	wait "$server" || problem "the host's listener failed: $(cat "$E2E_TMP/serve.out")"
	want_status 0
	want_line out '^reply: host got 20: hello-from-the-guest$'
	report
}

check refused toro && {
	guest_start --vsock "$SOCK" -- refused 6001
	guest_wait
	want_status 0
	want_line out '^refused$'
	report
}

# 16 connections at once through --forward, then 16 through --vsock, spread over the guest's
# two cores, each carrying its own data and checked by its sum.
check many toro && {
	if guest_start --cpus 2 --vsock "$SOCK" --forward "127.0.0.1:$PORT:5000" -- serve 5000 32; then
		timeout 90 "$PEER" many "tcp:127.0.0.1:$PORT" 16 20000 >"$E2E_TMP/tcp.out" 2>&1 ||
			problem "through --forward: $(tail -3 "$E2E_TMP/tcp.out")"
		timeout 90 "$PEER" many "unix:$SOCK:5000" 16 20000 >"$E2E_TMP/unix.out" 2>&1 ||
			problem "through --vsock: $(tail -3 "$E2E_TMP/unix.out")"
	fi
	guest_wait
	want_status 0
	want_line out '^served 32, 0 failed$'
	report
}

# The host shuts down its sending half; the guest reads to the end, then still answers.
check halfclose toro && {
	if guest_start --forward "127.0.0.1:$PORT:5000" --vsock "$SOCK" -- halfclose 5000; then
		reply=$(printf '0123456789abc' | timeout 60 "$PEER" send "unix:$SOCK:5000" 2>&1)
		[ "$reply" = "got 13" ] || problem "the host got \"$reply\", want \"got 13\""
	fi
	guest_wait
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
	guest_wait
	want_status 0
	want_line out '^exiting with a connection open$'
	report
}

# The Linux calls: an AF_INET server carried over vsock, reached through --forward twice.
IMAGE=$BUILD/tests/guest/posix_vsock.elf
check posix-echo-forward toro && {
	if guest_start --vsock "$SOCK" --forward "127.0.0.1:$PORT:5000" -- echo 5000 2; then
		for i in 1 2; do
			timeout 60 "$PEER" send "tcp:127.0.0.1:$PORT" <"$E2E_TMP/data" >"$E2E_TMP/back" 2>"$E2E_TMP/peer.err" ||
				problem "vsock-peer: $(cat "$E2E_TMP/peer.err")"
			cmp -s "$E2E_TMP/data" "$E2E_TMP/back" || problem "echo $i differs from what was sent"
		done
	fi
	guest_wait
	want_status 0
	want_count out '^echoed 30000$' 2
	report
}

check posix-refused toro && {
	guest_start --vsock "$SOCK" -- refused 6002
	guest_wait
	want_status 0
	want_line out '^refused$'
	report
}

e2e_exit
