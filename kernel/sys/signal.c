/* Signals for POSIX images: actions, per-thread masks and the alternate stack, sending (kill,
 * tkill, tgkill, the timers' signals for timer.c), sigwaitinfo, and delivery at the cooperative
 * points: on the way out of a system call, and from a CPU fault in the application. A handler
 * gets Linux's x86-64 rt signal frame (siginfo, ucontext with the general registers);
 * rt_sigreturn puts them back. */
#include "signal.h"

#include <kernel/arch.h>
#include <kernel/kernel.h>
#include <kernel/printk.h>
#include <kernel/spinlock.h>
#include <kernel/string.h>
#include <kernel/time.h>
#include <toro/abi/image.h>
#include <toro/abi/linux.h>

/* The CPU's frame of a fault, which a handler's frame is built from (the Linux signal frame
 * is x86-64's, as all of kernel/sys is). */

#define SIG_DFL     0
#define SIG_IGN     1

#define SA_SIGINFO   0x00000004u
#define SA_RESTORER  0x04000000u
#define SA_ONSTACK   0x08000000u
#define SA_NODEFER   0x40000000u
#define SA_RESETHAND 0x80000000u

#define SIG_BLOCK   0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2

#define SS_ONSTACK  1
#define SS_DISABLE  2
#define MINSIGSTKSZ 2048

#define SEGV_MAPERR 1
#define SEGV_ACCERR 2
#define FPE_INTDIV  1
#define ILL_ILLOPN  2
#define BUS_ADRALN  1

#define TORO_PID    1
#define RED_ZONE    128
#define FRAME_ALIGN 16
/* On the way out of a system call the kernel is still running on the thread's stack, below the
 * syscall frame: a handler's frame goes below this much of the kernel's own use too. */
#define KERNEL_STACK_MARGIN 512

#define RFLAGS_IF 0x200u
#define RFLAGS_DF 0x400u
/* What rt_sigreturn takes from the saved rflags, as Linux's FIX_EFLAGS does (without TF: a
 * single-step trap is fatal here). IF stays set, as it always is in application code. */
#define RFLAGS_RESTORED 0x40dd5u

/* uc_mcontext.gregs indices (Linux's struct sigcontext, musl's REG_*). */
enum {
	SIGCTX_R8, SIGCTX_R9, SIGCTX_R10, SIGCTX_R11, SIGCTX_R12, SIGCTX_R13, SIGCTX_R14,
	SIGCTX_R15, SIGCTX_RDI, SIGCTX_RSI, SIGCTX_RBP, SIGCTX_RBX, SIGCTX_RDX, SIGCTX_RAX,
	SIGCTX_RCX, SIGCTX_RSP, SIGCTX_RIP, SIGCTX_EFL, SIGCTX_CSGSFS, SIGCTX_ERR, SIGCTX_TRAPNO,
	SIGCTX_OLDMASK, SIGCTX_CR2, SIGCTX_NGREG
};

struct linux_k_sigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

struct linux_stack {
	uint64_t ss_sp;
	int32_t ss_flags;
	int32_t pad;
	uint64_t ss_size;
};

/* The FP state is not saved: fpstate is NULL, as Linux's frame may have it. Delivery follows a
 * system call (a function call in musl, after which SSE registers are the caller's to save) or
 * a fault, and musl's sigsetjmp/siglongjmp and handlers do not read it. */
struct linux_ucontext {
	uint64_t uc_flags;
	uint64_t uc_link;
	struct linux_stack uc_stack;
	uint64_t gregs[SIGCTX_NGREG];
	uint64_t fpstate;
	uint64_t reserved1[8];
	uint64_t uc_sigmask;
};

struct linux_rt_sigframe {
	uint64_t pretcode; /* sa_restorer: the handler's return address */
	struct linux_ucontext uc;
	struct linux_siginfo info;
};
_Static_assert(sizeof(struct linux_siginfo) == 128, "Linux's siginfo_t");
_Static_assert(sizeof(struct linux_ucontext) == 304, "Linux's x86-64 struct ucontext");

uint64_t signal_process_pending;
static uint64_t process_from_kernel; /* of signal_process_pending: sent by the kernel (timer) */
static struct linux_k_sigaction actions[LINUX_NSIG];
static struct thread *threads; /* the process's threads, through sig.next */
/* Guards the actions, the pending sets and the thread list. Only threads take it
 * (never an interrupt handler), and only with the scheduler not involved. */
static struct spinlock signal_lock;

static int signal_valid(uint64_t sig)
{
	return sig >= 1 && sig <= LINUX_NSIG;
}

static int default_ignored(int sig)
{
	/* Stop signals are ignored too: nothing here could ever continue a stopped process. */
	return sig == LINUX_SIGCHLD || sig == LINUX_SIGURG || sig == LINUX_SIGWINCH ||
	       sig == LINUX_SIGCONT || sig == LINUX_SIGSTOP || sig == LINUX_SIGTSTP ||
	       sig == LINUX_SIGTTIN || sig == LINUX_SIGTTOU;
}

static int ignored(int sig)
{
	uint64_t h = actions[sig - 1].handler;
	return h == SIG_IGN || (h == SIG_DFL && default_ignored(sig));
}

static uint64_t user_sp(const struct syscall_args *a)
{
	return (uint64_t)(uintptr_t)(a + 1) + SYSCALL_RED_ZONE;
}

static uint64_t current_sp(void)
{
	uint64_t sp;
	__asm__ volatile("mov %%rsp, %0" : "=r"(sp));
	return sp;
}

static _Noreturn void terminate(int sig)
{
	printk("\n*** terminated by signal %d\n", sig);
	kernel_exit(TORO_EXIT_FAULT_BASE + sig);
}

/* --- Threads and waits --- */

static int signal_fault(struct trap_frame *f, int vector, uint64_t cr2);

void signal_init(void)
{
	trap_signal_hook = signal_fault;
	threads = thread_current();
	threads->sig.next = NULL;
}

void signal_thread_add(struct thread *t)
{
	spin_lock(&signal_lock);
	t->sig.blocked = thread_current()->sig.blocked;
	t->sig.next = threads;
	threads = t;
	spin_unlock(&signal_lock);
}

void signal_thread_remove(struct thread *t)
{
	spin_lock(&signal_lock);
	for (struct thread **link = &threads; *link; link = &(*link)->sig.next) {
		if (*link == t) {
			*link = t->sig.next;
			break;
		}
	}
	spin_unlock(&signal_lock);
}

/* Inlined, as dequeue is: a second caller (the timer group's) must not cost images without it. */
static inline __attribute__((always_inline)) struct thread *thread_by_tid(uint64_t tid)
{
	for (struct thread *t = threads; t; t = t->sig.next)
		if ((uint64_t)t->tid == tid)
			return t;
	return NULL;
}

void signal_wait_begin(void)
{
	struct thread *t = thread_current();
	spin_lock(&signal_lock);
	t->sig.interruptible = 1;
	if (signal_deliverable(t))
		sched_wake(t); /* already due: the block that follows returns at once */
	spin_unlock(&signal_lock);
}

int signal_wait_end(void)
{
	struct thread *t = thread_current();
	spin_lock(&signal_lock);
	t->sig.interruptible = 0;
	int due = signal_deliverable(t);
	spin_unlock(&signal_lock);
	return due;
}

/* --- Sending (signal_lock held) --- */

/* A thread in a wait a signal ends is woken; sched_wake does nothing to one that is not
 * waiting, and the lock keeps the wait from ending in between (signal_wait_end). */
static void wake_for(struct thread *t, uint64_t bit)
{
	if (t->sig.interruptible && !(t->sig.blocked & bit))
		sched_wake(t);
}

/* Inlined into its callers: images without sockets keep kill's code as it was. */
static inline __attribute__((always_inline)) void send_thread(struct thread *t, int sig)
{
	uint64_t bit = SIGNAL_BIT(sig);
	if (ignored(sig) && !(t->sig.blocked & bit))
		return;
	t->sig.pending |= bit;
	wake_for(t, bit);
	if (signalfd_notify)
		signalfd_notify(bit);
}

/* A signal the action ignores is dropped unless a thread blocks it (Linux keeps a blocked one:
 * the action may change before it is unblocked, or a signalfd or sigwaitinfo may take it). */
static void send_process(int sig, int from_kernel)
{
	uint64_t bit = SIGNAL_BIT(sig);
	if (ignored(sig)) {
		struct thread *t = threads;
		while (t && !(t->sig.blocked & bit))
			t = t->sig.next;
		if (!t)
			return;
	}
	__atomic_or_fetch(&signal_process_pending, bit, __ATOMIC_SEQ_CST);
	process_from_kernel = from_kernel ? process_from_kernel | bit : process_from_kernel & ~bit;
	for (struct thread *t = threads; t; t = t->sig.next) {
		if (t->sig.interruptible && !(t->sig.blocked & bit)) {
			wake_for(t, bit);
			break;
		}
	}
	if (signalfd_notify)
		signalfd_notify(bit);
}

/* Takes t's lowest pending signal it does not block, its own before the process's, and fills
 * info for it; 0 when there is none. */
static inline __attribute__((always_inline)) int dequeue(struct thread *t,
                                                       struct linux_siginfo *info)
{
	uint64_t mine = t->sig.pending & ~t->sig.blocked;
	uint64_t process = signal_process_pending & ~t->sig.blocked;
	uint64_t set = mine ? mine : process;
	if (!set)
		return 0;
	int sig = __builtin_ctzll(set) + 1;
	uint64_t bit = SIGNAL_BIT(sig);
	memzero(info, sizeof(*info));
	info->si_signo = sig;
	if (mine) {
		t->sig.pending &= ~bit;
		info->si_code = SI_TKILL;
		info->u.kill.pid = TORO_PID;
	} else {
		__atomic_and_fetch(&signal_process_pending, ~bit, __ATOMIC_SEQ_CST);
		info->si_code = (process_from_kernel & bit) ? SI_KERNEL : SI_USER;
		if (!(process_from_kernel & bit))
			info->u.kill.pid = TORO_PID;
	}
	return sig;
}

/* --- Delivery --- */

static int on_altstack(const struct thread *t, uint64_t sp)
{
	return t->sig.altstack_size && sp - t->sig.altstack_sp < t->sig.altstack_size;
}

static void stack_describe(const struct thread *t, uint64_t sp, struct linux_stack *ss)
{
	memzero(ss, sizeof(*ss));
	ss->ss_sp = t->sig.altstack_sp;
	ss->ss_size = t->sig.altstack_size;
	ss->ss_flags = on_altstack(t, sp) ? SS_ONSTACK : t->sig.altstack_size ? 0 : SS_DISABLE;
}

/* Builds the frame for sig's handler act below the context g (which it then turns into the
 * handler's context), stopping short of limit (the kernel's own stack use) on the thread's
 * stack. The mask the handler's return restores is saved_mask. 0, or -EFAULT when the frame
 * cannot be written (Linux then kills with SIGSEGV). Called with signal_lock held. */
static int frame_build(struct thread *t, uint64_t *g, int sig, const struct linux_siginfo *info,
                       const struct linux_k_sigaction *act, uint64_t saved_mask, uint64_t limit)
{
	if (!(act->flags & SA_RESTORER))
		return -LINUX_EFAULT; /* x86-64 Linux has no other way back from a handler */
	uint64_t sp = g[SIGCTX_RSP] - RED_ZONE;
	if (sp > limit)
		sp = limit;
	if ((act->flags & SA_ONSTACK) && t->sig.altstack_size && !on_altstack(t, g[SIGCTX_RSP]))
		sp = t->sig.altstack_sp + t->sig.altstack_size;
	sp = ((sp - sizeof(struct linux_rt_sigframe)) & ~(uint64_t)(FRAME_ALIGN - 1)) - 8;
	if (!sys_range_ok(sp, sizeof(struct linux_rt_sigframe)) ||
	    !arch_accessible(sp, sizeof(struct linux_rt_sigframe), 1))
		return -LINUX_EFAULT;
	/* Identity-mapped RAM, checked page by page (a guard page below an overflowed stack is
	 * not written), so the frame is written directly: a fault here would nest on the exception
	 * stack the fault path runs on. */
	struct linux_rt_sigframe *f = (void *)(uintptr_t)sp;
	memzero(f, sizeof(*f));
	f->pretcode = act->restorer;
	stack_describe(t, g[SIGCTX_RSP], &f->uc.uc_stack);
	g[SIGCTX_OLDMASK] = saved_mask;
	memcpy(f->uc.gregs, g, sizeof(f->uc.gregs));
	f->uc.uc_sigmask = saved_mask;
	f->info = *info;

	g[SIGCTX_RIP] = act->handler;
	g[SIGCTX_RSP] = sp;
	g[SIGCTX_RDI] = (uint64_t)sig;
	g[SIGCTX_RSI] = (uintptr_t)&f->info;
	g[SIGCTX_RDX] = (uintptr_t)&f->uc;
	g[SIGCTX_RAX] = 0;
	g[SIGCTX_EFL] = (g[SIGCTX_EFL] & ~(uint64_t)RFLAGS_DF) | RFLAGS_IF;

	t->sig.blocked |= act->mask | (act->flags & SA_NODEFER ? 0 : SIGNAL_BIT(sig));
	t->sig.blocked &= ~KILLABLE;
	if (act->flags & SA_RESETHAND)
		actions[sig - 1].handler = SIG_DFL;
	return 0;
}

/* Runs the first signal due for the current thread from context g: a handler (does not
 * return), a default action that ends the VM, or, when every signal due is ignored, returns
 * with the thread's mask set to saved_mask. */
static void deliver(uint64_t *g, uint64_t saved_mask, uint64_t limit)
{
	struct thread *t = thread_current();
	struct linux_siginfo info;
	spin_lock(&signal_lock);
	int sig;
	while ((sig = dequeue(t, &info))) {
		if (signal_timer_info)
			signal_timer_info(&info); /* taken, even if ignored: the timer may send again */
		struct linux_k_sigaction act = actions[sig - 1];
		if (ignored(sig))
			continue;
		if (act.handler == SIG_DFL)
			break;
		int err = frame_build(t, g, sig, &info, &act, saved_mask, limit);
		spin_unlock(&signal_lock);
		if (err)
			terminate(LINUX_SIGSEGV);
		arch_signal_jump(g);
	}
	spin_unlock(&signal_lock);
	if (sig)
		terminate(sig);
	t->sig.blocked = saved_mask;
}

/* The context the application sees at the end of its system call: the syscall instruction
 * left its rip in %rcx and rflags in %r11. */
static void syscall_context(const struct syscall_args *a, long result, uint64_t *g)
{
	memzero(g, SIGCTX_NGREG * sizeof(uint64_t));
	g[SIGCTX_RDI] = a->arg[0];
	g[SIGCTX_RSI] = a->arg[1];
	g[SIGCTX_RDX] = a->arg[2];
	g[SIGCTX_R10] = a->arg[3];
	g[SIGCTX_R8] = a->arg[4];
	g[SIGCTX_R9] = a->arg[5];
	g[SIGCTX_R15] = a->r15;
	g[SIGCTX_R14] = a->r14;
	g[SIGCTX_R13] = a->r13;
	g[SIGCTX_R12] = a->r12;
	g[SIGCTX_RBP] = a->rbp;
	g[SIGCTX_RBX] = a->rbx;
	g[SIGCTX_RAX] = (uint64_t)result;
	g[SIGCTX_RCX] = a->rip;
	g[SIGCTX_R11] = a->rflags;
	g[SIGCTX_RIP] = a->rip;
	g[SIGCTX_EFL] = a->rflags;
	g[SIGCTX_RSP] = user_sp(a);
}

static long syscall_deliver(const struct syscall_args *a, long result, uint64_t saved_mask)
{
	uint64_t g[SIGCTX_NGREG];
	syscall_context(a, result, g);
	deliver(g, saved_mask, current_sp() - KERNEL_STACK_MARGIN);
	return result;
}

long signal_syscall_return(const struct syscall_args *a, long result)
{
	return syscall_deliver(a, result, thread_current()->sig.blocked);
}

/* --- CPU faults --- */

/* The signal a CPU exception in application code becomes, as Linux's traps.c chooses. */
static int fault_signal(int vector, uint64_t error, struct linux_siginfo *info, uint64_t rip)
{
	memzero(info, sizeof(*info));
	info->si_code = SI_KERNEL;
	switch (vector) {
	case 0: /* #DE */
		info->si_code = FPE_INTDIV;
		info->u.addr = rip;
		return info->si_signo = LINUX_SIGFPE;
	case 3: /* #BP */
		return info->si_signo = LINUX_SIGTRAP;
	case 4: /* #OF */
	case 5: /* #BR */
	case 13: /* #GP */
		return info->si_signo = LINUX_SIGSEGV;
	case 6: /* #UD */
		info->si_code = ILL_ILLOPN;
		info->u.addr = rip;
		return info->si_signo = LINUX_SIGILL;
	case 11: /* #NP */
	case 12: /* #SS */
		return info->si_signo = LINUX_SIGBUS;
	case 14: /* #PF; the address comes from CR2 */
		info->si_code = (error & 1) ? SEGV_ACCERR : SEGV_MAPERR;
		return info->si_signo = LINUX_SIGSEGV;
	case 16: /* #MF */
	case 19: /* #XM */
		return info->si_signo = LINUX_SIGFPE;
	case 17: /* #AC */
		info->si_code = BUS_ADRALN;
		return info->si_signo = LINUX_SIGBUS;
	default:
		return 0;
	}
}

static void trap_to_context(const struct trap_frame *f, uint64_t *g)
{
	memzero(g, SIGCTX_NGREG * sizeof(uint64_t));
	g[SIGCTX_R8] = f->r8, g[SIGCTX_R9] = f->r9, g[SIGCTX_R10] = f->r10;
	g[SIGCTX_R11] = f->r11, g[SIGCTX_R12] = f->r12, g[SIGCTX_R13] = f->r13;
	g[SIGCTX_R14] = f->r14, g[SIGCTX_R15] = f->r15, g[SIGCTX_RDI] = f->rdi;
	g[SIGCTX_RSI] = f->rsi, g[SIGCTX_RBP] = f->rbp, g[SIGCTX_RBX] = f->rbx;
	g[SIGCTX_RDX] = f->rdx, g[SIGCTX_RAX] = f->rax, g[SIGCTX_RCX] = f->rcx;
	g[SIGCTX_RSP] = f->rsp, g[SIGCTX_RIP] = f->rip, g[SIGCTX_EFL] = f->rflags;
	g[SIGCTX_ERR] = f->error;
	g[SIGCTX_TRAPNO] = f->vector;
}

/* trap_signal_hook, called by trap_handle for a CPU exception. 0 when it is not the
 * application's (kernel code runs with interrupts off, the application with them on; the
 * timers' kernel thread, timer.c's, is the one other thread with them on): the fault is reported
 * as in a native image. -1 when a handler was installed for its signal: f now runs the handler.
 * Else the signal, whose default action the report ends with (exit 128 + signal). */
static int signal_fault(struct trap_frame *f, int vector, uint64_t cr2)
{
	if (trap_fixup_user_access(f, vector))
		return -1; /* a bad pointer handed to a system call: -EFAULT */
	struct thread *t = thread_current();
	struct linux_siginfo info;
	if (!(f->rflags & RFLAGS_IF) || (timer_kernel_thread && timer_kernel_thread(t)))
		return 0;
	int sig = fault_signal(vector, f->error, &info, f->rip);
	if (!sig)
		return 0;
	if (vector == 14) {
		info.u.addr = cr2;
		/* A page not mapped, within 64 KiB of the stack pointer: a guard page. */
		if (!(f->error & 1) && cr2 + (64 << 10) >= f->rsp && cr2 < f->rsp + (64 << 10))
			trap_note = "a stack overflow: the fault is in the guard page below the stack";
	}
	uint64_t bit = SIGNAL_BIT(sig);
	struct linux_k_sigaction act = actions[sig - 1];
	/* A blocked or ignored fault signal kills, as Linux's force_sig does. */
	if (act.handler == SIG_DFL || act.handler == SIG_IGN || (t->sig.blocked & bit))
		return sig;
	uint64_t g[SIGCTX_NGREG];
	trap_to_context(f, g);
	g[SIGCTX_CR2] = cr2;
	spin_lock(&signal_lock);
	int err = frame_build(t, g, sig, &info, &act, t->sig.blocked, UINT64_MAX);
	spin_unlock(&signal_lock);
	if (err)
		return sig;
	f->rip = g[SIGCTX_RIP];
	f->rsp = g[SIGCTX_RSP];
	f->rdi = g[SIGCTX_RDI];
	f->rsi = g[SIGCTX_RSI];
	f->rdx = g[SIGCTX_RDX];
	f->rax = 0;
	f->rflags = g[SIGCTX_EFL];
	trap_note = NULL; /* the handler has it */
	return -1;
}

/* --- System calls --- */

long sys_rt_sigaction(const struct syscall_args *a)
{
	uint64_t sig = a->arg[0], act = a->arg[1], oldact = a->arg[2];
	if (a->arg[3] != SIGSET_SIZE || !signal_valid(sig))
		return -LINUX_EINVAL;
	if (act && (SIGNAL_BIT(sig) & KILLABLE))
		return -LINUX_EINVAL;
	struct linux_k_sigaction new;
	if (act && copy_from_user(&new, act, sizeof(new)))
		return -LINUX_EFAULT;
	spin_lock(&signal_lock);
	struct linux_k_sigaction old = actions[sig - 1];
	if (act) {
		new.mask &= ~KILLABLE;
		actions[sig - 1] = new;
		/* A signal set to be ignored is dropped where it waits, as Linux does. */
		if (ignored((int)sig)) {
			__atomic_and_fetch(&signal_process_pending, ~SIGNAL_BIT(sig), __ATOMIC_SEQ_CST);
			for (struct thread *t = threads; t; t = t->sig.next)
				t->sig.pending &= ~SIGNAL_BIT(sig);
		}
	}
	spin_unlock(&signal_lock);
	if (oldact && copy_to_user(oldact, &old, sizeof(old)))
		return -LINUX_EFAULT;
	return 0;
}

long sys_rt_sigprocmask(const struct syscall_args *a)
{
	uint64_t how = a->arg[0], set = a->arg[1], oldset = a->arg[2], mask;
	struct thread *t = thread_current();
	if (a->arg[3] != SIGSET_SIZE)
		return -LINUX_EINVAL;
	uint64_t old = t->sig.blocked;
	if (set) {
		if (copy_from_user(&mask, set, sizeof(mask)))
			return -LINUX_EFAULT;
		mask &= ~KILLABLE;
		switch (how) {
		case SIG_BLOCK:
			t->sig.blocked |= mask;
			break;
		case SIG_UNBLOCK:
			t->sig.blocked &= ~mask;
			break;
		case SIG_SETMASK:
			t->sig.blocked = mask;
			break;
		default:
			return -LINUX_EINVAL;
		}
	}
	if (oldset && copy_to_user(oldset, &old, sizeof(old)))
		return -LINUX_EFAULT;
	return 0;
}

long sys_rt_sigpending(const struct syscall_args *a)
{
	struct thread *t = thread_current();
	if (a->arg[1] > SIGSET_SIZE)
		return -LINUX_EINVAL;
	uint64_t set = (t->sig.pending | signal_process_pending) & t->sig.blocked;
	return copy_to_user(a->arg[0], &set, a->arg[1]) ? -LINUX_EFAULT : 0;
}

long sys_sigaltstack(const struct syscall_args *a)
{
	struct thread *t = thread_current();
	uint64_t ss = a->arg[0], old_ss = a->arg[1], sp = user_sp(a);
	struct linux_stack old, new;
	stack_describe(t, sp, &old);
	if (ss) {
		if (copy_from_user(&new, ss, sizeof(new)))
			return -LINUX_EFAULT;
		if (on_altstack(t, sp))
			return -LINUX_EPERM;
		if (new.ss_flags == SS_DISABLE) {
			new.ss_sp = new.ss_size = 0;
		} else if (new.ss_flags != 0 && new.ss_flags != SS_ONSTACK) {
			return -LINUX_EINVAL;
		} else if (new.ss_size < MINSIGSTKSZ) {
			return -LINUX_ENOMEM;
		}
		t->sig.altstack_sp = new.ss_sp;
		t->sig.altstack_size = new.ss_size;
	}
	if (old_ss && copy_to_user(old_ss, &old, sizeof(old)))
		return -LINUX_EFAULT;
	return 0;
}

/* The handler's return (musl's sa_restorer): the ucontext sits where the handler's return
 * address was popped from. Registers come back from it, the mask too; a signal it unblocks
 * is run right away, from the restored context. */
long sys_rt_sigreturn(const struct syscall_args *a)
{
	struct thread *t = thread_current();
	struct linux_ucontext uc;
	if (copy_from_user(&uc, user_sp(a), sizeof(uc)))
		terminate(LINUX_SIGSEGV);
	uint64_t *g = uc.gregs;
	g[SIGCTX_EFL] = (g[SIGCTX_EFL] & RFLAGS_RESTORED) | RFLAGS_IF | 2;
	t->sig.blocked = uc.uc_sigmask & ~KILLABLE;
	if (signal_deliverable(t))
		deliver(g, t->sig.blocked, current_sp() - KERNEL_STACK_MARGIN);
	arch_signal_jump(g);
}

/* Sends sig to thread tid, or to the process when tid is 0. Signal 0 only asks whether the
 * target exists. The look-up and the send are one hold of the lock: a thread leaves the list
 * (under it) before it exits. */
static long kill_checked(uint64_t tid, uint64_t sig)
{
	if (sig && !signal_valid(sig))
		return -LINUX_EINVAL;
	spin_lock(&signal_lock);
	struct thread *t = tid ? thread_by_tid(tid) : NULL;
	if (tid && !t) {
		spin_unlock(&signal_lock);
		return -LINUX_ESRCH;
	}
	if (sig && t)
		send_thread(t, (int)sig);
	else if (sig)
		send_process((int)sig, 0);
	spin_unlock(&signal_lock);
	return 0;
}

void signal_send_self(int sig)
{
	spin_lock(&signal_lock);
	send_thread(thread_current(), sig);
	spin_unlock(&signal_lock);
}

/* One process: pid 1, its group (0, -1) and "every process" (-1) are all the same. */
long sys_kill(const struct syscall_args *a)
{
	int64_t pid = (int64_t)a->arg[0];
	if (a->arg[1] && !signal_valid(a->arg[1]))
		return -LINUX_EINVAL;
	if (pid != TORO_PID && pid != 0 && pid != -1 && pid != -TORO_PID)
		return -LINUX_ESRCH;
	return kill_checked(0, a->arg[1]);
}

static long thread_kill(uint64_t tid, uint64_t sig)
{
	if ((int64_t)tid <= 0)
		return -LINUX_EINVAL;
	return kill_checked(tid, sig);
}

long sys_tkill(const struct syscall_args *a)
{
	return thread_kill(a->arg[0], a->arg[1]);
}

long sys_tgkill(const struct syscall_args *a)
{
	if ((int64_t)a->arg[0] <= 0)
		return -LINUX_EINVAL;
	if (a->arg[0] != TORO_PID)
		return -LINUX_ESRCH;
	return thread_kill(a->arg[1], a->arg[2]);
}

/* Until a signal the thread does not block is due (the caller runs it on the way out). */
static void wait_for_signal(void)
{
	sched_prepare_block(0);
	signal_wait_begin();
	sched_block();
	while (!signal_wait_end()) {
		sched_prepare_block(0);
		signal_wait_begin();
		sched_block();
	}
}

long sys_pause(const struct syscall_args *a)
{
	(void)a;
	wait_for_signal();
	return -LINUX_EINTR;
}

/* The handler runs with the mask given here; its return restores the mask from before. */
long sys_rt_sigsuspend(const struct syscall_args *a)
{
	struct thread *t = thread_current();
	uint64_t mask;
	if (a->arg[1] != SIGSET_SIZE)
		return -LINUX_EINVAL;
	if (copy_from_user(&mask, a->arg[0], sizeof(mask)))
		return -LINUX_EFAULT;
	uint64_t saved = t->sig.blocked;
	t->sig.blocked = mask & ~KILLABLE;
	wait_for_signal();
	return syscall_deliver(a, -LINUX_EINTR, saved);
}

/* --- For POSIX timers, sigwaitinfo and signalfd (the `timer` and `event` groups: linked only
 * with them) --- */

int signal_send_kernel(uint64_t tid, int sig)
{
	uint64_t bit = SIGNAL_BIT(sig);
	int sent = 0;
	spin_lock(&signal_lock);
	if (tid) {
		struct thread *t = thread_by_tid(tid);
		if (t) {
			send_thread(t, sig);
			sent = (t->sig.pending & bit) != 0;
		}
	} else {
		send_process(sig, 1);
		sent = (signal_process_pending & bit) != 0;
	}
	spin_unlock(&signal_lock);
	return sent;
}

int signal_thread_exists(uint64_t tid)
{
	spin_lock(&signal_lock);
	int found = thread_by_tid(tid) != NULL;
	spin_unlock(&signal_lock);
	return found;
}

/* Takes one of set's signals pending for t (blocked or not), or 0. */
static int dequeue_from(struct thread *t, uint64_t set, struct linux_siginfo *info)
{
	spin_lock(&signal_lock);
	uint64_t saved = t->sig.blocked;
	t->sig.blocked = ~set;
	int sig = dequeue(t, info);
	t->sig.blocked = saved;
	if (sig && signal_timer_info)
		signal_timer_info(info);
	spin_unlock(&signal_lock);
	return sig;
}

int signal_wait_set(uint64_t set, uint64_t deadline, int zero, struct linux_siginfo *info)
{
	struct thread *t = thread_current();
	int sig;
	set &= ~KILLABLE;
	while (!(sig = dequeue_from(t, set, info))) {
		if (zero || (deadline && time_monotonic_ns() >= deadline))
			return -LINUX_EAGAIN;
		if (signal_deliverable(t))
			return -LINUX_EINTR;
		sched_prepare_block(0);
		spin_lock(&signal_lock);
		uint64_t saved = t->sig.blocked;
		t->sig.blocked = saved & ~set; /* the set's signals wake the wait too */
		spin_unlock(&signal_lock);
		signal_wait_begin();
		if (deadline)
			sched_block_until(deadline);
		else
			sched_block();
		signal_wait_end();
		spin_lock(&signal_lock);
		t->sig.blocked = saved;
		spin_unlock(&signal_lock);
	}
	return sig;
}

/* sigwaitinfo and sigtimedwait: the set's signals are taken without running a handler; another
 * signal the thread does not block ends the wait (-EINTR, its handler run on the way out). */
long sys_rt_sigtimedwait(const struct syscall_args *a)
{
	uint64_t set, deadline;
	int zero = 0;
	if (a->arg[3] != SIGSET_SIZE)
		return -LINUX_EINVAL;
	if (copy_from_user(&set, a->arg[0], sizeof(set)))
		return -LINUX_EFAULT;
	long err = sys_timeout_deadline(a->arg[2], 0, 0, &deadline, &zero);
	if (err)
		return err;
	struct linux_siginfo info;
	int sig = signal_wait_set(set, deadline, zero, &info);
	if (sig < 0)
		return sig;
	if (a->arg[1] && copy_to_user(a->arg[1], &info, sizeof(info)))
		return -LINUX_EFAULT;
	return sig;
}
