/* I/O on descriptors: read, write, readv, writev, lseek, ioctl, fstat. Each checks the
 * application's memory, then calls the open file (kernel/core/file.c) the descriptor names
 * (kernel/sys/fd.c); what a file does is its file_ops' business. Buffers are checked here (read
 * needs memory the kernel may write); a file that copies them uses kernel/sys/user.c's copies. */
#include "syscall.h"

#include <kernel/fd.h>
#include <toro/abi/linux.h>
#include <toro/memory.h>

#define IOV_MAX 1024 /* Linux's UIO_MAXIOV */
/* iovecs are copied into kernel memory this many at a time, so that another thread cannot
 * change an entry between its check and its use. */
#define IOV_CHUNK 8

typedef long (*file_io)(struct file *f, const struct file_iovec *iov, size_t count);

/* A read fills the buffers: they must be memory the kernel may write. A file that fills them
 * through the fault-safe copies itself (f, when known) needs no probe. Inline: every read and
 * write passes here. */
static inline __attribute__((always_inline)) int io_range_ok(file_io io, const struct file *f,
                                                           uint64_t p, uint64_t len)
{
	if (io == file_read && f && f->ops->read_copies)
		return sys_range_writable(p, len);
	return sys_buffer_ok(p, len, io == file_read);
}

/* read and write: the descriptor, the buffer and its length are the call's arguments. */
static long io_buffer(const struct syscall_args *a, file_io io)
{
	uint64_t buf = a->arg[1], len = a->arg[2];
	int counted;
	struct file *f = fd_borrow((unsigned)a->arg[0], &counted);
	if (!f)
		return -LINUX_EBADF;
	struct file_iovec iov = {(void *)(uintptr_t)buf, len};
	long rc = -LINUX_EFAULT;
	if (len == 0)
		rc = io(f, &iov, 0);
	else if (io_range_ok(io, f, buf, len))
		rc = io(f, &iov, 1);
	fd_drop(f, counted);
	return rc;
}

long sys_read(const struct syscall_args *a)
{
	return io_buffer(a, file_read);
}

long sys_write(const struct syscall_args *a)
{
	return io_buffer(a, file_write);
}

static int iov_entry_ok(const struct linux_iovec *v, file_io io)
{
	return v->len == 0 || io_range_ok(io, NULL, v->base, v->len);
}

/* Checks the array and every buffer in it before any I/O, as Linux does: a bad entry anywhere
 * fails the call with nothing transferred. */
static long iov_check(uint64_t uiov, uint64_t count, file_io io)
{
	if (count > IOV_MAX)
		return -LINUX_EINVAL;
	if (count && !sys_range_ok(uiov, count * sizeof(struct linux_iovec)))
		return -LINUX_EFAULT;
	for (uint64_t i = 0; i < count; i++) {
		struct linux_iovec e;
		if (copy_from_user(&e, uiov + i * sizeof(e), sizeof(e)) || !iov_entry_ok(&e, io))
			return -LINUX_EFAULT;
	}
	return 0;
}

long sys_iovecs_load(uint64_t uiov, uint64_t count, int writable, struct file_iovec *small,
                     size_t small_count, struct file_iovec **out)
{
	file_io io = writable ? file_read : file_write;
	if (count > IOV_MAX)
		return -LINUX_EINVAL;
	if (count && !sys_range_ok(uiov, count * sizeof(struct linux_iovec)))
		return -LINUX_EFAULT;
	struct file_iovec *v = small;
	if (count > small_count && !(v = toro_calloc(count, sizeof(*v))))
		return -LINUX_ENOMEM;
	for (uint64_t i = 0; i < count; i++) {
		struct linux_iovec e;
		if (copy_from_user(&e, uiov + i * sizeof(e), sizeof(e)) || !iov_entry_ok(&e, io)) {
			if (v != small)
				toro_free(v);
			return -LINUX_EFAULT;
		}
		v[i] = (struct file_iovec){(void *)(uintptr_t)e.base, e.len};
	}
	*out = v;
	return 0;
}

/* Moves the buffers a chunk at a time, and stops at a short transfer or an error (returning
 * what was moved before it, if anything). */
static long io_vector(struct file *f, uint64_t uiov, uint64_t count, file_io io)
{
	struct file_iovec chunk[IOV_CHUNK];
	long total = 0;
	for (uint64_t i = 0; i < count;) {
		size_t n = 0, want = 0;
		for (; n < IOV_CHUNK && i < count; i++) {
			struct linux_iovec e;
			if (copy_from_user(&e, uiov + i * sizeof(e), sizeof(e)) ||
			    !iov_entry_ok(&e, io))
				return total ? total : -LINUX_EFAULT;
			chunk[n++] = (struct file_iovec){(void *)(uintptr_t)e.base, e.len};
			want += e.len;
		}
		long got = io(f, chunk, n);
		if (got < 0)
			return total ? total : got;
		total += got;
		if ((size_t)got < want)
			break;
	}
	return total;
}

static long io_vector_call(const struct syscall_args *a, file_io io)
{
	struct file *f = fd_get((unsigned)a->arg[0]);
	if (!f)
		return -LINUX_EBADF;
	long rc = iov_check(a->arg[1], a->arg[2], io);
	if (rc == 0)
		rc = io_vector(f, a->arg[1], a->arg[2], io);
	file_put(f);
	return rc;
}

long sys_readv(const struct syscall_args *a)
{
	return io_vector_call(a, file_read);
}

long sys_writev(const struct syscall_args *a)
{
	return io_vector_call(a, file_write);
}

long sys_lseek(const struct syscall_args *a)
{
	struct file *f = fd_get((unsigned)a->arg[0]);
	if (!f)
		return -LINUX_EBADF;
	long rc = file_lseek(f, (int64_t)a->arg[1], (int)a->arg[2]);
	file_put(f);
	return rc;
}

/* The size of the memory each ioctl command's argument points at: the system-call layer checks
 * it before a file sees it. A file type that implements another command adds it here; any other
 * command fails with -ENOTTY, as it does on a file that does not know it. */
static uint64_t ioctl_arg_size(uint64_t cmd)
{
	switch (cmd) {
	case LINUX_TIOCGWINSZ:
		return sizeof(struct linux_winsize);
	default:
		return 0;
	}
}

long sys_ioctl(const struct syscall_args *a)
{
	struct file *f = fd_get((unsigned)a->arg[0]);
	if (!f)
		return -LINUX_EBADF;
	uint64_t cmd = a->arg[1], size = ioctl_arg_size(cmd);
	/* The file works on a kernel copy of the argument, copied in and back out. */
	union {
		struct linux_winsize winsize;
	} arg;
	long rc;
	if (size == 0)
		rc = -LINUX_ENOTTY;
	else if (copy_from_user(&arg, a->arg[2], size) || !sys_range_writable(a->arg[2], size))
		rc = -LINUX_EFAULT;
	else
		rc = file_ioctl(f, (unsigned long)cmd, &arg);
	file_put(f);
	if (rc >= 0 && copy_to_user(a->arg[2], &arg, size))
		rc = -LINUX_EFAULT;
	return rc;
}

/* What every file type reports. Weak: the file calls (kernel/sys/stat.c), in an image that links
 * them, replace it with the whole conversion, device and inode numbers, links, owner and times,
 * which only files of kernel/fs have; an image without them keeps these few bytes. */
__attribute__((weak)) void file_stat_to_linux(const struct file_stat *st, struct linux_stat *out)
{
	*out = (struct linux_stat){
	    .st_nlink = 1,
	    .st_mode = st->mode,
	    .st_rdev = st->rdev,
	    .st_size = st->size,
	    .st_blksize = st->blksize,
	};
}

long sys_fstat(const struct syscall_args *a)
{
	struct file *f = fd_get((unsigned)a->arg[0]);
	if (!f)
		return -LINUX_EBADF;
	struct file_stat st;
	long rc = file_stat(f, &st);
	file_put(f);
	if (rc < 0)
		return rc;
	struct linux_stat out;
	file_stat_to_linux(&st, &out);
	return copy_to_user(a->arg[1], &out, sizeof(out));
}
