/* The FUSE server over a host directory (protocol 7.31+, linux/fuse.h), for the virtio-fs device
 * model (vmm/virtio/fs.c) and the vhost-user server alike: it takes one request as the bytes of
 * a descriptor chain's device-readable buffers and writes the reply into its device-writable
 * ones. It knows nothing of virtqueues or guest memory.
 *
 * The guest is an attacker. Every node is an O_PATH descriptor beneath the shared directory,
 * reached one name at a time with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS); symlinks are
 * returned to the guest, never followed by the server; names are single components ("." and
 * ".." are refused: the guest's VFS resolves them); node ids and file handles index tables and
 * are checked with a generation; the tables are bounded. docs/files.md says what this
 * guarantees. */
#ifndef VMM_BACKEND_FUSE_H
#define VMM_BACKEND_FUSE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* The largest READ or WRITE payload (INIT's max_write; reads get at most this much). */
#define FUSE_SERVER_IO_MAX (128u * 1024)

/* How many nodes (looked-up files) and open handles one guest may hold by default; beyond
 * them a request fails with ENFILE. Each is one host file descriptor. */
#define FUSE_SERVER_NODES_DEFAULT   8192
#define FUSE_SERVER_HANDLES_DEFAULT 1024

/* Attribute and entry timeouts the guest is given, in seconds. */
#define FUSE_SERVER_TIMEOUT_SEC 1

struct fuse_server;

struct fuse_server_limits {
	unsigned nodes;   /* including the root; at least 1 */
	unsigned handles; /* open files and directories */
};

/* Serves dir, read-only unless writable. limits NULL: the defaults. Returns the server, or
 * NULL with one line in err (the directory cannot be opened, or out of memory). */
struct fuse_server *fuse_server_open(const char *dir, int writable,
                                     const struct fuse_server_limits *limits, char *err,
                                     size_t errlen);
void fuse_server_close(struct fuse_server *s);

/* Back to the state before INIT: every node but the root forgotten, every handle closed (the
 * driver reset the device, or sent DESTROY). */
void fuse_server_reset(struct fuse_server *s);

/* Serves one request: in[0..nin) hold the request (its header's len bytes, at most), the reply
 * goes into out[0..nout). Returns the reply's length in bytes, 0 when there is none (FORGET,
 * BATCH_FORGET, INTERRUPT, or a request too short to have a header). Never fails otherwise: a
 * bad request gets an error reply. Not thread-safe: one caller at a time per server. */
size_t fuse_server_handle(struct fuse_server *s, const struct iovec *in, unsigned nin,
                          const struct iovec *out, unsigned nout);

/* How many nodes and handles the guest holds now (tests, stats). */
unsigned fuse_server_nodes_in_use(const struct fuse_server *s);
unsigned fuse_server_handles_in_use(const struct fuse_server *s);

#endif
