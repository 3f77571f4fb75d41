/* Devices served over vhost-user on one event loop (see service.h). */
#include "service.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

int vhost_user_service_init(struct vhost_user_service *svc, char *err, size_t errlen)
{
	memset(svc, 0, sizeof(*svc));
	return event_init(&svc->ev, err, errlen);
}

/* A new device slot with its server listening at path. Returns it, or NULL with err. */
static struct vhost_user_device *service_new_device(struct vhost_user_service *svc, char *err,
                                                    size_t errlen)
{
	if (svc->ndevices == VHOST_USER_SERVICE_MAX) {
		error_set(err, errlen, "at most %d vhost-user devices", VHOST_USER_SERVICE_MAX);
		return NULL;
	}
	struct vhost_user_device *d = calloc(1, sizeof(*d));
	if (!d)
		error_set(err, errlen, "out of memory");
	return d;
}

/* Starts serving d's model (already given to d->server) on path, on the loop. */
static int service_listen(struct vhost_user_service *svc, struct vhost_user_device *d,
                          const char *path, char *err, size_t errlen)
{
	svc->devices[svc->ndevices++] = d; /* from here on, vhost_user_service_stop frees it */
	if (vhost_user_server_listen(&d->server, path, err, errlen))
		return -1;
	if (!event_add_input(&svc->ev, vhost_user_server_fd(&d->server), vhost_user_server_event,
	                     &d->server))
		return error_set(err, errlen, "%s: epoll_ctl: %s", path, strerror(errno));
	return 0;
}

int vhost_user_service_add_vsock(struct vhost_user_service *svc, const struct vsock_config *cfg,
                                 const char *path, char *err, size_t errlen)
{
	struct vhost_user_device *d = service_new_device(svc, err, errlen);
	if (!d)
		return -1;
	d->vsock_muxer = vsock_muxer_open(cfg, err, errlen);
	if (!d->vsock_muxer) {
		free(d);
		return -1;
	}
	struct virtio_vsock_backend be;
	vsock_muxer_backend(d->vsock_muxer, &be);
	virtio_vsock_init(&d->vsock, cfg->guest_cid, &be);
	if (vhost_user_server_init(&d->server, &virtio_vsock_ops, &d->vsock, err, errlen)) {
		vsock_muxer_close(d->vsock_muxer);
		if (d->fuse)
			fuse_server_close(d->fuse);
		free(d);
		return -1;
	}
	if (service_listen(svc, d, path, err, errlen))
		return -1;
	return vsock_muxer_attach(d->vsock_muxer, &d->server.dev, &svc->ev, err, errlen);
}

int vhost_user_service_add_fs(struct vhost_user_service *svc, const char *dir, int writable,
                              const char *tag, const char *path, char *err, size_t errlen)
{
	struct vhost_user_device *d = service_new_device(svc, err, errlen);
	if (!d)
		return -1;
	char why[200];
	d->fuse = fuse_server_open(dir, writable, NULL, why, sizeof(why));
	if (!d->fuse) {
		error_set(err, errlen, "--share %s: %s", dir, why);
		free(d);
		return -1;
	}
	if (virtio_fs_init(&d->fs, d->fuse, tag)) {
		error_set(err, errlen, "--share %s: tag '%s' is empty or too long", dir, tag);
		fuse_server_close(d->fuse);
		free(d);
		return -1;
	}
	if (vhost_user_server_init(&d->server, &virtio_fs_ops, &d->fs, err, errlen)) {
		fuse_server_close(d->fuse);
		free(d);
		return -1;
	}
	/* QEMU's vhost-user-fs-device keeps the config space (its tag=) itself and warns when a
	 * back end offers CONFIG. */
	d->server.offered_protocol_features &= ~(1ull << VHOST_USER_PROTOCOL_F_CONFIG);
	return service_listen(svc, d, path, err, errlen);
}

int vhost_user_service_start(struct vhost_user_service *svc, char *err, size_t errlen)
{
	return event_start(&svc->ev, err, errlen);
}

void vhost_user_service_stop(struct vhost_user_service *svc)
{
	event_stop(&svc->ev);
	for (unsigned i = 0; i < svc->ndevices; i++) {
		struct vhost_user_device *d = svc->devices[i];
		/* The connection first: its reset reaches the model and, through it, the back end.
		 */
		vhost_user_server_close(&d->server);
		vsock_muxer_close(d->vsock_muxer);
		if (d->fuse)
			fuse_server_close(d->fuse);
		free(d);
	}
	svc->ndevices = 0;
	event_destroy(&svc->ev);
}
