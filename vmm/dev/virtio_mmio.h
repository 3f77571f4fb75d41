/* The virtio-mmio transport, version 2 (virtio 1.2 §4.2): one 4 KiB register page per device,
 * queue notifications by writes to QueueNotify (a vCPU exit, or an ioeventfd the event thread
 * reads), interrupts through a callback (an irqfd or KVM_IRQ_LINE in the monitor, a counter in
 * the unit tests). It carries one device model and owns the register state. */
#ifndef VMM_DEV_VIRTIO_MMIO_H
#define VMM_DEV_VIRTIO_MMIO_H

#include "virtio/device.h"

#define VIRTIO_MMIO_VENDOR_TORO 0x4f524f54u /* "TORO" */

struct virtio_mmio {
	struct virtio_dev dev; /* the model it carries; first, so the transport ops find us */
	uint64_t base;         /* guest-physical address of the register page */
	unsigned irq;
	void (*raise_irq)(void *ctx, unsigned irq); /* edge: one interrupt per call */
	void *irq_ctx;

	/* Register state, under dev.lock. */
	uint32_t status;
	uint32_t device_features_sel, driver_features_sel, queue_sel;
	uint64_t driver_features;
	uint32_t interrupt_status;
	uint32_t config_generation;
	int bad_access_logged; /* a misaligned register access was reported */
};

void virtio_mmio_init(struct virtio_mmio *t, const struct virtio_device_ops *ops, void *priv,
                      const struct guest_mem *mem, uint64_t base, unsigned irq,
                      void (*raise_irq)(void *ctx, unsigned irq), void *irq_ctx);

/* Register accesses, off relative to the device's base (bus callbacks; ctx is the transport).
 * Each takes the device lock. */
void virtio_mmio_read(void *ctx, uint64_t off, void *data, unsigned size);
void virtio_mmio_write(void *ctx, uint64_t off, const void *data, unsigned size);

/* The driver wrote q to QueueNotify (how it arrived does not matter). Takes the device lock. */
void virtio_mmio_queue_notify(struct virtio_mmio *t, uint32_t q);

#endif
