/* The program tests/e2e/gdb-stub.sh debugs with stock gdb through the kernel's gdb stub: built
 * with -g (which links the stub), it runs normally without toro.gdb=com2 (the cases below).
 * "sum" computes through two calls (break, bt, step, finish, locals), "spin" loops on the last
 * core while main waits for it on core 0 (Ctrl-C reaches the idle core 0 and must show the
 * spinning thread), "fault" writes through a bad pointer, "laps" calls lap() until gdb sets
 * gdb_release (one gdb detaches, a second attaches to the running program and ends it), "race"
 * has a thread on each of two cores write its own watched global at the same moment, round after
 * round, through gdb_race_write (two watchpoints that trigger together, or one breakpoint both
 * cores reach together: gdb must see every hit, and nothing once it has deleted them). */
// BUILD: --native --no-fpu -g
// CASE: sum | -- sum | 7 | ^sum 30$
// CASE: sum-2cpu | --cpus 2 -- sum | 7 | ^sum 30$
// CASE: race | --cpus 2 -- race | 6 | ^raced 5 rounds$
#include <toro/console.h>
#include <toro/system.h>
#include <toro/thread.h>

#include "native_test.h"

struct point {
	int x, y;
	const char *name;
};

struct point gdb_origin = {3, 4, "origin"};
volatile unsigned long gdb_counter;
volatile int gdb_bad_address = 0x10;
volatile int gdb_release;

__attribute__((noinline)) static int square(int v)
{
	volatile int result = v * v;
	return result;
}

__attribute__((noinline)) static int sum_squares(int n)
{
	int total = 0;
	for (int i = 1; i <= n; i++)
		total += square(i);
	gdb_counter = (unsigned long)total;
	return total;
}

__attribute__((noreturn, noinline)) static void *spin(void *arg)
{
	(void)arg;
	for (;;)
		gdb_counter++;
}

__attribute__((noinline)) static void lap(void)
{
	gdb_counter++;
}

__attribute__((noinline)) static void fault(void)
{
	*(volatile int *)(unsigned long)gdb_bad_address = 1;
}

#define RACE_ROUNDS 5
volatile unsigned long gdb_race[2];
static volatile unsigned race_arrived;

/* Not inlined, and not static (so never cloned): gdb breaks here on both cores at once. */
__attribute__((noinline)) void gdb_race_write(unsigned long me, unsigned long round)
{
	gdb_race[me] = round;
}

/* Core `me` of two: each round, once both have arrived, writes its own global. */
static void *racer(void *arg)
{
	unsigned long me = (unsigned long)arg;
	for (unsigned long round = 1; round <= RACE_ROUNDS; round++) {
		__atomic_fetch_add(&race_arrived, 1, __ATOMIC_ACQ_REL);
		while (__atomic_load_n(&race_arrived, __ATOMIC_ACQUIRE) < 2 * round)
			__builtin_ia32_pause();
		gdb_race_write(me, round);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && streq(argv[1], "race")) {
		toro_thread *t = toro_thread_create(1, racer, (void *)1, 0);
		racer(0);
		toro_thread_join(t);
		toro_printf("raced %u rounds\n", RACE_ROUNDS);
		return gdb_race[0] == RACE_ROUNDS && gdb_race[1] == RACE_ROUNDS ? 6 : 1;
	}
	if (argc > 1 && streq(argv[1], "spin")) {
		unsigned last = toro_core_count() - 1;
		toro_printf("spinning\n");
		if (last == 0)
			spin(0);
		toro_thread_join(toro_thread_create(last, spin, 0, 0));
	}
	if (argc > 1 && streq(argv[1], "laps")) {
		toro_printf("lapping\n");
		while (!gdb_release)
			lap();
		toro_printf("released\n");
		return 5;
	}
	if (argc > 1 && streq(argv[1], "fault"))
		fault();
	int total = sum_squares(4);
	toro_printf("sum %d\n", total);
	return total == 30 && gdb_origin.x == 3 ? 7 : 1;
}
