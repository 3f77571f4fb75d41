/* virtio-mmio version 2 register semantics (§4.2.2, §4.2.3), the status handshake (§3.1) and
 * feature negotiation, as one implementation of the transport ops a device model calls.
 * Registers take 32-bit accesses; the device config space any width. */
#include "virtio_mmio.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <toro/abi/virtio.h>

#include "backend/term.h"

static struct virtio_mmio *virtio_mmio_of(struct virtio_dev *d)
{
	return (struct virtio_mmio *)((char *)d - offsetof(struct virtio_mmio, dev));
}

static void virtio_mmio_log(struct virtio_mmio *t, const char *what)
{
	term_flush();
	fprintf(stderr, "toro: %s at %#llx: %s\n", t->dev.ops->name, (unsigned long long)t->base,
	        what);
}

static void virtio_mmio_interrupt(struct virtio_mmio *t, uint32_t why)
{
	t->interrupt_status |= why;
	t->raise_irq(t->irq_ctx, t->irq);
}

static void virtio_mmio_used(struct virtio_dev *d, unsigned q)
{
	if (q < d->ops->num_queues && vq_wants_interrupt(&d->queues[q]))
		virtio_mmio_interrupt(virtio_mmio_of(d), VIRTIO_MMIO_INT_VRING);
}

static void virtio_mmio_fail(struct virtio_dev *d, const char *why)
{
	struct virtio_mmio *t = virtio_mmio_of(d);
	if (t->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
		return;
	char msg[160];
	snprintf(msg, sizeof(msg), "%s; device needs reset", why);
	virtio_mmio_log(t, msg);
	t->status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
	if (t->status & VIRTIO_STATUS_DRIVER_OK)
		virtio_mmio_interrupt(t, VIRTIO_MMIO_INT_CONFIG);
}

static const struct virtio_transport_ops virtio_mmio_transport = {
    .used = virtio_mmio_used,
    .fail = virtio_mmio_fail,
};

void virtio_mmio_init(struct virtio_mmio *t, const struct virtio_device_ops *ops, void *priv,
                      const struct guest_mem *mem, uint64_t base, unsigned irq,
                      void (*raise_irq)(void *ctx, unsigned irq), void *irq_ctx)
{
	memset(t, 0, sizeof(*t));
	virtio_dev_init(&t->dev, ops, priv, mem, &virtio_mmio_transport);
	t->base = base;
	t->irq = irq;
	t->raise_irq = raise_irq;
	t->irq_ctx = irq_ctx;
}

static void virtio_mmio_reset(struct virtio_mmio *t)
{
	t->status = 0;
	t->device_features_sel = t->driver_features_sel = t->queue_sel = 0;
	t->driver_features = 0;
	t->interrupt_status = 0;
	virtio_dev_reset(&t->dev);
}

/* The selected queue, or NULL when QueueSel names one the device does not have. */
static struct vq *virtio_mmio_queue(struct virtio_mmio *t)
{
	return t->queue_sel < t->dev.ops->num_queues ? &t->dev.queues[t->queue_sel] : NULL;
}

static uint32_t virtio_mmio_read_reg(struct virtio_mmio *t, uint64_t off)
{
	struct vq *q = virtio_mmio_queue(t);
	uint64_t features = virtio_dev_offered_features(&t->dev);
	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return VIRTIO_MMIO_VERSION_MODERN;
	case VIRTIO_MMIO_DEVICE_ID:
		return t->dev.ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VIRTIO_MMIO_VENDOR_TORO;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		return t->device_features_sel == 0   ? (uint32_t)features
		       : t->device_features_sel == 1 ? (uint32_t)(features >> 32)
		                                     : 0;
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return q ? t->dev.ops->queue_num_max : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return q ? (uint32_t)q->ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return t->interrupt_status;
	case VIRTIO_MMIO_STATUS:
		return t->status;
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH:
		return 0xffffffffu; /* no shared memory regions */
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return t->config_generation;
	default:
		return 0; /* write-only and reserved registers */
	}
}

/* §3.1.1 step 5: FEATURES_OK sticks only if the driver accepted a subset of our features
 * including VERSION_1 (we have no legacy interface). */
static void virtio_mmio_set_status(struct virtio_mmio *t, uint32_t v)
{
	if (v == 0) {
		virtio_mmio_reset(t);
		return;
	}
	if ((v & VIRTIO_STATUS_FEATURES_OK) && !(t->status & VIRTIO_STATUS_FEATURES_OK)) {
		uint64_t offered = virtio_dev_offered_features(&t->dev);
		if ((t->driver_features & ~offered) ||
		    !(t->driver_features & (1ull << VIRTIO_F_VERSION_1)))
			v &= ~(uint32_t)VIRTIO_STATUS_FEATURES_OK;
		else
			t->dev.features = t->driver_features;
	}
	/* The driver cannot clear DEVICE_NEEDS_RESET other than by a reset. */
	t->status = v | (t->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
}

static void virtio_mmio_set_queue_ready(struct virtio_mmio *t, struct vq *q, uint32_t v)
{
	if (!v) {
		q->ready = 0;
		return;
	}
	if (q->ready)
		return;
	const char *why;
	q->event_idx = (t->dev.features >> VIRTIO_F_EVENT_IDX) & 1;
	if (vq_enable(q, t->dev.mem, t->dev.ops->queue_num_max, &why))
		virtio_mmio_fail(&t->dev, why);
}

static void virtio_mmio_notify(struct virtio_mmio *t, uint32_t index)
{
	struct virtio_dev *d = &t->dev;
	if (index >= d->ops->num_queues || !d->queues[index].ready ||
	    !(t->status & VIRTIO_STATUS_DRIVER_OK) ||
	    (t->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET))
		return;
	d->ops->notify_vq(d, index);
}

void virtio_mmio_queue_notify(struct virtio_mmio *t, uint32_t q)
{
	pthread_mutex_lock(&t->dev.lock);
	virtio_mmio_notify(t, q);
	pthread_mutex_unlock(&t->dev.lock);
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

static void virtio_mmio_write_reg(struct virtio_mmio *t, uint64_t off, uint32_t v)
{
	struct vq *q = virtio_mmio_queue(t);
	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		t->device_features_sel = v;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		t->driver_features_sel = v;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if (t->status & VIRTIO_STATUS_FEATURES_OK)
			break;
		if (t->driver_features_sel == 0)
			t->driver_features = (t->driver_features & ~0xffffffffull) | v;
		else if (t->driver_features_sel == 1)
			t->driver_features =
			    (t->driver_features & 0xffffffffull) | ((uint64_t)v << 32);
		break;
	case VIRTIO_MMIO_QUEUE_SEL:
		t->queue_sel = v;
		break;
	case VIRTIO_MMIO_QUEUE_NUM:
		if (q && !q->ready)
			q->num = v <= VIRTQ_MAX_SIZE ? (uint16_t)v : 0;
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		if (q)
			virtio_mmio_set_queue_ready(t, q, v);
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		virtio_mmio_notify(t, v);
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		t->interrupt_status &= ~v;
		break;
	case VIRTIO_MMIO_STATUS:
		virtio_mmio_set_status(t, v);
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

/* A register access that is not 32-bit and aligned: ignored, and said once. */
static int virtio_mmio_bad_access(struct virtio_mmio *t, uint64_t off, unsigned size,
                                  const char *what)
{
	if (size == 4 && off % 4 == 0)
		return 0;
	if (!t->bad_access_logged) {
		char msg[96];
		snprintf(msg, sizeof(msg),
		         "register %s that is not 32-bit and aligned; ignored (logged once)", what);
		virtio_mmio_log(t, msg);
	}
	t->bad_access_logged = 1;
	return 1;
}

/* Whether [off, off + size) of the register page lies in the config space; *coff its offset. */
static int virtio_mmio_config_range(const struct virtio_dev *d, uint64_t off, unsigned size,
                                    uint32_t *coff)
{
	uint64_t c = off - VIRTIO_MMIO_CONFIG;
	if (c >= d->ops->config_size || size > d->ops->config_size - c)
		return 0;
	*coff = (uint32_t)c;
	return 1;
}

static void virtio_mmio_read_locked(struct virtio_mmio *t, uint64_t off, void *data, unsigned size)
{
	struct virtio_dev *d = &t->dev;
	uint32_t coff;
	if (off >= VIRTIO_MMIO_CONFIG) {
		if (d->ops->get_config && virtio_mmio_config_range(d, off, size, &coff))
			d->ops->get_config(d, coff, data, size);
		return;
	}
	if (virtio_mmio_bad_access(t, off, size, "read"))
		return;
	uint32_t v = virtio_mmio_read_reg(t, off);
	memcpy(data, &v, sizeof(v));
}

static void virtio_mmio_write_locked(struct virtio_mmio *t, uint64_t off, const void *data,
                                     unsigned size)
{
	struct virtio_dev *d = &t->dev;
	uint32_t coff;
	if (off >= VIRTIO_MMIO_CONFIG) {
		if (d->ops->set_config && virtio_mmio_config_range(d, off, size, &coff))
			d->ops->set_config(d, coff, data, size);
		return;
	}
	if (virtio_mmio_bad_access(t, off, size, "write"))
		return;
	uint32_t v;
	memcpy(&v, data, sizeof(v));
	virtio_mmio_write_reg(t, off, v);
}

void virtio_mmio_read(void *ctx, uint64_t off, void *data, unsigned size)
{
	struct virtio_mmio *t = ctx;
	memset(data, 0, size);
	pthread_mutex_lock(&t->dev.lock);
	virtio_mmio_read_locked(t, off, data, size);
	pthread_mutex_unlock(&t->dev.lock);
}

void virtio_mmio_write(void *ctx, uint64_t off, const void *data, unsigned size)
{
	struct virtio_mmio *t = ctx;
	pthread_mutex_lock(&t->dev.lock);
	virtio_mmio_write_locked(t, off, data, size);
	pthread_mutex_unlock(&t->dev.lock);
}
