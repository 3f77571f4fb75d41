/* A virtio device as the transport sees it: the model's ops table (kvmtool style) and the state
 * the transport keeps for it (status, features, queues, interrupt status). Device models fill
 * used rings with vq_* and call virtio_dev_used(); the transport does the rest. */
#ifndef VMM_VIRTIO_DEVICE_H
#define VMM_VIRTIO_DEVICE_H

#include <stdint.h>

#include "kvm/guest.h"
#include "virtio/queue.h"

#define VIRTIO_MAX_QUEUES 8

struct virtio_dev;

struct virtio_device_ops {
	const char *name; /* for messages: "virtio-console" */
	uint32_t device_id;
	uint64_t features; /* offered besides VIRTIO_F_VERSION_1, which is always offered */
	uint16_t num_queues;
	uint16_t queue_num_max;
	uint32_t config_size;
	/* Config space accesses, with [off, off + len) inside config_size. */
	void (*get_config)(struct virtio_dev *d, uint32_t off, void *data, uint32_t len);
	void (*set_config)(struct virtio_dev *d, uint32_t off, const void *data, uint32_t len);
	/* The driver made buffers available on ready queue q (device status DRIVER_OK). Returns 0,
	 * or -1 with *why set when the queue is broken (the transport then marks the device
	 * DEVICE_NEEDS_RESET). */
	int (*notify_vq)(struct virtio_dev *d, unsigned q, const char **why);
	/* The driver reset the device: drop any model state. Queues are reset by the transport. */
	void (*reset)(struct virtio_dev *d);
};

struct virtio_dev {
	const struct virtio_device_ops *ops;
	void *priv; /* the model's own state */
	const struct guest_mem *mem;
	uint64_t base; /* guest-physical address of the register page */
	unsigned irq;
	void (*raise_irq)(void *ctx, unsigned irq); /* edge: one interrupt per call */
	void *irq_ctx;

	uint32_t status;
	uint32_t device_features_sel, driver_features_sel, queue_sel;
	uint64_t driver_features;
	uint32_t interrupt_status;
	uint32_t config_generation;
	struct vq queues[VIRTIO_MAX_QUEUES];
	int bad_access_logged; /* a misaligned register access was reported */
};

/* Queue q has new used buffers: interrupt the driver unless it asked not to be. */
void virtio_dev_used(struct virtio_dev *d, unsigned q);

/* The driver broke the device (a bad ring or descriptor): log why once, set
 * DEVICE_NEEDS_RESET and send a configuration change interrupt (§2.1.2). */
void virtio_dev_fail(struct virtio_dev *d, const char *why);

#endif
