/* signalfd and signalfd4 (the `event` group): signals as a struct file. A read takes the reading
 * thread's pending signals of the file's mask, its own before the process's, as struct
 * signalfd_siginfo records (as many as fit), blocking while there is none (EAGAIN with
 * O_NONBLOCK; EINTR when a signal the thread does not block comes first), as sigwaitinfo does
 * (signal_wait_set in signal.c); poll reports readable while one is pending for the polling
 * thread. The program blocks the mask's signals, or their handlers or default actions come
 * first, as on Linux. signal.c tells every signalfd of a signal sent (signalfd_notify). */
#include "signal.h"
#include "syscall.h"
#include "syscall_groups.h"

#include <kernel/fd.h>
#include <kernel/spinlock.h>
#include <kernel/string.h>
#include <toro/abi/linux.h>
#include <toro/memory.h>

#define SFD_FLAGS (LINUX_SFD_CLOEXEC | LINUX_SFD_NONBLOCK)

/* Linux's struct signalfd_siginfo. */
struct linux_signalfd_siginfo {
	uint32_t signo;
	int32_t errno_, code;
	uint32_t pid, uid;
	int32_t fd;
	uint32_t tid, band, overrun, trapno;
	int32_t status, int_;
	uint64_t ptr, utime, stime, addr;
	uint16_t addr_lsb, pad2;
	int32_t syscall;
	uint64_t call_addr;
	uint32_t arch;
	uint8_t pad[28];
};
_Static_assert(sizeof(struct linux_signalfd_siginfo) == 128, "Linux's signalfd_siginfo");

struct signalfd {
	struct file file;
	uint64_t mask; /* atomic: signalfd4 on the file changes it */
	struct signalfd *next;
};

static const struct file_ops signalfd_ops;
static struct signalfd *signalfds; /* every open one, for signalfd_notify */
static struct spinlock signalfds_lock;

void signalfd_notify(uint64_t bit)
{
	spin_lock(&signalfds_lock);
	for (struct signalfd *s = signalfds; s; s = s->next)
		if (__atomic_load_n(&s->mask, __ATOMIC_RELAXED) & bit)
			file_notify(&s->file);
	spin_unlock(&signalfds_lock);
}

static void record_of(const struct linux_siginfo *info, struct linux_signalfd_siginfo *r)
{
	memzero(r, sizeof(*r));
	r->signo = (uint32_t)info->si_signo;
	r->errno_ = info->si_errno;
	r->code = info->si_code;
	if (info->si_code == SI_TIMER) {
		r->tid = (uint32_t)info->u.timer.tid;
		r->overrun = (uint32_t)info->u.timer.overrun;
		r->int_ = (int32_t)info->u.timer.value;
		r->ptr = info->u.timer.value;
	} else {
		r->pid = (uint32_t)info->u.kill.pid;
		r->uid = info->u.kill.uid;
		r->addr = info->u.addr; /* a fault's, sharing the union with pid and uid */
	}
}

static long signalfd_read(struct file *f, const struct file_iovec *iov, size_t count)
{
	struct signalfd *s = f->private;
	size_t room = count ? iov[0].len / sizeof(struct linux_signalfd_siginfo) : 0;
	if (room == 0)
		return -LINUX_EINVAL; /* Linux wants at least one record in the buffer */
	int nonblock = (__atomic_load_n(&f->flags, __ATOMIC_RELAXED) & LINUX_O_NONBLOCK) != 0;
	uint64_t mask = __atomic_load_n(&s->mask, __ATOMIC_RELAXED);
	size_t done = 0;
	while (done < room) {
		struct linux_siginfo info;
		/* Only the first record may wait. */
		int sig = signal_wait_set(mask, 0, nonblock || done, &info);
		if (sig < 0)
			return done ? (long)(done * sizeof(struct linux_signalfd_siginfo)) : sig;
		struct linux_signalfd_siginfo r;
		record_of(&info, &r);
		if (copy_to_user((uintptr_t)iov[0].base + done * sizeof(r), &r, sizeof(r)))
			return done ? (long)(done * sizeof(r)) : -LINUX_EFAULT;
		done++;
	}
	return (long)(done * sizeof(struct linux_signalfd_siginfo));
}

static unsigned signalfd_poll(struct file *f)
{
	struct signalfd *s = f->private;
	struct thread *t = thread_current();
	/* No lock: signal.c calls file_notify with its lock held. */
	uint64_t pending = __atomic_load_n(&t->sig.pending, __ATOMIC_RELAXED) |
	                   __atomic_load_n(&signal_process_pending, __ATOMIC_RELAXED);
	return pending & __atomic_load_n(&s->mask, __ATOMIC_RELAXED) ? LINUX_POLLIN : 0;
}

static void signalfd_release(struct file *f)
{
	struct signalfd *s = f->private;
	spin_lock(&signalfds_lock);
	struct signalfd **link = &signalfds;
	while (*link != s)
		link = &(*link)->next;
	*link = s->next;
	spin_unlock(&signalfds_lock);
	toro_free(s);
}

static const struct file_ops signalfd_ops = {
    .read = signalfd_read,
    .poll = signalfd_poll,
    .stat = sys_anon_stat,
    .release = signalfd_release,
};

static long signalfd_open(int32_t fd, uint64_t umask, uint64_t size, uint64_t flags)
{
	uint64_t mask;
	if (size != SIGSET_SIZE || (flags & ~(uint64_t)SFD_FLAGS))
		return -LINUX_EINVAL;
	if (copy_from_user(&mask, umask, sizeof(mask)))
		return -LINUX_EFAULT;
	mask &= ~KILLABLE;
	if (fd != -1) {
		struct file *f = fd >= 0 ? fd_get((unsigned)fd) : NULL;
		if (!f)
			return -LINUX_EBADF;
		long r = f->ops == &signalfd_ops ? fd : -LINUX_EINVAL;
		if (r >= 0)
			__atomic_store_n(&((struct signalfd *)f->private)->mask, mask,
			                 __ATOMIC_RELAXED);
		file_put(f);
		return r;
	}
	struct signalfd *s = toro_calloc(1, sizeof(*s));
	if (!s)
		return -LINUX_ENOMEM;
	s->mask = mask;
	file_init(&s->file, &signalfd_ops, LINUX_O_RDWR | (unsigned)(flags & LINUX_SFD_NONBLOCK),
	          s);
	spin_lock(&signalfds_lock);
	s->next = signalfds;
	signalfds = s;
	spin_unlock(&signalfds_lock);
	return fd_install_or_put(&s->file, 0, (flags & LINUX_SFD_CLOEXEC) != 0);
}

long sys_signalfd(const struct syscall_args *a)
{
	return signalfd_open((int32_t)a->arg[0], a->arg[1], a->arg[2], 0);
}

long sys_signalfd4(const struct syscall_args *a)
{
	return signalfd_open((int32_t)a->arg[0], a->arg[1], a->arg[2], a->arg[3]);
}
