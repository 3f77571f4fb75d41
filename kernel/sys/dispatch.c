/* System-call dispatch: a table indexed by number. An unknown call returns -ENOSYS and is
 * reported once, by number and name, so a missing piece of the ABI is visible. The optional
 * groups (syscall_groups.h) are referred to weakly: a group the image did not link answers as an
 * unknown call does. */
#include "syscall.h"
#include "syscall_groups.h"
#include "signal.h"

#include <kernel/printk.h>
#include <toro/abi/linux.h>

/* The calls implemented, by Linux name, and their handlers. The dispatch table is a byte per
 * system-call number (an index into the handlers), 462 bytes instead of 3.7 KiB of pointers
 * for ~50 calls: the image stays small. */
#define SYSCALLS(X) \
	X(read, sys_read) \
	X(write, sys_write) \
	X(close, sys_close) \
	X(fstat, sys_fstat) \
	X(lseek, sys_lseek) \
	X(mmap, sys_mmap) \
	X(mprotect, sys_mprotect) \
	X(munmap, sys_munmap) \
	X(brk, sys_brk) \
	X(rt_sigaction, sys_rt_sigaction) \
	X(rt_sigprocmask, sys_rt_sigprocmask) \
	X(rt_sigreturn, sys_rt_sigreturn) \
	X(rt_sigpending, sys_rt_sigpending) \
	X(rt_sigsuspend, sys_rt_sigsuspend) \
	X(sigaltstack, sys_sigaltstack) \
	X(kill, sys_kill) \
	X(pause, sys_pause) \
	X(ioctl, sys_ioctl) \
	X(readv, sys_readv) \
	X(writev, sys_writev) \
	X(madvise, sys_madvise) \
	X(dup, sys_dup) \
	X(dup2, sys_dup2) \
	X(getpid, sys_getpid) \
	X(exit, sys_exit_thread) \
	X(clone, sys_clone) \
	X(futex, sys_futex) \
	X(set_robust_list, sys_set_robust_list) \
	X(dup3, sys_dup3) \
	X(sched_yield, sys_sched_yield) \
	X(sched_getaffinity, sys_sched_getaffinity) \
	X(sched_setaffinity, sys_sched_setaffinity) \
	X(tkill, sys_tkill) \
	X(tgkill, sys_tgkill) \
	X(getcpu, sys_getcpu) \
	X(nanosleep, sys_nanosleep) \
	X(clock_nanosleep, sys_clock_nanosleep) \
	X(uname, sys_uname) \
	X(fcntl, sys_fcntl) \
	X(getuid, sys_getuid) \
	X(getgid, sys_getuid) \
	X(geteuid, sys_getuid) \
	X(getegid, sys_getuid) \
	X(getppid, sys_getppid) \
	X(arch_prctl, sys_arch_prctl) \
	X(gettid, sys_gettid) \
	X(set_tid_address, sys_set_tid_address) \
	X(clock_gettime, sys_clock_gettime) \
	X(clock_getres, sys_clock_getres) \
	X(rseq, sys_declined) \
	X(clone3, sys_declined) \
	X(exit_group, sys_exit_group) \
	X(getrandom, sys_getrandom) \
	X(poll, sys_poll) \
	X(ppoll, sys_ppoll) \
	X(select, sys_select) \
	X(pselect6, sys_pselect6) \
	X(pipe, sys_pipe) \
	X(pipe2, sys_pipe2) \
	X(sysinfo, sys_sysinfo) \
	X(getrlimit, sys_getrlimit) \
	X(setrlimit, sys_setrlimit) \
	X(prlimit64, sys_prlimit64) \
	X(getrusage, sys_getrusage) \
	X(times, sys_times) \
	X(umask, sys_umask) \
	X(fork, sys_one_process) \
	X(vfork, sys_one_process) \
	X(execve, sys_one_process) \
	X(wait4, sys_one_process)

#define AS_INDEX_NAME(name, handler) SYSCALL_INDEX_##name,
#define AS_HANDLER(name, handler)    handler,
#define AS_TABLE_ENTRY(name, handler) [LINUX_SYS_##name] = SYSCALL_INDEX_##name,
/* Each group's indexes follow a marker of its own: a call's slot in its group's table is its
 * index less the marker's, less one. */
#define AS_GROUP_INDEXES(upper, lower) SYSCALL_GROUP_##upper, SYSCALLS_##upper(AS_INDEX_NAME)
/* A weak reference does not pull the anchor's object out of libtoro.a; unlinked, it is NULL. */
#define AS_WEAK_ANCHOR(upper, lower) extern const syscall_handler toro_sys_##lower[] \
	__attribute__((weak));
#define AS_GROUP(upper, lower) {SYSCALL_GROUP_##upper, toro_sys_##lower},

enum {
	SYSCALL_INDEX_NONE,
	SYSCALLS(AS_INDEX_NAME)
	SYSCALL_GROUPS(AS_GROUP_INDEXES)
	SYSCALL_INDEX_COUNT
};
_Static_assert(SYSCALL_INDEX_COUNT <= 256, "handler indexes are bytes");

SYSCALL_GROUPS(AS_WEAK_ANCHOR)

static const syscall_handler syscall_handlers[] = {NULL, SYSCALLS(AS_HANDLER)};

/* One pointer per group, whatever its size: images that link no group pay for no handler. */
static const struct {
	uint8_t marker;
	const syscall_handler *handlers;
} syscall_groups[] = {SYSCALL_GROUPS(AS_GROUP)};

#define SYSCALL_GROUP_COUNT (sizeof(syscall_groups) / sizeof(syscall_groups[0]))

static const uint8_t syscall_table[LINUX_SYS_COUNT] = {
	SYSCALLS(AS_TABLE_ENTRY) SYSCALLS_OPTIONAL(AS_TABLE_ENTRY)
};

/* The handler of call nr, or NULL: unknown, or in a group the image did not link. */
static syscall_handler syscall_handler_of(uint64_t nr)
{
	if (nr >= LINUX_SYS_COUNT)
		return NULL;
	unsigned index = syscall_table[nr], first = 0;
	/* The calls every image has (read, write...) index below every group: one test. */
	if (index < syscall_groups[0].marker)
		return syscall_handlers[index];
	const syscall_handler *handlers = syscall_handlers;
	/* Markers ascend: the call is in the last group whose marker is below its index. A loop,
	 * not a copy per group: every image carries this. */
	for (size_t g = 0; g < SYSCALL_GROUP_COUNT && index > syscall_groups[g].marker; g++) {
		handlers = syscall_groups[g].handlers;
		first = syscall_groups[g].marker + 1u;
	}
	return handlers ? handlers[index - first] : NULL;
}

static uint64_t reported[(LINUX_SYS_COUNT + 63) / 64];

static void syscall_report_unknown(uint64_t nr)
{
	if (nr < LINUX_SYS_COUNT) {
		uint64_t bit = 1ull << (nr % 64);
		if (reported[nr / 64] & bit)
			return;
		reported[nr / 64] |= bit;
	}
	const char *name = syscall_name(nr);
	printk("toro: system call %lu (%s) is not implemented; returning ENOSYS\n",
	       (unsigned long)nr, name ? name : "unknown");
}

/* The way out of every call passes the signal check: a signal due runs its handler now. */
long syscall_dispatch(const struct syscall_args *a)
{
	long result;
	syscall_handler handler = syscall_handler_of(a->nr);
	if (handler) {
		result = handler(a);
	} else {
		syscall_report_unknown(a->nr);
		result = -LINUX_ENOSYS;
	}
	if (__builtin_expect(signal_deliverable(thread_current()), 0))
		return signal_syscall_return(a, result);
	return result;
}
