/* virtio-console (§5.3). Single-port (virtio_console_ops): port 0's transmitq buffers are written
 * out in order and returned with length 0 once the back end took all of them; device-writable
 * buffers on the transmitq carry nothing and are returned as they are. With MULTIPORT
 * (virtio_console_multiport_ops, §5.3.6.2) three ports as the kernel uses them
 * (include/toro/abi/virtio.h): port 0 the console (stderr), port 1 stdout, both written the same
 * way, and port 2 stdin, read from the input back end only into receive buffers the driver
 * gave, only while the driver has the port open; its end is PORT_OPEN 0. */
#include "console.h"

#include <string.h>

#include <toro/abi/virtio.h>

#define CONSOLE_QUEUES           2
#define CONSOLE_MULTIPORT_QUEUES 8 /* port 0, control, ports 1 and 2 */
#define CONSOLE_QUEUE_NUM        VQ_NUM_MAX

static void console_common_init(struct virtio_console *c)
{
	memset(c, 0, sizeof(*c));
}

void virtio_console_init(struct virtio_console *c, const struct virtio_console_backend *out)
{
	console_common_init(c);
	c->ports[0].out = *out;
}

void virtio_console_init_multiport(struct virtio_console *c,
                                   const struct virtio_console_backend *err,
                                   const struct virtio_console_backend *out,
                                   const struct virtio_console_input *in)
{
	console_common_init(c);
	c->multiport = 1;
	c->ports[0].out = *err;
	c->ports[1].out = *out;
	c->in = *in;
}

static void console_get_config(struct virtio_dev *d, uint32_t off, void *data, uint32_t len)
{
	struct virtio_console *c = d->priv;
	/* No F_SIZE: cols and rows mean nothing; max_nr_ports only with MULTIPORT. */
	struct virtio_console_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	if (c->multiport)
		cfg.max_nr_ports = VIRTIO_CONSOLE_PORTS;
	memcpy(data, (const uint8_t *)&cfg + off, len);
}

/* Writes what is left of the port's pending chain. Returns 1 when all of it went out, 0 when
 * the back end is full (the position is kept). */
static int console_write_pending(struct virtio_console_port *p)
{
	for (; p->buf < p->chain.nbufs; p->buf++, p->done = 0) {
		const struct vq_buf *b = &p->chain.bufs[p->buf];
		if (b->device_writable)
			continue;
		while (p->done < b->len) {
			size_t n = p->out.write(p->out.ctx, (const char *)b->addr + p->done,
			                        b->len - p->done);
			if (n == 0)
				return 0;
			p->done += (uint32_t)n;
		}
	}
	return 1;
}

static void console_transmit(struct virtio_dev *d, unsigned port, unsigned qi)
{
	struct virtio_console *c = d->priv;
	struct virtio_console_port *p = &c->ports[port];
	struct vq *q = &d->queues[qi];
	const char *why = NULL;
	int r = 0, used = 0;
	for (;;) {
		if (!p->pending) {
			r = vq_pop(q, d->mem, &p->chain, &why);
			if (r <= 0)
				break;
			p->pending = 1;
			p->buf = 0;
			p->done = 0;
		}
		if (!console_write_pending(p)) {
			p->out.wait_room(p->out.ctx);
			break;
		}
		vq_push(q, p->chain.head, 0);
		p->pending = 0;
		used = 1;
	}
	if (used)
		virtio_dev_used(d, qi);
	if (r < 0)
		virtio_dev_fail(d, why);
}

/* The first buffer of c's scratch chain that the device may write (the driver's receive
 * buffers are single ones, but any shape is accepted). */
static const struct vq_buf *console_writable(const struct vq_chain *ch)
{
	for (unsigned i = 0; i < ch->nbufs; i++)
		if (ch->bufs[i].device_writable)
			return &ch->bufs[i];
	return NULL;
}

/* Hands queued control messages to the driver, one per control receive buffer. */
static void console_control_deliver(struct virtio_dev *d)
{
	struct virtio_console *c = d->priv;
	struct vq *q = &d->queues[VIRTIO_CONSOLE_CTRL_RX_QUEUE];
	const char *why = NULL;
	int used = 0;
	while (c->ctrl_count && q->ready) {
		int r = vq_pop(q, d->mem, &c->scratch, &why);
		if (r < 0) {
			virtio_dev_fail(d, why);
			return;
		}
		if (r == 0)
			break;
		const struct vq_buf *b = console_writable(&c->scratch);
		if (!b || b->len < sizeof(struct virtio_console_control)) {
			virtio_dev_fail(d, "control receive buffer too small");
			return;
		}
		memcpy(b->addr, &c->ctrl[c->ctrl_head], sizeof(struct virtio_console_control));
		c->ctrl_head = (c->ctrl_head + 1) % VIRTIO_CONSOLE_CTRL_MAX;
		c->ctrl_count--;
		vq_push(q, c->scratch.head, sizeof(struct virtio_console_control));
		used = 1;
	}
	if (used)
		virtio_dev_used(d, VIRTIO_CONSOLE_CTRL_RX_QUEUE);
}

static void console_control_queue(struct virtio_console *c, uint32_t id, uint16_t event,
                                  uint16_t value)
{
	/* The driver's messages are answered with at most two each, for three ports: never more
	 * than fit unless the driver repeats itself without taking our answers, which loses only
	 * its own answers. */
	if (c->ctrl_count == VIRTIO_CONSOLE_CTRL_MAX)
		return;
	c->ctrl[(c->ctrl_head + c->ctrl_count++) % VIRTIO_CONSOLE_CTRL_MAX] =
	    (struct virtio_console_control){id, event, value};
}

static void console_input(struct virtio_dev *d);

/* One message from the driver (§5.3.6.2). */
static void console_control_handle(struct virtio_dev *d, const struct virtio_console_control *m)
{
	struct virtio_console *c = d->priv;
	switch (m->event) {
	case VIRTIO_CONSOLE_DEVICE_READY:
		if (m->value)
			for (uint32_t p = 0; p < VIRTIO_CONSOLE_PORTS; p++)
				console_control_queue(c, p, VIRTIO_CONSOLE_DEVICE_ADD, 1);
		break;
	case VIRTIO_CONSOLE_PORT_READY:
		if (!m->value || m->id >= VIRTIO_CONSOLE_PORTS)
			break;
		if (m->id == 0)
			console_control_queue(c, 0, VIRTIO_CONSOLE_CONSOLE_PORT, 1);
		/* The host side is open, except stdin once it ended: the driver takes a port it
		 * is not told is open as closed. */
		if (m->id != VIRTIO_CONSOLE_PORT_IN || !c->in_ended)
			console_control_queue(c, m->id, VIRTIO_CONSOLE_PORT_OPEN, 1);
		break;
	case VIRTIO_CONSOLE_PORT_OPEN:
		if (m->id == VIRTIO_CONSOLE_PORT_IN) {
			c->in_open = m->value != 0;
			console_input(d);
		}
		break;
	default:
		break;
	}
}

static void console_control_receive(struct virtio_dev *d)
{
	struct virtio_console *c = d->priv;
	struct vq *q = &d->queues[VIRTIO_CONSOLE_CTRL_TX_QUEUE];
	const char *why = NULL;
	int r, used = 0;
	while ((r = vq_pop(q, d->mem, &c->scratch, &why)) > 0) {
		struct virtio_console_control m;
		size_t got = 0;
		for (unsigned i = 0; i < c->scratch.nbufs && got < sizeof(m); i++) {
			const struct vq_buf *b = &c->scratch.bufs[i];
			if (b->device_writable)
				continue;
			size_t n = b->len < sizeof(m) - got ? b->len : sizeof(m) - got;
			memcpy((char *)&m + got, b->addr, n);
			got += n;
		}
		vq_push(q, c->scratch.head, 0);
		used = 1;
		if (got == sizeof(m))
			console_control_handle(d, &m);
	}
	if (used)
		virtio_dev_used(d, VIRTIO_CONSOLE_CTRL_TX_QUEUE);
	if (r < 0)
		virtio_dev_fail(d, why);
	console_control_deliver(d);
}

/* Fills port 2's receive buffers from the input back end, never reading more than they hold;
 * at the end of input, tells the driver the port closed. */
static void console_input(struct virtio_dev *d)
{
	struct virtio_console *c = d->priv;
	struct vq *q = &d->queues[VIRTIO_CONSOLE_PORT_RXQ(VIRTIO_CONSOLE_PORT_IN)];
	const char *why = NULL;
	int used = 0;
	while (c->in_open && !c->in_ended && q->ready) {
		int r = vq_pop(q, d->mem, &c->scratch, &why);
		if (r < 0) {
			virtio_dev_fail(d, why);
			return;
		}
		if (r == 0)
			break; /* no buffers: read nothing until the driver gives some */
		const struct vq_buf *b = console_writable(&c->scratch);
		if (!b) {
			vq_push(q, c->scratch.head, 0);
			used = 1;
			continue;
		}
		long n = c->in.read(c->in.ctx, b->addr, b->len);
		if (n > 0) {
			vq_push(q, c->scratch.head, (uint32_t)n);
			used = 1;
			continue;
		}
		vq_unpop(q);
		if (n < 0) {
			c->in.wait_input(c->in.ctx);
			break;
		}
		c->in_ended = 1;
		console_control_queue(c, VIRTIO_CONSOLE_PORT_IN, VIRTIO_CONSOLE_PORT_OPEN, 0);
		console_control_deliver(d);
	}
	if (used)
		virtio_dev_used(d, VIRTIO_CONSOLE_PORT_RXQ(VIRTIO_CONSOLE_PORT_IN));
}

void virtio_console_input_ready(struct virtio_dev *d)
{
	struct virtio_console *c = d->priv;
	if (c->multiport)
		console_input(d);
}

void virtio_console_resume(struct virtio_dev *d)
{
	/* Only a chain taken while the device was live waits; after it, whatever the driver
	 * queued meanwhile (its notifications found the back end full). */
	struct virtio_console *c = d->priv;
	if (c->ports[0].pending && d->queues[VIRTIO_CONSOLE_TX_QUEUE].ready)
		console_transmit(d, 0, VIRTIO_CONSOLE_TX_QUEUE);
	unsigned q1 = VIRTIO_CONSOLE_PORT_TXQ(VIRTIO_CONSOLE_PORT_OUT);
	if (c->multiport && c->ports[1].pending && d->queues[q1].ready)
		console_transmit(d, 1, q1);
}

static void console_notify_vq(struct virtio_dev *d, unsigned q)
{
	struct virtio_console *c = d->priv;
	if (q == VIRTIO_CONSOLE_TX_QUEUE)
		console_transmit(d, 0, q);
	else if (!c->multiport)
		return; /* receiveq: there is no input without MULTIPORT */
	else if (q == VIRTIO_CONSOLE_PORT_TXQ(VIRTIO_CONSOLE_PORT_OUT))
		console_transmit(d, 1, q);
	else if (q == VIRTIO_CONSOLE_CTRL_TX_QUEUE)
		console_control_receive(d);
	else if (q == VIRTIO_CONSOLE_CTRL_RX_QUEUE)
		console_control_deliver(d);
	else if (q == VIRTIO_CONSOLE_PORT_RXQ(VIRTIO_CONSOLE_PORT_IN))
		console_input(d);
	/* port 0's and port 1's receiveqs and port 2's transmitq: nothing travels there */
}

static void console_reset(struct virtio_dev *d)
{
	/* The driver took its buffers back; what it was told is forgotten, but stdin that ended
	 * stays ended. */
	struct virtio_console *c = d->priv;
	c->ports[0].pending = c->ports[1].pending = 0;
	c->ctrl_head = c->ctrl_count = 0;
	c->in_open = 0;
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

const struct virtio_device_ops virtio_console_multiport_ops = {
    .name = "virtio-console",
    .device_id = VIRTIO_ID_CONSOLE,
    .features = 1ull << VIRTIO_CONSOLE_F_MULTIPORT,
    .num_queues = CONSOLE_MULTIPORT_QUEUES,
    .queue_num_max = CONSOLE_QUEUE_NUM,
    .config_size = sizeof(struct virtio_console_config),
    .get_config = console_get_config,
    .set_config = NULL,
    .notify_vq = console_notify_vq,
    .reset = console_reset,
};
