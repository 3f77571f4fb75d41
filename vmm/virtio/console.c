/* virtio-console, port 0 (§5.3.6): transmitq buffers are written out in order and returned with
 * length 0; device-writable buffers on the transmitq carry nothing and are returned as they are. */
#include "console.h"

#include <string.h>

#include <toro/abi/virtio.h>

#define CONSOLE_QUEUES    2
#define CONSOLE_QUEUE_NUM VQ_NUM_MAX

void virtio_console_init(struct virtio_console *c,
                         void (*output)(void *ctx, const void *data, size_t len), void *ctx)
{
	c->output = output;
	c->output_ctx = ctx;
}

static void console_get_config(struct virtio_dev *d, uint32_t off, void *data, uint32_t len)
{
	(void)d;
	/* No F_SIZE, no F_MULTIPORT: the fields exist but mean nothing; report zeros. */
	struct virtio_console_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	memcpy(data, (const uint8_t *)&cfg + off, len);
}

static int console_transmit(struct virtio_dev *d, const char **why)
{
	struct virtio_console *c = d->priv;
	struct vq *q = &d->queues[VIRTIO_CONSOLE_TX_QUEUE];
	struct vq_chain chain;
	int r, used = 0;
	while ((r = vq_pop(q, d->mem, &chain, why)) > 0) {
		for (unsigned i = 0; i < chain.nbufs; i++)
			if (!chain.bufs[i].device_writable)
				c->output(c->output_ctx, chain.bufs[i].addr, chain.bufs[i].len);
		vq_push(q, chain.head, 0);
		used = 1;
	}
	if (used)
		virtio_dev_used(d, VIRTIO_CONSOLE_TX_QUEUE);
	return r < 0 ? -1 : 0;
}

static int console_notify_vq(struct virtio_dev *d, unsigned q, const char **why)
{
	if (q == VIRTIO_CONSOLE_TX_QUEUE)
		return console_transmit(d, why);
	return 0; /* receiveq: buffers wait for input we do not have yet */
}

const struct virtio_device_ops virtio_console_ops = {
    .name = "virtio-console",
    .device_id = VIRTIO_ID_CONSOLE,
    .features = 0,
    .num_queues = CONSOLE_QUEUES,
    .queue_num_max = CONSOLE_QUEUE_NUM,
    .config_size = sizeof(struct virtio_console_config),
    .get_config = console_get_config,
    .set_config = NULL,
    .notify_vq = console_notify_vq,
    .reset = NULL,
};
