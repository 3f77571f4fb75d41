/* Signals for POSIX images: the Linux x86-64 signal ABI (actions, the frame a handler gets) and
 * what the rest of the kernel calls: delivery on the way out of a system call, waits a signal
 * ends, the process's thread list, CPU faults. Private to kernel/sys (and the weak hook in
 * arch/x86_64/trap.c). */
#ifndef KERNEL_SYS_SIGNAL_H
#define KERNEL_SYS_SIGNAL_H

#include <stdint.h>

#include <kernel/sched.h>

#include "syscall.h"

/* Signal numbers (Linux's asm/signal.h); 1..64, bit n - 1 of a mask is signal n. */
#define LINUX_NSIG    64
#define LINUX_SIGHUP  1
#define LINUX_SIGILL  4
#define LINUX_SIGTRAP 5
#define LINUX_SIGABRT 6
#define LINUX_SIGBUS  7
#define LINUX_SIGFPE  8
#define LINUX_SIGKILL 9
#define LINUX_SIGSEGV 11
#define LINUX_SIGPIPE 13
#define LINUX_SIGALRM 14
#define LINUX_SIGCHLD 17
#define LINUX_SIGCONT 18
#define LINUX_SIGSTOP 19
#define LINUX_SIGTSTP 20
#define LINUX_SIGTTIN 21
#define LINUX_SIGTTOU 22
#define LINUX_SIGURG  23
#define LINUX_SIGWINCH 28

#define SIGNAL_BIT(sig) (1ull << ((sig) - 1))
/* The signals no mask holds and no signalfd takes. */
#define KILLABLE (SIGNAL_BIT(LINUX_SIGKILL) | SIGNAL_BIT(LINUX_SIGSTOP))
#define SIGSET_SIZE 8 /* Linux's kernel sigset_t: rt_* calls and signalfd refuse any other size */

/* si_code values. */
#define SI_USER   0
#define SI_KERNEL 0x80
#define SI_TIMER  (-2)
#define SI_TKILL  (-6)

/* Linux's siginfo_t: a handler's second argument, what sigwaitinfo fills. */
struct linux_siginfo {
	int32_t si_signo, si_errno, si_code, pad;
	union {
		struct {
			int32_t pid;
			uint32_t uid;
		} kill;
		struct {
			int32_t tid, overrun; /* si_timerid, si_overrun */
			uint64_t value;       /* si_value */
		} timer;
		uint64_t addr; /* faults */
		uint8_t bytes[112];
	} u;
};

/* The process's signals not yet taken by a thread (kill, alarm): read without the lock by the
 * fast check on the way out of every system call. */
extern uint64_t signal_process_pending;

/* Whether thread t has a signal it does not block waiting (a hint: taken under the lock). */
static inline int signal_deliverable(const struct thread *t)
{
	uint64_t pending = t->sig.pending | __atomic_load_n(&signal_process_pending, __ATOMIC_RELAXED);
	return (pending & ~t->sig.blocked) != 0;
}

/* The way out of a system call when signal_deliverable said so (dispatch.c): runs the first
 * handler due, with the frame built from a and result, and never returns; or takes a default
 * action (ending the VM); or returns result when every pending signal was ignored. */
long signal_syscall_return(const struct syscall_args *a, long result);

/* Around a wait that a signal ends (pause, sigsuspend, nanosleep, futex waits): begin after
 * sched_prepare_block and before blocking (it cancels the block when a signal is already due);
 * end after waking, which says whether a signal ended the wait (the call's -EINTR). */
void signal_wait_begin(void);
int signal_wait_end(void);

/* Sends sig to the calling thread, as Linux sends SIGPIPE to a writer on a broken connection. */
void signal_send_self(int sig);

/* The process's threads: the main thread from kernel_app_prepare, clone threads before they
 * start (with their creator's mask), each taken off as it exits. */
void signal_init(void);
void signal_thread_add(struct thread *t);
void signal_thread_remove(struct thread *t);

/* For POSIX timers (timer.c, linked with the `timer` group): sends sig from the kernel to thread
 * tid, or to the process when tid is 0; says whether it is now pending (not ignored, the thread
 * exists). */
int signal_send_kernel(uint64_t tid, int sig);

/* Whether tid is one of the process's threads. */
int signal_thread_exists(uint64_t tid);

/* Called (weakly: timer.c) with the signal lock held as the current thread takes a signal, info
 * filled for it (si_code SI_TKILL when sent to the thread, not the process): refills it for a
 * timer's signal (SI_TIMER). */
void signal_timer_info(struct linux_siginfo *info) __attribute__((weak));

/* Weakly too: whether t is timer.c's kernel thread, where a fault is the kernel's. */
int timer_kernel_thread(const struct thread *t) __attribute__((weak));

/* Weakly too (signalfd.c), with the signal lock held: the signals of mask bit were just sent. */
void signalfd_notify(uint64_t bit) __attribute__((weak));

/* For sigtimedwait and signalfd: waits for one of set's signals (SIGKILL and SIGSTOP left out)
 * and takes it into info. The signal, or -EINTR when another signal the thread does not block
 * comes first, or -EAGAIN when zero is set (nothing pending) or the deadline (0: none) passes. */
int signal_wait_set(uint64_t set, uint64_t deadline, int zero, struct linux_siginfo *info);

/* Loads every general register, rflags, %rsp and %rip from gregs (Linux's sigcontext order,
 * SIGCTX_*) and runs there (syscall_entry.S). */
_Noreturn void arch_signal_jump(const uint64_t *gregs);

#endif
