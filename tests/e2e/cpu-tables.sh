#!/bin/bash
# The kernel finds the CPUs from the MP table (our monitor, QEMU's qboot) and, where there is
# none, from the ACPI MADT. QEMU microvm offers both, so the MADT path is forced with the
# diagnostic option toro.madt.
# PARTS: qemu toro
. "$(dirname "$0")/lib.sh"
img=$BUILD/tests/guest/native_smp.elf

want_three_cores() {
	want_status 0
	want_line out '^cores=3$'
	want_line out '^core 2: apic id 2, running on 2$'
	report
}

if check madt@qemu qemu; then
	run qemu-system-x86_64 -M microvm,pic=off,pit=off,rtc=off,acpi=on \
		-accel tcg -cpu max -m 128M -smp 3 -nodefaults -no-user-config -no-reboot \
		-display none -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4 \
		-kernel "$img" -append "toro.madt --"
	RC=$((RC == 1 ? 0 : RC)) # isa-debug-exit turns exit code 0 into 1
	want_three_cores
fi
for vmm in qemu toro; do
	check "mp-table@$vmm" "$vmm" || continue
	run "$TORO" run "$img" --vmm "$vmm" --cpus 3
	want_three_cores
done
e2e_exit
