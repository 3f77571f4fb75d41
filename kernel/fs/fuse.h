/* The FUSE client (fuse.c): one connection per virtio-fs device, and one function per request
 * the VFS makes. Each blocks the calling thread until the server answers and returns 0 (or a
 * byte count) or the server's -errno; a malformed reply is -EIO. Private to kernel/fs. */
#ifndef KERNEL_FS_FUSE_H
#define KERNEL_FS_FUSE_H

#include <stddef.h>
#include <stdint.h>

#include <toro/abi/fuse.h>

struct virtio_fs;

struct fuse_conn {
	struct virtio_fs *dev;
	uint32_t max_write;     /* the most one WRITE carries (negotiated) */
	uint32_t max_read;      /* the most one READ asks for */
	uint32_t max_readahead; /* what the server allows us to read ahead */
	uint32_t flags;         /* the INIT flags both sides have */
	uint64_t unique;        /* atomic: the last request id */
	uint64_t requests[64];  /* atomic: requests sent, by opcode (statistics and tests) */
};

/* Connects to the device with the given tag: INIT. Returns 0, -ENODEV (no such device), or
 * -EIO / the server's -errno. */
int fuse_connect(struct fuse_conn *c, const char *tag);

int fuse_lookup(struct fuse_conn *c, uint64_t dir, const char *name, struct fuse_entry_out *out);
/* Drops nlookup lookups of nodeid, or of many nodes at once (BATCH_FORGET). */
void fuse_forget(struct fuse_conn *c, uint64_t nodeid, uint64_t nlookup);
void fuse_batch_forget(struct fuse_conn *c, const struct fuse_forget_one *nodes, uint32_t count);
int fuse_getattr(struct fuse_conn *c, uint64_t nodeid, struct fuse_attr_out *out);
int fuse_setattr(struct fuse_conn *c, uint64_t nodeid, const struct fuse_setattr_in *in,
                 struct fuse_attr_out *out);
/* opcode is FUSE_OPEN or FUSE_OPENDIR. */
int fuse_open(struct fuse_conn *c, uint32_t opcode, uint64_t nodeid, uint32_t flags,
              struct fuse_open_out *out);
int fuse_create(struct fuse_conn *c, uint64_t dir, const char *name, uint32_t flags, uint32_t mode,
                struct fuse_entry_out *entry, struct fuse_open_out *open);
/* One READ (opcode FUSE_READ, or FUSE_READDIRPLUS with offset a directory cookie) of at most
 * c->max_read bytes into buf: returns the bytes read (fewer at end of file). */
long fuse_read(struct fuse_conn *c, uint32_t opcode, uint64_t nodeid, uint64_t fh, uint64_t offset,
               void *buf, uint32_t size);
/* One WRITE of at most c->max_write bytes: returns the bytes written. */
long fuse_write(struct fuse_conn *c, uint64_t nodeid, uint64_t fh, uint64_t offset, const void *buf,
                uint32_t size);
int fuse_flush(struct fuse_conn *c, uint64_t nodeid, uint64_t fh);
/* opcode is FUSE_RELEASE or FUSE_RELEASEDIR. */
int fuse_release(struct fuse_conn *c, uint32_t opcode, uint64_t nodeid, uint64_t fh,
                 uint32_t flags);
int fuse_fsync(struct fuse_conn *c, uint64_t nodeid, uint64_t fh, int datasync);
int fuse_mkdir(struct fuse_conn *c, uint64_t dir, const char *name, uint32_t mode,
               struct fuse_entry_out *out);
/* opcode is FUSE_UNLINK or FUSE_RMDIR. */
int fuse_remove(struct fuse_conn *c, uint32_t opcode, uint64_t dir, const char *name);
int fuse_rename2(struct fuse_conn *c, uint64_t olddir, const char *oldname, uint64_t newdir,
                 const char *newname, uint32_t flags);
int fuse_link(struct fuse_conn *c, uint64_t node, uint64_t newdir, const char *newname,
              struct fuse_entry_out *out);
int fuse_symlink(struct fuse_conn *c, uint64_t dir, const char *name, const char *target,
                 struct fuse_entry_out *out);
/* Returns the target's length (not NUL-terminated) or -errno; -ENAMETOOLONG if over size. */
long fuse_readlink(struct fuse_conn *c, uint64_t nodeid, char *buf, uint32_t size);
int fuse_statfs(struct fuse_conn *c, uint64_t nodeid, struct fuse_statfs_out *out);

#endif
