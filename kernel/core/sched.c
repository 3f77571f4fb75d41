/* The per-core cooperative scheduler. Everything that touches a core's run queue, sleepers or
 * current thread runs on that core with interrupts off; other cores reach it only through its
 * inbox (a lock-free LIFO of threads to make ready) and a wake-up IPI. Idle cores halt until an
 * interrupt (timer, IPI, device). When no thread anywhere can ever run again (none ready,
 * sleeping or waiting for a device) the VM reports "all threads blocked" and exits. */
#include <kernel/sched.h>

#include <kernel/arch.h>
#include <kernel/kernel.h>
#include <kernel/mm.h>
#include <kernel/printk.h>
#include <kernel/string.h>
#include <kernel/time.h>
#include <toro/abi/image.h>
#include <toro/abi/linux.h>

#define STACK_CANARY       0x746f726f2d737461ull /* "ats-orot": bottom of every stack */
#define STACK_CANARY_WORDS 2

struct cpu boot_cpu;
struct cpu *cpus[CPU_MAX]; /* [0] = &boot_cpu, set in sched_init */
unsigned cpu_count = 1;

/* Threads that are ready, running, sleeping or waiting for a device: while it is not zero, some
 * thread can still make progress. */
static int sched_live;
static int next_tid = 1;

static void queue_push(struct thread_queue *q, struct thread *t)
{
	t->next = NULL;
	if (q->tail)
		q->tail->next = t;
	else
		q->head = t;
	q->tail = t;
}

/* wake_armed: 0 not waiting; WAKE_ARMED between sched_prepare_block and the wake;
 * WAKE_ARMED_UNCOUNTED once the thread blocked without a deadline and took itself out of
 * sched_live, so that whoever wakes it puts it back. */
#define WAKE_ARMED           1
#define WAKE_ARMED_UNCOUNTED 2

static int wait_queue_wake_one_locked(struct wait_queue *wq);
static int wait_queue_wake_all_locked(struct wait_queue *wq);

static struct thread *queue_pop(struct thread_queue *q)
{
	struct thread *t = q->head;
	if (t) {
		q->head = t->next;
		if (!q->head)
			q->tail = NULL;
	}
	return t;
}

static void stack_canary_set(struct thread *t)
{
	uint64_t *w = (uint64_t *)t->stack;
	for (int i = 0; i < STACK_CANARY_WORDS; i++)
		w[i] = STACK_CANARY;
}

static __attribute__((noinline, cold)) void stack_overflow(struct thread *t)
{
	panic("stack overflow in thread %d (stack %p, %zu KiB)", t->tid, (void *)t->stack,
	      t->stack_pages * PAGE_SIZE >> 10);
}

static inline __attribute__((always_inline)) void stack_canary_check(struct thread *t)
{
	const uint64_t *w = (const uint64_t *)t->stack;
	if (w && (w[0] != STACK_CANARY || w[STACK_CANARY_WORDS - 1] != STACK_CANARY))
		stack_overflow(t);
}

static void sleepers_insert(struct cpu *c, struct thread *t)
{
	struct thread **link = &c->sleepers;
	while (*link && (*link)->wake_ns <= t->wake_ns)
		link = &(*link)->next;
	t->next = *link;
	*link = t;
}

static void sleepers_remove(struct cpu *c, struct thread *t)
{
	for (struct thread **link = &c->sleepers; *link; link = &(*link)->next) {
		if (*link == t) {
			*link = t->next;
			return;
		}
	}
}

/* Takes every thread other cores handed us, oldest first. Interrupts off. */
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
		if (t->state == THREAD_SLEEPING)
			sleepers_remove(c, t);
		t->state = THREAD_READY;
		if (t != c->current)
			queue_push(&c->ready, t);
	}
}

/* Moves sleepers whose time has come to the run queue. Interrupts off. */
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
				queue_push(&c->ready, t);
		}
	}
}

static void all_blocked(void)
{
	printk("\n*** all threads blocked: nothing can run on any core; stopping\n");
	kernel_exit(TORO_EXIT_DEADLOCK);
}

/* Halts until an interrupt, with the timer armed for the first sleeper. Interrupts off. */
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

#define THREAD_DETACHED     1
#define THREAD_SWITCHED_OUT 2

/* Runs on a core right after it switched away from a thread: a dead thread's stack is no longer
 * in use, so its memory can go, by whoever comes second of this and a detach or join. */
static void inbox_push(struct cpu *owner, struct thread *t)
{
	struct thread *head = __atomic_load_n(&owner->inbox, __ATOMIC_RELAXED);
	do {
		t->inbox_next = head;
	} while (!__atomic_compare_exchange_n(&owner->inbox, &head, t, 1, __ATOMIC_RELEASE,
	                                      __ATOMIC_RELAXED));
	arch_send_wake(owner);
}

static void switch_finish(struct cpu *c)
{
	struct thread *moving = c->migrating;
	if (moving) {
		/* Its context is saved now: the new core may run it. */
		c->migrating = NULL;
		inbox_push(moving->cpu, moving);
	}
	struct thread *dead = c->last_dead;
	if (!dead)
		return;
	c->last_dead = NULL;
	if (dead->unmap_len)
		mm_pages_free((void *)(uintptr_t)dead->unmap_addr,
		              (dead->unmap_len + PAGE_SIZE - 1) / PAGE_SIZE);
	int old = __atomic_fetch_or(&dead->release_flags, THREAD_SWITCHED_OUT, __ATOMIC_ACQ_REL);
	if (old & THREAD_DETACHED)
		mm_pages_free(dead->stack, dead->stack_pages);
}

static struct thread *idle_thread_create(struct cpu *c);

/* The core's idle thread, made the first time the core has nothing to run (a program that never
 * blocks never pays for it). */
static struct thread *idle_thread(struct cpu *c)
{
	if (!c->idle && !(c->idle = idle_thread_create(c)))
		panic("out of memory for core %u's idle thread", c->id);
	return c->idle;
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
		switch_finish(c);
}

/* Picks the next thread and switches to it. The current thread's state says what happens to it:
 * RUNNING (a yield) goes back to the queue, anything else stays off it. Interrupts off. */
static void schedule(void)
{
	struct cpu *c = this_cpu();
	struct thread *prev = c->current, *next;
	/* Every entry to the scheduler checks the running thread's stack (a dead one's no
	 * longer matters): an overflow is reported at the thread's next yield or block. */
	if (prev->state != THREAD_DEAD)
		stack_canary_check(prev);
	if (c->inbox)
		inbox_drain(c);
	sleepers_expire(c);
	int runnable =
	    prev != c->idle && (prev->state == THREAD_RUNNING || prev->state == THREAD_READY);
	next = queue_pop(&c->ready);
	if (!next)
		next = runnable ? prev : idle_thread(c);
	if (next == prev) {
		prev->state = THREAD_RUNNING;
		return;
	}
	if (runnable) {
		prev->state = THREAD_READY;
		queue_push(&c->ready, prev);
	}
	if (prev->state == THREAD_DEAD)
		c->last_dead = prev;
	switch_to(c, prev, next);
}

/* A core's idle thread: runs when nothing else can, halts until an interrupt, and hands the
 * core to whatever became ready. Interrupts off throughout. */
static _Noreturn void idle_loop(void)
{
	struct cpu *c = this_cpu();
	arch_irq_save();
	switch_finish(c);
	for (;;) {
		inbox_drain(c);
		sleepers_expire(c);
		if (c->ready.head)
			schedule();
		else
			idle_wait(c);
	}
}

/* The common case gets a path of its own: another thread of this core is ready and there is
 * nothing in the inbox or the sleepers to look at, so the yielding thread goes to the back of
 * the queue and the first one runs. Everything else takes schedule(). */
void thread_yield(void)
{
	uint64_t flags = arch_irq_save();
	struct cpu *c = this_cpu();
	struct thread *prev = c->current, *next = c->ready.head;
	if (__builtin_expect(!next || c->inbox || c->sleepers || prev == c->idle, 0)) {
		schedule();
	} else {
		stack_canary_check(prev);
		c->ready.head = next->next;
		prev->next = NULL;
		if (c->ready.head)
			c->ready.tail->next = prev;
		else
			c->ready.head = prev;
		c->ready.tail = prev;
		prev->state = THREAD_READY;
		switch_to(c, prev, next);
	}
	arch_irq_restore(flags);
}

void toro_yield(void) __attribute__((alias("thread_yield")));

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
			sleepers_insert(c, t);
		} else {
			t->state = THREAD_BLOCKED;
			int armed = WAKE_ARMED;
			if (!t->io_wait && __atomic_compare_exchange_n(
			                       &t->wake_armed, &armed, WAKE_ARMED_UNCOUNTED, 0,
			                       __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				__atomic_fetch_sub(&sched_live, 1, __ATOMIC_ACQ_REL);
		}
	}
	schedule();
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
	/* Woken by sched_wake: wake_ns was left set and the thread removed from the sleepers by
	 * the waker's core path below; by the timer: wake_ns was cleared. */
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
	if (t->cpu == c) {
		uint64_t flags = arch_irq_save();
		if (t->state == THREAD_SLEEPING)
			sleepers_remove(c, t);
		if (t->state == THREAD_BLOCKED || t->state == THREAD_SLEEPING) {
			t->state = THREAD_READY;
			queue_push(&c->ready, t);
		} else {
			t->state = THREAD_READY; /* still running: it will not block */
		}
		arch_irq_restore(flags);
		return 1;
	}
	/* Another core's thread: its own core moves it (and takes it off its sleepers). */
	inbox_push(t->cpu, t);
	return 1;
}

void thread_sleep_ns(uint64_t ns)
{
	sched_prepare_block(0);
	sched_block_until(time_monotonic_ns() + ns);
}

static void thread_start(void)
{
	struct thread *t = thread_current();
	switch_finish(this_cpu());
	arch_irq_enable();
	thread_exit(t->entry(t->arg));
}

struct thread *thread_create_stopped(unsigned cpu, void *(*entry)(void *), void *arg,
                                     size_t stack_size, int *err)
{
	if (cpu >= cpu_count || !cpus[cpu] || !cpus[cpu]->online) {
		if (err)
			*err = -LINUX_EINVAL;
		return NULL;
	}
	if (stack_size == 0)
		stack_size = THREAD_STACK_DEFAULT;
	size_t pages = (stack_size + sizeof(struct thread) + PAGE_SIZE - 1) / PAGE_SIZE;
	char *mem = mm_pages_alloc(pages);
	if (!mem) {
		if (err)
			*err = -LINUX_ENOMEM;
		return NULL;
	}
	/* The thread structure sits at the top of its own stack allocation. */
	struct thread *t = (struct thread *)(mem + pages * PAGE_SIZE) - 1;
	memset(t, 0, sizeof(*t));
	t->cpu = cpus[cpu];
	t->entry = entry;
	t->arg = arg;
	t->stack = mem;
	t->stack_pages = pages;
	t->tid = __atomic_add_fetch(&next_tid, 1, __ATOMIC_RELAXED);
	t->fs_base = thread_current()->fs_base;
	wait_queue_init(&t->joiners);
	stack_canary_set(t);
	t->rsp = arch_stack_init((uintptr_t)t & ~(uintptr_t)15, thread_start);
	/* A new thread is a blocked one nobody counted yet: the normal wake path (the inbox and an
	 * IPI for another core) makes it ready and counts it. */
	t->state = THREAD_BLOCKED;
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
	arch_irq_save();
	arch_fpu_release(this_cpu(), t, 0);
	__atomic_fetch_sub(&sched_live, 1, __ATOMIC_ACQ_REL);
	t->state = THREAD_DEAD;
	schedule();
	panic("dead thread %d was scheduled", t->tid);
}

/* A joined thread's memory can be freed once its core has switched away from it for good
 * (switch_finish sets THREAD_SWITCHED_OUT). */
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
	mm_pages_free(t->stack, t->stack_pages);
	return result;
}

void thread_detach(struct thread *t)
{
	int old = __atomic_fetch_or(&t->release_flags, THREAD_DETACHED, __ATOMIC_ACQ_REL);
	if (old & THREAD_SWITCHED_OUT)
		mm_pages_free(t->stack, t->stack_pages);
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
	wq->head = wq->tail = NULL;
}

void wait_queue_sleep(struct wait_queue *wq)
{
	struct thread *t = thread_current();
	sched_prepare_block(0);
	t->next = NULL;
	if (wq->tail)
		wq->tail->next = t;
	else
		wq->head = t;
	wq->tail = t;
	wait_queue_unlock(wq);
	sched_block();
}

static int wait_queue_wake_one_locked(struct wait_queue *wq)
{
	while (wq->head) {
		struct thread *t = wq->head;
		wq->head = t->next;
		if (!wq->head)
			wq->tail = NULL;
		if (sched_wake(t))
			return 1;
	}
	return 0;
}

static int wait_queue_wake_all_locked(struct wait_queue *wq)
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

int sched_migrate(unsigned cpu)
{
	if (cpu >= cpu_count || !cpus[cpu] || !cpus[cpu]->online)
		return -LINUX_EINVAL;
	struct cpu *c = this_cpu();
	if (cpus[cpu] == c)
		return 0;
	struct thread *t = c->current;
	uint64_t flags = arch_irq_save();
	arch_fpu_release(c, t, 1);
	/* Off this core's queues; switch_finish hands it over once its context is saved. It stays
	 * counted in sched_live: it is runnable, only in transit. */
	t->state = THREAD_BLOCKED;
	t->cpu = cpus[cpu];
	c->migrating = t;
	schedule();
	arch_irq_restore(flags);
	return 0;
}

static struct thread boot_thread;

#define IDLE_STACK_SIZE (8ul << 10)

static struct thread *idle_thread_create(struct cpu *c)
{
	char *mem = mm_pages_alloc(IDLE_STACK_SIZE / PAGE_SIZE);
	if (!mem)
		return NULL;
	struct thread *t = (struct thread *)(mem + IDLE_STACK_SIZE) - 1;
	memset(t, 0, sizeof(*t));
	t->cpu = c;
	t->state = THREAD_BLOCKED;
	t->stack = mem;
	t->stack_pages = IDLE_STACK_SIZE / PAGE_SIZE;
	stack_canary_set(t);
	t->rsp = arch_stack_init((uintptr_t)t & ~(uintptr_t)15, idle_loop);
	return t;
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
	wait_queue_init(&t->joiners);
	stack_canary_set(t);
	c->current = t;
	/* No thread owns the FPU yet, not even this one: its first FP instruction traps and loads
	 * the initial state (the reset values). Until some thread uses FP, switches never have to
	 * touch CR0 (integer-only programs never do). */
	c->fpu_owner = NULL;
	arch_fpu_switch(c, t);
	sched_live = 1;
}

/* An application processor's boot context: a thread that is never ready, so the core idles in
 * schedule() until another core gives it work. */
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
