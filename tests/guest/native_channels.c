/* Inter-core channels through the native API (include/toro/channel.h): a ping-pong, every core
 * sending to core 0 (two threads per core) taken with recv_any, a full ring that holds its
 * sender without dropping anything, 64 KiB messages both ways, the non-blocking calls and bad
 * arguments, and a receiver left waiting forever (reported as all threads blocked). The first
 * argument picks the part, the second the rounds. */
// BUILD: --native --no-fpu
// CASE: pingpong-2 | --cpus 2 -- pingpong 200 | 0 | ^pingpong: 200 round trips between cores 0 and 1, ok$
// CASE: pingpong-4 | --cpus 4 -- pingpong 100 | 0 | ^pingpong: 100 round trips between cores 0 and 3, ok$
// CASE: all-to-one-2 | --cpus 2 -- all-to-one 200 | 0 | ^all-to-one: 400 messages from 2 threads on 1 cores, in order, ok$
// CASE: all-to-one-4 | --cpus 4 -- all-to-one 100 | 0 | ^all-to-one: 600 messages from 6 threads on 3 cores, in order, ok$
// CASE: full-2 | --cpus 2 -- full | 0 | ^full: try_send refused message 256 with -11$ && ^full: sender held at 256 of 300 while nobody received$ && ^full: 300 received in order, ok$
// CASE: full-4 | --cpus 4 -- full | 0 | ^full: sender held at 256 of 300 while nobody received$ && ^full: 300 received in order, ok$
// CASE: big-2 | --cpus 2 -- big 20 | 0 | ^big: 20 messages of 65536 bytes each way, checksums ok$ && ^big: 65537 bytes refused with -90$ && ^big: short buffer refused with -90, message kept$
// CASE: big-4 | --cpus 4 -- big 10 | 0 | ^big: 10 messages of 65536 bytes each way, checksums ok$
// CASE: nonblock-2 | --cpus 2 -- nonblock | 0 | ^nonblock: ok$
// CASE: nonblock-4 | --cpus 4 -- nonblock | 0 | ^nonblock: ok$
// CASE: deadlock-2 | --cpus 2 -- deadlock | 126 | all threads blocked
#include <toro/channel.h>
#include <toro/console.h>
#include <toro/memory.h>
#include <toro/system.h>
#include <toro/thread.h>

#include "native_test.h"

static int failures;

#define EXPECT(cond)                                                                               \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			toro_printf("FAIL line %d on core %u: %s\n", __LINE__, toro_core_id(),     \
			            #cond);                                                        \
			__atomic_fetch_add(&failures, 1, __ATOMIC_RELAXED);                        \
		}                                                                                  \
	} while (0)

static int rounds = 10;

/* pingpong: core 0 sends a numbered ping to the last core, which answers with the number plus
 * one. */
static void *pong(void *arg)
{
	(void)arg;
	for (int i = 0; i < rounds; i++) {
		unsigned n;
		EXPECT(toro_chan_recv(0, &n, sizeof n) == sizeof n);
		n++;
		EXPECT(toro_chan_send(0, &n, sizeof n) == 0);
	}
	return 0;
}

static void test_pingpong(void)
{
	unsigned peer = toro_core_count() - 1;
	toro_thread *t = toro_thread_create(peer, pong, 0, 0);
	for (int i = 0; i < rounds; i++) {
		unsigned n = (unsigned)i * 10, answer = 0;
		EXPECT(toro_chan_send(peer, &n, sizeof n) == 0);
		EXPECT(toro_chan_recv(peer, &answer, sizeof answer) == sizeof answer);
		EXPECT(answer == n + 1);
	}
	toro_thread_join(t);
	if (!failures)
		toro_printf("pingpong: %d round trips between cores 0 and %u, ok\n", rounds, peer);
}

/* all-to-one: two threads on every other core send (core, thread, seq) to core 0; their sends
 * interleave on the one ring of their core, and each thread's messages must arrive in order. */
struct tagged {
	unsigned core, thread, seq;
};

static void *send_tagged(void *arg)
{
	struct tagged m = {toro_core_id(), (unsigned)(unsigned long)arg, 0};
	for (m.seq = 0; m.seq < (unsigned)rounds; m.seq++) {
		EXPECT(toro_chan_send(0, &m, sizeof m) == 0);
		if (m.seq % 3 == 0)
			toro_yield(); /* let the core's other sender in between */
	}
	return 0;
}

static void test_all_to_one(void)
{
	unsigned cores = toro_core_count(), threads = 2 * (cores - 1);
	toro_thread *t[2 * 64];
	for (unsigned c = 1; c < cores; c++)
		for (unsigned k = 0; k < 2; k++)
			t[2 * (c - 1) + k] =
			    toro_thread_create(c, send_tagged, (void *)(unsigned long)k, 0);
	unsigned next[64][2] = {{0}};
	unsigned total = threads * (unsigned)rounds;
	for (unsigned i = 0; i < total; i++) {
		struct tagged m;
		unsigned from = 99;
		EXPECT(toro_chan_recv_any(&from, &m, sizeof m) == sizeof m);
		EXPECT(from == m.core && from >= 1 && from < cores && m.thread < 2);
		if (from < 64 && m.thread < 2) {
			EXPECT(m.seq == next[from][m.thread]);
			next[from][m.thread] = m.seq + 1;
		}
	}
	for (unsigned i = 0; i < threads; i++)
		toro_thread_join(t[i]);
	unsigned dummy;
	EXPECT(toro_chan_try_recv_any(&dummy, &dummy, sizeof dummy) == -TORO_EAGAIN);
	if (!failures)
		toro_printf("all-to-one: %u messages from %u threads on %u cores, in order, ok\n",
		            total, threads, cores - 1);
}

/* full: the last core fills its ring to core 0 (256 descriptors), sees try_send refuse, then
 * blocks in toro_chan_send; core 0 waits for the refusal, checks the sender is still held there
 * a while later, then takes everything and checks nothing was lost. */
#define FULL_TOTAL 300
static unsigned full_sent, full_refused;

static void *fill_ring(void *arg)
{
	(void)arg;
	unsigned i;
	for (i = 0;; i++) {
		int r = toro_chan_try_send(0, &i, sizeof i);
		if (r) {
			toro_printf("full: try_send refused message %u with %d\n", i, r);
			EXPECT(r == -TORO_EAGAIN);
			__atomic_store_n(&full_refused, 1, __ATOMIC_RELEASE);
			break;
		}
		__atomic_store_n(&full_sent, i + 1, __ATOMIC_RELEASE);
	}
	for (; i < FULL_TOTAL; i++) {
		EXPECT(toro_chan_send(0, &i, sizeof i) == 0);
		__atomic_store_n(&full_sent, i + 1, __ATOMIC_RELEASE);
	}
	return 0;
}

static void test_full(void)
{
	unsigned peer = toro_core_count() - 1;
	toro_thread *t = toro_thread_create(peer, fill_ring, 0, 0);
	while (!__atomic_load_n(&full_refused, __ATOMIC_ACQUIRE))
		toro_sleep_ms(1);
	unsigned refused_at = __atomic_load_n(&full_sent, __ATOMIC_ACQUIRE);
	toro_sleep_ms(50); /* the sender is in toro_chan_send now, and must stay there */
	unsigned held = __atomic_load_n(&full_sent, __ATOMIC_ACQUIRE);
	toro_printf("full: sender held at %u of %u while nobody received\n", held, FULL_TOTAL);
	EXPECT(held == refused_at && held < FULL_TOTAL);
	for (unsigned i = 0; i < FULL_TOTAL; i++) {
		unsigned n = ~0u;
		EXPECT(toro_chan_recv(peer, &n, sizeof n) == sizeof n);
		EXPECT(n == i);
	}
	toro_thread_join(t);
	if (!failures)
		toro_printf("full: %u received in order, ok\n", FULL_TOTAL);
}

/* big: 64 KiB messages from the last core to core 0 and back, each with its checksum. */
static uint32_t checksum(const uint8_t *p, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static void fill(uint8_t *p, size_t len, unsigned seed)
{
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (uint8_t)(x >> 16);
	}
}

static void *echo_big(void *arg)
{
	(void)arg;
	uint8_t *buf = toro_malloc(TORO_CHAN_MSG_MAX);
	for (int i = 0; i < rounds; i++) {
		uint32_t sum;
		EXPECT(toro_chan_recv(0, &sum, sizeof sum) == sizeof sum);
		EXPECT(toro_chan_recv(0, buf, TORO_CHAN_MSG_MAX) == TORO_CHAN_MSG_MAX);
		EXPECT(checksum(buf, TORO_CHAN_MSG_MAX) == sum);
		for (size_t k = 0; k < TORO_CHAN_MSG_MAX; k++)
			buf[k] ^= 0x5a;
		sum = checksum(buf, TORO_CHAN_MSG_MAX);
		EXPECT(toro_chan_send(0, &sum, sizeof sum) == 0);
		EXPECT(toro_chan_send(0, buf, TORO_CHAN_MSG_MAX) == 0);
	}
	toro_free(buf);
	return 0;
}

static void test_big(void)
{
	unsigned peer = toro_core_count() - 1;
	uint8_t *out = toro_malloc(TORO_CHAN_MSG_MAX + 1), *in = toro_malloc(TORO_CHAN_MSG_MAX);
	EXPECT(out && in);
	int r = toro_chan_send(peer, out, TORO_CHAN_MSG_MAX + 1);
	toro_printf("big: %u bytes refused with %d\n", TORO_CHAN_MSG_MAX + 1, r);
	EXPECT(r == -TORO_EMSGSIZE);
	toro_thread *t = toro_thread_create(peer, echo_big, 0, 0);
	for (int i = 0; i < rounds; i++) {
		fill(out, TORO_CHAN_MSG_MAX, (unsigned)i);
		uint32_t sum = checksum(out, TORO_CHAN_MSG_MAX), back;
		EXPECT(toro_chan_send(peer, &sum, sizeof sum) == 0);
		EXPECT(toro_chan_send(peer, out, TORO_CHAN_MSG_MAX) == 0);
		EXPECT(toro_chan_recv(peer, &back, sizeof back) == sizeof back);
		if (i == 0) {
			long short_r;
			while ((short_r = toro_chan_try_recv(peer, in, 1000)) == -TORO_EAGAIN)
				toro_yield();
			toro_printf("big: short buffer refused with %ld, message kept\n", short_r);
			EXPECT(short_r == -TORO_EMSGSIZE);
		}
		EXPECT(toro_chan_recv(peer, in, TORO_CHAN_MSG_MAX) == TORO_CHAN_MSG_MAX);
		EXPECT(checksum(in, TORO_CHAN_MSG_MAX) == back);
		for (size_t k = 0; k < TORO_CHAN_MSG_MAX; k++)
			EXPECT((in[k] ^ 0x5a) == out[k]);
	}
	toro_thread_join(t);
	toro_free(out);
	toro_free(in);
	if (!failures)
		toro_printf("big: %d messages of %u bytes each way, checksums ok\n", rounds,
		            TORO_CHAN_MSG_MAX);
}

/* nonblock: nothing waiting gives -EAGAIN at once; bad cores and NULL buffers -EINVAL; a
 * message sent with try_send arrives through try_recv once it is there, also to the own core. */
static void *try_echo(void *arg)
{
	(void)arg;
	char buf[8];
	long n;
	while ((n = toro_chan_try_recv(0, buf, sizeof buf)) == -TORO_EAGAIN)
		toro_yield();
	EXPECT(n == 5);
	while (toro_chan_try_send(0, buf, (size_t)n) == -TORO_EAGAIN)
		toro_yield();
	return 0;
}

static void test_nonblock(void)
{
	unsigned cores = toro_core_count(), from = 77;
	char buf[8];
	EXPECT(toro_chan_try_recv(1, buf, sizeof buf) == -TORO_EAGAIN);
	EXPECT(toro_chan_try_recv_any(&from, buf, sizeof buf) == -TORO_EAGAIN);
	EXPECT(from == 77);
	EXPECT(toro_chan_try_send(cores, "x", 1) == -TORO_EINVAL);
	EXPECT(toro_chan_send(cores, "x", 1) == -TORO_EINVAL);
	EXPECT(toro_chan_recv(cores, buf, sizeof buf) == -TORO_EINVAL);
	EXPECT(toro_chan_try_recv(~0u, buf, sizeof buf) == -TORO_EINVAL);
	EXPECT(toro_chan_send(1, NULL, 4) == -TORO_EINVAL);
	EXPECT(toro_chan_recv(1, NULL, 4) == -TORO_EINVAL);
	toro_thread *t = toro_thread_create(cores - 1, try_echo, 0, 0);
	EXPECT(toro_chan_try_send(cores - 1, "hello", 5) == 0);
	long n;
	while ((n = toro_chan_try_recv_any(&from, buf, sizeof buf)) == -TORO_EAGAIN)
		toro_yield();
	EXPECT(n == 5 && from == cores - 1 && buf[0] == 'h' && buf[4] == 'o');
	toro_thread_join(t);
	/* A core may send to itself: a ring like any other. */
	EXPECT(toro_chan_try_send(0, "self", 4) == 0);
	EXPECT(toro_chan_try_recv(0, buf, sizeof buf) == 4 && buf[0] == 's');
	EXPECT(toro_chan_try_recv(0, buf, sizeof buf) == -TORO_EAGAIN);
	if (!failures)
		toro_printf("nonblock: ok\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		toro_printf("usage: native_channels PART [ROUNDS]\n");
		return 2;
	}
	if (argc > 2)
		rounds = to_int(argv[2]);
	if (streq(argv[1], "pingpong"))
		test_pingpong();
	else if (streq(argv[1], "all-to-one"))
		test_all_to_one();
	else if (streq(argv[1], "full"))
		test_full();
	else if (streq(argv[1], "big"))
		test_big();
	else if (streq(argv[1], "nonblock"))
		test_nonblock();
	else if (streq(argv[1], "deadlock")) {
		char c;
		toro_chan_recv(toro_core_count() - 1, &c, 1); /* nobody sends: never returns */
		toro_printf("deadlock: recv returned\n");
	} else {
		toro_printf("unknown part %s\n", argv[1]);
		return 2;
	}
	return failures ? 1 : 0;
}
