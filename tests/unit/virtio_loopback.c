/* Both ends of a split virtqueue (virtio 1.2 §2.7) in one process: the kernel's driver side
 * (kernel/drivers/virtio/virtq.c) and the monitor's device side (vmm/virtio/queue.c), sharing an
 * arena that is also the "guest RAM" of a one-region guest_mem whose guest-physical addresses
 * are the arena's host addresses (as the kernel's identity map makes them). 1 MiB moves each way,
 * in chains of one to three buffers of 1 to 8 bytes, so both 16-bit ring indices wrap; every
 * byte is checked, and each used element against the chain it returns. */
// clang-format off
// SOURCES: kernel/drivers/virtio/virtq.c vmm/virtio/queue.c vmm/kvm/guest.c
// clang-format on
#include "../../kernel/drivers/virtio/virtq.h"

#include <kernel/mm.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "kvm/guest.h"
#include "virtio/queue.h"

#define ARENA_SIZE (4u << 20)
#define DATA_SIZE  (1u << 20)
#define QUEUE_SIZE 8
#define CHUNK_MAX  8
#define CHAIN_MAX  3
#define RING_PAGES 64 /* the rings' share of the arena, from its start */

/* The arena: ring pages from the start (the page allocator's test doubles), the driver's data
 * buffers after them. */
static uint8_t *arena;
static size_t arena_pages_used;
static long pages_outstanding;
static struct guest_mem mem;

void *mm_pages_zalloc(size_t npages)
{
	if (arena_pages_used + npages > RING_PAGES)
		return NULL;
	void *p = arena + arena_pages_used * PAGE_SIZE;
	memset(p, 0, npages * PAGE_SIZE);
	arena_pages_used += npages;
	pages_outstanding += (long)npages;
	return p;
}

void mm_pages_free(void *p, size_t npages)
{
	(void)p;
	pages_outstanding -= (long)npages;
}

static uint8_t pattern(size_t i, unsigned salt)
{
	return (uint8_t)((i * 131u + (i >> 8) * 7u + salt) & 0xff);
}

/* xorshift: chunk sizes and chain lengths, the same every run. */
static uint32_t rng_state = 0x12345678u;

static uint32_t rng(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state % n;
}

/* One chain in flight: where its bytes start in the 1 MiB and how many. */
struct flight {
	size_t off;
	uint32_t len;
};

/* The monitor's side of the driver's queue vq, as a transport would set it up. */
static void device_attach(struct vq *dq, const struct virtq *vq)
{
	vq_reset(dq);
	dq->num = vq->size;
	dq->desc_gpa = virtq_desc_addr(vq);
	dq->avail_gpa = virtq_avail_addr(vq);
	dq->used_gpa = virtq_used_addr(vq);
	const char *why = NULL;
	CHECK(vq_enable(dq, &mem, VQ_NUM_MAX, &why) == 0);
}

/* The driver adds chains of 1..CHAIN_MAX buffers of 1..CHUNK_MAX bytes over data[*next..], in
 * order, device-readable or (device_writes) device-writable, while it has descriptors; each
 * chain's cookie is its flight, kept at the index of its head. Returns how many it added. */
static size_t driver_add_chains(struct virtq *vq, uint8_t *data, size_t *next, int device_writes,
                                struct flight *flights)
{
	size_t chains = 0;
	while (*next < DATA_SIZE) {
		unsigned want = 1 + rng(CHAIN_MAX), n = 0;
		struct virtq_buf bufs[CHAIN_MAX];
		size_t at = *next;
		for (; n < want && at < DATA_SIZE; n++) {
			uint32_t len = 1 + rng(CHUNK_MAX);
			if (len > DATA_SIZE - at)
				len = (uint32_t)(DATA_SIZE - at);
			bufs[n] = (struct virtq_buf){(uint64_t)(uintptr_t)(data + at), len};
			at += len;
		}
		if (virtq_free_descriptors(vq) < n)
			break;
		struct flight *f = &flights[vq->free_head];
		*f = (struct flight){*next, (uint32_t)(at - *next)};
		CHECK(virtq_add(vq, bufs, device_writes ? 0 : n, device_writes ? n : 0, f) == 0);
		*next = at;
		chains++;
	}
	return chains;
}

/* Driver → device: chains of device-readable buffers holding the data in order; the device
 * copies them out and returns each with length 0. */
static void test_2_7_driver_to_device(void)
{
	struct virtq vq;
	struct vq dq;
	CHECK(virtq_init(&vq, 0, QUEUE_SIZE, 0) == 0);
	device_attach(&dq, &vq);
	uint8_t *src = arena + RING_PAGES * PAGE_SIZE; /* the driver's buffers: guest memory */
	uint8_t *dst = malloc(DATA_SIZE);
	for (size_t i = 0; i < DATA_SIZE; i++)
		src[i] = pattern(i, 1);
	struct flight flights[QUEUE_SIZE];
	size_t sent = 0, received = 0, chains = 0, collected = 0, multi = 0;
	while (collected < DATA_SIZE) {
		/* The driver adds chains while it has descriptors. */
		chains += driver_add_chains(&vq, src, &sent, 0, flights);
		virtq_kick_prepare(&vq);
		/* The device takes everything available, in order. */
		struct vq_chain c;
		const char *why = NULL;
		int r;
		while ((r = vq_pop(&dq, &mem, &c, &why)) > 0) {
			multi += c.nbufs > 1;
			for (unsigned b = 0; b < c.nbufs; b++) {
				CHECK(!c.bufs[b].device_writable);
				CHECK(received + c.bufs[b].len <= DATA_SIZE);
				if (received + c.bufs[b].len > DATA_SIZE)
					break;
				memcpy(dst + received, c.bufs[b].addr, c.bufs[b].len);
				received += c.bufs[b].len;
			}
			vq_push(&dq, c.head, 0);
		}
		CHECK(r == 0);
		/* The driver collects, in the order it added. */
		void *cookie;
		uint32_t len;
		while ((r = virtq_get_used(&vq, &cookie, &len)) == 1) {
			const struct flight *f = cookie;
			CHECK(f->off == collected && len == 0);
			collected += f->len;
		}
		CHECK(r == 0);
		if (check_failures)
			break;
	}
	CHECK(received == DATA_SIZE && memcmp(dst, src, DATA_SIZE) == 0);
	CHECK(multi > chains / 2); /* most chains have more than one buffer */
	CHECK(chains > 65536 && vq.avail_idx == (uint16_t)chains &&
	      dq.used_idx == (uint16_t)chains);
	CHECK(!virtq_busy(&vq));
	virtq_destroy(&vq);
	free(dst);
}

/* Device → driver: chains of device-writable buffers; the device fills them with the data in
 * order and returns each with the bytes it wrote, which the driver checks against the chain. */
static void test_2_7_device_to_driver(void)
{
	struct virtq vq;
	struct vq dq;
	CHECK(virtq_init(&vq, 1, QUEUE_SIZE, 0) == 0);
	device_attach(&dq, &vq);
	uint8_t *dst = arena + RING_PAGES * PAGE_SIZE + DATA_SIZE; /* guest memory */
	memset(dst, 0, DATA_SIZE);
	struct flight flights[QUEUE_SIZE];
	size_t posted = 0, produced = 0, chains = 0, collected = 0;
	while (collected < DATA_SIZE) {
		chains += driver_add_chains(&vq, dst, &posted, 1, flights);
		virtq_kick_prepare(&vq);
		struct vq_chain c;
		const char *why = NULL;
		int r;
		while ((r = vq_pop(&dq, &mem, &c, &why)) > 0) {
			uint32_t written = 0;
			for (unsigned b = 0; b < c.nbufs; b++) {
				CHECK(c.bufs[b].device_writable);
				uint8_t *p = c.bufs[b].addr;
				for (uint32_t i = 0; i < c.bufs[b].len; i++)
					p[i] = pattern(produced++, 2);
				written += c.bufs[b].len;
			}
			vq_push(&dq, c.head, written);
		}
		CHECK(r == 0);
		void *cookie;
		uint32_t len;
		while ((r = virtq_get_used(&vq, &cookie, &len)) == 1) {
			const struct flight *f = cookie;
			CHECK(f->off == collected && len == f->len);
			collected += f->len;
		}
		CHECK(r == 0);
		if (check_failures)
			break;
	}
	size_t bad = 0;
	for (size_t i = 0; i < DATA_SIZE; i++)
		bad += dst[i] != pattern(i, 2);
	CHECK(produced == DATA_SIZE);
	CHECK(bad == 0);
	CHECK(chains > 65536 && vq.avail_idx == (uint16_t)chains &&
	      dq.used_idx == (uint16_t)chains);
	virtq_destroy(&vq);
}

int main(void)
{
	arena = aligned_alloc(PAGE_SIZE, ARENA_SIZE);
	CHECK(arena != NULL);
	if (!arena)
		return check_summary("virtio_loopback");
	memset(&mem, 0, sizeof(mem));
	CHECK(guest_mem_add(&mem, (uint64_t)(uintptr_t)arena, ARENA_SIZE, arena) == 0);
	test_2_7_driver_to_device();
	test_2_7_device_to_driver();
	CHECK(pages_outstanding == 0);
	free(arena);
	return check_summary("virtio_loopback");
}
