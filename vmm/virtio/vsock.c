/* virtio-vsock (§5.10.6): packets are a struct virtio_vsock_hdr followed by len bytes, either
 * split over a chain's buffers however the driver likes. Transmit chains are returned with
 * length 0, receive chains with the bytes written. The event queue keeps the driver's buffers:
 * the one event (transport reset, for migration) never happens here. */
#include "vsock.h"

#include <string.h>

#define VSOCK_QUEUES    3
#define VSOCK_QUEUE_NUM VQ_NUM_MAX
#define VSOCK_HDR_SIZE  sizeof(struct virtio_vsock_hdr)

void virtio_vsock_init(struct virtio_vsock *v, uint64_t guest_cid,
                       const struct virtio_vsock_backend *be)
{
	memset(v, 0, sizeof(*v));
	v->guest_cid = guest_cid;
	v->be = *be;
}

static void vsock_get_config(struct virtio_dev *d, uint32_t off, void *data, uint32_t len)
{
	struct virtio_vsock *v = d->priv;
	struct virtio_vsock_config cfg = {.guest_cid = v->guest_cid};
	memcpy(data, (const uint8_t *)&cfg + off, len);
}

/* The chain's buffers of one direction (device-writable or not) from byte skip on, as iovecs
 * into iov (VSOCK_IOV_MAX). Returns how many; *total gets their bytes. */
static int vsock_chain_iov(const struct vq_chain *c, int writable, size_t skip, struct iovec *iov,
                           size_t *total)
{
	int n = 0;
	*total = 0;
	for (unsigned i = 0; i < c->nbufs; i++) {
		const struct vq_buf *b = &c->bufs[i];
		if (b->device_writable != writable)
			continue;
		if (skip >= b->len) {
			skip -= b->len;
			continue;
		}
		iov[n++] = (struct iovec){(char *)b->addr + skip, b->len - skip};
		*total += b->len - skip;
		skip = 0;
	}
	return n;
}

/* Copies len bytes between buf and the front of the chain's buffers of one direction; returns
 * how many fitted. The guest may change its buffers under us: we copy, never read twice. */
static size_t vsock_chain_copy(const struct vq_chain *c, int writable, void *buf, size_t len)
{
	size_t done = 0;
	for (unsigned i = 0; i < c->nbufs && done < len; i++) {
		const struct vq_buf *b = &c->bufs[i];
		if (b->device_writable != writable)
			continue;
		size_t n = len - done < b->len ? len - done : b->len;
		if (writable)
			memcpy(b->addr, (char *)buf + done, n);
		else
			memcpy((char *)buf + done, b->addr, n);
		done += n;
	}
	return done;
}

/* Cuts iov down to len bytes; returns the count left. */
static int vsock_iov_trim(struct iovec *iov, int n, size_t len)
{
	for (int i = 0; i < n; i++) {
		if (iov[i].iov_len >= len) {
			iov[i].iov_len = len;
			return len ? i + 1 : i;
		}
		len -= iov[i].iov_len;
	}
	return n;
}

/* One transmit chain: a packet for the back end, or dropped when malformed (§5.10.6.3: the
 * device must check it; nothing says how to answer, and without a trusted header there is no
 * one to answer). */
static void vsock_tx_one(struct virtio_vsock *v, const struct vq_chain *c)
{
	struct virtio_vsock_hdr h;
	struct iovec iov[VSOCK_IOV_MAX];
	size_t room;
	if (vsock_chain_copy(c, 0, &h, VSOCK_HDR_SIZE) < VSOCK_HDR_SIZE)
		goto malformed;
	int n = vsock_chain_iov(c, 0, VSOCK_HDR_SIZE, iov, &room);
	if (h.len > room || h.len > VSOCK_PAYLOAD_MAX)
		goto malformed;
	if (h.src_cid != v->guest_cid || h.dst_cid != VSOCK_CID_HOST)
		goto malformed;
	n = vsock_iov_trim(iov, n, h.len);
	v->be.recv(v->be.ctx, &h, iov, n);
	return;
malformed:
	v->malformed++;
}

/* Returns whether it took a chain; *why set when the ring is broken. */
static int vsock_transmit(struct virtio_dev *d, const char **why)
{
	struct virtio_vsock *v = d->priv;
	struct vq *q = &d->queues[VIRTIO_VSOCK_TX_QUEUE];
	int took = 0, r;
	while (v->be.can_recv(v->be.ctx) && (r = vq_pop(q, d->mem, &v->chain, why)) > 0) {
		vsock_tx_one(v, &v->chain);
		vq_push(q, v->chain.head, 0);
		took = 1;
	}
	if (took)
		virtio_dev_used(d, VIRTIO_VSOCK_TX_QUEUE);
	return took;
}

/* Fills one receive chain. Returns 1 if used, 0 if the back end had nothing (the chain goes
 * back to the ring), -1 with *why for a chain that cannot hold a header. */
static int vsock_receive_one(struct virtio_vsock *v, const struct vq_chain *c, uint32_t *used,
                             const char **why)
{
	struct iovec iov[VSOCK_IOV_MAX];
	size_t room, all;
	vsock_chain_iov(c, 1, 0, iov, &all);
	if (all < VSOCK_HDR_SIZE) {
		*why = "vsock receive buffer smaller than a packet header";
		return -1;
	}
	int n = vsock_chain_iov(c, 1, VSOCK_HDR_SIZE, iov, &room);
	if (room > VSOCK_PAYLOAD_MAX)
		room = VSOCK_PAYLOAD_MAX;
	n = vsock_iov_trim(iov, n, room);
	struct virtio_vsock_hdr h;
	memset(&h, 0, sizeof(h));
	if (!v->be.fill_rx(v->be.ctx, &h, iov, n, room))
		return 0;
	h.src_cid = VSOCK_CID_HOST;
	h.dst_cid = v->guest_cid;
	vsock_chain_copy(c, 1, &h, VSOCK_HDR_SIZE);
	*used = (uint32_t)VSOCK_HDR_SIZE + h.len;
	return 1;
}

static int vsock_receive(struct virtio_dev *d, const char **why)
{
	struct virtio_vsock *v = d->priv;
	struct vq *q = &d->queues[VIRTIO_VSOCK_RX_QUEUE];
	int filled = 0;
	while (!*why && v->be.has_rx(v->be.ctx)) {
		if (vq_pop(q, d->mem, &v->chain, why) <= 0)
			break; /* no buffers: the back end waits for the driver's next notification
			        */
		uint32_t len = 0;
		int r = vsock_receive_one(v, &v->chain, &len, why);
		if (r <= 0) {
			vq_unpop(q);
			break;
		}
		vq_push(q, v->chain.head, len);
		filled = 1;
	}
	if (filled)
		virtio_dev_used(d, VIRTIO_VSOCK_RX_QUEUE);
	return filled;
}

void virtio_vsock_process(struct virtio_dev *d)
{
	struct virtio_vsock *v = d->priv;
	const char *why = NULL;
	if (!v->live)
		return;
	/* Receiving first frees the back end's room for replies, which transmitting needs; each
	 * round takes at least one chain, so the rings' sizes bound the loop. */
	while (!why && d->queues[VIRTIO_VSOCK_TX_QUEUE].ready &&
	       d->queues[VIRTIO_VSOCK_RX_QUEUE].ready) {
		int progress = vsock_receive(d, &why);
		if (!why)
			progress |= vsock_transmit(d, &why);
		if (!progress)
			break;
	}
	if (why) {
		v->live = 0;
		virtio_dev_fail(d, why);
	}
}

static void vsock_notify_vq(struct virtio_dev *d, unsigned q)
{
	struct virtio_vsock *v = d->priv;
	v->live = 1;
	if (q != VIRTIO_VSOCK_EVENT_QUEUE)
		v->be.notified(v->be.ctx);
}

static void vsock_reset(struct virtio_dev *d)
{
	struct virtio_vsock *v = d->priv;
	v->live = 0;
	v->be.reset(v->be.ctx);
}

const struct virtio_device_ops virtio_vsock_ops = {
    .name = "virtio-vsock",
    .device_id = VIRTIO_ID_VSOCK,
    .features = (1ull << VIRTIO_VSOCK_F_STREAM) | (1ull << VIRTIO_F_EVENT_IDX),
    .num_queues = VSOCK_QUEUES,
    .queue_num_max = VSOCK_QUEUE_NUM,
    .config_size = sizeof(struct virtio_vsock_config),
    .get_config = vsock_get_config,
    .set_config = NULL,
    .notify_vq = vsock_notify_vq,
    .reset = vsock_reset,
};
