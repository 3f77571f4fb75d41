/* Devices served to a vhost-user front end (QEMU) rather than to our own guest: each is a
 * device model, its back end and a vhost-user server on its own Unix socket, and all of them run
 * on one event loop (event.h), as the built-in monitor runs the same models and back ends. Used
 * by `toro vhost-user` (one device, until a signal) and by `toro run --vmm qemu` (its devices,
 * for as long as QEMU runs). */
#ifndef VMM_VHOST_USER_SERVICE_H
#define VMM_VHOST_USER_SERVICE_H

#include <stddef.h>

#include "backend/fuse.h"
#include "backend/vsock.h"
#include "event.h"
#include "vhost-user/server.h"
#include "virtio/fs.h"
#include "virtio/vsock.h"

#define VHOST_USER_SERVICE_MAX 8 /* devices: as many as QEMU's microvm has virtio-mmio slots */

struct vhost_user_device {
	struct vhost_user_server server;
	struct vsock_muxer *vsock_muxer; /* the vsock device's back end, or NULL */
	struct virtio_vsock vsock;
	struct fuse_server *fuse; /* the virtio-fs device's back end, or NULL */
	struct virtio_fs fs;
};

struct vhost_user_service {
	struct event_loop ev;
	unsigned ndevices;
	struct vhost_user_device *devices[VHOST_USER_SERVICE_MAX];
};

/* Returns 0, or -1 with one line in err. */
int vhost_user_service_init(struct vhost_user_service *svc, char *err, size_t errlen);

/* Adds a virtio-vsock device with cfg's host side (the muxer: --vsock, --forward, --cid),
 * served on a new socket at path. Returns 0, or -1 with one line in err. */
int vhost_user_service_add_vsock(struct vhost_user_service *svc, const struct vsock_config *cfg,
                                 const char *path, char *err, size_t errlen);

/* Adds a virtio-fs device serving the host directory dir (read-only unless writable) under
 * tag, on a new socket at path. Returns 0, or -1 with one line in err. */
int vhost_user_service_add_fs(struct vhost_user_service *svc, const char *dir, int writable,
                              const char *tag, const char *path, char *err, size_t errlen);

/* Starts the event thread. Returns 0, or -1 with one line in err. */
int vhost_user_service_start(struct vhost_user_service *svc, char *err, size_t errlen);

/* Stops the thread, closes every connection and listener and removes the socket files. */
void vhost_user_service_stop(struct vhost_user_service *svc);

#endif
