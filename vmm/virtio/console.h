/* The virtio-console device model (virtio 1.2 §5.3), port 0 only: what the driver puts on the
 * transmit queue goes to a back end (the terminal) that may take less than offered; the
 * receive queue keeps the driver's buffers, as there is no input yet. */
#ifndef VMM_VIRTIO_CONSOLE_H
#define VMM_VIRTIO_CONSOLE_H

#include <stddef.h>

#include "virtio/device.h"

/* Where output goes. Both are called with the device lock held and must not block. */
struct virtio_console_backend {
	/* Takes up to len bytes; returns how many (0 when the host side is full for now). */
	size_t (*write)(void *ctx, const void *data, size_t len);
	/* write took less than offered: call virtio_console_resume() once there is room. */
	void (*wait_room)(void *ctx);
	void *ctx;
};

struct virtio_console {
	struct virtio_console_backend out;
	/* A transmit chain taken from the queue and not all written yet: it stays with the
	 * device, not returned as used, until the back end took every byte of it. */
	int pending;
	unsigned buf;  /* its next buffer to write */
	uint32_t done; /* bytes of that buffer written */
	struct vq_chain chain;
};

extern const struct virtio_device_ops virtio_console_ops;

void virtio_console_init(struct virtio_console *c, const struct virtio_console_backend *out);

/* The back end has room again: goes on with the transmit queue. Device lock held. */
void virtio_console_resume(struct virtio_dev *d);

#endif
