/* The per-core scheduling policy: run queues, sleepers, the inbox other cores fill, choosing the
 * next thread and switching to it, and the idle loop. Everything that touches a core's run
 * queue, sleepers or current thread runs on that core with interrupts off; other cores reach it
 * only through its inbox (a lock-free LIFO of threads to make ready) and a wake-up IPI. Idle
 * cores halt until an interrupt (timer, IPI, device). When no thread anywhere can ever run again
 * (none ready, sleeping or waiting for a device) the VM reports "all threads blocked" and exits. */
#include "sched_private.h"

#include <kernel/arch.h>
#include <kernel/kernel.h>
#include <kernel/mm.h>
#include <kernel/printk.h>
#include <kernel/time.h>
#include <toro/abi/image.h>
#include <toro/abi/linux.h>

#define IDLE_STACK_SIZE (8ul << 10) /* the whole allocation, its struct thread included */

int sched_live;
static struct thread boot_thread;

void sched_sleeper_add(struct cpu *c, struct thread *t)
{
	struct thread **link = &c->sleepers;
	while (*link && (*link)->wake_ns <= t->wake_ns)
		link = &(*link)->next;
	t->next = *link;
	*link = t;
}

static void sleeper_remove(struct cpu *c, struct thread *t)
{
	for (struct thread **link = &c->sleepers; *link; link = &(*link)->next) {
		if (*link == t) {
			*link = t->next;
			return;
		}
	}
}

void sched_make_ready(struct cpu *c, struct thread *t)
{
	if (t->state == THREAD_SLEEPING)
		sleeper_remove(c, t);
	t->state = THREAD_READY;
	if (t != c->current)
		thread_queue_push(&c->ready, t);
}

/* Takes every thread other cores handed us, oldest first. */
static void inbox_drain(struct cpu *c)
{
	if (!__atomic_load_n(&c->inbox, __ATOMIC_RELAXED))
		return;
	struct thread *list = __atomic_exchange_n(&c->inbox, NULL, __ATOMIC_ACQUIRE);
	struct thread *reversed = NULL;
	while (list) {
		struct thread *n = list->inbox_next;
		list->inbox_next = reversed;
		reversed = list;
		list = n;
	}
	while (reversed) {
		struct thread *t = reversed;
		reversed = t->inbox_next;
		sched_make_ready(c, t);
	}
}

/* Moves sleepers whose time has come to the run queue. */
static void sleepers_expire(struct cpu *c)
{
	if (!c->sleepers)
		return;
	uint64_t now = time_monotonic_ns();
	while (c->sleepers && c->sleepers->wake_ns <= now) {
		struct thread *t = c->sleepers;
		c->sleepers = t->next;
		/* Whoever clears wake_armed owns the wake: the timer here, or sched_wake. */
		if (__atomic_exchange_n(&t->wake_armed, 0, __ATOMIC_ACQ_REL)) {
			t->state = THREAD_READY;
			t->wake_ns = 0;
			if (t != c->current)
				thread_queue_push(&c->ready, t);
		}
	}
}

static void all_blocked(void)
{
	printk("\n*** all threads blocked: nothing can run on any core; stopping\n");
	kernel_exit(TORO_EXIT_DEADLOCK);
}

/* Halts until an interrupt, with the timer armed for the first sleeper. */
static void idle_wait(struct cpu *c)
{
	if (__atomic_load_n(&sched_live, __ATOMIC_ACQUIRE) == 0 && !c->inbox)
		all_blocked();
	uint64_t deadline = c->sleepers ? c->sleepers->wake_ns : 0;
	if (deadline != c->timer_deadline_ns) {
		arch_timer_arm(deadline ? time_ns_to_tsc(deadline) : 0);
		c->timer_deadline_ns = deadline;
	}
	arch_wait_for_interrupt();
}

/* Runs on a core right after it switched away from a thread: a migrating thread's context is
 * saved now, and a dead thread's stack is no longer in use, so its memory can go, by whoever
 * comes second of this and a detach or join. */
void sched_switch_finish(struct cpu *c)
{
	struct thread *moving = c->migrating;
	if (moving) {
		/* Its context is saved now: the new core may run it. */
		c->migrating = NULL;
		sched_inbox_push(moving->cpu, moving);
	}
	struct thread *dead = c->last_dead;
	if (!dead)
		return;
	c->last_dead = NULL;
	if (dead->unmap_len)
		mm_pages_free((void *)(uintptr_t)dead->unmap_addr,
		              (dead->unmap_len + PAGE_SIZE - 1) / PAGE_SIZE);
	thread_release(dead, THREAD_SWITCHED_OUT);
}

/* The switch itself, from prev (already queued, dead or blocked as its state says) to next. */
static inline __attribute__((always_inline)) void switch_to(struct cpu *c, struct thread *prev,
                                                            struct thread *next)
{
	if ((next != c->fpu_owner) != c->fpu_trap_armed)
		arch_fpu_switch(c, next);
	next->state = THREAD_RUNNING;
	c->current = next;
	if (next->fs_base != prev->fs_base)
		arch_set_fs_base(next->fs_base);
	arch_switch(&prev->rsp, next->rsp);
	/* Running prev again, possibly much later, on the same core. */
	c = this_cpu();
	if (c->migrating || c->last_dead)
		sched_switch_finish(c);
}

/* A core's idle thread: runs when nothing else can, halts until an interrupt, and hands the
 * core to whatever became ready (sched_run_next never queues the idle thread itself).
 * Interrupts off throughout. */
static _Noreturn void idle_loop(void)
{
	struct cpu *c = this_cpu();
	arch_irq_save();
	sched_switch_finish(c);
	for (;;) {
		inbox_drain(c);
		sleepers_expire(c);
		if (c->ready.head)
			sched_run_next();
		else
			idle_wait(c);
	}
}

/* The core's idle thread, made the first time the core has nothing to run (a program that never
 * blocks never pays for it). */
static struct thread *idle_thread(struct cpu *c)
{
	if (!c->idle &&
	    !(c->idle = thread_alloc(c, IDLE_STACK_SIZE - sizeof(struct thread), idle_loop)))
		panic("out of memory for core %u's idle thread", c->id);
	return c->idle;
}

void sched_run_next(void)
{
	struct cpu *c = this_cpu();
	struct thread *prev = c->current, *next;
	/* Every entry to the scheduler checks the running thread's stack (a dead one's no
	 * longer matters). */
	if (prev->state != THREAD_DEAD)
		thread_stack_check(prev);
	if (c->inbox)
		inbox_drain(c);
	sleepers_expire(c);
	int runnable =
	    prev != c->idle && (prev->state == THREAD_RUNNING || prev->state == THREAD_READY);
	next = thread_queue_pop(&c->ready);
	if (!next)
		next = runnable ? prev : idle_thread(c);
	if (next == prev) {
		prev->state = THREAD_RUNNING;
		return;
	}
	if (runnable) {
		prev->state = THREAD_READY;
		thread_queue_push(&c->ready, prev);
	}
	if (prev->state == THREAD_DEAD)
		c->last_dead = prev;
	switch_to(c, prev, next);
}

/* The common case gets a path of its own: another thread of this core is ready and there is
 * nothing in the inbox or the sleepers to look at, so the yielding thread goes to the back of
 * the queue and the first one runs. Everything else takes sched_run_next(). */
void thread_yield(void)
{
	uint64_t flags = arch_irq_save();
	struct cpu *c = this_cpu();
	struct thread *prev = c->current, *next = c->ready.head;
	if (__builtin_expect(!next || c->inbox || c->sleepers || prev == c->idle, 0)) {
		sched_run_next();
	} else {
		thread_stack_check(prev);
		thread_queue_pop(&c->ready);
		thread_queue_push(&c->ready, prev);
		prev->state = THREAD_READY;
		switch_to(c, prev, next);
	}
	arch_irq_restore(flags);
}

void toro_yield(void) __attribute__((alias("thread_yield")));

_Noreturn void sched_exit(struct thread *t)
{
	arch_irq_save();
	arch_fpu_release(this_cpu(), t, 0);
	__atomic_fetch_sub(&sched_live, 1, __ATOMIC_ACQ_REL);
	t->state = THREAD_DEAD;
	sched_run_next();
	panic("dead thread %d was scheduled", t->tid);
}

int sched_migrate(unsigned cpu)
{
	struct cpu *to = cpu_online(cpu);
	if (!to)
		return -LINUX_EINVAL;
	struct cpu *c = this_cpu();
	if (to == c)
		return 0;
	struct thread *t = c->current;
	uint64_t flags = arch_irq_save();
	arch_fpu_release(c, t, 1);
	/* Off this core's queues; sched_switch_finish hands it over once its context is saved.
	 * It stays counted in sched_live: it is runnable, only in transit. */
	t->state = THREAD_BLOCKED;
	t->cpu = to;
	c->migrating = t;
	sched_run_next();
	arch_irq_restore(flags);
	return 0;
}

void sched_init(void *stack, size_t size)
{
	struct cpu *c = this_cpu();
	struct thread *t = &boot_thread;
	cpus[0] = c;
	t->cpu = c;
	t->state = THREAD_RUNNING;
	t->tid = 1;
	t->stack = stack;
	t->stack_pages = size / PAGE_SIZE;
	thread_stack_canary_set(t); /* zeroed otherwise, joiners included: an empty wait queue */
	c->current = t;
	/* No thread owns the FPU yet, not even this one: its first FP instruction traps and loads
	 * the initial state (the reset values). Until some thread uses FP, switches never have to
	 * touch CR0 (integer-only programs never do). */
	c->fpu_owner = NULL;
	arch_fpu_switch(c, t);
	sched_live = 1;
}

/* An application processor's boot context: a thread that is never ready, so the core idles
 * until another core gives it work. */
_Noreturn void sched_ap_main(void)
{
	struct cpu *c = this_cpu();
	struct thread *t = mm_pages_zalloc(1);
	if (!t)
		panic("out of memory starting core %u", c->id);
	t->cpu = c;
	t->state = THREAD_RUNNING;
	c->current = t;
	c->idle = t;
	__atomic_store_n(&c->online, 1, __ATOMIC_RELEASE);
	idle_loop();
}
