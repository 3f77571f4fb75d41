/* A vhost-user back end (QEMU's docs/interop/vhost-user.rst) serving one virtio device model
 * (virtio/device.h) to a front end such as QEMU over a Unix socket: the second transport beside
 * virtio-mmio. Guest memory arrives as file descriptors (SET_MEM_TABLE) and fills the same
 * region table the built-in monitor uses, so a model's guest_ptr() checks work unchanged; ring
 * addresses, given as front-end virtual addresses, are translated to guest-physical ones and
 * checked like the driver's own. Kicks arrive on eventfds, interrupts leave on eventfds.
 *
 * The server owns an epoll set of its own (listening socket, connection, kick eventfds), so an
 * event loop watches one file descriptor for it (vhost_user_server_fd) and calls
 * vhost_user_server_event when it is readable. A front end that breaks the protocol (a bad size,
 * an unknown request, a message out of order, missing or extra file descriptors, memory it
 * cannot describe) has its connection closed with one line on stderr; the server then waits for
 * the next front end. */
#ifndef VMM_VHOST_USER_SERVER_H
#define VMM_VHOST_USER_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "kvm/guest.h"
#include "vhost-user/protocol.h"
#include "virtio/device.h"

/* Memory mappings kept at once: the current table's and those of tables replaced while the
 * model may still hold buffers in them (unmapped at the next device reset). */
#define VHOST_USER_MAPPINGS_MAX (4 * VHOST_USER_MAX_REGIONS)

struct vhost_user_vring {
	uint32_t num;                           /* SET_VRING_NUM */
	uint64_t desc_uva, avail_uva, used_uva; /* SET_VRING_ADDR, front-end addresses */
	int addr_set;
	uint16_t base;                /* SET_VRING_BASE: the next available index to read */
	int kick_fd, call_fd, err_fd; /* -1 when not given */
	int started;                  /* between SET_VRING_KICK and GET_VRING_BASE */
	int enabled;                  /* SET_VRING_ENABLE, or started without protocol features */
};

/* Where a region of the memory table lives in the front end's address space. */
struct vhost_user_uva_region {
	uint64_t gpa, size, uva;
};

struct vhost_user_mapping {
	void *addr;
	size_t len;
};

struct vhost_user_server {
	struct virtio_dev dev; /* the model and its queues; dev.mem points at mem */
	struct guest_mem mem;
	struct vhost_user_uva_region uva[GUEST_REGIONS_MAX];
	unsigned nuva;
	struct vhost_user_mapping maps[VHOST_USER_MAPPINGS_MAX];
	unsigned nmaps, current_maps; /* the last current_maps of maps are the current table's */

	int epoll_fd, listen_fd, conn_fd;
	char *path; /* the socket we bound, unlinked at close */
	/* Protocol features offered: VHOST_USER_PROTOCOL_FEATURES unless the device's front end
	 * is known to want fewer (QEMU warns about CONFIG offered to a device that never asks). */
	uint64_t offered_protocol_features;
	int quiet;     /* no messages on stderr (the fuzzer) */
	int trace;     /* one line on stderr per request (TORO_VHOST_USER_TRACE, for debugging) */
	char why[200]; /* why the last connection was closed, "" if it was not */

	/* Session state, cleared for each connection. */
	int owner;
	uint64_t protocol_features;
	int protocol_features_acked; /* VHOST_USER_F_PROTOCOL_FEATURES in SET_FEATURES */
	int failed; /* the model broke (virtio_dev_fail): no more work until a reset */
	struct vhost_user_vring vrings[VIRTIO_MAX_QUEUES];

	/* A message being received: bytes and the descriptors that came with them. */
	uint8_t rx[VHOST_USER_MSG_MAX];
	size_t rx_len;
	int rx_fds[VHOST_USER_MAX_FDS];
	unsigned rx_nfds;
};

/* Sets up the server for model ops with state priv. Returns 0, or -1 with one line in err. */
int vhost_user_server_init(struct vhost_user_server *s, const struct virtio_device_ops *ops,
                           void *priv, char *err, size_t errlen);

/* Listens on a new Unix socket at path (which must not exist). Returns 0 or -1 with err. */
int vhost_user_server_listen(struct vhost_user_server *s, const char *path, char *err,
                             size_t errlen);

/* Serves a connected socket (taking it over), replacing any connection. Returns 0 or -1. */
int vhost_user_server_attach(struct vhost_user_server *s, int fd, char *err, size_t errlen);

/* The file descriptor an event loop watches for input. */
static inline int vhost_user_server_fd(const struct vhost_user_server *s)
{
	return s->epoll_fd;
}

/* Does whatever is ready: accepts, reads messages, handles kicks; never blocks. An event_fn. */
void vhost_user_server_event(void *ctx, uint32_t events);

/* Handles one complete message whose payload is msg->hdr.size bytes, with the nfds descriptors
 * that came with it (always taken over: used or closed). Returns 0, or -1 after closing the
 * connection (the reason in s->why). */
int vhost_user_server_handle(struct vhost_user_server *s, const struct vhost_user_msg *msg,
                             const int *fds, unsigned nfds);

/* Ends the connection, if any: rings stopped, memory unmapped, the model reset. */
void vhost_user_server_disconnect(struct vhost_user_server *s, const char *why);

/* Ends everything: connection, listening socket (its file removed), epoll set. */
void vhost_user_server_close(struct vhost_user_server *s);

#endif
