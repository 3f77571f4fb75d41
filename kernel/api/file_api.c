/* The native file API (include/toro/file.h): thin wrappers over kernel/fs
 * (kernel/include/kernel/vfs.h) and the open-file calls (kernel/core/file.c). Relative paths
 * start at "/". */
#include <toro/file.h>

#include <kernel/vfs.h>
#include <kernel/string.h>

_Static_assert(TORO_O_CREAT == LINUX_O_CREAT && TORO_O_EXCL == LINUX_O_EXCL &&
                   TORO_O_TRUNC == LINUX_O_TRUNC && TORO_O_APPEND == LINUX_O_APPEND &&
                   TORO_O_DIRECTORY == LINUX_O_DIRECTORY && TORO_O_NOFOLLOW == LINUX_O_NOFOLLOW,
               "native open flags are Linux's");
_Static_assert(TORO_ENOENT == LINUX_ENOENT && TORO_EEXIST == LINUX_EEXIST &&
                   TORO_EROFS == LINUX_EROFS && TORO_ENOTEMPTY == LINUX_ENOTEMPTY &&
                   TORO_ELOOP == LINUX_ELOOP && TORO_EXDEV == LINUX_EXDEV &&
                   TORO_EISDIR == LINUX_EISDIR && TORO_ENOTDIR == LINUX_ENOTDIR,
               "native error numbers are Linux's");

#define NATIVE_OPEN_FLAGS                                                                          \
	(TORO_O_RDONLY | TORO_O_WRONLY | TORO_O_RDWR | TORO_O_CREAT | TORO_O_EXCL | TORO_O_TRUNC | \
	 TORO_O_APPEND | TORO_O_DIRECTORY | TORO_O_NOFOLLOW)

/* Native programs have no current directory: a relative path is relative to "/". */
#define NATIVE_DIR "/"

int toro_file_open(const char *path, unsigned flags, unsigned mode, toro_file **out)
{
	if ((flags & ~(unsigned)NATIVE_OPEN_FLAGS) || (flags & LINUX_O_ACCMODE) == LINUX_O_ACCMODE)
		return -TORO_EINVAL;
	return vfs_open(NATIVE_DIR, path, flags, mode, out);
}

long toro_file_read(toro_file *f, void *buf, size_t len)
{
	struct file_iovec iov = {buf, len};
	return file_read(f, &iov, 1);
}

long toro_file_write(toro_file *f, const void *buf, size_t len)
{
	struct file_iovec iov = {(void *)buf, len};
	return file_write(f, &iov, 1);
}

long toro_file_pread(toro_file *f, void *buf, size_t len, int64_t offset)
{
	if ((f->flags & LINUX_O_ACCMODE) == LINUX_O_WRONLY)
		return -TORO_EBADF;
	struct file_iovec iov = {buf, len};
	return vfs_file_pread(f, &iov, 1, offset);
}

long toro_file_pwrite(toro_file *f, const void *buf, size_t len, int64_t offset)
{
	if ((f->flags & LINUX_O_ACCMODE) == LINUX_O_RDONLY)
		return -TORO_EBADF;
	struct file_iovec iov = {(void *)buf, len};
	return vfs_file_pwrite(f, &iov, 1, offset);
}

int64_t toro_file_seek(toro_file *f, int64_t offset, int whence)
{
	return file_lseek(f, offset, whence);
}

void toro_file_close(toro_file *f)
{
	if (f)
		file_put(f);
}

static void stat_native(const struct file_stat *s, struct toro_stat *st)
{
	*st = (struct toro_stat){
	    .ino = s->ino,
	    .size = (uint64_t)s->size,
	    .mode = s->mode,
	    .nlink = (uint32_t)s->nlink,
	    .mtime_sec = s->mtime_sec,
	    .mtime_nsec = s->mtime_nsec,
	};
}

int toro_stat(const char *path, struct toro_stat *st)
{
	return toro_stat_until(path, st, NULL);
}

/* until may be NULL (toro_stat). */
int toro_stat_until(const char *path, struct toro_stat *st, uint64_t *until)
{
	struct file_stat s;
	int r = vfs_stat_until(NATIVE_DIR, path, 0, &s, until);
	if (r == 0)
		stat_native(&s, st);
	return r;
}

int toro_file_stat(toro_file *f, struct toro_stat *st)
{
	struct file_stat s;
	int r = vfs_file_stat(f, &s);
	if (r == 0)
		stat_native(&s, st);
	return r;
}

struct dirent_array {
	struct toro_dirent *ents;
	size_t max, count;
};

static int dirent_emit(void *ctx, uint64_t ino, unsigned type, const char *name, size_t len)
{
	struct dirent_array *a = ctx;
	if (a->count == a->max)
		return 1;
	struct toro_dirent *e = &a->ents[a->count++];
	e->ino = ino;
	e->type = type;
	memcpy(e->name, name, len);
	e->name[len] = 0;
	return 0;
}

long toro_readdir(toro_file *dir, struct toro_dirent *ents, size_t max)
{
	if (max == 0)
		return -TORO_EINVAL;
	struct dirent_array a = {ents, max, 0};
	long r = vfs_readdir(dir, dirent_emit, &a);
	return r < 0 ? r : (long)a.count;
}

int toro_mkdir(const char *path, unsigned mode)
{
	return vfs_mkdir(NATIVE_DIR, path, mode);
}

int toro_unlink(const char *path)
{
	return vfs_unlink(NATIVE_DIR, path);
}

int toro_rmdir(const char *path)
{
	return vfs_rmdir(NATIVE_DIR, path);
}

int toro_rename(const char *from, const char *to)
{
	return vfs_rename(NATIVE_DIR, from, NATIVE_DIR, to, 0);
}

long toro_fs_requests(const char *path, unsigned kind)
{
	return vfs_fuse_requests(path, kind);
}
