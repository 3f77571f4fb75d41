/* What the file calls of kernel/sys (fs.c, stat.c, path.c) share. Private to kernel/sys. */
#ifndef KERNEL_SYS_FS_H
#define KERNEL_SYS_FS_H

#include "syscall.h"
#include "syscall_groups.h" /* the handlers fs.c and stat.c define */

#include <kernel/file.h>
#include <toro/abi/linux.h>

/* A path that fits here (most do) is copied onto the caller's stack, not into an allocation. */
#define SYS_PATH_SMALL 256

/* Copies the path at p into small (SYS_PATH_SMALL bytes) if it fits there, else into a new
 * PATH_MAX buffer: *out is the one used (sys_path_free it). Returns its length, or -EFAULT,
 * -ENAMETOOLONG, -ENOMEM. */
long sys_path_from_user(uint64_t p, char *small, char **out);
void sys_path_free(char *path, const char *small);

/* A *at call's path and the directory it is relative to (dir NULL: the current directory, or
 * the path is absolute). With empty_ok an empty path is allowed (AT_EMPTY_PATH: the call is
 * about dir_file itself). */
struct sys_at {
	char *path; /* small, or an allocation */
	const char *dir;
	struct file *dir_file; /* the dirfd's file, held while dir is used */
	char small[SYS_PATH_SMALL];
};
long sys_at_begin(int64_t dirfd, uint64_t upath, int empty_ok, struct sys_at *at);
void sys_at_end(struct sys_at *at);

/* fs.c, for mmap (memory.c refers to it weakly). */
long sys_mmap_file(const struct syscall_args *a);

#endif
