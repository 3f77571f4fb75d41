/* Open files of kernel/fs as a struct file type: regular files and directories of a share, and
 * the kernel's /dev nodes. Reads and writes bigger than one FUSE request are split into several;
 * reads of a read-only share go through the page cache (pagecache.c), others straight into the
 * caller's buffer (identity-mapped memory the device writes itself). Buffers are the caller's,
 * already checked (kernel/sys/io.c probes an application's buffers first, but for page-cached
 * files, whose reads copy with arch_user_copy). */
#include "vfs_private.h"

#include <kernel/arch.h>
#include <kernel/mm.h>
#include <kernel/string.h>
#include <toro/memory.h>

static const struct file_ops vfs_file_ops, vfs_cached_file_ops;

struct vfs_file *vfs_file_of(struct file *f)
{
	return f->ops == &vfs_file_ops || f->ops == &vfs_cached_file_ops ? f->private : NULL;
}

const char *vfs_file_path(struct file *f)
{
	struct vfs_file *vf = vfs_file_of(f);
	return vf ? vf->path : NULL;
}

static uint32_t node_type(struct vnode *n)
{
	return vnode_mode(n) & LINUX_S_IFMT;
}

/* A file opened for reading on a read-only share gets its FUSE handle when a read first misses
 * the page cache (vfs_open_node): a file served from the cache costs no OPEN and no RELEASE. */
static int file_handle_ensure(struct vfs_file *vf)
{
	if (vf->has_fh)
		return 0;
	struct vnode *n = vf->node;
	struct fuse_open_out o;
	int err = fuse_open(&n->mnt->conn, FUSE_OPEN, n->nodeid, LINUX_O_RDONLY, &o);
	if (err)
		return err;
	if (vf->has_fh) /* another thread reading the same file opened it meanwhile */
		fuse_release(&n->mnt->conn, FUSE_RELEASE, n->nodeid, o.fh, LINUX_O_RDONLY);
	else
		vf->fh = o.fh, vf->has_fh = 1;
	return 0;
}

/* A page-cache miss at off (below size): one READ of up to max_read bytes from the page's start,
 * straight into pages that then become the cache's (one page when that many in a row are not
 * free), and what pagecache_read would have copied to dst copied. Apart from the hits, so that
 * they stay short. */
static __attribute__((noinline)) long cached_fill(struct vfs_file *vf, uint8_t *dst, size_t len,
                                                  uint64_t off, uint64_t size)
{
	struct vnode *n = vf->node;
	struct fuse_conn *c = &n->mnt->conn;
	uint64_t index = off / PAGE_SIZE;
	size_t at = off % PAGE_SIZE;
	size_t want = PAGE_SIZE - at;
	if (want > len)
		want = len;
	if (want > size - off)
		want = size - off;
	int err = file_handle_ensure(vf);
	if (err)
		return err;
	uint64_t start = index * PAGE_SIZE;
	uint32_t chunk = c->max_read & ~(uint32_t)(PAGE_SIZE - 1);
	if (chunk == 0)
		chunk = PAGE_SIZE;
	if (chunk > size - start)
		chunk = (uint32_t)(size - start);
	size_t pages = (chunk + PAGE_SIZE - 1) / PAGE_SIZE;
	uint8_t *buf = mm_pages_alloc(pages);
	if (!buf && pages > 1) {
		pages = 1;
		chunk = chunk < PAGE_SIZE ? chunk : PAGE_SIZE;
		buf = mm_pages_alloc(1);
	}
	if (!buf)
		return -LINUX_ENOMEM;
	long r = fuse_read(c, FUSE_READ, n->nodeid, vf->fh, start, buf, chunk);
	size_t kept = 0;
	if (r > 0) {
		long avail = r - (long)at;
		long copy = avail <= 0 ? 0 : avail < (long)want ? avail : (long)want;
		if (arch_user_copy(dst, buf + at, (size_t)copy))
			copy = -LINUX_EFAULT;
		for (; kept * PAGE_SIZE < (size_t)r; kept++) {
			size_t p = kept * PAGE_SIZE;
			pagecache_put(n, index + kept, buf + p,
			              (size_t)r - p < PAGE_SIZE ? (size_t)r - p : PAGE_SIZE);
		}
		r = copy;
	}
	if (kept < pages)
		mm_pages_free(buf + kept * PAGE_SIZE, pages - kept);
	return r;
}

/* One buffer of a read of a regular file of a read-only share, a page at a time through the
 * page cache, each piece ending at its page or at the size: the bytes read, or -errno if none. */
static inline __attribute__((always_inline)) long
cached_pread_one(struct vfs_file *vf, uint8_t *p, size_t left, uint64_t offset, uint64_t size)
{
	long total = 0;
	while (left) {
		uint64_t off = offset + (uint64_t)total;
		long r = pagecache_read(vf->node, p, left, off, size);
		if (r == PAGECACHE_MISS)
			r = cached_fill(vf, p, left, off, size);
		if (r <= 0)
			return total ? total : r;
		p += r;
		left -= (size_t)r;
		total += r;
	}
	return total;
}

/* A read through the page cache, stopping at the first short piece. The size is the
 * attributes', trusted until their timeout (vnode_size_fresh): a read from the cache asks the
 * host nothing. */
static long cached_pread(struct vfs_file *vf, const struct file_iovec *iov, size_t count,
                         uint64_t offset)
{
	uint64_t size;
	if (!vnode_size_fresh(vf->node, arch_timestamp(), &size)) {
		int err = vnode_size(vf->node, &size);
		if (err)
			return err;
	}
	long total = 0;
	for (size_t i = 0; i < count; i++) {
		long r = cached_pread_one(vf, iov[i].base, iov[i].len, offset + (uint64_t)total, size);
		if (r < 0)
			return total ? total : r;
		total += r;
		if ((size_t)r < iov[i].len)
			break;
	}
	return total;
}

long vfs_file_pread(struct file *f, const struct file_iovec *iov, size_t count, int64_t offset)
{
	struct vfs_file *vf = vfs_file_of(f);
	if (!vf)
		return -LINUX_ESPIPE;
	if (vf->page_cached)
		return offset < 0 ? -LINUX_EINVAL : cached_pread(vf, iov, count, (uint64_t)offset);
	struct vnode *n = vf->node;
	if (n->kind == VNODE_DEV)
		return vfs_dev_read(n, iov, count);
	if (n->kind == VNODE_PROC)
		return proc_read(n, iov, count, offset);
	if (node_type(n) == LINUX_S_IFDIR)
		return -LINUX_EISDIR;
	if (offset < 0)
		return -LINUX_EINVAL;
	long total = 0;
	for (size_t i = 0; i < count; i++) {
		uint8_t *p = iov[i].base;
		size_t left = iov[i].len;
		while (left) {
			uint32_t want =
			    left > n->mnt->conn.max_read ? n->mnt->conn.max_read : (uint32_t)left;
			long r = fuse_read(&n->mnt->conn, FUSE_READ, n->nodeid, vf->fh,
			                   (uint64_t)offset + (uint64_t)total, p, want);
			if (r < 0)
				return total ? total : r;
			p += r;
			left -= (size_t)r;
			total += r;
			/* The server gave less than asked: the end of the file (asking again would
			 * cost a round trip to learn it). */
			if ((uint32_t)r < want)
				return total;
		}
	}
	return total;
}

long vfs_file_pwrite(struct file *f, const struct file_iovec *iov, size_t count, int64_t offset)
{
	struct vfs_file *vf = vfs_file_of(f);
	if (!vf)
		return -LINUX_ESPIPE;
	struct vnode *n = vf->node;
	long total = 0;
	if (n->kind == VNODE_DEV) {
		for (size_t i = 0; i < count; i++)
			total += (long)iov[i].len;
		return total;
	}
	if (offset < 0)
		return -LINUX_EINVAL;
	for (size_t i = 0; i < count; i++) {
		const uint8_t *p = iov[i].base;
		size_t left = iov[i].len;
		while (left) {
			long r = fuse_write(&n->mnt->conn, n->nodeid, vf->fh,
			                    (uint64_t)offset + (uint64_t)total, p,
			                    left > UINT32_MAX ? UINT32_MAX : (uint32_t)left);
			if (r <= 0) {
				vnode_attr_stale(n);
				return total ? total : r ? r : -LINUX_EIO;
			}
			p += r;
			left -= (size_t)r;
			total += r;
		}
	}
	/* The size and times changed: the next stat asks the server. */
	vnode_attr_stale(n);
	return total;
}

static long vfs_file_read(struct file *f, const struct file_iovec *iov, size_t count)
{
	struct vfs_file *vf = f->private;
	long r = vfs_file_pread(f, iov, count, vf->pos);
	if (r > 0)
		vf->pos += r;
	return r;
}

/* What vfs_cached_file_read leaves: the read from done bytes on (done > 0: of one buffer, whose
 * start one page filled). Out of line, so that the hit stays short. */
static __attribute__((noinline)) long cached_read_rest(struct vfs_file *vf,
                                                       const struct file_iovec *iov,
                                                       size_t count, long done)
{
	long r;
	if (done) {
		struct file_iovec rest = {(uint8_t *)iov->base + done, iov->len - (size_t)done};
		r = cached_pread(vf, &rest, 1, (uint64_t)vf->pos + (uint64_t)done);
		r = r > 0 ? done + r : done;
	} else {
		r = cached_pread(vf, iov, count, (uint64_t)vf->pos);
	}
	if (r > 0)
		vf->pos += r;
	return r;
}

/* vfs_file_read of a page-cached file. A server reading a hot file asks for one buffer that
 * one page of the cache fills, with the size fresh: that read is one pagecache_read here, and
 * everything else (a miss, a second page, the size asked of the host, several buffers)
 * cached_read_rest's. */
static long vfs_cached_file_read(struct file *f, const struct file_iovec *iov, size_t count)
{
	if (count != 1)
		return cached_read_rest(f->private, iov, count, 0);
	/* The clock first: nothing but f and iov is live across its call. */
	uint64_t now = arch_timestamp(), size;
	struct vfs_file *vf = f->private;
	long r = 0;
	if (vnode_size_fresh(vf->node, now, &size)) {
		r = pagecache_read(vf->node, iov->base, iov->len, (uint64_t)vf->pos, size);
		if (r == (long)iov->len || (r <= 0 && r != PAGECACHE_MISS)) {
			if (r > 0)
				vf->pos += r;
			return r;
		}
		if (r < 0)
			r = 0;
	}
	return cached_read_rest(vf, iov, 1, r);
}

static long vfs_file_write(struct file *f, const struct file_iovec *iov, size_t count)
{
	struct vfs_file *vf = f->private;
	if (vf->node->kind == VNODE_FUSE && (f->flags & LINUX_O_APPEND)) {
		struct fuse_attr a;
		vnode_attr_stale(vf->node);
		int err = vnode_getattr(vf->node, &a);
		if (err)
			return err;
		vf->pos = (int64_t)a.size;
	}
	long r = vfs_file_pwrite(f, iov, count, vf->pos);
	if (r > 0)
		vf->pos += r;
	return r;
}

static int64_t vfs_file_lseek(struct file *f, int64_t offset, int whence)
{
	struct vfs_file *vf = f->private;
	if (vf->node->kind == VNODE_DEV)
		return 0;
	int dir = node_type(vf->node) == LINUX_S_IFDIR;
	int64_t base;
	if (whence == LINUX_SEEK_SET) {
		base = 0;
	} else if (whence == LINUX_SEEK_CUR && !dir) {
		base = vf->pos;
	} else if (whence == LINUX_SEEK_END && !dir) {
		struct fuse_attr a;
		int err = vnode_getattr(vf->node, &a);
		if (err)
			return err;
		base = (int64_t)a.size;
	} else {
		return -LINUX_EINVAL;
	}
	/* A directory's position is a cookie: only 0 (rewind) or one it gave makes sense. */
	if (offset > INT64_MAX - base || base + offset < 0)
		return -LINUX_EINVAL;
	vf->pos = base + offset;
	if (dir && vf->pos == 0) {
		vf->dots = 0;
		vf->share_done = 0;
		vf->kernel_pos = 0;
		vf->kernel_seen = 0;
	}
	return vf->pos;
}

int vfs_file_stat(struct file *f, struct file_stat *st)
{
	struct vfs_file *vf = vfs_file_of(f);
	if (!vf)
		return file_stat(f, st);
	struct fuse_attr a;
	int err = vnode_getattr(vf->node, &a);
	if (err)
		return err;
	vnode_stat(vf->node, &a, st);
	return 0;
}

static int vfs_file_stat_op(struct file *f, struct file_stat *st)
{
	return vfs_file_stat(f, st);
}

static void vfs_file_release(struct file *f)
{
	struct vfs_file *vf = f->private;
	struct vnode *n = vf->node;
	if (vf->has_fh) {
		struct fuse_conn *c = &n->mnt->conn;
		int dir = node_type(n) == LINUX_S_IFDIR;
		/* FLUSH reports deferred write errors and drops POSIX locks, which this kernel
		 * does not take: a file only read has neither, and skipping it saves a round trip
		 * to the host on each close (a web server's every request). */
		if (!dir && (f->flags & LINUX_O_ACCMODE) != LINUX_O_RDONLY)
			fuse_flush(c, n->nodeid, vf->fh);
		fuse_release(c, dir ? FUSE_RELEASEDIR : FUSE_RELEASE, n->nodeid, vf->fh,
		             f->flags & LINUX_O_ACCMODE);
	}
	vnode_put(n);
	toro_free(vf->path);
	toro_free(vf);
}

static const struct file_ops vfs_file_ops = {
    .read = vfs_file_read,
    .write = vfs_file_write,
    .lseek = vfs_file_lseek,
    .stat = vfs_file_stat_op,
    .release = vfs_file_release,
};

/* Regular files of read-only shares (page_cached): their reads copy from the page cache with
 * arch_user_copy, so the read call need not probe the buffer. */
static const struct file_ops vfs_cached_file_ops = {
    .read = vfs_cached_file_read,
    .write = vfs_file_write,
    .lseek = vfs_file_lseek,
    .stat = vfs_file_stat_op,
    .release = vfs_file_release,
    .read_copies = 1,
};

int vfs_file_open(struct vnode *n, const char *path, unsigned flags, uint64_t fh, int has_fh,
                  struct file **out)
{
	struct vfs_file *vf = toro_calloc(1, sizeof(*vf));
	size_t len = strlen(path);
	char *copy = toro_malloc(len + 1);
	if (!vf || !copy) {
		toro_free(vf);
		toro_free(copy);
		if (has_fh)
			fuse_release(&n->mnt->conn,
			             node_type(n) == LINUX_S_IFDIR ? FUSE_RELEASEDIR : FUSE_RELEASE,
			             n->nodeid, fh, flags & LINUX_O_ACCMODE);
		return -LINUX_ENOMEM;
	}
	memcpy(copy, path, len + 1);
	vf->node = vnode_get(n);
	vf->fh = fh;
	vf->has_fh = has_fh;
	vf->path = copy;
	vf->page_cached =
	    n->kind == VNODE_FUSE && n->mnt->readonly && node_type(n) == LINUX_S_IFREG;
	file_init(&vf->file, vf->page_cached ? &vfs_cached_file_ops : &vfs_file_ops,
	          flags & (LINUX_O_ACCMODE | LINUX_O_APPEND | LINUX_O_NONBLOCK), vf);
	*out = &vf->file;
	return 0;
}

#define ANYONE_READS 0444 /* S_IRUSR | S_IRGRP | S_IROTH */

/* Read-only shares keep pages across opens while the file's size and mtime stay the same. */
static int pagecache_revalidate(struct vnode *n)
{
	struct fuse_attr a;
	int err = vnode_getattr(n, &a);
	if (err)
		return err;
	if (a.size != n->cached_size || a.mtime != n->cached_mtime ||
	    a.mtimensec != n->cached_mtimensec) {
		pagecache_drop(n);
		n->cached_size = a.size;
		n->cached_mtime = a.mtime;
		n->cached_mtimensec = a.mtimensec;
	}
	return 0;
}

int vfs_open_node(struct vnode *n, const char *path, unsigned flags, struct file **out)
{
	uint32_t type = node_type(n);
	unsigned acc = flags & LINUX_O_ACCMODE;
	int writes = acc != LINUX_O_RDONLY || (flags & LINUX_O_TRUNC);
	if ((flags & LINUX_O_DIRECTORY) && type != LINUX_S_IFDIR)
		return -LINUX_ENOTDIR;
	if (type == LINUX_S_IFDIR && acc != LINUX_O_RDONLY)
		return -LINUX_EISDIR;
	if (type == LINUX_S_IFLNK)
		return -LINUX_ELOOP;
	if (n->kind == VNODE_PROC && writes)
		return -LINUX_EACCES; /* read-only to everyone, root too, as on Linux */
	if (n->kind != VNODE_FUSE)
		return vfs_file_open(n, path, flags, 0, 0, out);
	if (writes && n->mnt->readonly)
		return -LINUX_EROFS;
	/* Reading a regular file of a read-only share that anyone may read (so the host's open
	 * cannot be refused for permissions): the handle waits for a read the page cache cannot
	 * answer (file_handle_ensure). A file readable by its owner alone is opened now, so that
	 * open() gives EACCES where the host would. */
	if (n->mnt->readonly && type == LINUX_S_IFREG && !writes) {
		int err = pagecache_revalidate(n);
		if (err)
			return err;
		if ((vnode_mode(n) & ANYONE_READS) == ANYONE_READS)
			return vfs_file_open(n, path, flags, 0, 0, out);
	}
	struct fuse_conn *c = &n->mnt->conn;
	int dir = type == LINUX_S_IFDIR;
	uint32_t open_flags = flags & (LINUX_O_ACCMODE | LINUX_O_APPEND | LINUX_O_NONBLOCK);
	if ((flags & LINUX_O_TRUNC) && (c->flags & FUSE_ATOMIC_O_TRUNC))
		open_flags |= LINUX_O_TRUNC;
	struct fuse_open_out o;
	int err = fuse_open(c, dir ? FUSE_OPENDIR : FUSE_OPEN, n->nodeid, open_flags, &o);
	if (err)
		return err;
	if ((flags & LINUX_O_TRUNC) && type == LINUX_S_IFREG) {
		vnode_attr_stale(n);
		if (!(c->flags & FUSE_ATOMIC_O_TRUNC)) {
			struct fuse_setattr_in in = {.valid = FATTR_SIZE | FATTR_FH, .fh = o.fh};
			err = vnode_setattr(n, &in);
		}
	}
	if (!err && n->mnt->readonly && type == LINUX_S_IFREG)
		err = pagecache_revalidate(n);
	if (err) {
		fuse_release(c, dir ? FUSE_RELEASEDIR : FUSE_RELEASE, n->nodeid, o.fh, acc);
		return err;
	}
	return vfs_file_open(n, path, flags, o.fh, 1, out);
}

/* Calls on an open file. */

static int file_setattr(struct file *f, struct fuse_setattr_in *in)
{
	struct vfs_file *vf = vfs_file_of(f);
	if (!vf)
		return -LINUX_EINVAL;
	if (vf->has_fh && node_type(vf->node) == LINUX_S_IFREG) {
		in->valid |= FATTR_FH;
		in->fh = vf->fh;
	}
	return vnode_setattr(vf->node, in);
}

int vfs_file_truncate(struct file *f, int64_t size)
{
	struct vfs_file *vf = vfs_file_of(f);
	if (!vf || node_type(vf->node) != LINUX_S_IFREG || size < 0)
		return -LINUX_EINVAL;
	if ((f->flags & LINUX_O_ACCMODE) == LINUX_O_RDONLY)
		return -LINUX_EINVAL; /* Linux: ftruncate needs a descriptor open for writing */
	struct fuse_setattr_in in = {.valid = FATTR_SIZE, .size = (uint64_t)size};
	return file_setattr(f, &in);
}

int vfs_file_sync(struct file *f, int datasync)
{
	struct vfs_file *vf = vfs_file_of(f);
	if (!vf)
		return -LINUX_EINVAL;
	if (!vf->has_fh || node_type(vf->node) != LINUX_S_IFREG)
		return 0;
	int err = fuse_fsync(&vf->node->mnt->conn, vf->node->nodeid, vf->fh, datasync);
	return err == -LINUX_ENOSYS ? 0 : err;
}

int vfs_file_chmod(struct file *f, unsigned mode)
{
	struct fuse_setattr_in in = {.valid = FATTR_MODE, .mode = mode & 07777};
	return file_setattr(f, &in);
}

int vfs_file_utimens(struct file *f, const int64_t times[4])
{
	struct fuse_setattr_in in = {0};
	int err = vfs_times_to_setattr(times, &in);
	if (err || !in.valid)
		return err;
	return file_setattr(f, &in);
}

int vfs_file_statfs(struct file *f, struct vfs_statfs *st)
{
	struct vfs_file *vf = vfs_file_of(f);
	if (!vf)
		return -LINUX_ENOSYS;
	return vfs_node_statfs(vf->node, st);
}

int vfs_fchdir(struct file *f)
{
	struct vfs_file *vf = vfs_file_of(f);
	if (!vf || node_type(vf->node) != LINUX_S_IFDIR)
		return -LINUX_ENOTDIR;
	vfs_set_cwd(vf->path);
	return 0;
}
