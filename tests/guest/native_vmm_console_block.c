/* The built-in monitor keeps the vCPUs running while the host's stdout is full: core 0 prints
 * many lines through the virtio console while a thread on core 1 counts, and each count is one
 * VM exit (a read of COM1's line status register), so the count grows only while the monitor
 * serves core 1. Each line carries the guest time and core 1's count; tests/e2e/console-block.sh
 * stops reading stdout for 3 s and checks that the count grew across the gap. */
// BUILD: --native --no-fpu
// VMMS: toro
// clang-format off
// CASE: lines | --cpus 2 --console virtio -- 300 | 0 | ^line 00000 t=[0-9]+ count=[0-9]+ && ^line 00299 t= && ^done lines=300 count=[0-9]+$
// clang-format on
#include <stdint.h>

#include <toro/console.h>
#include <toro/thread.h>

#include "native_test.h"

#define COM1_LSR 0x3fd
#define PAD_LEN  1000 /* long lines: the host pipe fills after fewer of them */

static uint64_t count;
static int stop;
static char pad[PAD_LEN + 1];

static void *counter(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		uint8_t lsr;
		__asm__ volatile("inb %1, %0" : "=a"(lsr) : "Nd"((uint16_t)COM1_LSR));
		(void)lsr;
		__atomic_store_n(&count, count + 1, __ATOMIC_RELAXED);
	}
	return 0;
}

static unsigned long long now_ms(void)
{
	return (unsigned long long)(toro_time_ns() / 1000000);
}

int main(int argc, char **argv)
{
	int lines = argc > 1 ? to_int(argv[1]) : 1;
	for (int i = 0; i < PAD_LEN; i++)
		pad[i] = '.';
	toro_thread *t = toro_thread_create(1, counter, 0, 0);
	if (!t) {
		toro_printf("no core 1\n");
		return 1;
	}
	/* Start the lines only once core 1 is counting, so the rate before any gap is real. */
	while (__atomic_load_n(&count, __ATOMIC_RELAXED) == 0)
		toro_yield();
	toro_printf("counting from t=%llu\n", now_ms());
	for (int i = 0; i < lines; i++)
		toro_printf("line %05d t=%llu count=%llu %s\n", i, now_ms(),
		            (unsigned long long)__atomic_load_n(&count, __ATOMIC_RELAXED), pad);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	toro_thread_join(t);
	toro_printf("done lines=%d count=%llu\n", lines,
	            (unsigned long long)__atomic_load_n(&count, __ATOMIC_RELAXED));
	return 0;
}
