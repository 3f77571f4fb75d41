#!/bin/bash
# The vhost-user back end (vmm/vhost-user/): `toro vhost-user` on bad input (one line, status 2,
# nothing left behind), serving a fake front end (python3) that reads the device's features and
# config, breaks the protocol and is disconnected with one line while the server serves the next,
# then stops on SIGTERM removing its socket and its --forward listener; and `toro run --vmm qemu`
# with --forward, whose back end runs inside toro: the run works, and when QEMU exits, fails to
# start or the run is interrupted, no socket, directory, listener or QEMU process is left.
# PARTS: host qemu
. "$(dirname "$0")/lib.sh"
tmp=$E2E_TMP
hello=$BUILD/examples/hello.elf
hang=$BUILD/tests/guest/native_hang.elf

# A TCP port nothing listens on now.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

bad_input no-device "vhost-user: no device given" --usage -- "$TORO" vhost-user
bad_input unknown-device "vhost-user: unknown device 'blk'" --usage -- "$TORO" vhost-user blk --socket "$tmp/s"
bad_input no-socket "vhost-user: --socket PATH is required" --usage -- "$TORO" vhost-user vsock
bad_input unknown-option "vhost-user: unknown option '--share'" --usage -- "$TORO" vhost-user vsock --socket "$tmp/s" --share /
bad_input bad-cid "vhost-user: --cid 2: must be a number from 3" --usage -- "$TORO" vhost-user vsock --socket "$tmp/s" --cid 2
bad_input fs-no-share "vhost-user: --share DIR\[:rw\] is required" --usage -- "$TORO" vhost-user fs --socket "$tmp/s"
bad_input fs-bad-share "vhost-user: --share $tmp/none: " --usage -- "$TORO" vhost-user fs --socket "$tmp/s" --share "$tmp/none"
bad_input fs-two-shares "vhost-user: --share $tmp: one share per device" --usage -- "$TORO" vhost-user fs --socket "$tmp/s" --share "$tmp" --share "$tmp"
bad_input socket-no-dir "vhost-user vsock: $tmp/none/s: No such file or directory" -- "$TORO" vhost-user vsock --socket "$tmp/none/s"
: >"$tmp/file"
bad_input socket-taken "vhost-user vsock: $tmp/file: Address already in use" -- "$TORO" vhost-user vsock --socket "$tmp/file"
if check socket-taken-kept host; then
	[ -f "$tmp/file" ] || problem "the file at the socket path was removed"
	report
fi

# The fake front end: the handshake QEMU's vhost-user-vsock-device makes up to GET_CONFIG, a
# request the server does not know (the connection must be closed), then a second connection.
if check serve-fake-front-end host; then
	if command -v python3 >/dev/null; then
		port=$(free_port)
		bg_start 120 "$TORO" vhost-user vsock --socket "$tmp/v.sock" --forward "$port:80" --cid 42
		wait_socket "$tmp/v.sock"
		port_listening "$port" || problem "--forward $port is not listening"
		python3 - "$tmp/v.sock" >"$tmp/front" 2>&1 <<'EOF' || problem "front end: $(tail -1 "$tmp/front")"
import socket, struct, sys
def msg(s, req, payload=b''):
    s.sendall(struct.pack('<III', req, 1, len(payload)) + payload)
def reply(s, req):
    h = s.recv(12, socket.MSG_WAITALL)
    r, flags, size = struct.unpack('<III', h)
    assert r == req and flags == 5, (r, flags)
    return s.recv(size, socket.MSG_WAITALL) if size else b''
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
msg(s, 1)
f, = struct.unpack('<Q', reply(s, 1))
assert f & (1 << 30) and f & (1 << 32) and f & 1, hex(f)  # protocol features, VERSION_1, STREAM
msg(s, 15)
pf, = struct.unpack('<Q', reply(s, 15))
assert pf & (1 << 9), hex(pf)                              # CONFIG
msg(s, 16, struct.pack('<Q', 1 << 9))
msg(s, 17)
assert struct.unpack('<Q', reply(s, 17))[0] == 3           # rx, tx, event
msg(s, 24, struct.pack('<III', 0, 8, 0) + bytes(8))
cfg = reply(s, 24)
assert struct.unpack('<IIIQ', cfg)[3] == 42, cfg           # guest_cid
msg(s, 77)
assert s.recv(1) == b''                                    # closed
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
msg(s, 1)
assert struct.unpack('<Q', reply(s, 1))[0] == f
print("front end ok")
EOF
		kill -TERM "$BG"
		bg_wait
		want_status 0
		grep -q "front end ok" "$tmp/front" || problem "front end did not finish"
		want_count err . 1
		want_line err "^toro: vhost-user virtio-vsock: request 77 is unknown or not served; connection closed$"
		[ -e "$tmp/v.sock" ] && problem "socket left behind after SIGTERM"
		port_listening "$port" && problem "--forward $port still listening after SIGTERM"
	else
		problem "python3 is needed for the fake front end"
	fi
	report
fi

# The virtio-fs back end: two queues, and no CONFIG protocol feature (QEMU's vhost-user-fs-device
# keeps its tag itself).
if check serve-fs host; then
	if command -v python3 >/dev/null; then
		bg_start 120 "$TORO" vhost-user fs --socket "$tmp/f.sock" --share "$tmp"
		wait_socket "$tmp/f.sock"
		python3 - "$tmp/f.sock" >"$tmp/front" 2>&1 <<'EOF' || problem "front end: $(tail -1 "$tmp/front")"
import socket, struct, sys
def ask(s, req):
    s.sendall(struct.pack('<III', req, 1, 0))
    r, flags, size = struct.unpack('<III', s.recv(12, socket.MSG_WAITALL))
    assert r == req and flags == 5 and size == 8, (r, flags, size)
    return struct.unpack('<Q', s.recv(8, socket.MSG_WAITALL))[0]
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
assert ask(s, 1) & (1 << 32)                  # VERSION_1
assert not ask(s, 15) & (1 << 9)              # no CONFIG
assert ask(s, 17) == 2                        # hiprio and one request queue
print("front end ok")
EOF
		kill -TERM "$BG"
		bg_wait
		want_status 0
		grep -q "front end ok" "$tmp/front" || problem "front end did not finish"
		[ -e "$tmp/f.sock" ] && problem "socket left behind after SIGTERM"
	else
		problem "python3 is needed for the fake front end"
	fi
	report
fi

# toro run --vmm qemu with the vsock device: sockets go in $TMPDIR/toro-vhost-*; after each run
# that directory and every QEMU started with it must be gone.
qtmp=$tmp/qemu-tmp
mkdir -p "$qtmp"
nothing_left() {
	local left
	left=$(ls -A "$qtmp")
	[ -z "$left" ] || problem "left in \$TMPDIR: $left"
	pgrep -f "path=$qtmp/" >/dev/null && problem "a QEMU process is left"
	[ -z "${1:-}" ] || ! port_listening "$1" || problem "--forward $1 still listening"
}

# microvm has 8 virtio-mmio transports: the console, the vsock device and 7 shares do not fit,
# which is said before anything starts.
if check qemu-too-many-devices host; then
	mkdir -p "$tmp/s8"
	shares=()
	for i in 1 2 3 4 5 6 7; do mkdir -p "$tmp/s8/$i" && shares+=(--share "$tmp/s8/$i:/m$i"); done
	TMPDIR=$qtmp run "$TORO" run "$hello" --vmm qemu --console virtio --forward "$(free_port):80" \
		"${shares[@]}"
	want_status 2
	want_count err . 1
	want_line err "run: 9 virtio devices do not fit the 8 virtio-mmio slots of QEMU's microvm"
	nothing_left
	report
fi

if check qemu-forward-runs qemu; then
	port=$(free_port)
	TMPDIR=$qtmp run "$TORO" run "$hello" --vmm qemu --forward "$port:80" --cid 9
	want_status 0
	want_line out "Hello World"
	nothing_left "$port"
	report
fi

if check qemu-virtio-console-and-vsock qemu; then
	port=$(free_port)
	TMPDIR=$qtmp run "$TORO" run "$hello" --vmm qemu --console virtio --forward "$port:80"
	want_status 0
	want_line out "Hello World"
	nothing_left "$port"
	report
fi

if check qemu-fails-to-start qemu; then
	port=$(free_port)
	TMPDIR=$qtmp TORO_QEMU=/nonexistent/qemu run "$TORO" run "$hello" --vmm qemu --forward "$port:80"
	want_status 1
	want_line err "cannot run /nonexistent/qemu"
	nothing_left "$port"
	report
fi

if check qemu-refuses qemu; then
	# QEMU starts and gives up at once (an option it does not know).
	port=$(free_port)
	printf '#!/bin/sh\nexec qemu-system-x86_64 "$@" -no-such-option\n' >"$tmp/badqemu"
	chmod +x "$tmp/badqemu"
	TMPDIR=$qtmp TORO_QEMU=$tmp/badqemu run "$TORO" run "$hello" --vmm qemu --forward "$port:80"
	want_status 1
	want_line err "qemu failed"
	nothing_left "$port"
	report
fi

for sig in INT TERM; do
	check "qemu-SIG$sig" qemu || continue
	port=$(free_port)
	TMPDIR=$qtmp "$TORO" run "$hang" --vmm qemu --forward "$port:80" --timeout 60 \
		</dev/null >"$OUT" 2>"$ERR" &
	pid=$!
	sleep 2
	kill -"$sig" "$pid"
	wait "$pid"
	ran $?
	want_status 130
	nothing_left "$port"
	report
done

# The guest's vsock sockets with QEMU's vhost-user-vsock-device served by toro: the native echo
# server of tests/guest/native_vsock.c reached through --forward (1 MiB each way) and through
# --vsock's CONNECT, many connections at once on two cores, and the guest connecting out; the
# host's side is build/tests/guest/vsock-peer (tests/e2e/vsock-peer.c), as in vsock-native.sh.
IMAGE=$BUILD/tests/guest/native_vsock.elf
SOCK=$tmp/g.sock
# vsock-peer writes everything before it reads: through a Unix socket, whose buffers are small,
# the echo must fit them (as in vsock-native.sh); TCP's take 1 MiB.
head -c 1048576 /dev/urandom >"$tmp/data-forward"
head -c 30000 /dev/urandom >"$tmp/data-vsock"

# guest_start OPTIONS... -- ROLE...: the guest under QEMU, waiting until it listens unless the
# role connects out.
guest_start() {
	rm -f "$SOCK"
	TMPDIR=$qtmp bg_start 150 "$TORO" run "$IMAGE" --vmm qemu --timeout 140 "$@"
	case " $* " in *" -- connect "*) return 0 ;; esac
	bg_listening "$SOCK"
}

for via in forward vsock; do
	check "qemu-echo-$via" qemu || continue
	port=$(free_port)
	if [ $via = forward ]; then addr=tcp:127.0.0.1:$port; else addr=unix:$SOCK:5000; fi
	guest_start --vsock "$SOCK" --forward "$port:5000" -- echo 5000 1 &&
		peer_echo "$addr" "$tmp/data-$via" 100
	bg_wait
	want_status 0
	want_line out "^echoed $(stat -c %s "$tmp/data-$via")\$"
	nothing_left "$port"
	[ -e "$SOCK" ] && problem "the --vsock socket is left"
	report
done

# An unmodified POSIX TCP server (tests/guest/posix_tcp_echo.c, AF_INET over vsock) under QEMU,
# reached through --forward by a client that reads while it writes (1 MiB each way).
if check qemu-posix-tcp-echo qemu; then
	port=$(free_port)
	TMPDIR=$qtmp bg_start 150 "$TORO" run "$BUILD/tests/guest/posix_tcp_echo.elf" --vmm qemu \
		--timeout 140 --forward "$port:7000" -- echo 7000 1
	python3 - "$port" >"$tmp/client" 2>&1 <<'EOF' || problem "client: $(tail -1 "$tmp/client")"
import os, socket, sys, threading, time
data = os.urandom(1 << 20)
for _ in range(600):
    try:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("cannot connect")
got = []
def read_all():
    while True:
        b = s.recv(65536)
        if not b: break
        got.append(b)
reader = threading.Thread(target=read_all); reader.start()
s.sendall(data); s.shutdown(socket.SHUT_WR); reader.join()
sys.exit(0 if b"".join(got) == data else "echo differs")
EOF
	bg_wait
	want_status 0
	want_line out '^served 1 connections, 1048576 bytes$'
	nothing_left "$port"
	report
fi

if check qemu-many qemu; then
	port=$(free_port)
	if guest_start --cpus 2 --vsock "$SOCK" --forward "$port:5000" -- serve 5000 32; then
		timeout 120 "$PEER" many "tcp:127.0.0.1:$port" 16 20000 >"$tmp/tcp.out" 2>&1 ||
			problem "through --forward: $(tail -3 "$tmp/tcp.out")"
		timeout 120 "$PEER" many "unix:$SOCK:5000" 16 20000 >"$tmp/unix.out" 2>&1 ||
			problem "through --vsock: $(tail -3 "$tmp/unix.out")"
	fi
	bg_wait
	want_status 0
	want_line out '^served 32, 0 failed$'
	nothing_left "$port"
	report
fi

if check qemu-connect-out qemu; then
	peer_serve "${SOCK}_6000"
	guest_start --vsock "$SOCK" -- connect 6000 hello-from-the-guest
	bg_wait
	peer_served
	want_status 0
	want_line out '^reply: host got 20: hello-from-the-guest$'
	nothing_left
	report
fi

# Shares under QEMU, through vhost-user-fs-device and toro's FUSE server: the guest tests of
# tests/guest/native_files.c and posix_files.c on the three shares tests/e2e/files.sh uses with
# the built-in monitor (read-write at /, read-only at /ro, read-write at /mnt/data).
sh=$tmp/shares
make_shares "$sh" $((2 << 20)) $((256 << 10))

if check qemu-shares-native qemu; then
	TMPDIR=$qtmp run "$TORO" run --vmm qemu --cpus 2 --timeout 100 "${SHARES[@]}" \
		"$BUILD/tests/guest/native_files.elf" -- share "$big_size" "read-only text"
	want_status 0
	want_line out '^page-cache-second-read-from-memory: ok$'
	want_line out '^threads-read: ok$'
	want_line out '^stat-until-ro: ok$'
	want_line out '^checks: [0-9]+ passed, 0 failed$'
	nothing_left
	report
fi

if check qemu-shares-posix qemu; then
	TMPDIR=$qtmp run "$TORO" run --vmm qemu --cpus 2 --timeout 100 "${SHARES[@]}" \
		"$BUILD/tests/guest/posix_files.elf" -- share "$big_crc" "$big_size" "${crcs[@]}" \
		"read-only text"
	want_status 0
	want_line out "^big: $big_size bytes, cksum $big_crc\$"
	want_line out '^symlink-climbs-in-guest: ok$'
	want_line out '^checks: [0-9]+ passed, 0 failed$'
	[ "$(cat "$sh/data/from-guest" 2>/dev/null)" = "written by the guest" ] ||
		problem "data/from-guest is not what the guest wrote"
	nothing_left
	report
fi

if check qemu-timeout qemu; then
	port=$(free_port)
	TMPDIR=$qtmp run "$TORO" run "$hang" --vmm qemu --forward "$port:80" --timeout 2
	want_status 124
	nothing_left "$port"
	report
fi
e2e_exit
