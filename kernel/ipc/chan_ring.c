/* The message ring of one core pair (kernel/ipc/chan_ring.h): copying messages in and out as
 * chains of one or two descriptors, and the index updates that publish them. Lock-free for one
 * producer and one consumer; also built on the host by tests/unit/chan_ring.c. */
#include "chan_ring.h"

#include <kernel/string.h>
#include <toro/abi/linux.h>

#define CHAN_IDX_LIMIT 32768 /* entries above this would let 16-bit indices lap a full ring */

static int is_power_of_two(uint32_t v)
{
	return v && !(v & (v - 1));
}

int chan_ring_init(struct chan_ring *r, struct virtq_desc *desc, uint16_t entries, uint8_t *data,
                   uint32_t data_bytes)
{
	if (!is_power_of_two(entries) || entries < CHAN_MSG_MAX_DESCS || entries > CHAN_IDX_LIMIT ||
	    !is_power_of_two(data_bytes))
		return -LINUX_EINVAL;
	*r = (struct chan_ring){
	    .entries = entries, .data_bytes = data_bytes, .desc = desc, .data = data};
	return 0;
}

/* How many descriptors a message of len bytes starting at data offset off takes. */
static unsigned descs_for(const struct chan_ring *r, uint32_t off, size_t len)
{
	return off + len > r->data_bytes ? 2 : 1;
}

/* Descriptors and bytes free, as the producer sees them. The consumer releases data_tail and
 * then used_idx, each after the copy it ends, so each free count is a lower bound: never more
 * than the consumer is really done with. */
static int room_for(const struct chan_ring *r, size_t len, unsigned *ndesc)
{
	uint16_t used = __atomic_load_n(&r->used_idx, __ATOMIC_ACQUIRE);
	uint32_t tail = __atomic_load_n(&r->data_tail, __ATOMIC_ACQUIRE);
	uint32_t off = r->data_head & (r->data_bytes - 1);
	*ndesc = descs_for(r, off, len);
	unsigned free_descs = r->entries - (uint16_t)(r->avail_idx - used);
	uint32_t free_bytes = r->data_bytes - (r->data_head - tail);
	return *ndesc <= free_descs && len <= free_bytes;
}

int chan_ring_has_room(const struct chan_ring *r, size_t len)
{
	unsigned ndesc;
	return len <= CHAN_MSG_MAX && len <= r->data_bytes && room_for(r, len, &ndesc);
}

int chan_ring_put(struct chan_ring *r, const void *buf, size_t len)
{
	if (len > CHAN_MSG_MAX || len > r->data_bytes)
		return -LINUX_EMSGSIZE;
	unsigned ndesc;
	if (!room_for(r, len, &ndesc))
		return -LINUX_EAGAIN;

	uint32_t off = r->data_head & (r->data_bytes - 1);
	uint32_t first = ndesc == 1 ? (uint32_t)len : r->data_bytes - off;
	uint16_t slot = r->avail_idx & (r->entries - 1);
	uint16_t next = (slot + 1) & (r->entries - 1);
	if (len) /* memcpy from a NULL buf is undefined even for 0 bytes */
		memcpy(r->data + off, buf, first);
	r->desc[slot] = (struct virtq_desc){.addr = off, .len = first};
	if (ndesc == 2) {
		memcpy(r->data, (const uint8_t *)buf + first, len - first);
		r->desc[slot].flags = VIRTQ_DESC_F_NEXT;
		r->desc[slot].next = next;
		r->desc[next] = (struct virtq_desc){.addr = 0, .len = (uint32_t)(len - first)};
	}
	r->data_head += (uint32_t)len;
	/* The bytes and descriptors are written before the consumer can see the new index (it
	 * acquires avail_idx before it reads a descriptor), as a virtio driver writes the ring
	 * entry before the avail index. */
	__atomic_store_n(&r->avail_idx, (uint16_t)(r->avail_idx + ndesc), __ATOMIC_RELEASE);
	return 0;
}

/* A descriptor the producer could have written: its bytes inside the data area. */
static int desc_in_bounds(const struct chan_ring *r, const struct virtq_desc *d)
{
	return d->addr < r->data_bytes && d->len <= r->data_bytes - d->addr;
}

long chan_ring_get(struct chan_ring *r, void *buf, size_t cap)
{
	uint16_t avail = __atomic_load_n(&r->avail_idx, __ATOMIC_ACQUIRE);
	uint16_t used = r->used_idx;
	if (avail == used)
		return -LINUX_EAGAIN;

	uint16_t mask = r->entries - 1;
	const struct virtq_desc *d0 = &r->desc[used & mask], *d1 = NULL;
	if (!desc_in_bounds(r, d0))
		return -LINUX_EIO;
	if (d0->flags & VIRTQ_DESC_F_NEXT) {
		/* A chain is published whole; its second piece is the next slot, at offset 0. */
		if ((uint16_t)(avail - used) < 2 || d0->next != ((used + 1) & mask))
			return -LINUX_EIO;
		d1 = &r->desc[d0->next];
		if (d1->flags || d1->addr != 0 || !desc_in_bounds(r, d1))
			return -LINUX_EIO;
	}
	size_t len = d0->len + (d1 ? d1->len : 0);
	if (len > CHAN_MSG_MAX)
		return -LINUX_EIO;
	if (len > cap)
		return -LINUX_EMSGSIZE;

	if (d0->len)
		memcpy(buf, r->data + d0->addr, d0->len);
	if (d1)
		memcpy((uint8_t *)buf + d0->len, r->data, d1->len);
	/* Both released: the producer reuses the bytes and the slots only after our copies are
	 * done (see room_for). */
	__atomic_store_n(&r->data_tail, r->data_tail + (uint32_t)len, __ATOMIC_RELEASE);
	__atomic_store_n(&r->used_idx, (uint16_t)(used + (d1 ? 2 : 1)), __ATOMIC_RELEASE);
	return (long)len;
}
