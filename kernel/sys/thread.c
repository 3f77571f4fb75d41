/* POSIX threads: clone with thread flags, thread and process exit, thread ids, affinity (which
 * moves the thread to that core), yield and sleep. Every clone() thread is a kernel thread whose
 * first act is to return from the system call on its new stack, as on Linux. */
#include "syscall.h"
#include "signal.h"

#include <kernel/fd.h>
#include <kernel/kernel.h>
#include <kernel/sched.h>
#include <kernel/string.h>
#include <kernel/time.h>
#include <toro/abi/linux.h>
#include <toro/memory.h>

#define CLONE_THREAD_FLAGS                                                                         \
	(LINUX_CLONE_VM | LINUX_CLONE_FS | LINUX_CLONE_FILES | LINUX_CLONE_SIGHAND |               \
	 LINUX_CLONE_THREAD)
#define CLONE_KNOWN_FLAGS                                                                          \
	(CLONE_THREAD_FLAGS | LINUX_CLONE_SYSVSEM | LINUX_CLONE_SETTLS |                           \
	 LINUX_CLONE_PARENT_SETTID | LINUX_CLONE_CHILD_CLEARTID | LINUX_CLONE_DETACHED |           \
	 LINUX_CLONE_CHILD_SETTID)
#define CLONE_KERNEL_STACK (8ul << 10) /* only until the child is on its own stack */
#define AFFINITY_BYTES     (CPU_MAX / 8)

/* Threads of the process still running: the last one to exit ends the VM. Only a thread of the
 * process adds one (clone), so the one thread that reads 1 knows no other runs until it clones. */
int posix_threads = 1;

/* New threads go to the cores in turn, so that a program's threads run in parallel as it
 * expects on Linux; sched_setaffinity moves one where the program wants it. */
static unsigned clone_next_core = 1;

static unsigned clone_pick_core(void)
{
	return __atomic_fetch_add(&clone_next_core, 1, __ATOMIC_RELAXED) % cpu_count;
}

struct clone_start {
	struct syscall_args frame;
	uint64_t stack;
};

static void *clone_child(void *arg)
{
	struct clone_start *cs = arg;
	/* The parent's frame, moved to the child's stack as syscall_entry would have left it. */
	uint64_t sp = cs->stack - SYSCALL_RED_ZONE - sizeof(struct syscall_args);
	sp &= ~(uint64_t)7;
	struct syscall_args *frame = (struct syscall_args *)sp;
	memcpy(frame, &cs->frame, sizeof(*frame));
	toro_free(cs);
	arch_syscall_return(frame, 0);
}

long sys_clone(const struct syscall_args *a)
{
	uint64_t flags = a->arg[0], stack = a->arg[1], ptid = a->arg[2], ctid = a->arg[3];
	uint64_t tls = a->arg[4];
	/* A new process (musl's posix_spawn, so system() and popen(), clones one) is ENOSYS, as
	 * fork and vfork are: one process, one address space. */
	if (!(flags & LINUX_CLONE_THREAD))
		return -LINUX_ENOSYS;
	if ((flags & CLONE_THREAD_FLAGS) != CLONE_THREAD_FLAGS)
		return -LINUX_EINVAL;
	if ((flags & ~(CLONE_KNOWN_FLAGS | 0xff)) || stack == 0)
		return -LINUX_EINVAL;
	if ((flags & LINUX_CLONE_PARENT_SETTID) && !sys_range_writable(ptid, sizeof(int)))
		return -LINUX_EFAULT;
	if ((flags & (LINUX_CLONE_CHILD_CLEARTID | LINUX_CLONE_CHILD_SETTID)) &&
	    !sys_range_writable(ctid, sizeof(int)))
		return -LINUX_EFAULT;
	struct clone_start *cs = toro_malloc(sizeof(*cs));
	if (!cs)
		return -LINUX_ENOMEM;
	cs->frame = *a;
	cs->stack = stack; /* exactly: musl left the thread argument at this address */
	int err = 0;
	struct thread *t =
	    thread_create_stopped(clone_pick_core(), clone_child, cs, CLONE_KERNEL_STACK, &err);
	if (!t) {
		toro_free(cs);
		return err;
	}
	/* Everything is set before the thread may run (on another core, at once): musl reads the
	 * tid the parent-settid write gives it in both threads. Nobody joins kernel threads of
	 * POSIX programs: they free themselves on exit. */
	thread_detach(t);
	if (flags & LINUX_CLONE_SETTLS)
		t->fs_base = tls;
	if (flags & LINUX_CLONE_CHILD_CLEARTID)
		t->clear_child_tid = ctid;
	/* Checked above; a fault now would leave a started thread behind, so it is ignored as
	 * Linux ignores it. */
	int child_tid = t->tid;
	if (flags & LINUX_CLONE_CHILD_SETTID)
		(void)copy_to_user(ctid, &child_tid, sizeof(child_tid));
	if (flags & LINUX_CLONE_PARENT_SETTID)
		(void)copy_to_user(ptid, &child_tid, sizeof(child_tid));
	__atomic_fetch_add(&posix_threads, 1, __ATOMIC_ACQ_REL);
	int tid = t->tid;
	signal_thread_add(t);
	thread_start_new(t); /* t may run, and exit, from here on */
	return tid;
}

long sys_exit_thread(const struct syscall_args *a)
{
	struct thread *t = thread_current();
	if (__atomic_sub_fetch(&posix_threads, 1, __ATOMIC_ACQ_REL) == 0)
		kernel_exit((int)a->arg[0]);
	signal_thread_remove(t);
	/* The wake's lock orders the store before the waiter's load. */
	static const int zero;
	if (t->clear_child_tid && copy_to_user(t->clear_child_tid, &zero, sizeof(zero)) == 0)
		futex_wake_address(t->clear_child_tid, 1);
	thread_exit(NULL);
}

long sys_exit_group(const struct syscall_args *a)
{
	kernel_exit((int)a->arg[0]);
}

long sys_gettid(const struct syscall_args *a)
{
	(void)a;
	return thread_current()->tid;
}

long sys_set_tid_address(const struct syscall_args *a)
{
	thread_current()->clear_child_tid = a->arg[0];
	return thread_current()->tid;
}

long sys_set_robust_list(const struct syscall_args *a)
{
	/* Robust futexes matter when a thread dies holding a lock; threads here only exit. */
	return a->arg[1] == 3 * sizeof(uint64_t) ? 0 : -LINUX_EINVAL;
}

long sys_sched_yield(const struct syscall_args *a)
{
	(void)a;
	thread_yield();
	return 0;
}

/* Only the calling thread (tid 0 or its own) can be asked about or moved. */
static int is_self(uint64_t tid)
{
	return tid == 0 || (int)tid == thread_current()->tid;
}

long sys_sched_getaffinity(const struct syscall_args *a)
{
	uint64_t size = a->arg[1], mask = a->arg[2];
	if (!is_self(a->arg[0]))
		return -LINUX_ESRCH;
	if (size < sizeof(uint64_t) || (size & 7))
		return -LINUX_EINVAL;
	if (size > AFFINITY_BYTES)
		size = AFFINITY_BYTES;
	uint8_t m[AFFINITY_BYTES] = {0};
	/* Every core is allowed: the thread can be moved to any of them. */
	for (unsigned i = 0; i < cpu_count; i++)
		m[i / 8] |= (uint8_t)(1u << (i % 8));
	if (copy_to_user(mask, m, size))
		return -LINUX_EFAULT;
	return (long)size;
}

/* Moves the thread to the lowest core in the mask, as Linux would run it there. */
long sys_sched_setaffinity(const struct syscall_args *a)
{
	uint64_t size = a->arg[1], mask = a->arg[2];
	if (!is_self(a->arg[0]))
		return -LINUX_ESRCH;
	uint8_t m[AFFINITY_BYTES] = {0};
	if (size == 0)
		return -LINUX_EFAULT;
	if (copy_from_user(m, mask, size < AFFINITY_BYTES ? size : AFFINITY_BYTES))
		return -LINUX_EFAULT;
	for (unsigned i = 0; i < cpu_count && i / 8 < size && i / 8 < AFFINITY_BYTES; i++)
		if (m[i / 8] & (1u << (i % 8)))
			return sched_migrate(i);
	return -LINUX_EINVAL;
}

/* Sleeps until deadline, or until a signal comes first: -EINTR, with the time that was left
 * written to rem when it is given (the relative sleeps). */
static long sleep_until(uint64_t deadline, uint64_t rem)
{
	sched_prepare_block(0);
	signal_wait_begin();
	sched_block_until(deadline);
	uint64_t now = time_monotonic_ns();
	if (!signal_wait_end() || now >= deadline)
		return 0;
	struct linux_timespec left = {.tv_sec = (int64_t)((deadline - now) / NSEC_PER_SEC),
	                              .tv_nsec = (int64_t)((deadline - now) % NSEC_PER_SEC)};
	if (rem && copy_to_user(rem, &left, sizeof(left)))
		return -LINUX_EFAULT;
	return -LINUX_EINTR;
}

long sys_nanosleep(const struct syscall_args *a)
{
	uint64_t ns;
	int err = sys_timespec_ns(a->arg[0], &ns);
	if (err)
		return err;
	return sleep_until(sys_deadline(ns, 0, 0), a->arg[1]);
}

long sys_clock_nanosleep(const struct syscall_args *a)
{
	uint64_t clock = a->arg[0], flags = a->arg[1], ns;
	int err = sys_timespec_ns(a->arg[2], &ns);
	if (err)
		return err;
	if (clock != LINUX_CLOCK_MONOTONIC && clock != LINUX_CLOCK_REALTIME &&
	    clock != LINUX_CLOCK_BOOTTIME)
		return -LINUX_EINVAL;
	int absolute = (flags & LINUX_TIMER_ABSTIME) != 0;
	return sleep_until(sys_deadline(ns, absolute, clock == LINUX_CLOCK_REALTIME),
	                   absolute ? 0 : a->arg[3]);
}

long sys_getcpu(const struct syscall_args *a)
{
	uint64_t cpu = a->arg[0], node = a->arg[1];
	unsigned id = this_cpu()->id, zero = 0;
	if (cpu && copy_to_user(cpu, &id, sizeof(id)))
		return -LINUX_EFAULT;
	if (node && copy_to_user(node, &zero, sizeof(zero)))
		return -LINUX_EFAULT;
	return 0;
}
