/* /proc, the part programs open: /proc/self/exe names the program (a link to "/" and its name,
 * toro.argv0=: the image is not a file the guest holds, so following the link finds only what a
 * share has under that name), /proc/self/fd lists the open descriptors and /proc/self/fd/N names
 * what N is open on, and /proc/meminfo and /proc/cpuinfo are written as they are read. There is
 * one process, so "self" is the only one. The nodes themselves are in dev.c's table. */
#include "vfs_private.h"

#include <kernel/arch.h>
#include <kernel/cmdline.h>
#include <kernel/cpu.h>
#include <kernel/fd.h>
#include <kernel/format.h>
#include <kernel/mm.h>
#include <kernel/string.h>
#include <kernel/time.h>
#include <toro/memory.h>

/* The descriptor table is the Linux layer's (kernel/sys/fd.c), in POSIX images only: a native
 * image that uses files has an empty /proc/self/fd. */
#pragma weak fd_get

#define PROC_FD_DIR     "/proc/self/fd/"
#define PROC_FD_DIR_LEN (sizeof(PROC_FD_DIR) - 1)

/* What one CPU's cpuinfo entry and the memory lines take at most: buffers are sized from it. */
#define PROC_CPU_TEXT_MAX 1024
#define PROC_MEM_TEXT_MAX 512

int proc_fd_path(const char *p, size_t len, unsigned *fd)
{
	if (!fd_get || len <= PROC_FD_DIR_LEN || len > PROC_FD_DIR_LEN + 4 ||
	    memcmp(p, PROC_FD_DIR, PROC_FD_DIR_LEN) ||
	    (p[PROC_FD_DIR_LEN] == '0' && len > PROC_FD_DIR_LEN + 1))
		return 0;
	unsigned n = 0;
	for (size_t i = PROC_FD_DIR_LEN; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		n = n * 10 + (unsigned)(p[i] - '0');
	}
	struct file *f = n < FD_MAX ? fd_get(n) : NULL;
	if (!f)
		return 0;
	file_put(f);
	*fd = n;
	return 1;
}

/* What descriptor fd is open on, as Linux's /proc/self/fd/N names it: a file's path, the
 * console, or the kind of object with its inode number. */
static size_t fd_target(unsigned fd, char *buf, size_t size)
{
	struct file *f = fd_get ? fd_get(fd) : NULL;
	if (!f)
		return 0;
	const char *path = vfs_file_path(f);
	struct file_stat st;
	size_t n;
	if (path) {
		n = format_snprintf(buf, size, "%s", path);
	} else if (file_stat(f, &st) == 0 && (st.mode & LINUX_S_IFMT) == LINUX_S_IFCHR &&
	           st.rdev == CONSOLE_RDEV) {
		n = format_snprintf(buf, size, "/dev/console");
	} else {
		uint32_t type = st.mode & LINUX_S_IFMT;
		const char *kind = type == LINUX_S_IFIFO    ? "pipe"
		                   : type == LINUX_S_IFSOCK ? "socket"
		                                            : "anon_inode";
		n = format_snprintf(buf, size, "%s:[%llu]", kind, (unsigned long long)st.ino);
	}
	file_put(f);
	return n;
}

static const char *program_name(void)
{
	const char *name = "app";
	for (int i = 0; i < cmdline_option_count; i++) {
		const char *v = cmdline_option_value(cmdline_options[i], "toro.argv0");
		if (v && *v)
			name = v;
	}
	return name;
}

long proc_readlink(struct vnode *n, char *buf, size_t size)
{
	char target[VFS_PATH_MAX];
	size_t len;
	if (n->proc == PROC_FD) {
		len = fd_target((unsigned)n->nodeid, target, sizeof(target));
		if (len == 0)
			return -LINUX_ENOENT; /* closed since the walk found it */
	} else {
		const char *name = program_name();
		len = format_snprintf(target, sizeof(target), "%s%s", name[0] == '/' ? "" : "/",
		                      name);
	}
	if (len >= sizeof(target))
		len = sizeof(target) - 1;
	if (len > size)
		len = size;
	memcpy(buf, target, len);
	return (long)len;
}

long proc_fd_readdir(size_t *index, vfs_emit_fn emit, void *ctx)
{
	long n = 0;
	for (; fd_get && *index < FD_MAX; ++*index) {
		struct file *f = fd_get((unsigned)*index);
		if (!f)
			continue;
		file_put(f);
		char name[12];
		size_t len = format_snprintf(name, sizeof(name), "%zu", *index);
		if (emit(ctx, 3 + *index, LINUX_DT_LNK, name, len))
			return n;
		n++;
	}
	return n;
}

/* The lines of /proc/meminfo that free(1), top and the like read, in kB as Linux gives them. */
static size_t meminfo_text(char *buf, size_t size)
{
	struct mm_stats st;
	mm_get_stats(&st);
	unsigned long long total = st.total_pages * (PAGE_SIZE / 1024);
	unsigned long long free = st.free_pages * (PAGE_SIZE / 1024);
	return format_snprintf(buf, size,
	                       "MemTotal:       %8llu kB\n"
	                       "MemFree:        %8llu kB\n"
	                       "MemAvailable:   %8llu kB\n"
	                       "Buffers:               0 kB\n"
	                       "Cached:                0 kB\n"
	                       "SwapCached:            0 kB\n"
	                       "Shmem:                 0 kB\n"
	                       "SReclaimable:          0 kB\n"
	                       "SwapTotal:             0 kB\n"
	                       "SwapFree:              0 kB\n",
	                       total, free, free);
}

/* A block per online CPU, in Linux's x86 layout: the fields programs look for (processor to
 * count CPUs, model name, cpu MHz, flags). */
static size_t cpuinfo_text(char *buf, size_t size)
{
	struct arch_cpu_info id;
	arch_cpu_info(&id);
	/* The clock's rate, whichever way kernel/core/time.c learnt it: the ticks of one second. */
	uint64_t khz = (time_ns_to_tsc(1000000000ull) - time_ns_to_tsc(0)) / 1000;
	size_t at = 0;
	for (unsigned i = 0; i < cpu_count && at < size; i++) {
		if (!cpu_online(i))
			continue;
		at += format_snprintf(buf + at, size - at,
		                      "processor\t: %u\n"
		                      "vendor_id\t: %s\n"
		                      "cpu family\t: %u\n"
		                      "model\t\t: %u\n"
		                      "model name\t: %s\n"
		                      "stepping\t: %u\n"
		                      "cpu MHz\t\t: %llu.%03llu\n"
		                      "physical id\t: 0\n"
		                      "siblings\t: %u\n"
		                      "core id\t\t: %u\n"
		                      "cpu cores\t: %u\n"
		                      "fpu\t\t: yes\n"
		                      "flags\t\t: %s\n\n",
		                      i, id.vendor, id.family, id.model, id.model_name, id.stepping,
		                      (unsigned long long)(khz / 1000),
		                      (unsigned long long)(khz % 1000), cpu_count, i, cpu_count,
		                      id.flags);
	}
	return at < size ? at : size;
}

long proc_read(struct vnode *n, const struct file_iovec *iov, size_t count, int64_t offset)
{
	if (offset < 0)
		return -LINUX_EINVAL;
	size_t cap =
	    n->proc == PROC_CPUINFO ? (size_t)cpu_count * PROC_CPU_TEXT_MAX + 1 : PROC_MEM_TEXT_MAX;
	char *text = toro_malloc(cap);
	if (!text)
		return -LINUX_ENOMEM;
	size_t len = n->proc == PROC_CPUINFO ? cpuinfo_text(text, cap) : meminfo_text(text, cap);
	if (len >= cap)
		len = cap - 1;
	long total = 0;
	size_t at = (uint64_t)offset < len ? (size_t)offset : len;
	for (size_t i = 0; i < count && at < len; i++) {
		size_t k = iov[i].len < len - at ? iov[i].len : len - at;
		if (arch_user_copy(iov[i].base, text + at, k)) {
			if (!total)
				total = -LINUX_EFAULT;
			break;
		}
		at += k;
		total += (long)k;
	}
	toro_free(text);
	return total;
}
