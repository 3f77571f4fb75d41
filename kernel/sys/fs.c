/* The Linux file calls on paths and directories: open/openat/creat, positional I/O, getdents64,
 * mkdir/unlink/rmdir/rename/link/symlink/readlink (and their *at forms), truncate, fsync,
 * chdir/fchdir/getcwd, over kernel/fs (kernel/include/kernel/vfs.h). They are the optional group
 * `fs` (kernel/sys/syscall_groups.h, anchor kernel/sys/groups/fs.c): only images whose program
 * calls a file function of musl's link them (docs/architecture.md, "Build"). */
#include "fs.h"

#include <kernel/fd.h>
#include <kernel/mm.h>
#include <kernel/vfs.h>
#include <toro/memory.h>

#define IOV_MAX 1024 /* Linux's UIO_MAXIOV */

/* Flags open passes on; others (O_LARGEFILE, O_NOCTTY, O_SYNC...) mean nothing here. */
#define OPEN_FLAGS                                                                                 \
	(LINUX_O_ACCMODE | LINUX_O_CREAT | LINUX_O_EXCL | LINUX_O_TRUNC | LINUX_O_APPEND |         \
	 LINUX_O_NONBLOCK | LINUX_O_DIRECTORY | LINUX_O_NOFOLLOW)

static long open_at(int64_t dirfd, uint64_t upath, uint64_t flags, uint64_t mode)
{
	if ((flags & LINUX_O_ACCMODE) == LINUX_O_ACCMODE)
		return -LINUX_EINVAL;
	struct sys_at at;
	long r = sys_at_begin(dirfd, upath, 0, &at);
	if (r < 0)
		return r;
	struct file *f;
	r = vfs_open(at.dir, at.path, (unsigned)(flags & OPEN_FLAGS),
	             (unsigned)mode & ~sys_umask_value(), &f);
	sys_at_end(&at);
	if (r < 0)
		return r;
	return fd_install_or_put(f, 0, (flags & LINUX_O_CLOEXEC) != 0);
}

long sys_open(const struct syscall_args *a)
{
	return open_at(LINUX_AT_FDCWD, a->arg[0], a->arg[1], a->arg[2]);
}

long sys_openat(const struct syscall_args *a)
{
	return open_at((int64_t)a->arg[0], a->arg[1], a->arg[2], a->arg[3]);
}

long sys_creat(const struct syscall_args *a)
{
	return open_at(LINUX_AT_FDCWD, a->arg[0], LINUX_O_CREAT | LINUX_O_WRONLY | LINUX_O_TRUNC,
	               a->arg[1]);
}

/* Positional I/O: the buffers checked as read and write check theirs, the file's offset left
 * alone. */
static int buffer_ok(uint64_t p, uint64_t len, int writes_memory)
{
	if (len == 0)
		return 1;
	int ok = writes_memory ? sys_range_writable(p, len) : sys_range_ok(p, len);
	return ok && sys_range_probe(p, len) == 0;
}

static long positional(uint64_t fd, uint64_t uiov, uint64_t count, int64_t offset, int is_read,
                       int vector)
{
	if (offset < 0)
		return -LINUX_EINVAL;
	if (vector && count > IOV_MAX)
		return -LINUX_EINVAL;
	struct file *f = fd_get((unsigned)fd);
	if (!f)
		return -LINUX_EBADF;
	unsigned acc = f->flags & LINUX_O_ACCMODE;
	long total = 0;
	if ((is_read && acc == LINUX_O_WRONLY) || (!is_read && acc == LINUX_O_RDONLY)) {
		total = -LINUX_EBADF;
		goto out;
	}
	for (uint64_t i = 0; i < (vector ? count : 1); i++) {
		struct file_iovec v;
		if (vector) {
			struct linux_iovec e;
			if (copy_from_user(&e, uiov + i * sizeof(e), sizeof(e))) {
				total = total ? total : -LINUX_EFAULT;
				goto out;
			}
			v = (struct file_iovec){(void *)(uintptr_t)e.base, e.len};
		} else {
			v = (struct file_iovec){(void *)(uintptr_t)uiov, count};
		}
		if (!buffer_ok((uintptr_t)v.base, v.len, is_read)) {
			total = total ? total : -LINUX_EFAULT;
			goto out;
		}
		if (v.len == 0)
			continue;
		long r = is_read ? vfs_file_pread(f, &v, 1, offset + total)
		                 : vfs_file_pwrite(f, &v, 1, offset + total);
		if (r < 0) {
			total = total ? total : r;
			goto out;
		}
		total += r;
		if ((size_t)r < v.len)
			break;
	}
out:
	file_put(f);
	return total;
}

long sys_pread64(const struct syscall_args *a)
{
	return positional(a->arg[0], a->arg[1], a->arg[2], (int64_t)a->arg[3], 1, 0);
}

long sys_pwrite64(const struct syscall_args *a)
{
	return positional(a->arg[0], a->arg[1], a->arg[2], (int64_t)a->arg[3], 0, 0);
}

long sys_preadv(const struct syscall_args *a)
{
	return positional(a->arg[0], a->arg[1], a->arg[2], (int64_t)a->arg[3], 1, 1);
}

long sys_pwritev(const struct syscall_args *a)
{
	return positional(a->arg[0], a->arg[1], a->arg[2], (int64_t)a->arg[3], 0, 1);
}

/* mmap of a file (kernel/sys/memory.c calls this for a mapping without MAP_ANONYMOUS): with
 * MAP_PRIVATE only, as a copy: fresh anonymous pages (sys_mmap), the file's bytes from offset
 * read into them (what lies past its end stays zero), then the protection asked for. */
long sys_mmap_file(const struct syscall_args *a)
{
	uint64_t len = a->arg[1], prot = a->arg[2], flags = a->arg[3];
	int64_t offset = (int64_t)a->arg[5];
	if (flags & LINUX_MAP_SHARED)
		return -LINUX_ENODEV; /* changes would have to reach the file */
	if (offset < 0 || (offset & (int64_t)(PAGE_SIZE - 1)))
		return -LINUX_EINVAL;
	struct file *f = fd_get((unsigned)a->arg[4]);
	if (!f)
		return -LINUX_EBADF;
	long r = -LINUX_EACCES;
	if ((f->flags & LINUX_O_ACCMODE) == LINUX_O_WRONLY)
		goto out;
	struct syscall_args anon = *a;
	anon.arg[2] = LINUX_PROT_READ | LINUX_PROT_WRITE;
	anon.arg[3] = flags | LINUX_MAP_ANONYMOUS;
	long p = sys_mmap(&anon);
	if (p < 0 && p > -4096) {
		r = p;
		goto out;
	}
	struct file_iovec iov = {(void *)(uintptr_t)p, len};
	r = vfs_file_pread(f, &iov, 1, offset);
	struct syscall_args range = {.arg = {(uint64_t)p, len, prot}};
	if (r >= 0)
		r = sys_mprotect(&range);
	if (r < 0) {
		sys_munmap(&range);
		if (r == -LINUX_ESPIPE)
			r = -LINUX_ENODEV;
	} else {
		r = p;
	}
out:
	file_put(f);
	return r;
}

/* getdents64: records into the application's buffer until it is full. */
struct dirent_sink {
	uint64_t buf;
	size_t size, used;
	int64_t index;
	int full, fault;
};

static int dirent_emit(void *ctx, uint64_t ino, unsigned type, const char *name, size_t len)
{
	struct dirent_sink *s = ctx;
	size_t reclen = (sizeof(struct linux_dirent64) + len + 1 + 7) & ~(size_t)7;
	if (s->used + reclen > s->size) {
		s->full = 1;
		return 1;
	}
	union {
		struct linux_dirent64 d;
		char bytes[sizeof(struct linux_dirent64) + LINUX_NAME_MAX + 8];
	} rec = {0};
	rec.d.d_ino = ino;
	rec.d.d_off = ++s->index;
	rec.d.d_reclen = (uint16_t)reclen;
	rec.d.d_type = (uint8_t)type;
	for (size_t i = 0; i < len; i++)
		rec.d.d_name[i] = name[i];
	if (copy_to_user(s->buf + s->used, &rec, reclen)) {
		s->fault = s->full = 1;
		return 1;
	}
	s->used += reclen;
	return 0;
}

long sys_getdents64(const struct syscall_args *a)
{
	struct file *f = fd_get((unsigned)a->arg[0]);
	if (!f)
		return -LINUX_EBADF;
	struct dirent_sink s = {.buf = a->arg[1], .size = a->arg[2]};
	long r =
	    sys_range_writable(s.buf, s.size) ? vfs_readdir(f, dirent_emit, &s) : -LINUX_EFAULT;
	file_put(f);
	if (r < 0)
		return r;
	if (s.used == 0 && s.full)
		return s.fault ? -LINUX_EFAULT : -LINUX_EINVAL; /* not even one entry fits */
	return (long)s.used;
}

/* The calls on one path. */

static long mkdir_at(int64_t dirfd, uint64_t path, uint64_t mode)
{
	struct sys_at at;
	long r = sys_at_begin(dirfd, path, 0, &at);
	if (r >= 0)
		r = vfs_mkdir(at.dir, at.path, (unsigned)mode & ~sys_umask_value());
	sys_at_end(&at);
	return r;
}

long sys_mkdir(const struct syscall_args *a)
{
	return mkdir_at(LINUX_AT_FDCWD, a->arg[0], a->arg[1]);
}

long sys_mkdirat(const struct syscall_args *a)
{
	return mkdir_at((int64_t)a->arg[0], a->arg[1], a->arg[2]);
}

static long remove_at(int64_t dirfd, uint64_t path, uint64_t flags)
{
	if (flags & ~(uint64_t)LINUX_AT_REMOVEDIR)
		return -LINUX_EINVAL;
	struct sys_at at;
	long r = sys_at_begin(dirfd, path, 0, &at);
	if (r >= 0)
		r = flags ? vfs_rmdir(at.dir, at.path) : vfs_unlink(at.dir, at.path);
	sys_at_end(&at);
	return r;
}

long sys_unlink(const struct syscall_args *a)
{
	return remove_at(LINUX_AT_FDCWD, a->arg[0], 0);
}

long sys_rmdir(const struct syscall_args *a)
{
	return remove_at(LINUX_AT_FDCWD, a->arg[0], LINUX_AT_REMOVEDIR);
}

long sys_unlinkat(const struct syscall_args *a)
{
	return remove_at((int64_t)a->arg[0], a->arg[1], a->arg[2]);
}

/* rename, link: two paths, each relative to its own directory. */
static long two_paths(int64_t olddirfd, uint64_t oldpath, int64_t newdirfd, uint64_t newpath,
                      unsigned flags, int link)
{
	struct sys_at from, to;
	long r = sys_at_begin(olddirfd, oldpath, 0, &from);
	if (r < 0)
		return r;
	r = sys_at_begin(newdirfd, newpath, 0, &to);
	if (r >= 0)
		r = link ? vfs_link(from.dir, from.path, to.dir, to.path, flags)
		         : vfs_rename(from.dir, from.path, to.dir, to.path, flags);
	sys_at_end(&from);
	sys_at_end(&to);
	return r;
}

long sys_rename(const struct syscall_args *a)
{
	return two_paths(LINUX_AT_FDCWD, a->arg[0], LINUX_AT_FDCWD, a->arg[1], 0, 0);
}

long sys_renameat(const struct syscall_args *a)
{
	return two_paths((int64_t)a->arg[0], a->arg[1], (int64_t)a->arg[2], a->arg[3], 0, 0);
}

long sys_renameat2(const struct syscall_args *a)
{
	return two_paths((int64_t)a->arg[0], a->arg[1], (int64_t)a->arg[2], a->arg[3],
	                 (unsigned)a->arg[4], 0);
}

long sys_link(const struct syscall_args *a)
{
	return two_paths(LINUX_AT_FDCWD, a->arg[0], LINUX_AT_FDCWD, a->arg[1], VFS_NOFOLLOW, 1);
}

long sys_linkat(const struct syscall_args *a)
{
	uint64_t flags = a->arg[4];
	if (flags & ~(uint64_t)LINUX_AT_SYMLINK_FOLLOW)
		return -LINUX_EINVAL;
	return two_paths((int64_t)a->arg[0], a->arg[1], (int64_t)a->arg[2], a->arg[3],
	                 flags ? 0 : VFS_NOFOLLOW, 1);
}

static long symlink_at(uint64_t target, int64_t dirfd, uint64_t path)
{
	char small[SYS_PATH_SMALL], *t;
	long r = sys_path_from_user(target, small, &t);
	if (r < 0)
		return r;
	struct sys_at at;
	r = sys_at_begin(dirfd, path, 0, &at);
	if (r >= 0)
		r = vfs_symlink(t, at.dir, at.path);
	sys_at_end(&at);
	sys_path_free(t, small);
	return r;
}

long sys_symlink(const struct syscall_args *a)
{
	return symlink_at(a->arg[0], LINUX_AT_FDCWD, a->arg[1]);
}

long sys_symlinkat(const struct syscall_args *a)
{
	return symlink_at(a->arg[0], (int64_t)a->arg[1], a->arg[2]);
}

static long readlink_at(int64_t dirfd, uint64_t path, uint64_t buf, uint64_t size)
{
	if ((int64_t)size <= 0)
		return -LINUX_EINVAL;
	if (!sys_range_writable(buf, size))
		return -LINUX_EFAULT;
	struct sys_at at;
	long r = sys_at_begin(dirfd, path, 0, &at);
	char *target = r >= 0 ? toro_malloc(LINUX_PATH_MAX) : NULL;
	if (r >= 0 && !target)
		r = -LINUX_ENOMEM;
	if (r >= 0)
		r = vfs_readlink(at.dir, at.path, target,
		                 size < LINUX_PATH_MAX ? size : LINUX_PATH_MAX);
	if (r > 0 && copy_to_user(buf, target, (size_t)r))
		r = -LINUX_EFAULT;
	toro_free(target);
	sys_at_end(&at);
	return r;
}

long sys_readlink(const struct syscall_args *a)
{
	return readlink_at(LINUX_AT_FDCWD, a->arg[0], a->arg[1], a->arg[2]);
}

long sys_readlinkat(const struct syscall_args *a)
{
	return readlink_at((int64_t)a->arg[0], a->arg[1], a->arg[2], a->arg[3]);
}

long sys_truncate(const struct syscall_args *a)
{
	struct sys_at at;
	long r = sys_at_begin(LINUX_AT_FDCWD, a->arg[0], 0, &at);
	if (r >= 0)
		r = vfs_truncate(at.dir, at.path, (int64_t)a->arg[1]);
	sys_at_end(&at);
	return r;
}

/* The calls on one descriptor. */

static long on_file(uint64_t fd, int (*call)(struct file *f, int64_t arg), int64_t arg)
{
	struct file *f = fd_get((unsigned)fd);
	if (!f)
		return -LINUX_EBADF;
	long r = call(f, arg);
	file_put(f);
	return r;
}

static int truncate_file(struct file *f, int64_t size)
{
	return vfs_file_truncate(f, size);
}

static int sync_file(struct file *f, int64_t datasync)
{
	return vfs_file_sync(f, (int)datasync);
}

static int chdir_file(struct file *f, int64_t unused)
{
	(void)unused;
	return vfs_fchdir(f);
}

long sys_ftruncate(const struct syscall_args *a)
{
	return on_file(a->arg[0], truncate_file, (int64_t)a->arg[1]);
}

long sys_fsync(const struct syscall_args *a)
{
	return on_file(a->arg[0], sync_file, 0);
}

long sys_fdatasync(const struct syscall_args *a)
{
	return on_file(a->arg[0], sync_file, 1);
}

long sys_fchdir(const struct syscall_args *a)
{
	return on_file(a->arg[0], chdir_file, 0);
}

long sys_chdir(const struct syscall_args *a)
{
	struct sys_at at;
	long r = sys_at_begin(LINUX_AT_FDCWD, a->arg[0], 0, &at);
	if (r >= 0)
		r = vfs_chdir(at.dir, at.path);
	sys_at_end(&at);
	return r;
}

long sys_getcwd(const struct syscall_args *a)
{
	char *buf = toro_malloc(LINUX_PATH_MAX);
	if (!buf)
		return -LINUX_ENOMEM;
	uint64_t size = a->arg[1] < LINUX_PATH_MAX ? a->arg[1] : LINUX_PATH_MAX;
	long r = vfs_getcwd(buf, size);
	if (r > 0 && copy_to_user(a->arg[0], buf, (size_t)r))
		r = -LINUX_EFAULT;
	toro_free(buf);
	return r;
}
