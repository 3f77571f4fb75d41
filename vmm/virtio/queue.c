/* Split virtqueue, device side (see queue.h). Ring fields the driver writes are read once into
 * locals, so a guest changing them under us cannot make a checked value unchecked. */
#include "queue.h"

#include <stddef.h>
#include <string.h>

/* §2.7.10: avail_event follows the used ring's last entry (inside VIRTQ_USED_BYTES). */
static uint16_t *vq_avail_event(struct vq *q)
{
	return (uint16_t *)((uint8_t *)q->used + sizeof(*q->used) +
	                    sizeof(struct virtq_used_elem) * q->num);
}

/* Whether [a, a + alen) and [b, b + blen) share a byte. */
static int overlap(const void *a, size_t alen, const void *b, size_t blen)
{
	uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
	return x < y + blen && y < x + alen;
}

void vq_reset(struct vq *q)
{
	memset(q, 0, sizeof(*q));
}

int vq_enable(struct vq *q, const struct guest_mem *m, uint16_t num_max, const char **why)
{
	uint16_t n = q->num;
	if (n == 0 || n > num_max || (n & (n - 1)) != 0) {
		*why = "queue size is not a power of two up to the maximum";
		return -1;
	}
	/* §2.7: descriptor table 16-byte, available ring 2-byte, used ring 4-byte aligned. */
	if (q->desc_gpa % 16 || q->avail_gpa % 2 || q->used_gpa % 4) {
		*why = "queue ring address misaligned";
		return -1;
	}
	q->desc = guest_ptr(m, q->desc_gpa, VIRTQ_DESC_BYTES(n));
	q->avail = guest_ptr(m, q->avail_gpa, VIRTQ_AVAIL_BYTES(n));
	q->used = guest_ptr(m, q->used_gpa, VIRTQ_USED_BYTES(n));
	const char *bad = NULL;
	if (!q->desc || !q->avail || !q->used)
		bad = "queue ring outside guest RAM";
	/* The device writes the used ring. Over the descriptors or the available ring, its writes
	 * would change what the driver gave: a used index written over the available index makes
	 * a buffer appear with every one returned, and the device would serve that queue for ever.
	 * No driver lays its rings out so. */
	else if (overlap(q->used, VIRTQ_USED_BYTES(n), q->desc, VIRTQ_DESC_BYTES(n)) ||
	         overlap(q->used, VIRTQ_USED_BYTES(n), q->avail, VIRTQ_AVAIL_BYTES(n)))
		bad = "queue rings overlap (the used ring over the descriptors or the available ring)";
	if (bad) {
		q->desc = NULL;
		q->avail = NULL;
		q->used = NULL;
		*why = bad;
		return -1;
	}
	q->last_avail = 0;
	q->used_idx = 0;
	q->signalled_used = 0;
	q->ready = 1;
	return 0;
}

int vq_pop(struct vq *q, const struct guest_mem *m, struct vq_chain *c, const char **why)
{
	if (!q->ready)
		return 0;
	/* The driver writes the ring entry before it publishes the new index; the acquire load
	 * makes sure we read the entry only after we saw the index. */
	uint16_t avail_idx = __atomic_load_n(&q->avail->idx, __ATOMIC_ACQUIRE);
	if (avail_idx == q->last_avail && q->event_idx) {
		/* Ask for a notification at the next buffer, then look once more: one made
		 * available before the driver could see avail_event would otherwise wait for good.
		 */
		__atomic_store_n(vq_avail_event(q), q->last_avail, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		avail_idx = __atomic_load_n(&q->avail->idx, __ATOMIC_ACQUIRE);
	}
	if (avail_idx == q->last_avail)
		return 0;
	if ((uint16_t)(avail_idx - q->last_avail) > q->num) {
		*why = "available index moved by more than the queue size";
		return -1;
	}
	uint16_t head = __atomic_load_n(&q->avail->ring[q->last_avail % q->num], __ATOMIC_RELAXED);
	if (head >= q->num) {
		*why = "available ring names a descriptor beyond the queue size";
		return -1;
	}
	c->head = head;
	c->nbufs = 0;
	uint16_t i = head;
	/* A chain has at most one queue size of descriptors, and never more than c->bufs holds: a
	 * vhost-user front end chooses ring sizes up to VIRTQ_MAX_SIZE. */
	for (unsigned budget = q->num < VQ_NUM_MAX ? q->num : VQ_NUM_MAX;; budget--) {
		if (budget == 0) {
			*why = "descriptor chain longer than the queue or VQ_NUM_MAX (a loop?)";
			return -1;
		}
		struct virtq_desc d;
		memcpy(&d, &q->desc[i], sizeof(d));
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			*why = "indirect descriptor (not negotiated)";
			return -1;
		}
		if (d.len) {
			void *p = guest_ptr(m, d.addr, d.len);
			if (!p) {
				*why = "descriptor buffer outside guest RAM";
				return -1;
			}
			c->bufs[c->nbufs++] =
			    (struct vq_buf){p, d.len, (d.flags & VIRTQ_DESC_F_WRITE) != 0};
		}
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			break;
		if (d.next >= q->num) {
			*why = "descriptor chain links beyond the queue size";
			return -1;
		}
		i = d.next;
	}
	q->last_avail++;
	return 1;
}

void vq_unpop(struct vq *q)
{
	q->last_avail--;
}

void vq_push(struct vq *q, uint16_t head, uint32_t len)
{
	struct virtq_used_elem e = {head, len};
	memcpy(&q->used->ring[q->used_idx % q->num], &e, sizeof(e));
	q->used_idx++;
	/* The element must be visible before the index that publishes it. */
	__atomic_store_n(&q->used->idx, q->used_idx, __ATOMIC_RELEASE);
}

int vq_wants_interrupt(struct vq *q)
{
	/* Our used index is published before this read; a full barrier keeps the load of the
	 * driver's flags (or used_event) from moving above that store. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (q->event_idx) {
		uint16_t used_event = __atomic_load_n(&q->avail->ring[q->num], __ATOMIC_RELAXED);
		uint16_t old = q->signalled_used;
		q->signalled_used = q->used_idx;
		return virtq_need_event(used_event, q->used_idx, old);
	}
	return !(__atomic_load_n(&q->avail->flags, __ATOMIC_RELAXED) & VIRTQ_AVAIL_F_NO_INTERRUPT);
}
