/* The virtio-console device model (virtio 1.2 §5.3), port 0 only: what the driver puts on the
 * transmit queue goes to an output callback (the terminal); the receive queue keeps the driver's
 * buffers, as there is no input yet. */
#ifndef VMM_VIRTIO_CONSOLE_H
#define VMM_VIRTIO_CONSOLE_H

#include <stddef.h>

#include "virtio/device.h"

struct virtio_console {
	void (*output)(void *ctx, const void *data, size_t len);
	void *output_ctx;
};

extern const struct virtio_device_ops virtio_console_ops;

void virtio_console_init(struct virtio_console *c,
                         void (*output)(void *ctx, const void *data, size_t len), void *ctx);

#endif
