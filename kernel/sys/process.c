/* Process and identity system calls. A POSIX image is one process (pid 1) whose main thread has
 * tid 1; signals are accepted and never delivered. */
#include "syscall.h"

#include <kernel/arch.h>
#include <kernel/kernel.h>
#include <kernel/sched.h>
#include <kernel/string.h>
#include <toro/abi/linux.h>

#define TORO_PID                    1
#define SIGSET_MAX_SIZE             128
#define KSIGACTION_SIZE(sigsetsize) (3 * 8 + (sigsetsize))

long sys_getpid(const struct syscall_args *a)
{
	(void)a;
	return TORO_PID;
}

long sys_getppid(const struct syscall_args *a)
{
	(void)a;
	return 0;
}

long sys_getuid(const struct syscall_args *a)
{
	(void)a;
	return 0;
}

long sys_arch_prctl(const struct syscall_args *a)
{
	switch (a->arg[0]) {
	case LINUX_ARCH_SET_FS:
		/* Per thread: the scheduler loads it on every switch. */
		thread_current()->fs_base = a->arg[1];
		arch_set_fs_base(a->arg[1]);
		return 0;
	case LINUX_ARCH_GET_FS:
		if (!sys_range_ok(a->arg[1], sizeof(uint64_t)))
			return -LINUX_EFAULT;
		*(uint64_t *)(uintptr_t)a->arg[1] = thread_current()->fs_base;
		return 0;
	case LINUX_ARCH_SET_GS:
	case LINUX_ARCH_GET_GS:
		return -LINUX_EPERM; /* GS belongs to the kernel (per-CPU data) */
	default:
		return -LINUX_EINVAL;
	}
}

static void copy_field(char *dst, const char *src)
{
	size_t n = strlen(src);
	if (n >= LINUX_UTSNAME_LEN)
		n = LINUX_UTSNAME_LEN - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

long sys_uname(const struct syscall_args *a)
{
	if (!sys_range_ok(a->arg[0], sizeof(struct linux_utsname)))
		return -LINUX_EFAULT;
	struct linux_utsname *u = (void *)(uintptr_t)a->arg[0];
	memset(u, 0, sizeof(*u));
	copy_field(u->sysname, "Toro");
	copy_field(u->nodename, "toro");
	copy_field(u->release, TORO_VERSION);
	copy_field(u->version, "Toro in C " TORO_VERSION);
	copy_field(u->machine, "x86_64");
	copy_field(u->domainname, "(none)");
	return 0;
}

/* No signal is ever delivered: actions and masks are accepted, and the old ones read back as
 * default and empty. */
long sys_rt_sigaction(const struct syscall_args *a)
{
	uint64_t oldact = a->arg[2], sigsetsize = a->arg[3];
	if (sigsetsize > SIGSET_MAX_SIZE || a->arg[0] == 0 || a->arg[0] > 64)
		return -LINUX_EINVAL;
	if (oldact) {
		if (!sys_range_ok(oldact, KSIGACTION_SIZE(sigsetsize)))
			return -LINUX_EFAULT;
		memset((void *)(uintptr_t)oldact, 0, KSIGACTION_SIZE(sigsetsize));
	}
	return 0;
}

long sys_rt_sigprocmask(const struct syscall_args *a)
{
	uint64_t oldset = a->arg[2], sigsetsize = a->arg[3];
	if (sigsetsize > SIGSET_MAX_SIZE)
		return -LINUX_EINVAL;
	if (oldset) {
		if (!sys_range_ok(oldset, sigsetsize))
			return -LINUX_EFAULT;
		memset((void *)(uintptr_t)oldset, 0, sigsetsize);
	}
	return 0;
}
