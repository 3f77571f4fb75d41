/* What the scheduler's files share: sched.c (run queues, switching, idle), thread.c (a thread's
 * life), wait.c (blocking, waking, wait queues) and stack.c (a thread's memory). Private to
 * kernel/core. */
#ifndef KERNEL_CORE_SCHED_PRIVATE_H
#define KERNEL_CORE_SCHED_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include <kernel/arch.h>
#include <kernel/mm.h>
#include <kernel/sched.h>

/* wake_armed: 0 not waiting; WAKE_ARMED between sched_prepare_block and the wake;
 * WAKE_ARMED_UNCOUNTED once the thread blocked without a deadline and took itself out of
 * sched_live (and a new thread, which nobody counted yet), so that whoever wakes it puts it
 * back. */
#define WAKE_ARMED           1
#define WAKE_ARMED_UNCOUNTED 2

/* release_flags: a dead thread's memory is freed by whoever sets the second of these. */
#define THREAD_DETACHED     1
#define THREAD_SWITCHED_OUT 2

#define STACK_CANARY       0x746f726f2d737461ull /* "ats-orot": bottom of every stack */
#define STACK_CANARY_WORDS 2

/* Threads that are ready, running, sleeping or waiting for a device: while it is not zero, some
 * thread can still make progress (sched.c; changed by wait.c as threads block and wake). */
extern int sched_live;

/* The FIFO of a run queue or a wait queue, linked through thread->next. An empty queue is one
 * whose head is NULL; its tail is then stale and never read, which spares the pop a store and
 * the push a load (these two make thread_yield's fast path). */
static inline __attribute__((always_inline)) void thread_queue_push(struct thread_queue *q,
                                                                    struct thread *t)
{
	t->next = NULL;
	if (q->head)
		q->tail->next = t;
	else
		q->head = t;
	q->tail = t;
}

static inline __attribute__((always_inline)) struct thread *thread_queue_pop(struct thread_queue *q)
{
	struct thread *t = q->head;
	if (t)
		q->head = t->next;
	return t;
}

/* sched.c. Except for sched_inbox_push, these run on the core c (or the current thread's) with
 * interrupts off. */

/* Picks the next thread and switches to it. The current thread's state says what happens to it:
 * RUNNING (a yield) goes back to the run queue, anything else stays off it. */
void sched_run_next(void);
/* What is left to do right after a switch on core c: hand over a migrating thread, release a
 * dead one. A new thread calls it first thing. */
void sched_switch_finish(struct cpu *c);
/* Makes t (of core c) ready: off the sleepers, onto the run queue unless it is running. */
void sched_make_ready(struct cpu *c, struct thread *t);
void sched_sleeper_add(struct cpu *c, struct thread *t);
/* Pushes t onto owner's inbox and interrupts owner; from any core. */
static inline void sched_inbox_push(struct cpu *owner, struct thread *t)
{
	struct thread *head = __atomic_load_n(&owner->inbox, __ATOMIC_RELAXED);
	do {
		t->inbox_next = head;
	} while (!__atomic_compare_exchange_n(&owner->inbox, &head, t, 1, __ATOMIC_RELEASE,
	                                      __ATOMIC_RELAXED));
	arch_send_wake(owner);
}

/* Takes the current thread t off its core for good (its joiners already woken). */
_Noreturn void sched_exit(struct thread *t);

/* wait.c: wakes every thread on wq; the caller holds wq's lock. Returns how many woke. */
int wait_queue_wake_all_locked(struct wait_queue *wq);

/* stack.c */

/* A thread of core c with a stack of at least stack_size bytes, in one allocation with the
 * struct thread at its top, zeroed but for the canary, BLOCKED, and set up so that switching to
 * it runs start(). NULL when memory runs out. */
struct thread *thread_alloc(struct cpu *c, size_t stack_size, void (*start)(void));
__attribute__((noreturn, cold)) void thread_stack_overflow(struct thread *t);

/* Frees a thread's allocation (its stack, and the struct thread in it). */
static inline void thread_free(struct thread *t)
{
	mm_pages_free(t->stack, t->stack_pages);
}

/* Sets flag (THREAD_DETACHED or THREAD_SWITCHED_OUT) in a dead or dying thread; frees it if
 * the other one was set before. */
static inline void thread_release(struct thread *t, int flag)
{
	int old = __atomic_fetch_or(&t->release_flags, flag, __ATOMIC_ACQ_REL);
	if (old & ~flag) /* the other flag came first: we are second */
		thread_free(t);
}

static inline void thread_stack_canary_set(struct thread *t)
{
	uint64_t *w = (uint64_t *)t->stack;
	for (int i = 0; i < STACK_CANARY_WORDS; i++)
		w[i] = STACK_CANARY;
}

/* Checked whenever a thread enters the scheduler: an overflow is reported at the thread's next
 * yield or block. A thread without a stack of its own (an AP's boot context) is skipped. */
static inline __attribute__((always_inline)) void thread_stack_check(struct thread *t)
{
	const uint64_t *w = (const uint64_t *)t->stack;
	if (w && (w[0] != STACK_CANARY || w[STACK_CANARY_WORDS - 1] != STACK_CANARY))
		thread_stack_overflow(t);
}

#endif
