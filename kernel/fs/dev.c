/* The nodes the kernel provides whatever the shares hold: "/" when no share is mounted there, the
 * directories mount points need, and /dev with null, zero, random and urandom (random and
 * urandom read the CPU's random source, arch_random, as getrandom does). */
#include "vfs_private.h"

#include <kernel/arch.h>
#include <kernel/string.h>
#include <toro/memory.h>

/* Every path walk looks here for each component, so the lengths are known when compiling. */
#define KERNEL_NODE(path, kind, dev)                                                               \
	{                                                                                          \
		path, sizeof(path) - 1, kind, dev                                                  \
	}
static const struct {
	const char *path;
	size_t len;
	enum vnode_kind kind;
	enum vnode_dev dev;
} kernel_nodes[] = {
    KERNEL_NODE("/dev", VNODE_DIR, 0),
    KERNEL_NODE("/dev/null", VNODE_DEV, VDEV_NULL),
    KERNEL_NODE("/dev/zero", VNODE_DEV, VDEV_ZERO),
    KERNEL_NODE("/dev/random", VNODE_DEV, VDEV_URANDOM),
    KERNEL_NODE("/dev/urandom", VNODE_DEV, VDEV_URANDOM),
};
#define KERNEL_NODE_COUNT (sizeof(kernel_nodes) / sizeof(kernel_nodes[0]))

static int memchr_slash(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/')
			return 1;
	return 0;
}

static struct vnode *kernel_node_new(const char *p, size_t len, enum vnode_kind kind,
                                     enum vnode_dev dev)
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
	*n = (struct vnode){.refs = 1, .kind = kind, .dev = dev, .path = path};
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
	for (size_t i = 0; i < KERNEL_NODE_COUNT; i++)
		if (kernel_nodes[i].len == len && !memcmp(kernel_nodes[i].path, p, len))
			return kernel_node_new(p, len, kernel_nodes[i].kind, kernel_nodes[i].dev);
	return NULL;
}

/* Entries of a kernel directory: its kernel nodes (index 0 .. KERNEL_NODE_COUNT), then the
 * mount points under it. */
long vfs_kernel_readdir(const char *p, size_t *index, vfs_emit_fn emit, void *ctx)
{
	size_t len = strlen(p);
	long n = 0;
	for (; *index < KERNEL_NODE_COUNT; ++*index) {
		const char *k = kernel_nodes[*index].path;
		size_t klen = kernel_nodes[*index].len;
		size_t from = len == 1 ? 1 : len + 1;
		if (klen <= from || memcmp(k, p, len) || (len > 1 && k[len] != '/'))
			continue;
		const char *name = k + from;
		size_t name_len = klen - from;
		if (memchr_slash(name, name_len))
			continue;
		unsigned type =
		    kernel_nodes[*index].kind == VNODE_DIR ? LINUX_DT_DIR : LINUX_DT_CHR;
		if (emit(ctx, 2 + *index, type, name, name_len))
			return n;
		n++;
	}
	size_t mount_index = *index - KERNEL_NODE_COUNT;
	long m = vfs_mount_readdir(p, len, &mount_index, emit, ctx);
	*index = KERNEL_NODE_COUNT + mount_index;
	return n + m;
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
