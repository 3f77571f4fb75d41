/* The FUSE server's wire side (see fuse.h): gathering a request from its buffers, checking its
 * header, size, node id and share mode against the opcode table, the session requests (INIT,
 * DESTROY, FORGET, BATCH_FORGET, INTERRUPT), and scattering the reply. File and directory
 * requests are in fuse_ops.c, the tables and confinement in fuse_nodes.c. */
#include "backend/fuse_private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* The requests we take: header, the largest fixed arguments (WRITE's), a payload. */
#define FUSE_REQ_MAX                                                                               \
	(sizeof(struct fuse_in_header) + sizeof(struct fuse_write_in) + FUSE_SERVER_IO_MAX)
#define FUSE_REPLY_MAX (sizeof(struct fuse_out_header) + FUSE_SERVER_IO_MAX)

/* The oldest protocol we speak: 7.31 (Linux 5.4) has every request and layout used here. */
#define FUSE_MINOR_MIN 31

/* Offered in INIT, and kept only where the guest offered them too. */
#define FUSE_FLAGS_OFFERED                                                                         \
	(FUSE_ASYNC_READ | FUSE_ATOMIC_O_TRUNC | FUSE_BIG_WRITES | FUSE_DO_READDIRPLUS |           \
	 FUSE_READDIRPLUS_AUTO | FUSE_PARALLEL_DIROPS | FUSE_MAX_PAGES)

#define FUSE_MAX_BACKGROUND 16

static int fuse_op_init(struct fuse_server *s, struct fuse_req *r)
{
	const struct fuse_init_in *in = r->arg;
	struct fuse_init_out *out = r->reply;
	if (s->initialized)
		return -EPROTO;
	if (in->major != FUSE_KERNEL_VERSION || in->minor < FUSE_MINOR_MIN)
		return -EPROTO;
	s->minor = in->minor < FUSE_KERNEL_MINOR_VERSION ? in->minor : FUSE_KERNEL_MINOR_VERSION;
	memset(out, 0, sizeof(*out));
	out->major = FUSE_KERNEL_VERSION;
	out->minor = s->minor;
	out->max_readahead =
	    in->max_readahead < FUSE_SERVER_IO_MAX ? in->max_readahead : FUSE_SERVER_IO_MAX;
	out->flags = in->flags & FUSE_FLAGS_OFFERED;
	out->max_background = FUSE_MAX_BACKGROUND;
	out->congestion_threshold = FUSE_MAX_BACKGROUND * 3 / 4;
	out->max_write = FUSE_SERVER_IO_MAX;
	out->time_gran = 1;
	out->max_pages = FUSE_SERVER_IO_MAX / 4096;
	r->len = sizeof(*out);
	s->initialized = 1;
	return 0;
}

static int fuse_op_destroy(struct fuse_server *s, struct fuse_req *r)
{
	(void)r;
	fuse_server_reset(s);
	return 0;
}

static int fuse_op_forget(struct fuse_server *s, struct fuse_req *r)
{
	const struct fuse_forget_in *in = r->arg;
	uint32_t idx = fuse_node_from_id(s, r->in->nodeid);
	if (idx != FUSE_NODE_NONE) /* else forged, or forgotten already: nothing to do */
		fuse_node_forget(s, idx, in->nlookup);
	return FUSE_NO_REPLY;
}

static int fuse_op_batch_forget(struct fuse_server *s, struct fuse_req *r)
{
	const struct fuse_batch_forget_in *in = r->arg;
	const struct fuse_forget_one *one = (const void *)(in + 1);
	size_t room = (r->arglen - sizeof(*in)) / sizeof(*one);
	/* A count beyond the request's length is cut to what is there; ids that name no node
	 * (forged, or forgotten already) are skipped. */
	size_t n = in->count < room ? in->count : room;
	for (size_t i = 0; i < n; i++) {
		uint32_t idx = fuse_node_from_id(s, one[i].nodeid);
		if (idx != FUSE_NODE_NONE)
			fuse_node_forget(s, idx, one[i].nlookup);
	}
	return FUSE_NO_REPLY;
}

/* Requests are answered in order, one at a time: by the time an INTERRUPT arrives the request
 * it names has its reply. */
static int fuse_op_interrupt(struct fuse_server *s, struct fuse_req *r)
{
	(void)s;
	(void)r;
	return FUSE_NO_REPLY;
}

enum {
	FUSE_OP_NODE = 1,     /* the header's nodeid must name a live node */
	FUSE_OP_MODIFIES = 2, /* refused with EROFS on a read-only share */
	FUSE_OP_ANY_TIME = 4, /* also before INIT */
	FUSE_OP_NO_REPLY = 8, /* never answered, not even with an error */
};

struct fuse_op {
	fuse_handler *fn;
	uint32_t arg_min;   /* the fixed arguments' size */
	uint32_t reply_min; /* room the reply needs, checked before anything is done */
	unsigned flags;
};

#define FUSE_OPCODES 64

static const struct fuse_op fuse_ops[FUSE_OPCODES] = {
    [FUSE_INIT] = {fuse_op_init, offsetof(struct fuse_init_in, flags2),
                   sizeof(struct fuse_init_out), FUSE_OP_ANY_TIME},
    [FUSE_DESTROY] = {fuse_op_destroy, 0, 0, 0},
    [FUSE_FORGET] = {fuse_op_forget, sizeof(struct fuse_forget_in), 0, FUSE_OP_NO_REPLY},
    [FUSE_BATCH_FORGET] = {fuse_op_batch_forget, sizeof(struct fuse_batch_forget_in), 0,
                           FUSE_OP_NO_REPLY},
    [FUSE_INTERRUPT] = {fuse_op_interrupt, sizeof(struct fuse_interrupt_in), 0, FUSE_OP_NO_REPLY},
    [FUSE_LOOKUP] = {fuse_op_lookup, 2, sizeof(struct fuse_entry_out), FUSE_OP_NODE},
    [FUSE_GETATTR] = {fuse_op_getattr, sizeof(struct fuse_getattr_in), sizeof(struct fuse_attr_out),
                      FUSE_OP_NODE},
    [FUSE_SETATTR] = {fuse_op_setattr, sizeof(struct fuse_setattr_in), sizeof(struct fuse_attr_out),
                      FUSE_OP_NODE | FUSE_OP_MODIFIES},
    [FUSE_READLINK] = {fuse_op_readlink, 0, 1, FUSE_OP_NODE},
    [FUSE_SYMLINK] = {fuse_op_symlink, 4, sizeof(struct fuse_entry_out),
                      FUSE_OP_NODE | FUSE_OP_MODIFIES},
    [FUSE_MKNOD] = {fuse_op_mknod, sizeof(struct fuse_mknod_in), 0,
                    FUSE_OP_NODE | FUSE_OP_MODIFIES},
    [FUSE_MKDIR] = {fuse_op_mkdir, sizeof(struct fuse_mkdir_in) + 2, sizeof(struct fuse_entry_out),
                    FUSE_OP_NODE | FUSE_OP_MODIFIES},
    [FUSE_UNLINK] = {fuse_op_unlink, 2, 0, FUSE_OP_NODE | FUSE_OP_MODIFIES},
    [FUSE_RMDIR] = {fuse_op_rmdir, 2, 0, FUSE_OP_NODE | FUSE_OP_MODIFIES},
    [FUSE_RENAME] = {fuse_op_rename, sizeof(struct fuse_rename_in) + 4, 0,
                     FUSE_OP_NODE | FUSE_OP_MODIFIES},
    [FUSE_RENAME2] = {fuse_op_rename2, sizeof(struct fuse_rename2_in) + 4, 0,
                      FUSE_OP_NODE | FUSE_OP_MODIFIES},
    [FUSE_LINK] = {fuse_op_link, sizeof(struct fuse_link_in) + 2, sizeof(struct fuse_entry_out),
                   FUSE_OP_NODE | FUSE_OP_MODIFIES},
    [FUSE_OPEN] = {fuse_op_open, sizeof(struct fuse_open_in), sizeof(struct fuse_open_out),
                   FUSE_OP_NODE},
    [FUSE_CREATE] = {fuse_op_create, sizeof(struct fuse_create_in) + 2,
                     sizeof(struct fuse_entry_out) + sizeof(struct fuse_open_out),
                     FUSE_OP_NODE | FUSE_OP_MODIFIES},
    [FUSE_READ] = {fuse_op_read, sizeof(struct fuse_read_in), 0, 0},
    [FUSE_WRITE] = {fuse_op_write, sizeof(struct fuse_write_in), sizeof(struct fuse_write_out),
                    FUSE_OP_MODIFIES},
    [FUSE_STATFS] = {fuse_op_statfs, 0, sizeof(struct fuse_statfs_out), FUSE_OP_NODE},
    [FUSE_RELEASE] = {fuse_op_release, sizeof(struct fuse_release_in), 0, 0},
    [FUSE_FLUSH] = {fuse_op_flush, sizeof(struct fuse_flush_in), 0, 0},
    [FUSE_FSYNC] = {fuse_op_fsync, sizeof(struct fuse_fsync_in), 0, 0},
    [FUSE_OPENDIR] = {fuse_op_opendir, sizeof(struct fuse_open_in), sizeof(struct fuse_open_out),
                      FUSE_OP_NODE},
    [FUSE_READDIR] = {fuse_op_readdir, sizeof(struct fuse_read_in), 0, 0},
    [FUSE_READDIRPLUS] = {fuse_op_readdirplus, sizeof(struct fuse_read_in), 0, 0},
    [FUSE_RELEASEDIR] = {fuse_op_releasedir, sizeof(struct fuse_release_in), 0, 0},
    [FUSE_FSYNCDIR] = {fuse_op_fsyncdir, sizeof(struct fuse_fsync_in), 0, 0},
    [FUSE_ACCESS] = {fuse_op_access, sizeof(struct fuse_access_in), 0, FUSE_OP_NODE},
    [FUSE_LSEEK] = {fuse_op_lseek, sizeof(struct fuse_lseek_in), sizeof(struct fuse_lseek_out), 0},
};

/* Copies up to len bytes of iov[0..n) from offset 0 into buf; returns how many. */
static size_t fuse_gather(void *buf, size_t len, const struct iovec *iov, unsigned n)
{
	size_t done = 0;
	for (unsigned i = 0; i < n && done < len; i++) {
		size_t k = iov[i].iov_len < len - done ? iov[i].iov_len : len - done;
		memcpy((uint8_t *)buf + done, iov[i].iov_base, k);
		done += k;
	}
	return done;
}

static size_t fuse_scatter(const struct iovec *iov, unsigned n, const void *buf, size_t len)
{
	size_t done = 0;
	for (unsigned i = 0; i < n && done < len; i++) {
		size_t k = iov[i].iov_len < len - done ? iov[i].iov_len : len - done;
		memcpy(iov[i].iov_base, (const uint8_t *)buf + done, k);
		done += k;
	}
	return done;
}

static size_t fuse_iov_total(const struct iovec *iov, unsigned n)
{
	size_t t = 0;
	for (unsigned i = 0; i < n; i++)
		t += iov[i].iov_len;
	return t;
}

/* Payload bytes a reply may have in room bytes of writable buffers. */
static uint32_t fuse_reply_room(size_t room)
{
	if (room < sizeof(struct fuse_out_header))
		return 0;
	room -= sizeof(struct fuse_out_header);
	return room < FUSE_SERVER_IO_MAX ? (uint32_t)room : FUSE_SERVER_IO_MAX;
}

/* Runs the checks and the handler; returns what the handler does (0, -errno, FUSE_NO_REPLY). */
static int fuse_dispatch(struct fuse_server *s, struct fuse_req *r, size_t avail)
{
	const struct fuse_in_header *in = r->in;
	if (in->len < sizeof(*in) || in->len > avail)
		return -EINVAL;
	if (in->len > FUSE_REQ_MAX)
		return -E2BIG;
	if (in->total_extlen)
		return -EINVAL; /* extensions need FUSE_INIT_EXT, never agreed */
	const struct fuse_op *op = in->opcode < FUSE_OPCODES ? &fuse_ops[in->opcode] : NULL;
	if (!op || !op->fn)
		return -ENOSYS;
	if (op->flags & FUSE_OP_NO_REPLY) {
		if (s->initialized && r->arglen >= op->arg_min)
			op->fn(s, r);
		return FUSE_NO_REPLY;
	}
	if (!s->initialized && !(op->flags & FUSE_OP_ANY_TIME))
		return -EIO;
	if (r->arglen < op->arg_min)
		return -EINVAL;
	if (r->room < op->reply_min)
		return -EINVAL;
	if (op->flags & FUSE_OP_NODE) {
		r->node = fuse_node_from_id(s, in->nodeid);
		if (r->node == FUSE_NODE_NONE)
			return -EBADF;
	}
	if ((op->flags & FUSE_OP_MODIFIES) && !s->writable)
		return -EROFS;
	return op->fn(s, r);
}

size_t fuse_server_handle(struct fuse_server *s, const struct iovec *in, unsigned nin,
                          const struct iovec *out, unsigned nout)
{
	size_t avail = fuse_iov_total(in, nin);
	size_t room = fuse_iov_total(out, nout);
	if (avail < sizeof(struct fuse_in_header))
		return 0;
	fuse_gather(s->req, sizeof(struct fuse_in_header), in, nin);
	const struct fuse_in_header *h = (const void *)s->req;
	size_t len = h->len;
	if (len >= sizeof(*h) && len <= avail && len <= FUSE_REQ_MAX)
		fuse_gather(s->req, len, in, nin);
	else
		len = sizeof(*h);

	struct fuse_out_header *oh = (void *)s->reply;
	struct fuse_req r = {
	    .in = h,
	    .arg = s->req + sizeof(*h),
	    .arglen = (uint32_t)(len - sizeof(*h)),
	    .reply = oh + 1,
	    .room = fuse_reply_room(room),
	};
	/* Names and strings in the arguments end at a NUL the handlers look for; one past the
	 * end keeps a scan from running off the request. */
	s->req[len] = '\0';
	int rc = fuse_dispatch(s, &r, avail);
	if (rc == FUSE_NO_REPLY || room < sizeof(*oh))
		return 0;
	oh->unique = h->unique;
	oh->error = rc < 0 ? rc : 0;
	oh->len = (uint32_t)sizeof(*oh) + (rc < 0 ? 0 : r.len);
	return fuse_scatter(out, nout, s->reply, oh->len);
}

struct fuse_server *fuse_server_open(const char *dir, int writable,
                                     const struct fuse_server_limits *limits, char *err,
                                     size_t errlen)
{
	static const struct fuse_server_limits defaults = {FUSE_SERVER_NODES_DEFAULT,
	                                                   FUSE_SERVER_HANDLES_DEFAULT};
	struct fuse_server *s = calloc(1, sizeof(*s));
	if (!s) {
		error_set(err, errlen, "out of memory for the FUSE server");
		return NULL;
	}
	s->writable = writable;
	s->req = malloc(FUSE_REQ_MAX + 1);
	s->reply = malloc(FUSE_REPLY_MAX);
	s->dents = malloc(FUSE_DENTS_MAX);
	if (!s->req || !s->reply || !s->dents) {
		error_set(err, errlen, "out of memory for the FUSE server");
		fuse_server_close(s);
		return NULL;
	}
	if (fuse_tables_init(s, dir, limits ? limits : &defaults, err, errlen)) {
		fuse_server_close(s);
		return NULL;
	}
	return s;
}

void fuse_server_close(struct fuse_server *s)
{
	if (!s)
		return;
	fuse_tables_free(s);
	free(s->req);
	free(s->reply);
	free(s->dents);
	free(s);
}

void fuse_server_reset(struct fuse_server *s)
{
	fuse_tables_reset(s);
	s->initialized = 0;
	s->minor = 0;
}

unsigned fuse_server_nodes_in_use(const struct fuse_server *s)
{
	return s->nodes_used;
}

unsigned fuse_server_handles_in_use(const struct fuse_server *s)
{
	return s->handles_used;
}
