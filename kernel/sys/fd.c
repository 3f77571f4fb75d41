/* The descriptor table and the calls that work on descriptors rather than on what they name:
 * close, dup, dup2, dup3, fcntl. One table for the process, under one lock, since threads on
 * several cores share it; files are dropped after the lock is released, because the last
 * file_put may run a release that blocks. */
#include "syscall.h"

#include <kernel/fd.h>
#include <kernel/spinlock.h>

/* The table is BSS, which boot clears at one instruction per 8 bytes: a pointer per descriptor
 * and FD_CLOEXEC (a property of the descriptor, not of the file) as a bitmap keep that to
 * ~1,000 instructions. */
static struct {
	struct spinlock lock; /* guards fd_files too */
	uint64_t cloexec[FD_MAX / 64];
} fd_table;
struct file *fd_files[FD_MAX]; /* NULL: the descriptor is free */

/* With the lock held: fd names f, with FD_CLOEXEC as given. */
static void fd_set(unsigned fd, struct file *f, int cloexec)
{
	uint64_t bit = 1ull << (fd % 64);
	fd_files[fd] = f;
	if (cloexec)
		fd_table.cloexec[fd / 64] |= bit;
	else
		fd_table.cloexec[fd / 64] &= ~bit;
}

void fd_init(void)
{
	for (unsigned fd = 0; fd < 3; fd++)
		fd_files[fd] = console_file_open(fd);
}

struct file *fd_get(unsigned fd)
{
	if (fd >= FD_MAX)
		return NULL;
	spin_lock(&fd_table.lock);
	struct file *f = fd_files[fd];
	if (f)
		file_get(f);
	spin_unlock(&fd_table.lock);
	return f;
}

/* With the lock held: the lowest free descriptor from min, or -EMFILE. */
static long fd_lowest_free(unsigned min)
{
	for (unsigned fd = min; fd < FD_MAX; fd++)
		if (!fd_files[fd])
			return fd;
	return -LINUX_EMFILE;
}

long fd_install(struct file *f, unsigned min, int cloexec)
{
	spin_lock(&fd_table.lock);
	long fd = fd_lowest_free(min);
	if (fd >= 0)
		fd_set((unsigned)fd, f, cloexec);
	spin_unlock(&fd_table.lock);
	return fd;
}

long fd_install_or_put(struct file *f, unsigned min, int cloexec)
{
	long fd = fd_install(f, min, cloexec);
	if (fd < 0)
		file_put(f);
	return fd;
}

/* dup and F_DUPFD: a copy of old at the lowest free descriptor from min. */
static long fd_dup_from(unsigned old, unsigned min, int cloexec)
{
	struct file *f = fd_get(old);
	return f ? fd_install_or_put(f, min, cloexec) : -LINUX_EBADF;
}

/* dup2 and dup3: new names what old names, closing what new named, in one step. */
static long fd_dup_to(unsigned old, unsigned new, int cloexec)
{
	if (new >= FD_MAX)
		return -LINUX_EBADF;
	struct file *f = fd_get(old);
	if (!f)
		return -LINUX_EBADF;
	spin_lock(&fd_table.lock);
	struct file *replaced = fd_files[new];
	fd_set(new, f, cloexec);
	spin_unlock(&fd_table.lock);
	if (replaced)
		file_put(replaced);
	return new;
}

long sys_close(const struct syscall_args *a)
{
	return fd_close((unsigned)a->arg[0]);
}

long fd_close(unsigned fd)
{
	if (fd >= FD_MAX)
		return -LINUX_EBADF;
	spin_lock(&fd_table.lock);
	struct file *f = fd_files[fd];
	fd_set(fd, NULL, 0);
	spin_unlock(&fd_table.lock);
	if (!f)
		return -LINUX_EBADF;
	file_put(f);
	return 0;
}

long sys_dup(const struct syscall_args *a)
{
	return fd_dup_from((unsigned)a->arg[0], 0, 0);
}

/* dup2(fd, fd) changes nothing and only checks that fd is open. */
long sys_dup2(const struct syscall_args *a)
{
	unsigned old = (unsigned)a->arg[0], new = (unsigned)a->arg[1];
	if (old != new)
		return fd_dup_to(old, new, 0);
	struct file *f = fd_get(old);
	if (!f)
		return -LINUX_EBADF;
	file_put(f);
	return new;
}

long sys_dup3(const struct syscall_args *a)
{
	unsigned old = (unsigned)a->arg[0], new = (unsigned)a->arg[1];
	uint64_t flags = a->arg[2];
	if ((flags & ~(uint64_t)LINUX_O_CLOEXEC) || old == new)
		return -LINUX_EINVAL;
	return fd_dup_to(old, new, flags != 0);
}

static long fd_get_cloexec(unsigned fd)
{
	spin_lock(&fd_table.lock);
	long rc = -LINUX_EBADF;
	if (fd_files[fd])
		rc = (fd_table.cloexec[fd / 64] >> (fd % 64)) & 1 ? LINUX_FD_CLOEXEC : 0;
	spin_unlock(&fd_table.lock);
	return rc;
}

static long fd_set_cloexec(unsigned fd, int cloexec)
{
	long rc = 0;
	spin_lock(&fd_table.lock);
	if (fd_files[fd])
		fd_set(fd, fd_files[fd], cloexec);
	else
		rc = -LINUX_EBADF;
	spin_unlock(&fd_table.lock);
	return rc;
}

/* F_SETFL changes only the settable status flags; the file is shared with every copy of the
 * descriptor, so the change is one atomic update. */
static void file_set_status_flags(struct file *f, unsigned flags)
{
	unsigned old = __atomic_load_n(&f->flags, __ATOMIC_RELAXED), updated;
	do
		updated = (old & ~FILE_SETTABLE_FLAGS) | (flags & FILE_SETTABLE_FLAGS);
	while (!__atomic_compare_exchange_n(&f->flags, &old, updated, 0, __ATOMIC_RELAXED,
	                                    __ATOMIC_RELAXED));
}

static long fd_status_flags(unsigned fd, uint64_t cmd, uint64_t arg)
{
	struct file *f = fd_get(fd);
	if (!f)
		return -LINUX_EBADF;
	long rc = 0;
	if (cmd == LINUX_F_GETFL)
		rc = __atomic_load_n(&f->flags, __ATOMIC_RELAXED);
	else
		file_set_status_flags(f, (unsigned)arg);
	file_put(f);
	return rc;
}

long sys_fcntl(const struct syscall_args *a)
{
	unsigned fd = (unsigned)a->arg[0];
	uint64_t cmd = a->arg[1], arg = a->arg[2];
	if (fd >= FD_MAX)
		return -LINUX_EBADF;
	switch (cmd) {
	case LINUX_F_DUPFD:
	case LINUX_F_DUPFD_CLOEXEC:
		if (arg >= FD_MAX)
			return -LINUX_EINVAL;
		return fd_dup_from(fd, (unsigned)arg, cmd == LINUX_F_DUPFD_CLOEXEC);
	case LINUX_F_GETFD:
		return fd_get_cloexec(fd);
	case LINUX_F_SETFD:
		return fd_set_cloexec(fd, (arg & LINUX_FD_CLOEXEC) != 0);
	case LINUX_F_GETFL:
	case LINUX_F_SETFL:
		return fd_status_flags(fd, cmd, arg);
	case LINUX_F_GETLK:
	case LINUX_F_SETLK:
	case LINUX_F_SETLKW:
		return sys_fcntl_lock(fd, cmd, arg);
	default: {
		struct file *f = fd_get(fd);
		if (!f)
			return -LINUX_EBADF;
		file_put(f);
		return -LINUX_EINVAL;
	}
	}
}
