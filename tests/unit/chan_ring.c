/* The message ring of inter-core channels (kernel/ipc/chan_ring.c) on its own: a full ring
 * refuses more without losing anything, messages that wrap the data area become two-descriptor
 * chains, 64 KiB messages, messages larger than the maximum or the receive buffer refused,
 * damaged descriptors refused, and a producer and a consumer thread passing many messages
 * checked by checksum and sequence. */
// SOURCES: kernel/ipc/chan_ring.c
#include "../../kernel/ipc/chan_ring.h"

#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <toro/abi/linux.h>

#include "check.h"

struct test_ring {
	struct chan_ring r;
	struct virtq_desc *desc;
	uint8_t *data;
};

static void ring_make(struct test_ring *t, uint16_t entries, uint32_t data_bytes)
{
	t->desc = calloc(entries, sizeof *t->desc);
	t->data = calloc(1, data_bytes);
	CHECK(chan_ring_init(&t->r, t->desc, entries, t->data, data_bytes) == 0);
}

static void ring_free(struct test_ring *t)
{
	free(t->desc);
	free(t->data);
}

/* A message whose bytes depend on its sequence number, so a lost, repeated or garbled one
 * shows. */
static void fill(uint8_t *p, size_t len, uint32_t seq)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seq * 131 + i * 7 + (i >> 8));
}

static int matches(const uint8_t *p, size_t len, uint32_t seq)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != (uint8_t)(seq * 131 + i * 7 + (i >> 8)))
			return 0;
	return 1;
}

static void test_init_refuses_bad_sizes(void)
{
	struct chan_ring r;
	struct virtq_desc d[4];
	uint8_t data[64];
	CHECK(chan_ring_init(&r, d, 3, data, 64) == -LINUX_EINVAL);
	CHECK(chan_ring_init(&r, d, 1, data, 64) == -LINUX_EINVAL);
	CHECK(chan_ring_init(&r, d, 4, data, 48) == -LINUX_EINVAL);
	CHECK(chan_ring_init(&r, d, 4, data, 0) == -LINUX_EINVAL);
	CHECK(chan_ring_init(&r, d, 4, data, 64) == 0);
}

/* Descriptors run out first: 4 slots, plenty of bytes. */
static void test_full_by_descriptors(void)
{
	struct test_ring t;
	ring_make(&t, 4, 1024);
	uint8_t msg[16], got[16];
	for (uint32_t i = 0; i < 4; i++) {
		fill(msg, sizeof msg, i);
		CHECK(chan_ring_put(&t.r, msg, sizeof msg) == 0);
	}
	CHECK(!chan_ring_has_room(&t.r, 1));
	fill(msg, sizeof msg, 99);
	CHECK(chan_ring_put(&t.r, msg, sizeof msg) == -LINUX_EAGAIN);
	/* The refused message left nothing behind: the four come out in order, then nothing. */
	for (uint32_t i = 0; i < 4; i++) {
		CHECK(chan_ring_get(&t.r, got, sizeof got) == (long)sizeof got);
		CHECK(matches(got, sizeof got, i));
	}
	CHECK(chan_ring_empty(&t.r));
	CHECK(chan_ring_get(&t.r, got, sizeof got) == -LINUX_EAGAIN);
	ring_free(&t);
}

/* Bytes run out first: 64 bytes of data, 100-byte messages never fit, 40-byte ones one at a
 * time. */
static void test_full_by_bytes(void)
{
	struct test_ring t;
	ring_make(&t, 16, 64);
	uint8_t msg[100], got[100];
	fill(msg, sizeof msg, 1);
	CHECK(chan_ring_put(&t.r, msg, 100) == -LINUX_EMSGSIZE);
	CHECK(chan_ring_put(&t.r, msg, 40) == 0);
	CHECK(chan_ring_put(&t.r, msg, 40) == -LINUX_EAGAIN);
	CHECK(chan_ring_has_room(&t.r, 24));
	CHECK(!chan_ring_has_room(&t.r, 25));
	CHECK(chan_ring_get(&t.r, got, sizeof got) == 40);
	CHECK(matches(got, 40, 1));
	CHECK(chan_ring_has_room(&t.r, 64));
	ring_free(&t);
}

/* Sizes that do not divide the data area: the bytes wrap (two-descriptor chains), the 16-bit
 * indices wrap after 65536 descriptors, and every message comes back intact. */
static void test_wraparound(void)
{
	struct test_ring t;
	ring_make(&t, 8, 256);
	uint8_t msg[200], got[200];
	unsigned chains = 0;
	for (uint32_t i = 0; i < 70000; i++) {
		size_t len = (i * 37) % 200;
		fill(msg, len, i);
		uint16_t before = t.r.avail_idx;
		CHECK(chan_ring_put(&t.r, msg, len) == 0);
		chains += (uint16_t)(t.r.avail_idx - before) == 2;
		long n = chan_ring_get(&t.r, got, sizeof got);
		CHECK(n == (long)len);
		if (n != (long)len || !matches(got, len, i)) {
			CHECK(!"message intact");
			break;
		}
	}
	CHECK(chains > 1000);
	CHECK(t.r.data_head == t.r.data_tail);
	ring_free(&t);
}

static void test_big_messages(void)
{
	struct test_ring t;
	ring_make(&t, 256, 2 * CHAN_MSG_MAX);
	uint8_t *msg = malloc(CHAN_MSG_MAX + 1), *got = malloc(CHAN_MSG_MAX);
	CHECK(chan_ring_put(&t.r, msg, CHAN_MSG_MAX + 1) == -LINUX_EMSGSIZE);
	/* A small message first, so each 64 KiB one after it wraps the data area. */
	CHECK(chan_ring_put(&t.r, msg, 100) == 0);
	CHECK(chan_ring_get(&t.r, got, 100) == 100);
	for (uint32_t i = 0; i < 5; i++) {
		fill(msg, CHAN_MSG_MAX, i);
		CHECK(chan_ring_put(&t.r, msg, CHAN_MSG_MAX) == 0);
		CHECK(chan_ring_put(&t.r, msg, CHAN_MSG_MAX) == 0);
		CHECK(chan_ring_put(&t.r, msg, 1) == -LINUX_EAGAIN); /* both halves full */
		for (int k = 0; k < 2; k++) {
			CHECK(chan_ring_get(&t.r, got, CHAN_MSG_MAX - 1) == -LINUX_EMSGSIZE);
			CHECK(chan_ring_get(&t.r, got, CHAN_MSG_MAX) == (long)CHAN_MSG_MAX);
			CHECK(matches(got, CHAN_MSG_MAX, i));
		}
	}
	free(msg);
	free(got);
	ring_free(&t);
}

static void test_empty_messages(void)
{
	struct test_ring t;
	ring_make(&t, 4, 64);
	CHECK(chan_ring_put(&t.r, NULL, 0) == 0);
	CHECK(!chan_ring_empty(&t.r));
	CHECK(chan_ring_get(&t.r, NULL, 0) == 0);
	CHECK(chan_ring_empty(&t.r));
	ring_free(&t);
}

/* Descriptors the producer never writes are refused, not followed out of the data area. */
static void test_damaged_descriptors(void)
{
	struct test_ring t;
	ring_make(&t, 4, 64);
	uint8_t msg[32] = {0}, got[64];
	CHECK(chan_ring_put(&t.r, msg, 16) == 0);
	t.desc[0].addr = 60;
	CHECK(chan_ring_get(&t.r, got, sizeof got) == -LINUX_EIO);
	t.desc[0] =
	    (struct virtq_desc){.addr = 0, .len = 16, .flags = VIRTQ_DESC_F_NEXT, .next = 1};
	CHECK(chan_ring_get(&t.r, got, sizeof got) == -LINUX_EIO); /* only one published */
	CHECK(chan_ring_put(&t.r, msg, 16) == 0);
	t.desc[0].next = 3;
	CHECK(chan_ring_get(&t.r, got, sizeof got) == -LINUX_EIO); /* not the next slot */
	t.desc[0].next = 1;
	t.desc[1].addr = 16;
	CHECK(chan_ring_get(&t.r, got, sizeof got) == -LINUX_EIO); /* second piece not at 0 */
	t.desc[1] = (struct virtq_desc){.addr = 0, .len = 8, .flags = VIRTQ_DESC_F_NEXT};
	CHECK(chan_ring_get(&t.r, got, sizeof got) == -LINUX_EIO); /* a chain of three */
	ring_free(&t);
}

/* Two host threads as the two cores: the producer sends messages of varied sizes (up to the
 * largest), spinning while the ring is full; the consumer checks each one's sequence and
 * contents and sums a checksum both sides compute. */
#define THREAD_MESSAGES 5000

struct duplex {
	struct test_ring t;
	uint64_t sent_sum, received_sum;
	unsigned bad, full_retries;
};

static size_t thread_len(uint32_t seq)
{
	return seq % 97 == 0 ? CHAN_MSG_MAX : (seq * 2654435761u) % 3000;
}

static uint64_t checksum(const uint8_t *p, size_t len)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

static void *producer(void *arg)
{
	struct duplex *d = arg;
	uint8_t *msg = malloc(CHAN_MSG_MAX);
	for (uint32_t seq = 0; seq < THREAD_MESSAGES; seq++) {
		size_t len = thread_len(seq);
		fill(msg, len, seq);
		d->sent_sum += checksum(msg, len);
		int r;
		while ((r = chan_ring_put(&d->t.r, msg, len)) == -LINUX_EAGAIN)
			d->full_retries++, sched_yield();
		if (r != 0)
			d->bad++;
	}
	free(msg);
	return NULL;
}

static void *consumer(void *arg)
{
	struct duplex *d = arg;
	uint8_t *got = malloc(CHAN_MSG_MAX);
	for (uint32_t seq = 0; seq < THREAD_MESSAGES; seq++) {
		long n;
		while ((n = chan_ring_get(&d->t.r, got, CHAN_MSG_MAX)) == -LINUX_EAGAIN)
			sched_yield();
		if (n != (long)thread_len(seq) || !matches(got, (size_t)n, seq)) {
			d->bad++;
			break;
		}
		d->received_sum += checksum(got, (size_t)n);
	}
	free(got);
	return NULL;
}

static void test_two_threads(void)
{
	struct duplex d = {0};
	ring_make(&d.t, 16, 2 * CHAN_MSG_MAX);
	pthread_t p, c;
	CHECK(pthread_create(&c, NULL, consumer, &d) == 0);
	CHECK(pthread_create(&p, NULL, producer, &d) == 0);
	pthread_join(p, NULL);
	pthread_join(c, NULL);
	CHECK(d.bad == 0);
	CHECK(d.sent_sum == d.received_sum);
	CHECK(chan_ring_empty(&d.t.r));
	printf("two threads: %u messages, producer found the ring full %u times\n", THREAD_MESSAGES,
	       d.full_retries);
	ring_free(&d.t);
}

int main(void)
{
	test_init_refuses_bad_sizes();
	test_full_by_descriptors();
	test_full_by_bytes();
	test_wraparound();
	test_big_messages();
	test_empty_messages();
	test_damaged_descriptors();
	test_two_threads();
	return check_summary("chan_ring");
}
