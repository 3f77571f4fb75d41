/* A core's own descriptor tables and interrupt stacks (struct cpu's arch field), set up by
 * cpu.c; the gdb stub (gdb.c) finds an interrupted frame at the top of the IRQ stack. */
#ifndef KERNEL_ARCH_X86_64_ARCH_CPU_H
#define KERNEL_ARCH_X86_64_ARCH_CPU_H

#include <stdint.h>

#define IST_EXCEPTION   1
#define IST_CRITICAL    2 /* double fault, NMI, machine check: a stack of their own */
#define IST_IRQ         3
#define EXCEPTION_STACK 16384
#define CRITICAL_STACK  8192
#define IRQ_STACK       16384

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss) == 104, "TSS layout");

/* Each core has its own GDT (its TSS descriptor differs), TSS and interrupt stacks. */
struct arch_cpu {
	uint64_t gdt[5]; /* null, kernel code, kernel data, TSS (two slots) */
	struct tss tss;
	char exception_stack[EXCEPTION_STACK] __attribute__((aligned(16)));
	char critical_stack[CRITICAL_STACK] __attribute__((aligned(16)));
	char irq_stack[IRQ_STACK] __attribute__((aligned(16)));
};

#endif
