/* Threads and the per-core cooperative scheduler. A thread runs until it blocks, yields, sleeps
 * or exits; it is never preempted and never moves between cores by itself. Each core's run queue
 * is touched only by that core; other cores hand it threads through its inbox plus an IPI. */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include <kernel/cpu.h>
#include <kernel/spinlock.h>

enum thread_state {
	THREAD_READY = 1,
	THREAD_RUNNING,
	THREAD_BLOCKED, /* waiting for sched_wake */
	THREAD_SLEEPING,
	THREAD_DEAD,
};

#define THREAD_STACK_DEFAULT (64ul << 10)

struct wait_queue {
	struct spinlock lock;
	uint64_t irq_flags; /* the holder's interrupt flag, restored on unlock */
	struct thread_queue waiters;
};

/* A POSIX thread's signal state (kernel/sys/signal.c; untouched in native images). Bit n - 1
 * stands for signal n. */
struct thread_signals {
	uint64_t blocked;
	uint64_t pending;       /* sent to this thread (tkill, tgkill, faults) */
	uint64_t altstack_sp;   /* sigaltstack: base and size, 0 when none */
	uint64_t altstack_size;
	int interruptible;      /* in a wait a signal ends (pause, sleeps, futex waits) */
	struct thread *next;    /* the process's threads, for tid look-ups and process signals */
};

struct thread {
	uint64_t rsp; /* saved by arch_switch; first field */
	struct cpu *cpu;
	enum thread_state state;
	unsigned id;
	struct thread *next;       /* run queue, sleep list or wait queue */
	struct thread *inbox_next; /* link in another core's inbox */
	uint64_t wake_ns;          /* sleepers: when to wake */
	int wake_armed;            /* 1 while a sched_wake may make this thread ready */
	int io_wait;               /* blocked on a device: not a deadlock */
	void *(*entry)(void *);
	void *arg;
	void *result;
	char *stack; /* lowest address of the stack allocation */
	size_t stack_pages;
	int release_flags; /* THREAD_DETACHED, THREAD_SWITCHED_OUT (core/sched_private.h) */
	int finished;
	struct wait_queue joiners;
	uint64_t fs_base; /* TLS pointer of POSIX threads */
	int tid;
	uint64_t clear_child_tid; /* POSIX: zeroed and futex-woken when the thread exits */
	uint64_t unmap_addr;      /* POSIX: its own stack, unmapped once it is off it */
	uint64_t unmap_len;
	struct thread_signals sig;
	int fpu_valid; /* fpu_area holds this thread's saved FP/SSE state */
	uint8_t fpu_area[512] __attribute__((aligned(16))); /* FXSAVE image */
	struct thread *gdb_next; /* the gdb stub's list of every thread (kernel/gdb/threads.c) */
};

/* Boot: turns the running boot context into core 0's first thread, whose stack is
 * [stack, stack + size) (the stack it is about to switch to). */
void sched_init(void *stack, size_t size);

/* Runs on every application processor once it is up: becomes that core's idle context. */
_Noreturn void sched_ap_main(void);

/* Creates a thread on core cpu running entry(arg). Returns NULL (errno-style code in *err if
 * given) when memory runs out or cpu does not exist. */
struct thread *thread_create(unsigned cpu, void *(*entry)(void *), void *arg, size_t stack_size,
                             int *err);
/* thread_create in two steps, for a creator that must finish setting the thread up (its TLS,
 * ids written to memory) before it may run anywhere. */
struct thread *thread_create_stopped(unsigned cpu, void *(*entry)(void *), void *arg,
                                     size_t stack_size, int *err);
void thread_start_new(struct thread *t);
void thread_yield(void);
void thread_sleep_ns(uint64_t ns);
/* Waits for t to finish and returns its result; frees it. Only one join per thread. */
void *thread_join(struct thread *t);
void thread_detach(struct thread *t);

/* Makes the lowest page of t's stack an unmapped guard page, so an overflow faults at once
 * instead of running into the memory below (kernel/core/stack.c). 0 or -errno. */
int thread_stack_guard(struct thread *t);
_Noreturn void thread_exit(void *result);

static inline struct thread *thread_current(void)
{
	return this_cpu()->current;
}

/* Blocks the current thread until sched_wake. The caller sets things up so that a wake cannot
 * be missed: call sched_prepare_block() first (with whatever lock protects the condition held),
 * publish the thread where a waker will find it, drop the lock, then sched_block(). */
void sched_prepare_block(int io_wait);
void sched_block(void);
/* Blocks until woken or until deadline_ns (monotonic); returns 1 if the deadline passed. */
int sched_block_until(uint64_t deadline_ns);
/* Makes t ready (on its own core; through its inbox and an IPI when that is another core).
 * Safe from interrupt handlers. Returns 0 if t was not waiting (the wake is dropped). */
int sched_wake(struct thread *t);

/* Wait queues, which interrupt handlers may wake. Check the condition under wait_queue_lock;
 * wait_queue_sleep is called with the lock held and returns without it. */
void wait_queue_init(struct wait_queue *wq);
void wait_queue_lock(struct wait_queue *wq);
void wait_queue_unlock(struct wait_queue *wq);
void wait_queue_sleep(struct wait_queue *wq);
/* The same, counted as waiting for a device (not "all threads blocked"): input may still come. */
void wait_queue_sleep_io(struct wait_queue *wq);
int wait_queue_wake_one(struct wait_queue *wq);
int wait_queue_wake_all(struct wait_queue *wq);

/* Moves the calling thread to core cpu; returns when it runs there (0), or -EINVAL. */
int sched_migrate(unsigned cpu);


#endif
