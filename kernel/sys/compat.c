/* The optional group `compat` (kernel/sys/syscall_groups.h): calls musl issues only through its
 * wrappers of the same names, and glibc-built programs (run --exec) make on their own: the fixed
 * identity's process group, session and supplementary groups, prctl's process name, the clocks
 * glibc reads by system call for want of a vDSO, and mlock, mincore and the like, which have
 * little to do where every page is resident. A POSIX image that calls none of those wrappers
 * links none of this. */
#include "syscall.h"

#include <kernel/mm.h>
#include <kernel/string.h>
#include <kernel/time.h>
#include <toro/abi/linux.h>

#define TORO_PID 1

#define MLOCK_ONFAULT 1
#define MCL_CURRENT   1
#define MCL_FUTURE    2
#define MCL_ONFAULT   4

/* The identity is fixed: root, in no supplementary group, the leader of its own process group and
 * session (the one process). */
long sys_getgroups(const struct syscall_args *a)
{
	(void)a;
	return 0;
}

long sys_getresuid(const struct syscall_args *a)
{
	uint32_t zero = 0;
	for (int i = 0; i < 3; i++)
		if (copy_to_user(a->arg[i], &zero, sizeof(zero)))
			return -LINUX_EFAULT;
	return 0;
}

long sys_getpgid(const struct syscall_args *a)
{
	return a->arg[0] == 0 || a->arg[0] == TORO_PID ? TORO_PID : -LINUX_ESRCH;
}

/* The name PR_SET_NAME gives and PR_GET_NAME reads: one for the process (Linux keeps one per
 * thread), at first the program's name (process_start, kernel/app/process.c, which refers to
 * sys_process_name_set weakly: an image without this group has no name to keep). */
static char process_name[LINUX_TASK_COMM_LEN];

void sys_process_name_set(const char *name)
{
	const char *base = name;
	for (const char *p = name; *p; p++)
		if (*p == '/')
			base = p + 1;
	size_t n = strlen(base);
	if (n >= sizeof(process_name))
		n = sizeof(process_name) - 1;
	memcpy(process_name, base, n);
	process_name[n] = '\0';
}

long sys_prctl(const struct syscall_args *a)
{
	char name[LINUX_TASK_COMM_LEN];
	switch (a->arg[0]) {
	case LINUX_PR_SET_NAME:
		/* Up to 15 bytes are taken, as Linux does, so the string may end past them. */
		for (size_t i = 0; i < sizeof(name); i++) {
			if (copy_from_user(&name[i], a->arg[1] + i, 1))
				return -LINUX_EFAULT;
			if (!name[i])
				break;
		}
		name[sizeof(name) - 1] = '\0';
		memcpy(process_name, name, sizeof(name));
		return 0;
	case LINUX_PR_GET_NAME:
		return copy_to_user(a->arg[1], process_name, sizeof(process_name));
	default:
		return -LINUX_EINVAL; /* no other process attribute can be set or read here */
	}
}

/* What the vDSO answers on Linux: programs without a vDSO (static glibc ones) make the calls. */
long sys_gettimeofday(const struct syscall_args *a)
{
	uint64_t ns = time_realtime_ns();
	struct linux_timeval tv = {(int64_t)(ns / NSEC_PER_SEC),
	                           (int64_t)(ns % NSEC_PER_SEC / NSEC_PER_USEC)};
	if (a->arg[0] && copy_to_user(a->arg[0], &tv, sizeof(tv)))
		return -LINUX_EFAULT;
	/* The time zone is obsolete; Linux's is zeros unless set, and nothing sets it here. */
	if (a->arg[1] && clear_user(a->arg[1], 2 * sizeof(int32_t)))
		return -LINUX_EFAULT;
	return 0;
}

long sys_time(const struct syscall_args *a)
{
	int64_t now = (int64_t)(time_realtime_ns() / NSEC_PER_SEC);
	if (a->arg[0] && copy_to_user(a->arg[0], &now, sizeof(now)))
		return -LINUX_EFAULT;
	return now;
}

/* --- Memory residency: every page is in RAM and stays there (nothing is swapped), so locking
 * changes nothing; the calls check what they are given, as Linux does. All RAM is mapped
 * (kernel/sys/memory.c), so a range counts as mapped if it is RAM the program may name: pages it
 * unmapped are not told apart from the rest. --- */

/* [addr, addr + len), widened to whole pages, memory the program may name (sys_range_ok): its
 * first page in *start and the page count in *pages. -ENOMEM otherwise, Linux's answer for a
 * range that is not all mapped. */
static long pages_present(uint64_t addr, uint64_t len, uint64_t *start, uint64_t *pages)
{
	*start = addr & ~(uint64_t)(PAGE_SIZE - 1);
	*pages = 0;
	if (len == 0)
		return 0;
	if (addr + len < addr || addr + len > UINT64_MAX - PAGE_SIZE)
		return -LINUX_ENOMEM;
	uint64_t end = (addr + len + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
	if (!sys_range_ok(*start, end - *start))
		return -LINUX_ENOMEM;
	*pages = (end - *start) / PAGE_SIZE;
	return 0;
}

/* mlock and munlock. */
long sys_mlock(const struct syscall_args *a)
{
	uint64_t start, pages;
	return pages_present(a->arg[0], a->arg[1], &start, &pages);
}

long sys_mlock2(const struct syscall_args *a)
{
	if (a->arg[2] & ~(uint64_t)MLOCK_ONFAULT)
		return -LINUX_EINVAL;
	return sys_mlock(a);
}

long sys_mlockall(const struct syscall_args *a)
{
	uint64_t flags = a->arg[0];
	if (!flags || (flags & ~(uint64_t)(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) ||
	    flags == MCL_ONFAULT)
		return -LINUX_EINVAL;
	return 0;
}

long sys_munlockall(const struct syscall_args *a)
{
	(void)a;
	return 0;
}

/* Every page of the range is resident: a 1 for each in the program's vector. */
long sys_mincore(const struct syscall_args *a)
{
	uint64_t start, pages;
	if (a->arg[0] & (PAGE_SIZE - 1))
		return -LINUX_EINVAL;
	long err = pages_present(a->arg[0], a->arg[1], &start, &pages);
	if (err)
		return err;
	uint8_t ones[64];
	memset(ones, 1, sizeof(ones));
	for (uint64_t done = 0; done < pages;) {
		uint64_t n = pages - done < sizeof(ones) ? pages - done : sizeof(ones);
		if (copy_to_user(a->arg[2] + done, ones, n))
			return -LINUX_EFAULT;
		done += n;
	}
	return 0;
}
