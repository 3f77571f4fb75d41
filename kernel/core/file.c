/* Open files (kernel/include/kernel/file.h): references and the calls that dispatch to a file's
 * operations, giving Linux's answer where a file type leaves an operation out. Descriptor numbers
 * are kernel/sys/fd.c's business. */
#include <kernel/file.h>

void file_init(struct file *f, const struct file_ops *ops, unsigned flags, void *private)
{
	f->ops = ops;
	f->refs = 1;
	f->flags = flags;
	f->private = private;
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
	wait_queue_wake_all(&f->pollers);
}
