/* The FUSE client: builds each request as a header, a body and names (device-readable), gives
 * the device a header and a reply body (and data) to fill, and checks the reply before anyone
 * reads it: its unique, its length against what the device wrote, an error in range. The
 * transport is kernel/drivers/virtio/fs.c; the callers are the rest of kernel/fs. */
#include "fuse.h"

#include <kernel/string.h>
#include <kernel/virtio_fs.h>
#include <toro/abi/linux.h>

/* What we ask of the server at INIT; it may lower max_write and max_readahead. 128 KiB per
 * request keeps a chain at three descriptors while a large read needs few round trips. */
#define FUSE_WANT_MAX_WRITE     (128u << 10)
#define FUSE_WANT_MAX_READAHEAD (128u << 10)
#define FUSE_MIN_MAX_WRITE      4096u
#define FUSE_MAX_ERRNO          4095

/* One request: what goes out after the header, and where the reply goes. */
struct fuse_msg {
	uint32_t opcode;
	uint64_t nodeid;
	const void *body;
	uint32_t body_len;
	const char *names[2]; /* sent with their NUL */
	const void *data;     /* WRITE's payload */
	uint32_t data_len;
	void *reply; /* the reply body, at least reply_min bytes unless data follows */
	uint32_t reply_len;
	uint32_t reply_min;
	void *rdata; /* READ's payload */
	uint32_t rdata_len;
	int noreply; /* FORGET, BATCH_FORGET: on the high-priority queue, nothing comes back */
};

/* Returns the bytes of reply after the header (body and data) or -errno. */
static long fuse_send(struct fuse_conn *c, const struct fuse_msg *m)
{
	struct fuse_in_header in = {
	    .opcode = m->opcode,
	    .unique = __atomic_add_fetch(&c->unique, 1, __ATOMIC_RELAXED),
	    .nodeid = m->nodeid,
	};
	struct fuse_out_header out = {0};
	struct virtio_fs_buf bufs[VIRTIO_FS_MAX_BUFS];
	unsigned n = 0;
	bufs[n++] = (struct virtio_fs_buf){&in, sizeof(in)};
	uint64_t len = sizeof(in);
	if (m->body_len) {
		bufs[n++] = (struct virtio_fs_buf){(void *)m->body, m->body_len};
		len += m->body_len;
	}
	for (int i = 0; i < 2; i++) {
		if (m->names[i]) {
			uint32_t l = (uint32_t)strlen(m->names[i]) + 1;
			bufs[n++] = (struct virtio_fs_buf){(void *)m->names[i], l};
			len += l;
		}
	}
	if (m->data_len) {
		bufs[n++] = (struct virtio_fs_buf){(void *)m->data, m->data_len};
		len += m->data_len;
	}
	in.len = (uint32_t)len;
	unsigned n_out = n;
	if (!m->noreply) {
		bufs[n++] = (struct virtio_fs_buf){&out, sizeof(out)};
		if (m->reply_len)
			bufs[n++] = (struct virtio_fs_buf){m->reply, m->reply_len};
		if (m->rdata_len)
			bufs[n++] = (struct virtio_fs_buf){m->rdata, m->rdata_len};
	}
	if (m->opcode < 64)
		__atomic_add_fetch(&c->requests[m->opcode], 1, __ATOMIC_RELAXED);
	long written = virtio_fs_request(c->dev, bufs, n_out, n - n_out, m->noreply);
	if (written < 0 || m->noreply)
		return written < 0 ? written : 0;
	/* The reply must be what the device says it wrote, for this request. */
	if ((uint64_t)written < sizeof(out) || out.len != (uint64_t)written ||
	    out.unique != in.unique || out.error > 0 || out.error < -FUSE_MAX_ERRNO)
		return -LINUX_EIO;
	if (out.error)
		return out.error;
	long body = written - (long)sizeof(out);
	if (!m->rdata_len && body < (long)m->reply_min)
		return -LINUX_EIO;
	return body;
}

static long fuse_simple(struct fuse_conn *c, uint32_t opcode, uint64_t nodeid, const void *body,
                        uint32_t body_len, void *reply, uint32_t reply_len)
{
	struct fuse_msg m = {.opcode = opcode,
	                     .nodeid = nodeid,
	                     .body = body,
	                     .body_len = body_len,
	                     .reply = reply,
	                     .reply_len = reply_len,
	                     .reply_min = reply_len};
	return fuse_send(c, &m);
}

static int status(long r)
{
	return r < 0 ? (int)r : 0;
}

int fuse_connect(struct fuse_conn *c, const char *tag)
{
	memset(c, 0, sizeof(*c));
	c->dev = virtio_fs_find(tag);
	if (!c->dev)
		return -LINUX_ENODEV;
	struct fuse_init_in in = {
	    .major = FUSE_KERNEL_VERSION,
	    .minor = FUSE_KERNEL_MINOR_VERSION,
	    .max_readahead = FUSE_WANT_MAX_READAHEAD,
	    .flags = FUSE_ASYNC_READ | FUSE_BIG_WRITES | FUSE_DO_READDIRPLUS | FUSE_MAX_PAGES |
	             FUSE_ATOMIC_O_TRUNC,
	};
	struct fuse_init_out out = {0};
	struct fuse_msg m = {.opcode = FUSE_INIT,
	                     .body = &in,
	                     .body_len = sizeof(in),
	                     .reply = &out,
	                     .reply_len = sizeof(out),
	                     .reply_min = FUSE_COMPAT_22_INIT_OUT_SIZE};
	long r = fuse_send(c, &m);
	if (r < 0)
		return (int)r;
	/* A server of another major version answers with its own major and nothing else. */
	if (out.major != FUSE_KERNEL_VERSION || out.minor < 22)
		return -LINUX_EPROTO;
	c->flags = in.flags & out.flags;
	c->max_write = out.max_write < FUSE_WANT_MAX_WRITE ? out.max_write : FUSE_WANT_MAX_WRITE;
	if (c->max_write < FUSE_MIN_MAX_WRITE)
		c->max_write = FUSE_MIN_MAX_WRITE;
	c->max_readahead = out.max_readahead < FUSE_WANT_MAX_READAHEAD ? out.max_readahead
	                                                               : FUSE_WANT_MAX_READAHEAD;
	/* Reads are as large as writes: the server sizes its buffers for max_write. */
	c->max_read = c->max_write;
	return 0;
}

int fuse_lookup(struct fuse_conn *c, uint64_t dir, const char *name, struct fuse_entry_out *out)
{
	struct fuse_msg m = {.opcode = FUSE_LOOKUP,
	                     .nodeid = dir,
	                     .names = {name},
	                     .reply = out,
	                     .reply_len = sizeof(*out),
	                     .reply_min = sizeof(*out)};
	int r = status(fuse_send(c, &m));
	/* nodeid 0 is a negative entry: "no such name", cacheable; we cache none. */
	if (r == 0 && out->nodeid == 0)
		return -LINUX_ENOENT;
	return r;
}

void fuse_forget(struct fuse_conn *c, uint64_t nodeid, uint64_t nlookup)
{
	struct fuse_forget_in in = {nlookup};
	struct fuse_msg m = {.opcode = FUSE_FORGET,
	                     .nodeid = nodeid,
	                     .body = &in,
	                     .body_len = sizeof(in),
	                     .noreply = 1};
	fuse_send(c, &m);
}

void fuse_batch_forget(struct fuse_conn *c, const struct fuse_forget_one *nodes, uint32_t count)
{
	if (count == 0)
		return;
	struct fuse_batch_forget_in in = {.count = count};
	struct fuse_msg m = {.opcode = FUSE_BATCH_FORGET,
	                     .body = &in,
	                     .body_len = sizeof(in),
	                     .data = nodes,
	                     .data_len = count * (uint32_t)sizeof(*nodes),
	                     .noreply = 1};
	fuse_send(c, &m);
}

int fuse_getattr(struct fuse_conn *c, uint64_t nodeid, struct fuse_attr_out *out)
{
	struct fuse_getattr_in in = {0};
	return status(fuse_simple(c, FUSE_GETATTR, nodeid, &in, sizeof(in), out, sizeof(*out)));
}

int fuse_setattr(struct fuse_conn *c, uint64_t nodeid, const struct fuse_setattr_in *in,
                 struct fuse_attr_out *out)
{
	return status(fuse_simple(c, FUSE_SETATTR, nodeid, in, sizeof(*in), out, sizeof(*out)));
}

int fuse_open(struct fuse_conn *c, uint32_t opcode, uint64_t nodeid, uint32_t flags,
              struct fuse_open_out *out)
{
	struct fuse_open_in in = {.flags = flags};
	return status(fuse_simple(c, opcode, nodeid, &in, sizeof(in), out, sizeof(*out)));
}

int fuse_create(struct fuse_conn *c, uint64_t dir, const char *name, uint32_t flags, uint32_t mode,
                struct fuse_entry_out *entry, struct fuse_open_out *open)
{
	struct fuse_create_in in = {.flags = flags, .mode = mode};
	struct {
		struct fuse_entry_out entry;
		struct fuse_open_out open;
	} reply;
	struct fuse_msg m = {.opcode = FUSE_CREATE,
	                     .nodeid = dir,
	                     .body = &in,
	                     .body_len = sizeof(in),
	                     .names = {name},
	                     .reply = &reply,
	                     .reply_len = sizeof(reply),
	                     .reply_min = sizeof(reply)};
	int r = status(fuse_send(c, &m));
	if (r == 0) {
		*entry = reply.entry;
		*open = reply.open;
	}
	return r;
}

long fuse_read(struct fuse_conn *c, uint32_t opcode, uint64_t nodeid, uint64_t fh, uint64_t offset,
               void *buf, uint32_t size)
{
	struct fuse_read_in in = {
	    .fh = fh, .offset = offset, .size = size < c->max_read ? size : c->max_read};
	struct fuse_msg m = {.opcode = opcode,
	                     .nodeid = nodeid,
	                     .body = &in,
	                     .body_len = sizeof(in),
	                     .rdata = buf,
	                     .rdata_len = in.size};
	long r = fuse_send(c, &m);
	return r > (long)in.size ? -LINUX_EIO : r;
}

long fuse_write(struct fuse_conn *c, uint64_t nodeid, uint64_t fh, uint64_t offset, const void *buf,
                uint32_t size)
{
	struct fuse_write_in in = {
	    .fh = fh, .offset = offset, .size = size < c->max_write ? size : c->max_write};
	struct fuse_write_out out;
	struct fuse_msg m = {.opcode = FUSE_WRITE,
	                     .nodeid = nodeid,
	                     .body = &in,
	                     .body_len = sizeof(in),
	                     .data = buf,
	                     .data_len = in.size,
	                     .reply = &out,
	                     .reply_len = sizeof(out),
	                     .reply_min = sizeof(out)};
	long r = fuse_send(c, &m);
	if (r < 0)
		return r;
	return out.size > in.size ? -LINUX_EIO : (long)out.size;
}

int fuse_flush(struct fuse_conn *c, uint64_t nodeid, uint64_t fh)
{
	struct fuse_flush_in in = {.fh = fh};
	return status(fuse_simple(c, FUSE_FLUSH, nodeid, &in, sizeof(in), NULL, 0));
}

int fuse_release(struct fuse_conn *c, uint32_t opcode, uint64_t nodeid, uint64_t fh, uint32_t flags)
{
	struct fuse_release_in in = {.fh = fh, .flags = flags};
	return status(fuse_simple(c, opcode, nodeid, &in, sizeof(in), NULL, 0));
}

int fuse_fsync(struct fuse_conn *c, uint64_t nodeid, uint64_t fh, int datasync)
{
	struct fuse_fsync_in in = {.fh = fh, .fsync_flags = datasync ? FUSE_FSYNC_FDATASYNC : 0};
	return status(fuse_simple(c, FUSE_FSYNC, nodeid, &in, sizeof(in), NULL, 0));
}

int fuse_mkdir(struct fuse_conn *c, uint64_t dir, const char *name, uint32_t mode,
               struct fuse_entry_out *out)
{
	struct fuse_mkdir_in in = {.mode = mode};
	struct fuse_msg m = {.opcode = FUSE_MKDIR,
	                     .nodeid = dir,
	                     .body = &in,
	                     .body_len = sizeof(in),
	                     .names = {name},
	                     .reply = out,
	                     .reply_len = sizeof(*out),
	                     .reply_min = sizeof(*out)};
	return status(fuse_send(c, &m));
}

int fuse_remove(struct fuse_conn *c, uint32_t opcode, uint64_t dir, const char *name)
{
	struct fuse_msg m = {.opcode = opcode, .nodeid = dir, .names = {name}};
	return status(fuse_send(c, &m));
}

int fuse_rename2(struct fuse_conn *c, uint64_t olddir, const char *oldname, uint64_t newdir,
                 const char *newname, uint32_t flags)
{
	struct fuse_rename2_in in = {.newdir = newdir, .flags = flags};
	struct fuse_msg m = {.opcode = FUSE_RENAME2,
	                     .nodeid = olddir,
	                     .body = &in,
	                     .body_len = sizeof(in),
	                     .names = {oldname, newname}};
	return status(fuse_send(c, &m));
}

int fuse_link(struct fuse_conn *c, uint64_t node, uint64_t newdir, const char *newname,
              struct fuse_entry_out *out)
{
	struct fuse_link_in in = {.oldnodeid = node};
	struct fuse_msg m = {.opcode = FUSE_LINK,
	                     .nodeid = newdir,
	                     .body = &in,
	                     .body_len = sizeof(in),
	                     .names = {newname},
	                     .reply = out,
	                     .reply_len = sizeof(*out),
	                     .reply_min = sizeof(*out)};
	return status(fuse_send(c, &m));
}

int fuse_symlink(struct fuse_conn *c, uint64_t dir, const char *name, const char *target,
                 struct fuse_entry_out *out)
{
	struct fuse_msg m = {.opcode = FUSE_SYMLINK,
	                     .nodeid = dir,
	                     .names = {name, target},
	                     .reply = out,
	                     .reply_len = sizeof(*out),
	                     .reply_min = sizeof(*out)};
	return status(fuse_send(c, &m));
}

long fuse_readlink(struct fuse_conn *c, uint64_t nodeid, char *buf, uint32_t size)
{
	struct fuse_msg m = {
	    .opcode = FUSE_READLINK, .nodeid = nodeid, .rdata = buf, .rdata_len = size};
	long r = fuse_send(c, &m);
	if (r >= (long)size)
		return -LINUX_ENAMETOOLONG;
	return r;
}

int fuse_statfs(struct fuse_conn *c, uint64_t nodeid, struct fuse_statfs_out *out)
{
	return status(fuse_simple(c, FUSE_STATFS, nodeid, NULL, 0, out, sizeof(*out)));
}
