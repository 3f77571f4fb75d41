/* The inode cache and the name cache. Nodes of a share are kept by (mount, nodeid) while
 * referenced, and up to VFS_UNUSED_MAX more of them unreferenced; the oldest unreferenced node is
 * evicted with a FORGET for every lookup the server counted. Attributes are kept for as long as
 * the server's reply allows, names (below) for as long as their LOOKUP's entry timeout. */
#include "vfs_private.h"

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
	/* Past 2^60 ns (36 years) the time stamp could overflow: never. */
	uint64_t until = expires < (1ull << 60) ? time_ns_to_tsc(expires) : UINT64_MAX;
	spin_lock(&vfs.lock);
	__atomic_store_n(&n->attr_seq, n->attr_seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	n->attr = *attr;
	n->attr_expires = expires;
	n->attr_until_tsc = until;
	__atomic_store_n(&n->attr_seq, n->attr_seq + 1, __ATOMIC_RELEASE);
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
		*n = (struct vnode){
		    .refs = 1, .kind = VNODE_FUSE, .mnt = m, .nodeid = e->nodeid, .nlookup = 1};
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
		static const uint32_t modes[] = {
		    [VNODE_DIR] = LINUX_S_IFDIR | 0755,
		    [VNODE_DEV] = LINUX_S_IFCHR | 0666,
		    [VNODE_LINK] = LINUX_S_IFLNK | 0777,
		    [VNODE_PROC] = LINUX_S_IFREG | 0444, /* size 0, as Linux's /proc files */
		};
		*attr = (struct fuse_attr){
		    .mode = modes[n->kind],
		    .nlink = n->kind == VNODE_DIR ? 2 : 1,
		    .rdev = n->kind == VNODE_DEV ? (1u << 8) | (n->dev == VDEV_NULL   ? 3
		                                                : n->dev == VDEV_ZERO ? 5
		                                                                      : 9)
		                                 : 0,
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

int vnode_size(struct vnode *n, uint64_t *size)
{
	uint64_t now = time_monotonic_ns();
	spin_lock(&vfs.lock);
	int fresh = n->kind == VNODE_FUSE && now < n->attr_expires;
	*size = n->attr.size;
	spin_unlock(&vfs.lock);
	if (fresh)
		return 0;
	struct fuse_attr a;
	int err = vnode_getattr(n, &a);
	if (!err)
		*size = a.size;
	return err;
}

long vnode_readlink(struct vnode *n, char *buf, size_t size)
{
	if (n->kind == VNODE_LINK)
		return proc_readlink(n, buf, size);
	return fuse_readlink(&n->mnt->conn, n->nodeid, buf, (uint32_t)size);
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

uint64_t vnode_attr_expires(struct vnode *n)
{
	spin_lock(&vfs.lock);
	uint64_t expires = n->attr_expires;
	spin_unlock(&vfs.lock);
	return expires;
}

void vnode_stat(struct vnode *n, const struct fuse_attr *a, struct file_stat *st)
{
	*st = (struct file_stat){
	    /* Each share its own device number, the kernel's nodes another (as /dev is on
	     * Linux): st_dev and st_ino together name a file. */
	    .dev = n->kind == VNODE_FUSE ? 0x100 + n->mnt->index : 5,
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

static struct dentry *dentries; /* DENTRY_SLOTS; NULL: names are not cached */

void vfs_names_init(void)
{
	dentries = toro_calloc(DENTRY_SLOTS, sizeof(*dentries));
}

static struct dentry *dentry_slot(const struct mount *m, uint64_t dir, const char *name, size_t len)
{
	uint64_t h = ((uintptr_t)m ^ dir) * 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)name[i]) * 0x100000001b3ull;
	return &dentries[(h >> 40) % DENTRY_SLOTS];
}

struct vnode *vfs_name_cached(struct mount *m, uint64_t dir, const char *name, uint64_t *expires)
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
		*expires = d->expires;
	}
	spin_unlock(&vfs.lock);
	return n;
}

uint64_t vfs_name_remember(struct mount *m, uint64_t dir, const char *name,
                           const struct fuse_entry_out *e)
{
	size_t len = strlen(name);
	uint64_t expires = expiry(e->entry_valid, e->entry_valid_nsec);
	if (!dentries || len > DENTRY_NAME_MAX || !expires)
		return 0;
	spin_lock(&vfs.lock);
	struct dentry *d = dentry_slot(m, dir, name, len);
	*d = (struct dentry){
	    .mnt = m, .dir = dir, .child = e->nodeid, .expires = expires, .len = (uint8_t)len};
	memcpy(d->name, name, len);
	spin_unlock(&vfs.lock);
	return expires;
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
