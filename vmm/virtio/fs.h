/* The virtio-fs device model (virtio 1.2 §5.11): a hiprio queue and one request queue, whose
 * chains each carry one FUSE request (device-readable buffers) and room for its reply
 * (device-writable ones), served in order by a FUSE server (vmm/backend/fuse.h) on whichever
 * thread the transport calls from (the event thread in the monitor). Transport-agnostic: the
 * same model runs behind virtio-mmio and behind the vhost-user server. */
#ifndef VMM_VIRTIO_FS_H
#define VMM_VIRTIO_FS_H

#include <sys/uio.h>

#include <toro/abi/virtio.h>

#include "backend/fuse.h"
#include "virtio/device.h"

#define VIRTIO_FS_TAG_MAX sizeof(((struct virtio_fs_config *)0)->tag)

struct virtio_fs {
	struct fuse_server *server; /* not owned */
	struct virtio_fs_config config;
	uint64_t requests; /* chains served */
	/* Scratch for one chain, kept here rather than on the event thread's stack. */
	struct vq_chain chain;
	struct iovec in[VQ_NUM_MAX], out[VQ_NUM_MAX];
};

extern const struct virtio_device_ops virtio_fs_ops;

/* Serves server under tag (at most VIRTIO_FS_TAG_MAX bytes, the mount tag the guest sees).
 * Returns 0, or -1 when the tag is empty or too long. */
int virtio_fs_init(struct virtio_fs *f, struct fuse_server *server, const char *tag);

#endif
