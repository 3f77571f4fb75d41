/* A fake virtio driver for the host tests that drive the monitor's devices as a guest would
 * (tests/unit/vmm_*.c, tests/fuzz/vsock.c, tests/unit/vhost_user.c): split rings (virtio 1.2
 * §2.7) at fixed places in fake guest memory, descriptors, the available ring and the used ring
 * read back; and, over the virtio-mmio transport (§4.2, tests/support/fake_driver.c, which a test
 * that uses it lists on its "// SOURCES:" line), the status handshake, queue set-up and
 * notifications. A vhost-user front end uses the rings alone: its transport is messages. */
#ifndef TESTS_SUPPORT_FAKE_DRIVER_H
#define TESTS_SUPPORT_FAKE_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#include <toro/abi/virtio.h>

struct guest_mem;
struct virtio_mmio;

#define DRV_QUEUES_MAX 8
/* Where queue q's rings are, as offsets into guest memory: the descriptor table, the available
 * ring 4 KiB on, the used ring 8 KiB on (each room for 256 entries); all below 0x40000, where
 * the tests put their buffers. */
#define DRV_DESC_OFF(q)  (0x10000ull + 0x4000ull * (q))
#define DRV_AVAIL_OFF(q) (DRV_DESC_OFF(q) + 0x1000)
#define DRV_USED_OFF(q)  (DRV_DESC_OFF(q) + 0x2000)
#define DRV_BUF_OFF      0x40000ull

struct fake_driver {
	uint8_t *ram;            /* guest memory as this process maps it */
	size_t ram_size;         /* zeroed by drv_start */
	uint16_t qnum;           /* every queue's size */
	struct virtio_mmio *dev; /* the transport; NULL for rings alone */
	/* How register writes reach the device: NULL for virtio_mmio_write on this thread, or a
	 * test's own (one from another thread, as a vCPU makes them). */
	void (*write_reg)(uint64_t off, uint32_t v);
	uint16_t used_seen[DRV_QUEUES_MAX]; /* used entries drv_take_used has returned */
};

static inline struct virtq_desc *drv_desc(const struct fake_driver *d, unsigned q, unsigned i)
{
	return (struct virtq_desc *)(d->ram + DRV_DESC_OFF(q)) + i;
}

static inline struct virtq_avail *drv_avail(const struct fake_driver *d, unsigned q)
{
	return (struct virtq_avail *)(d->ram + DRV_AVAIL_OFF(q));
}

static inline struct virtq_used *drv_used(const struct fake_driver *d, unsigned q)
{
	return (struct virtq_used *)(d->ram + DRV_USED_OFF(q));
}

static inline void drv_set_desc(const struct fake_driver *d, unsigned q, unsigned i, uint64_t addr,
                                uint32_t len, uint16_t flags, uint16_t next)
{
	*drv_desc(d, q, i) = (struct virtq_desc){addr, len, flags, next};
}

/* Makes the chain at head available on queue q. §2.7.13: the entry is written before the index
 * that publishes it (a release store, for a device that reads from another thread). */
static inline void drv_push(const struct fake_driver *d, unsigned q, uint16_t head)
{
	struct virtq_avail *a = drv_avail(d, q);
	a->ring[a->idx % d->qnum] = head;
	__atomic_store_n(&a->idx, (uint16_t)(a->idx + 1), __ATOMIC_RELEASE);
}

/* The next element of queue q's used ring that this has not returned before: 1 with it in *e,
 * or 0 when the device has used nothing more. */
static inline int drv_take_used(struct fake_driver *d, unsigned q, struct virtq_used_elem *e)
{
	struct virtq_used *u = drv_used(d, q);
	if (__atomic_load_n(&u->idx, __ATOMIC_ACQUIRE) == d->used_seen[q])
		return 0;
	*e = u->ring[d->used_seen[q]++ % d->qnum];
	return 1;
}

/* Over virtio-mmio (tests/support/fake_driver.c). */
/* Allocates d's guest memory, size bytes from guest-physical 0 (the test frees d->ram), and
 * adds it to mem, the device's view. Returns 0, or -1 when that fails. */
int drv_ram_init(struct fake_driver *d, struct guest_mem *mem, size_t size);
uint32_t drv_rd(const struct fake_driver *d, uint64_t off);
void drv_wr(const struct fake_driver *d, uint64_t off, uint32_t v);
void drv_start(struct fake_driver *d, uint64_t features, const unsigned *queues, unsigned n);
void drv_setup_queue(const struct fake_driver *d, unsigned q);
void drv_notify(const struct fake_driver *d, unsigned q);
void drv_submit(const struct fake_driver *d, unsigned q, uint16_t head);
int drv_needs_reset(const struct fake_driver *d);

#endif
