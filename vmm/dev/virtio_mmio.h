/* The virtio-mmio transport, version 2 (virtio 1.2 §4.2): one 4 KiB register page per device,
 * queue notifications by MMIO writes, interrupts through a callback (KVM_IRQ_LINE in the
 * monitor, a counter in the unit tests). */
#ifndef VMM_DEV_VIRTIO_MMIO_H
#define VMM_DEV_VIRTIO_MMIO_H

#include "virtio/device.h"

#define VIRTIO_MMIO_VENDOR_TORO 0x4f524f54u /* "TORO" */

void virtio_mmio_init(struct virtio_dev *d, const struct virtio_device_ops *ops, void *priv,
                      const struct guest_mem *mem, uint64_t base, unsigned irq,
                      void (*raise_irq)(void *ctx, unsigned irq), void *irq_ctx);

/* Register accesses, off relative to the device's base (bus callbacks; ctx is the device). */
void virtio_mmio_read(void *ctx, uint64_t off, void *data, unsigned size);
void virtio_mmio_write(void *ctx, uint64_t off, const void *data, unsigned size);

#endif
