/* timerfd: a timer as a struct file (the `timer` group). Its deadline is an entry of the timers'
 * kernel thread (timer.h); each expiration adds to a count that a read of 8 bytes takes whole,
 * blocking while it is zero (EAGAIN with O_NONBLOCK), and poll reports readable while it is not.
 * Setting the timer again starts the count over. The clock can never be set here (clock_settime
 * is ENOSYS), so TFD_TIMER_CANCEL_ON_SET is accepted and never cancels. */
#include "timer.h"

#include "syscall.h"
#include "syscall_groups.h"

#include <kernel/fd.h>
#include <kernel/time.h>
#include <toro/abi/linux.h>
#include <toro/memory.h>

#define TFD_CREATE_FLAGS (LINUX_TFD_CLOEXEC | LINUX_TFD_NONBLOCK)
#define TFD_SET_FLAGS    (LINUX_TFD_TIMER_ABSTIME | LINUX_TFD_TIMER_CANCEL_ON_SET)

struct timerfd {
	struct file file;
	struct timer_entry entry;
	struct wait_queue wait; /* its lock guards ticks; readers sleep on it */
	uint64_t ticks;         /* expirations not yet read */
	int realtime;           /* CLOCK_REALTIME: an absolute time is on the realtime clock */
};

static const struct file_ops timerfd_ops;

/* The entry's callback, with the timers' lock held (timer.h). */
static void timerfd_fire(struct timer_entry *entry, uint64_t runs)
{
	struct timerfd *t = (struct timerfd *)((char *)entry - offsetof(struct timerfd, entry));
	wait_queue_lock(&t->wait);
	t->ticks = runs ? t->ticks + runs : 0;
	wait_queue_unlock(&t->wait);
	if (runs) {
		wait_queue_wake_all(&t->wait);
		file_notify(&t->file);
	}
}

static long timerfd_read(struct file *f, const struct file_iovec *iov, size_t count)
{
	struct timerfd *t = f->private;
	if (count == 0 || iov[0].len < sizeof(uint64_t))
		return -LINUX_EINVAL; /* Linux wants the 8 bytes in one buffer */
	wait_queue_lock(&t->wait);
	while (t->ticks == 0) {
		if (__atomic_load_n(&f->flags, __ATOMIC_RELAXED) & LINUX_O_NONBLOCK) {
			wait_queue_unlock(&t->wait);
			return -LINUX_EAGAIN;
		}
		wait_queue_sleep(&t->wait);
		wait_queue_lock(&t->wait);
	}
	uint64_t ticks = t->ticks;
	/* Taken only if the copy succeeds, so a bad buffer loses nothing. */
	int err = copy_to_user((uintptr_t)iov[0].base, &ticks, sizeof(ticks));
	if (!err)
		t->ticks = 0;
	wait_queue_unlock(&t->wait);
	return err ? err : (long)sizeof(ticks);
}

static unsigned timerfd_poll(struct file *f)
{
	struct timerfd *t = f->private;
	wait_queue_lock(&t->wait);
	uint64_t ticks = t->ticks;
	wait_queue_unlock(&t->wait);
	return ticks ? LINUX_POLLIN : 0;
}

static void timerfd_release(struct file *f)
{
	struct timerfd *t = f->private;
	timer_entry_remove(&t->entry);
	toro_free(t);
}

static const struct file_ops timerfd_ops = {
    .read = timerfd_read,
    .poll = timerfd_poll,
    .stat = sys_anon_stat,
    .release = timerfd_release,
};

long sys_timerfd_create(const struct syscall_args *a)
{
	uint64_t clock = a->arg[0], flags = a->arg[1];
	if (clock != LINUX_CLOCK_REALTIME && clock != LINUX_CLOCK_MONOTONIC &&
	    clock != LINUX_CLOCK_BOOTTIME)
		return -LINUX_EINVAL;
	if (flags & ~(uint64_t)TFD_CREATE_FLAGS)
		return -LINUX_EINVAL;
	struct timerfd *t = toro_calloc(1, sizeof(*t));
	if (!t)
		return -LINUX_ENOMEM;
	t->entry.fire = timerfd_fire;
	t->realtime = clock == LINUX_CLOCK_REALTIME;
	wait_queue_init(&t->wait);
	file_init(&t->file, &timerfd_ops, LINUX_O_RDWR | (unsigned)(flags & LINUX_TFD_NONBLOCK), t);
	return fd_install_or_put(&t->file, 0, (flags & LINUX_TFD_CLOEXEC) != 0);
}

/* The timerfd fd names, with a reference; NULL with *err -EBADF or -EINVAL (another file). */
static struct timerfd *timerfd_get(uint64_t fd, long *err)
{
	struct file *f = fd_get((unsigned)fd);
	if (!f || f->ops != &timerfd_ops) {
		if (f)
			file_put(f);
		*err = f ? -LINUX_EINVAL : -LINUX_EBADF;
		return NULL;
	}
	return f->private;
}

long sys_timerfd_settime(const struct syscall_args *a)
{
	uint64_t value_ns, interval_ns, old_left, old_interval;
	if (a->arg[1] & ~(uint64_t)TFD_SET_FLAGS)
		return -LINUX_EINVAL;
	long err = timer_spec_in(a->arg[2], &value_ns, &interval_ns);
	if (err)
		return err;
	struct timerfd *t = timerfd_get(a->arg[0], &err);
	if (!t)
		return err;
	uint64_t deadline =
	    value_ns ? sys_deadline(value_ns, a->arg[1] & LINUX_TFD_TIMER_ABSTIME, t->realtime) : 0;
	err = timer_entry_set(&t->entry, deadline, interval_ns, &old_left, &old_interval);
	file_put(&t->file);
	if (err)
		return err;
	return a->arg[3] ? timer_spec_out(a->arg[3], old_left, old_interval) : 0;
}

long sys_timerfd_gettime(const struct syscall_args *a)
{
	uint64_t left, interval;
	long err = 0;
	struct timerfd *t = timerfd_get(a->arg[0], &err);
	if (!t)
		return err;
	timer_entry_get(&t->entry, &left, &interval);
	file_put(&t->file);
	return timer_spec_out(a->arg[1], left, interval);
}
