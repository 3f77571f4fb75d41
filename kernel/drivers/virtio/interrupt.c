/* Device interrupts of the virtio-mmio transport: routing a device's line and acknowledging its
 * interrupt status for the driver. Apart from mmio.c so that an image whose drivers all poll (the
 * console) links none of it. */
#include "virtio.h"

#include <kernel/irq.h>
#include <toro/abi/linux.h>

static uint32_t status_read(const struct virtio_device *dev)
{
	return *(volatile uint32_t *)(dev->base + VIRTIO_MMIO_INTERRUPT_STATUS);
}

/* Runs on the core the interrupt is routed to, interrupts off. The status bits are acknowledged
 * before the driver looks at its queues, so a buffer used after that raises a new interrupt;
 * the status is read again until it is clear, because a level-triggered line (QEMU's) that
 * stays high across the acknowledgement would give the IOAPIC no new edge. */
static void mmio_interrupt(void *ctx)
{
	struct virtio_device *dev = ctx;
	uint32_t status = status_read(dev);
	while (status) {
		*(volatile uint32_t *)(dev->base + VIRTIO_MMIO_INTERRUPT_ACK) = status;
		dev->interrupt(dev, status);
		status = status_read(dev);
	}
}

int virtio_mmio_interrupt_enable(struct virtio_device *dev, virtio_interrupt_fn fn)
{
	dev->interrupt = fn;
	if (irq_register(dev->irq, 0, mmio_interrupt, dev)) {
		virtio_mmio_fail(dev, "its interrupt line cannot be routed", -LINUX_EINVAL);
		return -LINUX_EINVAL;
	}
	return 0;
}
