/* Toro's Scheduler example: a thread on every core, each printing in turn. The turn is a counter
 * the threads watch; a thread whose turn it is not yields its core, so the cores take turns in a
 * fixed order, round after round. */
#include <toro/console.h>
#include <toro/thread.h>

#define ROUNDS 3

static volatile unsigned turn;

static void *take_turns(void *arg)
{
	unsigned me = (unsigned)(unsigned long)arg, cores = toro_core_count();
	for (unsigned round = 0; round < ROUNDS; round++) {
		while (__atomic_load_n(&turn, __ATOMIC_ACQUIRE) != round * cores + me)
			toro_yield();
		toro_printf("round %u: hello from thread %u on core %u\n", round, me, toro_core_id());
		__atomic_store_n(&turn, turn + 1, __ATOMIC_RELEASE);
	}
	return 0;
}

int main(void)
{
	unsigned cores = toro_core_count();
	toro_printf("%u cores, one thread each\n", cores);
	toro_thread *threads[64];
	for (unsigned i = 0; i < cores && i < 64; i++)
		threads[i] = toro_thread_create(i, take_turns, (void *)(unsigned long)i, 0);
	for (unsigned i = 0; i < cores && i < 64; i++)
		toro_thread_join(threads[i]);
	toro_printf("all threads done\n");
	return 0;
}
