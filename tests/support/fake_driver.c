/* The fake driver's side of the virtio-mmio transport (tests/support/fake_driver.h): register
 * accesses, the initialization of virtio 1.2 §3.1.1 with queue set-up (§4.2.3.2) and
 * notifications. Linked into a test by naming it on the test's "// SOURCES:" line. */
#include "fake_driver.h"

#include <stdlib.h>
#include <string.h>

#include "dev/virtio_mmio.h"
#include "kvm/guest.h"

int drv_ram_init(struct fake_driver *d, struct guest_mem *mem, size_t size)
{
	d->ram = aligned_alloc(GUEST_PAGE_SIZE, size);
	if (!d->ram)
		return -1;
	memset(d->ram, 0, size);
	d->ram_size = size;
	return guest_mem_add(mem, 0, size, d->ram);
}

uint32_t drv_rd(const struct fake_driver *d, uint64_t off)
{
	uint32_t v;
	virtio_mmio_read(d->dev, off, &v, 4);
	return v;
}

void drv_wr(const struct fake_driver *d, uint64_t off, uint32_t v)
{
	if (d->write_reg)
		d->write_reg(off, v);
	else
		virtio_mmio_write(d->dev, off, &v, 4);
}

/* §4.2.3.2: queue q of d->qnum entries with its rings at DRV_*_OFF(q), made ready. */
void drv_setup_queue(const struct fake_driver *d, unsigned q)
{
	drv_wr(d, VIRTIO_MMIO_QUEUE_SEL, q);
	drv_wr(d, VIRTIO_MMIO_QUEUE_NUM, d->qnum);
	drv_wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)DRV_DESC_OFF(q));
	drv_wr(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
	drv_wr(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)DRV_AVAIL_OFF(q));
	drv_wr(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, 0);
	drv_wr(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)DRV_USED_OFF(q));
	drv_wr(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, 0);
	drv_wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
}

/* §3.1.1 on fresh (zeroed) guest memory: reset, ACKNOWLEDGE, DRIVER, the features, FEATURES_OK,
 * the n queues, DRIVER_OK. Whether the device kept FEATURES_OK is the caller's to check. */
void drv_start(struct fake_driver *d, uint64_t features, const unsigned *queues, unsigned n)
{
	memset(d->ram, 0, d->ram_size);
	memset(d->used_seen, 0, sizeof(d->used_seen));
	const uint32_t ack = VIRTIO_STATUS_ACKNOWLEDGE, drv = ack | VIRTIO_STATUS_DRIVER,
	               fok = drv | VIRTIO_STATUS_FEATURES_OK;
	drv_wr(d, VIRTIO_MMIO_STATUS, 0);
	drv_wr(d, VIRTIO_MMIO_STATUS, ack);
	drv_wr(d, VIRTIO_MMIO_STATUS, drv);
	drv_wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	drv_wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	drv_wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	drv_wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	drv_wr(d, VIRTIO_MMIO_STATUS, fok);
	for (unsigned i = 0; i < n; i++)
		drv_setup_queue(d, queues[i]);
	drv_wr(d, VIRTIO_MMIO_STATUS, fok | VIRTIO_STATUS_DRIVER_OK);
}

void drv_notify(const struct fake_driver *d, unsigned q)
{
	drv_wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, q);
}

void drv_submit(const struct fake_driver *d, unsigned q, uint16_t head)
{
	drv_push(d, q, head);
	drv_notify(d, q);
}

int drv_needs_reset(const struct fake_driver *d)
{
	return (drv_rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET) != 0;
}
