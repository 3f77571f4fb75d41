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

/* The table (fd.c), under its lock; posix_threads (kernel/sys/thread.c): the process's running
 * threads, atomic. For fd_borrow. */
extern struct file *fd_files[FD_MAX];
extern int posix_threads;

/* fd_get for a call that drops the file before it returns: while the process has one thread
 * (nothing can close fd during that thread's call), the table's own reference, taken with no
 * lock, as Linux's fdget does, and *counted 0; else fd_get's, and *counted 1. fd_drop ends it.
 * Acquire: a thread that closed fd and then exited did so before the count fell to 1. Inline:
 * every read and write starts here. */
static inline struct file *fd_borrow(unsigned fd, int *counted)
{
	*counted = __atomic_load_n(&posix_threads, __ATOMIC_ACQUIRE) > 1;
	if (*counted)
		return fd_get(fd);
	return fd < FD_MAX ? fd_files[fd] : NULL;
}

static inline void fd_drop(struct file *f, int counted)
{
	if (counted)
		file_put(f);
}

/* Gives f the lowest free descriptor not below min and returns it; the table takes over the
 * caller's reference. -EMFILE when none is free (the reference stays the caller's). */
long fd_install(struct file *f, unsigned min, int cloexec);

/* fd_install for a file the caller keeps nothing of (a new one, or another reference it took):
 * when no descriptor is free, that reference is dropped too. */
long fd_install_or_put(struct file *f, unsigned min, int cloexec);

/* Frees descriptor fd and drops its reference: 0, or -EBADF if it was not open. */
long fd_close(unsigned fd);

#endif
