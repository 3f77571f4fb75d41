/* The mount table and the inode cache. Mounts come from the option toro.mounts=TAG:PATH:ro|rw,...
 * (the monitor gives device i the tag share<i> and writes this option), read and connected (FUSE
 * INIT) the first time a path is used, so an image pays nothing at boot. Nodes of a share are
 * kept by (mount, nodeid) while referenced, and up to VFS_UNUSED_MAX more of them unreferenced;
 * the oldest unreferenced node is evicted with a FORGET for every lookup the server counted. */
#include "vfs_private.h"

#include <kernel/cmdline.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/spinlock.h>
#include <kernel/string.h>
#include <kernel/time.h>
#include <toro/memory.h>

#define VFS_HASH_SIZE  256
#define VFS_UNUSED_MAX 512

static struct {
	struct spinlock lock; /* the hash, the unused list, every node's refs */
	struct vnode *hash[VFS_HASH_SIZE];
	struct vnode *unused_head, *unused_tail;
	unsigned unused_count;
	struct mount *mounts[VFS_MAX_MOUNTS];
	unsigned mount_count;
	int state; /* 0: not read, 1: being read, 2: ready */
} vfs;

static unsigned hash_of(const struct mount *m, uint64_t nodeid)
{
	uint64_t h = (nodeid ^ (uintptr_t)m) * 0x9e3779b97f4a7c15ull;
	return (unsigned)(h >> 56) % VFS_HASH_SIZE;
}

/* When a timeout of the server's (seconds and nanoseconds from now) runs out; 0 for none. */
static uint64_t expiry(uint64_t valid_sec, uint32_t valid_nsec)
{
	if (valid_sec == 0 && valid_nsec == 0)
		return 0;
	uint64_t valid =
	    valid_sec > 1000000000ull ? ~0ull / 2 : valid_sec * 1000000000ull + valid_nsec;
	return time_monotonic_ns() + valid;
}

struct vnode *vnode_get(struct vnode *n)
{
	spin_lock(&vfs.lock);
	n->refs++;
	spin_unlock(&vfs.lock);
	return n;
}

static void unused_unlink(struct vnode *n)
{
	if (n->unused_prev)
		n->unused_prev->unused_next = n->unused_next;
	else
		vfs.unused_head = n->unused_next;
	if (n->unused_next)
		n->unused_next->unused_prev = n->unused_prev;
	else
		vfs.unused_tail = n->unused_prev;
	n->unused_prev = n->unused_next = NULL;
	vfs.unused_count--;
}

static void hash_unlink(struct vnode *n)
{
	for (struct vnode **l = &vfs.hash[hash_of(n->mnt, n->nodeid)]; *l; l = &(*l)->hash_next)
		if (*l == n) {
			*l = n->hash_next;
			return;
		}
}

static void vnode_free(struct vnode *n)
{
	if (n->kind == VNODE_FUSE) {
		pagecache_drop(n);
		if (n->nlookup)
			fuse_forget(&n->mnt->conn, n->nodeid, n->nlookup);
	}
	toro_free(n->path);
	toro_free(n);
}

void vnode_put(struct vnode *n)
{
	struct vnode *victim = NULL;
	spin_lock(&vfs.lock);
	if (--n->refs > 0) {
		spin_unlock(&vfs.lock);
		return;
	}
	if (n->kind != VNODE_FUSE) {
		spin_unlock(&vfs.lock);
		vnode_free(n);
		return;
	}
	/* Kept for a later lookup; the oldest unreferenced node makes room. */
	n->unused_prev = vfs.unused_tail;
	n->unused_next = NULL;
	if (vfs.unused_tail)
		vfs.unused_tail->unused_next = n;
	else
		vfs.unused_head = n;
	vfs.unused_tail = n;
	if (++vfs.unused_count > VFS_UNUSED_MAX) {
		victim = vfs.unused_head;
		unused_unlink(victim);
		hash_unlink(victim);
	}
	spin_unlock(&vfs.lock);
	if (victim)
		vnode_free(victim);
}

void vnode_set_attr(struct vnode *n, const struct fuse_attr *attr, uint64_t valid_sec,
                    uint32_t valid_nsec)
{
	uint64_t expires = expiry(valid_sec, valid_nsec);
	spin_lock(&vfs.lock);
	n->attr = *attr;
	n->attr_expires = expires;
	spin_unlock(&vfs.lock);
}

struct vnode *vnode_from_entry(struct mount *m, const struct fuse_entry_out *e)
{
	struct vnode *fresh = toro_calloc(1, sizeof(*fresh));
	spin_lock(&vfs.lock);
	struct vnode *n = vfs.hash[hash_of(m, e->nodeid)];
	while (n && !(n->mnt == m && n->nodeid == e->nodeid))
		n = n->hash_next;
	if (n) {
		if (n->refs++ == 0)
			unused_unlink(n);
		n->nlookup++;
	} else if (fresh) {
		n = fresh;
		fresh = NULL;
		*n = (struct vnode){.refs = 1, .kind = VNODE_FUSE, .mnt = m, .nodeid = e->nodeid,
		                    .nlookup = 1};
		unsigned h = hash_of(m, e->nodeid);
		n->hash_next = vfs.hash[h];
		vfs.hash[h] = n;
	}
	spin_unlock(&vfs.lock);
	toro_free(fresh);
	if (!n) {
		/* No memory to remember it: the server must not keep counting the lookup. */
		fuse_forget(&m->conn, e->nodeid, 1);
		return NULL;
	}
	vnode_set_attr(n, &e->attr, e->attr_valid, e->attr_valid_nsec);
	return n;
}

int vnode_getattr(struct vnode *n, struct fuse_attr *attr)
{
	if (n->kind != VNODE_FUSE) {
		*attr = (struct fuse_attr){
		    .mode = n->kind == VNODE_DIR ? LINUX_S_IFDIR | 0755 : LINUX_S_IFCHR | 0666,
		    .nlink = n->kind == VNODE_DIR ? 2 : 1,
		    .rdev = n->kind == VNODE_DEV ? (1u << 8) | (n->dev == VDEV_NULL ? 3 : n->dev == VDEV_ZERO ? 5 : 9) : 0,
		    .blksize = 4096,
		};
		return 0;
	}
	spin_lock(&vfs.lock);
	int fresh = n->attr_expires && time_monotonic_ns() < n->attr_expires;
	if (fresh)
		*attr = n->attr;
	spin_unlock(&vfs.lock);
	if (fresh)
		return 0;
	struct fuse_attr_out out;
	int r = fuse_getattr(&n->mnt->conn, n->nodeid, &out);
	if (r)
		return r;
	vnode_set_attr(n, &out.attr, out.attr_valid, out.attr_valid_nsec);
	*attr = out.attr;
	return 0;
}

uint32_t vnode_mode(struct vnode *n)
{
	struct fuse_attr a;
	if (n->kind != VNODE_FUSE) {
		vnode_getattr(n, &a);
		return a.mode;
	}
	/* The type never changes: attributes once fetched (a lookup's, or GETATTR's for a mount's
	 * root) answer, however old. */
	spin_lock(&vfs.lock);
	uint32_t mode = n->attr.mode;
	spin_unlock(&vfs.lock);
	if (mode == 0 && vnode_getattr(n, &a) == 0)
		mode = a.mode;
	return mode;
}

int vnode_setattr(struct vnode *n, struct fuse_setattr_in *in)
{
	if (n->kind != VNODE_FUSE)
		return in->valid & FATTR_SIZE ? -LINUX_EINVAL : 0;
	if (n->mnt->readonly)
		return -LINUX_EROFS;
	struct fuse_attr_out out;
	int r = fuse_setattr(&n->mnt->conn, n->nodeid, in, &out);
	if (r == 0)
		vnode_set_attr(n, &out.attr, out.attr_valid, out.attr_valid_nsec);
	return r;
}

void vnode_stat(struct vnode *n, const struct fuse_attr *a, struct file_stat *st)
{
	unsigned mount_index = 0;
	for (unsigned i = 0; i < vfs.mount_count; i++)
		if (vfs.mounts[i] == n->mnt)
			mount_index = i + 1;
	*st = (struct file_stat){
	    /* Each share its own device number, the kernel's nodes another (as /dev is on
	     * Linux): st_dev and st_ino together name a file. */
	    .dev = n->kind == VNODE_FUSE ? 0x100 + mount_index : 5,
	    .ino = n->kind == VNODE_FUSE ? a->ino : (uintptr_t)n->path % 100000 + 2,
	    .nlink = a->nlink,
	    .rdev = a->rdev,
	    .mode = a->mode,
	    .uid = a->uid,
	    .gid = a->gid,
	    .blksize = a->blksize ? a->blksize : 4096,
	    .size = (int64_t)a->size,
	    .blocks = (int64_t)a->blocks,
	    .atime_sec = (int64_t)a->atime,
	    .mtime_sec = (int64_t)a->mtime,
	    .ctime_sec = (int64_t)a->ctime,
	    .atime_nsec = a->atimensec,
	    .mtime_nsec = a->mtimensec,
	    .ctime_nsec = a->ctimensec,
	};
}

/* The name cache: (mount, directory nodeid, name) to the child's nodeid, for as long as the
 * LOOKUP reply allowed (entry_valid). One slot per hash value, a newer entry replacing an older
 * one; keyed by nodeids rather than nodes, so an entry outlives neither its meaning nor a node's
 * memory: a child no longer in the inode cache is looked up again. Names longer than
 * DENTRY_NAME_MAX are never cached. */
#define DENTRY_SLOTS    1024
#define DENTRY_NAME_MAX 39

struct dentry {
	struct mount *mnt; /* NULL: empty */
	uint64_t dir, child;
	uint64_t expires; /* monotonic ns */
	uint8_t len;
	char name[DENTRY_NAME_MAX];
};

static struct dentry *dentries; /* DENTRY_SLOTS, allocated with the mount table */

static struct dentry *dentry_slot(const struct mount *m, uint64_t dir, const char *name,
                                  size_t len)
{
	uint64_t h = ((uintptr_t)m ^ dir) * 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)name[i]) * 0x100000001b3ull;
	return &dentries[(h >> 40) % DENTRY_SLOTS];
}

struct vnode *vfs_name_cached(struct mount *m, uint64_t dir, const char *name)
{
	size_t len = strlen(name);
	if (!dentries || len > DENTRY_NAME_MAX)
		return NULL;
	struct vnode *n = NULL;
	uint64_t now = time_monotonic_ns();
	spin_lock(&vfs.lock);
	struct dentry *d = dentry_slot(m, dir, name, len);
	if (d->mnt == m && d->dir == dir && d->len == len && !memcmp(d->name, name, len) &&
	    now < d->expires) {
		n = vfs.hash[hash_of(m, d->child)];
		while (n && !(n->mnt == m && n->nodeid == d->child))
			n = n->hash_next;
		if (n && n->refs++ == 0)
			unused_unlink(n);
	}
	spin_unlock(&vfs.lock);
	return n;
}

void vfs_name_remember(struct mount *m, uint64_t dir, const char *name,
                       const struct fuse_entry_out *e)
{
	size_t len = strlen(name);
	uint64_t expires = expiry(e->entry_valid, e->entry_valid_nsec);
	if (!dentries || len > DENTRY_NAME_MAX || !expires)
		return;
	spin_lock(&vfs.lock);
	struct dentry *d = dentry_slot(m, dir, name, len);
	*d = (struct dentry){.mnt = m, .dir = dir, .child = e->nodeid, .expires = expires,
	                     .len = (uint8_t)len};
	memcpy(d->name, name, len);
	spin_unlock(&vfs.lock);
}

void vfs_name_forget(struct mount *m, uint64_t dir, const char *name)
{
	size_t len = strlen(name);
	if (!dentries || len > DENTRY_NAME_MAX)
		return;
	spin_lock(&vfs.lock);
	struct dentry *d = dentry_slot(m, dir, name, len);
	if (d->mnt == m && d->dir == dir && d->len == len && !memcmp(d->name, name, len))
		d->mnt = NULL;
	spin_unlock(&vfs.lock);
}

/* Mount table. */

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
		printk("toro.mounts: \"%.*s\": the path must be absolute and canonical and the mode "
		       "ro or rw; ignored\n", (int)len, s);
		return;
	}
	if (vfs.mount_count == VFS_MAX_MOUNTS || vfs_mount_at(path, path_len)) {
		printk("toro.mounts: \"%.*s\": too many mounts or a second one at that path; "
		       "ignored\n", (int)len, s);
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
	dentries = toro_calloc(DENTRY_SLOTS, sizeof(*dentries)); /* none: names are not cached */
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

/* Lists the mount points directly under the directory p, from *index on. */
long vfs_mount_readdir(const char *p, size_t len, size_t *index, vfs_emit_fn emit, void *ctx)
{
	long n = 0;
	for (; *index < vfs.mount_count; ++*index) {
		const struct mount *m = vfs.mounts[*index];
		size_t from = len == 1 ? 1 : len + 1;
		if (m->path_len <= from || memcmp(m->path, p, len) || (len > 1 && m->path[len] != '/'))
			continue;
		const char *name = m->path + from;
		size_t name_len = 0;
		while (from + name_len < m->path_len && name[name_len] != '/')
			name_len++;
		/* A name two mounts share (/mnt for /mnt/a and /mnt/b) once: its first mount. */
		int seen = 0;
		for (size_t j = 0; j < *index; j++) {
			const struct mount *o = vfs.mounts[j];
			if (o->path_len >= from + name_len && !memcmp(o->path, m->path, from + name_len) &&
			    (o->path_len == from + name_len || o->path[from + name_len] == '/'))
				seen = 1;
		}
		if (seen)
			continue;
		if (emit(ctx, 2, LINUX_DT_DIR, name, name_len))
			return n;
		n++;
	}
	return n;
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
	struct mount *m = vfs_mount_at("/", 1);
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
