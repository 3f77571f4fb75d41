/* System-call dispatch: a table indexed by number. An unknown call returns -ENOSYS and is
 * reported once, by number and name, so a missing piece of the ABI is visible. */
#include "syscall.h"

#include <kernel/mm.h>
#include <kernel/printk.h>
#include <toro/abi/linux.h>

static const syscall_handler syscall_table[LINUX_SYS_COUNT] = {
    [LINUX_SYS_read] = sys_read,
    [LINUX_SYS_write] = sys_write,
    [LINUX_SYS_mmap] = sys_mmap,
    [LINUX_SYS_mprotect] = sys_mprotect,
    [LINUX_SYS_munmap] = sys_munmap,
    [LINUX_SYS_brk] = sys_brk,
    [LINUX_SYS_rt_sigaction] = sys_rt_sigaction,
    [LINUX_SYS_rt_sigprocmask] = sys_rt_sigprocmask,
    [LINUX_SYS_ioctl] = sys_ioctl,
    [LINUX_SYS_readv] = sys_readv,
    [LINUX_SYS_writev] = sys_writev,
    [LINUX_SYS_madvise] = sys_madvise,
    [LINUX_SYS_getpid] = sys_getpid,
    [LINUX_SYS_exit] = sys_exit_thread,
    [LINUX_SYS_clone] = sys_clone,
    [LINUX_SYS_futex] = sys_futex,
    [LINUX_SYS_set_robust_list] = sys_set_robust_list,
    [LINUX_SYS_sched_yield] = sys_sched_yield,
    [LINUX_SYS_sched_getaffinity] = sys_sched_getaffinity,
    [LINUX_SYS_sched_setaffinity] = sys_sched_setaffinity,
    [LINUX_SYS_tkill] = sys_tkill,
    [LINUX_SYS_tgkill] = sys_tkill,
    [LINUX_SYS_getcpu] = sys_getcpu,
    [LINUX_SYS_nanosleep] = sys_nanosleep,
    [LINUX_SYS_clock_nanosleep] = sys_clock_nanosleep,
    [LINUX_SYS_uname] = sys_uname,
    [LINUX_SYS_getuid] = sys_getuid,
    [LINUX_SYS_getgid] = sys_getuid,
    [LINUX_SYS_geteuid] = sys_getuid,
    [LINUX_SYS_getegid] = sys_getuid,
    [LINUX_SYS_getppid] = sys_getppid,
    [LINUX_SYS_arch_prctl] = sys_arch_prctl,
    [LINUX_SYS_gettid] = sys_gettid,
    [LINUX_SYS_set_tid_address] = sys_set_tid_address,
    [LINUX_SYS_clock_gettime] = sys_clock_gettime,
    [LINUX_SYS_exit_group] = sys_exit_group,
    [LINUX_SYS_getrandom] = sys_getrandom,
};

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

long syscall_dispatch(const struct syscall_args *a)
{
	if (a->nr < LINUX_SYS_COUNT && syscall_table[a->nr])
		return syscall_table[a->nr](a);
	syscall_report_unknown(a->nr);
	return -LINUX_ENOSYS;
}

int sys_range_ok(uint64_t p, uint64_t len)
{
	return p != 0 && p + len >= p && p + len <= mm_ram_top;
}
