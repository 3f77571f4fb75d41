/* The Linux system-call layer for POSIX applications: one handler per call, each a thin wrapper
 * over kernel functions, returning a value or -errno. Private to kernel/sys. */
#ifndef KERNEL_SYS_SYSCALL_H
#define KERNEL_SYS_SYSCALL_H

#include <stddef.h>
#include <stdint.h>

/* Built by syscall_entry (arch/x86_64/syscall_entry.S): the number, then the six arguments in
 * the registers the ABI uses (rdi, rsi, rdx, r10, r8, r9). */
struct syscall_args {
	uint64_t nr;
	uint64_t arg[6];
};

typedef long (*syscall_handler)(const struct syscall_args *a);

long syscall_dispatch(const struct syscall_args *a);

/* Whether [p, p + len) is memory the application may hand the kernel: inside RAM, no overflow. */
int sys_range_ok(uint64_t p, uint64_t len);

/* The name of Linux system call nr, or NULL (syscall_names.c, generated). */
const char *syscall_name(uint64_t nr);

long sys_read(const struct syscall_args *a);
long sys_write(const struct syscall_args *a);
long sys_readv(const struct syscall_args *a);
long sys_writev(const struct syscall_args *a);
long sys_ioctl(const struct syscall_args *a);

long sys_brk(const struct syscall_args *a);
long sys_mmap(const struct syscall_args *a);
long sys_munmap(const struct syscall_args *a);
long sys_mprotect(const struct syscall_args *a);
long sys_madvise(const struct syscall_args *a);

long sys_exit(const struct syscall_args *a);
long sys_getpid(const struct syscall_args *a);
long sys_getppid(const struct syscall_args *a);
long sys_getuid(const struct syscall_args *a);
long sys_set_tid_address(const struct syscall_args *a);
long sys_arch_prctl(const struct syscall_args *a);
long sys_uname(const struct syscall_args *a);
long sys_rt_sigaction(const struct syscall_args *a);
long sys_rt_sigprocmask(const struct syscall_args *a);

long sys_clock_gettime(const struct syscall_args *a);
long sys_getrandom(const struct syscall_args *a);

#endif
