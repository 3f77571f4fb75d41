#!/bin/bash
# `toro run --gdb` end to end, under QEMU and the built-in monitor (docs/debugging.md). The
# transport first, with a guest that uses COM2 itself (tests/guest/native_com2.c, built without
# -g, so no gdb stub): bytes both ways over TCP, one client at a time and the next after it,
# a port in use, bad values, --detach. Then the gdb sessions of tests/e2e/gdb_session.sh through
# the printed attach command: break, bt, registers, print, next/step/finish, a watchpoint,
# threads, Ctrl-C, a fault, detach and attach again, one over a Unix socket, x87/SSE registers
# and two cores hitting their watchpoints, or one breakpoint, together.
# (tests/e2e/gdb-stub.sh drives the stub under QEMU directly, tests/e2e/gdb-vsock.sh over vsock.)
# PARTS: host qemu toro
# ALONE: yes
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gdb_session.sh"

COM2=$BUILD/tests/guest/native_com2.elf
GUEST_CONSOLE=$TORO_GUEST_OUT GUEST_MESSAGES=$TORO_GUEST_ERR GUEST_RC=
GDB_PORT=0 # what --gdb takes: 0 or unix:PATH

# The sessions' guest_start VMM IMAGE CPUS [-- ARGS...] (tests/e2e/gdb_session.sh), through
# `toro run --gdb $GDB_PORT`; the transport checks call toro_guest_start with their own options.
guest_start() {
	toro_guest_start "$1" "$2" --cpus "$3" --gdb "$GDB_PORT" "${@:4}"
}
guest_wait() { toro_guest_wait; }
guest_running() { toro_guest_running; }

# Opens fd $1 on the TCP port of $TARGET.
connect_fd() {
	eval "exec $1<>/dev/tcp/127.0.0.1/${TARGET##*:}"
}

# The echo guest upper-cases what it gets up to '.', answers '.' and exits.
transport_echo() {
	local vmm=$1 reply
	toro_guest_start "$vmm" "$COM2" --gdb 0 -- echo || return
	connect_fd 3 || { problem "cannot connect to $TARGET"; return; }
	printf 'hello, gdb.' >&3
	IFS= read -r -d . -t 60 reply <&3
	exec 3<&-
	[ "$reply" = "HELLO, GDB" ] || problem "the guest answered \"$reply\", want \"HELLO, GDB\""
	guest_wait
	want_guest 0
	want_guest_line '^echoed 10$'
}

for vmm in qemu toro; do
	if check "com2-echo@$vmm" "$vmm"; then
		transport_echo "$vmm"
		report
	fi
done

# A second client is closed while the first is connected (and the monitor says so); once the
# first has gone, the next one gets COM2. (QEMU's socket chardev leaves a second client waiting
# in the listen queue instead: built-in monitor only.)
if check com2-one-client@toro toro; then
	if toro_guest_start toro "$COM2" --gdb 0 -- echo; then
		connect_fd 3 && connect_fd 4
		read -r -t 20 _ <&4
		[ $? = 1 ] || problem "the second client was not closed"
		exec 4<&-
		printf 'a' >&3
		IFS= read -r -n 1 -t 60 first <&3
		[ "$first" = A ] || problem "the first client got \"$first\", want \"A\""
		exec 3<&-
		# Until the monitor has seen the first one go, a new client is still the second.
		second=
		for _ in $(seq 60); do
			connect_fd 5 || break
			printf 'b.' >&5
			IFS= read -r -d . -t 30 second <&5
			exec 5<&-
			[ "$second" = B ] && break
			sleep 0.5
		done
		[ "$second" = B ] || problem "the next client got \"$second\", want \"B\""
		guest_wait
		want_guest 0
		want_guest_line '^echoed 2$'
		want_line err 'refused a second connection \(one gdb at a time\)'
	fi
	report
fi

# A port in use: one line and exit 2 before anything boots.
if check gdb-port-in-use qemu; then
	if toro_guest_start qemu "$COM2" --gdb 0 -- echo; then
		port=${TARGET##*:}
		run "$TORO" run "$COM2" --gdb "$port" -- echo
		want_status 2
		want_count err . 1
		want_line err "^toro: run: --gdb $port: port $port is in use$"
		connect_fd 3 && printf '.' >&3 && exec 3<&-
		guest_wait
		want_guest 0
	fi
	report
fi

bad_input gdb-not-a-port "^toro: run: --gdb 'nope': expected a TCP port" -- "$TORO" run "$COM2" --gdb nope
bad_input gdb-port-too-big "^toro: run: --gdb '65536': expected a TCP port" -- "$TORO" run "$COM2" --gdb 65536
bad_input gdb-no-path "^toro: run: --gdb unix:PATH: no socket path given$" -- "$TORO" run "$COM2" --gdb unix:
bad_input gdb-no-dir "^toro: run: --gdb unix:$E2E_TMP/no/gdb.sock: No such file or directory$" -- \
	"$TORO" run "$COM2" --gdb "unix:$E2E_TMP/no/gdb.sock"
bad_input gdb-bad-image "^toro: $E2E_TMP/none.elf: " -- "$TORO" run "$E2E_TMP/none.elf" --gdb 0

# --detach prints the gdb command as well, and the run in the background serves it.
if check gdb-detach qemu; then
	run env XDG_RUNTIME_DIR="$E2E_TMP" "$TORO" run "$COM2" --vmm qemu --detach --gdb 0 -- echo
	want_status 0
	want_line out '^native_com2-[0-9]+ [0-9]+$'
	TARGET=$(sed -En "s/$TORO_ATTACH_LINE/\1/p" "$ERR")
	pid=$(awk '{print $2}' "$OUT")
	if [ -n "$TARGET" ] && [ -n "$pid" ] && connect_fd 3; then
		printf 'x.' >&3
		IFS= read -r -d . -t 60 reply <&3
		exec 3<&-
		[ "$reply" = X ] || problem "the detached guest answered \"$reply\", want \"X\""
		for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$pid" 2>/dev/null && problem "the detached run did not end"
	else
		problem "no gdb command or pid"
	fi
	report
fi

# The gdb sessions (tests/e2e/gdb_session.sh), in each monitor, and one through a Unix socket,
# which the run removes afterwards. Where gdb is missing (a nested VM prepared without its
# package) they are reported as skipped, saying so.
session_checks() {
	local vmm=$1 sock=$E2E_TMP/gdb-$1.sock
	session_break_step_detach "gdb-break-step-detach@$vmm" "$vmm"
	session_watchpoint "gdb-watchpoint@$vmm" "$vmm"
	session_threads "gdb-threads@$vmm" "$vmm"
	session_ctrl_c "gdb-ctrl-c@$vmm" "$vmm"
	session_fault "gdb-fault@$vmm" "$vmm"
	session_reattach "gdb-reattach@$vmm" "$vmm"
	check "gdb-unix@$vmm" "$vmm" || return 0
	if GDB_PORT=unix:$sock guest_start "$vmm" "$GDB_NATIVE" 1 -- sum; then
		[ "$TARGET" = "$sock" ] || problem "target $TARGET, want $sock"
		gdb_run "$GDB_NATIVE" "break square" "continue" "bt 2" "detach"
		guest_wait
		want_line out '^(Thread [0-9]+ hit )?Breakpoint 1, square \(v=(v@entry=)?1\) at .*native_gdb\.c:[0-9]+'
		want_line out '^#1 +0x[0-9a-f]+ in sum_squares \(n=4\)'
		want_guest 7
		[ -e "$sock" ] && problem "$sock is still there after the run"
	fi
	report
}

if command -v gdb >/dev/null; then
	for vmm in qemu toro; do
		session_checks "$vmm"
		session_fp_registers "gdb-fp-registers-1cpu@$vmm" "$vmm" 1
		session_fp_registers "gdb-fp-registers-2cpu@$vmm" "$vmm" 2
		session_fp_initial "gdb-fp-initial@$vmm" "$vmm"
		session_watch_two_cores "gdb-watch-two-cores@$vmm" "$vmm"
		session_break_two_cores "gdb-break-two-cores@$vmm" "$vmm"
	done
else
	for vmm in qemu toro; do
		for c in break-step-detach watchpoint threads ctrl-c fault reattach unix \
			fp-registers-1cpu fp-registers-2cpu fp-initial watch-two-cores break-two-cores; do
			check "gdb-$c@$vmm" "$vmm" && echo "SKIP gdb-$c@$vmm: gdb is not installed here"
		done
	done
fi

e2e_exit
