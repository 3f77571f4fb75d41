/* Builds the Intel MP 1.4 floating pointer and configuration table that tell the kernel its
 * CPUs, the ISA bus, the IOAPIC and how ISA IRQs reach IOAPIC pins. */
#ifndef VMM_KVM_MPTABLE_H
#define VMM_KVM_MPTABLE_H

#include <stddef.h>
#include <stdint.h>

/* What the processor entries say about each CPU (from CPUID leaf 1). */
struct mptable_cpu_info {
	uint32_t signature; /* CPUID.1:EAX */
	uint32_t features;  /* CPUID.1:EDX */
};

/* Bytes the table takes for cpus CPUs. */
size_t mptable_size(int cpus);

/* Writes the floating pointer, then the configuration table right after it, into buf (which the
 * guest sees at guest-physical paddr). CPUs have LAPIC ids 0..cpus-1, CPU 0 is the boot CPU;
 * the IOAPIC has id cpus. Returns the bytes written, or 0 if cap is too small or cpus is not
 * 1..255. */
size_t mptable_write(void *buf, size_t cap, uint32_t paddr, int cpus,
                     const struct mptable_cpu_info *info);

#endif
