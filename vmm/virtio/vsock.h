/* The virtio-vsock device model (virtio 1.2 §5.10): the virtio half of the device only, as in
 * Firecracker. It takes the driver's packets off the transmit queue, checks their shape (a
 * whole header, a length the chain holds, our guest's CID, the host as destination) and hands
 * them to a back end (the muxer, vmm/backend/vsock.h); it fills the driver's receive buffers
 * with the packets the back end has for the guest. It knows no transport and no event loop. */
#ifndef VMM_VIRTIO_VSOCK_H
#define VMM_VIRTIO_VSOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <toro/abi/virtio.h>

#include "virtio/device.h"

/* The largest payload of one packet either way (Linux's VIRTIO_VSOCK_MAX_PKT_BUF_SIZE). */
#define VSOCK_PAYLOAD_MAX (64u * 1024)
#define VSOCK_IOV_MAX     VQ_NUM_MAX

/* The back end, called with the device lock held, on the thread that runs the event loop. */
struct virtio_vsock_backend {
	/* A packet from the guest, its shape checked: payload holds exactly h->len bytes. */
	void (*recv)(void *ctx, const struct virtio_vsock_hdr *h, const struct iovec *payload,
	             int niov);
	/* Whether recv may be called now (room for the reply a packet may need). */
	int (*can_recv)(void *ctx);
	/* Whether there may be a packet for the guest. */
	int (*has_rx)(void *ctx);
	/* Writes one packet for the guest: its header into h (len included) and up to room bytes
	 * of payload into iov. Returns 1, or 0 when there was nothing to send after all. */
	int (*fill_rx)(void *ctx, struct virtio_vsock_hdr *h, const struct iovec *iov, int niov,
	               size_t room);
	/* The driver notified a queue: call virtio_vsock_process on the loop's thread, now or
	 * soon. May be called on any thread. */
	void (*notified)(void *ctx);
	/* The driver reset the device: every connection is gone. May be called on any thread. */
	void (*reset)(void *ctx);
	void *ctx;
};

struct virtio_vsock {
	uint64_t guest_cid;
	struct virtio_vsock_backend be;
	int live; /* the driver has notified since the last reset, and not broken the device */
	uint64_t malformed; /* guest packets dropped for their shape */
	struct vq_chain chain;
};

extern const struct virtio_device_ops virtio_vsock_ops;

void virtio_vsock_init(struct virtio_vsock *v, uint64_t guest_cid,
                       const struct virtio_vsock_backend *be);

/* Does the queues' work: the transmit queue while the back end can take packets, the receive
 * queue while it has packets and the driver has buffers; nothing before the driver's first
 * notification (buffers are the device's only once the driver is ready, §3.1.1). Device lock
 * held, loop thread. */
void virtio_vsock_process(struct virtio_dev *d);

#endif
