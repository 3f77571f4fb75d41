/* The path walk: one component at a time from "/" (a relative path is first joined to its
 * directory's canonical path), with a stack of the nodes passed, so that ".." returns to the node
 * it came from, be it in the parent mount; at "/" it stays. Symbolic links are read from the share
 * and followed here, never by the host, at most VFS_MAX_SYMLINKS per walk. Mount points and the
 * kernel's own nodes (/dev) take precedence over what a share holds at their paths. */
#include "vfs_private.h"

#include <kernel/spinlock.h>
#include <kernel/string.h>
#include <toro/memory.h>

#define WALK_DEPTH 256 /* components in a canonical path: a deeper one is -ENAMETOOLONG */

struct walk_state {
	struct vnode *stack[WALK_DEPTH];
	size_t lens[WALK_DEPTH];     /* the path's length at each depth */
	char rest[2 * VFS_PATH_MAX]; /* what is left to walk */
	char target[VFS_PATH_MAX];   /* a symbolic link's target */
};

static struct {
	struct spinlock lock;
	size_t len;
	char path[VFS_PATH_MAX];
} cwd = {.len = 1, .path = "/"};

static int is_dir(struct vnode *n)
{
	return (vnode_mode(n) & LINUX_S_IFMT) == LINUX_S_IFDIR;
}

static int is_symlink(struct vnode *n)
{
	return (n->kind == VNODE_FUSE || n->kind == VNODE_LINK) &&
	       (vnode_mode(n) & LINUX_S_IFMT) == LINUX_S_IFLNK;
}

/* Lowers *until to the end of a name's entry timeout: 0 in a writable share, where the guest may
 * change the name itself. */
static void names_until(uint64_t *until, const struct mount *m, uint64_t expires)
{
	if (!m->readonly)
		expires = 0;
	if (expires < *until)
		*until = expires;
}

/* The child name of parent, whose canonical path is w->path[0 .. w->len) + "/" + name already
 * written at w->path (child_len long). Returns a new reference or -errno via *err; lowers *until
 * as the child's name allows (walk.names_until). */
static struct vnode *lookup(struct vnode *parent, const char *child, size_t child_len,
                            const char *name, int *err, uint64_t *until)
{
	struct mount *m = vfs_mount_at(child, child_len);
	if (m) {
		if (m->error) {
			*err = m->error;
			return NULL;
		}
		return vnode_get(m->root);
	}
	struct vnode *k = vfs_kernel_node(child, child_len);
	if (k)
		return k;
	if (!is_dir(parent)) {
		*err = -LINUX_ENOTDIR;
		return NULL;
	}
	int r = -LINUX_ENOENT;
	if (parent->kind == VNODE_FUSE) {
		uint64_t expires = 0;
		struct vnode *n = vfs_name_cached(parent->mnt, parent->nodeid, name, &expires);
		if (n) {
			names_until(until, parent->mnt, expires);
			return n;
		}
		struct fuse_entry_out e;
		r = fuse_lookup(&parent->mnt->conn, parent->nodeid, name, &e);
		if (r == 0) {
			expires = vfs_name_remember(parent->mnt, parent->nodeid, name, &e);
			names_until(until, parent->mnt, expires);
			n = vnode_from_entry(parent->mnt, &e);
			if (!n)
				*err = -LINUX_ENOMEM;
			return n;
		}
	}
	/* A directory a mount point needs, which the share does not have: the kernel's, until the
	 * host makes one (no negative entry is kept, so *until is 0). */
	if (r == -LINUX_ENOENT && vfs_mount_ancestor(child, child_len)) {
		struct vnode *d = vfs_kernel_dir(child, child_len);
		*until = 0;
		if (d)
			return d;
		r = -LINUX_ENOMEM;
	}
	*err = r;
	return NULL;
}

/* Puts the text to walk into s->rest: path, after dir (or the current directory) if relative.
 * Returns its length, or -errno. */
static long walk_start(struct walk_state *s, const char *dir, const char *path)
{
	size_t len = strlen(path);
	if (len == 0)
		return -LINUX_ENOENT;
	if (len >= VFS_PATH_MAX)
		return -LINUX_ENAMETOOLONG;
	size_t at = 0;
	if (path[0] != '/') {
		if (dir) {
			at = strlen(dir);
			memcpy(s->rest, dir, at);
		} else {
			spin_lock(&cwd.lock);
			at = cwd.len;
			memcpy(s->rest, cwd.path, at);
			spin_unlock(&cwd.lock);
		}
		s->rest[at++] = '/';
	}
	memcpy(s->rest + at, path, len + 1);
	return (long)(at + len);
}

/* Replaces the walked part of s->rest (up to from) with the link's target. */
static int splice_link(struct walk_state *s, size_t target_len, size_t from)
{
	size_t tail = strlen(s->rest + from);
	if (target_len + 1 + tail >= sizeof(s->rest))
		return -LINUX_ENAMETOOLONG;
	memmove(s->rest + target_len + 1, s->rest + from, tail + 1);
	memcpy(s->rest, s->target, target_len);
	s->rest[target_len] = '/';
	return 0;
}

/* One walk's state is 16 KiB, and its result 4 KiB: whole pages from the heap. The last one of
 * each freed is kept for the next walk (on any core), so that a stat or an open does not
 * allocate and free pages each time. */
static struct walk_state *walk_state_spare;
static struct walk *walk_spare;

static void *spare_take(void *slot, size_t size)
{
	void *p = __atomic_exchange_n((void **)slot, NULL, __ATOMIC_ACQUIRE);
	return p ? p : toro_malloc(size);
}

static void spare_give(void *slot, void *p)
{
	toro_free(__atomic_exchange_n((void **)slot, p, __ATOMIC_ACQ_REL));
}

/* Whether the component c (n bytes) is "." (dots 1) or ".." (dots 2). */
static int is_dots(const char *c, size_t n, size_t dots)
{
	return n == dots && c[0] == '.' && (dots == 1 || c[1] == '.');
}

int walk(const char *dir, const char *path, int flags, struct walk **out)
{
	struct walk_state *s = spare_take(&walk_state_spare, sizeof(*s));
	/* Not cleared: 4 KiB of path, written as it is walked. */
	struct walk *w = spare_take(&walk_spare, sizeof(*w));
	int err = -LINUX_ENOMEM;
	if (w) {
		w->node = w->parent = NULL;
		w->name[0] = 0;
		w->names_until = UINT64_MAX;
	}
	int depth = 0, links = 0;
	long rest_len = 0;
	if (s)
		s->stack[0] = NULL;
	if (!s || !w || (rest_len = walk_start(s, dir, path)) < 0) {
		if (rest_len < 0)
			err = (int)rest_len;
		goto fail;
	}
	s->stack[0] = vfs_root();
	if (!s->stack[0]) {
		err = -LINUX_ENOMEM;
		goto fail;
	}
	w->path[0] = '/';
	w->len = s->lens[0] = 1;
	int must_be_dir = s->rest[rest_len - 1] == '/';
	size_t i = 0;
	for (;;) {
		while (s->rest[i] == '/')
			i++;
		if (!s->rest[i])
			break;
		const char *name = s->rest + i;
		size_t n = 0;
		while (name[n] && name[n] != '/')
			n++;
		size_t next = i + n;
		while (s->rest[next] == '/')
			next++;
		int last = s->rest[next] == 0;
		if (n > VFS_NAME_MAX) {
			err = -LINUX_ENAMETOOLONG;
			goto fail;
		}
		if (last && (flags & VFS_WALK_PARENT)) {
			memcpy(w->name, name, n);
			w->name[n] = 0;
			w->parent = vnode_get(s->stack[depth]);
			if (!is_dir(w->parent)) {
				err = -LINUX_ENOTDIR;
				goto fail;
			}
			if (is_dots(name, n, 1) || is_dots(name, n, 2))
				break;
		} else if (is_dots(name, n, 1)) {
			i = next;
			continue;
		} else if (is_dots(name, n, 2)) {
			if (depth > 0) {
				vnode_put(s->stack[depth--]);
				w->len = s->lens[depth];
			}
			i = next;
			continue;
		}
		/* The child's canonical path, then the child. */
		size_t plen = w->len == 1 ? 1 : w->len + 1;
		if (plen + n >= VFS_PATH_MAX || depth + 1 == WALK_DEPTH) {
			err = -LINUX_ENAMETOOLONG;
			goto fail;
		}
		w->path[plen - 1] = '/';
		memcpy(w->path + plen, name, n);
		w->path[plen + n] = 0; /* w->path + plen: the name, NUL-terminated */
		int lerr = 0;
		struct vnode *child = lookup(s->stack[depth], w->path, plen + n, w->path + plen, &lerr,
		                             &w->names_until);
		if (!child) {
			if (last && (flags & VFS_WALK_PARENT) && lerr == -LINUX_ENOENT) {
				w->len = plen + n; /* the name to create, and its path */
				goto done;
			}
			w->path[w->len] = 0;
			err = lerr;
			goto fail;
		}
		int follow =
		    !last || (!(flags & VFS_NOFOLLOW) && !(flags & VFS_WALK_PARENT)) || must_be_dir;
		if (follow && is_symlink(child)) {
			long t = vnode_readlink(child, s->target, sizeof(s->target));
			vnode_put(child);
			w->names_until = 0; /* a link's target is not kept */
			w->path[w->len] = 0;
			if (t < 0) {
				err = (int)t;
				goto fail;
			}
			if (++links > VFS_MAX_SYMLINKS) {
				err = -LINUX_ELOOP;
				goto fail;
			}
			if (t == 0) {
				err = -LINUX_ENOENT;
				goto fail;
			}
			if ((err = splice_link(s, (size_t)t, next)))
				goto fail;
			if (s->target[0] == '/') {
				while (depth > 0)
					vnode_put(s->stack[depth--]);
				w->len = 1;
				w->path[1] = 0;
			}
			if (w->parent) {
				vnode_put(w->parent);
				w->parent = NULL;
			}
			i = 0;
			continue;
		}
		if (last && (flags & VFS_WALK_PARENT)) {
			w->node = child;
			w->len = plen + n;
			goto done;
		}
		s->stack[++depth] = child;
		w->len = s->lens[depth] = plen + n;
		i = next;
	}
	if (!(flags & VFS_WALK_PARENT) || !w->parent) {
		w->node = s->stack[depth--]; /* the stack's reference */
		if (must_be_dir && !is_dir(w->node)) {
			err = -LINUX_ENOTDIR;
			goto fail;
		}
	}
done:
	w->path[w->len] = 0;
	while (depth >= 0)
		vnode_put(s->stack[depth--]);
	spare_give(&walk_state_spare, s);
	*out = w;
	return 0;
fail:
	if (s) {
		while (depth >= 0 && s->stack[0])
			vnode_put(s->stack[depth--]);
		spare_give(&walk_state_spare, s);
	}
	if (w)
		walk_done(w);
	return err;
}

void walk_done(struct walk *w)
{
	if (w->node)
		vnode_put(w->node);
	if (w->parent)
		vnode_put(w->parent);
	spare_give(&walk_spare, w);
}

long vfs_getcwd(char *buf, size_t size)
{
	spin_lock(&cwd.lock);
	size_t len = cwd.len + 1;
	long r = len > size ? -LINUX_ERANGE : (long)len;
	if (len <= size)
		memcpy(buf, cwd.path, len);
	spin_unlock(&cwd.lock);
	return r;
}

/* The current directory becomes the canonical path p (a directory's). */
void vfs_set_cwd(const char *p)
{
	size_t len = strlen(p);
	spin_lock(&cwd.lock);
	memcpy(cwd.path, p, len + 1);
	cwd.len = len;
	spin_unlock(&cwd.lock);
}
