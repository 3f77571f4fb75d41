/* Cores, threads and the cooperative scheduler through the native API: threads on every core,
 * a ping-pong between cores, many short threads, sleeping, and the "all threads blocked"
 * report. The first argument picks the part. */
// BUILD: --native --no-fpu
// CASE: cores-1 | --cpus 1 -- cores | 0 | ^cores=1$ && ^thread 0 ran on core 0$
// CASE: cores-2 | --cpus 2 -- cores | 0 | ^cores=2$ && ^thread 0 ran on core 0$ && ^thread 1 ran on core 1$
// CASE: cores-4 | --cpus 4 -- cores | 0 | ^cores=4$ && ^thread 3 ran on core 3$ && ^bad core: NULL$
// CASE: pingpong-2 | --cpus 2 -- pingpong | 0 | ^pingpong: 1000 round trips between cores 0 and 1$
// CASE: pingpong-1 | --cpus 1 -- pingpong | 0 | ^pingpong: 1000 round trips between cores 0 and 0$
// CASE: many-1 | --cpus 1 -- many | 0 | ^many: 10000 threads created and joined, sum ok$
// CASE: many-2 | --cpus 2 -- many | 0 | ^many: 10000 threads created and joined, sum ok$
// CASE: sleep-1 | --cpus 1 -- sleep | 0 | ^sleep: ok  && ^interleaved: ok 
// CASE: sleep-2 | --cpus 2 -- sleep | 0 | ^sleep: ok  && ^interleaved: ok 
// CASE: deadlock-1 | --cpus 1 -- deadlock | 126 | all threads blocked
// CASE: deadlock-2 | --cpus 2 -- deadlock | 126 | all threads blocked
// CASE: overflow | -- overflow | 125 | stack overflow in thread [0-9]+ \(stack 0x[0-9a-f]+, 12 KiB\)
#include <toro/console.h>
#include <toro/thread.h>

#include "native_test.h"

static void *report_core(void *arg)
{
	unsigned want = (unsigned)(unsigned long)arg;
	toro_yield();
	return (void *)(unsigned long)(toro_core_id() == want ? 1 : 0);
}

static int test_cores(void)
{
	unsigned n = toro_core_count();
	toro_printf("cores=%u\n", n);
	toro_thread *t[64];
	for (unsigned i = 0; i < n; i++) {
		t[i] = toro_thread_create(i, report_core, (void *)(unsigned long)i, 0);
		if (!t[i])
			return 1;
	}
	for (unsigned i = 0; i < n; i++) {
		if (toro_thread_join(t[i]) != (void *)1)
			return 2;
		toro_printf("thread %u ran on core %u\n", i, i);
	}
	toro_printf("bad core: %s\n", toro_thread_create(n, report_core, 0, 0) ? "created" : "NULL");
	return 0;
}

#define ROUNDS 1000
static volatile int ball;

static void *pong(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		while (__atomic_load_n(&ball, __ATOMIC_ACQUIRE) != 2 * i + 1)
			toro_yield();
		__atomic_store_n(&ball, 2 * i + 2, __ATOMIC_RELEASE);
	}
	return (void *)(unsigned long)toro_core_id();
}

static int test_pingpong(void)
{
	unsigned other = toro_core_count() > 1 ? 1 : 0;
	toro_thread *t = toro_thread_create(other, pong, 0, 0);
	if (!t)
		return 1;
	for (int i = 0; i < ROUNDS; i++) {
		__atomic_store_n(&ball, 2 * i + 1, __ATOMIC_RELEASE);
		while (__atomic_load_n(&ball, __ATOMIC_ACQUIRE) != 2 * i + 2)
			toro_yield();
	}
	unsigned core = (unsigned)(unsigned long)toro_thread_join(t);
	toro_printf("pingpong: %d round trips between cores %u and %u\n", ROUNDS, toro_core_id(),
		    core);
	return 0;
}

static void *square(void *arg)
{
	unsigned long v = (unsigned long)arg;
	return (void *)(v * v);
}

static int test_many(void)
{
	const unsigned long total = 10000, batch = 50;
	unsigned long sum = 0, want = 0;
	for (unsigned long base = 0; base < total; base += batch) {
		toro_thread *t[50];
		for (unsigned long i = 0; i < batch; i++) {
			t[i] = toro_thread_create((unsigned)(i % toro_core_count()), square,
						  (void *)(base + i), 4096 * 2);
			if (!t[i])
				return 1;
		}
		for (unsigned long i = 0; i < batch; i++)
			sum += (unsigned long)toro_thread_join(t[i]);
	}
	for (unsigned long i = 0; i < total; i++)
		want += i * i;
	toro_printf("many: %lu threads created and joined, sum %s\n", total,
		    sum == want ? "ok" : "WRONG");
	return sum == want ? 0 : 2;
}

static volatile int order[8], order_n;
/* The sleepers' deadlines count from here, so that a host slow to create them (the nested test
 * VM on a loaded machine took over 30 ms) cannot change which is due first. */
static uint64_t sleep_base;

static void *sleeper(void *arg)
{
	unsigned long ms = (unsigned long)arg;
	uint64_t deadline = sleep_base + ms * 1000000ull, now = toro_time_ns();
	if (deadline > now)
		toro_sleep_ns(deadline - now);
	order[__atomic_fetch_add(&order_n, 1, __ATOMIC_SEQ_CST)] = (int)ms;
	return 0;
}

/* Relative bounds only: at least the time asked, and not wildly more (TCG is slow). */
static int test_sleep(void)
{
	uint64_t t0 = toro_time_ns();
	toro_sleep_ms(20);
	uint64_t dt = toro_time_ns() - t0;
	int ok = dt >= 20000000ull && dt < 2000000000ull;
	toro_printf("sleep: %s (%lu us)\n", ok ? "ok" : "WRONG", (unsigned long)(dt / 1000));
	unsigned last = toro_core_count() - 1;
	sleep_base = toro_time_ns() + 200000000ull;
	toro_thread *a = toro_thread_create(last, sleeper, (void *)60ul, 0);
	toro_thread *b = toro_thread_create(0, sleeper, (void *)10ul, 0);
	toro_thread *c = toro_thread_create(last, sleeper, (void *)30ul, 0);
	if (!a || !b || !c)
		return 1;
	toro_thread_join(a);
	toro_thread_join(b);
	toro_thread_join(c);
	int inter = order_n == 3 && order[0] == 10 && order[1] == 30 && order[2] == 60;
	toro_printf("interleaved: %s (%d %d %d)\n", inter ? "ok" : "WRONG", order[0], order[1],
		    order[2]);
	return ok && inter ? 0 : 2;
}

static toro_thread *partner;

static void *join_partner(void *arg)
{
	(void)arg;
	/* main sets partner after toro_thread_create returns, which a loaded host can delay. */
	while (!__atomic_load_n(&partner, __ATOMIC_ACQUIRE))
		toro_sleep_ms(1);
	toro_thread_join(partner); /* partner is main's thread-to-join: a cycle */
	return 0;
}

static int test_deadlock(void)
{
	toro_thread *a = toro_thread_create(toro_core_count() - 1, join_partner, 0, 0);
	/* a joins itself through partner: it can never finish; main joins a */
	__atomic_store_n(&partner, a, __ATOMIC_RELEASE);
	toro_printf("waiting forever\n");
	toro_thread_join(a);
	return 3;
}

/* Recursion far deeper than an 8 KiB stack (12 KiB with the thread structure): the canary at the bottom is overwritten, and the
 * next switch away from the thread reports it. */
__attribute__((noinline)) static unsigned long deep(unsigned n)
{
	volatile char frame[256];
	for (unsigned i = 0; i < sizeof(frame); i++)
		frame[i] = (char)n;
	if (n == 0) {
		toro_yield();
		return frame[0];
	}
	return deep(n - 1) + frame[0];
}

static void *overflow(void *arg)
{
	(void)arg;
	return (void *)deep(60);
}

static int test_overflow(void)
{
	toro_thread *t = toro_thread_create(0, overflow, 0, 8192);
	toro_thread_join(t);
	return 4;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 1;
	if (streq(argv[1], "cores"))
		return test_cores();
	if (streq(argv[1], "pingpong"))
		return test_pingpong();
	if (streq(argv[1], "many"))
		return test_many();
	if (streq(argv[1], "sleep"))
		return test_sleep();
	if (streq(argv[1], "overflow"))
		return test_overflow();
	if (streq(argv[1], "deadlock"))
		return test_deadlock();
	return 1;
}
