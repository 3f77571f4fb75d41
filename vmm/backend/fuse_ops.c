/* The FUSE server's file and directory requests (see fuse.h). Each acts on O_PATH descriptors
 * and single checked names with *at() calls that never follow a symlink (AT_SYMLINK_NOFOLLOW,
 * O_NOFOLLOW, openat2's RESOLVE_NO_SYMLINKS), so nothing reaches outside the shared directory.
 * The dispatcher (fuse.c) has checked the fixed argument sizes, the header's node id, the room
 * for fixed-size replies and, for requests that modify, that the share is writable. */
#include "backend/fuse_private.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Mode bits the guest may set: not set-user-ID or set-group-ID, which would make a file in the
 * share run with the host user's rights. */
#define FUSE_MODE_ALLOWED 01777

/* Open flags the guest may pass on; the rest (O_CREAT, O_EXCL, O_NOFOLLOW...) are ours to set. */
#define FUSE_OPEN_ALLOWED (O_ACCMODE | O_APPEND | O_TRUNC | O_SYNC | O_DSYNC)

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

void fuse_fill_attr(struct fuse_attr *a, const struct stat *st)
{
	memset(a, 0, sizeof(*a));
	a->ino = st->st_ino;
	a->size = (uint64_t)st->st_size;
	a->blocks = (uint64_t)st->st_blocks;
	a->atime = (uint64_t)st->st_atim.tv_sec;
	a->mtime = (uint64_t)st->st_mtim.tv_sec;
	a->ctime = (uint64_t)st->st_ctim.tv_sec;
	a->atimensec = (uint32_t)st->st_atim.tv_nsec;
	a->mtimensec = (uint32_t)st->st_mtim.tv_nsec;
	a->ctimensec = (uint32_t)st->st_ctim.tv_nsec;
	a->mode = st->st_mode;
	a->nlink = (uint32_t)st->st_nlink;
	a->uid = st->st_uid;
	a->gid = st->st_gid;
	a->rdev = (uint32_t)st->st_rdev;
	a->blksize = (uint32_t)st->st_blksize;
}

void fuse_fill_entry(const struct fuse_server *s, struct fuse_entry_out *e, uint32_t idx,
                     const struct stat *st)
{
	memset(e, 0, sizeof(*e));
	e->nodeid = fuse_node_id(s, idx);
	e->entry_valid = FUSE_SERVER_TIMEOUT_SEC;
	e->attr_valid = FUSE_SERVER_TIMEOUT_SEC;
	fuse_fill_attr(&e->attr, st);
}

/* Looks up what a request just made (name in r->node) and answers with its entry. */
static int fuse_reply_entry(struct fuse_server *s, struct fuse_req *r, const char *name)
{
	uint32_t idx;
	struct stat st;
	int rc = fuse_node_lookup(s, r->node, name, &idx, &st);
	if (rc)
		return rc;
	fuse_fill_entry(s, r->reply, idx, &st);
	r->len = sizeof(struct fuse_entry_out);
	return 0;
}

/* The first name of the arguments after skip bytes of fixed ones. */
static int fuse_arg_name(const struct fuse_req *r, size_t skip, const char **name, size_t *used)
{
	if (r->arglen < skip)
		return -EINVAL;
	return fuse_name_check((const char *)r->arg + skip, r->arglen - skip, name, used);
}

/* The directory the request's node is; -ENOTDIR otherwise. */
static int fuse_dir_fd(const struct fuse_server *s, uint32_t idx)
{
	return S_ISDIR(s->nodes[idx].type) ? s->nodes[idx].fd : -ENOTDIR;
}

int fuse_op_lookup(struct fuse_server *s, struct fuse_req *r)
{
	const char *name;
	size_t used;
	int rc = fuse_arg_name(r, 0, &name, &used);
	return rc ? rc : fuse_reply_entry(s, r, name);
}

int fuse_op_getattr(struct fuse_server *s, struct fuse_req *r)
{
	struct stat st;
	int rc = fuse_node_stat(s, r->node, &st);
	if (rc)
		return rc;
	struct fuse_attr_out *out = r->reply;
	memset(out, 0, sizeof(*out));
	out->attr_valid = FUSE_SERVER_TIMEOUT_SEC;
	fuse_fill_attr(&out->attr, &st);
	r->len = sizeof(*out);
	return 0;
}

/* chmod of an O_PATH descriptor: fchmodat2 (Linux 6.6) takes AT_EMPTY_PATH; before it, the
 * descriptor's /proc/self/fd link names exactly its inode (never a symlink: those are
 * refused before we get here). */
static int fuse_chmod_node(int fd, mode_t mode)
{
	if (syscall(SYS_fchmodat2, fd, "", mode, AT_EMPTY_PATH) == 0)
		return 0;
	if (errno != ENOSYS && errno != EINVAL)
		return -errno;
	char path[40];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return chmod(path, mode) ? -errno : 0;
}

static int fuse_truncate(struct fuse_server *s, struct fuse_req *r, struct fuse_handle *h,
                         uint64_t size)
{
	mode_t type = s->nodes[r->node].type;
	if (S_ISDIR(type))
		return -EISDIR;
	if (!S_ISREG(type))
		return -EINVAL;
	if (size > (uint64_t)INT64_MAX)
		return -EFBIG;
	if (h && h->writable)
		return ftruncate(h->fd, (off_t)size) ? -errno : 0;
	int fd = fuse_node_reopen(s, r->node, O_WRONLY);
	if (fd < 0)
		return fd;
	int rc = ftruncate(fd, (off_t)size) ? -errno : 0;
	close(fd);
	return rc;
}

static int fuse_set_times(int fd, const struct fuse_setattr_in *in)
{
	struct timespec ts[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
	if (in->valid & FATTR_ATIME_NOW)
		ts[0].tv_nsec = UTIME_NOW;
	else if (in->valid & FATTR_ATIME)
		ts[0] = (struct timespec){(time_t)in->atime, in->atimensec};
	if (in->valid & FATTR_MTIME_NOW)
		ts[1].tv_nsec = UTIME_NOW;
	else if (in->valid & FATTR_MTIME)
		ts[1] = (struct timespec){(time_t)in->mtime, in->mtimensec};
	for (int i = 0; i < 2; i++)
		if (ts[i].tv_nsec != UTIME_OMIT && ts[i].tv_nsec != UTIME_NOW &&
		    (ts[i].tv_nsec < 0 || ts[i].tv_nsec >= 1000000000))
			return -EINVAL;
	if (ts[0].tv_nsec == UTIME_OMIT && ts[1].tv_nsec == UTIME_OMIT)
		return 0;
	return utimensat(fd, "", ts, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) ? -errno : 0;
}

int fuse_op_setattr(struct fuse_server *s, struct fuse_req *r)
{
	const struct fuse_setattr_in *in = r->arg;
	int fd = s->nodes[r->node].fd, rc = 0;
	struct fuse_handle *h = NULL;
	if (in->valid & FATTR_FH) {
		h = fuse_handle_get(s, in->fh, 0);
		if (!h)
			return -EBADF;
	}
	if (in->valid & FATTR_MODE) {
		if (S_ISLNK(s->nodes[r->node].type))
			return -EOPNOTSUPP;
		mode_t mode = in->mode & FUSE_MODE_ALLOWED;
		rc = h ? (fchmod(h->fd, mode) ? -errno : 0) : fuse_chmod_node(fd, mode);
	}
	if (!rc && (in->valid & (FATTR_UID | FATTR_GID))) {
		uid_t uid = (in->valid & FATTR_UID) ? in->uid : (uid_t)-1;
		gid_t gid = (in->valid & FATTR_GID) ? in->gid : (gid_t)-1;
		if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
			rc = -errno;
	}
	if (!rc && (in->valid & FATTR_SIZE))
		rc = fuse_truncate(s, r, h, in->size);
	if (!rc)
		rc = fuse_set_times(fd, in);
	return rc ? rc : fuse_op_getattr(s, r);
}

int fuse_op_readlink(struct fuse_server *s, struct fuse_req *r)
{
	if (!S_ISLNK(s->nodes[r->node].type))
		return -EINVAL;
	char target[PATH_MAX];
	ssize_t n = readlinkat(s->nodes[r->node].fd, "", target, sizeof(target));
	if (n < 0)
		return -errno;
	if ((size_t)n > r->room)
		return -ERANGE;
	memcpy(r->reply, target, (size_t)n);
	r->len = (uint32_t)n;
	return 0;
}

int fuse_op_symlink(struct fuse_server *s, struct fuse_req *r)
{
	/* The name, then the target: any text, stored and never followed by us. */
	const char *name, *target;
	size_t used;
	int rc = fuse_arg_name(r, 0, &name, &used);
	if (rc)
		return rc;
	target = (const char *)r->arg + used;
	size_t left = r->arglen - used;
	size_t n = strnlen(target, left);
	if (n == left)
		return left >= PATH_MAX ? -ENAMETOOLONG : -EINVAL;
	if (n >= PATH_MAX)
		return -ENAMETOOLONG;
	if (n == 0)
		return -ENOENT;
	int dirfd = fuse_dir_fd(s, r->node);
	if (dirfd < 0)
		return dirfd;
	if (symlinkat(target, dirfd, name))
		return -errno;
	return fuse_reply_entry(s, r, name);
}

int fuse_op_mknod(struct fuse_server *s, struct fuse_req *r)
{
	(void)s;
	(void)r;
	return -EPERM; /* device nodes, FIFOs and sockets in the share are the host's business */
}

int fuse_op_mkdir(struct fuse_server *s, struct fuse_req *r)
{
	const struct fuse_mkdir_in *in = r->arg;
	const char *name;
	size_t used;
	int rc = fuse_arg_name(r, sizeof(*in), &name, &used);
	if (rc)
		return rc;
	int dirfd = fuse_dir_fd(s, r->node);
	if (dirfd < 0)
		return dirfd;
	if (mkdirat(dirfd, name, in->mode & FUSE_MODE_ALLOWED))
		return -errno;
	return fuse_reply_entry(s, r, name);
}

static int fuse_remove(struct fuse_server *s, struct fuse_req *r, int flags)
{
	const char *name;
	size_t used;
	int rc = fuse_arg_name(r, 0, &name, &used);
	if (rc)
		return rc;
	int dirfd = fuse_dir_fd(s, r->node);
	if (dirfd < 0)
		return dirfd;
	return unlinkat(dirfd, name, flags) ? -errno : 0;
}

int fuse_op_unlink(struct fuse_server *s, struct fuse_req *r)
{
	return fuse_remove(s, r, 0);
}

int fuse_op_rmdir(struct fuse_server *s, struct fuse_req *r)
{
	return fuse_remove(s, r, AT_REMOVEDIR);
}

/* RENAME and RENAME2: both directories are nodes of ours and both names single components, so
 * nothing moves out of the share. */
static int fuse_rename_common(struct fuse_server *s, struct fuse_req *r, uint64_t newdir,
                              size_t skip, unsigned flags)
{
	if (flags & ~(unsigned)(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL;
	uint32_t to = fuse_node_from_id(s, newdir);
	if (to == FUSE_NODE_NONE)
		return -EBADF;
	const char *oldname, *newname;
	size_t used, used2;
	int rc = fuse_arg_name(r, skip, &oldname, &used);
	if (!rc)
		rc = fuse_arg_name(r, skip + used, &newname, &used2);
	if (rc)
		return rc;
	int from_fd = fuse_dir_fd(s, r->node), to_fd = fuse_dir_fd(s, to);
	if (from_fd < 0 || to_fd < 0)
		return -ENOTDIR;
	if (renameat2(from_fd, oldname, to_fd, newname, flags))
		return -errno;
	fuse_node_renamed(s, r->node, oldname, to, newname, flags & RENAME_EXCHANGE);
	return 0;
}

int fuse_op_rename(struct fuse_server *s, struct fuse_req *r)
{
	const struct fuse_rename_in *in = r->arg;
	return fuse_rename_common(s, r, in->newdir, sizeof(*in), 0);
}

int fuse_op_rename2(struct fuse_server *s, struct fuse_req *r)
{
	const struct fuse_rename2_in *in = r->arg;
	return fuse_rename_common(s, r, in->newdir, sizeof(*in), in->flags);
}

int fuse_op_link(struct fuse_server *s, struct fuse_req *r)
{
	const struct fuse_link_in *in = r->arg;
	uint32_t from = fuse_node_from_id(s, in->oldnodeid);
	if (from == FUSE_NODE_NONE)
		return -EBADF;
	const struct fuse_node *n = &s->nodes[from];
	if (S_ISDIR(n->type))
		return -EPERM;
	const char *name;
	size_t used;
	int rc = fuse_arg_name(r, sizeof(*in), &name, &used);
	if (rc)
		return rc;
	int dirfd = fuse_dir_fd(s, r->node);
	if (dirfd < 0)
		return dirfd;
	/* Linked by its name in its parent (AT_EMPTY_PATH would need CAP_DAC_READ_SEARCH), once
	 * that name is seen to hold the node's inode. */
	if (n->parent == FUSE_NODE_NONE)
		return -ESTALE;
	int parent_fd = s->nodes[n->parent].fd;
	struct stat st;
	if (fstatat(parent_fd, n->name, &st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? -ESTALE : -errno;
	if (st.st_dev != n->dev || st.st_ino != n->ino)
		return -ESTALE;
	if (linkat(parent_fd, n->name, dirfd, name, 0))
		return -errno;
	return fuse_reply_entry(s, r, name);
}

/* Checks open flags from the guest: 0, or -errno. */
static int fuse_open_flags_check(const struct fuse_server *s, uint32_t flags)
{
	int acc = (int)(flags & O_ACCMODE);
	if (acc == O_ACCMODE)
		return -EINVAL;
	if (!s->writable && (acc != O_RDONLY || (flags & O_TRUNC)))
		return -EROFS;
	return 0;
}

static void fuse_fill_open(const struct fuse_server *s, struct fuse_open_out *out, uint64_t fh)
{
	memset(out, 0, sizeof(*out));
	out->fh = fh;
	/* Nothing in the guest changes a read-only share: its page cache may stay. */
	out->open_flags = s->writable ? 0 : FOPEN_KEEP_CACHE;
}

int fuse_op_open(struct fuse_server *s, struct fuse_req *r)
{
	const struct fuse_open_in *in = r->arg;
	int rc = fuse_open_flags_check(s, in->flags);
	if (rc)
		return rc;
	mode_t type = s->nodes[r->node].type;
	if (S_ISDIR(type))
		return -EISDIR;
	if (S_ISLNK(type))
		return -ELOOP;
	if (!S_ISREG(type))
		return -ENXIO;
	int fd = fuse_node_reopen(s, r->node, (int)(in->flags & FUSE_OPEN_ALLOWED));
	if (fd < 0)
		return fd;
	uint64_t fh = fuse_handle_add(s, fd, r->node, 0, (int)(in->flags & O_ACCMODE));
	if (!fh)
		return -ENFILE;
	fuse_fill_open(s, r->reply, fh);
	r->len = sizeof(struct fuse_open_out);
	return 0;
}

int fuse_op_create(struct fuse_server *s, struct fuse_req *r)
{
	const struct fuse_create_in *in = r->arg;
	const char *name;
	size_t used;
	int rc = fuse_arg_name(r, sizeof(*in), &name, &used);
	if (!rc)
		rc = fuse_open_flags_check(s, in->flags);
	if (rc)
		return rc;
	int dirfd = fuse_dir_fd(s, r->node);
	if (dirfd < 0)
		return dirfd;
	int flags =
	    (int)(in->flags & (FUSE_OPEN_ALLOWED | O_EXCL)) | O_CREAT | O_NONBLOCK | O_NOCTTY;
	int fd = fuse_openat(dirfd, name, flags, in->mode & FUSE_MODE_ALLOWED);
	if (fd < 0)
		return fd == -EMFILE ? -ENFILE : fd;
	struct stat st;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -ENXIO;
	}
	struct fuse_entry_out *e = r->reply;
	uint32_t idx;
	struct stat found;
	rc = fuse_node_lookup(s, r->node, name, &idx, &found);
	if (rc == 0 && (found.st_dev != st.st_dev || found.st_ino != st.st_ino)) {
		fuse_node_forget(s, idx, 1); /* the name was swapped meanwhile */
		rc = -ESTALE;
	}
	if (rc) {
		close(fd);
		return rc;
	}
	uint64_t fh = fuse_handle_add(s, fd, idx, 0, (int)(in->flags & O_ACCMODE));
	if (!fh) {
		fuse_node_forget(s, idx, 1);
		return -ENFILE;
	}
	fuse_fill_entry(s, e, idx, &found);
	fuse_fill_open(s, (struct fuse_open_out *)(e + 1), fh);
	r->len = sizeof(*e) + sizeof(struct fuse_open_out);
	return 0;
}

int fuse_op_read(struct fuse_server *s, struct fuse_req *r)
{
	const struct fuse_read_in *in = r->arg;
	struct fuse_handle *h = fuse_handle_get(s, in->fh, 0);
	if (!h || !h->readable)
		return -EBADF;
	if (in->offset > (uint64_t)INT64_MAX)
		return -EINVAL;
	/* At most what the guest's buffers hold. */
	size_t size = in->size < r->room ? in->size : r->room;
	ssize_t n = pread(h->fd, r->reply, size, (off_t)in->offset);
	if (n < 0)
		return -errno;
	r->len = (uint32_t)n;
	return 0;
}

int fuse_op_write(struct fuse_server *s, struct fuse_req *r)
{
	const struct fuse_write_in *in = r->arg;
	struct fuse_handle *h = fuse_handle_get(s, in->fh, 0);
	if (!h || !h->writable)
		return -EBADF;
	if (in->size > r->arglen - sizeof(*in) || in->offset > (uint64_t)INT64_MAX)
		return -EINVAL;
	ssize_t n = pwrite(h->fd, in + 1, in->size, (off_t)in->offset);
	if (n < 0)
		return -errno;
	struct fuse_write_out *out = r->reply;
	memset(out, 0, sizeof(*out));
	out->size = (uint32_t)n;
	r->len = sizeof(*out);
	return 0;
}

int fuse_op_statfs(struct fuse_server *s, struct fuse_req *r)
{
	struct statvfs v;
	if (fstatvfs(s->nodes[r->node].fd, &v))
		return -errno;
	struct fuse_statfs_out *out = r->reply;
	memset(out, 0, sizeof(*out));
	out->st.blocks = v.f_blocks;
	out->st.bfree = v.f_bfree;
	out->st.bavail = v.f_bavail;
	out->st.files = v.f_files;
	out->st.ffree = v.f_ffree;
	out->st.bsize = (uint32_t)v.f_bsize;
	out->st.namelen = (uint32_t)v.f_namemax;
	out->st.frsize = (uint32_t)v.f_frsize;
	r->len = sizeof(*out);
	return 0;
}

static int fuse_release_common(struct fuse_server *s, struct fuse_req *r, int dir)
{
	const struct fuse_release_in *in = r->arg;
	struct fuse_handle *h = fuse_handle_get(s, in->fh, dir);
	if (!h)
		return -EBADF;
	fuse_handle_close(s, h);
	return 0;
}

int fuse_op_release(struct fuse_server *s, struct fuse_req *r)
{
	return fuse_release_common(s, r, 0);
}

int fuse_op_releasedir(struct fuse_server *s, struct fuse_req *r)
{
	return fuse_release_common(s, r, 1);
}

int fuse_op_flush(struct fuse_server *s, struct fuse_req *r)
{
	const struct fuse_flush_in *in = r->arg;
	return fuse_handle_get(s, in->fh, 0) ? 0 : -EBADF;
}

static int fuse_fsync_common(struct fuse_server *s, struct fuse_req *r, int dir)
{
	const struct fuse_fsync_in *in = r->arg;
	struct fuse_handle *h = fuse_handle_get(s, in->fh, dir);
	if (!h)
		return -EBADF;
	int rc = (in->fsync_flags & 1) ? fdatasync(h->fd) : fsync(h->fd);
	return rc ? -errno : 0;
}

int fuse_op_fsync(struct fuse_server *s, struct fuse_req *r)
{
	return fuse_fsync_common(s, r, 0);
}

int fuse_op_fsyncdir(struct fuse_server *s, struct fuse_req *r)
{
	return fuse_fsync_common(s, r, 1);
}

int fuse_op_opendir(struct fuse_server *s, struct fuse_req *r)
{
	if (!S_ISDIR(s->nodes[r->node].type))
		return -ENOTDIR;
	int fd = fuse_node_reopen(s, r->node, O_RDONLY);
	if (fd < 0)
		return fd;
	uint64_t fh = fuse_handle_add(s, fd, r->node, 1, O_RDONLY);
	if (!fh)
		return -ENFILE;
	fuse_fill_open(s, r->reply, fh);
	r->len = sizeof(struct fuse_open_out);
	return 0;
}

/* A record of getdents64 (linux_dirent64), the name NUL-terminated within d_reclen. */
struct fuse_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	uint16_t d_reclen;
	uint8_t d_type;
	char d_name[];
};

/* One directory entry into the reply, with its entry (READDIRPLUS) when plus: 1 when added, 0
 * when it does not fit (the listing stops there), -errno when its lookup failed. */
static int fuse_add_dirent(struct fuse_server *s, struct fuse_req *r, uint32_t dir,
                           const struct fuse_dirent64 *d, uint32_t size, int plus)
{
	size_t namelen = strlen(d->d_name);
	size_t head = plus ? FUSE_NAME_OFFSET_DIRENTPLUS : FUSE_NAME_OFFSET;
	size_t need = FUSE_DIRENT_ALIGN(head + namelen);
	if (r->len + need > size)
		return 0;
	uint8_t *p = (uint8_t *)r->reply + r->len;
	memset(p, 0, need);
	struct fuse_dirent *de = (struct fuse_dirent *)(p + head - FUSE_NAME_OFFSET);
	if (plus) {
		struct fuse_entry_out *e = (struct fuse_entry_out *)p;
		/* "." and ".." come with node id 0: not looked up, no FORGET owed (the guest
		 * resolves them itself). */
		if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0) {
			uint32_t idx;
			struct stat st;
			int rc = fuse_node_lookup(s, dir, d->d_name, &idx, &st);
			if (rc)
				return rc;
			fuse_fill_entry(s, e, idx, &st);
		} else {
			e->attr.ino = d->d_ino;
			e->attr.mode = (uint32_t)d->d_type << 12;
		}
	}
	de->ino = d->d_ino;
	de->off = (uint64_t)d->d_off;
	de->namelen = (uint32_t)namelen;
	de->type = d->d_type;
	memcpy(de->name, d->d_name, namelen);
	r->len += (uint32_t)need;
	return 1;
}

/* READDIR and READDIRPLUS: from the guest's offset (a d_off from an earlier reply, 0 at the
 * start), as many entries as fit; the guest asks again from the last one's offset. */
static int fuse_readdir_common(struct fuse_server *s, struct fuse_req *r, int plus)
{
	const struct fuse_read_in *in = r->arg;
	struct fuse_handle *h = fuse_handle_get(s, in->fh, 1);
	if (!h)
		return -EBADF;
	if (in->offset > (uint64_t)INT64_MAX)
		return -EINVAL;
	uint32_t size = in->size < r->room ? in->size : r->room;
	if (lseek(h->fd, (off_t)in->offset, SEEK_SET) < 0)
		return -errno;
	for (;;) {
		long n = syscall(SYS_getdents64, h->fd, s->dents, FUSE_DENTS_MAX);
		if (n < 0)
			return r->len ? 0 : -errno;
		if (n == 0)
			return 0;
		for (long pos = 0; pos < n;) {
			const struct fuse_dirent64 *d = (const void *)(s->dents + pos);
			int rc = fuse_add_dirent(s, r, h->node, d, size, plus);
			if (rc == -ENOENT) { /* gone since getdents64 read it */
				pos += d->d_reclen;
				continue;
			}
			if (rc < 0)
				return r->len ? 0 : rc;
			if (rc == 0)
				return 0;
			pos += d->d_reclen;
		}
	}
}

int fuse_op_readdir(struct fuse_server *s, struct fuse_req *r)
{
	return fuse_readdir_common(s, r, 0);
}

int fuse_op_readdirplus(struct fuse_server *s, struct fuse_req *r)
{
	return fuse_readdir_common(s, r, 1);
}

int fuse_op_access(struct fuse_server *s, struct fuse_req *r)
{
	const struct fuse_access_in *in = r->arg;
	if (in->mask & ~(uint32_t)(R_OK | W_OK | X_OK))
		return -EINVAL;
	if ((in->mask & W_OK) && !s->writable)
		return -EROFS;
	if (syscall(SYS_faccessat2, s->nodes[r->node].fd, "", (int)in->mask,
	            AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
		return -errno;
	return 0;
}

int fuse_op_lseek(struct fuse_server *s, struct fuse_req *r)
{
	const struct fuse_lseek_in *in = r->arg;
	struct fuse_handle *h = fuse_handle_get(s, in->fh, 0);
	if (!h)
		return -EBADF;
	if (in->whence != SEEK_SET && in->whence != SEEK_CUR && in->whence != SEEK_END &&
	    in->whence != SEEK_DATA && in->whence != SEEK_HOLE)
		return -EINVAL;
	off_t off = lseek(h->fd, (off_t)in->offset, (int)in->whence);
	if (off < 0)
		return -errno;
	struct fuse_lseek_out *out = r->reply;
	out->offset = (uint64_t)off;
	r->len = sizeof(*out);
	return 0;
}
