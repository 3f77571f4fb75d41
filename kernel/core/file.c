/* Open files (kernel/include/kernel/file.h): references and the calls that dispatch to a file's
 * operations, giving Linux's answer where a file type leaves an operation out. Descriptor numbers
 * are kernel/sys/fd.c's business. */
#include <kernel/arch.h>
#include <kernel/file.h>
#include <kernel/spinlock.h>

/* Threads in poll or select wait for any file's notification, on one list for all files: such a
 * thread waits on many files at once, and a wait queue holds a thread in one queue only. The
 * generation counts notifications, so that one between a poller's scan of its files and its
 * sleep is never lost. */
struct file_poll_waiter {
	struct file_poll_waiter *next;
	struct thread *thread;
	int woken;
};

static struct {
	struct spinlock lock; /* taken with interrupts off: file_notify may run in a handler */
	uint64_t generation;
	struct file_poll_waiter *head;
} file_pollers;

void file_init(struct file *f, const struct file_ops *ops, unsigned flags, void *private)
{
	f->ops = ops;
	f->refs = 1;
	f->flags = flags;
	f->private = private;
	f->notifications = 0;
	wait_queue_init(&f->pollers);
}

struct file *file_get(struct file *f)
{
	__atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
	return f;
}

/* acq_rel: whatever the other holders did to the file happens before release frees it. */
void file_put(struct file *f)
{
	if (__atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) == 0 && f->ops->release)
		f->ops->release(f);
}

static unsigned file_access(const struct file *f)
{
	return f->flags & LINUX_O_ACCMODE;
}

long file_read(struct file *f, const struct file_iovec *iov, size_t count)
{
	if (file_access(f) == LINUX_O_WRONLY)
		return -LINUX_EBADF;
	if (!f->ops->read)
		return -LINUX_EINVAL;
	return f->ops->read(f, iov, count);
}

long file_write(struct file *f, const struct file_iovec *iov, size_t count)
{
	if (file_access(f) == LINUX_O_RDONLY)
		return -LINUX_EBADF;
	if (!f->ops->write)
		return -LINUX_EINVAL;
	return f->ops->write(f, iov, count);
}

int64_t file_lseek(struct file *f, int64_t offset, int whence)
{
	if (!f->ops->lseek)
		return -LINUX_ESPIPE;
	return f->ops->lseek(f, offset, whence);
}

long file_ioctl(struct file *f, unsigned long cmd, void *arg)
{
	if (!f->ops->ioctl)
		return -LINUX_ENOTTY;
	return f->ops->ioctl(f, cmd, arg);
}

unsigned file_poll(struct file *f)
{
	if (!f->ops->poll)
		return LINUX_POLLIN | LINUX_POLLOUT;
	return f->ops->poll(f);
}

int file_stat(struct file *f, struct file_stat *st)
{
	*st = (struct file_stat){0};
	if (!f->ops->stat)
		return 0;
	return f->ops->stat(f, st);
}

void file_notify(struct file *f)
{
	__atomic_add_fetch(&f->notifications, 1, __ATOMIC_RELEASE);
	wait_queue_wake_all(&f->pollers);
	uint64_t flags = arch_irq_save();
	spin_lock(&file_pollers.lock);
	__atomic_add_fetch(&file_pollers.generation, 1, __ATOMIC_RELEASE);
	for (struct file_poll_waiter *w = file_pollers.head; w; w = w->next) {
		w->woken = 1;
		sched_wake(w->thread);
	}
	file_pollers.head = NULL;
	spin_unlock(&file_pollers.lock);
	arch_irq_restore(flags);
}

uint64_t file_poll_generation(void)
{
	return __atomic_load_n(&file_pollers.generation, __ATOMIC_ACQUIRE);
}

static void file_poll_unlink(struct file_poll_waiter *w)
{
	for (struct file_poll_waiter **link = &file_pollers.head; *link; link = &(*link)->next) {
		if (*link == w) {
			*link = w->next;
			return;
		}
	}
}

int file_poll_wait(uint64_t generation, uint64_t deadline_ns)
{
	struct file_poll_waiter w = {.thread = thread_current()};
	uint64_t flags = arch_irq_save();
	spin_lock(&file_pollers.lock);
	if (file_pollers.generation != generation) {
		spin_unlock(&file_pollers.lock);
		arch_irq_restore(flags);
		return 0;
	}
	w.next = file_pollers.head;
	file_pollers.head = &w;
	sched_prepare_block(0);
	spin_unlock(&file_pollers.lock);
	arch_irq_restore(flags);
	if (deadline_ns)
		sched_block_until(deadline_ns);
	else
		sched_block();
	flags = arch_irq_save();
	spin_lock(&file_pollers.lock);
	int woken = w.woken;
	if (!woken)
		file_poll_unlink(&w);
	spin_unlock(&file_pollers.lock);
	arch_irq_restore(flags);
	return !woken;
}
