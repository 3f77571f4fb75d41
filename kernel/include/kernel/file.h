/* Open files: one struct file per open object (the console now; sockets, pipes and files later),
 * reached through its file_ops. The Linux descriptor table (kernel/sys/fd.c) is a thin layer
 * above it; nothing here knows descriptor numbers. Functions return a value or -errno. */
#ifndef KERNEL_FILE_H
#define KERNEL_FILE_H

#include <stddef.h>
#include <stdint.h>

#include <kernel/sched.h>
#include <toro/abi/linux.h>

/* One buffer of a read or write, in kernel memory (the system-call layer has checked it). */
struct file_iovec {
	void *base;
	size_t len;
};

/* What fstat reports. mode holds a LINUX_S_IF* type and permission bits. A file type fills
 * what it knows; the rest stays 0 (nlink 0 is reported as 1). */
struct file_stat {
	uint32_t mode;
	uint64_t rdev; /* device number of a device file, Linux's encoding */
	int64_t size;
	int64_t blksize; /* the preferred I/O size */
	uint64_t dev, ino, nlink;
	uint32_t uid, gid;
	int64_t blocks; /* 512-byte units */
	int64_t atime_sec, mtime_sec, ctime_sec;
	uint32_t atime_nsec, mtime_nsec, ctime_nsec;
};

struct file;

/* A file type's operations. Any may be NULL; the file_* wrappers below then give what Linux
 * gives for an object without that operation. Operations may block (a thread, never an IRQ). */
struct file_ops {
	/* Move bytes between the file and iov[0..count); return the number moved (0 on a read at
	 * end of file) or -errno: -EAGAIN when the file is O_NONBLOCK and would block. */
	long (*read)(struct file *f, const struct file_iovec *iov, size_t count);
	long (*write)(struct file *f, const struct file_iovec *iov, size_t count);
	/* whence is LINUX_SEEK_*; returns the new offset. NULL: -ESPIPE. */
	int64_t (*lseek)(struct file *f, int64_t offset, int whence);
	/* arg points at a kernel copy of the argument, of the size the command implies, which the
	 * system-call layer copies back. NULL: -ENOTTY. */
	long (*ioctl)(struct file *f, unsigned long cmd, void *arg);
	/* The readiness mask now (LINUX_POLLIN, LINUX_POLLOUT, ...). Never blocks. NULL: the file is
	 * always ready to read and write. */
	unsigned (*poll)(struct file *f);
	int (*stat)(struct file *f, struct file_stat *st);
	/* The last reference is gone: free what the file owns. May be NULL (static files). */
	void (*release)(struct file *f);
	/* 1: read fills the application's buffers only through the fault-safe copy
	 * (arch_user_copy), so the read call skips probing them first. */
	int read_copies;
};

struct file {
	const struct file_ops *ops;
	int refs;        /* atomic; file_put that takes it to 0 calls release */
	unsigned flags;  /* LINUX_O_* access mode and status flags (O_NONBLOCK, O_APPEND) */
	void *private;   /* the file type's own state */
	/* Pollers wait here; the file's owner calls file_notify when readiness may have changed.
	 * A poller checks file_poll with the queue locked, then sleeps (see wait_queue_sleep). */
	struct wait_queue pollers;
	/* atomic: file_notify calls so far; an edge-triggered epoll (kernel/sys/epoll.c) reports a
	 * file again only after another one. */
	uint64_t notifications;
};

/* Status flags F_SETFL may change; the access mode never changes after open. */
#define FILE_SETTABLE_FLAGS (LINUX_O_APPEND | LINUX_O_NONBLOCK)

/* Makes f an open file with one reference, held by the caller. */
void file_init(struct file *f, const struct file_ops *ops, unsigned flags, void *private);

/* Takes another reference to f (returns f). */
struct file *file_get(struct file *f);
/* Drops a reference; the last one calls ops->release. Never from an IRQ handler. */
void file_put(struct file *f);

long file_read(struct file *f, const struct file_iovec *iov, size_t count);
long file_write(struct file *f, const struct file_iovec *iov, size_t count);
int64_t file_lseek(struct file *f, int64_t offset, int whence);
long file_ioctl(struct file *f, unsigned long cmd, void *arg);
unsigned file_poll(struct file *f);
int file_stat(struct file *f, struct file_stat *st);

/* Wakes every poller of f: its owner calls this when f may have become readable or writable. */
void file_notify(struct file *f);

/* Waiting for any file (poll, select): read the generation, check the files, then
 * file_poll_wait(generation, deadline), which returns at once (0) if a file_notify came since,
 * else sleeps until the next one (0) or until the monotonic deadline (1; 0 means none). */
uint64_t file_poll_generation(void);
int file_poll_wait(uint64_t generation, uint64_t deadline_ns);

/* The console as files (kernel/core/console_file.c): fd (0, 1 or 2) is stdin (the console
 * input), stdout or stderr (the console registry's two streams); character devices, terminals
 * where the host's are. Returns a new reference. */
struct file *console_file_open(unsigned fd);

/* The console files' device number: /dev/console's (major 5, minor 1) in Linux's encoding. */
#define CONSOLE_RDEV ((5u << 8) | 1u)

#endif
