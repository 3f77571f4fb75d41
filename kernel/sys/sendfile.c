/* sendfile over any two files: reads in_fd into a kernel buffer and writes it to out_fd, a chunk
 * at a time, through file_read and file_write (kernel/core/file.c). With an offset, in_fd is read
 * from there and its own offset is put back afterwards (two threads using in_fd's offset at the
 * same time may see it move meanwhile). Bytes read but not written (a short write to a
 * non-blocking out_fd) are given back by seeking in_fd back; an unseekable in_fd (a pipe) loses
 * them, so the chunk read from one is never more than out_fd took last. Part of the `sendfile`
 * system-call group. */
#include "syscall.h"
#include "syscall_groups.h"

#include <kernel/fd.h>
#include <toro/abi/linux.h>
#include <toro/memory.h>

#define SENDFILE_CHUNK (64ul << 10)
#define SENDFILE_MAX   0x7ffff000l /* Linux's MAX_RW_COUNT: the most one call moves */

/* Moves up to count bytes; returns the bytes written, or -errno if none were. */
static long sendfile_copy(struct file *out, struct file *in, size_t count, int seekable)
{
	uint8_t *buf = toro_malloc(SENDFILE_CHUNK);
	if (!buf)
		return -LINUX_ENOMEM;
	size_t done = 0, chunk = SENDFILE_CHUNK;
	long err = 0;
	while (done < count) {
		size_t want = count - done < chunk ? count - done : chunk;
		struct file_iovec iov = {buf, want};
		long got = file_read(in, &iov, 1);
		if (got <= 0) {
			err = got;
			break;
		}
		iov.len = (size_t)got;
		long put = file_write(out, &iov, 1);
		if (put < got && seekable)
			file_lseek(in, (int64_t)got - (put > 0 ? put : 0), LINUX_SEEK_CUR);
		if (put <= 0) {
			err = put;
			break;
		}
		done += (size_t)put;
		if (put < got)
			break;
		if (!seekable)
			chunk = (size_t)put;
	}
	toro_free(buf);
	return done ? (long)done : err;
}

static long sendfile_files(struct file *out, struct file *in, uint64_t uoffset, size_t count)
{
	if (!(out->flags & LINUX_O_ACCMODE) || (in->flags & LINUX_O_ACCMODE) == LINUX_O_WRONLY)
		return -LINUX_EBADF; /* out_fd not open for writing, in_fd not for reading */
	int64_t saved = file_lseek(in, 0, LINUX_SEEK_CUR);
	int seekable = saved >= 0;
	if (!uoffset)
		return sendfile_copy(out, in, count, seekable);
	int64_t offset;
	if (copy_from_user(&offset, uoffset, sizeof(offset)))
		return -LINUX_EFAULT;
	if (!seekable)
		return -LINUX_ESPIPE;
	if (offset < 0)
		return -LINUX_EINVAL;
	int64_t at = file_lseek(in, offset, LINUX_SEEK_SET);
	if (at < 0)
		return at;
	long rc = sendfile_copy(out, in, count, 1);
	int64_t end = file_lseek(in, 0, LINUX_SEEK_CUR);
	file_lseek(in, saved, LINUX_SEEK_SET);
	if (rc >= 0 && copy_to_user(uoffset, &end, sizeof(end)))
		return -LINUX_EFAULT;
	return rc;
}

long sys_sendfile(const struct syscall_args *a)
{
	size_t count = a->arg[3] > (uint64_t)SENDFILE_MAX ? SENDFILE_MAX : a->arg[3];
	struct file *out = fd_get((unsigned)a->arg[0]);
	struct file *in = fd_get((unsigned)a->arg[1]);
	long rc = out && in ? sendfile_files(out, in, a->arg[2], count) : -LINUX_EBADF;
	if (in)
		file_put(in);
	if (out)
		file_put(out);
	return rc;
}
