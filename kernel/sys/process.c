/* Process and identity system calls. A POSIX image is one process (pid 1) whose main thread has
 * tid 1 (signals: signal.c). */
#include "syscall.h"

#include <kernel/arch.h>
#include <kernel/kernel.h>
#include <kernel/sched.h>
#include <kernel/string.h>
#include <toro/abi/linux.h>

#define TORO_PID                    1

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

/* The name PR_SET_NAME gives and PR_GET_NAME reads: one for the process (Linux keeps one per
 * thread), at first the program's name (process_start, kernel/app/process.c). */
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
