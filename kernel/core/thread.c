/* A thread's life: creating it on a core (stopped, then started, for creators that must finish
 * setting it up first), its first moments on its stack, exit, join and detach. Its memory comes
 * from stack.c; running it is sched.c's business. */
#include "sched_private.h"

#include <kernel/arch.h>
#include <toro/abi/linux.h>

static int next_tid = 1; /* the boot thread is 1 */

/* Where a new thread starts, on its own stack, right after the switch to it. */
static void thread_start(void)
{
	struct thread *t = thread_current();
	sched_switch_finish(this_cpu());
	arch_irq_enable();
	thread_exit(t->entry(t->arg));
}

struct thread *thread_create_stopped(unsigned cpu, void *(*entry)(void *), void *arg,
                                     size_t stack_size, int *err)
{
	struct cpu *c = cpu_online(cpu);
	struct thread *t = NULL;
	if (c)
		t = thread_alloc(c, stack_size ? stack_size : THREAD_STACK_DEFAULT, thread_start);
	if (!t) {
		if (err)
			*err = c ? -LINUX_ENOMEM : -LINUX_EINVAL;
		return NULL;
	}
	t->entry = entry;
	t->arg = arg;
	t->tid = __atomic_add_fetch(&next_tid, 1, __ATOMIC_RELAXED);
	t->fs_base = thread_current()->fs_base;
	/* A new thread is a blocked one nobody counted yet: the normal wake path (the inbox and an
	 * IPI for another core) makes it ready and counts it. */
	t->wake_armed = WAKE_ARMED_UNCOUNTED;
	return t;
}

void thread_start_new(struct thread *t)
{
	sched_wake(t);
}

struct thread *thread_create(unsigned cpu, void *(*entry)(void *), void *arg, size_t stack_size,
                             int *err)
{
	struct thread *t = thread_create_stopped(cpu, entry, arg, stack_size, err);
	if (t)
		thread_start_new(t);
	return t;
}

_Noreturn void thread_exit(void *result)
{
	struct thread *t = thread_current();
	t->result = result;
	wait_queue_lock(&t->joiners);
	t->finished = 1;
	wait_queue_wake_all_locked(&t->joiners);
	wait_queue_unlock(&t->joiners);
	sched_exit(t);
}

/* A joined thread's memory can be freed once its core has switched away from it for good
 * (sched_switch_finish sets THREAD_SWITCHED_OUT). */
void *thread_join(struct thread *t)
{
	wait_queue_lock(&t->joiners);
	while (!t->finished) {
		wait_queue_sleep(&t->joiners);
		wait_queue_lock(&t->joiners);
	}
	wait_queue_unlock(&t->joiners);
	/* The exiting thread may still be running its last instructions on its core. */
	while (!(__atomic_load_n(&t->release_flags, __ATOMIC_ACQUIRE) & THREAD_SWITCHED_OUT))
		thread_yield();
	void *result = t->result;
	thread_free(t);
	return result;
}

void thread_detach(struct thread *t)
{
	thread_release(t, THREAD_DETACHED);
}
