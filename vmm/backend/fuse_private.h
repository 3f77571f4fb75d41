/* What the FUSE server's files share: the server state, the node and handle tables with their
 * confinement rules (fuse_nodes.c), a request as the handlers see it, and the handlers of file
 * and directory operations (fuse_ops.c) that the opcode table in fuse.c points at. */
#ifndef VMM_BACKEND_FUSE_PRIVATE_H
#define VMM_BACKEND_FUSE_PRIVATE_H

#include <linux/fuse.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "backend/fuse.h"

#define FUSE_NAME_MAX  255 /* one name, without its NUL (NAME_MAX) */
#define FUSE_NODE_NONE UINT32_MAX
#define FUSE_DENTS_MAX (32u * 1024) /* bytes of getdents64 results read at once */

/* A file or directory the guest looked up: an O_PATH descriptor, and where it was found (its
 * parent node and name), which is how a non-directory is opened again. */
struct fuse_node {
	int fd;           /* O_PATH | O_NOFOLLOW; -1: the slot is free */
	uint32_t gen;     /* bumped each time the slot is freed: old node ids stop matching */
	uint64_t nlookup; /* the guest's references (LOOKUP and friends minus FORGET) */
	uint32_t refs;    /* children that name this node as their parent, and open handles */
	uint32_t parent;  /* FUSE_NODE_NONE for the root */
	char *name;       /* within the parent; NULL for the root */
	dev_t dev;
	ino_t ino;
	mode_t type;   /* S_IFMT bits */
	uint32_t next; /* hash chain, or the free list; FUSE_NODE_NONE ends either */
};

struct fuse_handle {
	int fd;       /* -1: free */
	uint32_t gen; /* as fuse_node.gen */
	int dir;      /* opened by OPENDIR (READDIR) or by OPEN/CREATE (READ/WRITE) */
	int readable, writable;
	uint32_t node; /* what was opened; the handle holds a reference (fuse_node.refs) */
};

struct fuse_server {
	int writable;    /* --share DIR:rw */
	int initialized; /* INIT answered */
	uint32_t minor;  /* the protocol minor version agreed */
	struct fuse_node *nodes;
	uint32_t nnodes, nodes_used, node_free;
	uint32_t *buckets, nbuckets; /* (dev, ino) -> node, chained through fuse_node.next */
	struct fuse_handle *handles;
	uint32_t nhandles, handles_used;
	/* The request gathered from its buffers, and the reply built before it is scattered. */
	uint8_t *req, *reply;
	uint8_t *dents; /* getdents64 results for READDIR */
};

/* A request as a handler sees it. */
struct fuse_req {
	const struct fuse_in_header *in;
	const void *arg; /* what follows the header */
	uint32_t arglen;
	void *reply;   /* the reply's payload, after its header */
	uint32_t room; /* bytes of payload the guest's buffers take (at most FUSE_SERVER_IO_MAX) */
	uint32_t len;  /* bytes of payload written */
	uint32_t node; /* the in-header's node id, checked and decoded (table index) */
};

/* A handler returns 0 (reply with len bytes of payload), -errno, or this: no reply at all. */
#define FUSE_NO_REPLY 1

/* fuse_nodes.c: the tables. */
int fuse_tables_init(struct fuse_server *s, const char *dir, const struct fuse_server_limits *lim,
                     char *err, size_t errlen);
void fuse_tables_free(struct fuse_server *s);
void fuse_tables_reset(struct fuse_server *s);

/* The node index for a node id from the guest, or FUSE_NODE_NONE if it names no live node. */
uint32_t fuse_node_from_id(const struct fuse_server *s, uint64_t nodeid);
uint64_t fuse_node_id(const struct fuse_server *s, uint32_t idx);
/* Drops n of the guest's references (FORGET); the node goes once nothing refers to it. */
void fuse_node_forget(struct fuse_server *s, uint32_t idx, uint64_t n);

/* Checks a name the guest sent, NUL-terminated within avail bytes at p: 0 with *name and
 * *used (bytes including the NUL) set, or -EINVAL (no NUL, empty, '/', "." or "..") or
 * -ENAMETOOLONG. */
int fuse_name_check(const void *p, size_t avail, const char **name, size_t *used);

/* Looks name up in directory node parent (one component, never following a symlink) and
 * counts one more guest reference on the node it finds or makes: 0 with *idx and *st set, or
 * -errno (-ENFILE when the table is full). */
int fuse_node_lookup(struct fuse_server *s, uint32_t parent, const char *name, uint32_t *idx,
                     struct stat *st);

/* The node's attributes, never following a symlink. */
int fuse_node_stat(const struct fuse_server *s, uint32_t idx, struct stat *st);

/* Opens node idx for I/O with flags (O_ACCMODE and the like; O_NOFOLLOW, O_CLOEXEC and
 * O_NONBLOCK are added): a directory through its own descriptor, anything else by name in its
 * parent, and checked to be the same file. Returns the descriptor or -errno (-ESTALE when the
 * name now holds another file). */
int fuse_node_reopen(const struct fuse_server *s, uint32_t idx, int flags);

/* openat2 of one name beneath dirfd, never following symlinks; returns a descriptor or -errno. */
int fuse_openat(int dirfd, const char *name, int flags, mode_t mode);

/* After a rename of (olddir, oldname) to (newdir, newname) by the guest: the node that was
 * known by the old name is now known by the new one. exchange: the two swapped. */
void fuse_node_renamed(struct fuse_server *s, uint32_t olddir, const char *oldname, uint32_t newdir,
                       const char *newname, int exchange);

/* Handles: a new one for fd (taken over; closed on failure) opened from node, returned as the
 * guest's fh, or 0 with fd closed when the table is full (ENFILE). */
uint64_t fuse_handle_add(struct fuse_server *s, int fd, uint32_t node, int dir, int accmode);
/* The handle an fh names, or NULL: not a live handle, or not of the kind dir says. */
struct fuse_handle *fuse_handle_get(struct fuse_server *s, uint64_t fh, int dir);
void fuse_handle_close(struct fuse_server *s, struct fuse_handle *h);

/* fuse_ops.c: replies the handlers share. */
void fuse_fill_attr(struct fuse_attr *a, const struct stat *st);
/* An entry reply for node idx with attributes st. */
void fuse_fill_entry(const struct fuse_server *s, struct fuse_entry_out *e, uint32_t idx,
                     const struct stat *st);

/* The handlers (fuse_ops.c). */
typedef int fuse_handler(struct fuse_server *s, struct fuse_req *r);
fuse_handler fuse_op_lookup, fuse_op_getattr, fuse_op_setattr, fuse_op_readlink, fuse_op_symlink,
    fuse_op_mknod, fuse_op_mkdir, fuse_op_unlink, fuse_op_rmdir, fuse_op_rename, fuse_op_rename2,
    fuse_op_link, fuse_op_open, fuse_op_read, fuse_op_write, fuse_op_statfs, fuse_op_release,
    fuse_op_fsync, fuse_op_flush, fuse_op_opendir, fuse_op_readdir, fuse_op_readdirplus,
    fuse_op_releasedir, fuse_op_fsyncdir, fuse_op_access, fuse_op_create, fuse_op_lseek;

#endif
