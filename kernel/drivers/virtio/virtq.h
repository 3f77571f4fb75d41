/* Split virtqueues (virtio 1.2 §2.7), the driver side: the bottom layer of the virtio stack
 * (ring → transport → device). Knows nothing of MMIO or of any device; the transport reads the
 * ring addresses from here and the device driver adds and collects buffers. Private to
 * kernel/drivers/virtio (and the host unit test tests/unit/virtq.c). */
#ifndef KERNEL_DRIVERS_VIRTIO_VIRTQ_H
#define KERNEL_DRIVERS_VIRTIO_VIRTQ_H

#include <stddef.h>
#include <stdint.h>

#include <toro/abi/virtio.h>

/* One buffer of a chain: addr is a physical address (identity-mapped, so also a pointer). */
struct virtq_buf {
	uint64_t addr;
	uint32_t len;
};

/* The rings live in pages the queue owns; all RAM is identity-mapped, so the addresses the
 * device is given are the pointers below. Not safe against concurrent callers: the device
 * driver serialises its calls (its lock, or interrupts off in its IRQ handler). */
struct virtq {
	uint16_t size;  /* entries, a power of two */
	uint16_t index; /* the queue's number within its device */
	int event_idx;  /* VIRTIO_F_EVENT_IDX was negotiated */
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	uint16_t *used_event;  /* after avail->ring[size]: written by us (§2.7.10) */
	uint16_t *avail_event; /* after used->ring[size]: written by the device */
	void **cookies;        /* per chain head: the token given to virtq_add */
	uint16_t free_head;    /* free descriptors, linked through desc[].next */
	uint16_t free_count;
	uint16_t avail_idx;  /* our copy of avail->idx: the next ring slot to fill */
	uint16_t kicked_idx; /* avail_idx when the device was last considered for a notify */
	uint16_t last_used;  /* the next used->ring entry to collect */
	void *pages;
	size_t npages;
};

/* Largest power of two not above max (and not above VIRTQ_MAX_SIZE); 0 if max is 0. */
uint16_t virtq_size_for(uint32_t max);

/* Allocates and clears the rings for a queue of size entries (a power of two, at most
 * VIRTQ_MAX_SIZE). Returns 0, -EINVAL for a bad size, or -ENOMEM. */
int virtq_init(struct virtq *vq, uint16_t index, uint16_t size, int event_idx);

/* Returns the queue's pages. The device must no longer use the queue (reset or queue reset). */
void virtq_destroy(struct virtq *vq);

/* Physical addresses of the three parts, for the transport. */
uint64_t virtq_desc_addr(const struct virtq *vq);
uint64_t virtq_avail_addr(const struct virtq *vq);
uint64_t virtq_used_addr(const struct virtq *vq);

/* Makes a chain of n_out device-readable buffers followed by n_in device-writable ones
 * available to the device, and publishes it (the device may take it at once, before any
 * notification). cookie (not NULL) comes back from virtq_get_used. Returns 0, -EINVAL (no
 * buffers, NULL cookie) or -ENOSPC (fewer free descriptors than buffers; nothing is added). */
int virtq_add(struct virtq *vq, const struct virtq_buf *bufs, unsigned n_out, unsigned n_in,
              void *cookie);

/* Whether the device must be notified of the chains added since the last call (§2.7.10 with
 * VIRTIO_F_EVENT_IDX, else the used ring's NO_NOTIFY flag). Call after adding, then notify
 * through the transport if it returns 1. */
int virtq_kick_prepare(struct virtq *vq);

/* Collects the next used chain: returns 1 and sets *cookie and *len (bytes the device wrote),
 * 0 if the device has used nothing new, or -EIO if the device named a descriptor that is not
 * the head of an outstanding chain (then the queue is unusable). Safe to call from an IRQ
 * handler that owns the queue. */
int virtq_get_used(struct virtq *vq, void **cookie, uint32_t *len);

/* For a driver that takes interrupts: asks for one when the device uses the next chain (with
 * VIRTIO_F_EVENT_IDX, used_event = the next entry to collect, §2.7.10; without it the device
 * interrupts for every chain anyway). Call once everything used has been collected; returns 1
 * if the device used more meanwhile (it may not have seen the request in time), so collect
 * again, 0 if the next use will interrupt. */
int virtq_used_arm(struct virtq *vq);

/* Asks for no interrupt when the device uses chains (until virtq_used_arm): for a queue whose
 * used chains the driver collects itself when it next needs them. Without VIRTIO_F_EVENT_IDX
 * the flag is only a hint the device may ignore (§2.7.7); with it, interrupts stop. */
void virtq_used_suppress(struct virtq *vq);

/* Descriptors not in any outstanding chain. */
static inline unsigned virtq_free_descriptors(const struct virtq *vq)
{
	return vq->free_count;
}

/* Whether any chain is still with the device. */
static inline int virtq_busy(const struct virtq *vq)
{
	return vq->free_count != vq->size;
}

#endif
