#!/bin/bash
# `toro run --gdb` end to end, under QEMU and the built-in monitor (docs/debugging.md). The
# transport first, with a guest that uses COM2 itself (tests/guest/native_com2.c, built without
# -g, so no gdb stub): bytes both ways over TCP, one client at a time and the next after it,
# a port in use, bad values, --detach. Then stock gdb in batch mode against the kernel's stub
# (tests/guest/native_gdb.c and examples/threads, both built -g) through the printed attach
# command: break, bt, registers, print, next/step/finish, a watchpoint, threads, Ctrl-C, a fault,
# detach, and the same over a Unix socket. (tests/e2e/gdb-stub.sh drives the stub under QEMU
# directly.)
# PARTS: host qemu toro
. "$(dirname "$0")/lib.sh"

COM2=$BUILD/tests/guest/native_com2.elf
IMAGE=$BUILD/tests/guest/native_gdb.elf
THREADS=$BUILD/examples/threads.elf
GUEST_OUT=$E2E_TMP/guest.out GUEST_ERR=$E2E_TMP/guest.err
GUEST= GUEST_RC= TARGET=
ATTACH_LINE="^toro: the guest waits for gdb; attach with: gdb .* -ex 'target remote (.*)'$"

# guest_start VMM ARGS...: `toro run` in the background with ARGS (which hold --gdb); waits for
# the line giving the gdb command and sets TARGET to its target ("127.0.0.1:PORT" or a socket
# path).
guest_start() {
	local vmm=$1
	shift
	: >"$GUEST_ERR"
	timeout -k 5 110 "$TORO" run --vmm "$vmm" --timeout 100 "$@" </dev/null >"$GUEST_OUT" \
		2>"$GUEST_ERR" &
	GUEST=$! TARGET=
	for _ in $(seq 400); do
		TARGET=$(sed -En "s/$ATTACH_LINE/\1/p" "$GUEST_ERR")
		[ -n "$TARGET" ] && return 0
		kill -0 "$GUEST" 2>/dev/null || break
		sleep 0.05
	done
	problem "no gdb command on stderr: $(head -2 "$GUEST_ERR")"
	return 1
}

# The run's exit status into GUEST_RC; its console and messages join $OUT and $ERR for report.
guest_wait() {
	wait "$GUEST"
	GUEST_RC=$?
	cat "$GUEST_OUT" >>"$OUT"
	cat "$GUEST_ERR" >>"$ERR"
}

want_guest() {
	[ "$GUEST_RC" = "$1" ] || problem "toro run ended with status $GUEST_RC, want $1"
}

want_guest_line() {
	grep -Eq -- "$1" "$GUEST_OUT" || problem "no line of the guest's console matches /$1/"
}

# gdb_run IMAGE COMMAND...: gdb -batch on IMAGE attached to $TARGET, each COMMAND an -ex.
gdb_run() {
	local image=$1 args=()
	shift
	for c in "$@"; do args+=(-ex "$c"); done
	run gdb -nx -batch -ex "set pagination off" -ex "set remotetimeout 30" \
		-ex "target remote $TARGET" "${args[@]}" "$image"
}

# Opens fd $1 on the TCP port of $TARGET.
connect_fd() {
	eval "exec $1<>/dev/tcp/127.0.0.1/${TARGET##*:}"
}

# The echo guest upper-cases what it gets up to '.', answers '.' and exits.
transport_echo() {
	local vmm=$1 reply
	guest_start "$vmm" "$COM2" --gdb 0 -- echo || return
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
	if guest_start toro "$COM2" --gdb 0 -- echo; then
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
	if guest_start qemu "$COM2" --gdb 0 -- echo; then
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
	TARGET=$(sed -En "s/$ATTACH_LINE/\1/p" "$ERR")
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

# The gdb sessions, in each monitor. Where gdb is missing (a nested VM prepared without its
# package) they are reported as skipped, saying so.
session_checks() {
	local vmm=$1 gdb_pid
	if check "gdb-break-step-detach@$vmm" "$vmm"; then
		if guest_start "$vmm" "$IMAGE" --gdb 0 -- sum; then
			gdb_run "$IMAGE" "break sum_squares" "continue" "bt" "info registers rip" \
				"print gdb_origin" "print n" "next" "step" "bt" "finish" "detach"
			guest_wait
			want_line out '^Breakpoint 1, sum_squares \(n=4\) at .*native_gdb\.c:[0-9]+'
			want_line out '^#1 +0x[0-9a-f]+ in main \(.*\) at .*native_gdb\.c:[0-9]+'
			want_line out '^rip +0x[0-9a-f]+ +0x[0-9a-f]+ <sum_squares'
			want_line out '^\$1 = \{x = 3, y = 4, name = 0x[0-9a-f]+ "origin"\}'
			want_line out '^\$2 = 4$'
			want_line out '^square \(v=(v@entry=)?1\) at .*native_gdb\.c:[0-9]+'
			want_line out '^#1 +0x[0-9a-f]+ in sum_squares \(n=4\) at .*native_gdb\.c:[0-9]+'
			want_line out '^Value returned is \$[0-9]+ = 1$'
			want_line out 'detached'
			want_guest 7
			want_guest_line '^sum 30$'
		fi
		report
	fi

	if check "gdb-watchpoint@$vmm" "$vmm"; then
		if guest_start "$vmm" "$IMAGE" --gdb 0 -- sum; then
			gdb_run "$IMAGE" "break main" "continue" "watch gdb_counter" "continue" \
				"delete" "continue"
			guest_wait
			want_line out '^Hardware watchpoint 2: gdb_counter'
			want_line out '^Old value = 0$'
			want_line out '^New value = 30$'
			want_line out 'exited with code 07'
			want_guest 7
		fi
		report
	fi

	# examples/threads as the user runs it (docs/debugging.md): a thread per core; the main
	# thread, blocked in toro_thread_join, has a backtrace from its saved context.
	if check "gdb-threads@$vmm" "$vmm"; then
		if guest_start "$vmm" "$THREADS" --cpus 2 --gdb 0; then
			gdb_run "$THREADS" "break take_turns if arg == 0" "continue" "info threads" \
				"thread 1" "bt" "delete" "continue"
			guest_wait
			want_line out 'Thread [0-9]+ hit Breakpoint 1, take_turns \(arg=0x0\) at .*main\.c:[0-9]+'
			want_line out 'Thread 1 \(core 0, blocked, main\)'
			want_line out 'Thread [0-9]+ \(core 0, [a-z]+, take_turns\)'
			want_line out 'Thread [0-9]+ \(core 1, [a-z]+, take_turns\)'
			want_line out '^#[0-9]+ +0x[0-9a-f]+ in thread_join '
			want_line out '^#[0-9]+ +0x[0-9a-f]+ in main \(\) at .*examples/threads/main\.c:[0-9]+'
			want_line out 'exited normally'
			want_guest 0
			want_guest_line '^all threads done$'
		fi
		report
	fi

	# Ctrl-C: SIGINT to gdb, which sends 0x03 (COM2's receive interrupt), stops a program
	# spinning on core 1 while main waits on core 0; kill ends the run.
	if check "gdb-ctrl-c@$vmm" "$vmm"; then
		if guest_start "$vmm" "$IMAGE" --cpus 2 --gdb 0 -- spin; then
			gdb -nx -batch -ex "set pagination off" -ex "set remotetimeout 30" \
				-ex "target remote $TARGET" -ex continue -ex "info threads" \
				-ex "print gdb_counter > 0" -ex kill "$IMAGE" </dev/null >"$OUT" 2>"$ERR" &
			gdb_pid=$!
			for _ in $(seq 600); do grep -q '^spinning' "$GUEST_OUT" && break; sleep 0.1; done
			sleep 1
			kill -INT "$gdb_pid"
			for _ in $(seq 600); do kill -0 "$gdb_pid" 2>/dev/null || break; sleep 0.1; done
			kill -KILL "$gdb_pid" 2>/dev/null && problem "gdb did not end after Ctrl-C"
			wait "$gdb_pid"
			guest_wait
			want_line out 'received signal SIGINT'
			want_line out '(^| in )spin \(arg=.*\) at .*native_gdb\.c:[0-9]+'
			want_line out '\* [0-9]+ +Thread [0-9]+ \(core 1, running, spin\)'
			want_line out 'Thread 1 \(core 0, blocked, main\)'
			want_line out '^\$1 = 1$'
			want_guest 137
		fi
		report
	fi

	if check "gdb-fault@$vmm" "$vmm"; then
		if guest_start "$vmm" "$IMAGE" --gdb 0 -- fault; then
			gdb_run "$IMAGE" "continue" "bt 1" "continue"
			guest_wait
			want_line out 'received signal SIGSEGV'
			want_line out '^#0 +0x[0-9a-f]+ in fault \(\) at .*native_gdb\.c:[0-9]+'
			want_line out '^[0-9]+.*\*\(volatile int \*\).*= 1;'
			want_line out 'exited with code 0216'
			want_guest 142
			want_line err 'CPU exception: page fault'
		fi
		report
	fi

	# Detach and attach again: a second gdb (once the socket has seen the first go) stops the
	# running program, breaks, reads and writes a global and detaches; the run's own status.
	if check "gdb-reattach@$vmm" "$vmm"; then
		if guest_start "$vmm" "$IMAGE" --gdb 0 -- laps; then
			gdb_run "$IMAGE" "break lap" "continue" "delete" "detach"
			want_line out '^Breakpoint 1, lap \(\) at .*native_gdb\.c:[0-9]+'
			sleep 1
			kill -0 "$GUEST" 2>/dev/null || problem "the run ended after the first gdb detached"
			gdb_run "$IMAGE" "info breakpoints" "break lap" "continue" "print gdb_release" \
				"set var gdb_release = 1" "delete" "detach"
			guest_wait
			want_line out '^No breakpoints or watchpoints\.$'
			want_line out '^Breakpoint 1, lap \(\) at .*native_gdb\.c:[0-9]+'
			want_line out '^\$1 = 0$'
			want_guest 5
			want_guest_line '^released$'
		fi
		report
	fi

	# The same through a Unix socket, which the run removes afterwards.
	if check "gdb-unix@$vmm" "$vmm"; then
		sock=$E2E_TMP/gdb-$vmm.sock
		if guest_start "$vmm" "$IMAGE" --gdb "unix:$sock" -- sum; then
			[ "$TARGET" = "$sock" ] || problem "target $TARGET, want $sock"
			gdb_run "$IMAGE" "break square" "continue" "bt 2" "detach"
			guest_wait
			want_line out '^Breakpoint 1, square \(v=(v@entry=)?1\) at .*native_gdb\.c:[0-9]+'
			want_line out '^#1 +0x[0-9a-f]+ in sum_squares \(n=4\)'
			want_guest 7
			[ -e "$sock" ] && problem "$sock is still there after the run"
		fi
		report
	fi
}

# x87 and SSE registers of a POSIX program (tests/guest/posix_gdb_fp.c), on one core (the
# blocked thread's state in its save area) and on two (in the registers of the other stopped
# core): xmm0 and mxcsr of the stopped thread, xmm7 of the blocked one read and written (it prints
# what it then holds), xmm0 written (fp_scale's argument), st0 after a long double return and
# `info float`.
fp_checks() {
	local vmm=$1 cpus image=$BUILD/tests/guest/posix_gdb_fp.elf
	for cpus in 1 2; do
		check "gdb-fp-registers-${cpus}cpu@$vmm" "$vmm" || continue
		if guest_start "$vmm" "$image" --cpus "$cpus" --gdb 0; then
			gdb_run "$image" "break fp_scale" "continue" "info registers xmm0" \
				'print $xmm0.v2_double[0]' 'print $mxcsr' \
				'thread apply all -q -s print $xmm7.v2_double[0] == 5 ? ($xmm7.v2_double[0] = 8) : -1' \
				'set var $xmm0.v2_double[0] = 2' "break fp_extended" "continue" "finish" \
				'print $st0' "info float" "delete" "continue"
			guest_wait
			want_line out '^xmm0 +\{v4_float = .*v2_double = \{0x3ff4000000000000, 0x0\}'
			want_line out '^\$1 = 1\.25$'
			want_line out '^\$2 = \[ IM DM ZM OM UM PM \]$'
			want_count out '^\$[0-9]+ = 8$' 1
			want_line out '^Value returned is \$[0-9]+ = 7\.5$'
			want_line out '^\$[0-9]+ = 7\.5$'
			want_line out '^=>R7: Valid +0x4001f000000000000000 \+7\.5'
			want_line out '^Tag Word: +0x3fff$'
			want_line out 'exited normally'
			want_guest 0
			want_guest_line '^scaled 6$'
			want_guest_line '^extended 7\.5$'
			want_guest_line '^held 8$'
		fi
		report
	done
	# A native image never touches the FPU: its threads show the initial state, and a value
	# written is kept for them.
	if check "gdb-fp-initial@$vmm" "$vmm"; then
		if guest_start "$vmm" "$IMAGE" --gdb 0 -- sum; then
			gdb_run "$IMAGE" "break sum_squares" "continue" 'print $xmm0.uint128' \
				'print $mxcsr' "info float" 'set var $xmm3.v4_int32[1] = 77' \
				'print $xmm3.v4_int32' "delete" "continue"
			guest_wait
			want_line out '^\$1 = 0$'
			want_line out '^\$2 = \[ IM DM ZM OM UM PM \]$'
			want_line out '^Control Word: +0x037f '
			want_line out '^Tag Word: +0xffff$'
			want_line out '^\$3 = \{0, 77, 0, 0\}$'
			want_guest 7
		fi
		report
	fi
}

# Two cores write their own watched global at the same moment, five rounds
# (tests/guest/native_gdb.c "race"): gdb sees every hit of both watchpoints, the one that comes
# while the other core stops included (kept, and reported before anything runs again).
watch_race_check() {
	local vmm=$1 conts=()
	check "gdb-watch-two-cores@$vmm" "$vmm" || return 0
	for _ in $(seq 10); do conts+=(continue); done
	if guest_start "$vmm" "$IMAGE" --cpus 2 --gdb 0 -- race; then
		gdb_run "$IMAGE" 'watch gdb_race[0]' 'watch gdb_race[1]' "${conts[@]}" "delete" "continue"
		guest_wait
		want_count out '^Thread [0-9]+ hit Hardware watchpoint 1: gdb_race\[0\]$' 5
		want_count out '^Thread [0-9]+ hit Hardware watchpoint 2: gdb_race\[1\]$' 5
		want_count out '^New value = [1-5]$' 10
		want_line out 'exited with code 06'
		want_guest 6
		want_guest_line '^raced 5 rounds$'
	fi
	report
}

if command -v gdb >/dev/null; then
	session_checks qemu
	session_checks toro
	for vmm in qemu toro; do
		fp_checks "$vmm"
		watch_race_check "$vmm"
	done
else
	for vmm in qemu toro; do
		for c in break-step-detach watchpoint threads ctrl-c fault reattach unix \
			fp-registers-1cpu fp-registers-2cpu fp-initial watch-two-cores; do
			check "gdb-$c@$vmm" "$vmm" && echo "SKIP gdb-$c@$vmm: gdb is not installed here"
		done
	done
fi

e2e_exit
