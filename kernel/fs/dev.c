/* The nodes the kernel provides whatever the shares hold: "/" when no share is mounted there, the
 * directories mount points need, /dev with null, zero, random and urandom (random and urandom
 * read the CPU's random source, arch_random, as getrandom does), and /proc (proc.c). */
#include "vfs_private.h"

#include <kernel/arch.h>
#include <kernel/string.h>
#include <toro/memory.h>

/* Every path walk looks here for each component, so the lengths are known when compiling. Each
 * path is in /dev or /proc (vfs_kernel_node passes over any other without reading the table). */
#define KERNEL_NODE(path, kind, which)                                                             \
	{                                                                                          \
		path, sizeof(path) - 1, kind, which                                                \
	}
static const struct {
	const char *path;
	size_t len;
	enum vnode_kind kind;
	unsigned which; /* enum vnode_dev or enum vnode_proc */
} kernel_nodes[] = {
    KERNEL_NODE("/dev", VNODE_DIR, 0),
    KERNEL_NODE("/dev/null", VNODE_DEV, VDEV_NULL),
    KERNEL_NODE("/dev/zero", VNODE_DEV, VDEV_ZERO),
    KERNEL_NODE("/dev/random", VNODE_DEV, VDEV_URANDOM),
    KERNEL_NODE("/dev/urandom", VNODE_DEV, VDEV_URANDOM),
    KERNEL_NODE("/proc", VNODE_DIR, 0),
    KERNEL_NODE("/proc/self", VNODE_DIR, 0),
    KERNEL_NODE("/proc/self/exe", VNODE_LINK, PROC_EXE),
    KERNEL_NODE("/proc/self/fd", VNODE_DIR, 0),
    KERNEL_NODE("/proc/meminfo", VNODE_PROC, PROC_MEMINFO),
    KERNEL_NODE("/proc/cpuinfo", VNODE_PROC, PROC_CPUINFO),
};
#define KERNEL_NODE_COUNT (sizeof(kernel_nodes) / sizeof(kernel_nodes[0]))
/* A share's listing keeps a bit per kernel entry it listed itself (struct vfs_file). */
_Static_assert(KERNEL_NODE_COUNT + VFS_MAX_MOUNTS <= 64, "kernel entries fit a 64-bit mask");

static const unsigned char dirent_type[] = {
    [VNODE_DIR] = LINUX_DT_DIR,
    [VNODE_DEV] = LINUX_DT_CHR,
    [VNODE_LINK] = LINUX_DT_LNK,
    [VNODE_PROC] = LINUX_DT_REG,
};

static struct vnode *kernel_node_new(const char *p, size_t len, enum vnode_kind kind,
                                     unsigned which)
{
	struct vnode *n = toro_calloc(1, sizeof(*n));
	char *path = toro_malloc(len + 1);
	if (!n || !path) {
		toro_free(n);
		toro_free(path);
		return NULL;
	}
	memcpy(path, p, len);
	path[len] = 0;
	*n = (struct vnode){.refs = 1, .kind = kind, .path = path};
	if (kind == VNODE_DEV)
		n->dev = (enum vnode_dev)which;
	else
		n->proc = (enum vnode_proc)which;
	return n;
}

struct vnode *vfs_kernel_dir(const char *p, size_t len)
{
	return kernel_node_new(p, len, VNODE_DIR, 0);
}

struct vnode *vfs_kernel_node(const char *p, size_t len)
{
	if (len == 1 && p[0] == '/')
		return kernel_node_new(p, len, VNODE_DIR, 0);
	/* Every kernel node (the table's, /proc/self/fd/N) is in /dev or /proc: any other path,
	 * most of what is walked, is answered by its second byte. */
	if (len < 4 || (p[1] != 'd' && p[1] != 'p'))
		return NULL;
	for (size_t i = 0; i < KERNEL_NODE_COUNT; i++)
		if (kernel_nodes[i].len == len && !memcmp(kernel_nodes[i].path, p, len))
			return kernel_node_new(p, len, kernel_nodes[i].kind, kernel_nodes[i].which);
	unsigned fd;
	if (proc_fd_path(p, len, &fd)) {
		struct vnode *n = kernel_node_new(p, len, VNODE_LINK, PROC_FD);
		if (n)
			n->nodeid = fd;
		return n;
	}
	return NULL;
}

/* The name of kernel_nodes[i] if it lies directly under the directory p (len bytes), else NULL. */
static const char *kernel_node_child(const char *p, size_t len, size_t i, size_t *name_len)
{
	const char *k = kernel_nodes[i].path;
	size_t klen = kernel_nodes[i].len;
	size_t from = len == 1 ? 1 : len + 1;
	if (klen <= from || memcmp(k, p, len) || (len > 1 && k[len] != '/'))
		return NULL;
	for (size_t j = from; j < klen; j++)
		if (k[j] == '/')
			return NULL;
	*name_len = klen - from;
	return k + from;
}

/* Entries of a kernel directory: its kernel nodes (index 0 .. KERNEL_NODE_COUNT), then the
 * mount points under it (an index each); /proc/self/fd lists the open descriptors. */
long vfs_kernel_readdir(const char *p, size_t *index, uint64_t skip, vfs_emit_fn emit, void *ctx)
{
	size_t len = strlen(p);
	if (!strcmp(p, "/proc/self/fd"))
		return proc_fd_readdir(index, emit, ctx);
	long n = 0;
	for (;; ++*index) {
		const char *name;
		size_t name_len;
		unsigned type = LINUX_DT_DIR;
		if (*index < KERNEL_NODE_COUNT) {
			name = kernel_node_child(p, len, *index, &name_len);
			if (!name)
				continue;
			type = dirent_type[kernel_nodes[*index].kind];
		} else {
			int r =
			    vfs_mount_child(p, len, *index - KERNEL_NODE_COUNT, &name, &name_len);
			if (r < 0)
				return n;
			if (r == 0)
				continue;
		}
		if (*index < 64 && (skip >> *index & 1))
			continue;
		if (emit(ctx, 2 + *index, type, name, name_len))
			return n;
		n++;
	}
}

int vfs_kernel_child(const char *p, const char *name, size_t name_len)
{
	size_t len = strlen(p);
	for (size_t i = 0; i < 64; i++) {
		const char *child;
		size_t n;
		if (i < KERNEL_NODE_COUNT) {
			child = kernel_node_child(p, len, i, &n);
			if (!child)
				continue;
		} else {
			int r = vfs_mount_child(p, len, i - KERNEL_NODE_COUNT, &child, &n);
			if (r < 0)
				return -1;
			if (r == 0)
				continue;
		}
		if (n == name_len && !memcmp(child, name, n))
			return (int)i;
	}
	return -1;
}

long vfs_dev_read(struct vnode *n, const struct file_iovec *iov, size_t count)
{
	if (n->dev == VDEV_NULL)
		return 0;
	/* Through the fault-safe copies: a POSIX program's buffer may be mapped read-only. */
	long total = 0;
	uint8_t random[256];
	for (size_t i = 0; i < count; i++) {
		uint8_t *p = iov[i].base;
		size_t left = iov[i].len;
		while (left) {
			size_t n_now = left < sizeof(random) ? left : sizeof(random);
			long err;
			if (n->dev == VDEV_ZERO) {
				n_now = left;
				err = arch_user_fill(p, 0, n_now);
			} else {
				arch_random(random, n_now);
				err = arch_user_copy(p, random, n_now);
			}
			if (err)
				return total ? total : -LINUX_EFAULT;
			p += n_now;
			left -= n_now;
			total += (long)n_now;
		}
	}
	return total;
}
