#!/bin/bash
# The kernel's gdb stub (kernel/gdb/) driven by stock gdb in batch mode: each check boots a -g
# image under QEMU (TCG, microvm, run directly) with toro.gdb=com2 and COM2 on a local TCP port,
# attaches gdb to the port and checks what gdb shows and how the guest ends. The program is
# tests/guest/native_gdb.c; the threads are examples/threads built with -g. (`toro run --gdb`
# and the built-in monitor's COM2 are tests/e2e/gdb.sh.)
# PARTS: qemu
. "$(dirname "$0")/lib.sh"
IMAGE=$BUILD/tests/guest/native_gdb.elf
THREADS=$E2E_TMP/threads.elf
GUEST=$E2E_TMP/guest EXIT_FILE=$E2E_TMP/exit
QEMU_PID= GUEST_RC= COM2_IRQ=3

# guest_start IMAGE CPUS COM2 [WORDS...]: boots IMAGE under QEMU with the kernel command line
# "toro.gdb=com2 WORDS" and, when COM2 is a port, COM2 listening there (on ISA IRQ $COM2_IRQ);
# its console goes to $GUEST, its exit code (toro.debugcon=) to $EXIT_FILE.
guest_start() {
	local image=$1 cpus=$2 port=$3 com2=()
	shift 3
	[ "$port" != none ] && com2=(-chardev "socket,id=gdb,host=127.0.0.1,port=$port,server=on,wait=off"
		-device "isa-serial,chardev=gdb,iobase=0x2f8,irq=$COM2_IRQ")
	: >"$EXIT_FILE"
	timeout -k 5 100 qemu-system-x86_64 -M microvm,pic=off,pit=off,rtc=off,acpi=off,auto-kernel-cmdline=off \
		-accel tcg -cpu max -smp "$cpus" -m 256M -nodefaults -no-user-config -no-reboot \
		-display none -serial "file:$GUEST" "${com2[@]}" \
		-chardev "file,id=exit,path=$EXIT_FILE" -device isa-debugcon,iobase=0x402,chardev=exit \
		-device isa-debug-exit,iobase=0xf4,iosize=4 \
		-kernel "$image" -append "toro.gdb=com2 toro.debugcon=0x402 $*" </dev/null >/dev/null 2>&1 &
	QEMU_PID=$!
	[ "$port" = none ] && return 0
	for _ in $(seq 300); do
		port_listening "$port" && return 0
		sleep 0.1
	done
	problem "QEMU did not listen on port $port within 30 s"
}

# The guest's exit code (the last byte it wrote to debugcon), once QEMU has ended.
guest_wait() {
	wait "$QEMU_PID"
	GUEST_RC=$(od -An -tu1 "$EXIT_FILE" | awk '{ v = $NF } END { print v }')
	[ -n "$GUEST_RC" ] || GUEST_RC=none
}

want_guest() {
	[ "$GUEST_RC" = "$1" ] || problem "the guest ended with code $GUEST_RC, want $1"
}

want_guest_line() {
	grep -Eq -- "$1" "$GUEST" || problem "no line of the guest's console matches /$1/"
}

# gdb_run IMAGE PORT COMMAND...: gdb -batch on IMAGE attached to PORT, each COMMAND an -ex.
gdb_run() {
	local image=$1 port=$2 args=()
	shift 2
	for c in "$@"; do args+=(-ex "$c"); done
	run gdb -nx -batch -ex "set pagination off" -ex "set remotetimeout 30" \
		-ex "target remote 127.0.0.1:$port" "${args[@]}" "$image"
}

if ! command -v gdb >/dev/null; then
	echo "SKIP gdb-stub: gdb is not installed"
	e2e_exit
fi

PORT=$(pick_port 1)

# Break at a function, continue, bt with source lines, registers, a global struct and a local,
# next/step/finish, then detach: the program finishes with its own exit code.
if check gdb-break-step-detach qemu; then
	guest_start "$IMAGE" 1 "$PORT" -- sum
	gdb_run "$IMAGE" "$PORT" "break sum_squares" "continue" "bt" "info registers rip" \
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
	report
fi

# A hardware watchpoint on a global stops at the write with the old and the new value.
if check gdb-watchpoint qemu; then
	guest_start "$IMAGE" 1 "$PORT" -- sum
	gdb_run "$IMAGE" "$PORT" "break main" "continue" "watch gdb_counter" "continue" "delete" \
		"continue"
	guest_wait
	want_line out '^Hardware watchpoint 2: gdb_counter'
	want_line out '^Old value = 0$'
	want_line out '^New value = 30$'
	want_line out 'exited with code 07'
	want_guest 7
	report
fi

# Registers and memory written from gdb take effect (square(1) made square(5): 25 + 4 + 9 + 16);
# bad addresses are refused, not faulted on.
if check gdb-write qemu; then
	guest_start "$IMAGE" 1 "$PORT" -- sum
	gdb_run "$IMAGE" "$PORT" "break square" "continue" "set var \$rdi = 5" \
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
	report
fi

# Two cores: info threads shows each thread with its core, state and name; the main thread,
# blocked in toro_thread_join, has a backtrace from its saved context. (The thread of core 0
# runs only once main, on the same core, has blocked.)
if check gdb-threads qemu; then
	run "$TORO" build -q -g --native --no-fpu examples/threads/main.c -o "$THREADS"
	guest_start "$THREADS" 2 "$PORT"
	gdb_run "$THREADS" "$PORT" "break take_turns if arg == 0" "continue" "info threads" "thread 1" "bt" \
		"delete" "continue"
	guest_wait
	want_line out 'Thread [0-9]+ hit Breakpoint 1, take_turns'
	want_line out 'Thread 1 \(core 0, blocked, main\)'
	want_line out 'Thread [0-9]+ \(core 0, [a-z]+, take_turns\)'
	want_line out 'Thread [0-9]+ \(core 1, [a-z]+, take_turns\)'
	want_line out 'Thread [0-9]+ \(core 1, [a-z]+, idle\)'
	want_line out '^#[0-9]+ +0x[0-9a-f]+ in thread_join '
	want_line out '^#[0-9]+ +0x[0-9a-f]+ in main \(\) at .*examples/threads/main\.c:[0-9]+'
	want_line out 'exited normally'
	want_guest 0
	want_guest_line '^all threads done$'
	report
fi

# Ctrl-C (SIGINT to gdb, which sends 0x03) stops a program that spins on core 1 while main waits
# on core 0: gdb shows the spinning thread; kill ends the VM. Seen by COM2's interrupt, or with
# COM2 on an IRQ the kernel does not route (as a monitor whose COM2 raises none), by core 0's
# timer.
ctrl_c_check() {
	guest_start "$IMAGE" 2 "$PORT" -- spin
	bg_start 100 gdb -nx -batch -ex "set pagination off" -ex "target remote 127.0.0.1:$PORT" \
		-ex continue -ex "info threads" -ex "print gdb_counter > 0" -ex kill "$IMAGE"
	for _ in $(seq 300); do
		grep -q '^spinning' "$GUEST" && break
		sleep 0.1
	done
	sleep 1
	pkill -INT -P "$BG" -x gdb
	bg_wait
	guest_wait
	want_line out 'received signal SIGINT'
	want_line out '(^| in )spin \(arg=.*\) at .*native_gdb\.c:[0-9]+'
	want_line out '\* [0-9]+ +Thread [0-9]+ \(core 1, running, spin\)'
	want_line out 'Thread 1 \(core 0, blocked, main\)'
	want_line out '^\$1 = 1$'
	want_guest 137
	report
}

check gdb-ctrl-c qemu && ctrl_c_check
check gdb-ctrl-c-timer qemu && COM2_IRQ=5 ctrl_c_check

# A fault in the program stops it with SIGSEGV at the faulting line; continuing delivers it:
# the usual fault report and exit code.
if check gdb-fault qemu; then
	guest_start "$IMAGE" 1 "$PORT" -- fault
	gdb_run "$IMAGE" "$PORT" "continue" "bt 1" "continue"
	guest_wait
	want_line out 'received signal SIGSEGV'
	want_line out '^#0 +0x[0-9a-f]+ in fault \(\) at .*native_gdb\.c:[0-9]+'
	want_line out '^[0-9]+.*\*\(volatile int \*\).*= 1;'
	want_line out 'exited with code 0216'
	want_guest 142
	want_guest_line 'CPU exception: page fault'
	report
fi

# Detach and attach again: a first gdb breaks, continues, lets the program run and detaches; a
# second gdb attaches to the running program (its first packet stops it), breaks, reads and
# writes a global and detaches: the program ends with its own exit code. Seen by COM2's
# interrupt, or (COM2 on an IRQ the kernel does not route) by core 0's timer.
reattach_check() {
	guest_start "$IMAGE" 1 "$PORT" -- laps
	gdb_run "$IMAGE" "$PORT" "break lap" "continue" "continue" "print gdb_counter" "delete" \
		"detach"
	want_line out '^Breakpoint 1, lap \(\) at .*native_gdb\.c:[0-9]+'
	want_line out '^\$1 = 1$'
	want_line out 'detached'
	sleep 1
	kill -0 "$QEMU_PID" 2>/dev/null || problem "the guest ended after the first gdb detached"
	gdb_run "$IMAGE" "$PORT" "info breakpoints" "print gdb_counter > 1" "break lap" "continue" \
		"print gdb_release" "set var gdb_release = 1" "delete" "detach"
	guest_wait
	want_line out '^No breakpoints or watchpoints\.$'
	want_line out '^\$1 = 1$'
	want_line out '^Breakpoint 1, lap \(\) at .*native_gdb\.c:[0-9]+'
	want_line out '^\$2 = 0$'
	want_line out 'detached'
	want_guest 5
	want_guest_line '^released$'
	report
}

check gdb-reattach qemu && reattach_check
check gdb-reattach-timer qemu && COM2_IRQ=5 reattach_check

# toro.gdb=com2 on a machine without COM2: one line, and the program runs without gdb.
if check gdb-no-com2 qemu; then
	guest_start "$IMAGE" 1 none -- sum
	guest_wait
	want_guest_line '^gdb: toro\.gdb=com2 but there is no COM2'
	want_guest_line '^sum 30$'
	want_guest 7
	report
fi

e2e_exit
