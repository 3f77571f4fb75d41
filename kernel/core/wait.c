/* Blocking and waking: the wake_armed token that makes a wake-up impossible to lose or to
 * deliver twice (sched_prepare_block, sched_block, sched_wake), sleeping until a deadline, and
 * the wait queues built on them, which interrupt handlers may wake. */
#include "sched_private.h"

#include <kernel/arch.h>
#include <kernel/time.h>

void sched_prepare_block(int io_wait)
{
	struct thread *t = thread_current();
	t->io_wait = io_wait;
	__atomic_store_n(&t->wake_armed, WAKE_ARMED, __ATOMIC_RELEASE);
}

static void block_current(uint64_t deadline_ns)
{
	struct cpu *c = this_cpu();
	struct thread *t = c->current;
	uint64_t flags = arch_irq_save();
	/* A wake from this core (an interrupt handler) that came since sched_prepare_block already
	 * made us ready. A wake from another core is different: its inbox entry may still be on its
	 * way, and it alone may make us ready again, so we block and wait for it even when
	 * wake_armed says we were woken (otherwise the entry would arrive later and wake a
	 * thread that no longer expects it). */
	if (t->state == THREAD_RUNNING) {
		if (deadline_ns) {
			t->state = THREAD_SLEEPING;
			t->wake_ns = deadline_ns;
			sched_sleeper_add(c, t);
		} else {
			t->state = THREAD_BLOCKED;
			int armed = WAKE_ARMED;
			if (!t->io_wait && __atomic_compare_exchange_n(
			                       &t->wake_armed, &armed, WAKE_ARMED_UNCOUNTED, 0,
			                       __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				__atomic_fetch_sub(&sched_live, 1, __ATOMIC_ACQ_REL);
		}
	}
	sched_run_next();
	arch_irq_restore(flags);
}

void sched_block(void)
{
	block_current(0);
}

int sched_block_until(uint64_t deadline_ns)
{
	struct thread *t = thread_current();
	block_current(deadline_ns ? deadline_ns : 1);
	/* Woken by sched_wake: wake_ns was left set and the thread taken off the sleepers by
	 * sched_make_ready; by the timer: wake_ns was cleared. */
	int timed_out = t->wake_ns == 0;
	t->wake_ns = 0;
	return timed_out;
}

int sched_wake(struct thread *t)
{
	int armed = __atomic_exchange_n(&t->wake_armed, 0, __ATOMIC_ACQ_REL);
	if (!armed)
		return 0;
	struct cpu *c = this_cpu();
	if (armed == WAKE_ARMED_UNCOUNTED)
		__atomic_fetch_add(&sched_live, 1, __ATOMIC_ACQ_REL);
	if (t->cpu != c) {
		/* Another core's thread: its own core moves it (and takes it off its sleepers). */
		sched_inbox_push(t->cpu, t);
		return 1;
	}
	/* Blocked or sleeping, it goes onto the run queue; still running (woken before it could
	 * block, by an interrupt handler), it only becomes READY and will not block. */
	uint64_t flags = arch_irq_save();
	sched_make_ready(c, t);
	arch_irq_restore(flags);
	return 1;
}

void thread_sleep_ns(uint64_t ns)
{
	sched_prepare_block(0);
	sched_block_until(time_monotonic_ns() + ns);
}

/* Interrupts stay off while the lock is held: an interrupt handler on this core may wake the
 * same queue, and must not spin on a lock its own core holds. */
void wait_queue_lock(struct wait_queue *wq)
{
	uint64_t flags = arch_irq_save();
	spin_lock(&wq->lock);
	wq->irq_flags = flags;
}

void wait_queue_unlock(struct wait_queue *wq)
{
	uint64_t flags = wq->irq_flags;
	spin_unlock(&wq->lock);
	arch_irq_restore(flags);
}

void wait_queue_init(struct wait_queue *wq)
{
	wq->lock.locked = 0;
	wq->waiters.head = wq->waiters.tail = NULL;
}

static void wait_queue_block(struct wait_queue *wq, int io_wait)
{
	sched_prepare_block(io_wait);
	thread_queue_push(&wq->waiters, thread_current());
	wait_queue_unlock(wq);
	sched_block();
}

void wait_queue_sleep(struct wait_queue *wq)
{
	wait_queue_block(wq, 0);
}

void wait_queue_sleep_io(struct wait_queue *wq)
{
	wait_queue_block(wq, 1);
}

static int wait_queue_wake_one_locked(struct wait_queue *wq)
{
	struct thread *t;
	while ((t = thread_queue_pop(&wq->waiters)))
		if (sched_wake(t))
			return 1;
	return 0;
}

int wait_queue_wake_all_locked(struct wait_queue *wq)
{
	int n = 0;
	while (wait_queue_wake_one_locked(wq))
		n++;
	return n;
}

int wait_queue_wake_one(struct wait_queue *wq)
{
	wait_queue_lock(wq);
	int n = wait_queue_wake_one_locked(wq);
	wait_queue_unlock(wq);
	return n;
}

int wait_queue_wake_all(struct wait_queue *wq)
{
	wait_queue_lock(wq);
	int n = wait_queue_wake_all_locked(wq);
	wait_queue_unlock(wq);
	return n;
}
