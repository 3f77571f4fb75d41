/* Resources and the process's bookkeeping: sysinfo, getrlimit/setrlimit/prlimit64, getrusage,
 * times, umask, and the process calls a single-process kernel refuses (fork, vfork, execve,
 * wait4). Figures come from the page allocator, the clock and the descriptor table's size. */
#include "syscall.h"

#include <kernel/fd.h>
#include <kernel/kernel.h>
#include <kernel/mm.h>
#include <kernel/spinlock.h>
#include <kernel/time.h>
#include <toro/abi/linux.h>

#define UMASK_DEFAULT 022
#define UMASK_BITS    0777

long sys_sysinfo(const struct syscall_args *a)
{
	struct mm_stats s;
	mm_get_stats(&s);
	/* mem_unit 1: sizes in bytes, as Linux reports them when they fit (they always do in 64
	 * bits); musl's sysconf(_SC_PHYS_PAGES) divides totalram by the page size. */
	struct linux_sysinfo info = {
	    .uptime = (int64_t)(time_monotonic_ns() / NSEC_PER_SEC),
	    .totalram = s.total_pages * PAGE_SIZE,
	    .freeram = s.free_pages * PAGE_SIZE,
	    .procs = 1,
	    .mem_unit = 1,
	};
	return copy_to_user(a->arg[0], &info, sizeof(info));
}

/* The limits, one process's worth. Only the stack and descriptor limits mean something; the
 * others are unlimited. A program may lower a limit (it is then reported back) but never raise
 * the hard limit: nothing here enforces the soft limits below what the kernel has. */
static struct {
	struct spinlock lock;
	int ready;
	struct linux_rlimit limits[LINUX_RLIM_NLIMITS];
} rlimits;

/* With the lock held. */
static void rlimits_init(void)
{
	if (rlimits.ready)
		return;
	for (unsigned i = 0; i < LINUX_RLIM_NLIMITS; i++)
		rlimits.limits[i] = (struct linux_rlimit){LINUX_RLIM_INFINITY, LINUX_RLIM_INFINITY};
	rlimits.limits[LINUX_RLIMIT_STACK] =
	    (struct linux_rlimit){kernel_app_stack_size, kernel_app_stack_size};
	rlimits.limits[LINUX_RLIMIT_NOFILE] = (struct linux_rlimit){FD_MAX, FD_MAX};
	rlimits.ready = 1;
}

/* Reads the old limit into *old (if old) and sets *new (if new): 0 or -errno. */
static long rlimit_exchange(uint64_t resource, const struct linux_rlimit *new,
                            struct linux_rlimit *old)
{
	if (resource >= LINUX_RLIM_NLIMITS)
		return -LINUX_EINVAL;
	if (new && new->rlim_cur > new->rlim_max)
		return -LINUX_EINVAL;
	long rc = 0;
	spin_lock(&rlimits.lock);
	rlimits_init();
	struct linux_rlimit *cur = &rlimits.limits[resource];
	if (old)
		*old = *cur;
	if (new && new->rlim_max > cur->rlim_max)
		rc = -LINUX_EPERM;
	else if (new)
		*cur = *new;
	spin_unlock(&rlimits.lock);
	return rc;
}

long sys_getrlimit(const struct syscall_args *a)
{
	struct linux_rlimit old;
	long rc = rlimit_exchange(a->arg[0], NULL, &old);
	if (rc)
		return rc;
	return copy_to_user(a->arg[1], &old, sizeof(old));
}

long sys_setrlimit(const struct syscall_args *a)
{
	struct linux_rlimit new;
	if (copy_from_user(&new, a->arg[1], sizeof(new)))
		return -LINUX_EFAULT;
	return rlimit_exchange(a->arg[0], &new, NULL);
}

/* prlimit64(pid, resource, new, old): pid 0 or 1 is this process; there is no other. */
long sys_prlimit64(const struct syscall_args *a)
{
	uint64_t pid = a->arg[0], unew = a->arg[2], uold = a->arg[3];
	if (pid != 0 && pid != 1)
		return -LINUX_ESRCH;
	struct linux_rlimit new, old;
	if (unew && copy_from_user(&new, unew, sizeof(new)))
		return -LINUX_EFAULT;
	if (uold && !sys_range_writable(uold, sizeof(old)))
		return -LINUX_EFAULT;
	long rc = rlimit_exchange(a->arg[1], unew ? &new : NULL, &old);
	if (rc)
		return rc;
	return uold ? copy_to_user(uold, &old, sizeof(old)) : 0;
}

/* All time since boot counts as the process's user time: there is no other process, and the
 * kernel does not tell its own time apart. */
long sys_getrusage(const struct syscall_args *a)
{
	int64_t who = (int64_t)a->arg[0];
	if (who != LINUX_RUSAGE_SELF && who != LINUX_RUSAGE_CHILDREN && who != LINUX_RUSAGE_THREAD)
		return -LINUX_EINVAL;
	struct linux_rusage ru = {0};
	if (who != LINUX_RUSAGE_CHILDREN) {
		uint64_t ns = time_monotonic_ns();
		ru.ru_utime.tv_sec = (int64_t)(ns / NSEC_PER_SEC);
		ru.ru_utime.tv_usec = (int64_t)(ns % NSEC_PER_SEC / NSEC_PER_USEC);
	}
	return copy_to_user(a->arg[1], &ru, sizeof(ru));
}

/* The return value is the clock in ticks since boot, as Linux counts it (from an arbitrary
 * point): a NULL buffer is allowed. */
long sys_times(const struct syscall_args *a)
{
	int64_t ticks = (int64_t)(time_monotonic_ns() / (NSEC_PER_SEC / LINUX_USER_HZ));
	struct linux_tms t = {.tms_utime = ticks};
	if (a->arg[0] && copy_to_user(a->arg[0], &t, sizeof(t)))
		return -LINUX_EFAULT;
	return ticks;
}

/* What umask set: the file calls (kernel/sys/fs.c) clear these bits from a created file's mode. */
static unsigned umask_value = UMASK_DEFAULT;

unsigned sys_umask_value(void)
{
	return __atomic_load_n(&umask_value, __ATOMIC_RELAXED);
}

long sys_umask(const struct syscall_args *a)
{
	return __atomic_exchange_n(&umask_value, (unsigned)a->arg[0] & UMASK_BITS,
	                           __ATOMIC_RELAXED);
}

/* One process: there is no second address space to fork into, no program loader, and no child
 * to wait for. Answered without the "not implemented" report, since the answer is final. */
long sys_one_process(const struct syscall_args *a)
{
	(void)a;
	return -LINUX_ENOSYS;
}
