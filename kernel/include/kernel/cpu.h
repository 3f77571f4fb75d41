/* Per-core state. Each core reaches its own struct cpu through the GS base (this_cpu()); no code
 * touches another core's run queue or timers: cross-core work goes through the owner's inbox
 * (a lock-free stack) and a wake-up IPI. */
#ifndef KERNEL_CPU_H
#define KERNEL_CPU_H

#include <stddef.h>
#include <stdint.h>

#define CPU_MAX 64

struct thread;
struct heap;

struct thread_queue {
	struct thread *head, *tail; /* tail is valid only while head is not NULL */
};

struct cpu {
	struct cpu *self; /* first field: this_cpu() reads %gs:0 */
	unsigned id;      /* 0 .. cpu_count - 1; 0 is the boot CPU */
	uint32_t apic_id;
	struct thread *current;
	struct thread *idle;
	struct thread_queue ready;
	struct thread *sleepers;    /* sorted by wake time */
	struct thread *inbox;       /* threads other cores made runnable here (LIFO, atomic) */
	struct thread *last_dead;   /* exited thread just switched away from */
	struct thread *migrating;   /* thread just switched away from, bound for another core */
	struct thread *fpu_owner;   /* whose FP/SSE state is in this core's registers */
	int fpu_trap_armed;         /* CR0.TS is set */
	uint64_t timer_deadline_ns; /* programmed one-shot, 0 if none */
	volatile int online;
	int apic_ready; /* LAPIC enabled (arch) */
	void *arch;        /* per-core arch data (TSS, GDT, interrupt stacks) */
	struct heap *heap; /* this core's heap, made on first use (memory_api.c) */
	uint64_t paging_seen; /* the last page-protection change this core's TLB knows of */
};

/* kernel/core/cpu.c. boot_cpu is core 0's; cpus[id] is set once a core is up. */
extern struct cpu boot_cpu;
extern struct cpu *cpus[CPU_MAX];
extern unsigned cpu_count;

/* The core with this id if it is up, else NULL. */
static inline struct cpu *cpu_online(unsigned id)
{
	if (id >= cpu_count || !cpus[id] || !cpus[id]->online)
		return NULL;
	return cpus[id];
}

static inline struct cpu *this_cpu(void)
{
	struct cpu *c;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(c));
	return c;
}

#endif
