/* The Linux system-call layer for POSIX applications: one handler per call, each a thin wrapper
 * over kernel functions, returning a value or -errno. Private to kernel/sys. */
#ifndef KERNEL_SYS_SYSCALL_H
#define KERNEL_SYS_SYSCALL_H

#include <stddef.h>
#include <stdint.h>

#include <kernel/arch.h>

/* Built by syscall_entry (arch/x86_64/syscall_entry.S) on the caller's stack, below its red
 * zone: the number, the six arguments in the registers the ABI uses (rdi, rsi, rdx, r10, r8,
 * r9), the caller's callee-saved registers, its rflags and return address. The caller's %rsp is
 * the address just past this structure plus the 128-byte red zone. */
struct syscall_args {
	uint64_t nr;
	uint64_t arg[6];
	uint64_t r15, r14, r13, r12, rbp, rbx;
	uint64_t rflags;
	uint64_t rip;
};

#define SYSCALL_RED_ZONE 128

/* Returns to the code a frame describes, as if its system call returned result. */
_Noreturn void arch_syscall_return(struct syscall_args *frame, long result);

typedef long (*syscall_handler)(const struct syscall_args *a);

long syscall_dispatch(const struct syscall_args *a);

/* Whether [p, p + len) is memory the application may hand the kernel: inside RAM, above the
 * unmapped first page, no overflow. */
int sys_range_ok(uint64_t p, uint64_t len); /* user.c */
/* sys_range_ok, and not the image's read-only segment: memory the kernel may write. */
int sys_range_writable(uint64_t p, uint64_t len);
/* Every read and write of the application's memory goes through these: 0, or -EFAULT when the
 * range is refused or faults part way (then part of it may have been copied). */
int copy_from_user(void *dst, uint64_t src, size_t len);
int copy_to_user(uint64_t dst, const void *src, size_t len);
int clear_user(uint64_t dst, size_t len);
/* Reads a byte of every page of a checked range through the fault-safe copy: 0, or -EFAULT if
 * one is not there. For buffers a file type reads or fills in place (the console writes
 * straight from the application's buffer, with no copy). */
int sys_range_probe(uint64_t p, uint64_t len);
/* One atomic load of an aligned 32-bit word (a futex): 0, or -EFAULT. */
int load_user_u32(uint64_t src, uint32_t *out);

/* A buffer (len > 0) the application passed for a file to fill (writable) or read in place:
 * sys_range_ok or sys_range_writable, and every page there (sys_range_probe). */
static inline __attribute__((always_inline)) int sys_buffer_ok(uint64_t p, uint64_t len,
                                                             int writable)
{
	int ok = writable ? sys_range_writable(p, len) : sys_range_ok(p, len);
	return ok && arch_user_probe((const void *)(uintptr_t)p, len) == 0;
}

/* Reads the application's iovec array (count entries at uiov) into kernel memory, checking every
 * buffer as readv (writable) or writev does: 0 with *out at small when count <= small_count, else
 * at an allocation the caller frees with toro_free; -EINVAL (count > IOV_MAX), -EFAULT, -ENOMEM.
 * For calls that pass one vector to a file type in one piece (recvmsg, sendmsg). */
struct file_iovec;
long sys_iovecs_load(uint64_t uiov, uint64_t count, int writable, struct file_iovec *small,
                     size_t small_count, struct file_iovec **out);

/* Reads a struct timespec the application passed: -EFAULT, -EINVAL, or 0 with *ns set. */
int sys_timespec_ns(uint64_t p, uint64_t *ns);

/* The monotonic deadline for a timeout of ns: relative, or absolute on the monotonic or the
 * realtime clock. Never 0 (a deadline already passed is 1). */
uint64_t sys_deadline(uint64_t ns, int absolute, int realtime);

struct file;
struct file_stat;
/* The stat of an anonymous inode (epoll, eventfd, signalfd, timerfd): mode 0600 with no file type
 * bits, as Linux reports it. misc.c. */
int sys_anon_stat(struct file *f, struct file_stat *st);

/* The deadline of an optional timeout: p is the program's struct timespec, or 0 for none
 * (deadline 0: wait for ever). *zero (if asked) tells a zero timeout, which must not block.
 * Returns 0, -EFAULT or -EINVAL. */
long sys_timeout_deadline(uint64_t p, int absolute, int realtime, uint64_t *deadline, int *zero);

/* The name of Linux system call nr, or NULL (syscall_names.c, generated). */
const char *syscall_name(uint64_t nr);

long sys_read(const struct syscall_args *a);
long sys_write(const struct syscall_args *a);
long sys_readv(const struct syscall_args *a);
long sys_writev(const struct syscall_args *a);
long sys_ioctl(const struct syscall_args *a);
long sys_lseek(const struct syscall_args *a);
long sys_fstat(const struct syscall_args *a);
struct file_stat;
struct linux_stat;
/* What fstat, stat and newfstatat give the program for st (io.c; stat.c in images with files). */
void file_stat_to_linux(const struct file_stat *st, struct linux_stat *out);

long sys_close(const struct syscall_args *a); /* fd.c */
long sys_dup(const struct syscall_args *a);
long sys_dup2(const struct syscall_args *a);
long sys_dup3(const struct syscall_args *a);
long sys_fcntl(const struct syscall_args *a);
/* fcntl's record-lock commands (lock.c): fd, F_GETLK/F_SETLK/F_SETLKW and the struct flock. */
long sys_fcntl_lock(unsigned fd, uint64_t cmd, uint64_t arg);

long sys_brk(const struct syscall_args *a);
long sys_mmap(const struct syscall_args *a);
long sys_munmap(const struct syscall_args *a);
long sys_mprotect(const struct syscall_args *a);
long sys_madvise(const struct syscall_args *a);

long sys_getpid(const struct syscall_args *a);
long sys_getppid(const struct syscall_args *a);
long sys_getuid(const struct syscall_args *a);
long sys_getgroups(const struct syscall_args *a);
long sys_getresuid(const struct syscall_args *a);
long sys_getpgid(const struct syscall_args *a);
long sys_set_tid_address(const struct syscall_args *a);
long sys_arch_prctl(const struct syscall_args *a);
long sys_uname(const struct syscall_args *a);
long sys_prctl(const struct syscall_args *a);
long sys_declined(const struct syscall_args *a); /* ENOSYS without the report: see process.c */
long sys_rt_sigaction(const struct syscall_args *a);
long sys_rt_sigprocmask(const struct syscall_args *a); /* signal.c */
long sys_rt_sigreturn(const struct syscall_args *a);
long sys_rt_sigpending(const struct syscall_args *a);
long sys_rt_sigsuspend(const struct syscall_args *a);
long sys_sigaltstack(const struct syscall_args *a);
long sys_kill(const struct syscall_args *a);
long sys_tkill(const struct syscall_args *a);
long sys_tgkill(const struct syscall_args *a);
long sys_pause(const struct syscall_args *a);

long sys_clock_gettime(const struct syscall_args *a);
long sys_clock_getres(const struct syscall_args *a);
long sys_gettimeofday(const struct syscall_args *a);
long sys_time(const struct syscall_args *a);
long sys_nanosleep(const struct syscall_args *a);
long sys_clock_nanosleep(const struct syscall_args *a);

long sys_clone(const struct syscall_args *a);
long sys_exit_thread(const struct syscall_args *a);
long sys_exit_group(const struct syscall_args *a);
long sys_gettid(const struct syscall_args *a);
long sys_futex(const struct syscall_args *a);
long sys_set_robust_list(const struct syscall_args *a);
long sys_sched_yield(const struct syscall_args *a);
long sys_sched_getaffinity(const struct syscall_args *a);
long sys_sched_setaffinity(const struct syscall_args *a);
long sys_getcpu(const struct syscall_args *a);

/* Wakes up to n threads waiting on the futex word at addr (thread exit's CLEARTID). */
long futex_wake_address(uint64_t addr, long n);
long sys_getrandom(const struct syscall_args *a);

long sys_poll(const struct syscall_args *a); /* poll.c */
long sys_ppoll(const struct syscall_args *a);
long sys_select(const struct syscall_args *a);
long sys_pselect6(const struct syscall_args *a);
long sys_pipe(const struct syscall_args *a); /* pipe.c */
long sys_pipe2(const struct syscall_args *a);
long sys_sysinfo(const struct syscall_args *a); /* resource.c */
long sys_getrlimit(const struct syscall_args *a);
long sys_setrlimit(const struct syscall_args *a);
long sys_prlimit64(const struct syscall_args *a);
long sys_getrusage(const struct syscall_args *a);
long sys_times(const struct syscall_args *a);
long sys_umask(const struct syscall_args *a);
/* The file-mode creation mask umask set: open, mkdir and their kin clear these bits. */
unsigned sys_umask_value(void);
long sys_one_process(const struct syscall_args *a);

#endif
