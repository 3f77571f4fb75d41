/* The vsock muxer: the host side of the guest's vsock connections, Firecracker's "hybrid vsock"
 * (docs/networking.md). A host program connects to the Unix socket PATH, writes
 * "CONNECT <port>\n", reads "OK <hostport>\n" and talks to the guest's port; a guest connecting
 * to the host (CID 2) port P reaches the Unix socket PATH_P; each --forward TCP listener
 * carries its connections to one guest port. It is the back end of the virtio-vsock model
 * (virtio/vsock.h) and runs on an event loop it is given, with no KVM in sight, so the monitor
 * and a vhost-user server run the same code. */
#ifndef VMM_BACKEND_VSOCK_H
#define VMM_BACKEND_VSOCK_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "virtio/vsock.h"

#define VSOCK_GUEST_CID_DEFAULT 3
#define VSOCK_FORWARDS_MAX      16
#define VSOCK_HOLD_MS_DEFAULT   5000 /* how long a host connection waits for the guest */

struct vsock_forward {
	uint32_t addr; /* IPv4, network byte order */
	uint16_t host_port;
	uint32_t guest_port;
};

/* What the command line asked for (parsed by tools/options.c). */
struct vsock_config {
	int enabled;          /* a vsock device at all */
	uint64_t guest_cid;   /* 3 up to 0xfffffffe */
	const char *uds_path; /* --vsock PATH, or NULL */
	int nforwards;
	struct vsock_forward forwards[VSOCK_FORWARDS_MAX];
	unsigned hold_ms; /* 0: VSOCK_HOLD_MS_DEFAULT */
};

struct vsock_muxer;

/* Binds the listeners (PATH and every forward) so that a clash is found before the guest
 * boots: a path too long or taken by something other than a socket, an address in use. A stale
 * socket file at PATH is replaced. Returns the muxer, or NULL with one line in err. */
struct vsock_muxer *vsock_muxer_open(const struct vsock_config *cfg, char *err, size_t errlen);

/* The virtio-vsock back end that is m. */
void vsock_muxer_backend(struct vsock_muxer *m, struct virtio_vsock_backend *be);

/* Starts serving d (whose model is a virtio_vsock with m's back end) on ev: the listeners and
 * every connection become sources of ev, and their work runs on ev's dispatching thread under
 * d's lock. Returns 0, or -1 with one line in err. */
int vsock_muxer_attach(struct vsock_muxer *m, struct virtio_dev *d, struct event_loop *ev,
                       char *err, size_t errlen);

/* Closes every connection (host peers see the end of their stream) and listener, removes the
 * Unix socket file and frees m. The loop is not running, or this is its thread. */
void vsock_muxer_close(struct vsock_muxer *m);

/* Counts, for tests and --stats. */
struct vsock_muxer_stats {
	int connections, held;
	uint64_t rst_sent, bytes_to_guest, bytes_from_guest;
	size_t buffered; /* bytes from the guest waiting for slow host readers */
};
void vsock_muxer_get_stats(const struct vsock_muxer *m, struct vsock_muxer_stats *s);

#endif
