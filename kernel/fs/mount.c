/* The mount table, from the option toro.mounts=TAG:PATH:ro|rw,... (the monitor gives device i
 * the tag share<i> and writes this option), read and connected (FUSE INIT) the first time a path
 * is used, so an image pays nothing at boot; and the questions the walk asks of it. */
#include "vfs_private.h"

#include <kernel/cmdline.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/string.h>
#include <toro/memory.h>

static struct {
	struct mount *mounts[VFS_MAX_MOUNTS];
	unsigned mount_count;
	int state; /* 0: not read, 1: being read, 2: ready */
	struct mount *root; /* the mount at "/", or NULL; set when the table is read */
} vfs;

/* Copies a mount path, checking it is canonical: absolute, no empty, "." or ".." component, no
 * trailing "/" but for "/" itself. */
static int mount_path_ok(const char *p, size_t len)
{
	if (len == 0 || p[0] != '/' || len >= VFS_PATH_MAX)
		return 0;
	if (len == 1)
		return 1;
	if (p[len - 1] == '/')
		return 0;
	for (size_t i = 1; i <= len; i++) {
		if (i < len && p[i] != '/')
			continue;
		size_t start = i;
		while (start > 0 && p[start - 1] != '/')
			start--;
		size_t n = i - start;
		if (n == 0 || (n == 1 && p[start] == '.') ||
		    (n == 2 && p[start] == '.' && p[start + 1] == '.'))
			return 0;
	}
	return 1;
}

/* One TAG:PATH:ro|rw entry. */
static void mount_add(const char *s, size_t len)
{
	const char *end = s + len;
	const char *c1 = s;
	while (c1 < end && *c1 != ':')
		c1++;
	if (c1 == end)
		c1 = NULL;
	const char *c2 = c1 ? c1 + 1 : NULL;
	while (c2 && c2 < end && *c2 != ':')
		c2++;
	if (!c1 || !c2 || c2 >= end || c1 == s || (size_t)(c1 - s) >= sizeof(vfs.mounts[0]->tag)) {
		printk("toro.mounts: \"%.*s\" is not TAG:PATH:ro|rw; ignored\n", (int)len, s);
		return;
	}
	const char *mode = c2 + 1;
	size_t mode_len = (size_t)(end - mode);
	int ro = mode_len == 2 && !strncmp(mode, "ro", 2);
	int rw = mode_len == 2 && !strncmp(mode, "rw", 2);
	const char *path = c1 + 1;
	size_t path_len = (size_t)(c2 - path);
	if ((!ro && !rw) || !mount_path_ok(path, path_len)) {
		printk(
		    "toro.mounts: \"%.*s\": the path must be absolute and canonical and the mode "
		    "ro or rw; ignored\n",
		    (int)len, s);
		return;
	}
	if (vfs.mount_count == VFS_MAX_MOUNTS || vfs_mount_at(path, path_len)) {
		printk("toro.mounts: \"%.*s\": too many mounts or a second one at that path; "
		       "ignored\n",
		       (int)len, s);
		return;
	}
	struct mount *m = toro_calloc(1, sizeof(*m));
	struct vnode *root = toro_calloc(1, sizeof(*root));
	if (!m || !root) {
		toro_free(m);
		toro_free(root);
		printk("toro.mounts: no memory for \"%.*s\"\n", (int)len, s);
		return;
	}
	memcpy(m->tag, s, (size_t)(c1 - s));
	memcpy(m->path, path, path_len);
	m->path_len = path_len;
	m->readonly = ro;
	m->index = vfs.mount_count + 1;
	m->error = fuse_connect(&m->conn, m->tag);
	if (m->error)
		printk("toro.mounts: share \"%s\" at %s cannot be used (error %d)\n", m->tag,
		       m->path, m->error);
	/* The root is never in the unused list: the mount holds it for good. nlookup 0: the
	 * server knows FUSE_ROOT_ID without a lookup. */
	*root = (struct vnode){.refs = 1, .kind = VNODE_FUSE, .mnt = m, .nodeid = FUSE_ROOT_ID};
	m->root = root;
	vfs.mounts[vfs.mount_count++] = m;
}

static void vfs_read_mounts(void)
{
	vfs_names_init();
	for (int i = 0; i < cmdline_option_count; i++) {
		const char *v = cmdline_option_value(cmdline_options[i], "toro.mounts");
		if (!v)
			continue;
		while (*v) {
			const char *comma = v;
			while (*comma && *comma != ',')
				comma++;
			if (comma > v)
				mount_add(v, (size_t)(comma - v));
			v = *comma ? comma + 1 : comma;
		}
	}
	vfs.root = vfs_mount_at("/", 1);
}

/* The first caller reads the table (and talks to the devices); others wait for it. */
static void vfs_init(void)
{
	if (__atomic_load_n(&vfs.state, __ATOMIC_ACQUIRE) == 2)
		return;
	int expected = 0;
	if (__atomic_compare_exchange_n(&vfs.state, &expected, 1, 0, __ATOMIC_ACQ_REL,
	                                __ATOMIC_ACQUIRE)) {
		vfs_read_mounts();
		__atomic_store_n(&vfs.state, 2, __ATOMIC_RELEASE);
		return;
	}
	while (__atomic_load_n(&vfs.state, __ATOMIC_ACQUIRE) != 2)
		thread_yield();
}

struct mount *vfs_mount_at(const char *p, size_t len)
{
	for (unsigned i = 0; i < vfs.mount_count; i++)
		if (vfs.mounts[i]->path_len == len && !memcmp(vfs.mounts[i]->path, p, len))
			return vfs.mounts[i];
	return NULL;
}

int vfs_mount_ancestor(const char *p, size_t len)
{
	for (unsigned i = 0; i < vfs.mount_count; i++) {
		const struct mount *m = vfs.mounts[i];
		if (m->path_len > len && !memcmp(m->path, p, len) &&
		    (len == 1 || m->path[len] == '/'))
			return 1;
	}
	return 0;
}

int vfs_mount_child(const char *p, size_t len, size_t i, const char **name, size_t *name_len)
{
	if (i >= vfs.mount_count)
		return -1;
	const struct mount *m = vfs.mounts[i];
	size_t from = len == 1 ? 1 : len + 1;
	if (m->path_len <= from || memcmp(m->path, p, len) || (len > 1 && m->path[len] != '/'))
		return 0;
	const char *child = m->path + from;
	size_t n = 0;
	while (from + n < m->path_len && child[n] != '/')
		n++;
	/* A name two mounts share (/mnt for /mnt/a and /mnt/b) once: its first mount's. */
	for (size_t j = 0; j < i; j++) {
		const struct mount *o = vfs.mounts[j];
		if (o->path_len >= from + n && !memcmp(o->path, m->path, from + n) &&
		    (o->path_len == from + n || o->path[from + n] == '/'))
			return 0;
	}
	*name = child;
	*name_len = n;
	return 1;
}

struct mount *vfs_mount_of(const char *p)
{
	vfs_init();
	size_t len = strlen(p);
	struct mount *best = NULL;
	for (unsigned i = 0; i < vfs.mount_count; i++) {
		struct mount *m = vfs.mounts[i];
		if (m->path_len <= len && !memcmp(m->path, p, m->path_len) &&
		    (m->path_len == 1 || m->path_len == len || p[m->path_len] == '/') &&
		    (!best || m->path_len > best->path_len))
			best = m;
	}
	return best;
}

/* The root of the walk: the share at "/", or the kernel's own "/". */
struct vnode *vfs_root(void)
{
	vfs_init();
	struct mount *m = vfs.root;
	/* A root share that could not be connected was reported at its mount: the kernel's "/"
	 * stands in, so /dev and the other mounts still work. */
	if (m && !m->error)
		return vnode_get(m->root);
	return vfs_kernel_node("/", 1);
}

long vfs_fuse_requests(const char *path, unsigned opcode)
{
	struct mount *m = vfs_mount_of(path);
	if (!m || opcode >= 64)
		return -LINUX_ENOENT;
	return (long)__atomic_load_n(&m->conn.requests[opcode], __ATOMIC_RELAXED);
}
