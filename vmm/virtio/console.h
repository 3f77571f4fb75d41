/* The virtio-console device model (virtio 1.2 §5.3): single-port, what the driver puts on the
 * transmit queue going to a back end (the terminal) that may take less than offered; or with
 * MULTIPORT, the three ports of include/toro/abi/virtio.h: port 0 (the console: stderr) and
 * port 1 (stdout) to two such back ends, port 2 (stdin) from an input back end, its end given
 * as the port closing (PORT_OPEN 0). */
#ifndef VMM_VIRTIO_CONSOLE_H
#define VMM_VIRTIO_CONSOLE_H

#include <stddef.h>

#include <toro/abi/virtio.h>

#include "virtio/device.h"

/* Where output goes. Both are called with the device lock held and must not block. */
struct virtio_console_backend {
	/* Takes up to len bytes; returns how many (0 when the host side is full for now). */
	size_t (*write)(void *ctx, const void *data, size_t len);
	/* write took less than offered: call virtio_console_resume() once there is room. */
	void (*wait_room)(void *ctx);
	void *ctx;
};

/* Where input comes from. Both are called with the device lock held and must not block. */
struct virtio_console_input {
	/* Reads up to len bytes into buf: returns how many, 0 at the end of input, or -1 when
	 * nothing is there now. */
	long (*read)(void *ctx, void *buf, size_t len);
	/* read had nothing: call virtio_console_input_ready() once there is input (or its end). */
	void (*wait_input)(void *ctx);
	void *ctx;
};

/* An output port. A transmit chain taken from the queue and not all written yet stays with the
 * device, not returned as used, until the back end took every byte of it. */
struct virtio_console_port {
	struct virtio_console_backend out;
	int pending;
	unsigned buf;  /* its next buffer to write */
	uint32_t done; /* bytes of that buffer written */
	struct vq_chain chain;
};

/* Control messages waiting for the driver's control receive buffers. */
#define VIRTIO_CONSOLE_CTRL_MAX 16

struct virtio_console {
	int multiport;
	struct virtio_console_port ports[2]; /* port 0, and port 1 with MULTIPORT */
	struct virtio_console_input in;
	int in_open;  /* the driver opened port 2 */
	int in_ended; /* the input back end reached its end */
	struct virtio_console_control ctrl[VIRTIO_CONSOLE_CTRL_MAX];
	unsigned ctrl_head, ctrl_count;
	struct vq_chain scratch; /* a control or receive chain being handled */
};

extern const struct virtio_device_ops virtio_console_ops;           /* single-port */
extern const struct virtio_device_ops virtio_console_multiport_ops; /* with MULTIPORT */

/* Single-port: port 0's output to out. */
void virtio_console_init(struct virtio_console *c, const struct virtio_console_backend *out);

/* MULTIPORT: port 0 to err, port 1 to out, port 2 from in. */
void virtio_console_init_multiport(struct virtio_console *c,
                                   const struct virtio_console_backend *err,
                                   const struct virtio_console_backend *out,
                                   const struct virtio_console_input *in);

/* A back end has room again: goes on with the transmit queues. Device lock held. */
void virtio_console_resume(struct virtio_dev *d);

/* The input back end has input (or its end): goes on filling port 2. Device lock held. */
void virtio_console_input_ready(struct virtio_dev *d);

#endif
