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

if check posix-net/linux-build host; then
	run cc -O2 -Wall -Wextra -Werror -o "$E2E_TMP/echo-linux" "$SRC"
	want_status 0
	report
fi

if check posix-net/linux-echo host && [ -x "$E2E_TMP/echo-linux" ]; then
	port=$(pick_port 1)
	if bg_start 120 "$E2E_TMP/echo-linux" echo "$port" 3 && bg_listening; then
		echo_client "$port" a
		echo_client "$port" b
		bulk_client "$port"
		bg_wait
		want_status 0
		want_line out '^served 3 connections, 1048596 bytes$'
	fi
	report
fi

if check posix-net/linux-events host && [ -x "$E2E_TMP/echo-linux" ]; then
	port=$(pick_port 2)
	if bg_start 120 "$E2E_TMP/echo-linux" events "$port" && bg_listening; then
		events_client "$port"
		bg_wait
		want_status 0
		want_line out '^accept: EAGAIN, epoll_wait: timed out$'
		want_line out '^read: EAGAIN$'
		want_line out '^events ok$'
	fi
	report
fi

if check posix-net/linux-msg host && [ -x "$E2E_TMP/echo-linux" ]; then
	port=$(pick_port 7)
	if bg_start 120 "$E2E_TMP/echo-linux" msg "$port" && bg_listening; then
		msg_client "$port"
		bg_wait
		want_status 0
		want_line out '^peeked abc, address length 0$'
		want_line out '^msg ok$'
	fi
	report
fi

if check posix-net/linux-sigpipe host && [ -x "$E2E_TMP/echo-linux" ]; then
	port=$(pick_port 5)
	if bg_start 120 "$E2E_TMP/echo-linux" sigpipe "$port" && bg_listening; then
		(exec 3<>"/dev/tcp/127.0.0.1/$port" && printf 'bye\n' >&3) || problem "cannot connect"
		bg_wait
		want_status 141
		want_line out '^send: EPIPE$'
	fi
	report
fi

if check posix-net/forward-echo toro; then
	port=$(pick_port 3)
	if bg_start 120 "$TORO" run --vmm toro "$IMG" --forward "$port:7000" -- echo 7000 3 &&
		bg_listening; then
		echo_client "$port" a
		echo_client "$port" b
		bulk_client "$port"
		bg_wait
		want_status 0
		want_line out '^connection 1 from an IPv4 peer done$'
		want_line out '^served 3 connections, 1048596 bytes$'
	fi
	report
fi

if check posix-net/forward-events toro; then
	port=$(pick_port 4)
	if bg_start 120 "$TORO" run --vmm toro "$IMG" --forward "$port:7001" -- events 7001 &&
		bg_listening; then
		events_client "$port"
		bg_wait
		want_status 0
		want_line out '^accept: EAGAIN, epoll_wait: timed out$'
		want_line out '^accepted from ::1$'
		want_line out '^read: EAGAIN$'
		want_line out '^events ok$'
	fi
	report
fi
if check posix-net/forward-msg toro; then
	port=$(pick_port 8)
	if bg_start 120 "$TORO" run --vmm toro "$IMG" --forward "$port:7003" -- msg 7003 &&
		bg_listening; then
		msg_client "$port"
		bg_wait
		want_status 0
		want_line out '^peeked abc, address length 0$'
		want_line out '^received 8 bytes in 2 buffers$'
		want_line out '^msg ok$'
	fi
	report
fi

if check posix-net/forward-sigpipe toro; then
	port=$(pick_port 6)
	if bg_start 120 "$TORO" run --vmm toro "$IMG" --forward "$port:7002" -- sigpipe 7002 &&
		bg_listening; then
		(exec 3<>"/dev/tcp/127.0.0.1/$port" && printf 'bye\n' >&3) || problem "cannot connect"
		bg_wait
		want_status 141
		want_line out '^send: EPIPE$'
		want_line err 'terminated by signal 13' # a kernel message
	fi
	report
fi
e2e_exit
