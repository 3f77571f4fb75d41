/* One direction between two cores: a single-producer/single-consumer ring of messages in shared
 * memory, laid out like a split virtqueue (virtio 1.2 §2.7) reduced to what one writer and one
 * reader in the same address space need. The bottom layer of kernel/ipc; knows nothing of
 * threads or cores (kernel/ipc/channel.c adds blocking), and is built on the host by
 * tests/unit/chan_ring.c. */
#ifndef KERNEL_IPC_CHAN_RING_H
#define KERNEL_IPC_CHAN_RING_H

#include <stddef.h>
#include <stdint.h>

#include <toro/abi/virtio.h>

/* The largest message, and the most descriptors one takes: a message whose bytes wrap around
 * the end of the data area is a chain of two, as a virtio driver would give a buffer in two
 * pieces. */
#define CHAN_MSG_MAX       (64u << 10)
#define CHAN_MSG_MAX_DESCS 2
#define CHAN_CACHE_LINE    64

/* Descriptors are struct virtq_desc: addr is an offset into the data area (not an address, so
 * the consumer can bound it), len the bytes there, VIRTQ_DESC_F_NEXT chains the second piece.
 * Slots are used in order, so there is no available or used ring: avail_idx and used_idx count
 * descriptors published and consumed, free-running 16-bit like a virtqueue's idx fields, and
 * descriptor n is desc[n % entries]. The bytes go round data the same way: data_head counts
 * bytes written, data_tail bytes consumed.
 *
 * Each side writes only its own cache line (the producer avail_idx and data_head, the consumer
 * used_idx and data_tail) and reads the other's. */
struct chan_ring {
	uint16_t avail_idx __attribute__((aligned(CHAN_CACHE_LINE)));
	uint32_t data_head;

	uint16_t used_idx __attribute__((aligned(CHAN_CACHE_LINE)));
	uint32_t data_tail;

	/* Fixed by chan_ring_init. */
	uint16_t entries __attribute__((aligned(CHAN_CACHE_LINE)));
	uint32_t data_bytes;
	struct virtq_desc *desc;
	uint8_t *data;
};

/* Sets up an empty ring over desc[entries] and data[data_bytes], which the caller owns and keeps
 * for the ring's life. entries and data_bytes are powers of two, entries at least
 * CHAN_MSG_MAX_DESCS and at most 32768 (so 16-bit indices never lap). Returns 0 or -EINVAL. */
int chan_ring_init(struct chan_ring *r, struct virtq_desc *desc, uint16_t entries, uint8_t *data,
                   uint32_t data_bytes);

/* The producer: copies len bytes into the ring as one message. Returns 0, -EAGAIN when there is
 * not room for it now (nothing is written; room comes as the consumer takes messages), or
 * -EMSGSIZE when it could never fit (longer than CHAN_MSG_MAX or the data area). Never blocks. */
int chan_ring_put(struct chan_ring *r, const void *buf, size_t len);

/* Whether chan_ring_put of len bytes would succeed now (producer side). */
int chan_ring_has_room(const struct chan_ring *r, size_t len);

/* The consumer: copies the oldest message into buf and returns its length; -EAGAIN when the ring
 * is empty; -EMSGSIZE when it is longer than cap (it stays, for a call with a larger buffer);
 * -EIO when its descriptors point outside the data area or do not chain as the producer makes
 * them (the ring is then unusable). Never blocks. */
long chan_ring_get(struct chan_ring *r, void *buf, size_t cap);

/* Whether a message is waiting (consumer side). */
static inline int chan_ring_empty(const struct chan_ring *r)
{
	return __atomic_load_n(&r->avail_idx, __ATOMIC_ACQUIRE) == r->used_idx;
}

#endif
