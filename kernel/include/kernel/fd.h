/* The descriptor table of a POSIX image (kernel/sys/fd.c): Linux's small integers naming open
 * files (kernel/include/kernel/file.h), one table for the one process, with FD_CLOEXEC kept per
 * descriptor. Native images have none: they reach kernel objects through the native API. */
#ifndef KERNEL_FD_H
#define KERNEL_FD_H

#include <kernel/file.h>

/* Descriptors are 0 .. FD_MAX - 1, Linux's default RLIMIT_NOFILE. */
#define FD_MAX 1024

/* Boot, before the application runs: descriptors 0, 1 and 2 are the console. */
void fd_init(void);

/* The file fd names, with a new reference the caller drops with file_put; NULL if fd is not
 * open. Safe from any core. */
struct file *fd_get(unsigned fd);

/* fd_get for a call that drops the file before it returns: while the process has one thread
 * (nothing can close fd during that thread's call), the table's own reference, taken with no
 * lock, as Linux's fdget does, and *counted 0; else fd_get's, and *counted 1. fd_drop ends it. */
struct file *fd_borrow(unsigned fd, int *counted);

static inline void fd_drop(struct file *f, int counted)
{
	if (counted)
		file_put(f);
}

/* Gives f the lowest free descriptor not below min and returns it; the table takes over the
 * caller's reference. -EMFILE when none is free (the reference stays the caller's). */
long fd_install(struct file *f, unsigned min, int cloexec);

/* Frees descriptor fd and drops its reference: 0, or -EBADF if it was not open. */
long fd_close(unsigned fd);

#endif
