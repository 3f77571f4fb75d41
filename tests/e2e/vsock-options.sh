#!/bin/bash
# `toro run` with the vsock options (--vsock PATH, --forward/-f, --cid) on bad input: one clear
# line on stderr and exit status 2, before anything boots; and, with the built-in monitor, the
# Unix socket made for the run is removed after it.
# PARTS: host toro
. "$(dirname "$0")/lib.sh"
tmp=$E2E_TMP
hello=$BUILD/examples/hello.elf

bad_input cid-2 "--cid 2: must be a number from 3 to 4294967294" -- "$TORO" run "$hello" --cid 2
bad_input cid-max "--cid 4294967295: must be a number from 3" -- "$TORO" run "$hello" --cid 4294967295
bad_input cid-word "--cid three: must be a number" -- "$TORO" run "$hello" --cid three
bad_input forward-no-colon "--forward '8080': expected \[ADDR:\]HOSTPORT:GUESTPORT" -- "$TORO" run "$hello" --forward 8080
bad_input forward-host-port "--forward '70000:80': host port '70000' must be 1 to 65535" -- "$TORO" run "$hello" -f 70000:80
bad_input forward-host-port-0 "-f|--forward '0:80': host port '0' must be 1 to 65535" -- "$TORO" run "$hello" -f 0:80
bad_input forward-guest-port "--forward '8080:4294967295': guest port '4294967295' must be 0 to 4294967294" -- "$TORO" run "$hello" --forward=8080:4294967295
bad_input forward-addr "--forward 'localhost:8080:80': 'localhost' is not an IPv4 address" -- "$TORO" run "$hello" -f localhost:8080:80
bad_input forward-empty "--forward '': expected" -- "$TORO" run "$hello" --forward
bad_input vsock-empty "--vsock: no socket path given" -- "$TORO" run "$hello" --vsock ""
long=$tmp/$(printf '%100s' '' | tr ' ' s)
bad_input vsock-too-long "--vsock $long: socket path too long \(at most 96 bytes" -- "$TORO" run "$hello" --vmm toro --vsock "$long"
: >"$tmp/file"
bad_input vsock-not-socket "--vsock $tmp/file: exists and is not a socket" -- "$TORO" run "$hello" --vmm toro --vsock "$tmp/file"
bad_input vsock-dir "--vsock $tmp: exists and is not a socket" -- "$TORO" run "$hello" --vmm toro --vsock "$tmp"
bad_input vsock-no-dir "--vsock $tmp/none/v.sock: No such file or directory" -- "$TORO" run "$hello" --vmm toro --vsock "$tmp/none/v.sock"

# A port someone else listens on; and the same port twice in one run.
if check forward-port-in-use host; then
	if command -v python3 >/dev/null; then
		python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True); time.sleep(60)' >"$tmp/port" &
		holder=$!
		for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
		port=$(cat "$tmp/port")
		run "$TORO" run "$hello" --vmm toro --forward "$port:80"
		want_status 2
		want_count err . 1
		want_line err "--forward 127.0.0.1:$port:80: port $port is in use"
		kill "$holder"
		wait "$holder" 2>/dev/null
	else
		problem "python3 is needed to hold a port"
	fi
	report
fi

# The socket file is gone after the run (a stale one is replaced: tests/unit/vmm_vsock.c).
if check vsock-socket-removed toro; then
	run "$TORO" run "$hello" --vmm toro --vsock "$tmp/v.sock" --cid 77
	want_status 0
	want_line out "Hello World"
	[ -e "$tmp/v.sock" ] && problem "$tmp/v.sock is still there after the run"
	report
fi
e2e_exit
