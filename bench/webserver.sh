#!/bin/bash
# Requests per second and latency of examples/webserver through `toro run --forward`, in each
# monitor, with nginx serving the same 612-byte page on the host's loopback in the same run as
# the reference. wrk (Debian's) with 30 connections, keep-alive and with "Connection: close".
# With --icount: guest instructions per keep-alive GET of that page, for examples/webserver and
# examples/webserver-posix under QEMU TCG (1 CPU) with bench/icount's plugin: a run serving N
# requests on one connection and a run serving 2N, the difference over N, so boot, connection
# and exit cancel; then where those instructions go, per function.
# Usage: bench/webserver.sh [BUILD_DIR [SECONDS]]     needs wrk and nginx on the PATH
#        bench/webserver.sh --icount [--no-log] [BUILD_DIR [N [SERVER...]]]  needs python3;
#            --no-log: the servers without their access log (as nginx runs here); SERVER is
#            webserver or webserver-posix (both by default); ICOUNT_TOP=K lists K functions (30);
#            ICOUNT_KEEP=DIR keeps the histograms there (SERVER-N.hist, SERVER-2N.hist, and
#            SERVER.elf, the image they were counted on)
set -u
ICOUNT_MODE=0 NO_LOG=()
[ "${1:-}" = --icount ] && { ICOUNT_MODE=1; shift; }
[ $ICOUNT_MODE = 1 ] && [ "${1:-}" = --no-log ] && { NO_LOG=(--no-log); shift; }
BUILD=$(cd "${1:-build}" && pwd)
SECONDS_EACH=${2:-5}
HERE=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d /tmp/toro-bench-web-XXXXXX)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; wait; rm -rf "$TMP"' EXIT
tools="wrk nginx"
[ $ICOUNT_MODE = 1 ] && tools=python3
for tool in $tools; do
	command -v "$tool" >/dev/null || PATH=$PATH:/usr/sbin
	command -v "$tool" >/dev/null || { echo "bench/webserver.sh: $tool is not installed"; exit 1; }
done

# nginx's own default page is 612 bytes; this one is too.
mkdir -p "$TMP/www"
{
	printf '<!DOCTYPE html>\n<html>\n<head>\n<title>Toro in C</title>\n</head>\n<body>\n'
	printf '<p>%s</p>\n' "$(head -c 520 /dev/zero | tr '\0' 'x')"
	printf '</body>\n</html>\n'
} | head -c 611 >"$TMP/www/index.html"
printf '\n' >>"$TMP/www/index.html"

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts "$@" in the background and waits until port $port answers.
start() {
	"$@" </dev/null >"$TMP/server.out" 2>&1 &
	server=$!
	for _ in $(seq 300); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
		sleep 0.1
	done
	echo "bench/webserver.sh: the server did not start: $(tail -n 2 "$TMP/server.out")"
	exit 1
}

stop() {
	kill "$server" 2>/dev/null
	wait "$server" 2>/dev/null
	server=
}

# One wrk run: prints "requests/s p50 p99" (latencies as wrk prints them).
measure() { # extra wrk arguments
	wrk -t 2 -c 30 -d "${SECONDS_EACH}s" --latency "$@" "http://127.0.0.1:$port/index.html" \
		>"$TMP/wrk.out" 2>&1
	local rps p50 p99 errors
	rps=$(awk '/^Requests\/sec/ { print $2 }' "$TMP/wrk.out")
	p50=$(awk '$1 == "50%" { print $2 }' "$TMP/wrk.out")
	p99=$(awk '$1 == "99%" { print $2 }' "$TMP/wrk.out")
	errors=$(grep -E 'Non-2xx|Socket errors' "$TMP/wrk.out" | tr -s ' ' | tr '\n' ';')
	echo "${rps:-0} ${p50:--} ${p99:--} ${errors}"
}

row() { # NAME
	local ka close
	ka=$(measure)
	close=$(measure -H 'Connection: close')
	printf '| %s | %s | %s |\n' "$1" "$ka" "$close"
}

# N keep-alive GETs of the page on one connection, each answer checked (status and length).
keep_alive_gets() { # n
	python3 - "$port" "$1" "$(stat -c %s "$TMP/www/index.html")" <<'PY'
import http.client, sys
port, n, size = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
for i in range(n):
    c.request("GET", "/index.html")
    r = c.getresponse()
    body = r.read()
    if r.status != 200 or len(body) != size:
        sys.exit(f"request {i}: status {r.status}, {len(body)} bytes")
c.close()
PY
}

# One run of IMAGE under QEMU with the plugin serving n requests on guest port gport; prints
# the count and leaves the per-address histogram in $TMP/hist-n.
counted_run() { # image n gport [guest arguments...]
	local img=$1 n=$2 gport=$3
	shift 3
	port=$(free_port)
	TORO_QEMU=$HERE/icount/qemu-icount ICOUNT_ARGS="out=$TMP/count-$n,hist=$TMP/hist-$n" \
		start "$BUILD/toro" run "$img" --vmm qemu --cpus 1 -d "$TMP/www" -f "$port:$gport" "$@"
	keep_alive_gets "$n" || exit 1
	sleep 1 # the connection's close reaches the guest
	stop
	awk '$1 == "icount:" && $2 == "total" { print $3 }' "$TMP/count-$n"
}

if [ $ICOUNT_MODE = 1 ]; then
	N=${2:-500}
	servers=("${@:3}")
	[ ${#servers[@]} = 0 ] && servers=(webserver webserver-posix)
	for server in "${servers[@]}"; do
		img=$BUILD/examples/$server.elf
		args=(80)
		[ ${#NO_LOG[@]} = 1 ] && args=(80 -- --no-log)
		[ $server = webserver-posix ] && args=(8080 -- "${NO_LOG[@]}" 8080 /)
		one=$(counted_run "$img" "$N" "${args[@]}") two=$(counted_run "$img" $((2 * N)) "${args[@]}")
		if ! [[ "$one" =~ ^[0-9]+$ && "$two" =~ ^[0-9]+$ ]]; then
			echo "$server: no instruction count ($(tail -n 2 "$TMP/server.out"))"
			continue
		fi
		printf '%s: %s instructions per keep-alive GET (%s for %d requests, %s for %d)\n' \
			"$server" "$(echo "$one $two $N" | awk '{ printf "%.0f", ($2 - $1) / $3 }')" \
			"$one" "$N" "$two" $((2 * N))
		if [ -n "${ICOUNT_KEEP:-}" ]; then
			mkdir -p "$ICOUNT_KEEP"
			cp "$TMP/hist-$N" "$ICOUNT_KEEP/$server-$N.hist"
			cp "$TMP/hist-$((2 * N))" "$ICOUNT_KEEP/$server-$((2 * N)).hist"
			cp "$img" "$ICOUNT_KEEP/$server.elf"
		fi
		python3 "$HERE/icount/profile.py" --per "$N" --top "${ICOUNT_TOP:-30}" "$img" "$TMP/hist-$((2 * N))" \
			"$TMP/hist-$N"
	done
	exit 0
fi

echo "| server | keep-alive: req/s p50 p99 | Connection: close: req/s p50 p99 |"
echo "|---|---|---|"

port=$(free_port)
cat >"$TMP/nginx.conf" <<EOF
daemon off;
worker_processes 2;
pid $TMP/nginx.pid;
error_log $TMP/nginx.err;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $TMP;
	server { listen 127.0.0.1:$port; root $TMP/www; }
}
EOF
start nginx -c "$TMP/nginx.conf"
row "nginx, host loopback"
stop

for vmm in qemu toro; do
	port=$(free_port)
	start "$BUILD/toro" run "$BUILD/examples/webserver.elf" --vmm "$vmm" --cpus 2 -d "$TMP/www" \
		-f "$port:80" -- --no-log
	row "webserver, --vmm $vmm, 2 cores"
	stop
done
