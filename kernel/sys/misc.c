/* Time and randomness system calls, and what the rest of the layer shares of them: timespecs
 * and deadlines, and the stat of an anonymous inode. */
#include "syscall.h"

#include <kernel/arch.h>
#include <kernel/file.h>
#include <kernel/time.h>
#include <toro/abi/linux.h>

#define GETRANDOM_FLAGS (LINUX_GRND_NONBLOCK | LINUX_GRND_RANDOM | LINUX_GRND_INSECURE)

int sys_timespec_ns(uint64_t p, uint64_t *ns)
{
	struct linux_timespec ts;
	if (copy_from_user(&ts, p, sizeof(ts)))
		return -LINUX_EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (int64_t)NSEC_PER_SEC)
		return -LINUX_EINVAL;
	*ns = (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
	return 0;
}

int sys_anon_stat(struct file *f, struct file_stat *st)
{
	(void)f;
	st->mode = 0600;
	return 0;
}

uint64_t sys_deadline(uint64_t ns, int absolute, int realtime)
{
	uint64_t deadline;
	if (!absolute) {
		deadline = time_monotonic_ns() + ns;
	} else if (realtime) {
		uint64_t now = time_realtime_ns();
		deadline = ns > now ? time_monotonic_ns() + (ns - now) : 0;
	} else {
		deadline = ns;
	}
	return deadline ? deadline : 1; /* 0 means "no deadline" to the scheduler */
}

long sys_timeout_deadline(uint64_t p, int absolute, int realtime, uint64_t *deadline, int *zero)
{
	*deadline = 0;
	if (zero)
		*zero = 0;
	if (!p)
		return 0;
	uint64_t ns;
	int err = sys_timespec_ns(p, &ns);
	if (err)
		return err;
	if (zero)
		*zero = ns == 0;
	*deadline = sys_deadline(ns, absolute, realtime);
	return 0;
}

/* The clock's time now, or -EINVAL for a clock Linux has and this kernel does not. The CPU-time
 * clocks read the monotonic clock: a core runs one thread until it blocks or yields. */
static long clock_now(uint64_t clock, uint64_t *ns)
{
	switch (clock) {
	case LINUX_CLOCK_REALTIME:
	case LINUX_CLOCK_REALTIME_COARSE:
		*ns = time_realtime_ns();
		return 0;
	case LINUX_CLOCK_MONOTONIC:
	case LINUX_CLOCK_MONOTONIC_RAW:
	case LINUX_CLOCK_MONOTONIC_COARSE:
	case LINUX_CLOCK_BOOTTIME:
	case LINUX_CLOCK_PROCESS_CPUTIME_ID:
	case LINUX_CLOCK_THREAD_CPUTIME_ID:
		*ns = time_monotonic_ns();
		return 0;
	default:
		return -LINUX_EINVAL;
	}
}

long sys_clock_gettime(const struct syscall_args *a)
{
	uint64_t ns;
	long err = clock_now(a->arg[0], &ns);
	if (err)
		return err;
	struct linux_timespec ts = {(int64_t)(ns / NSEC_PER_SEC), (int64_t)(ns % NSEC_PER_SEC)};
	return copy_to_user(a->arg[1], &ts, sizeof(ts));
}

/* Every clock here is read from the TSC in nanoseconds: 1 ns, as Linux says of its
 * high-resolution clocks (the coarse ones too, which here are as fine as the others). */
long sys_clock_getres(const struct syscall_args *a)
{
	uint64_t ns;
	long err = clock_now(a->arg[0], &ns);
	if (err)
		return err;
	struct linux_timespec res = {0, 1};
	return a->arg[1] ? copy_to_user(a->arg[1], &res, sizeof(res)) : 0;
}

long sys_getrandom(const struct syscall_args *a)
{
	uint64_t buf = a->arg[0], len = a->arg[1];
	if (a->arg[2] & ~(uint64_t)GETRANDOM_FLAGS)
		return -LINUX_EINVAL;
	if (len == 0)
		return 0;
	/* Generated in kernel memory a chunk at a time, so that a bad buffer faults in the copy. */
	uint8_t chunk[256];
	for (uint64_t done = 0; done < len;) {
		size_t n = len - done < sizeof(chunk) ? len - done : sizeof(chunk);
		arch_random(chunk, n);
		if (copy_to_user(buf + done, chunk, n))
			return done ? (long)done : -LINUX_EFAULT;
		done += n;
	}
	return (long)len;
}
