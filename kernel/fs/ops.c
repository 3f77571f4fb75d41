/* The calls on paths (kernel/include/kernel/vfs.h): each walks to the node or to its parent and
 * the last name, checks what Linux checks, and makes the FUSE request. Shares mounted read-only
 * answer -EROFS here, before the host is asked; the kernel's own nodes cannot be changed. */
#include "vfs_private.h"

#include <kernel/string.h>
#include <toro/memory.h>

static int is_dot(const char *name)
{
	return !strcmp(name, ".") || !strcmp(name, "..") || !name[0];
}

/* For a call that changes the directory d: 0, or why not. */
static int dir_writable(struct vnode *d)
{
	if (d->kind != VNODE_FUSE)
		return d->kind == VNODE_DIR ? -LINUX_EROFS : -LINUX_ENOTDIR;
	return d->mnt->readonly ? -LINUX_EROFS : 0;
}

static int type_of(struct vnode *n)
{
	return (int)(vnode_mode(n) & LINUX_S_IFMT);
}

int vfs_open(const char *dir, const char *path, unsigned flags, unsigned mode, struct file **out)
{
	struct walk *w;
	int nofollow = (flags & LINUX_O_NOFOLLOW) ? VFS_NOFOLLOW : 0;
	if (!(flags & LINUX_O_CREAT)) {
		int err = walk(dir, path, nofollow, &w);
		if (err)
			return err;
		err = vfs_open_node(w->node, w->path, flags, out);
		walk_done(w);
		return err;
	}
	int err = walk(dir, path, VFS_WALK_PARENT, &w);
	if (err)
		return err;
	struct vnode *n = w->node;
	if (n && (flags & LINUX_O_EXCL)) {
		err = -LINUX_EEXIST;
	} else if (n && type_of(n) == LINUX_S_IFLNK && !nofollow) {
		/* An existing link: open what it names (a dangling one is not created). */
		walk_done(w);
		w = NULL;
		err = vfs_open(dir, path, flags & ~(unsigned)LINUX_O_CREAT, mode, out);
	} else if (n) {
		err = type_of(n) == LINUX_S_IFDIR ? -LINUX_EISDIR
		                                  : vfs_open_node(n, w->path, flags, out);
	} else if (is_dot(w->name)) {
		err = -LINUX_EISDIR;
	} else if (!(err = dir_writable(w->parent))) {
		struct fuse_entry_out e;
		struct fuse_open_out o;
		unsigned fflags =
		    flags & (LINUX_O_ACCMODE | LINUX_O_APPEND | LINUX_O_NONBLOCK | LINUX_O_TRUNC);
		err = fuse_create(&w->parent->mnt->conn, w->parent->nodeid, w->name, fflags,
		                  LINUX_S_IFREG | (mode & 07777), &e, &o);
		if (!err) {
			struct vnode *created = vnode_from_entry(w->parent->mnt, &e);
			if (!created) {
				fuse_release(&w->parent->mnt->conn, FUSE_RELEASE, e.nodeid, o.fh,
				             flags & LINUX_O_ACCMODE);
				err = -LINUX_ENOMEM;
			} else {
				err = vfs_file_open(created, w->path, flags, o.fh, 1, out);
				vnode_put(created);
			}
		}
	}
	if (w)
		walk_done(w);
	return err;
}

int vfs_stat(const char *dir, const char *path, int flags, struct file_stat *st)
{
	return vfs_stat_until(dir, path, flags, st, NULL);
}

int vfs_stat_until(const char *dir, const char *path, int flags, struct file_stat *st,
                   uint64_t *until)
{
	struct walk *w;
	int err = walk(dir, path, flags & VFS_NOFOLLOW, &w);
	if (err)
		return err;
	struct fuse_attr a;
	err = vnode_getattr(w->node, &a);
	if (!err)
		vnode_stat(w->node, &a, st);
	if (until) {
		uint64_t attrs = w->node->kind == VNODE_FUSE && w->node->mnt->readonly
		                     ? vnode_attr_expires(w->node)
		                     : 0;
		*until = attrs < w->names_until ? attrs : w->names_until;
	}
	walk_done(w);
	return err;
}

/* Walks to the parent for a call that creates name: the parent writable, name not there. */
static int walk_create(const char *dir, const char *path, struct walk **out)
{
	int err = walk(dir, path, VFS_WALK_PARENT, out);
	if (err)
		return err;
	struct walk *w = *out;
	if (w->node || is_dot(w->name))
		err = -LINUX_EEXIST;
	else
		err = dir_writable(w->parent);
	if (err)
		walk_done(w);
	return err;
}

int vfs_mkdir(const char *dir, const char *path, unsigned mode)
{
	struct walk *w;
	int err = walk_create(dir, path, &w);
	if (err)
		return err;
	struct fuse_entry_out e;
	err = fuse_mkdir(&w->parent->mnt->conn, w->parent->nodeid, w->name, mode & 07777, &e);
	if (!err)
		fuse_forget(&w->parent->mnt->conn, e.nodeid, 1);
	walk_done(w);
	return err;
}

int vfs_symlink(const char *target, const char *dir, const char *path)
{
	if (!target[0])
		return -LINUX_ENOENT;
	struct walk *w;
	int err = walk_create(dir, path, &w);
	if (err)
		return err;
	struct fuse_entry_out e;
	err = fuse_symlink(&w->parent->mnt->conn, w->parent->nodeid, w->name, target, &e);
	if (!err)
		fuse_forget(&w->parent->mnt->conn, e.nodeid, 1);
	walk_done(w);
	return err;
}

/* unlink and rmdir: the node must exist and be of the right kind. */
static int vfs_remove(const char *dir, const char *path, int rmdir)
{
	struct walk *w;
	int err = walk(dir, path, VFS_WALK_PARENT, &w);
	if (err)
		return err;
	if (!w->name[0])
		err = -LINUX_EBUSY; /* "/" */
	else if (!w->node && !strcmp(w->name, "."))
		err = rmdir ? -LINUX_EINVAL : -LINUX_EISDIR;
	else if (!w->node && !strcmp(w->name, ".."))
		err = rmdir ? -LINUX_ENOTEMPTY : -LINUX_EISDIR;
	else if (!w->node)
		err = -LINUX_ENOENT;
	else if (w->node->kind == VNODE_FUSE && w->node == w->node->mnt->root)
		err = -LINUX_EBUSY; /* a mount point */
	else if (rmdir && type_of(w->node) != LINUX_S_IFDIR)
		err = -LINUX_ENOTDIR;
	else if (!rmdir && type_of(w->node) == LINUX_S_IFDIR)
		err = -LINUX_EISDIR;
	else if (!(err = dir_writable(w->parent))) {
		err = fuse_remove(&w->parent->mnt->conn, rmdir ? FUSE_RMDIR : FUSE_UNLINK,
		                  w->parent->nodeid, w->name);
		vfs_name_forget(w->parent->mnt, w->parent->nodeid, w->name);
	}
	if (!err)
		vnode_attr_stale(w->node); /* its link count changed */
	walk_done(w);
	return err;
}

int vfs_unlink(const char *dir, const char *path)
{
	return vfs_remove(dir, path, 0);
}

int vfs_rmdir(const char *dir, const char *path)
{
	return vfs_remove(dir, path, 1);
}

int vfs_rename(const char *olddir, const char *oldpath, const char *newdir, const char *newpath,
               unsigned flags)
{
	if (flags & ~(unsigned)(LINUX_RENAME_NOREPLACE | LINUX_RENAME_EXCHANGE) ||
	    (flags & LINUX_RENAME_NOREPLACE && flags & LINUX_RENAME_EXCHANGE))
		return -LINUX_EINVAL;
	struct walk *from, *to;
	int err = walk(olddir, oldpath, VFS_WALK_PARENT, &from);
	if (err)
		return err;
	err = walk(newdir, newpath, VFS_WALK_PARENT, &to);
	if (err) {
		walk_done(from);
		return err;
	}
	if (is_dot(from->name) || is_dot(to->name))
		err = -LINUX_EBUSY;
	else if (!from->node)
		err = -LINUX_ENOENT;
	else if (from->node->kind == VNODE_FUSE && from->node == from->node->mnt->root)
		err = -LINUX_EBUSY;
	else if ((err = dir_writable(from->parent)) || (err = dir_writable(to->parent)))
		;
	else if (from->parent->mnt != to->parent->mnt)
		err = -LINUX_EXDEV;
	else {
		err = fuse_rename2(&from->parent->mnt->conn, from->parent->nodeid, from->name,
		                   to->parent->nodeid, to->name, flags);
		vfs_name_forget(from->parent->mnt, from->parent->nodeid, from->name);
		vfs_name_forget(to->parent->mnt, to->parent->nodeid, to->name);
	}
	if (!err && to->node)
		vnode_attr_stale(to->node);
	walk_done(from);
	walk_done(to);
	return err;
}

int vfs_link(const char *olddir, const char *oldpath, const char *newdir, const char *newpath,
             int flags)
{
	struct walk *from, *to;
	int err = walk(olddir, oldpath, flags & VFS_NOFOLLOW, &from);
	if (err)
		return err;
	err = walk_create(newdir, newpath, &to);
	if (err) {
		walk_done(from);
		return err;
	}
	if (type_of(from->node) == LINUX_S_IFDIR)
		err = -LINUX_EPERM;
	else if (from->node->kind != VNODE_FUSE || from->node->mnt != to->parent->mnt)
		err = -LINUX_EXDEV;
	else {
		struct fuse_entry_out e;
		err = fuse_link(&to->parent->mnt->conn, from->node->nodeid, to->parent->nodeid,
		                to->name, &e);
		if (!err) {
			/* LINK counts a lookup of the (same) node. */
			fuse_forget(&to->parent->mnt->conn, e.nodeid, 1);
			vnode_attr_stale(from->node);
		}
	}
	walk_done(from);
	walk_done(to);
	return err;
}

long vfs_readlink(const char *dir, const char *path, char *buf, size_t size)
{
	struct walk *w;
	int err = walk(dir, path, VFS_NOFOLLOW, &w);
	if (err)
		return err;
	long r = -LINUX_EINVAL;
	if (type_of(w->node) == LINUX_S_IFLNK) {
		char *target = toro_malloc(VFS_PATH_MAX);
		r = target ? vnode_readlink(w->node, target, VFS_PATH_MAX) : -LINUX_ENOMEM;
		if (r > 0) {
			if ((size_t)r > size)
				r = (long)size;
			memcpy(buf, target, (size_t)r);
		}
		toro_free(target);
	}
	walk_done(w);
	return r;
}

/* setattr on a node found by path (truncate, chmod, utimensat). */
static int vfs_setattr_path(const char *dir, const char *path, int flags,
                            struct fuse_setattr_in *in)
{
	struct walk *w;
	int err = walk(dir, path, flags & VFS_NOFOLLOW, &w);
	if (err)
		return err;
	if ((in->valid & FATTR_SIZE) && type_of(w->node) == LINUX_S_IFDIR)
		err = -LINUX_EISDIR;
	else if ((in->valid & FATTR_SIZE) && type_of(w->node) != LINUX_S_IFREG)
		err = -LINUX_EINVAL;
	else
		err = vnode_setattr(w->node, in);
	walk_done(w);
	return err;
}

int vfs_truncate(const char *dir, const char *path, int64_t size)
{
	if (size < 0)
		return -LINUX_EINVAL;
	struct fuse_setattr_in in = {.valid = FATTR_SIZE, .size = (uint64_t)size};
	return vfs_setattr_path(dir, path, 0, &in);
}

int vfs_chmod(const char *dir, const char *path, int flags, unsigned mode)
{
	struct fuse_setattr_in in = {.valid = FATTR_MODE, .mode = mode & 07777};
	return vfs_setattr_path(dir, path, flags, &in);
}

/* utimensat's times as SETATTR fields. */
int vfs_times_to_setattr(const int64_t times[4], struct fuse_setattr_in *in)
{
	if (!times) {
		in->valid = FATTR_ATIME | FATTR_MTIME | FATTR_ATIME_NOW | FATTR_MTIME_NOW;
		return 0;
	}
	for (int i = 0; i < 2; i++) {
		int64_t sec = times[2 * i], nsec = times[2 * i + 1];
		uint32_t set = i ? FATTR_MTIME : FATTR_ATIME,
		         now = i ? FATTR_MTIME_NOW : FATTR_ATIME_NOW;
		if (nsec == LINUX_UTIME_OMIT)
			continue;
		if (nsec == LINUX_UTIME_NOW) {
			in->valid |= set | now;
			continue;
		}
		if (nsec < 0 || nsec >= 1000000000)
			return -LINUX_EINVAL;
		in->valid |= set;
		if (i) {
			in->mtime = (uint64_t)sec;
			in->mtimensec = (uint32_t)nsec;
		} else {
			in->atime = (uint64_t)sec;
			in->atimensec = (uint32_t)nsec;
		}
	}
	return 0;
}

int vfs_utimens(const char *dir, const char *path, int flags, const int64_t times[4])
{
	struct fuse_setattr_in in = {0};
	int err = vfs_times_to_setattr(times, &in);
	if (err || !in.valid)
		return err;
	return vfs_setattr_path(dir, path, flags, &in);
}

int vfs_access(const char *dir, const char *path, int flags, unsigned mode)
{
	if (mode & ~(unsigned)(LINUX_R_OK | LINUX_W_OK | LINUX_X_OK))
		return -LINUX_EINVAL;
	struct walk *w;
	int err = walk(dir, path, flags & VFS_NOFOLLOW, &w);
	if (err)
		return err;
	struct vnode *n = w->node;
	uint32_t m = vnode_mode(n);
	if ((mode & LINUX_W_OK) && n->kind == VNODE_FUSE && n->mnt->readonly)
		err = -LINUX_EROFS;
	else if ((mode & LINUX_X_OK) && (m & LINUX_S_IFMT) != LINUX_S_IFDIR && !(m & 0111))
		err = -LINUX_EACCES;
	walk_done(w);
	return err;
}

static void statfs_of(struct vnode *n, const struct fuse_kstatfs *k, struct vfs_statfs *st)
{
	*st = (struct vfs_statfs){
	    .blocks = k->blocks,
	    .bfree = k->bfree,
	    .bavail = k->bavail,
	    .files = k->files,
	    .ffree = k->ffree,
	    .bsize = k->bsize,
	    .frsize = k->frsize ? k->frsize : k->bsize,
	    .namelen = k->namelen ? k->namelen : VFS_NAME_MAX,
	    .readonly = n->kind != VNODE_FUSE || n->mnt->readonly,
	};
}

int vfs_node_statfs(struct vnode *n, struct vfs_statfs *st)
{
	struct fuse_statfs_out out = {0};
	if (n->kind == VNODE_FUSE) {
		int err = fuse_statfs(&n->mnt->conn, n->nodeid, &out);
		if (err)
			return err;
	} else {
		out.st.bsize = 4096;
	}
	statfs_of(n, &out.st, st);
	return 0;
}

int vfs_statfs(const char *dir, const char *path, struct vfs_statfs *st)
{
	struct walk *w;
	int err = walk(dir, path, 0, &w);
	if (err)
		return err;
	err = vfs_node_statfs(w->node, st);
	walk_done(w);
	return err;
}

int vfs_chdir(const char *dir, const char *path)
{
	struct walk *w;
	int err = walk(dir, path, 0, &w);
	if (err)
		return err;
	if (type_of(w->node) != LINUX_S_IFDIR)
		err = -LINUX_ENOTDIR;
	else
		vfs_set_cwd(w->path);
	walk_done(w);
	return err;
}
