/* Native API: files. Paths name files in the shared host directories the machine was started
 * with (`toro run --share DIR[:rw][:/mountpoint]`, docs/files.md), and the kernel's /dev/null,
 * /dev/zero, /dev/urandom. A relative path starts at "/" (native programs have no current
 * directory). Every call returns 0 (or a count) or a negative error number, -TORO_E*, the values
 * Linux uses. Calls block the calling thread while the host answers; any thread, any core. */
#ifndef TORO_FILE_H
#define TORO_FILE_H

#include <stddef.h>
#include <stdint.h>

typedef struct file toro_file;

/* toro_file_open flags (Linux's values): one access mode, then any of the others. */
#define TORO_O_RDONLY    00
#define TORO_O_WRONLY    01
#define TORO_O_RDWR      02
#define TORO_O_CREAT     0100
#define TORO_O_EXCL      0200
#define TORO_O_TRUNC     01000
#define TORO_O_APPEND    02000
#define TORO_O_DIRECTORY 0200000
#define TORO_O_NOFOLLOW  0400000

#define TORO_SEEK_SET 0
#define TORO_SEEK_CUR 1
#define TORO_SEEK_END 2

/* Error numbers (negated in results). */
#define TORO_EPERM        1
#define TORO_ENOENT       2
#define TORO_EIO          5
#define TORO_EBADF        9
#define TORO_ENOMEM       12
#define TORO_EEXIST       17
#define TORO_EXDEV        18
#define TORO_ENODEV       19
#define TORO_ENOTDIR      20
#define TORO_EISDIR       21
#define TORO_EINVAL       22
#define TORO_EROFS        30
#define TORO_ENAMETOOLONG 36
#define TORO_ENOTEMPTY    39
#define TORO_ELOOP        40

/* File types in toro_stat.mode (& TORO_S_IFMT) and toro_dirent.type. */
#define TORO_S_IFMT  0170000
#define TORO_S_IFREG 0100000
#define TORO_S_IFDIR 0040000
#define TORO_S_IFLNK 0120000
#define TORO_S_IFCHR 0020000
#define TORO_DT_DIR  4
#define TORO_DT_REG  8
#define TORO_DT_LNK  10

struct toro_stat {
	uint64_t ino;
	uint64_t size;
	uint32_t mode; /* TORO_S_IF* type and permission bits */
	uint32_t nlink;
	int64_t mtime_sec;
	uint32_t mtime_nsec;
};

struct toro_dirent {
	uint64_t ino;
	unsigned type;  /* TORO_DT_* (0: unknown) */
	char name[256]; /* NUL-terminated */
};

/* Opens path; mode is the permission bits of a file TORO_O_CREAT makes. 0 and *out, or
 * -TORO_E*. A directory opened (read-only) is read with toro_readdir. */
int toro_file_open(const char *path, unsigned flags, unsigned mode, toro_file **out);
/* Bytes moved at the file's offset (which advances), 0 at end of file, or -TORO_E*. */
long toro_file_read(toro_file *f, void *buf, size_t len);
long toro_file_write(toro_file *f, const void *buf, size_t len);
/* The same at offset, leaving the file's offset alone. */
long toro_file_pread(toro_file *f, void *buf, size_t len, int64_t offset);
long toro_file_pwrite(toro_file *f, const void *buf, size_t len, int64_t offset);
/* The new offset, or -TORO_E*. */
int64_t toro_file_seek(toro_file *f, int64_t offset, int whence);
/* Releases f (the host is told when its last user is done). */
void toro_file_close(toro_file *f);

int toro_stat(const char *path, struct toro_stat *st);
/* toro_stat, and *until: the toro_time_ns() before which toro_stat of path gives the same answer
 * unless the guest changes the file itself, because the kernel asks the host again only when the
 * share's timeouts for the path's names and the file's attributes run out (docs/files.md,
 * "Caching"); 0 when it may change sooner: a writable share (the guest may change it), a /dev
 * node, a symbolic link on the way. A program may keep what it derived from the file until then
 * without calling toro_stat. */
int toro_stat_until(const char *path, struct toro_stat *st, uint64_t *until);
int toro_file_stat(toro_file *f, struct toro_stat *st);
/* Fills up to max entries of the directory dir (".", ".." included) from where the last call
 * stopped: the number filled, 0 at the end, or -TORO_E*. */
long toro_readdir(toro_file *dir, struct toro_dirent *ents, size_t max);
int toro_mkdir(const char *path, unsigned mode);
int toro_unlink(const char *path);
int toro_rmdir(const char *path);
/* Within one share; -TORO_EXDEV across shares. */
int toro_rename(const char *from, const char *to);

/* FUSE requests sent so far to the share holding path, of one kind (TORO_FS_REQ_*, the FUSE
 * opcodes): for tests and statistics, e.g. that a second read came from the page cache. */
#define TORO_FS_REQ_LOOKUP 1
#define TORO_FS_REQ_READ   15
#define TORO_FS_REQ_WRITE  16
long toro_fs_requests(const char *path, unsigned kind);

#endif
