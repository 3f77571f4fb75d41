/* Paths as the file calls take them: a NUL-terminated string copied out of the application's
 * memory (at most PATH_MAX bytes with the NUL, else -ENAMETOOLONG), and the directory a *at
 * call's dirfd names (kernel/fs/ walks from its canonical path). */
#include "fs.h"

#include <kernel/fd.h>
#include <kernel/mm.h>
#include <kernel/string.h>
#include <kernel/vfs.h>
#include <toro/memory.h>

/* The index of the first NUL in buf[from .. to), or to: eight bytes a step where it can. */
static size_t find_nul(const char *buf, size_t from, size_t to)
{
	size_t i = from;
	for (; i + 8 <= to; i += 8) {
		uint64_t v;
		__builtin_memcpy(&v, buf + i, 8);
		if ((v - 0x0101010101010101ull) & ~v & 0x8080808080808080ull)
			break;
	}
	while (i < to && buf[i])
		i++;
	return i;
}

/* Copies PATH_CHUNK bytes at a time, never reading past the page holding the NUL: the string may
 * end just before memory that is not there. Most paths are short and end in the first, smaller
 * piece, on the caller's stack; a path longer than that stack space moves to an allocation of
 * PATH_MAX bytes. */
#define PATH_FIRST 64
#define PATH_CHUNK 256
long sys_path_from_user(uint64_t p, char *small, char **out)
{
	char *buf = small;
	size_t cap = SYS_PATH_SMALL, got = 0;
	for (;;) {
		if (got == cap) {
			if (cap == LINUX_PATH_MAX)
				break;
			buf = toro_malloc(LINUX_PATH_MAX);
			if (!buf)
				return -LINUX_ENOMEM;
			memcpy(buf, small, got);
			cap = LINUX_PATH_MAX;
		}
		uint64_t at = p + got;
		size_t n = PAGE_SIZE - (at & (PAGE_SIZE - 1));
		size_t chunk = got ? PATH_CHUNK : PATH_FIRST;
		if (n > chunk)
			n = chunk;
		if (n > cap - got)
			n = cap - got;
		if (at < p || copy_from_user(buf + got, at, n)) {
			sys_path_free(buf, small);
			return -LINUX_EFAULT;
		}
		size_t nul = find_nul(buf, got, got + n);
		if (nul < got + n) {
			*out = buf;
			return (long)nul;
		}
		got += n;
	}
	sys_path_free(buf, small);
	return -LINUX_ENAMETOOLONG;
}

void sys_path_free(char *path, const char *small)
{
	if (path != small)
		toro_free(path);
}

long sys_at_begin(int64_t dirfd, uint64_t upath, int empty_ok, struct sys_at *at)
{
	at->path = NULL;
	at->dir = NULL;
	at->dir_file = NULL;
	long len = sys_path_from_user(upath, at->small, &at->path);
	if (len < 0)
		return len;
	if (len == 0 && !empty_ok) {
		sys_at_end(at);
		return -LINUX_ENOENT;
	}
	if ((len > 0 && at->path[0] == '/') || (int32_t)dirfd == LINUX_AT_FDCWD)
		return len;
	at->dir_file = dirfd < 0 || dirfd >= FD_MAX ? NULL : fd_get((unsigned)dirfd);
	if (!at->dir_file) {
		sys_at_end(at);
		return -LINUX_EBADF;
	}
	at->dir = vfs_file_path(at->dir_file);
	if (!at->dir && len > 0) {
		sys_at_end(at);
		return -LINUX_ENOTDIR;
	}
	return len;
}

void sys_at_end(struct sys_at *at)
{
	if (at->path)
		sys_path_free(at->path, at->small);
	if (at->dir_file)
		file_put(at->dir_file);
	at->path = NULL;
	at->dir = NULL;
	at->dir_file = NULL;
}
