#!/bin/bash
# vsock benchmarks in the built-in monitor (tests/guest/native_vsock.c's echo role, the host's
# side played by build/tests/guest/vsock-peer): echo throughput host -> guest -> host with 64 KiB
# writes, and connections per second (one after another, one byte each way), through --forward
# (TCP) and through --vsock (Firecracker's Unix socket and CONNECT). The baseline, in the same
# run: the same client against socat echoing between two host sockets (TCP and Unix; socat is
# installed with apt-get when missing and possible, else the baseline is skipped, saying why).
# Then guest instructions per 4 KiB echoed and per connection (set-up, one byte each way,
# teardown) under QEMU TCG with the counting plugin (bench/icount/), ICOUNT_N and twice as many.
# Usage: bench/vsock.sh BUILD_DIR [ECHO_MIB] [CONNS] [ICOUNT_N]
set -u
BUILD=$(cd "${1:-build}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
ECHO_MIB=${2:-4}
CONNS=${3:-50}
ICOUNT_N=${4:-100}
TORO=$BUILD/toro
IMAGE=$BUILD/tests/guest/native_vsock.elf
PEER=$BUILD/tests/guest/vsock-peer
TMP=$(mktemp -d /tmp/toro-vsock-bench-XXXXXX)
GUEST=
SOCAT=
cleanup() {
	[ -n "$GUEST" ] && kill "$GUEST" 2>/dev/null
	[ -n "$SOCAT" ] && kill "$SOCAT" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
[ -x "$IMAGE" ] && [ -x "$PEER" ] || make -s "$IMAGE" "$PEER" BUILD="$BUILD" >/dev/null ||
	{ echo "bench/vsock.sh: cannot build $IMAGE and $PEER"; exit 1; }
head -c $((ECHO_MIB << 20)) /dev/urandom >"$TMP/data"
PORT=$((20000 + RANDOM % 20000))

seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }

# echo ADDR: MiB/s of an ECHO_MIB echo through ADDR, checked against what was sent.
echo_rate() {
	local t0 t1
	t0=$(date +%s%N)
	timeout 600 "$PEER" send "$1" <"$TMP/data" >"$TMP/back" 2>"$TMP/peer.err" ||
		{ echo "failed: $(cat "$TMP/peer.err")"; return 1; }
	t1=$(date +%s%N)
	cmp -s "$TMP/data" "$TMP/back" || { echo "failed: the echo differs"; return 1; }
	awk -v m="$ECHO_MIB" -v s="$(seconds "$t0" "$t1")" 'BEGIN { printf "%8.2f MiB/s (%s s)", m / s, s }'
}

# conn_rate ADDR: connections per second, CONNS one after another.
conn_rate() {
	local out
	out=$(timeout 600 "$PEER" rate "$1" "$CONNS" 2>&1) || { echo "failed: $out"; return 1; }
	echo "$out" | awk '{ printf "%8.1f connections/s (%s in %s s)", $1 / $4, $1, $4 }'
}

# guest ROLE ARGS...: starts the guest with --vsock and --forward; waits until it listens.
guest() {
	rm -f "$TMP/v.sock"
	"$TORO" run "$IMAGE" --timeout 900 --vsock "$TMP/v.sock" --forward "127.0.0.1:$PORT:5000" \
		-- "$@" </dev/null >"$TMP/guest.out" 2>&1 &
	GUEST=$!
	for _ in $(seq 600); do
		grep -q '^listening' "$TMP/guest.out" && [ -S "$TMP/v.sock" ] && return 0
		sleep 0.1
	done
	echo "bench/vsock.sh: the guest did not start listening: $(tail -3 "$TMP/guest.out")"
	return 1
}

guest_done() {
	wait "$GUEST"
	GUEST=
}

KVM=/dev/kvm
[ -d /sys/module/kvm_pvm ] && KVM="/dev/kvm is kvm_pvm"
echo "== vsock in the built-in monitor ($KVM), echo of $ECHO_MIB MiB in 64 KiB writes, $CONNS connections"
for via in forward vsock; do
	if [ $via = forward ]; then addr=tcp:127.0.0.1:$PORT; else addr=unix:$TMP/v.sock:5000; fi
	guest echo 5000 1 && printf '  %-28s %s\n' "echo through --$via" "$(echo_rate "$addr")"
	guest_done
	guest echo 5000 "$CONNS" && printf '  %-28s %s\n' "connect through --$via" "$(conn_rate "$addr")"
	guest_done
done

echo "== Baseline: socat echoing between two host sockets, same client"
if ! command -v socat >/dev/null; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		apt-get install -y -qq socat >/dev/null 2>&1
	fi
fi
if ! command -v socat >/dev/null; then
	echo "  skipped: socat is not installed (apt-get install socat as root)"
else
	BPORT=$((PORT + 1))
	socat TCP-LISTEN:$BPORT,bind=127.0.0.1,reuseaddr,fork PIPE 2>/dev/null &
	SOCAT=$!
	for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$BPORT) 2>/dev/null && break; sleep 0.1; done
	printf '  %-28s %s\n' "echo through socat TCP" "$(echo_rate "tcp:127.0.0.1:$BPORT")"
	printf '  %-28s %s\n' "connect through socat TCP" "$(conn_rate "tcp:127.0.0.1:$BPORT")"
	kill $SOCAT 2>/dev/null
	wait $SOCAT 2>/dev/null
	# The Unix client speaks CONNECT first: socat answers it as the monitor would, then echoes.
	socat UNIX-LISTEN:"$TMP/b.sock",fork \
		SYSTEM:'read line; echo OK 1; exec cat' 2>/dev/null &
	SOCAT=$!
	for _ in $(seq 50); do [ -S "$TMP/b.sock" ] && break; sleep 0.1; done
	printf '  %-28s %s\n' "echo through socat Unix" "$(echo_rate "unix:$TMP/b.sock:5000")"
	printf '  %-28s %s\n' "connect through socat Unix" "$(conn_rate "unix:$TMP/b.sock:5000")"
	kill $SOCAT 2>/dev/null
	wait $SOCAT 2>/dev/null
	SOCAT=
fi

echo "== Guest instructions (QEMU TCG plugin, toro run --vmm qemu: vhost-user vsock through --forward)"
# Each figure from two runs, N and 2N operations, so that boot and exit cancel: per operation =
# (window(2N) - window(N)) / N, a window being the instructions between two points of the run
# (bench/icount/icount-plugin.c's stop=). The 4 KiB echo: vsock-peer pingpong sends 4 KiB and
# waits for its echo; window = first vsock_send (the first echo) to first vsock_close (the end).
# Connections: vsock-peer rate (one byte each way, then closed); window = second vsock_close
# (after the first close has had the TSC measured for its timer) to the exit.
icount_run() { # START END CONNECTIONS CLIENT_ARGS... -> prints the window (a stop, or total)
	local start=$1 end=$2 n=$3 a c
	shift 3
	local stops=",stop=$start"
	[ "$end" = total ] || stops+=",stop=$end"
	rm -f "$TMP/icount.out" "$TMP/counts"
	ICOUNT_ARGS="out=$TMP/counts$stops" TORO_QEMU="$HERE/icount/qemu-icount" "$TORO" run --vmm qemu \
		"$IMAGE" --timeout 300 --forward "127.0.0.1:$PORT:5000" -- echo 5000 "$n" </dev/null \
		>"$TMP/icount.out" 2>&1 &
	GUEST=$!
	for _ in $(seq 600); do grep -q '^listening' "$TMP/icount.out" && break; sleep 0.1; done
	if ! timeout 300 "$PEER" "$@" >/dev/null 2>"$TMP/peer.err"; then
		echo "  failed: $(cat "$TMP/peer.err")" >&2
		guest_done
		return 1
	fi
	guest_done
	touch "$TMP/counts"
	a=$(awk -v a="$start" '$2 == "reached" && $3 == a { print $5 }' "$TMP/counts")
	if [ "$end" = total ]; then
		c=$(awk '$2 == "total" { print $3 }' "$TMP/counts")
	else
		c=$(awk -v a="$end" '$2 == "reached" && $3 == a { print $5 }' "$TMP/counts")
	fi
	if ! [[ "$a" =~ ^[0-9]+$ && "$c" =~ ^[0-9]+$ ]]; then
		echo "  failed: $(cat "$TMP/counts" "$TMP/icount.out" | tail -3 | tr '\n' ' ')" >&2
		return 1
	fi
	echo $((c - a))
}
addr() { printf '0x%x' "0x$(nm "$IMAGE" | awk -v s="$1" '$3 == s { print $1 }')"; }
if ! bash "$HERE/icount/icount.sh" -B >/dev/null 2>"$TMP/plugin.err"; then
	echo "  skipped: the QEMU plugin cannot be built: $(tail -1 "$TMP/plugin.err")"
elif ! "$TORO" run --vmm qemu "$BUILD/examples/hello.elf" --forward "127.0.0.1:$PORT:5000" \
	</dev/null >"$TMP/qemu.out" 2>&1; then
	echo "  skipped: toro run --vmm qemu cannot give QEMU the vsock device here: $(head -1 "$TMP/qemu.out")"
else
	send=$(addr vsock_send) close=$(addr vsock_close) n=$ICOUNT_N
	for round in 1 2; do
		w1=$(icount_run "$send" "$close" 1 pingpong "tcp:127.0.0.1:$PORT" 4096 "$n") &&
			w2=$(icount_run "$send" "$close" 1 pingpong "tcp:127.0.0.1:$PORT" 4096 $((2 * n))) &&
			printf '  %-40s %8s instructions (windows %s and %s)\n' "per 4 KiB echoed, round $round" \
				$(((w2 - w1) / n)) "$w1" "$w2"
		w1=$(icount_run "$close:2" total "$n" rate "tcp:127.0.0.1:$PORT" "$n") &&
			w2=$(icount_run "$close:2" total $((2 * n)) rate "tcp:127.0.0.1:$PORT" $((2 * n))) &&
			printf '  %-40s %8s instructions (windows %s and %s)\n' "per connection, round $round" \
				$(((w2 - w1) / n)) "$w1" "$w2"
	done
fi
exit 0
