#!/bin/bash
# An unmodified TCP server (tests/guest/posix_tcp_echo.c, AF_INET and AF_INET6 sockets carried over
# vsock by kernel/sys/socket.c) served through the built-in monitor's --forward and reached with
# bash's /dev/tcp: echo (several connections, one of 1 MiB), non-blocking sockets under epoll and
# poll with time-outs and EAGAIN, MSG_PEEK and MSG_WAITALL through recvfrom and recvmsg, sendmsg
# from two buffers, and EPIPE then SIGPIPE once the client is gone. The same source is built with the host's cc and run on the
# host first, so it is a Linux program and not one written for Toro.
# PARTS: host toro
. "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../guest" && pwd)/posix_tcp_echo.c
IMG=$BUILD/tests/guest/posix_tcp_echo.elf

# One echo connection: two lines there and back.
echo_client() {
	local a= b=
	exec 3<>"/dev/tcp/127.0.0.1/$1" || { problem "cannot connect to port $1"; return; }
	printf 'one %s\ntwo\n' "$2" >&3
	IFS= read -r -t 20 a <&3
	IFS= read -r -t 20 b <&3
	exec 3>&-
	[ "$a|$b" = "one $2|two" ] || problem "echo $2: got '$a' and '$b'"
}

# One connection carrying 1 MiB each way, compared byte for byte.
bulk_client() {
	head -c 1048576 /dev/urandom >"$E2E_TMP/bulk"
	exec 3<>"/dev/tcp/127.0.0.1/$1" || { problem "cannot connect to port $1"; return; }
	cat "$E2E_TMP/bulk" >&3 &
	local writer=$!
	timeout 60 head -c 1048576 <&3 >"$E2E_TMP/bulk.back"
	wait "$writer"
	exec 3>&-
	cmp -s "$E2E_TMP/bulk" "$E2E_TMP/bulk.back" ||
		problem "1 MiB echo differs: $(cmp "$E2E_TMP/bulk" "$E2E_TMP/bulk.back" 2>&1 | head -1)"
}

# The events mode's client: waits for the greeting, sends a line, reads the answer, closes.
events_client() {
	local hello= answer=
	exec 3<>"/dev/tcp/127.0.0.1/$1" || { problem "cannot connect to port $1"; return; }
	IFS= read -r -t 20 hello <&3
	printf 'ping pong\n' >&3
	IFS= read -r -t 20 answer <&3
	exec 3>&-
	[ "$hello|$answer" = "hello|PING PONG" ] || problem "events: got '$hello' and '$answer'"
}

# The msg mode's client: 8 bytes in two writes, then the answer.
msg_client() {
	local answer=
	exec 3<>"/dev/tcp/127.0.0.1/$1" || { problem "cannot connect to port $1"; return; }
	printf 'abc\n' >&3
	sleep 0.2
	printf 'def\n' >&3
	IFS= read -r -t 20 answer <&3
	exec 3>&-
	[ "$answer" = "XY" ] || problem "msg: got '$answer'"
}

# The echo mode's clients: two short connections and one of 1 MiB.
echo_clients() {
	echo_client "$1" a
	echo_client "$1" b
	bulk_client "$1"
}

# The sigpipe mode's client: one line, then gone before the answer.
sigpipe_client() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1" && printf 'bye\n' >&3) || problem "cannot connect"
}

# Serves mode $3 on the host (`$1` linux: the cc build) or in the built-in monitor through
# --forward ($1 toro), on free port slot $2; runs client function $4 against it; wants exit status
# $5 and each following `out:REGEX` or `err:REGEX` line.
serve() {
	local where=$1 mode=$3 client=$4 status=$5 port gport extra= want
	port=$(pick_port "$2")
	shift 5
	case $mode in
	echo) gport=7000 extra=3 ;;
	events) gport=7001 ;;
	sigpipe) gport=7002 ;;
	msg) gport=7003 ;;
	esac
	if [ "$where" = linux ]; then
		bg_start 120 "$E2E_TMP/echo-linux" "$mode" "$port" $extra
	else
		bg_start 120 "$TORO" run --vmm toro "$IMG" --forward "$port:$gport" -- "$mode" "$gport" $extra
	fi && bg_listening && {
		"$client" "$port"
		bg_wait
		want_status "$status"
		for want; do
			want_line "${want%%:*}" "${want#*:}"
		done
	}
	report
}

if check posix-net/linux-build host; then
	run cc -O2 -Wall -Wextra -Werror -o "$E2E_TMP/echo-linux" "$SRC"
	want_status 0
	report
fi

linux() { check "posix-net/linux-$1" host && [ -x "$E2E_TMP/echo-linux" ]; }
linux echo && serve linux 1 echo echo_clients 0 'out:^served 3 connections, 1048596 bytes$'
linux events && serve linux 2 events events_client 0 'out:^accept: EAGAIN, epoll_wait: timed out$' \
	'out:^read: EAGAIN$' 'out:^events ok$'
linux msg && serve linux 7 msg msg_client 0 'out:^peeked abc, address length 0$' 'out:^msg ok$'
linux sigpipe && serve linux 5 sigpipe sigpipe_client 141 'out:^send: EPIPE$'

check posix-net/forward-echo toro && serve toro 3 echo echo_clients 0 \
	'out:^connection 1 from an IPv4 peer done$' 'out:^served 3 connections, 1048596 bytes$'
check posix-net/forward-events toro && serve toro 4 events events_client 0 \
	'out:^accept: EAGAIN, epoll_wait: timed out$' 'out:^accepted from ::1$' 'out:^read: EAGAIN$' \
	'out:^events ok$'
check posix-net/forward-msg toro && serve toro 8 msg msg_client 0 \
	'out:^peeked abc, address length 0$' 'out:^received 8 bytes in 2 buffers$' 'out:^msg ok$'
# The signal's report is a kernel message, on stderr.
check posix-net/forward-sigpipe toro && serve toro 6 sigpipe sigpipe_client 141 \
	'out:^send: EPIPE$' 'err:terminated by signal 13'
e2e_exit
