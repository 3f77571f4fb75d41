/* What the files of kernel/fs share: mounts, nodes (the inode cache), the walk, open VFS files
 * and the page cache. Private to kernel/fs. */
#ifndef KERNEL_FS_VFS_PRIVATE_H
#define KERNEL_FS_VFS_PRIVATE_H

#include <kernel/arch.h>
#include <kernel/file.h>
#include <kernel/vfs.h>

#include "fuse.h"

#define VFS_MAX_MOUNTS 8

/* One share: a virtio-fs device (by tag) mounted at path. */
struct mount {
	char path[VFS_PATH_MAX]; /* canonical: "/" or "/a/b" */
	size_t path_len;
	char tag[40];
	int readonly;
	unsigned index; /* 1 + its place in the table: its device number in stat */
	int error;      /* the INIT's -errno: the mount is unusable */
	struct fuse_conn conn;
	struct vnode *root; /* holds a reference for the life of the VM */
};

enum vnode_kind {
	VNODE_FUSE = 1, /* a node of a share */
	VNODE_DIR,      /* a directory the kernel provides: "/" without a root share, /dev,
	                   parents of mount points */
	VNODE_DEV,      /* /dev/null, /dev/zero, /dev/urandom */
	VNODE_LINK,     /* a symbolic link the kernel provides: /proc/self/exe, /proc/self/fd/N */
	VNODE_PROC,     /* a file the kernel writes as it is read: /proc/meminfo, /proc/cpuinfo */
};

enum vnode_dev { VDEV_NULL = 1, VDEV_ZERO, VDEV_URANDOM };

/* Which /proc node a VNODE_LINK or VNODE_PROC is (proc.c). */
enum vnode_proc { PROC_EXE = 1, PROC_FD, PROC_MEMINFO, PROC_CPUINFO };

struct vnode {
	int refs; /* under vfs_lock */
	enum vnode_kind kind;
	struct mount *mnt; /* VNODE_FUSE */
	uint64_t nodeid;
	uint64_t nlookup; /* lookups the server counted: sent back in FORGET */
	struct fuse_attr attr;
	uint64_t attr_expires; /* monotonic ns; 0: fetch again */
	/* attr_expires as a time stamp (UINT64_MAX: never), and a count that is odd while
	 * vnode_set_attr changes the attributes: vnode_size_fresh reads them without the lock. */
	uint64_t attr_until_tsc;
	unsigned attr_seq;
	enum vnode_dev dev;   /* VNODE_DEV */
	enum vnode_proc proc; /* VNODE_LINK, VNODE_PROC; for PROC_FD the descriptor is nodeid */
	/* What the page cache's pages of this node were read from (read-only shares): a file whose
	 * size or mtime differs at open has its pages dropped. */
	uint64_t cached_size, cached_mtime;
	uint32_t cached_mtimensec;
	uint64_t cached_pages;   /* pages of it in the page cache (under the cache's lock) */
	char *path;              /* VNODE_DIR and VNODE_DEV: the canonical path */
	struct vnode *hash_next; /* the inode cache, by (mnt, nodeid) */
	struct vnode *unused_prev, *unused_next; /* unreferenced nodes, oldest first */
};

/* The walk's result: the node, its canonical path (with VFS_WALK_PARENT, the path the last name
 * has or would have), and for VFS_WALK_PARENT the parent and the last name. */
struct walk {
	struct vnode *node;   /* a reference, or NULL */
	struct vnode *parent; /* a reference, or NULL */
	char path[VFS_PATH_MAX];
	size_t len;
	char name[VFS_NAME_MAX + 1]; /* the last component, with VFS_WALK_PARENT */
	/* Until when (monotonic ns) the names walked stand as the share's entry timeouts allow, if
	 * the guest cannot change them itself: 0 once a name was in a writable share or a symbolic
	 * link was followed. */
	uint64_t names_until;
};

#define VFS_WALK_PARENT 0x100 /* stop before the last component (create, remove, rename) */

/* Resolves dir + path. Returns 0 with w filled (free what it holds with walk_done), or -errno.
 * With VFS_WALK_PARENT the last component may not exist (w->node NULL); it is never "." or
 * "..": those give -EEXIST (path ends in ".") or the caller's error (see ops.c). */
int walk(const char *dir, const char *path, int flags, struct walk **out);
void walk_done(struct walk *w);

struct vnode *vnode_get(struct vnode *n);
void vnode_put(struct vnode *n);
/* The node for a LOOKUP-like reply (one lookup counted), a new reference. */
struct vnode *vnode_from_entry(struct mount *m, const struct fuse_entry_out *e);
/* The name cache (node.c), allocated with the mount table: the child name of directory dir while
 * its LOOKUP's entry timeout lasts and the child is in the inode cache (a new reference, no new
 * lookup counted, and *expires the timeout's end), or NULL; remembering a LOOKUP reply (returns
 * when it expires, 0 when not remembered); forgetting a name the guest removed or renamed. */
struct vnode *vfs_name_cached(struct mount *m, uint64_t dir, const char *name, uint64_t *expires);
uint64_t vfs_name_remember(struct mount *m, uint64_t dir, const char *name,
                           const struct fuse_entry_out *e);
void vfs_name_forget(struct mount *m, uint64_t dir, const char *name);
void vfs_names_init(void);
/* Fresh attributes (fetched when the timeout has passed). */
int vnode_getattr(struct vnode *n, struct fuse_attr *attr);
/* The size from fresh attributes: vnode_getattr's size without copying the rest. 0 or -errno. */
int vnode_size(struct vnode *n, uint64_t *size);

/* The size while the attributes are fresh at now (arch_timestamp()), read without the lock: 1
 * with *size set, or 0 when they are not (or were being changed): then ask vnode_size. A few
 * loads, for every read of the page cache; the caller takes the time stamp when it suits it. */
static inline int vnode_size_fresh(struct vnode *n, uint64_t now, uint64_t *size)
{
	unsigned seq = __atomic_load_n(&n->attr_seq, __ATOMIC_ACQUIRE);
	uint64_t s = __atomic_load_n(&n->attr.size, __ATOMIC_RELAXED);
	uint64_t until = __atomic_load_n(&n->attr_until_tsc, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	/* until is 0 while the attributes were never fetched or are stale (vnode_attr_stale). */
	if ((seq & 1) || seq != __atomic_load_n(&n->attr_seq, __ATOMIC_RELAXED) || now >= until)
		return 0;
	*size = s;
	return 1;
}
/* Makes n's attributes stale: the next look at them asks the server. */
static inline void vnode_attr_stale(struct vnode *n)
{
	n->attr_expires = 0;
	__atomic_store_n(&n->attr_until_tsc, 0, __ATOMIC_RELAXED);
}
void vnode_set_attr(struct vnode *n, const struct fuse_attr *attr, uint64_t valid_sec,
                    uint32_t valid_nsec);
void vnode_stat(struct vnode *n, const struct fuse_attr *attr, struct file_stat *st);
int vnode_setattr(struct vnode *n, struct fuse_setattr_in *in);
uint32_t vnode_mode(struct vnode *n); /* S_IF* and permissions, from cached attributes */
uint64_t vnode_attr_expires(struct vnode *n); /* when its attributes time out; 0: stale */

/* ops.c: statfs of a node; utimensat's times as SETATTR fields (0 or -EINVAL). */
int vfs_node_statfs(struct vnode *n, struct vfs_statfs *st);
int vfs_times_to_setattr(const int64_t times[4], struct fuse_setattr_in *in);

/* An open file of kernel/fs (file.c): a regular file, a directory or a /dev node. */
struct vfs_file {
	struct file file;
	struct vnode *node;
	uint64_t fh;
	int has_fh;
	int page_cached; /* a regular file of a read-only share: read through the page cache */
	int64_t pos; /* the file offset; a directory's: the server's cookie or the kernel index */
	int dots;    /* kernel directories: "." and ".." given so far */
	/* A share's directory: once its own entries are all given (share_done), the kernel's
	 * beneath its path (/dev, /proc, mount points) follow from kernel_pos, but for those the
	 * share listed itself (a bit per kernel entry index in kernel_seen). */
	int share_done;
	size_t kernel_pos;
	uint64_t kernel_seen;
	char *path; /* canonical */
};

/* f's vfs_file, or NULL if f is another kind of file. */
struct vfs_file *vfs_file_of(struct file *f);

/* Open files of kernel/fs (file.c). */
int vfs_file_open(struct vnode *n, const char *path, unsigned flags, uint64_t fh, int has_fh,
                  struct file **out);
int vfs_open_node(struct vnode *n, const char *path, unsigned flags, struct file **out);
/* Kernel-provided nodes (dev.c): the node for the canonical path p, or NULL. */
struct vnode *vfs_kernel_node(const char *p, size_t len);
/* A kernel directory node for the canonical path p (a mount point's parent), or NULL. */
struct vnode *vfs_kernel_dir(const char *p, size_t len);
void vfs_set_cwd(const char *p);
/* Lists the kernel-provided names directly under the directory p from *index on (dev.c; mount.c
 * for the mount points; proc.c for /proc/self/fd), but for those whose index has its bit set in
 * skip. */
long vfs_kernel_readdir(const char *p, size_t *index, uint64_t skip, vfs_emit_fn emit, void *ctx);
/* The index (below 64) of the kernel's entry name directly under the directory p, or -1. */
int vfs_kernel_child(const char *p, const char *name, size_t name_len);
/* Whether p is a mount point's proper ancestor, and the mount at exactly p. */
int vfs_mount_ancestor(const char *p, size_t len);
struct mount *vfs_mount_at(const char *p, size_t len);
/* The root of every walk: the share at "/", or the kernel's own "/". A new reference. */
struct vnode *vfs_root(void);
/* The name of the directory under p that mount i lies in or on (the first mount to give it),
 * in *name and *name_len: 1, or 0 when mount i gives none; -1 past the last mount. */
int vfs_mount_child(const char *p, size_t len, size_t i, const char **name, size_t *name_len);
/* The deepest mount holding the canonical path p. */
struct mount *vfs_mount_of(const char *p);

long vfs_dev_read(struct vnode *n, const struct file_iovec *iov, size_t count);

/* /proc (proc.c): whether the canonical path p is /proc/self/fd/N for an open descriptor N (then
 * in *fd); a kernel link's target (its length; at most size bytes copied, no NUL); reading a
 * /proc file from offset; listing /proc/self/fd from *index (a descriptor number). */
int proc_fd_path(const char *p, size_t len, unsigned *fd);
long proc_readlink(struct vnode *n, char *buf, size_t size);
long proc_read(struct vnode *n, const struct file_iovec *iov, size_t count, int64_t offset);
long proc_fd_readdir(size_t *index, vfs_emit_fn emit, void *ctx);
/* A symbolic link's target, from the share or the kernel (node.c). */
long vnode_readlink(struct vnode *n, char *buf, size_t size);

/* The page cache for read-only shares (pagecache.c): copies what it holds of node n from byte
 * off into dst, up to len bytes, the end of that page and size (the file's), and returns the
 * bytes copied (0 when off >= size), PAGECACHE_MISS when the page is not cached, or -EFAULT when
 * dst is not writable. */
#define PAGECACHE_MISS (-1)
long pagecache_read(struct vnode *n, void *dst, size_t len, uint64_t off, uint64_t size);
/* Hands page (one page from mm_pages_alloc holding len bytes of node n's page index) to the
 * cache, which keeps it or, when the page is cached already or memory runs out, frees it. */
void pagecache_put(struct vnode *n, uint64_t index, void *page, size_t len);
void pagecache_drop(struct vnode *n);

#endif
