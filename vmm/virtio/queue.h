/* The device side of a split virtqueue (virtio 1.2 §2.7): taking descriptor chains the driver
 * made available and returning them as used. The guest is not trusted: every ring and buffer
 * address goes through guest_ptr(), indices are bounded by the queue size, and a chain is walked
 * with a budget of one queue size of descriptors, so a loop ends in an error, not a hang. */
#ifndef VMM_VIRTIO_QUEUE_H
#define VMM_VIRTIO_QUEUE_H

#include <stdint.h>

#include <toro/abi/virtio.h>

#include "kvm/guest.h"

#define VQ_NUM_MAX 256 /* the largest queue our devices offer; bounds a chain's length */

struct vq {
	/* Set by the driver through the transport while the queue is not ready. */
	uint16_t num;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	/* Set by vq_enable. */
	int ready;
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	uint16_t last_avail; /* next avail ring slot we will read */
	uint16_t used_idx;   /* our copy of used->idx */
	/* VIRTIO_F_EVENT_IDX (§2.7.7, §2.7.10), set by the transport before vq_enable when the
	 * driver accepted it: the driver's used_event and our avail_event replace the flags. */
	int event_idx;
	uint16_t signalled_used; /* used_idx when we last decided about an interrupt */
};

struct vq_buf {
	void *addr;
	uint32_t len;
	int device_writable;
};

struct vq_chain {
	uint16_t head;
	unsigned nbufs;
	struct vq_buf bufs[VQ_NUM_MAX];
};

/* Clears the queue to its reset state. */
void vq_reset(struct vq *q);

/* Checks the driver's size and ring addresses (power of two up to num_max, alignment, inside
 * RAM) and makes the queue ready. Returns 0, or -1 with *why set. */
int vq_enable(struct vq *q, const struct guest_mem *m, uint16_t num_max, const char **why);

/* Takes the next available chain into c. Returns 1, 0 when none is available, or -1 with *why
 * set when the driver broke the ring (the device must then ask for a reset). Zero-length
 * descriptors are skipped; indirect descriptors are refused (not offered). With event_idx,
 * finding the ring empty asks the driver to notify for its next buffer (avail_event). */
int vq_pop(struct vq *q, const struct guest_mem *m, struct vq_chain *c, const char **why);

/* Gives back the chain vq_pop took last, unused: the next vq_pop takes it again. */
void vq_unpop(struct vq *q);

/* Returns chain head to the driver with len bytes written into its device-writable buffers. */
void vq_push(struct vq *q, uint16_t head, uint32_t len);

/* Whether the driver wants an interrupt for the used buffers pushed since the last call (no
 * VIRTQ_AVAIL_F_NO_INTERRUPT; with event_idx, used_event among them). */
int vq_wants_interrupt(struct vq *q);

#endif
