/* The Linux calls that report on or change a file's attributes: stat/lstat/newfstatat/statx,
 * statfs/fstatfs, access/faccessat/faccessat2, chmod/fchmod/fchmodat, the chown family,
 * utimensat, over kernel/fs.
 * fstat itself is io.c's, for every kind of file. */
#include "fs.h"

#include <kernel/fd.h>
#include <kernel/vfs.h>

/* What a *at call with flags asks about: the path (or with AT_EMPTY_PATH and "", the dirfd's
 * file itself, st from it). */
static long stat_at(int64_t dirfd, uint64_t upath, uint64_t flags, struct file_stat *st)
{
	if (flags & ~(uint64_t)(LINUX_AT_SYMLINK_NOFOLLOW | LINUX_AT_EMPTY_PATH |
	                        LINUX_AT_NO_AUTOMOUNT | LINUX_AT_STATX_SYNC_TYPE))
		return -LINUX_EINVAL;
	struct sys_at at;
	long r = sys_at_begin(dirfd, upath, (flags & LINUX_AT_EMPTY_PATH) != 0, &at);
	if (r < 0)
		return r;
	if (r == 0 && at.dir_file)
		r = vfs_file_stat(at.dir_file, st);
	else
		r = vfs_stat(at.dir, r == 0 ? "." : at.path,
		             flags & LINUX_AT_SYMLINK_NOFOLLOW ? VFS_NOFOLLOW : 0, st);
	sys_at_end(&at);
	return r;
}

/* The whole conversion, replacing io.c's weak one for every fstat of an image with files. Field
 * by field into out: a compound literal would be built on the stack and then copied. */
void file_stat_to_linux(const struct file_stat *st, struct linux_stat *out)
{
	out->st_dev = st->dev;
	out->st_ino = st->ino;
	out->st_nlink = st->nlink ? st->nlink : 1;
	out->st_mode = st->mode;
	out->st_uid = st->uid;
	out->st_gid = st->gid;
	out->pad0 = 0;
	out->st_rdev = st->rdev;
	out->st_size = st->size;
	out->st_blksize = st->blksize;
	out->st_blocks = st->blocks;
	out->st_atim = (struct linux_timespec){st->atime_sec, st->atime_nsec};
	out->st_mtim = (struct linux_timespec){st->mtime_sec, st->mtime_nsec};
	out->st_ctim = (struct linux_timespec){st->ctime_sec, st->ctime_nsec};
	out->unused[0] = out->unused[1] = out->unused[2] = 0;
}

static long stat_to_user(long r, const struct file_stat *st, uint64_t out)
{
	if (r < 0)
		return r;
	struct linux_stat ls;
	file_stat_to_linux(st, &ls);
	return copy_to_user(out, &ls, sizeof(ls));
}

long sys_stat(const struct syscall_args *a)
{
	struct file_stat st;
	return stat_to_user(stat_at(LINUX_AT_FDCWD, a->arg[0], 0, &st), &st, a->arg[1]);
}

long sys_lstat(const struct syscall_args *a)
{
	struct file_stat st;
	return stat_to_user(stat_at(LINUX_AT_FDCWD, a->arg[0], LINUX_AT_SYMLINK_NOFOLLOW, &st), &st,
	                    a->arg[1]);
}

long sys_newfstatat(const struct syscall_args *a)
{
	struct file_stat st;
	return stat_to_user(stat_at((int64_t)a->arg[0], a->arg[1], a->arg[3], &st), &st, a->arg[2]);
}

static void dev_split(uint64_t dev, uint32_t *major, uint32_t *minor)
{
	*major = (uint32_t)(((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfffull));
	*minor = (uint32_t)((dev & 0xff) | ((dev >> 12) & ~0xffull));
}

long sys_statx(const struct syscall_args *a)
{
	struct file_stat st;
	long r = stat_at((int64_t)a->arg[0], a->arg[1], a->arg[2], &st);
	if (r < 0)
		return r;
	struct linux_statx x = {
	    .stx_mask = LINUX_STATX_BASIC_STATS,
	    .stx_blksize = (uint32_t)st.blksize,
	    .stx_nlink = (uint32_t)(st.nlink ? st.nlink : 1),
	    .stx_uid = st.uid,
	    .stx_gid = st.gid,
	    .stx_mode = (uint16_t)st.mode,
	    .stx_ino = st.ino,
	    .stx_size = (uint64_t)st.size,
	    .stx_blocks = (uint64_t)st.blocks,
	    .stx_atime = {st.atime_sec, st.atime_nsec, 0},
	    .stx_ctime = {st.ctime_sec, st.ctime_nsec, 0},
	    .stx_mtime = {st.mtime_sec, st.mtime_nsec, 0},
	};
	dev_split(st.rdev, &x.stx_rdev_major, &x.stx_rdev_minor);
	dev_split(st.dev, &x.stx_dev_major, &x.stx_dev_minor);
	return copy_to_user(a->arg[4], &x, sizeof(x));
}

static long statfs_to_user(long r, const struct vfs_statfs *s, uint64_t out)
{
	if (r < 0)
		return r;
	struct linux_statfs l = {
	    .f_type = LINUX_FUSE_SUPER_MAGIC,
	    .f_bsize = s->bsize,
	    .f_blocks = s->blocks,
	    .f_bfree = s->bfree,
	    .f_bavail = s->bavail,
	    .f_files = s->files,
	    .f_ffree = s->ffree,
	    .f_namelen = s->namelen,
	    .f_frsize = s->frsize,
	    .f_flags = s->readonly ? LINUX_ST_RDONLY : 0,
	};
	return copy_to_user(out, &l, sizeof(l));
}

long sys_statfs(const struct syscall_args *a)
{
	struct sys_at at;
	struct vfs_statfs s;
	long r = sys_at_begin(LINUX_AT_FDCWD, a->arg[0], 0, &at);
	if (r >= 0)
		r = vfs_statfs(at.dir, at.path, &s);
	sys_at_end(&at);
	return statfs_to_user(r, &s, a->arg[1]);
}

long sys_fstatfs(const struct syscall_args *a)
{
	struct file *f = fd_get((unsigned)a->arg[0]);
	if (!f)
		return -LINUX_EBADF;
	struct vfs_statfs s;
	long r = vfs_file_statfs(f, &s);
	file_put(f);
	return statfs_to_user(r, &s, a->arg[1]);
}

static long access_at(int64_t dirfd, uint64_t path, uint64_t mode, uint64_t flags)
{
	if (flags & ~(uint64_t)(LINUX_AT_EACCESS | LINUX_AT_SYMLINK_NOFOLLOW | LINUX_AT_EMPTY_PATH))
		return -LINUX_EINVAL;
	struct sys_at at;
	long r = sys_at_begin(dirfd, path, (flags & LINUX_AT_EMPTY_PATH) != 0, &at);
	if (r >= 0)
		r = vfs_access(at.dir, r == 0 ? "." : at.path,
		               flags & LINUX_AT_SYMLINK_NOFOLLOW ? VFS_NOFOLLOW : 0,
		               (unsigned)mode);
	sys_at_end(&at);
	return r;
}

long sys_access(const struct syscall_args *a)
{
	return access_at(LINUX_AT_FDCWD, a->arg[0], a->arg[1], 0);
}

long sys_faccessat(const struct syscall_args *a)
{
	return access_at((int64_t)a->arg[0], a->arg[1], a->arg[2], 0);
}

long sys_faccessat2(const struct syscall_args *a)
{
	return access_at((int64_t)a->arg[0], a->arg[1], a->arg[2], a->arg[3]);
}

static long chmod_at(int64_t dirfd, uint64_t path, uint64_t mode, int flags)
{
	struct sys_at at;
	long r = sys_at_begin(dirfd, path, 0, &at);
	if (r >= 0)
		r = vfs_chmod(at.dir, at.path, flags, (unsigned)mode);
	sys_at_end(&at);
	return r;
}

long sys_chmod(const struct syscall_args *a)
{
	return chmod_at(LINUX_AT_FDCWD, a->arg[0], a->arg[1], 0);
}

long sys_fchmodat(const struct syscall_args *a)
{
	/* Linux's fchmodat has no flags argument; musl handles AT_SYMLINK_NOFOLLOW itself. */
	return chmod_at((int64_t)a->arg[0], a->arg[1], a->arg[2], 0);
}

long sys_fchmod(const struct syscall_args *a)
{
	struct file *f = fd_get((unsigned)a->arg[0]);
	if (!f)
		return -LINUX_EBADF;
	long r = vfs_file_chmod(f, (unsigned)a->arg[1]);
	file_put(f);
	return r;
}

/* Ownership: a share's files belong to the host's user that runs the monitor, and the guest
 * cannot give them away, so chown succeeds when it changes nothing (-1, or the owner and group
 * the file has, which is what programs running as root do to their own new files: SQLite's
 * journals) and is EPERM otherwise, as for a user without CAP_CHOWN. */
static long chown_check(const struct file_stat *st, uint64_t uid, uint64_t gid)
{
	if ((uint32_t)uid != UINT32_MAX && (uint32_t)uid != st->uid)
		return -LINUX_EPERM;
	if ((uint32_t)gid != UINT32_MAX && (uint32_t)gid != st->gid)
		return -LINUX_EPERM;
	return 0;
}

static long chown_at(int64_t dirfd, uint64_t path, uint64_t uid, uint64_t gid, uint64_t flags)
{
	if (flags & ~(uint64_t)(LINUX_AT_SYMLINK_NOFOLLOW | LINUX_AT_EMPTY_PATH))
		return -LINUX_EINVAL;
	struct file_stat st;
	long r = stat_at(dirfd, path, flags, &st);
	if (r < 0)
		return r;
	struct sys_at at;
	r = sys_at_begin(dirfd, path, (flags & LINUX_AT_EMPTY_PATH) != 0, &at);
	/* A read-only share is EROFS first, as Linux checks the mount before the owner. */
	if (r > 0)
		r = vfs_access(at.dir, at.path,
		               flags & LINUX_AT_SYMLINK_NOFOLLOW ? VFS_NOFOLLOW : 0, LINUX_W_OK);
	sys_at_end(&at);
	return r < 0 ? r : chown_check(&st, uid, gid);
}

long sys_chown(const struct syscall_args *a)
{
	return chown_at(LINUX_AT_FDCWD, a->arg[0], a->arg[1], a->arg[2], 0);
}

long sys_lchown(const struct syscall_args *a)
{
	return chown_at(LINUX_AT_FDCWD, a->arg[0], a->arg[1], a->arg[2], LINUX_AT_SYMLINK_NOFOLLOW);
}

long sys_fchownat(const struct syscall_args *a)
{
	return chown_at((int64_t)a->arg[0], a->arg[1], a->arg[2], a->arg[3], a->arg[4]);
}

long sys_fchown(const struct syscall_args *a)
{
	struct file *f = fd_get((unsigned)a->arg[0]);
	if (!f)
		return -LINUX_EBADF;
	struct file_stat st;
	long r = vfs_file_stat(f, &st);
	file_put(f);
	return r < 0 ? r : chown_check(&st, a->arg[1], a->arg[2]);
}

/* utimensat(dirfd, path, times, flags); path NULL: the file dirfd names (futimens). */
long sys_utimensat(const struct syscall_args *a)
{
	uint64_t flags = a->arg[3];
	if (flags & ~(uint64_t)(LINUX_AT_SYMLINK_NOFOLLOW | LINUX_AT_EMPTY_PATH))
		return -LINUX_EINVAL;
	int64_t times[4];
	const int64_t *tp = NULL;
	if (a->arg[2]) {
		struct linux_timespec ts[2];
		if (copy_from_user(ts, a->arg[2], sizeof(ts)))
			return -LINUX_EFAULT;
		times[0] = ts[0].tv_sec;
		times[1] = ts[0].tv_nsec;
		times[2] = ts[1].tv_sec;
		times[3] = ts[1].tv_nsec;
		tp = times;
	}
	if (!a->arg[1]) {
		struct file *f = fd_get((unsigned)a->arg[0]);
		if (!f)
			return -LINUX_EBADF;
		long r = vfs_file_utimens(f, tp);
		file_put(f);
		return r;
	}
	struct sys_at at;
	long r = sys_at_begin((int64_t)a->arg[0], a->arg[1], 0, &at);
	if (r >= 0)
		r = vfs_utimens(at.dir, at.path,
		                flags & LINUX_AT_SYMLINK_NOFOLLOW ? VFS_NOFOLLOW : 0, tp);
	sys_at_end(&at);
	return r;
}
