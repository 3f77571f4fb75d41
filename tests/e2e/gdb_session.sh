# The gdb sessions the gdb scripts share (sourced after lib.sh, never run: it has no PARTS line):
# stock gdb in batch mode against the kernel's stub (kernel/gdb/) in tests/guest/native_gdb.c
# and examples/threads, both built -g. tests/e2e/gdb-stub.sh runs them under QEMU directly over
# COM2, tests/e2e/gdb.sh through `toro run --gdb PORT` in both monitors, tests/e2e/gdb-vsock.sh
# through `toro run --gdb vsock:PORT`.
#
# Each session is a whole check: session_NAME CHECK PART, skipped unless `check CHECK PART`. What
# the sourcing script provides, with these signatures:
#   guest_start VMM IMAGE CPUS [-- ARGS...]  boot IMAGE with CPUS cores in the background, its
#                                  stub waiting for gdb; set TARGET (what gdb's "target remote"
#                                  takes); false, with a problem, if it does not come up
#   guest_wait                     wait for the run to end: the guest's exit code in GUEST_RC
#   guest_running                  true while the run goes on
#   GUEST_CONSOLE, GUEST_MESSAGES  files: the program's output, and the kernel's messages
#                                  (they may be one file)
# Here, for them:
#   gdb_run IMAGE COMMAND...       gdb -batch on IMAGE attached to $TARGET, each COMMAND an -ex
#   want_guest RC, want_guest_line REGEX, want_guest_message REGEX

GDB_NATIVE=$BUILD/tests/guest/native_gdb.elf
GDB_THREADS=$BUILD/examples/threads.elf

gdb_run() {
	local image=$1 args=()
	shift
	for c in "$@"; do args+=(-ex "$c"); done
	run gdb -nx -batch -ex "set pagination off" -ex "set remotetimeout 30" \
		-ex "target remote $TARGET" "${args[@]}" "$image"
}

want_guest() {
	[ "$GUEST_RC" = "$1" ] || problem "the guest ended with code $GUEST_RC, want $1"
}

want_guest_line() {
	grep -Eq -- "$1" "$GUEST_CONSOLE" || problem "no line of the guest's console matches /$1/"
}

want_guest_message() {
	grep -Eq -- "$1" "$GUEST_MESSAGES" || problem "no message of the guest matches /$1/"
}

# check_debug_registers CHECK PART: `check`, for a session whose guest arms the debug registers
# (a watchpoint), which the nested VM cannot run: there the check is skipped, saying why. QEMU
# 7.2's TCG SVM loads DR7 at VMRUN and #VMEXIT without updating its own breakpoint lists
# (target/i386/tcg/sysemu/svm_helper.c), so a nested guest's next DR7 write frees list entries
# that are not there, or are of the other kind: the outer QEMU segfaults in
# cpu_breakpoint_remove_by_ref, or the L1 kernel's memory is corrupted. The same sessions run
# under QEMU (gdb-stub.sh, the qemu part) and wherever the host has a KVM.
check_debug_registers() {
	check "$1" "$2" || return 1
	[ -z "${TEST_IN_VM:-}" ] && return 0
	echo "SKIP $1: the nested VM's QEMU (7.2, TCG SVM) corrupts its memory when a nested guest arms the debug registers"
	return 1
}

# Break at a function, continue, bt with source lines, registers, a global struct and a local,
# next/step/finish, then detach: the program finishes with its own exit code.
session_break_step_detach() {
	check "$1" "$2" || return 0
	if guest_start "$2" "$GDB_NATIVE" 1 -- sum; then
		gdb_run "$GDB_NATIVE" "break sum_squares" "continue" "bt" "info registers rip" \
			"print gdb_origin" "print n" "next" "step" "bt" "finish" "detach"
		guest_wait
		want_line out '^(Thread [0-9]+ hit )?Breakpoint 1, sum_squares \(n=4\) at .*native_gdb\.c:[0-9]+'
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
}

# A hardware watchpoint on a global stops at the write with the old and the new value.
session_watchpoint() {
	check_debug_registers "$1" "$2" || return 0
	if guest_start "$2" "$GDB_NATIVE" 1 -- sum; then
		gdb_run "$GDB_NATIVE" "break main" "continue" "watch gdb_counter" "continue" \
			"delete" "continue"
		guest_wait
		want_line out '^Hardware watchpoint 2: gdb_counter'
		want_line out '^Old value = 0$'
		want_line out '^New value = 30$'
		want_line out 'exited with code 07'
		want_guest 7
	fi
	report
}

# Registers and memory written from gdb take effect (square(1) made square(5): 25 + 4 + 9 +
# 16); bad addresses are refused, not faulted on.
session_write() {
	check "$1" "$2" || return 0
	if guest_start "$2" "$GDB_NATIVE" 1 -- sum; then
		gdb_run "$GDB_NATIVE" "break square" "continue" "set var \$rdi = 5" \
			"set var gdb_origin.y = 40" "print gdb_origin.y" "print *(int *)0" \
			"x/2xb 0xffff800000000000" "print \$rip" "delete" "continue"
		guest_wait
		want_line out '^\$1 = 40$'
		want_line err '^Cannot access memory at address 0x0$'
		want_line err '^Cannot access memory at address 0xffff800000000000$'
		want_line out '\$2 = \(void \(\*\)\(\)\) 0x[0-9a-f]+ <square>'
		want_line out 'exited with code 01'
		want_guest 1
		want_guest_line '^sum 54$'
	fi
	report
}

# examples/threads as the user runs it (docs/debugging.md), on two cores: info threads shows
# each thread with its core, state and name; the main thread, blocked in toro_thread_join, has
# a backtrace from its saved context. (The thread of core 0 runs only once main, on the same
# core, has blocked.)
session_threads() {
	check "$1" "$2" || return 0
	if guest_start "$2" "$GDB_THREADS" 2; then
		gdb_run "$GDB_THREADS" "break take_turns if arg == 0" "continue" "info threads" \
			"thread 1" "bt" "delete" "continue"
		guest_wait
		want_line out 'Thread [0-9]+ hit Breakpoint 1, take_turns \(arg=0x0\) at .*main\.c:[0-9]+'
		want_line out 'Thread 1 \(core 0, blocked, main\)'
		want_line out 'Thread [0-9]+ \(core 0, [a-z]+, take_turns\)'
		want_line out 'Thread [0-9]+ \(core 1, [a-z]+, take_turns\)'
		want_line out 'Thread [0-9]+ \(core 1, [a-z]+, idle\)'
		want_line out '^#[0-9]+ +0x[0-9a-f]+ in thread_join '
		want_line out '^#[0-9]+ +0x[0-9a-f]+ in main \(\) at .*examples/threads/main\.c:[0-9]+'
		want_line out 'exited normally'
		want_guest 0
		want_guest_line '^all threads done$'
	fi
	report
}

# Ctrl-C (SIGINT to gdb, which sends 0x03) stops a program that spins on core 1 while main waits
# on core 0: gdb shows the spinning thread; kill ends the run.
session_ctrl_c() {
	check "$1" "$2" || return 0
	if guest_start "$2" "$GDB_NATIVE" 2 -- spin; then
		# gdb itself in the background, so that the signal goes to gdb and to nothing else.
		gdb -nx -batch -ex "set pagination off" -ex "set remotetimeout 30" \
			-ex "target remote $TARGET" -ex continue -ex "info threads" \
			-ex "print gdb_counter > 0" -ex kill "$GDB_NATIVE" </dev/null >"$OUT" 2>"$ERR" &
		local gdb_pid=$!
		for _ in $(seq 600); do
			grep -q '^spinning' "$GUEST_CONSOLE" && break
			sleep 0.1
		done
		sleep 1
		kill -INT "$gdb_pid"
		for _ in $(seq 600); do
			kill -0 "$gdb_pid" 2>/dev/null || break
			sleep 0.1
		done
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
}

# A fault in the program stops it with SIGSEGV at the faulting line; continuing delivers it: the
# usual fault report and exit code.
session_fault() {
	check "$1" "$2" || return 0
	if guest_start "$2" "$GDB_NATIVE" 1 -- fault; then
		gdb_run "$GDB_NATIVE" "continue" "bt 1" "continue"
		guest_wait
		want_line out 'received signal SIGSEGV'
		want_line out '^#0 +0x[0-9a-f]+ in fault \(\) at .*native_gdb\.c:[0-9]+'
		want_line out '^[0-9]+.*\*\(volatile int \*\).*= 1;'
		want_line out 'exited with code 0216'
		want_guest 142
		want_guest_message 'CPU exception: page fault'
	fi
	report
}

# Detach and attach again: a first gdb breaks, continues, lets the program run and detaches; a
# second gdb (once the line has seen the first go) attaches to the running program (its first
# packet stops it), breaks, reads and writes a global and detaches: the program ends with its
# own exit code.
session_reattach() {
	check "$1" "$2" || return 0
	if guest_start "$2" "$GDB_NATIVE" 1 -- laps; then
		gdb_run "$GDB_NATIVE" "break lap" "continue" "continue" "print gdb_counter" \
			"delete" "detach"
		want_line out '^(Thread [0-9]+ hit )?Breakpoint 1, lap \(\) at .*native_gdb\.c:[0-9]+'
		want_line out '^\$1 = 1$'
		want_line out 'detached'
		sleep 1
		guest_running || problem "the run ended after the first gdb detached"
		gdb_run "$GDB_NATIVE" "info breakpoints" "print gdb_counter > 1" "break lap" \
			"continue" "print gdb_release" "set var gdb_release = 1" "delete" "detach"
		guest_wait
		want_line out '^No breakpoints or watchpoints\.$'
		want_line out '^\$1 = 1$'
		want_line out '^(Thread [0-9]+ hit )?Breakpoint 1, lap \(\) at .*native_gdb\.c:[0-9]+'
		want_line out '^\$2 = 0$'
		want_line out 'detached'
		want_guest 5
		want_guest_line '^released$'
	fi
	report
}

# --- Through `toro run` (tests/e2e/gdb.sh, gdb-vsock.sh) ---

# The line toro prints with the gdb command; its target is group 1.
TORO_ATTACH_LINE="^toro: the guest waits for gdb; attach with: gdb .* -ex 'target remote (.*)'$"
TORO_GUEST= TORO_GUEST_OUT=$E2E_TMP/guest.out TORO_GUEST_ERR=$E2E_TMP/guest.err

# x87 and SSE registers of a POSIX program (tests/guest/posix_gdb_fp.c) on $3 cores: on one the
# blocked thread's state is in its save area, on two in the registers of the other stopped core.
# xmm0 and mxcsr of the stopped thread, xmm7 of the blocked one read and written (it prints what
# it then holds), xmm0 written (fp_scale's argument), st0 after a long double return and
# `info float`.
session_fp_registers() {
	local image=$BUILD/tests/guest/posix_gdb_fp.elf
	check "$1" "$2" || return 0
	if guest_start "$2" "$image" "$3"; then
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
}

# A native image never touches the FPU: its threads show the initial state, and a value written
# is kept for them.
session_fp_initial() {
	check "$1" "$2" || return 0
	if guest_start "$2" "$GDB_NATIVE" 1 -- sum; then
		gdb_run "$GDB_NATIVE" "break sum_squares" "continue" 'print $xmm0.uint128' \
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
}

# Two cores write their own watched global at the same moment, five rounds
# (tests/guest/native_gdb.c "race"): gdb sees every hit of both watchpoints, the one that comes
# while the other core stops included (kept, and reported before anything runs again).
session_watch_two_cores() {
	local conts=()
	check_debug_registers "$1" "$2" || return 0
	for _ in $(seq 10); do conts+=(continue); done
	if guest_start "$2" "$GDB_NATIVE" 2 -- race; then
		gdb_run "$GDB_NATIVE" 'watch gdb_race[0]' 'watch gdb_race[1]' "${conts[@]}" "delete" \
			"continue"
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

# One breakpoint that both cores reach at the same moment (tests/guest/native_gdb.c "race"): each
# of three hits is reported once, and after `delete` none is, not even that of a core which had
# trapped on it when the other core's stop held it, before gdb took it out.
session_break_two_cores() {
	check "$1" "$2" || return 0
	if guest_start "$2" "$GDB_NATIVE" 2 -- race; then
		gdb_run "$GDB_NATIVE" 'break gdb_race_write' continue continue continue delete continue
		guest_wait
		want_count out '^Thread [0-9]+ hit Breakpoint 1, gdb_race_write \(me=[01], round=(round@entry=)?[1-5]\)' 3
		want_count out 'SIGTRAP' 0
		want_line out 'exited with code 06'
		want_guest 6
		want_guest_line '^raced 5 rounds$'
	fi
	report
}

# toro_guest_start VMM ARGS...: `toro run --vmm VMM ARGS` (which hold --gdb) in the background;
# waits for the line with the gdb command and sets TARGET to its target.
toro_guest_start() {
	local vmm=$1
	shift
	: >"$TORO_GUEST_ERR"
	timeout -k 5 110 "$TORO" run --vmm "$vmm" --timeout 100 "$@" </dev/null \
		>"$TORO_GUEST_OUT" 2>"$TORO_GUEST_ERR" &
	TORO_GUEST=$! TARGET=
	for _ in $(seq 400); do
		TARGET=$(sed -En "s/$TORO_ATTACH_LINE/\1/p" "$TORO_GUEST_ERR")
		[ -n "$TARGET" ] && return 0
		kill -0 "$TORO_GUEST" 2>/dev/null || break
		sleep 0.05
	done
	problem "no gdb command on stderr: $(head -2 "$TORO_GUEST_ERR")"
	return 1
}

# The run's exit status into GUEST_RC; its console and messages join $OUT and $ERR for report.
toro_guest_wait() {
	wait "$TORO_GUEST"
	GUEST_RC=$?
	cat "$TORO_GUEST_OUT" >>"$OUT"
	cat "$TORO_GUEST_ERR" >>"$ERR"
	e2e_seen_flaw "$GUEST_RC"
}

toro_guest_running() {
	kill -0 "$TORO_GUEST" 2>/dev/null
}
