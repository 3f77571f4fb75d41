#!/bin/bash
# examples/webserver (native) and examples/webserver-posix served through `toro run --share
# --forward` in both monitors, and webserver-posix built with the host's cc and run on the host:
# the index, a 5 MiB binary byte for byte, 404, 403 for "..", HEAD, a file changed on the host
# served changed, 304, ranges (206, 416), keep-alive, pipelining, many parallel clients, a client
# that leaves mid-response, bad requests and the access log, which --no-log turns off. Requests
# go through bash's /dev/tcp (the nested test VM has no curl).
# PARTS: host qemu toro
. "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../../examples/webserver-posix" && pwd)
BIG_SIZE=5242880

# The share: an index.html, a 5 MiB binary, a directory with an index. (Made here: the nested
# test VM has tests/ and the build, not examples/.)
WWW=$E2E_TMP/www
mkdir -p "$WWW/docs"
printf '<!DOCTYPE html>\n<title>Toro in C</title>\n<h1>Hello from Toro in C</h1>\n' >"$WWW/index.html"
head -c "$BIG_SIZE" /dev/urandom >"$WWW/big.bin"
printf 'the docs\n' >"$WWW/docs/index.html"
INDEX_SIZE=$(wc -c <"$WWW/index.html")

SERVER_OUT=$E2E_TMP/server.out
server=

# Starts the server (the command line in "$@") in the background and waits until it says
# "listening on port N"; sets $port to N when it is given as 0 (the host's own run).
start_server() {
	: >"$SERVER_OUT"
	"$@" </dev/null >"$SERVER_OUT" 2>&1 &
	server=$!
	for _ in $(seq 900); do
		if grep -q '^listening on port' "$SERVER_OUT"; then
			[ "$port" = 0 ] && port=$(sed -n 's/^listening on port \([0-9]*\).*/\1/p' "$SERVER_OUT")
			return 0
		fi
		kill -0 "$server" 2>/dev/null || break
		sleep 0.1
	done
	problem "the server did not say 'listening on port': $(tail -n 3 "$SERVER_OUT")"
	stop_server
	return 1
}

# True if the server still runs. If it has ended, its output is this check's (for report, and
# the nested VM's flaws), and the next check starts another.
server_alive() {
	kill -0 "$server" 2>/dev/null && return 0
	wait "$server"
	local status=$?
	server=
	cp "$SERVER_OUT" "$OUT"
	e2e_seen_flaw "$status"
	return 1
}

stop_server() {
	[ -n "$server" ] || return 0
	kill "$server" 2>/dev/null
	wait "$server" 2>/dev/null
	server=
}

# One connection: sends the request text (printf format and arguments), reads the whole answer
# into the file $resp until the server closes, so the last request says "Connection: close".
# The server must close within $wait_s seconds: less than its 15 s idle time, so a connection
# it wrongly keeps open fails the check.
wait_s=12
exchange() {
	resp=$E2E_TMP/resp.$BASHPID
	exec 3<>"/dev/tcp/127.0.0.1/$port" || { problem "cannot connect to port $port"; return 1; }
	# shellcheck disable=SC2059
	printf "$@" >&3
	timeout "$wait_s" cat <&3 >"$resp" || problem "no complete answer to '${2:-$1}' within $wait_s s"
	exec 3>&-
}

get() { # PATH [extra header line]: one GET that closes
	exchange 'GET %s HTTP/1.1\r\nHost: t\r\n%sConnection: close\r\n\r\n' "$1" "${2:+$2$'\r\n'}"
}

status_of() { head -n 1 "$1" | tr -d '\r' | cut -d' ' -f2; }
field_of() { # FILE NAME: the value of the response's first header field NAME
	sed -n '1,/^\r$/p' "$1" | tr -d '\r' | grep -i "^$2:" | head -n 1 | cut -d' ' -f2-
}
head_size() { # FILE: the bytes up to and with the empty line
	local n=0 line
	while IFS= read -r line; do
		n=$((n + ${#line} + 1))
		[ "$line" = $'\r' ] && break
	done <"$1"
	echo "$n"
}
body_of() { tail -c +"$(($(head_size "$1") + 1))" "$1"; }

want_status_of() { # FILE STATUS WHAT
	local got
	got=$(status_of "$1")
	[ "$got" = "$2" ] || problem "$3: status '$got', want $2 ($(head -n 1 "$1" | tr -d '\r'))"
}

test_index() {
	get / || return
	want_status_of "$resp" 200 "GET /"
	body_of "$resp" | cmp -s - "$WWW/index.html" || problem "GET /: the body differs from index.html"
	[ "$(field_of "$resp" Content-Type)" = "text/html; charset=utf-8" ] ||
		problem "GET /: Content-Type '$(field_of "$resp" Content-Type)'"
	[ "$(field_of "$resp" Content-Length)" = "$INDEX_SIZE" ] || problem "GET /: wrong Content-Length"
	get /docs/ && want_status_of "$resp" 200 "GET /docs/"
	[ "$(body_of "$resp")" = "the docs" ] || problem "GET /docs/: not docs/index.html"
	get /docs && want_status_of "$resp" 301 "GET /docs"
	[ "$(field_of "$resp" Location)" = "/docs/" ] || problem "GET /docs: Location is not /docs/"
}

test_big() {
	wait_s=120 get /big.bin || return
	want_status_of "$resp" 200 "GET /big.bin"
	[ "$(field_of "$resp" Content-Type)" = application/octet-stream ] || problem "big.bin: Content-Type"
	body_of "$resp" | cmp -s - "$WWW/big.bin" ||
		problem "GET /big.bin: $(body_of "$resp" | cmp - "$WWW/big.bin" 2>&1 | head -n 1)"
}

test_errors() {
	get /missing.html && want_status_of "$resp" 404 "GET /missing.html"
	local path
	for path in '/../etc/passwd' '/%2e%2e/etc/passwd' '/docs/%2E%2e/%2e%2E/etc/passwd' '/docs/..'; do
		get "$path" && want_status_of "$resp" 403 "GET $path"
	done
	exchange 'POST / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' &&
		want_status_of "$resp" 405 POST
	[ "$(field_of "$resp" Allow)" = "GET, HEAD" ] || problem "405 without 'Allow: GET, HEAD'"
	exchange 'GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello' &&
		want_status_of "$resp" 413 "GET with a body"
	exchange 'GET /%s HTTP/1.1\r\nHost: t\r\n\r\n' "$(printf '%03000d' 0)" &&
		want_status_of "$resp" 414 "a 3000-byte target"
	exchange 'GARBAGE\r\n\r\n' && want_status_of "$resp" 400 "a request line without a target"
	exchange 'GET / HTTP/1.1\r\n\r\n' && want_status_of "$resp" 400 "HTTP/1.1 without Host"
	exchange 'GET /%%zz HTTP/1.1\r\nHost: t\r\n\r\n' && want_status_of "$resp" 400 "a bad escape"
}

test_head() {
	exchange 'HEAD /index.html HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' || return
	want_status_of "$resp" 200 HEAD
	[ "$(field_of "$resp" Content-Length)" = "$INDEX_SIZE" ] || problem "HEAD: wrong Content-Length"
	[ "$(wc -c <"$resp")" = "$(head_size "$resp")" ] || problem "HEAD: the answer has a body"
}

# One keep-alive GET of PATH on the connection open at fd 4: the body in $kept_body, false with a
# problem when the answer is not a 200 with a body.
kept_get() {
	local line len=
	kept_body=
	printf 'GET %s HTTP/1.1\r\nHost: t\r\n\r\n' "$1" >&4
	IFS= read -r -t 60 line <&4
	[ "$line" = $'HTTP/1.1 200 OK\r' ] || { problem "keep-alive GET $1: '$line'"; return 1; }
	while IFS= read -r -t 60 line <&4 && [ "$line" != $'\r' ]; do
		case $line in Content-Length:*) len=${line#*: } len=${len%$'\r'} ;; esac
	done
	[ -n "$len" ] && LC_ALL=C IFS= read -r -d '' -N "$len" -t 60 kept_body <&4
	[ "${#kept_body}" = "$len" ] || { problem "keep-alive GET $1: ${#kept_body} bytes"; return 1; }
}

# A file changed on the host is served changed once the share's attributes time out (1 s of the
# guest's clock) and the server checks its copy again: both servers keep small files in memory
# and check them with a stat, the native one when the kernel's answer has run out,
# webserver-posix at most once a second (its CACHE_VALID_NS), so within about 2 s of the guest's
# clock, which a loaded TCG guest may run slow: asked for up to 15 s. At another size or the
# same: on new connections, and on one kept open (webserver-posix keeps files per connection),
# so a cache that is never checked again fails here.
test_changed() {
	local text
	exec 4<>"/dev/tcp/127.0.0.1/$port" || { problem "cannot connect to port $port"; return 1; }
	for text in one two "the third"; do
		printf '%s\n' "$text" >"$WWW/changed.txt"
		for _ in $(seq 15); do
			sleep 1
			get /changed.txt && want_status_of "$resp" 200 "GET /changed.txt" || break
			kept_get /changed.txt || break
			[ "$(body_of "$resp")" = "$text" ] && [ "$kept_body" = "$text"$'\n' ] && break
		done
		[ "$(body_of "$resp")" = "$text" ] ||
			problem "GET /changed.txt 15 s after it changed: '$(body_of "$resp")', want '$text'"
		[ "$kept_body" = "$text"$'\n' ] ||
			problem "GET /changed.txt kept alive 15 s after it changed: '${kept_body%$'\n'}', want '$text'"
	done
	exec 4>&-
}

test_not_modified() {
	get /index.html || return
	local modified
	modified=$(field_of "$resp" Last-Modified)
	[ -n "$modified" ] || { problem "no Last-Modified"; return; }
	get /index.html "If-Modified-Since: $modified" && want_status_of "$resp" 304 "If-Modified-Since: $modified"
	[ "$(wc -c <"$resp")" = "$(head_size "$resp")" ] || problem "304 with a body"
	get /index.html "If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT" &&
		want_status_of "$resp" 200 "If-Modified-Since: 1970"
}

test_range() {
	get /big.bin "Range: bytes=1000000-1000099" || return
	want_status_of "$resp" 206 "Range: bytes=1000000-1000099"
	[ "$(field_of "$resp" Content-Range)" = "bytes 1000000-1000099/$BIG_SIZE" ] ||
		problem "206: Content-Range '$(field_of "$resp" Content-Range)'"
	tail -c +1000001 "$WWW/big.bin" | head -c 100 >"$E2E_TMP/range.want"
	body_of "$resp" | cmp -s - "$E2E_TMP/range.want" || problem "206: the wrong bytes"
	get /big.bin "Range: bytes=-10" && want_status_of "$resp" 206 "Range: bytes=-10"
	body_of "$resp" | cmp -s - <(tail -c 10 "$WWW/big.bin") || problem "bytes=-10: the wrong bytes"
	get /big.bin "Range: bytes=$BIG_SIZE-" && want_status_of "$resp" 416 "Range past the end"
	[ "$(field_of "$resp" Content-Range)" = "bytes */$BIG_SIZE" ] || problem "416 without Content-Range"
}

# Three requests on one connection, each sent after the previous answer was read.
test_keep_alive() {
	exec 3<>"/dev/tcp/127.0.0.1/$port" || { problem "cannot connect"; return; }
	local i line len body
	for i in 1 2 3; do
		printf 'GET /index.html HTTP/1.1\r\nHost: t\r\n\r\n' >&3
		IFS= read -r -t 60 line <&3
		[ "$line" = $'HTTP/1.1 200 OK\r' ] || { problem "keep-alive request $i: '$line'"; break; }
		len=
		while IFS= read -r -t 60 line <&3 && [ "$line" != $'\r' ]; do
			case $line in Content-Length:*) len=${line#*: } len=${len%$'\r'} ;; esac
		done
		[ "$len" = "$INDEX_SIZE" ] || { problem "keep-alive request $i: Content-Length '$len'"; break; }
		LC_ALL=C IFS= read -r -d '' -N "$len" -t 60 body <&3
		[ "${#body}" = "$len" ] || { problem "keep-alive request $i: ${#body} bytes of body"; break; }
	done
	exec 3>&-
}

# Three requests in one write, answered in order on one connection.
test_pipelined() {
	exchange 'GET /index.html HTTP/1.1\r\nHost: t\r\n\r\nHEAD /missing HTTP/1.1\r\nHost: t\r\n\r\nGET /docs/ HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' || return
	local statuses
	statuses=$(grep -a '^HTTP/1.1 ' "$resp" | cut -d' ' -f2 | tr '\n' ' ')
	[ "$statuses" = "200 404 200 " ] || problem "pipelined: statuses '$statuses', want 200 404 200"
	tail -c 9 "$resp" | grep -q '^the docs$' || problem "pipelined: the last answer's body is not docs/index.html"
}

# $clients connections at once, each one GET of the index.
test_parallel() {
	local i ok=0
	for ((i = 0; i < clients; i++)); do
		(wait_s=60 get /index.html && [ "$(status_of "$resp")" = 200 ] &&
			body_of "$resp" | cmp -s - "$WWW/index.html" && touch "$E2E_TMP/ok.$i") &
	done
	wait_clients
	for ((i = 0; i < clients; i++)); do
		[ -e "$E2E_TMP/ok.$i" ] && ok=$((ok + 1))
		rm -f "$E2E_TMP/ok.$i"
	done
	[ "$ok" = "$clients" ] || problem "$ok of $clients parallel clients got the index"
}

# Waits for the background clients (not the server).
wait_clients() {
	local pid
	for pid in $(jobs -p); do
		[ "$pid" = "$server" ] || wait "$pid"
	done
}

# A client that closes after the first kilobyte of the 5 MiB file; the server goes on.
test_disconnect() {
	exec 3<>"/dev/tcp/127.0.0.1/$port" || { problem "cannot connect"; return; }
	printf 'GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n' >&3
	head -c 1024 <&3 >/dev/null
	exec 3>&-
	get /index.html && want_status_of "$resp" 200 "GET after a client left mid-response"
}

# Every request above has its line in the access log.
check_log() {
	grep -Eq '^"GET / HTTP/1.1" 200 '"$INDEX_SIZE"' core [0-9]+$' "$SERVER_OUT" ||
		problem "no access-log line for GET /"
	grep -Eq '^"GET /%2e%2e/etc/passwd HTTP/1.1" 403 [0-9]+ core' "$SERVER_OUT" ||
		problem "no access-log line for the 403"
	local cores
	cores=$(grep -Eo ' core [0-9]+$' "$SERVER_OUT" | sort -u | wc -l)
	[ -z "$want_cores" ] || [ "$cores" -ge "$want_cores" ] ||
		problem "requests were served on $cores cores, want $want_cores"
}

TESTS="index big errors head changed not_modified range keep_alive pipelined parallel disconnect"

# All the checks against one server: NAME PART, then the server's command line.
serve_and_check() {
	local name=$1 part=$2 t
	shift 2
	for t in $TESTS log; do
		check "$name/$t" "$part" || continue
		if [ -z "$server" ] && ! start_server "$@"; then
			report
			continue
		fi
		if [ "$t" = log ]; then
			check_log
		else
			"test_$t"
		fi
		server_alive || problem "the server ended: $(tail -n 3 "$SERVER_OUT")"
		report
	done
	stop_server
}

if check webserver-posix/cc host; then
	run cc -O2 -Wall -Wextra -Werror -pthread -o "$E2E_TMP/webserver-posix" "$SRC"/*.c
	want_status 0
	report
fi
if [ -x "$E2E_TMP/webserver-posix" ]; then
	port=0 clients=100 want_cores=
	serve_and_check webserver-posix@linux host "$E2E_TMP/webserver-posix" 0 "$WWW"
fi

# --no-log: the same answers, no access-log line (what benchmarks use). On the host and in QEMU.
check_no_log() {
	get /index.html && want_status_of "$resp" 200 "GET / with --no-log"
	grep -q '" 200 ' "$SERVER_OUT" && problem "--no-log still logged: $(grep '" 200 ' "$SERVER_OUT")"
	stop_server
}
if [ -x "$E2E_TMP/webserver-posix" ] && check webserver-posix@linux/no-log host; then
	port=0
	start_server "$E2E_TMP/webserver-posix" --no-log 0 "$WWW" && check_no_log
	report
fi
if check webserver@qemu/no-log qemu; then
	port=$(pick_port 3)
	start_server "$TORO" run "$BUILD/examples/webserver.elf" --vmm qemu -d "$WWW" -f "$port:80" \
		--timeout 200 -- --no-log && check_no_log
	report
fi

# In the toro part (the nested test VM where /dev/kvm is not a hardware one) 100 bash clients
# at once take minutes; 20 still make connections wait for accept.
for vmm in qemu toro; do
	clients=100
	[ "$vmm" = toro ] && clients=20
	want_cores=2
	port=$(pick_port 1)
	serve_and_check "webserver@$vmm" "$vmm" "$TORO" run "$BUILD/examples/webserver.elf" \
		--vmm "$vmm" --cpus 2 -d "$WWW" -f "$port:80" --timeout 500
	port=$(pick_port 2)
	serve_and_check "webserver-posix@$vmm" "$vmm" "$TORO" run \
		"$BUILD/examples/webserver-posix.elf" --vmm "$vmm" --cpus 2 -d "$WWW" -f "$port:8080" \
		--timeout 500 -- 8080 /
done
e2e_exit
