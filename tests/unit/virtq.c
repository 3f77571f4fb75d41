/* The driver side of split virtqueues (kernel/drivers/virtio/virtq.c, virtio 1.2 §2.7) driven
 * against a small fake device in the same process: buffer chains and their flags, a full queue,
 * 16-bit index wraparound, notification decisions with and without VIRTIO_F_EVENT_IDX
 * (§2.7.10), and a device that returns buffers it was never given. */
// SOURCES: kernel/drivers/virtio/virtq.c
#include "../../kernel/drivers/virtio/virtq.h"

#include <kernel/mm.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <toro/abi/linux.h>

#include "check.h"

/* Test doubles for the page allocator: whole pages from the host heap, counted so a leak or a
 * wrong page count on free shows. */
static long pages_outstanding;

void *mm_pages_zalloc(size_t npages)
{
	void *p = aligned_alloc(PAGE_SIZE, npages * PAGE_SIZE);
	if (p) {
		memset(p, 0, npages * PAGE_SIZE);
		pages_outstanding += (long)npages;
	}
	return p;
}

void mm_pages_free(void *p, size_t npages)
{
	pages_outstanding -= (long)npages;
	free(p);
}

/* The fake device: finds the rings through the addresses a transport would hand over, takes
 * available chains in order, appends what it reads to a log, fills device-writable buffers
 * with '#' and returns each chain with the count it wrote. */
struct fake_device {
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	uint16_t size;
	uint16_t last_avail;
	int event_idx; /* publish avail_event as it consumes, as QEMU does */
	char log[1 << 16];
	size_t log_len;
};

static void fake_attach(struct fake_device *d, const struct virtq *vq, int event_idx)
{
	memset(d, 0, sizeof(*d));
	d->desc = (struct virtq_desc *)(uintptr_t)virtq_desc_addr(vq);
	d->avail = (struct virtq_avail *)(uintptr_t)virtq_avail_addr(vq);
	d->used = (struct virtq_used *)(uintptr_t)virtq_used_addr(vq);
	d->size = vq->size;
	d->event_idx = event_idx;
}

static uint16_t *fake_avail_event(struct fake_device *d)
{
	return (uint16_t *)&d->used->ring[d->size];
}

/* Consumes up to max chains; returns how many. */
static int fake_consume(struct fake_device *d, int max)
{
	int n = 0;
	uint16_t avail_idx = __atomic_load_n(&d->avail->idx, __ATOMIC_ACQUIRE);
	while (n < max && d->last_avail != avail_idx) {
		uint16_t head = d->avail->ring[d->last_avail % d->size];
		uint32_t written = 0;
		uint16_t i = head;
		for (unsigned budget = d->size; budget > 0; budget--) {
			struct virtq_desc *desc = &d->desc[i];
			char *buf = (char *)(uintptr_t)desc->addr;
			if (desc->flags & VIRTQ_DESC_F_WRITE) {
				memset(buf, '#', desc->len);
				written += desc->len;
			} else if (d->log_len + desc->len <= sizeof(d->log)) {
				memcpy(d->log + d->log_len, buf, desc->len);
				d->log_len += desc->len;
			}
			if (!(desc->flags & VIRTQ_DESC_F_NEXT))
				break;
			i = desc->next;
		}
		uint16_t used_idx = d->used->idx;
		d->used->ring[used_idx % d->size].id = head;
		d->used->ring[used_idx % d->size].len = written;
		__atomic_store_n(&d->used->idx, (uint16_t)(used_idx + 1), __ATOMIC_RELEASE);
		d->last_avail++;
		n++;
	}
	if (d->event_idx)
		*fake_avail_event(d) = d->last_avail;
	return n;
}

static struct virtq_buf buf_of(const void *p, uint32_t len)
{
	struct virtq_buf b = {(uint64_t)(uintptr_t)p, len};
	return b;
}

/* §2.7: queue sizes are powers of two up to 32768. */
static void test_sizes(void)
{
	struct virtq vq;
	CHECK(virtq_size_for(0) == 0);
	CHECK(virtq_size_for(1) == 1);
	CHECK(virtq_size_for(100) == 64);
	CHECK(virtq_size_for(256) == 256);
	CHECK(virtq_size_for(40000) == VIRTQ_MAX_SIZE);
	CHECK(virtq_init(&vq, 0, 0, 0) == -LINUX_EINVAL);
	CHECK(virtq_init(&vq, 0, 24, 0) == -LINUX_EINVAL);
	CHECK(pages_outstanding == 0);
	CHECK(virtq_init(&vq, 3, 256, 1) == 0);
	CHECK(vq.size == 256 && vq.index == 3 && vq.event_idx == 1);
	CHECK(virtq_free_descriptors(&vq) == 256 && !virtq_busy(&vq));
	/* §2.7 alignment: descriptors 16, available ring 2, used ring 4. */
	CHECK(virtq_desc_addr(&vq) % 16 == 0);
	CHECK(virtq_avail_addr(&vq) % 2 == 0);
	CHECK(virtq_used_addr(&vq) % 4 == 0);
	CHECK(virtq_avail_addr(&vq) >= virtq_desc_addr(&vq) + VIRTQ_DESC_BYTES(256));
	CHECK(virtq_used_addr(&vq) >= virtq_avail_addr(&vq) + VIRTQ_AVAIL_BYTES(256));
	virtq_destroy(&vq);
	CHECK(pages_outstanding == 0);
}

/* §2.7.5/§2.7.13: a chain of readable then writable buffers, its flags and links, and the
 * used element coming back with the cookie and the written length. */
static void test_chain(void)
{
	struct virtq vq;
	struct fake_device *d = malloc(sizeof(*d));
	CHECK(virtq_init(&vq, 0, 8, 0) == 0);
	fake_attach(d, &vq, 0);
	char hdr[] = "head", body[] = "er-body", reply[16];
	struct virtq_buf bufs[3] = {buf_of(hdr, 4), buf_of(body, 7), buf_of(reply, sizeof(reply))};
	int cookie;
	CHECK(virtq_add(&vq, bufs, 2, 1, &cookie) == 0);
	CHECK(virtq_free_descriptors(&vq) == 5);
	CHECK(d->avail->idx == 1);
	uint16_t head = d->avail->ring[0];
	CHECK(d->desc[head].flags == VIRTQ_DESC_F_NEXT);
	uint16_t second = d->desc[head].next;
	CHECK(d->desc[second].flags == VIRTQ_DESC_F_NEXT);
	uint16_t third = d->desc[second].next;
	CHECK(d->desc[third].flags == VIRTQ_DESC_F_WRITE);
	CHECK(d->desc[third].len == sizeof(reply));

	void *got = NULL;
	uint32_t len = 0;
	CHECK(virtq_get_used(&vq, &got, &len) == 0);
	CHECK(fake_consume(d, 8) == 1);
	CHECK(virtq_get_used(&vq, &got, &len) == 1);
	CHECK(got == &cookie && len == sizeof(reply));
	CHECK(d->log_len == 11 && memcmp(d->log, "header-body", 11) == 0);
	CHECK(reply[0] == '#' && reply[15] == '#');
	CHECK(virtq_free_descriptors(&vq) == 8 && !virtq_busy(&vq));
	CHECK(virtq_get_used(&vq, &got, &len) == 0);

	CHECK(virtq_add(&vq, bufs, 0, 0, &cookie) == -LINUX_EINVAL);
	CHECK(virtq_add(&vq, bufs, 1, 0, NULL) == -LINUX_EINVAL);
	virtq_destroy(&vq);
	free(d);
}

/* A full queue refuses more, adds nothing on refusal, and takes buffers again once the device
 * returns some. */
static void test_full(void)
{
	struct virtq vq;
	struct fake_device *d = malloc(sizeof(*d));
	CHECK(virtq_init(&vq, 1, 4, 0) == 0);
	fake_attach(d, &vq, 0);
	char data[4] = {'a', 'b', 'c', 'd'};
	for (int i = 0; i < 4; i++) {
		struct virtq_buf b = buf_of(&data[i], 1);
		CHECK(virtq_add(&vq, &b, 1, 0, &data[i]) == 0);
	}
	struct virtq_buf b = buf_of(data, 1);
	CHECK(virtq_free_descriptors(&vq) == 0);
	CHECK(virtq_add(&vq, &b, 1, 0, data) == -LINUX_ENOSPC);
	CHECK(d->avail->idx == 4);

	CHECK(fake_consume(d, 2) == 2);
	void *got;
	uint32_t len;
	CHECK(virtq_get_used(&vq, &got, &len) == 1 && got == &data[0]);
	CHECK(virtq_get_used(&vq, &got, &len) == 1 && got == &data[1]);
	CHECK(virtq_get_used(&vq, &got, &len) == 0);
	/* Two descriptors free: a three-buffer chain must not fit, nor be half added. */
	struct virtq_buf three[3] = {b, b, b};
	CHECK(virtq_add(&vq, three, 3, 0, data) == -LINUX_ENOSPC);
	CHECK(virtq_free_descriptors(&vq) == 2 && d->avail->idx == 4);
	CHECK(virtq_add(&vq, three, 2, 0, data) == 0);
	CHECK(fake_consume(d, 8) == 3);
	CHECK(d->log_len == 6 && memcmp(d->log, "abcdaa", 6) == 0);
	int collected = 0;
	while (virtq_get_used(&vq, &got, &len) == 1)
		collected++;
	CHECK(collected == 3 && !virtq_busy(&vq));
	virtq_destroy(&vq);
	free(d);
}

/* Indices are free-running 16-bit counters (§2.7.6, §2.7.8): run past two wraps with
 * chains of varying length and partial consumption, checking every byte arrives in order and
 * every cookie comes back in order. */
#define WRAP_BYTES (6u * 65536)

static void test_wraparound(void)
{
	struct virtq vq;
	struct fake_device *d = malloc(sizeof(*d));
	CHECK(virtq_init(&vq, 0, 8, 0) == 0);
	fake_attach(d, &vq, 0);
	static uint8_t payload[WRAP_BYTES + 16];
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + i / 251);
	uint32_t next_add = 0, next_collect = 0, bytes_checked = 0, chains = 0;
	unsigned mismatches = 0, order_errors = 0;
	int rounds = 0;
	while (next_collect < WRAP_BYTES) {
		/* Add chains of 1..3 one-byte buffers while they fit. */
		for (;;) {
			unsigned n = 1 + next_add % 3;
			struct virtq_buf bufs[3];
			for (unsigned k = 0; k < n; k++)
				bufs[k] = buf_of(&payload[next_add + k], 1);
			if (virtq_add(&vq, bufs, n, 0, (void *)(uintptr_t)(next_add + 1)))
				break;
			next_add += n;
			chains++;
		}
		fake_consume(d, 1 + rounds % 4);
		void *got;
		uint32_t len;
		while (virtq_get_used(&vq, &got, &len) == 1) {
			uint32_t start = (uint32_t)(uintptr_t)got - 1;
			if (start != next_collect)
				order_errors++;
			next_collect = start + 1 + start % 3;
		}
		if (d->log_len > 4096) {
			if (memcmp(d->log, payload + bytes_checked, d->log_len) != 0)
				mismatches++;
			bytes_checked += (uint32_t)d->log_len;
			d->log_len = 0;
		}
		rounds++;
	}
	CHECK(order_errors == 0);
	CHECK(mismatches == 0);
	CHECK(bytes_checked > WRAP_BYTES - 8192);
	CHECK(chains > 2 * 65536); /* both indices wrapped at least twice */
	CHECK(vq.avail_idx == (uint16_t)chains);
	CHECK(d->avail->idx == vq.avail_idx);
	CHECK((uint16_t)(d->used->idx - vq.last_used) == 0);
	virtq_destroy(&vq);
	free(d);
}

/* Moves the queue's indices to start (the device consuming everything), so the event-index
 * arithmetic can be checked across the 16-bit wrap. */
static void advance_to(struct virtq *vq, struct fake_device *d, uint16_t start)
{
	char c = 'z';
	while (vq->avail_idx != start) {
		struct virtq_buf b = buf_of(&c, 1);
		virtq_add(vq, &b, 1, 0, &c);
		virtq_kick_prepare(vq);
		fake_consume(d, 1);
		void *got;
		uint32_t len;
		while (virtq_get_used(vq, &got, &len) == 1)
			;
		d->log_len = 0;
	}
}

static int add_and_kick(struct virtq *vq, int n)
{
	static char c = 'k';
	for (int i = 0; i < n; i++) {
		struct virtq_buf b = buf_of(&c, 1);
		if (virtq_add(vq, &b, 1, 0, &c))
			return -1;
	}
	return virtq_kick_prepare(vq);
}

/* §2.7.10 without VIRTIO_F_EVENT_IDX: notify unless the device set NO_NOTIFY; never for
 * nothing new. */
static void test_kick_flags(void)
{
	struct virtq vq;
	struct fake_device *d = malloc(sizeof(*d));
	CHECK(virtq_init(&vq, 0, 16, 0) == 0);
	fake_attach(d, &vq, 0);
	CHECK(virtq_kick_prepare(&vq) == 0);
	CHECK(add_and_kick(&vq, 1) == 1);
	CHECK(virtq_kick_prepare(&vq) == 0);
	d->used->flags = VIRTQ_USED_F_NO_NOTIFY;
	CHECK(add_and_kick(&vq, 2) == 0);
	d->used->flags = 0;
	CHECK(add_and_kick(&vq, 1) == 1);
	virtq_destroy(&vq);
	free(d);
}

/* §2.7.10 with VIRTIO_F_EVENT_IDX: notify exactly when the new chains move avail->idx past
 * avail_event, including across the 16-bit wrap; the NO_NOTIFY flag is then ignored. */
static void test_kick_event_idx(void)
{
	struct virtq vq;
	struct fake_device *d = malloc(sizeof(*d));
	CHECK(virtq_init(&vq, 0, 16, 1) == 0);
	fake_attach(d, &vq, 0);
	uint16_t *avail_event = fake_avail_event(d);

	/* The device asks to hear about index 0 (its initial state): the first add kicks. */
	CHECK(add_and_kick(&vq, 1) == 1);
	/* It has not consumed yet, so it still waits at 0: more adds need no second kick. */
	CHECK(add_and_kick(&vq, 3) == 0);
	/* It wants to hear when the index passes 5 (now 4): adding 1 reaches 5, not past it. */
	*avail_event = 5;
	CHECK(add_and_kick(&vq, 1) == 0);
	CHECK(add_and_kick(&vq, 1) == 1);
	d->used->flags = VIRTQ_USED_F_NO_NOTIFY;
	*avail_event = 6;
	CHECK(add_and_kick(&vq, 2) == 1);
	d->used->flags = 0;
	fake_consume(d, 16);
	void *got;
	uint32_t len;
	while (virtq_get_used(&vq, &got, &len) == 1)
		;

	/* Across the wrap: from 65535 two chains make the index 1. */
	d->event_idx = 0;
	advance_to(&vq, d, 65535);
	*avail_event = 65535;
	CHECK(add_and_kick(&vq, 2) == 1);
	fake_consume(d, 16);
	while (virtq_get_used(&vq, &got, &len) == 1)
		;
	advance_to(&vq, d, 65535);
	*avail_event = 0;
	CHECK(add_and_kick(&vq, 2) == 1);
	fake_consume(d, 16);
	while (virtq_get_used(&vq, &got, &len) == 1)
		;
	advance_to(&vq, d, 65535);
	*avail_event = 1; /* index 1 reached, not passed */
	CHECK(add_and_kick(&vq, 2) == 0);
	*avail_event = 65534; /* already passed before these adds */
	CHECK(add_and_kick(&vq, 1) == 0);

	/* With event publication as QEMU does it, every add after a full consume kicks once. */
	d->event_idx = 1;
	fake_consume(d, 16);
	int kicks = 0;
	for (int i = 0; i < 100; i++) {
		kicks += add_and_kick(&vq, 1 + i % 3);
		kicks += virtq_kick_prepare(&vq);
		fake_consume(d, 16);
		while (virtq_get_used(&vq, &got, &len) == 1)
			;
	}
	CHECK(kicks == 100);
	virtq_destroy(&vq);
	free(d);
}

/* A device that returns an index it was never given, or a chain twice, makes the queue
 * report -EIO instead of corrupting the free list. */
static void test_bad_device(void)
{
	struct virtq vq;
	struct fake_device *d = malloc(sizeof(*d));
	CHECK(virtq_init(&vq, 0, 4, 0) == 0);
	fake_attach(d, &vq, 0);
	char c = 'q';
	struct virtq_buf b = buf_of(&c, 1);
	CHECK(virtq_add(&vq, &b, 1, 0, &c) == 0);
	void *got;
	uint32_t len;
	d->used->ring[0].id = 4; /* out of range */
	__atomic_store_n(&d->used->idx, 1, __ATOMIC_RELEASE);
	CHECK(virtq_get_used(&vq, &got, &len) == -LINUX_EIO);
	d->used->ring[0].id = 1; /* in range, but not an outstanding head */
	CHECK(virtq_get_used(&vq, &got, &len) == -LINUX_EIO);
	d->used->ring[0].id = 0;
	CHECK(virtq_get_used(&vq, &got, &len) == 1 && got == &c);
	d->used->ring[1].id = 0; /* the same chain again */
	__atomic_store_n(&d->used->idx, 2, __ATOMIC_RELEASE);
	CHECK(virtq_get_used(&vq, &got, &len) == -LINUX_EIO);
	CHECK(virtq_free_descriptors(&vq) == 4);
	virtq_destroy(&vq);
	free(d);
}

/* §2.7.10, the driver's side of interrupts: virtq_used_arm asks for one at the next used chain
 * (used_event = the next entry to collect) and says when the device used more meanwhile. */
static void test_used_arm(void)
{
	for (int event_idx = 0; event_idx <= 1; event_idx++) {
		struct virtq vq;
		struct fake_device *d = malloc(sizeof(*d));
		CHECK(virtq_init(&vq, 0, 8, event_idx) == 0);
		fake_attach(d, &vq, 0);
		char out[4] = "abc";
		for (int i = 0; i < 3; i++)
			CHECK(virtq_add(&vq, &(struct virtq_buf){(uint64_t)(uintptr_t)out, 3}, 1, 0,
			                out) == 0);
		CHECK(virtq_used_arm(&vq) == 0); /* nothing used yet */
		CHECK(fake_consume(d, 2) == 2);
		CHECK(virtq_used_arm(&vq) == 1); /* used since: collect first */
		void *cookie;
		uint32_t len;
		while (virtq_get_used(&vq, &cookie, &len) == 1)
			;
		CHECK(virtq_used_arm(&vq) == 0);
		if (event_idx)
			CHECK(*vq.used_event == 2); /* interrupt when entry 2 is used */
		CHECK(fake_consume(d, 1) == 1);
		CHECK(virtq_used_arm(&vq) == 1);
		CHECK(virtq_get_used(&vq, &cookie, &len) == 1);
		CHECK(virtq_used_arm(&vq) == 0);
		if (event_idx)
			CHECK(*vq.used_event == 3);
		virtq_destroy(&vq);
		free(d);
	}
}

/* Whether a device that moved used->idx from old on would interrupt now (§2.7.7, §2.7.10). */
static int fake_would_interrupt(const struct virtq *vq, const struct fake_device *d, uint16_t old)
{
	if (vq->event_idx)
		return virtq_need_event(*vq->used_event, d->used->idx, old);
	return !(d->avail->flags & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

/* virtq_used_suppress: no interrupt while the driver collects chains without one, for half the
 * index space (32,768 chains; then at most one stray interrupt, as 0x8000 ahead is crossed),
 * until virtq_used_arm asks again. */
static void test_used_suppress(void)
{
	for (int event_idx = 0; event_idx <= 1; event_idx++) {
		struct virtq vq;
		struct fake_device *d = malloc(sizeof(*d));
		CHECK(virtq_init(&vq, 0, 8, event_idx) == 0);
		fake_attach(d, &vq, 0);
		char out[4] = "abc";
		void *cookie;
		uint32_t len;
		virtq_used_suppress(&vq);
		for (int round = 0; round < 0x8000 / 8; round++) {
			for (int i = 0; i < 8; i++)
				CHECK(virtq_add(&vq,
				                &(struct virtq_buf){(uint64_t)(uintptr_t)out, 3}, 1,
				                0, out) == 0);
			uint16_t old = d->used->idx;
			CHECK(fake_consume(d, 8) == 8);
			if (fake_would_interrupt(&vq, d, old)) {
				CHECK(!"an interrupt while suppressed");
				break;
			}
			while (virtq_get_used(&vq, &cookie, &len) == 1)
				;
		}
		CHECK(virtq_used_arm(&vq) == 0);
		CHECK(virtq_add(&vq, &(struct virtq_buf){(uint64_t)(uintptr_t)out, 3}, 1, 0, out) ==
		      0);
		uint16_t old = d->used->idx;
		CHECK(fake_consume(d, 1) == 1);
		CHECK(
		    fake_would_interrupt(&vq, d, old)); /* armed again: the next chain interrupts */
		CHECK(virtq_get_used(&vq, &cookie, &len) == 1);
		virtq_destroy(&vq);
		free(d);
	}
}

int main(void)
{
	test_sizes();
	test_chain();
	test_full();
	test_wraparound();
	test_kick_flags();
	test_kick_event_idx();
	test_bad_device();
	test_used_arm();
	test_used_suppress();
	CHECK(pages_outstanding == 0);
	return check_summary("virtq");
}
