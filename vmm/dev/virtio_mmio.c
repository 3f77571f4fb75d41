/* virtio-mmio version 2 register semantics (§4.2.2, §4.2.3), the status handshake (§3.1) and
 * feature negotiation. Registers take 32-bit accesses; the device config space any width. */
#include "virtio_mmio.h"

#include <stdio.h>
#include <string.h>

#include <toro/abi/virtio.h>

#include "backend/term.h"

static void virtio_mmio_log(struct virtio_dev *d, const char *what)
{
	term_flush();
	fprintf(stderr, "toro: %s at %#llx: %s\n", d->ops->name, (unsigned long long)d->base, what);
}

void virtio_mmio_init(struct virtio_dev *d, const struct virtio_device_ops *ops, void *priv,
                      const struct guest_mem *mem, uint64_t base, unsigned irq,
                      void (*raise_irq)(void *ctx, unsigned irq), void *irq_ctx)
{
	memset(d, 0, sizeof(*d));
	d->ops = ops;
	d->priv = priv;
	d->mem = mem;
	d->base = base;
	d->irq = irq;
	d->raise_irq = raise_irq;
	d->irq_ctx = irq_ctx;
}

static uint64_t virtio_mmio_device_features(const struct virtio_dev *d)
{
	return d->ops->features | (1ull << VIRTIO_F_VERSION_1);
}

static void virtio_mmio_interrupt(struct virtio_dev *d, uint32_t why)
{
	d->interrupt_status |= why;
	d->raise_irq(d->irq_ctx, d->irq);
}

void virtio_dev_used(struct virtio_dev *d, unsigned q)
{
	if (q < d->ops->num_queues && vq_wants_interrupt(&d->queues[q]))
		virtio_mmio_interrupt(d, VIRTIO_MMIO_INT_VRING);
}

void virtio_dev_fail(struct virtio_dev *d, const char *why)
{
	if (d->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
		return;
	char msg[160];
	snprintf(msg, sizeof(msg), "%s; device needs reset", why);
	virtio_mmio_log(d, msg);
	d->status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
	if (d->status & VIRTIO_STATUS_DRIVER_OK)
		virtio_mmio_interrupt(d, VIRTIO_MMIO_INT_CONFIG);
}

static void virtio_mmio_reset(struct virtio_dev *d)
{
	d->status = 0;
	d->device_features_sel = d->driver_features_sel = d->queue_sel = 0;
	d->driver_features = 0;
	d->interrupt_status = 0;
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		vq_reset(&d->queues[i]);
	if (d->ops->reset)
		d->ops->reset(d);
}

/* The selected queue, or NULL when QueueSel names one the device does not have. */
static struct vq *virtio_mmio_queue(struct virtio_dev *d)
{
	return d->queue_sel < d->ops->num_queues ? &d->queues[d->queue_sel] : NULL;
}

static uint32_t virtio_mmio_read_reg(struct virtio_dev *d, uint64_t off)
{
	struct vq *q = virtio_mmio_queue(d);
	uint64_t features = virtio_mmio_device_features(d);
	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return VIRTIO_MMIO_VERSION_MODERN;
	case VIRTIO_MMIO_DEVICE_ID:
		return d->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VIRTIO_MMIO_VENDOR_TORO;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		return d->device_features_sel == 0   ? (uint32_t)features
		       : d->device_features_sel == 1 ? (uint32_t)(features >> 32)
		                                     : 0;
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return q ? d->ops->queue_num_max : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return q ? (uint32_t)q->ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return d->interrupt_status;
	case VIRTIO_MMIO_STATUS:
		return d->status;
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH:
		return 0xffffffffu; /* no shared memory regions */
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return d->config_generation;
	default:
		return 0; /* write-only and reserved registers */
	}
}

/* §3.1.1 step 5: FEATURES_OK sticks only if the driver accepted a subset of our features
 * including VERSION_1 (we have no legacy interface). */
static void virtio_mmio_set_status(struct virtio_dev *d, uint32_t v)
{
	if (v == 0) {
		virtio_mmio_reset(d);
		return;
	}
	if ((v & VIRTIO_STATUS_FEATURES_OK) && !(d->status & VIRTIO_STATUS_FEATURES_OK)) {
		uint64_t offered = virtio_mmio_device_features(d);
		if ((d->driver_features & ~offered) ||
		    !(d->driver_features & (1ull << VIRTIO_F_VERSION_1)))
			v &= ~(uint32_t)VIRTIO_STATUS_FEATURES_OK;
	}
	/* The driver cannot clear DEVICE_NEEDS_RESET other than by a reset. */
	d->status = v | (d->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
}

static void virtio_mmio_set_queue_ready(struct virtio_dev *d, struct vq *q, uint32_t v)
{
	if (!v) {
		q->ready = 0;
		return;
	}
	if (q->ready)
		return;
	const char *why;
	if (vq_enable(q, d->mem, d->ops->queue_num_max, &why))
		virtio_dev_fail(d, why);
}

static void virtio_mmio_notify(struct virtio_dev *d, uint32_t index)
{
	if (index >= d->ops->num_queues || !d->queues[index].ready ||
	    !(d->status & VIRTIO_STATUS_DRIVER_OK) ||
	    (d->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET))
		return;
	const char *why;
	if (d->ops->notify_vq(d, index, &why))
		virtio_dev_fail(d, why);
}

/* Sets the low or high half of a 64-bit ring address of a queue that is not ready yet. */
static void virtio_mmio_set_addr(struct vq *q, uint64_t *addr, int high, uint32_t v)
{
	if (!q || q->ready)
		return;
	if (high)
		*addr = (*addr & 0xffffffffull) | ((uint64_t)v << 32);
	else
		*addr = (*addr & ~0xffffffffull) | v;
}

static void virtio_mmio_write_reg(struct virtio_dev *d, uint64_t off, uint32_t v)
{
	struct vq *q = virtio_mmio_queue(d);
	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		d->device_features_sel = v;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		d->driver_features_sel = v;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if (d->status & VIRTIO_STATUS_FEATURES_OK)
			break;
		if (d->driver_features_sel == 0)
			d->driver_features = (d->driver_features & ~0xffffffffull) | v;
		else if (d->driver_features_sel == 1)
			d->driver_features =
			    (d->driver_features & 0xffffffffull) | ((uint64_t)v << 32);
		break;
	case VIRTIO_MMIO_QUEUE_SEL:
		d->queue_sel = v;
		break;
	case VIRTIO_MMIO_QUEUE_NUM:
		if (q && !q->ready)
			q->num = v <= VIRTQ_MAX_SIZE ? (uint16_t)v : 0;
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		if (q)
			virtio_mmio_set_queue_ready(d, q, v);
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		virtio_mmio_notify(d, v);
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		d->interrupt_status &= ~v;
		break;
	case VIRTIO_MMIO_STATUS:
		virtio_mmio_set_status(d, v);
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
		virtio_mmio_set_addr(q, q ? &q->desc_gpa : NULL, 0, v);
		break;
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		virtio_mmio_set_addr(q, q ? &q->desc_gpa : NULL, 1, v);
		break;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
		virtio_mmio_set_addr(q, q ? &q->avail_gpa : NULL, 0, v);
		break;
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
		virtio_mmio_set_addr(q, q ? &q->avail_gpa : NULL, 1, v);
		break;
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
		virtio_mmio_set_addr(q, q ? &q->used_gpa : NULL, 0, v);
		break;
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		virtio_mmio_set_addr(q, q ? &q->used_gpa : NULL, 1, v);
		break;
	default:
		break; /* read-only and reserved registers, SHMSel, QueueReset (not offered) */
	}
}

void virtio_mmio_read(void *ctx, uint64_t off, void *data, unsigned size)
{
	struct virtio_dev *d = ctx;
	memset(data, 0, size);
	if (off >= VIRTIO_MMIO_CONFIG) {
		uint64_t coff = off - VIRTIO_MMIO_CONFIG;
		if (coff < d->ops->config_size && size <= d->ops->config_size - coff &&
		    d->ops->get_config)
			d->ops->get_config(d, (uint32_t)coff, data, size);
		return;
	}
	if (size != 4 || off % 4) {
		if (!d->bad_access_logged)
			virtio_mmio_log(d, "register read that is not 32-bit and aligned; ignored "
			                   "(logged once)");
		d->bad_access_logged = 1;
		return;
	}
	uint32_t v = virtio_mmio_read_reg(d, off);
	memcpy(data, &v, sizeof(v));
}

void virtio_mmio_write(void *ctx, uint64_t off, const void *data, unsigned size)
{
	struct virtio_dev *d = ctx;
	if (off >= VIRTIO_MMIO_CONFIG) {
		uint64_t coff = off - VIRTIO_MMIO_CONFIG;
		if (coff < d->ops->config_size && size <= d->ops->config_size - coff &&
		    d->ops->set_config)
			d->ops->set_config(d, (uint32_t)coff, data, size);
		return;
	}
	if (size != 4 || off % 4) {
		if (!d->bad_access_logged)
			virtio_mmio_log(d, "register write that is not 32-bit and aligned; ignored "
			                   "(logged once)");
		d->bad_access_logged = 1;
		return;
	}
	uint32_t v;
	memcpy(&v, data, sizeof(v));
	virtio_mmio_write_reg(d, off, v);
}
