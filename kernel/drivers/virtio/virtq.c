/* Split virtqueues (virtio 1.2 §2.7), the driver side: ring memory, adding descriptor chains,
 * the notification decision and collecting used chains. The bottom layer of the virtio stack;
 * also built on the host by tests/unit/virtq.c against a fake device. */
#include "virtq.h"

#include <kernel/mm.h>
#include <kernel/string.h>
#include <toro/abi/linux.h>

/* §2.7: the descriptor table is 16-byte aligned, the available ring 2-byte, the used ring
 * 4-byte. The used ring (written by the device) starts on its own cache line so the device's
 * writes do not share a line with ours. */
#define VIRTQ_DESC_ALIGN 16
#define VIRTQ_USED_ALIGN 64
#define VIRTQ_NO_DESC    0xffff /* end of the free list */

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

uint16_t virtq_size_for(uint32_t max)
{
	if (max > VIRTQ_MAX_SIZE)
		max = VIRTQ_MAX_SIZE;
	uint32_t size = 1;
	while (size * 2 <= max)
		size *= 2;
	return max ? (uint16_t)size : 0;
}

int virtq_init(struct virtq *vq, uint16_t index, uint16_t size, int event_idx)
{
	if (size == 0 || size > VIRTQ_MAX_SIZE || (size & (size - 1)))
		return -LINUX_EINVAL;
	_Static_assert(VIRTQ_DESC_ALIGN <= PAGE_SIZE, "pages are aligned enough");
	size_t avail_off = VIRTQ_DESC_BYTES(size);
	size_t used_off = align_up(avail_off + VIRTQ_AVAIL_BYTES(size), VIRTQ_USED_ALIGN);
	size_t cookies_off = align_up(used_off + VIRTQ_USED_BYTES(size), sizeof(void *));
	size_t bytes = cookies_off + size * sizeof(void *);
	size_t npages = (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
	char *mem = mm_pages_zalloc(npages);
	if (!mem)
		return -LINUX_ENOMEM;

	memset(vq, 0, sizeof(*vq));
	vq->size = size;
	vq->index = index;
	vq->event_idx = event_idx;
	vq->pages = mem;
	vq->npages = npages;
	vq->desc = (struct virtq_desc *)mem;
	vq->avail = (struct virtq_avail *)(mem + avail_off);
	vq->used = (struct virtq_used *)(mem + used_off);
	vq->used_event = &vq->avail->ring[size];
	vq->avail_event = (uint16_t *)&vq->used->ring[size];
	vq->cookies = (void **)(mem + cookies_off);
	for (uint16_t i = 0; i < size; i++)
		vq->desc[i].next = (uint16_t)(i + 1 < size ? i + 1 : VIRTQ_NO_DESC);
	vq->free_head = 0;
	vq->free_count = size;
	return 0;
}

void virtq_destroy(struct virtq *vq)
{
	if (vq->pages)
		mm_pages_free(vq->pages, vq->npages);
	memset(vq, 0, sizeof(*vq));
}

uint64_t virtq_desc_addr(const struct virtq *vq)
{
	return (uint64_t)(uintptr_t)vq->desc;
}

uint64_t virtq_avail_addr(const struct virtq *vq)
{
	return (uint64_t)(uintptr_t)vq->avail;
}

uint64_t virtq_used_addr(const struct virtq *vq)
{
	return (uint64_t)(uintptr_t)vq->used;
}

int virtq_add(struct virtq *vq, const struct virtq_buf *bufs, unsigned n_out, unsigned n_in,
              void *cookie)
{
	unsigned n = n_out + n_in;
	if (n == 0 || !cookie)
		return -LINUX_EINVAL;
	if (n > vq->free_count)
		return -LINUX_ENOSPC;

	uint16_t head = vq->free_head, d = head, last = head;
	for (unsigned i = 0; i < n; i++) {
		struct virtq_desc *desc = &vq->desc[d];
		desc->addr = bufs[i].addr;
		desc->len = bufs[i].len;
		desc->flags = (uint16_t)((i >= n_out ? VIRTQ_DESC_F_WRITE : 0) |
		                         (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
		last = d;
		d = desc->next;
	}
	/* The chain keeps its links (desc[].next) so virtq_get_used can walk it back onto the
	 * free list; the last descriptor's stale next is ignored without F_NEXT. */
	vq->free_head = vq->desc[last].next;
	vq->free_count = (uint16_t)(vq->free_count - n);
	vq->cookies[head] = cookie;

	vq->avail->ring[vq->avail_idx & (vq->size - 1)] = head;
	vq->avail_idx++;
	/* The device reads the descriptors and the ring entry once it sees the new index: they
	 * must be visible before the index is (release store). */
	__atomic_store_n(&vq->avail->idx, vq->avail_idx, __ATOMIC_RELEASE);
	return 0;
}

int virtq_kick_prepare(struct virtq *vq)
{
	/* The device decides whether it wants notifications and then re-checks avail->idx; we
	 * publish avail->idx and then check its wish. Store then load: only a full fence keeps
	 * the load from passing the store (x86 reorders exactly this pair), without which both
	 * sides could miss each other and the queue would stall. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	uint16_t old = vq->kicked_idx, new = vq->avail_idx;
	vq->kicked_idx = new;
	if (old == new)
		return 0;
	if (vq->event_idx)
		return virtq_need_event(__atomic_load_n(vq->avail_event, __ATOMIC_RELAXED), new,
		                        old);
	return !(__atomic_load_n(&vq->used->flags, __ATOMIC_RELAXED) & VIRTQ_USED_F_NO_NOTIFY);
}

int virtq_get_used(struct virtq *vq, void **cookie, uint32_t *len)
{
	/* The device writes the used element before it publishes used->idx: read the element
	 * only after observing the index (acquire load). */
	uint16_t used_idx = __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE);
	if (used_idx == vq->last_used)
		return 0;
	const struct virtq_used_elem *e = &vq->used->ring[vq->last_used & (vq->size - 1)];
	uint32_t id = e->id;
	if (id >= vq->size || !vq->cookies[id])
		return -LINUX_EIO;

	/* Walk the chain back onto the free list; it was built by virtq_add, so it ends within
	 * size steps unless the memory was corrupted, which the budget turns into -EIO. */
	uint16_t last = (uint16_t)id;
	unsigned count = 1;
	while (vq->desc[last].flags & VIRTQ_DESC_F_NEXT) {
		if (count == vq->size)
			return -LINUX_EIO;
		last = vq->desc[last].next;
		count++;
	}
	vq->desc[last].next = vq->free_head;
	vq->free_head = (uint16_t)id;
	vq->free_count = (uint16_t)(vq->free_count + count);

	*cookie = vq->cookies[id];
	*len = e->len;
	vq->cookies[id] = NULL;
	vq->last_used++;
	return 1;
}

int virtq_used_arm(struct virtq *vq)
{
	if (vq->event_idx)
		__atomic_store_n(vq->used_event, vq->last_used, __ATOMIC_RELAXED);
	else if (vq->avail->flags & VIRTQ_AVAIL_F_NO_INTERRUPT)
		__atomic_store_n(&vq->avail->flags, 0, __ATOMIC_RELAXED);
	/* Store then load, as in virtq_kick_prepare: the device publishes used->idx and then
	 * reads used_event; we do the opposite, and a full fence keeps either from missing the
	 * other. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE) != vq->last_used;
}

void virtq_used_suppress(struct virtq *vq)
{
	/* With EVENT_IDX the device interrupts once used->idx passes used_event (§2.7.10): half
	 * the index space ahead is out of reach of the chains in flight (at most size). */
	if (vq->event_idx)
		__atomic_store_n(vq->used_event, (uint16_t)(vq->last_used + 0x8000u),
		                 __ATOMIC_RELAXED);
	else
		__atomic_store_n(&vq->avail->flags, VIRTQ_AVAIL_F_NO_INTERRUPT, __ATOMIC_RELAXED);
}
