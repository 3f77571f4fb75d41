/* virtio-fs (§5.11): each chain on the hiprio queue or the request queue is one FUSE request,
 * its device-readable buffers first and the device-writable ones (for the reply) after them
 * (§5.11.6.1); the reply's length is what the chain is returned with. The FUSE server answers
 * every request at once, so chains are used in the order they were made available. */
#include "fs.h"

#include <string.h>

#define FS_QUEUES    (1 + 1) /* hiprio and one request queue */
#define FS_QUEUE_NUM VQ_NUM_MAX

int virtio_fs_init(struct virtio_fs *f, struct fuse_server *server, const char *tag)
{
	size_t n = strlen(tag);
	if (n == 0 || n > VIRTIO_FS_TAG_MAX)
		return -1;
	memset(f, 0, sizeof(*f));
	f->server = server;
	memcpy(f->config.tag, tag, n); /* NUL-padded; not terminated when it fills the field */
	f->config.num_request_queues = FS_QUEUES - 1;
	return 0;
}

static void fs_get_config(struct virtio_dev *d, uint32_t off, void *data, uint32_t len)
{
	struct virtio_fs *f = d->priv;
	memcpy(data, (const uint8_t *)&f->config + off, len);
}

/* Serves one chain; returns the reply's length, or -1 with *why for a chain whose readable
 * and writable buffers are interleaved. */
static long fs_serve_chain(struct virtio_fs *f, const char **why)
{
	unsigned nin = 0, nout = 0;
	for (unsigned i = 0; i < f->chain.nbufs; i++) {
		const struct vq_buf *b = &f->chain.bufs[i];
		if (!b->device_writable && nout) {
			*why = "virtio-fs: a device-readable buffer after a device-writable one";
			return -1;
		}
		struct iovec *v = b->device_writable ? &f->out[nout++] : &f->in[nin++];
		v->iov_base = b->addr;
		v->iov_len = b->len;
	}
	f->requests++;
	return (long)fuse_server_handle(f->server, f->in, nin, f->out, nout);
}

static void fs_notify_vq(struct virtio_dev *d, unsigned q)
{
	struct virtio_fs *f = d->priv;
	if (q >= FS_QUEUES)
		return;
	struct vq *vq = &d->queues[q];
	const char *why = NULL;
	int r, used = 0;
	while ((r = vq_pop(vq, d->mem, &f->chain, &why)) > 0) {
		long len = fs_serve_chain(f, &why);
		if (len < 0) {
			r = -1;
			break;
		}
		vq_push(vq, f->chain.head, (uint32_t)len);
		used = 1;
	}
	if (used)
		virtio_dev_used(d, q);
	if (r < 0)
		virtio_dev_fail(d, why);
}

static void fs_reset(struct virtio_dev *d)
{
	struct virtio_fs *f = d->priv;
	fuse_server_reset(f->server); /* the driver's nodes and handles went with it */
}

const struct virtio_device_ops virtio_fs_ops = {
    .name = "virtio-fs",
    .device_id = VIRTIO_ID_FS,
    .features = 0, /* no VIRTIO_FS_F_NOTIFICATION */
    .num_queues = FS_QUEUES,
    .queue_num_max = FS_QUEUE_NUM,
    .config_size = sizeof(struct virtio_fs_config),
    .get_config = fs_get_config,
    .set_config = NULL,
    .notify_vq = fs_notify_vq,
    .reset = fs_reset,
};
