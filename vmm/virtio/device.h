/* A virtio device model and its transport, apart (kvmtool's virtio_ops, Firecracker's
 * VirtioDevice): the model says what the device is (ID, features, config space, queues) and
 * does the device's work when the driver makes buffers available; the transport (virtio-mmio
 * today, vhost-user later) carries registers, notifications and interrupts. A model sees only
 * this header: it fills used rings with vq_* and calls virtio_dev_used() or virtio_dev_fail(). */
#ifndef VMM_VIRTIO_DEVICE_H
#define VMM_VIRTIO_DEVICE_H

#include <pthread.h>
#include <stdint.h>

#include "kvm/guest.h"
#include "virtio/queue.h"

#define VIRTIO_MAX_QUEUES 8

struct virtio_dev;

/* The model. Every call is made with the device lock held. */
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
	/* The driver made buffers available on ready queue q of a live device (DRIVER_OK, not
	 * failed). A broken ring is reported with virtio_dev_fail(). */
	void (*notify_vq)(struct virtio_dev *d, unsigned q);
	/* The driver reset the device: drop any model state. Queues are reset already. */
	void (*reset)(struct virtio_dev *d);
};

/* The transport, as a model calls it (device lock held). */
struct virtio_transport_ops {
	/* Queue q has new used buffers: interrupt the driver unless it asked not to be. */
	void (*used)(struct virtio_dev *d, unsigned q);
	/* The driver broke the device (a bad ring or descriptor): say why once and ask the
	 * driver for a reset (DEVICE_NEEDS_RESET, §2.1.2); the device does nothing until then. */
	void (*fail)(struct virtio_dev *d, const char *why);
};

struct virtio_dev {
	const struct virtio_device_ops *ops;
	void *priv; /* the model's own state */
	const struct guest_mem *mem;
	const struct virtio_transport_ops *transport;
	/* Model and transport state of this device; whoever calls into either holds it (a vCPU
	 * thread for a register access, the event thread for a notification or the back end). */
	pthread_mutex_t lock;
	uint64_t features; /* accepted by the driver; meaningful once negotiation ended */
	/* Sized and placed by the driver through the transport, then used by the model. */
	struct vq queues[VIRTIO_MAX_QUEUES];
};

/* For transports: d's model, its memory and the transport's ops; the rest reset. */
void virtio_dev_init(struct virtio_dev *d, const struct virtio_device_ops *ops, void *priv,
                     const struct guest_mem *mem, const struct virtio_transport_ops *transport);

/* For transports: every feature the device offers (the model's and VIRTIO_F_VERSION_1). */
uint64_t virtio_dev_offered_features(const struct virtio_dev *d);

/* For transports: a driver-initiated reset of queues and model state (§2.4). */
void virtio_dev_reset(struct virtio_dev *d);

static inline void virtio_dev_used(struct virtio_dev *d, unsigned q)
{
	d->transport->used(d, q);
}

static inline void virtio_dev_fail(struct virtio_dev *d, const char *why)
{
	d->transport->fail(d, why);
}

#endif
