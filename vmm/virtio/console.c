/* virtio-console, port 0 (§5.3.6): transmitq buffers are written out in order and returned with
 * length 0 once the back end took all of them; device-writable buffers on the transmitq carry
 * nothing and are returned as they are. */
#include "console.h"

#include <string.h>

#include <toro/abi/virtio.h>

#define CONSOLE_QUEUES    2
#define CONSOLE_QUEUE_NUM VQ_NUM_MAX

void virtio_console_init(struct virtio_console *c, const struct virtio_console_backend *out)
{
	memset(c, 0, sizeof(*c));
	c->out = *out;
}

static void console_get_config(struct virtio_dev *d, uint32_t off, void *data, uint32_t len)
{
	(void)d;
	/* No F_SIZE, no F_MULTIPORT: the fields exist but mean nothing; report zeros. */
	struct virtio_console_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	memcpy(data, (const uint8_t *)&cfg + off, len);
}

/* Writes what is left of the pending chain. Returns 1 when all of it went out, 0 when the back
 * end is full (the position is kept). */
static int console_write_pending(struct virtio_console *c)
{
	for (; c->buf < c->chain.nbufs; c->buf++, c->done = 0) {
		const struct vq_buf *b = &c->chain.bufs[c->buf];
		if (b->device_writable)
			continue;
		while (c->done < b->len) {
			size_t n = c->out.write(c->out.ctx, (const char *)b->addr + c->done,
			                        b->len - c->done);
			if (n == 0)
				return 0;
			c->done += (uint32_t)n;
		}
	}
	return 1;
}

static void console_transmit(struct virtio_dev *d)
{
	struct virtio_console *c = d->priv;
	struct vq *q = &d->queues[VIRTIO_CONSOLE_TX_QUEUE];
	const char *why = NULL;
	int r = 0, used = 0;
	for (;;) {
		if (!c->pending) {
			r = vq_pop(q, d->mem, &c->chain, &why);
			if (r <= 0)
				break;
			c->pending = 1;
			c->buf = 0;
			c->done = 0;
		}
		if (!console_write_pending(c)) {
			c->out.wait_room(c->out.ctx);
			break;
		}
		vq_push(q, c->chain.head, 0);
		c->pending = 0;
		used = 1;
	}
	if (used)
		virtio_dev_used(d, VIRTIO_CONSOLE_TX_QUEUE);
	if (r < 0)
		virtio_dev_fail(d, why);
}

void virtio_console_resume(struct virtio_dev *d)
{
	/* Only a chain taken while the device was live waits; after it, whatever the driver
	 * queued meanwhile (its notifications found the back end full). */
	struct virtio_console *c = d->priv;
	if (c->pending && d->queues[VIRTIO_CONSOLE_TX_QUEUE].ready)
		console_transmit(d);
}

static void console_notify_vq(struct virtio_dev *d, unsigned q)
{
	if (q == VIRTIO_CONSOLE_TX_QUEUE)
		console_transmit(d);
	/* receiveq: buffers wait for input we do not have yet */
}

static void console_reset(struct virtio_dev *d)
{
	struct virtio_console *c = d->priv;
	c->pending = 0; /* the driver took its buffers back */
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
    .reset = console_reset,
};
