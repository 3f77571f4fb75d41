/* eventfd and eventfd2: a 64-bit counter as a struct file. A write adds to it (blocking while
 * the sum would pass the maximum), a read takes it all, or one with EFD_SEMAPHORE, blocking while
 * it is zero; poll reports readable while it is non-zero and writable while 1 more fits. Part of
 * the `event` system-call group, with epoll (kernel/sys/epoll.c). */
#include "syscall.h"
#include "syscall_groups.h"

#include <kernel/fd.h>
#include <toro/abi/linux.h>
#include <toro/memory.h>

#define EVENTFD_MAX   0xfffffffffffffffeull /* the largest value the counter may hold */
#define EVENTFD_FLAGS (LINUX_EFD_SEMAPHORE | LINUX_EFD_CLOEXEC | LINUX_EFD_NONBLOCK)

struct eventfd {
	struct file file;
	struct wait_queue wait; /* its lock guards count; readers and writers sleep on it */
	uint64_t count;
	int semaphore;
};

/* Reads and writes move the 8-byte counter: -EINVAL if the iovecs hold fewer bytes, as Linux
 * answers. */
static int eventfd_size_check(const struct file_iovec *iov, size_t count)
{
	size_t total = 0;
	for (size_t i = 0; i < count && total < sizeof(uint64_t); i++)
		total += iov[i].len;
	return total < sizeof(uint64_t) ? -LINUX_EINVAL : 0;
}

/* Copies the 8-byte value between value and the iovecs (to them when out), which may split it.
 * The iovecs hold at least 8 bytes (eventfd_size_check). */
static int eventfd_copy(const struct file_iovec *iov, uint64_t *value, int out)
{
	uint8_t *bytes = (uint8_t *)value;
	size_t done = 0;
	for (size_t i = 0; done < sizeof(*value); i++) {
		size_t n = iov[i].len < sizeof(*value) - done ? iov[i].len : sizeof(*value) - done;
		uint64_t user = (uintptr_t)iov[i].base;
		int err = out ? copy_to_user(user, bytes + done, n)
		              : copy_from_user(bytes + done, user, n);
		if (err)
			return err;
		done += n;
	}
	return 0;
}

static int eventfd_nonblocking(const struct file *f)
{
	return __atomic_load_n(&f->flags, __ATOMIC_RELAXED) & LINUX_O_NONBLOCK;
}

/* After the counter changed: wakes blocked readers and writers, and pollers. */
static void eventfd_wake(struct eventfd *e)
{
	wait_queue_wake_all(&e->wait);
	file_notify(&e->file);
}

static long eventfd_read(struct file *f, const struct file_iovec *iov, size_t count)
{
	struct eventfd *e = f->private;
	uint64_t value;
	int err = eventfd_size_check(iov, count);
	if (err)
		return err;
	wait_queue_lock(&e->wait);
	while (e->count == 0) {
		if (eventfd_nonblocking(f)) {
			wait_queue_unlock(&e->wait);
			return -LINUX_EAGAIN;
		}
		wait_queue_sleep(&e->wait);
		wait_queue_lock(&e->wait);
	}
	value = e->semaphore ? 1 : e->count;
	/* Taken only if the copy succeeds, so a bad buffer loses nothing. */
	err = eventfd_copy(iov, &value, 1);
	if (!err)
		e->count -= value;
	wait_queue_unlock(&e->wait);
	if (err)
		return err;
	eventfd_wake(e);
	return sizeof(value);
}

static long eventfd_write(struct file *f, const struct file_iovec *iov, size_t count)
{
	struct eventfd *e = f->private;
	uint64_t value;
	int err = eventfd_size_check(iov, count);
	if (!err)
		err = eventfd_copy(iov, &value, 0);
	if (err)
		return err;
	if (value > EVENTFD_MAX)
		return -LINUX_EINVAL;
	wait_queue_lock(&e->wait);
	while (EVENTFD_MAX - e->count < value) {
		if (eventfd_nonblocking(f)) {
			wait_queue_unlock(&e->wait);
			return -LINUX_EAGAIN;
		}
		wait_queue_sleep(&e->wait);
		wait_queue_lock(&e->wait);
	}
	e->count += value;
	wait_queue_unlock(&e->wait);
	if (value)
		eventfd_wake(e);
	return sizeof(value);
}

static unsigned eventfd_poll(struct file *f)
{
	struct eventfd *e = f->private;
	wait_queue_lock(&e->wait);
	uint64_t n = e->count;
	wait_queue_unlock(&e->wait);
	return (n ? LINUX_POLLIN : 0) | (n < EVENTFD_MAX ? LINUX_POLLOUT : 0);
}

static void eventfd_release(struct file *f)
{
	toro_free(f->private);
}

static const struct file_ops eventfd_ops = {
    .read = eventfd_read,
    .write = eventfd_write,
    .poll = eventfd_poll,
    .stat = sys_anon_stat,
    .release = eventfd_release,
};

static long eventfd_open(uint64_t initval, uint64_t flags)
{
	if (flags & ~(uint64_t)EVENTFD_FLAGS)
		return -LINUX_EINVAL;
	struct eventfd *e = toro_calloc(1, sizeof(*e));
	if (!e)
		return -LINUX_ENOMEM;
	e->count = (uint32_t)initval; /* the argument is an unsigned int */
	e->semaphore = (flags & LINUX_EFD_SEMAPHORE) != 0;
	wait_queue_init(&e->wait);
	file_init(&e->file, &eventfd_ops, LINUX_O_RDWR | (unsigned)(flags & LINUX_EFD_NONBLOCK), e);
	return fd_install_or_put(&e->file, 0, (flags & LINUX_EFD_CLOEXEC) != 0);
}

long sys_eventfd(const struct syscall_args *a)
{
	return eventfd_open(a->arg[0], 0);
}

long sys_eventfd2(const struct syscall_args *a)
{
	return eventfd_open(a->arg[0], a->arg[1]);
}
