/* Files by path (kernel/fs/): the mount table from toro.mounts=, the path walk, the inode and
 * page caches, and open files as a struct file (kernel/include/kernel/file.h) type. The native
 * file API (kernel/api/file_api.c) and the Linux layer (kernel/sys/fs.c) call only these.
 *
 * Paths: an absolute path starts at "/"; a relative one at dir, a canonical absolute directory
 * path (an open directory's vfs_file_path) or NULL for the current directory. ".." never leaves
 * a mount's root for the host: at a mount root it goes to the parent mount's directory, at "/" it
 * stays. Symbolic links are followed in the guest, at most VFS_MAX_SYMLINKS per walk (-ELOOP).
 * Every call returns 0 (or a count) or -LINUX_E* as Linux would answer; calls block the thread
 * while the host answers. Never from an IRQ handler. */
#ifndef KERNEL_VFS_H
#define KERNEL_VFS_H

#include <stddef.h>
#include <stdint.h>

#include <kernel/file.h>

#define VFS_PATH_MAX     4096 /* with the NUL */
#define VFS_NAME_MAX     255
#define VFS_MAX_SYMLINKS 40

struct vfs_statfs {
	uint64_t blocks, bfree, bavail, files, ffree;
	uint32_t bsize, frsize, namelen;
	int readonly;
};

/* Flags of the calls below. */
#define VFS_NOFOLLOW 0x1 /* do not follow a symbolic link in the last component */

/* open: flags are LINUX_O_* (O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_DIRECTORY, O_NOFOLLOW,
 * O_NONBLOCK; O_CLOEXEC is the caller's business); mode is for a created file. Returns a new
 * reference in *out. */
int vfs_open(const char *dir, const char *path, unsigned flags, unsigned mode, struct file **out);
int vfs_stat(const char *dir, const char *path, int flags, struct file_stat *st);
/* vfs_stat, and *until: the monotonic time (ns) before which the same call gives the same answer
 * as no timeout of the share's runs out (the names walked, the file's attributes), if nothing
 * in the guest changes the file; 0 when the guest could (a writable share, a kernel node) or a
 * symbolic link was followed. */
int vfs_stat_until(const char *dir, const char *path, int flags, struct file_stat *st,
                   uint64_t *until);
int vfs_mkdir(const char *dir, const char *path, unsigned mode);
int vfs_unlink(const char *dir, const char *path);
int vfs_rmdir(const char *dir, const char *path);
/* flags: LINUX_RENAME_NOREPLACE, LINUX_RENAME_EXCHANGE. -EXDEV across mounts. */
int vfs_rename(const char *olddir, const char *oldpath, const char *newdir, const char *newpath,
               unsigned flags);
int vfs_link(const char *olddir, const char *oldpath, const char *newdir, const char *newpath,
             int flags);
int vfs_symlink(const char *target, const char *dir, const char *path);
/* Copies up to size bytes of the link's target (no NUL); returns its length. */
long vfs_readlink(const char *dir, const char *path, char *buf, size_t size);
int vfs_truncate(const char *dir, const char *path, int64_t size);
int vfs_chmod(const char *dir, const char *path, int flags, unsigned mode);
/* times: {atime, mtime} as seconds and nanoseconds; nsec LINUX_UTIME_NOW or LINUX_UTIME_OMIT as
 * utimensat takes them; NULL sets both to now. */
int vfs_utimens(const char *dir, const char *path, int flags, const int64_t times[4]);
/* mode is LINUX_R_OK | W_OK | X_OK or F_OK; the one user is root, so only existence, EROFS for
 * W_OK on a read-only share, and X_OK against the execute bits are checked. */
int vfs_access(const char *dir, const char *path, int flags, unsigned mode);
int vfs_statfs(const char *dir, const char *path, struct vfs_statfs *st);
int vfs_chdir(const char *dir, const char *path);
/* The current directory, NUL-terminated, into buf: its length with the NUL, or -ERANGE. */
long vfs_getcwd(char *buf, size_t size);

/* Calls on an open file f (any struct file: -EBADF or -ENOTDIR for one that is not the VFS's,
 * where Linux gives those). */
/* The canonical path of a directory (or file) f was opened by, or NULL if f is not a VFS file. */
const char *vfs_file_path(struct file *f);
int vfs_file_stat(struct file *f, struct file_stat *st);
int vfs_file_truncate(struct file *f, int64_t size);
int vfs_file_sync(struct file *f, int datasync);
int vfs_file_chmod(struct file *f, unsigned mode);
int vfs_file_utimens(struct file *f, const int64_t times[4]);
int vfs_file_statfs(struct file *f, struct vfs_statfs *st);
int vfs_fchdir(struct file *f);
/* Positional I/O that leaves the file's offset alone (pread, pwrite, mmap of a file). */
long vfs_file_pread(struct file *f, const struct file_iovec *iov, size_t count, int64_t offset);
long vfs_file_pwrite(struct file *f, const struct file_iovec *iov, size_t count, int64_t offset);

/* Reads directory entries from f's position: emit is called per entry (the type is LINUX_DT_*)
 * and returns 0 to go on or 1 when the caller's buffer is full (the entry is then kept for the
 * next call). Returns the number emitted (0 at the end), -ENOTDIR, or -errno. */
typedef int (*vfs_emit_fn)(void *ctx, uint64_t ino, unsigned type, const char *name, size_t len);
long vfs_readdir(struct file *f, vfs_emit_fn emit, void *ctx);

/* Requests sent to the share mounted at path (the deepest mount holding it), by FUSE opcode:
 * for tests and statistics. Returns -ENOENT if no share holds path. */
long vfs_fuse_requests(const char *path, unsigned opcode);

#endif
