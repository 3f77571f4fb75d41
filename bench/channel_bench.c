/* Inter-core channel benchmarks as a native guest (bench/channels.sh). On one core, between
 * marker functions for QEMU's icount plugin: a 64-byte send and receive to the core itself (the
 * ring and API path alone, no other core, no interrupt). With two or more cores, from the
 * guest's own clock: round trips between core 0 and core 1 three ways (the baseline, two cores
 * spinning on a shared word; channels with both sides polling try_recv; channels blocking, so
 * every message wakes a sleeping core with an IPI), and streams from core 1 to core 0 of 64-byte
 * and 64 KiB messages. The argument N is the number of round trips (default 2000); the streams
 * are 10 N small and N / 10 (at least 10) large messages. */
#include <toro/channel.h>
#include <toro/console.h>
#include <toro/memory.h>
#include <toro/thread.h>

#include <stdint.h>

#define SELF_ROUNDS 2000
#define SMALL       64

void *memcpy(void *restrict dst, const void *restrict src, size_t n); /* kernel/lib/memcpy.c */

#define MARKER(name)                                                                               \
	__attribute__((noinline)) void name(void)                                                  \
	{                                                                                          \
		__asm__ volatile("");                                                              \
	}
MARKER(bench_chan_self_begin)
MARKER(bench_chan_self_end)
MARKER(bench_copy_begin)
MARKER(bench_copy_end)

static int rounds = 2000;

static int stream_count(size_t len)
{
	if (len == SMALL)
		return 10 * rounds;
	return rounds / 10 > 10 ? rounds / 10 : 10;
}
static volatile uint64_t flag;

/* The baseline: core 1 answers each value core 0 writes with value + 1 in the same word. */
static void *spin_echo(void *arg)
{
	(void)arg;
	for (uint64_t i = 0; i < (uint64_t)rounds; i++) {
		while (__atomic_load_n(&flag, __ATOMIC_ACQUIRE) != 2 * i + 1)
			__asm__ volatile("pause");
		__atomic_store_n(&flag, 2 * i + 2, __ATOMIC_RELEASE);
	}
	return 0;
}

static void *poll_echo(void *arg)
{
	(void)arg;
	char buf[SMALL];
	for (int i = 0; i < rounds; i++) {
		long n;
		while ((n = toro_chan_try_recv(0, buf, sizeof buf)) == -TORO_EAGAIN)
			__asm__ volatile("pause");
		while (toro_chan_try_send(0, buf, (size_t)n) == -TORO_EAGAIN)
			__asm__ volatile("pause");
	}
	return 0;
}

static void *block_echo(void *arg)
{
	(void)arg;
	char buf[SMALL];
	for (int i = 0; i < rounds; i++) {
		long n = toro_chan_recv(0, buf, sizeof buf);
		toro_chan_send(0, buf, (size_t)n);
	}
	return 0;
}

static void *stream(void *arg)
{
	size_t len = (size_t)arg;
	int count = stream_count(len);
	uint8_t *buf = toro_calloc(1, len);
	for (int i = 0; i < count; i++)
		toro_chan_send(0, buf, len);
	toro_free(buf);
	return 0;
}

static uint64_t round_trips(void *(*echo)(void *), int poll)
{
	char buf[SMALL] = {0};
	toro_thread *t = toro_thread_create(1, echo, 0, 0);
	uint64_t t0 = toro_time_ns();
	for (int i = 0; i < rounds; i++) {
		if (poll) {
			while (toro_chan_try_send(1, buf, sizeof buf) == -TORO_EAGAIN)
				__asm__ volatile("pause");
			while (toro_chan_try_recv(1, buf, sizeof buf) == -TORO_EAGAIN)
				__asm__ volatile("pause");
		} else {
			toro_chan_send(1, buf, sizeof buf);
			toro_chan_recv(1, buf, sizeof buf);
		}
	}
	uint64_t ns = toro_time_ns() - t0;
	toro_thread_join(t);
	return ns / (uint64_t)rounds;
}

static uint64_t spin_round_trips(void)
{
	flag = 0;
	toro_thread *t = toro_thread_create(1, spin_echo, 0, 0);
	uint64_t t0 = toro_time_ns();
	for (uint64_t i = 0; i < (uint64_t)rounds; i++) {
		__atomic_store_n(&flag, 2 * i + 1, __ATOMIC_RELEASE);
		while (__atomic_load_n(&flag, __ATOMIC_ACQUIRE) != 2 * i + 2)
			__asm__ volatile("pause");
	}
	uint64_t ns = toro_time_ns() - t0;
	toro_thread_join(t);
	return ns / (uint64_t)rounds;
}

/* Messages per second and bytes per second of a stream of len-byte messages from core 1. */
static void stream_rate(size_t len)
{
	int count = stream_count(len);
	uint8_t *buf = toro_malloc(len);
	toro_thread *t = toro_thread_create(1, stream, (void *)len, 0);
	uint64_t t0 = toro_time_ns();
	for (int i = 0; i < count; i++)
		toro_chan_recv(1, buf, len);
	uint64_t ns = toro_time_ns() - t0;
	toro_thread_join(t);
	toro_free(buf);
	uint64_t per_s = (uint64_t)count * 1000000000ull / (ns ? ns : 1);
	toro_printf("stream-%s: %lu messages/s (%d messages of %lu bytes, core 1 to 0)\n",
	            len == SMALL ? "64B" : "64KiB", (unsigned long)per_s, count,
	            (unsigned long)len);
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		rounds = 0;
		for (const char *s = argv[1]; *s >= '0' && *s <= '9'; s++)
			rounds = rounds * 10 + (*s - '0');
		if (rounds <= 0)
			rounds = 1;
	}
	char buf[SMALL] = {0};
	toro_chan_send(0, buf, sizeof buf); /* warm up: the ring is made on the first send */
	toro_chan_recv(0, buf, sizeof buf);
	toro_time_ns(); /* and the clock, whose first use measures the TSC against a timer */
	bench_chan_self_begin();
	uint64_t s0 = toro_time_ns();
	for (int i = 0; i < SELF_ROUNDS; i++) {
		toro_chan_send(0, buf, sizeof buf);
		toro_chan_recv(0, buf, sizeof buf);
	}
	uint64_t s1 = toro_time_ns();
	bench_chan_self_end();
	toro_printf("self: %lu ns per 64-byte send + receive on one core\n",
	            (unsigned long)((s1 - s0) / SELF_ROUNDS));

	/* The floor for the same work: the two 64-byte copies every message costs (into the ring,
	 * out of it), through the kernel's memcpy as the ring does. */
	static char slot[SMALL];
	void *(*volatile copy)(void *, const void *, size_t) = memcpy; /* a call, not inlined */
	bench_copy_begin();
	for (int i = 0; i < SELF_ROUNDS; i++) {
		copy(slot, buf, sizeof buf);
		copy(buf, slot, sizeof buf);
	}
	bench_copy_end();
	if (toro_core_count() < 2)
		return 0;
	toro_printf("spin: %lu ns per round trip (baseline: a shared word, both cores spinning)\n",
	            (unsigned long)spin_round_trips());
	toro_printf("poll: %lu ns per round trip (64-byte messages, both sides polling)\n",
	            (unsigned long)round_trips(poll_echo, 1));
	toro_printf("block: %lu ns per round trip (64-byte messages, receivers sleeping)\n",
	            (unsigned long)round_trips(block_echo, 0));
	stream_rate(SMALL);
	stream_rate(TORO_CHAN_MSG_MAX);
	return 0;
}
