/* Scheduler and heap micro-benchmarks as a native guest. Each measured loop sits between two
 * marker functions, so that bench/sched.sh can count the guest instructions between them under
 * QEMU's icount plugin; the guest also prints wall-clock figures from its own clock. */
#include <toro/console.h>
#include <toro/memory.h>
#include <toro/thread.h>

#define SWITCH_ROUNDS  1000
#define CREATE_ROUNDS  200
#define MALLOC_ROUNDS  2000
#define WAKE_ROUNDS    200

/* Empty, never inlined: their addresses are what icount watches. */
#define MARKER(name)                                                                          \
	__attribute__((noinline)) void name(void)                                             \
	{                                                                                     \
		__asm__ volatile("");                                                         \
	}
MARKER(bench_switch_begin)
MARKER(bench_switch_end)
MARKER(bench_create_begin)
MARKER(bench_create_end)
MARKER(bench_malloc_begin)
MARKER(bench_malloc_end)

static void *yielder(void *arg)
{
	(void)arg;
	for (int i = 0; i < SWITCH_ROUNDS; i++)
		toro_yield();
	return 0;
}

static void *nothing(void *arg)
{
	return arg;
}

static volatile uint64_t started_at;

static void *note_start(void *arg)
{
	(void)arg;
	started_at = toro_time_ns();
	return 0;
}

int main(void)
{
	/* Warm up: the heap and the clock are made on first use. */
	toro_free(toro_malloc(32));
	toro_thread_join(toro_thread_create(0, nothing, 0, 0));
	uint64_t t0 = toro_time_ns();

	toro_thread *other = toro_thread_create(0, yielder, 0, 0);
	toro_yield(); /* let it start */
	bench_switch_begin();
	uint64_t s0 = toro_time_ns();
	for (int i = 0; i < SWITCH_ROUNDS; i++)
		toro_yield();
	uint64_t s1 = toro_time_ns();
	bench_switch_end();
	toro_thread_join(other);

	bench_create_begin();
	uint64_t c0 = toro_time_ns();
	for (int i = 0; i < CREATE_ROUNDS; i++)
		toro_thread_join(toro_thread_create(0, nothing, 0, 0));
	uint64_t c1 = toro_time_ns();
	bench_create_end();

	bench_malloc_begin();
	uint64_t m0 = toro_time_ns();
	for (int i = 0; i < MALLOC_ROUNDS; i++)
		toro_free(toro_malloc(64));
	uint64_t m1 = toro_time_ns();
	bench_malloc_end();

	toro_printf("switch: %lu ns per switch\n", (unsigned long)((s1 - s0) / (2 * SWITCH_ROUNDS)));
	toro_printf("create+join: %lu ns\n", (unsigned long)((c1 - c0) / CREATE_ROUNDS));
	toro_printf("malloc+free: %lu ns per pair\n", (unsigned long)((m1 - m0) / MALLOC_ROUNDS));
	if (toro_core_count() > 1) {
		uint64_t total = 0;
		for (int i = 0; i < WAKE_ROUNDS; i++) {
			uint64_t before = toro_time_ns();
			toro_thread_join(toro_thread_create(1, note_start, 0, 0));
			total += started_at - before;
		}
		toro_printf("cross-core start: %lu ns (create on core 0 to running on core 1)\n",
			    (unsigned long)(total / WAKE_ROUNDS));
	}
	toro_printf("total: %lu us\n", (unsigned long)((toro_time_ns() - t0) / 1000));
	return 0;
}
