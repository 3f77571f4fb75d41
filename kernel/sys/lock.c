/* POSIX record locks (fcntl F_GETLK, F_SETLK, F_SETLKW) for the one process of a POSIX image.
 * A process never conflicts with its own record locks (POSIX fcntl, "Advisory record locking"),
 * and no other process here can hold one, so every valid request is granted at once and F_GETLK
 * always finds the range unlocked. The arguments are checked as Linux checks them. Locks are
 * not passed to the host: a program on the host sharing the file sees none of them. */
#include "syscall.h"

#include <kernel/fd.h>

/* Linux's checks on a request: a known type and whence, and a range that starts at or after 0
 * when both are known here (SEEK_CUR and SEEK_END ranges depend on the offset or the size,
 * which only the lock table would need). */
static long lock_request_check(const struct linux_flock *l)
{
	if (l->l_type != LINUX_F_RDLCK && l->l_type != LINUX_F_WRLCK && l->l_type != LINUX_F_UNLCK)
		return -LINUX_EINVAL;
	if (l->l_whence != LINUX_SEEK_SET && l->l_whence != LINUX_SEEK_CUR &&
	    l->l_whence != LINUX_SEEK_END)
		return -LINUX_EINVAL;
	if (l->l_whence == LINUX_SEEK_SET &&
	    (l->l_start < 0 || (l->l_len < 0 && l->l_start + l->l_len < 0)))
		return -LINUX_EINVAL;
	return 0;
}

long sys_fcntl_lock(unsigned fd, uint64_t cmd, uint64_t arg)
{
	struct file *f = fd_get(fd);
	if (!f)
		return -LINUX_EBADF;
	unsigned mode = f->flags & LINUX_O_ACCMODE;
	file_put(f);
	struct linux_flock l;
	if (copy_from_user(&l, arg, sizeof l))
		return -LINUX_EFAULT;
	long rc = lock_request_check(&l);
	if (rc)
		return rc;
	if (cmd == LINUX_F_GETLK) {
		if (l.l_type == LINUX_F_UNLCK)
			return -LINUX_EINVAL;
		l.l_type = LINUX_F_UNLCK;
		return copy_to_user(arg, &l, sizeof l) ? -LINUX_EFAULT : 0;
	}
	/* A read lock needs a descriptor open for reading, a write lock one open for writing. */
	if (l.l_type == LINUX_F_RDLCK && mode == LINUX_O_WRONLY)
		return -LINUX_EBADF;
	if (l.l_type == LINUX_F_WRLCK && mode == LINUX_O_RDONLY)
		return -LINUX_EBADF;
	return 0;
}
