/* Lazy FP/SSE state per thread (docs/design.md §4). A core's FPU registers belong to one thread, its
 * fpu_owner; switching to any other thread sets CR0.TS, so that thread's first FP instruction
 * raises #NM, and only then is the owner's state saved (FXSAVE) and the new thread's restored
 * (FXRSTOR) or initialised. Threads that never touch FP cost nothing, and integer-only guests
 * never execute an FP-state instruction. */
#include <kernel/arch.h>

#include <kernel/cpu.h>
#include <kernel/sched.h>

#include "fxsave.h"
#include "x86.h"

/* The state a thread starts with, loaded by FXRSTOR (never LDMXCSR: docs/design.md §4). */
static uint8_t fpu_initial[FXSAVE_SIZE] __attribute__((aligned(16)));

static inline void cr0_ts(int set)
{
	uint64_t cr0;
	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	cr0 = set ? cr0 | CR0_TS : cr0 & ~(uint64_t)CR0_TS;
	__asm__ volatile("mov %0, %%cr0" : : "r"(cr0) : "memory");
}

static void fpu_save(struct thread *t)
{
	__asm__ volatile("fxsave64 %0" : "=m"(*(uint8_t(*)[512])t->fpu_area));
	t->fpu_valid = 1;
}

void arch_fpu_switch(struct cpu *c, struct thread *next)
{
	int want_trap = next != c->fpu_owner;
	if (want_trap != c->fpu_trap_armed) {
		cr0_ts(want_trap);
		c->fpu_trap_armed = want_trap;
	}
}

void arch_fpu_release(struct cpu *c, struct thread *t, int save)
{
	if (c->fpu_owner != t)
		return;
	if (save) {
		if (c->fpu_trap_armed) {
			cr0_ts(0);
			c->fpu_trap_armed = 0;
		}
		fpu_save(t);
	}
	c->fpu_owner = NULL;
}

/* #NM: the running thread wants the FPU. Interrupts are off (interrupt gate). */
void fpu_trap(void)
{
	struct cpu *c = this_cpu();
	struct thread *t = c->current;
	cr0_ts(0);
	c->fpu_trap_armed = 0;
	if (c->fpu_owner == t)
		return;
	if (c->fpu_owner)
		fpu_save(c->fpu_owner);
	const uint8_t *image = t->fpu_valid ? t->fpu_area : fpu_initial;
	if (!t->fpu_valid && !fpu_initial[FXSAVE_MXCSR_OFFSET]) {
		*(uint16_t *)(fpu_initial + FXSAVE_FCW_OFFSET) = FCW_DEFAULT;
		*(uint32_t *)(fpu_initial + FXSAVE_MXCSR_OFFSET) = MXCSR_DEFAULT;
	}
	__asm__ volatile("fxrstor64 %0" : : "m"(*(const uint8_t(*)[512])image));
	c->fpu_owner = t;
}
