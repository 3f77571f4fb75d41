/* The virtio-fs transport as the FUSE client (kernel/fs/) sees it: find a device by its tag and
 * send it one FUSE request, waiting for the reply. The driver (kernel/drivers/virtio/fs.c) knows
 * nothing of FUSE beyond the queue a request goes on; the client knows nothing of virtqueues. */
#ifndef KERNEL_VIRTIO_FS_H
#define KERNEL_VIRTIO_FS_H

#include <stdint.h>

struct virtio_fs;

/* One piece of a request: kernel or application memory (all RAM is identity-mapped, so either
 * is a physical address too). */
struct virtio_fs_buf {
	void *addr;
	uint32_t len;
};

/* The most buffers one request may have, device-readable and device-writable together. */
#define VIRTIO_FS_MAX_BUFS 8

/* The live device whose config tag is tag, or NULL. */
struct virtio_fs *virtio_fs_find(const char *tag);

/* Sends bufs[0 .. n_out) to the device and gives it bufs[n_out .. n_out + n_in) to write the
 * reply into, on the request queue (the high-priority queue when hiprio, for FORGET), and
 * blocks the calling thread (an I/O wait) until the device has used the chain. Any thread, any
 * core, several at once; never from an IRQ handler. Returns the bytes the device wrote, or -EIO
 * when the device failed (then every later call fails too), -EINVAL for a bad buffer count. */
long virtio_fs_request(struct virtio_fs *fs, const struct virtio_fs_buf *bufs, unsigned n_out,
                       unsigned n_in, int hiprio);

#endif
