/* Process and identity system calls (the rarer identity calls: compat.c). A POSIX image is one
 * process (pid 1) whose main thread has tid 1 (signals: signal.c). */
#include "syscall.h"

#include <kernel/arch.h>
#include <kernel/kernel.h>
#include <kernel/sched.h>
#include <kernel/string.h>
#include <toro/abi/linux.h>

#define TORO_PID 1

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
		return copy_to_user(a->arg[1], &thread_current()->fs_base, sizeof(uint64_t));
	case LINUX_ARCH_SET_GS:
	case LINUX_ARCH_GET_GS:
		return -LINUX_EPERM; /* GS belongs to the kernel (per-CPU data) */
	default:
		return -LINUX_EINVAL;
	}
}

/* Calls whose callers go on without them: glibc's start registers a restartable-sequence area
 * with rseq, and its pthread_create tries clone3 before clone. Answered without the "not
 * implemented" report, which would only be noise. */
long sys_declined(const struct syscall_args *a)
{
	(void)a;
	return -LINUX_ENOSYS;
}

static void copy_field(char *dst, const char *src)
{
	size_t n = strlen(src);
	if (n >= LINUX_UTSNAME_LEN)
		n = LINUX_UTSNAME_LEN - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The release is a Linux version, as programs parse it to decide what the kernel offers (glibc
 * and musl-built tools compare it against 2.6 and 3.x features); the version names Toro. */
#define UNAME_RELEASE "6.1.0-toro"

long sys_uname(const struct syscall_args *a)
{
	struct linux_utsname u;
	memset(&u, 0, sizeof(u));
	copy_field(u.sysname, "Toro");
	copy_field(u.nodename, "toro");
	copy_field(u.release, UNAME_RELEASE);
	copy_field(u.version, "Toro in C " TORO_VERSION);
	copy_field(u.machine, "x86_64");
	copy_field(u.domainname, "(none)");
	return copy_to_user(a->arg[0], &u, sizeof(u));
}
