#!/bin/bash
# The kernel's gdb stub (kernel/gdb/) driven by stock gdb in batch mode: the sessions of
# tests/e2e/gdb_session.sh, each booting a -g image under QEMU (TCG, microvm, run directly) with
# toro.gdb=com2 and COM2 on a local TCP port; Ctrl-C and attaching again also with COM2 on an
# IRQ the kernel does not route, and a machine without COM2. (`toro run --gdb` and the built-in
# monitor's COM2 are tests/e2e/gdb.sh, the vsock line tests/e2e/gdb-vsock.sh.)
# PARTS: qemu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gdb_session.sh"
GUEST=$E2E_TMP/guest EXIT_FILE=$E2E_TMP/exit
GUEST_CONSOLE=$GUEST GUEST_MESSAGES=$GUEST QEMU_PID= GUEST_RC= COM2_IRQ=3 COM2_PORT=none
TARGET=

# The sessions' guest_start VMM IMAGE CPUS [-- ARGS...] (tests/e2e/gdb_session.sh; VMM is
# qemu): boots IMAGE under QEMU with the kernel command line "toro.gdb=com2 ARGS" and, unless
# COM2_PORT is none, COM2 listening on that port (on ISA IRQ $COM2_IRQ); its console goes to
# $GUEST, its exit code (toro.debugcon=) to $EXIT_FILE.
guest_start() {
	local image=$2 cpus=$3 com2=()
	shift 3
	[ "$COM2_PORT" != none ] && com2=(-chardev "socket,id=gdb,host=127.0.0.1,port=$COM2_PORT,server=on,wait=off"
		-device "isa-serial,chardev=gdb,iobase=0x2f8,irq=$COM2_IRQ")
	TARGET=127.0.0.1:$COM2_PORT
	: >"$EXIT_FILE"
	timeout -k 5 100 qemu-system-x86_64 -M microvm,pic=off,pit=off,rtc=off,acpi=off,auto-kernel-cmdline=off \
		-accel tcg -cpu max -smp "$cpus" -m 256M -nodefaults -no-user-config -no-reboot \
		-display none -serial "file:$GUEST" "${com2[@]}" \
		-chardev "file,id=exit,path=$EXIT_FILE" -device isa-debugcon,iobase=0x402,chardev=exit \
		-device isa-debug-exit,iobase=0xf4,iosize=4 \
		-kernel "$image" -append "toro.gdb=com2 toro.debugcon=0x402 $*" </dev/null >/dev/null 2>&1 &
	QEMU_PID=$!
	[ "$COM2_PORT" = none ] && return 0
	for _ in $(seq 300); do
		port_listening "$COM2_PORT" && return 0
		sleep 0.1
	done
	problem "QEMU did not listen on port $COM2_PORT within 30 s"
	return 1
}

# The guest's exit code (the last byte it wrote to debugcon), once QEMU has ended.
guest_wait() {
	wait "$QEMU_PID"
	GUEST_RC=$(od -An -tu1 "$EXIT_FILE" | awk '{ v = $NF } END { print v }')
	[ -n "$GUEST_RC" ] || GUEST_RC=none
}

guest_running() {
	kill -0 "$QEMU_PID" 2>/dev/null
}

if ! command -v gdb >/dev/null; then
	echo "SKIP gdb-stub: gdb is not installed"
	e2e_exit
fi

COM2_PORT=$(pick_port 1)
session_break_step_detach gdb-break-step-detach qemu
session_watchpoint gdb-watchpoint qemu
session_write gdb-write qemu
session_threads gdb-threads qemu
# Ctrl-C and a new gdb are seen by COM2's interrupt, or with COM2 on an IRQ the kernel does not
# route (as a monitor whose COM2 raises none), by core 0's timer.
session_ctrl_c gdb-ctrl-c qemu
COM2_IRQ=5 session_ctrl_c gdb-ctrl-c-timer qemu
session_fault gdb-fault qemu
session_reattach gdb-reattach qemu
COM2_IRQ=5 session_reattach gdb-reattach-timer qemu

# toro.gdb=com2 on a machine without COM2: one line, and the program runs without gdb.
if check gdb-no-com2 qemu; then
	COM2_PORT=none guest_start qemu "$GDB_NATIVE" 1 -- sum
	guest_wait
	want_guest_line '^gdb: toro\.gdb=com2 but there is no COM2'
	want_guest_line '^sum 30$'
	want_guest 7
	report
fi

e2e_exit
