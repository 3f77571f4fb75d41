#!/bin/bash
# The gdb stub's vsock line (kernel/gdb/vsock.c) end to end, under QEMU (the vsock device served
# by toro over vhost-user) and the built-in monitor: a client that sends junk and stays, then
# gdb replacing it; the sessions of tests/e2e/gdb_session.sh (break, step, a watchpoint,
# threads, Ctrl-C, a fault, detach and attach again) through `toro run --gdb vsock:PORT` and the
# TCP forward it adds; gdb through a Firecracker-style socket (--vsock PATH) with `target remote
# | toro vsock-connect PATH PORT`; the program's own vsock connection carrying its data across a
# stop (the packets that arrive while stopped are kept for it); a port in use, bad values, and
# toro.gdb=vsock on a machine without a vsock device.
# PARTS: host qemu toro
# ALONE: yes
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gdb_session.sh"

GUEST_CONSOLE=$TORO_GUEST_OUT GUEST_MESSAGES=$TORO_GUEST_ERR GUEST_RC=
GDB_PORT=$(pick_port 1)
SOCK=$E2E_TMP/v.sock

# The sessions' guest_start VMM IMAGE CPUS [-- ARGS...] (tests/e2e/gdb_session.sh): `toro run
# --gdb vsock:$GDB_PORT`, and whatever options come before the "--".
guest_start() {
	toro_guest_start "$1" "$2" --cpus "$3" --gdb "vsock:$GDB_PORT" "${@:4}"
}
guest_wait() { toro_guest_wait; }
guest_running() { toro_guest_running; }

# Waits up to 60 s for the guest's line saying its stub listens; false, with a problem, if none.
stub_listening() {
	for _ in $(seq 600); do
		grep -q "^gdb: waiting for gdb on vsock port $GDB_PORT\$" "$GUEST_MESSAGES" && return 0
		sleep 0.1
	done
	problem "the guest did not say its stub listens on vsock port $GDB_PORT"
	return 1
}

bad_input gdb-vsock-port-0 "^toro: run: --gdb 'vsock:0': vsock:PORT takes a port from 1 to 65535" -- \
	"$TORO" run "$GDB_NATIVE" --gdb vsock:0
bad_input gdb-vsock-port-too-big "^toro: run: --gdb 'vsock:65536': vsock:PORT takes a port" -- \
	"$TORO" run "$GDB_NATIVE" --gdb vsock:65536
bad_input gdb-vsock-not-a-port "^toro: run: --gdb 'vsock:x': vsock:PORT takes a port" -- \
	"$TORO" run "$GDB_NATIVE" --gdb vsock:x
bad_input vsock-connect-no-port "^toro: vsock-connect: expected PATH PORT$" -- \
	"$TORO" vsock-connect "$SOCK"
bad_input vsock-connect-bad-port "^toro: vsock-connect: port '4294967295': must be a number" -- \
	"$TORO" vsock-connect "$SOCK" 4294967295

if check vsock-connect-no-socket host; then
	run "$TORO" vsock-connect "$E2E_TMP/none.sock" 5
	want_status 1
	want_count err . 1
	want_line err "^toro: vsock-connect: $E2E_TMP/none.sock: No such file or directory$"
	report
fi

# A port in use: one line and exit 2 before anything boots, as for --gdb PORT.
if check gdb-vsock-port-in-use qemu; then
	if guest_start qemu "$GDB_NATIVE" 1 -- sum; then
		[ "$TARGET" = "127.0.0.1:$GDB_PORT" ] || problem "target $TARGET, want 127.0.0.1:$GDB_PORT"
		stub_listening
		run "$TORO" run "$GDB_NATIVE" --gdb "vsock:$GDB_PORT" -- sum
		want_status 2
		want_count err . 1
		want_line err "^toro: run: --gdb vsock:$GDB_PORT: port $GDB_PORT is in use$"
		kill "$TORO_GUEST"
		wait "$TORO_GUEST"
	fi
	report
fi

# toro.gdb=vsock: on a machine without a vsock device, or with a bad port: one line, and the
# program runs without gdb.
for value in 5:"but there is no vsock device" x:"expected a port number"; do
	check "gdb-vsock-kernel-${value%%:*}" qemu || continue
	run env TORO_KERNEL_OPTIONS="toro.gdb=vsock:${value%%:*}" "$TORO" run --vmm qemu \
		--timeout 100 "$GDB_NATIVE" -- sum
	want_status 7
	want_line out '^sum 30$'
	want_line err "^gdb: toro\\.gdb=vsock:${value%%:*}:? ${value#*:}.*; not waiting for gdb$"
	report
done

if ! command -v gdb >/dev/null; then
	for vmm in qemu toro; do
		for c in junk break-step-detach watchpoint threads ctrl-c fault reattach connect sockets; do
			check "gdb-vsock-$c@$vmm" "$vmm" && echo "SKIP gdb-vsock-$c@$vmm: gdb is not installed here"
		done
	done
	e2e_exit
fi

# The program's own vsock connection while gdb stops it: tests/guest/native_vsock.c built -g
# (tests/guest/native_vsock_gdb.c) echoes one connection through a --forward. gdb stops the machine at the first data packet
# the sockets get and keeps it stopped for two seconds, while the host goes on sending (up to
# the socket's credit): those packets come in while every core is stopped, and the echo must
# still come back whole.
sockets_check() {
	local vmm=$1 image=$BUILD/tests/guest/native_vsock_gdb.elf port
	port=$(pick_port 2)
	head -c 200000 /dev/urandom >"$E2E_TMP/data"
	guest_start "$vmm" "$image" 1 --forward "127.0.0.1:$port:5000" -- echo 5000 1 || return
	bg_start 100 gdb -nx -batch -ex "set pagination off" -ex "set remotetimeout 30" \
		-ex "target remote $TARGET" -ex "break vsock_net_receive if p->hdr.op == 5" \
		-ex continue -ex "shell sleep 2" -ex delete -ex continue "$image"
	for _ in $(seq 600); do
		grep -q '^listening' "$GUEST_CONSOLE" && break
		sleep 0.1
	done
	peer_echo "tcp:127.0.0.1:$port" "$E2E_TMP/data" 90
	bg_wait
	guest_wait
	want_line out 'Breakpoint 1, vsock_net_receive \(p='
	want_line out 'exited normally'
	want_guest 0
	want_guest_line '^echoed 200000$'
}

# A client that sends junk (bad checksums, stray escapes, an over-long packet, acks) and stays
# connected, then gdb: the new connection replaces the old one, whose client sees its end, and the
# session goes as usual.
junk_check() {
	local vmm=$1 reply
	guest_start "$vmm" "$GDB_NATIVE" 1 -- sum || return
	stub_listening || return
	exec 3<>"/dev/tcp/127.0.0.1/$GDB_PORT" || { problem "cannot connect to $TARGET"; return; }
	{
		printf '+-+$qSupported#00}}}$g#zz$'
		head -c 6000 /dev/zero | tr '\0' a
		printf '#00$m0,8#ff'
	} >&3
	sleep 2
	gdb_run "$GDB_NATIVE" "break sum_squares" "continue" "detach"
	timeout 30 cat <&3 >"$E2E_TMP/junk.back"
	[ $? = 124 ] && problem "the first client's connection did not end"
	exec 3<&-
	guest_wait
	grep -q -- '-' "$E2E_TMP/junk.back" || problem "the stub refused none of the junk"
	want_line out '^(Thread [0-9]+ hit )?Breakpoint 1, sum_squares \(n=4\)'
	want_line out 'detached'
	want_guest 7
	want_guest_line '^sum 30$'
}

for vmm in qemu toro; do
	check "gdb-vsock-junk@$vmm" "$vmm" && {
		junk_check "$vmm"
		report
	}
	session_break_step_detach "gdb-vsock-break-step-detach@$vmm" "$vmm"
	session_watchpoint "gdb-vsock-watchpoint@$vmm" "$vmm"
	session_threads "gdb-vsock-threads@$vmm" "$vmm"
	session_ctrl_c "gdb-vsock-ctrl-c@$vmm" "$vmm"
	session_fault "gdb-vsock-fault@$vmm" "$vmm"
	session_reattach "gdb-vsock-reattach@$vmm" "$vmm"

	# Firecracker's way in: its vsock device's Unix socket and the CONNECT handshake, which
	# --vsock PATH implements the same; gdb's line is `toro vsock-connect`, in the second
	# command toro prints (a path with a space, so that its quoting is used).
	if check "gdb-vsock-connect@$vmm" "$vmm"; then
		sock="$E2E_TMP/v $vmm.sock"
		if guest_start "$vmm" "$GDB_NATIVE" 1 --vsock "$sock" -- sum; then
			attach=$(sed -n "s|^toro: or through $sock: ||p" "$GUEST_MESSAGES")
			[[ $attach == "gdb $GDB_NATIVE -ex 'target remote | "*"vsock-connect '\''$sock'\'' $GDB_PORT'" ]] ||
				problem "the command through $sock is \"$attach\""
			run bash -c "$attach -nx -batch -ex 'set remotetimeout 30' -ex 'break square' \
				-ex continue -ex 'bt 2' -ex 'print gdb_origin.y' -ex detach"
			guest_wait
			want_line out '^(Thread [0-9]+ hit )?Breakpoint 1, square \(v=(v@entry=)?1\) at .*native_gdb\.c:[0-9]+'
			want_line out '^#1 +0x[0-9a-f]+ in sum_squares \(n=4\)'
			want_line out '^\$1 = 4$'
			want_line out 'detached'
			want_guest 7
			want_guest_line '^sum 30$'
		fi
		report
	fi

	check "gdb-vsock-sockets@$vmm" "$vmm" && {
		sockets_check "$vmm"
		report
	}
done

e2e_exit
