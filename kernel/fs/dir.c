/* Reading directories: a share's through READDIRPLUS from the position the last call stopped at,
 * then the kernel's entries beneath it that the share lacks (/dev, /proc, mount points); the
 * kernel's own directories (dev.c) from its list; "." and ".." are entries of both. */
#include "vfs_private.h"

#include <toro/memory.h>

#define READDIR_BUF_SIZE (16u << 10)
#define READDIR_FORGETS  (READDIR_BUF_SIZE / sizeof(struct fuse_direntplus))

static int is_dot_name(const char *name, size_t len)
{
	return (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.');
}

static long kernel_dir_readdir(struct vfs_file *vf, vfs_emit_fn emit, void *ctx)
{
	long n = 0;
	for (; vf->dots < 2; vf->dots++, n++)
		if (emit(ctx, 1, LINUX_DT_DIR, "..", (size_t)vf->dots + 1))
			return n;
	size_t index = (size_t)vf->pos;
	long r = vfs_kernel_readdir(vf->path, &index, 0, emit, ctx);
	vf->pos = (int64_t)index;
	return n + r;
}

/* Emits the entries of one READDIRPLUS reply; returns those emitted, and sets *full when the
 * caller had no room for one. Every lookup the reply carries is forgotten again: these entries
 * do not enter the inode cache (the server counts one lookup per entry but "." and ".."). */
static long fuse_dir_emit(struct vfs_file *vf, const uint8_t *buf, size_t len, vfs_emit_fn emit,
                          void *ctx, int *full)
{
	struct fuse_forget_one forgets[READDIR_FORGETS];
	uint32_t nforget = 0;
	long n = 0;
	size_t at = 0;
	while (len - at >= sizeof(struct fuse_direntplus)) {
		const struct fuse_direntplus *d = (const void *)(buf + at);
		size_t rec = FUSE_DIRENT_ALIGN(sizeof(*d) + d->dirent.namelen);
		if (d->dirent.namelen == 0 || d->dirent.namelen > VFS_NAME_MAX || rec > len - at)
			break;
		if (d->entry_out.nodeid && !is_dot_name(d->dirent.name, d->dirent.namelen) &&
		    nforget < READDIR_FORGETS)
			forgets[nforget++] = (struct fuse_forget_one){d->entry_out.nodeid, 1};
		if (!*full) {
			if (emit(ctx, d->dirent.ino, d->dirent.type, d->dirent.name,
			         d->dirent.namelen))
				*full = 1;
			else {
				vf->pos = (int64_t)d->dirent.off;
				n++;
				int k =
				    vfs_kernel_child(vf->path, d->dirent.name, d->dirent.namelen);
				if (k >= 0)
					vf->kernel_seen |= 1ull << k;
			}
		}
		at += rec;
	}
	fuse_batch_forget(&vf->node->mnt->conn, forgets, nforget);
	return n;
}

long vfs_readdir(struct file *f, vfs_emit_fn emit, void *ctx)
{
	struct vfs_file *vf = vfs_file_of(f);
	if (!vf || (vnode_mode(vf->node) & LINUX_S_IFMT) != LINUX_S_IFDIR)
		return -LINUX_ENOTDIR;
	if (vf->node->kind == VNODE_DIR)
		return kernel_dir_readdir(vf, emit, ctx);
	if (vf->share_done)
		return vfs_kernel_readdir(vf->path, &vf->kernel_pos, vf->kernel_seen, emit, ctx);
	uint8_t *buf = toro_malloc(READDIR_BUF_SIZE);
	if (!buf)
		return -LINUX_ENOMEM;
	struct vnode *node = vf->node;
	long total = 0;
	int full = 0;
	while (!full) {
		long r = fuse_read(&node->mnt->conn, FUSE_READDIRPLUS, node->nodeid, vf->fh,
		                   (uint64_t)vf->pos, buf, READDIR_BUF_SIZE);
		if (r < 0) {
			if (!total)
				total = r;
			break;
		}
		long n = fuse_dir_emit(vf, buf, (size_t)r, emit, ctx, &full);
		total += n;
		if (r == 0) {
			vf->share_done = 1;
			total += vfs_kernel_readdir(vf->path, &vf->kernel_pos, vf->kernel_seen,
			                            emit, ctx);
			break;
		}
		if (n == 0 && !full)
			break; /* a reply with nothing usable */
	}
	toro_free(buf);
	return total;
}
