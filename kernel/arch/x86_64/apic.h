/* Local APIC (x2APIC when the CPU has it, xAPIC otherwise) and IOAPIC. Private to arch/x86_64. */
#ifndef KERNEL_ARCH_X86_64_APIC_H
#define KERNEL_ARCH_X86_64_APIC_H

#include <stdint.h>

/* Enables this core's LAPIC: spurious vector, timer vector, TSC-deadline mode where offered. */
void apic_init(void);
/* apic_init once on this core (and record its APIC id). */
void apic_ensure(void);
uint32_t apic_id(void);
void apic_eoi(void);
void apic_send_ipi(uint32_t apic_id, uint8_t vector);
void apic_send_init(uint32_t apic_id);
void apic_send_nmi(uint32_t apic_id); /* the gdb stub's stop (gdb.c) */
void apic_send_sipi(uint32_t apic_id, uint8_t page);

/* Arms the one-shot timer for an absolute TSC value; 0 disarms. */
void apic_timer_arm(uint64_t tsc_deadline);

/* LAPIC timer ticks per second with divide-by-1 (measured against the TSC at boot). */
extern uint64_t apic_timer_hz;

/* Physical address of the IOAPIC, from the MP table or MADT. */
extern uintptr_t ioapic_base;

/* How long calibrations run the LAPIC timer: 1 ms at the 1 GHz input QEMU and KVM give it. */
#define APIC_CALIBRATION_TICKS 1000000u

/* Runs the LAPIC timer (divide by 1) for at least lapic_ticks and returns the TSC ticks per
 * lapic_ticks, from the ticks of both that really passed. */
uint64_t apic_count_ticks(uint32_t lapic_ticks);

/* Routes IOAPIC pin to vector on the LAPIC apic_id (edge, active high, unmasked). */
void ioapic_route(unsigned pin, uint8_t vector, uint32_t apic_id);

#endif
