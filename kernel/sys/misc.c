/* Time and randomness system calls. */
#include "syscall.h"

#include <kernel/arch.h>
#include <kernel/time.h>
#include <toro/abi/linux.h>

#define NSEC_PER_SEC    1000000000ull
#define GETRANDOM_FLAGS (LINUX_GRND_NONBLOCK | LINUX_GRND_RANDOM | LINUX_GRND_INSECURE)

long sys_clock_gettime(const struct syscall_args *a)
{
	uint64_t ns;
	switch (a->arg[0]) {
	case LINUX_CLOCK_REALTIME:
	case LINUX_CLOCK_REALTIME_COARSE:
		ns = time_realtime_ns();
		break;
	case LINUX_CLOCK_MONOTONIC:
	case LINUX_CLOCK_MONOTONIC_RAW:
	case LINUX_CLOCK_MONOTONIC_COARSE:
	case LINUX_CLOCK_BOOTTIME:
	case LINUX_CLOCK_PROCESS_CPUTIME_ID:
	case LINUX_CLOCK_THREAD_CPUTIME_ID:
		ns = time_monotonic_ns();
		break;
	default:
		return -LINUX_EINVAL;
	}
	if (!sys_range_ok(a->arg[1], sizeof(struct linux_timespec)))
		return -LINUX_EFAULT;
	struct linux_timespec *ts = (void *)(uintptr_t)a->arg[1];
	ts->tv_sec = (int64_t)(ns / NSEC_PER_SEC);
	ts->tv_nsec = (int64_t)(ns % NSEC_PER_SEC);
	return 0;
}

long sys_getrandom(const struct syscall_args *a)
{
	uint64_t buf = a->arg[0], len = a->arg[1];
	if (a->arg[2] & ~(uint64_t)GETRANDOM_FLAGS)
		return -LINUX_EINVAL;
	if (len == 0)
		return 0;
	if (!sys_range_ok(buf, len))
		return -LINUX_EFAULT;
	arch_random((void *)(uintptr_t)buf, len);
	return (long)len;
}
