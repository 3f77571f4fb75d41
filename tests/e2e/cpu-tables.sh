#!/bin/bash
# The kernel finds the CPUs from the MP table (our monitor, QEMU's qboot) and, where there is
# none, from the ACPI MADT. QEMU microvm offers both, so the MADT path is forced with the
# diagnostic option toro.madt.
set -u
: "${TORO:?}" "${BUILD:?}"
fails=0
img=$BUILD/tests/guest/native_smp.elf
want() { # label, output
	local out=$2
	if printf '%s\n' "$out" | grep -q "^cores=3$" &&
		printf '%s\n' "$out" | grep -q "^core 2: apic id 2, running on 2$"; then
		echo "ok: $1"
	else
		echo "FAIL: $1:"
		printf '%s\n' "$out" | sed 's/^/  | /'
		fails=$((fails + 1))
	fi
}
out=$(timeout 60 qemu-system-x86_64 -M microvm,pic=off,pit=off,rtc=off,acpi=on \
	-accel tcg -cpu max -m 128M -smp 3 -nodefaults -no-user-config -no-reboot \
	-display none -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4 \
	-kernel "$img" -append "toro.madt --" </dev/null 2>&1)
want "MADT (QEMU microvm with ACPI)" "$out"
want "MP table (QEMU)" "$(timeout 60 "$TORO" run "$img" --vmm qemu --cpus 3 </dev/null 2>&1)"
want "MP table (built-in monitor)" "$(timeout 60 "$TORO" run "$img" --vmm toro --cpus 3 </dev/null 2>&1)"
[ "$fails" = 0 ]
