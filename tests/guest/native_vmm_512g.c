/* The largest guest: --mem 512G on a host with far less memory (guest RAM is reserved, not
 * committed). A 504 GiB block can only come from the RAM above 4 GiB (the page allocator takes
 * the lowest addresses that fit), so its last page lies near 508 GiB; writing and reading it
 * back proves the monitor's second memory slot and the kernel's mapping of high RAM. Only pages
 * the guest touches cost host memory. */
// BUILD: --native --no-fpu
// VMMS: toro
// CASE: mem-512G | --mem 512G | 0 | ^RAM: 51[01] GiB$ && ^top page 0x7[ef][0-9a-f]{8}: ok$
#include <toro/console.h>
#include <toro/memory.h>

#include <stdint.h>

#define BLOCK_SIZE (504ull << 30)
#define PAGE_BYTES 4096ull

int main(void)
{
	struct toro_memory_stats s;
	if (toro_memory_stats(0, &s) == 0)
		toro_printf("RAM: %llu GiB\n",
		            (unsigned long long)(s.total_pages * PAGE_BYTES >> 30));
	uint8_t *block = toro_malloc(BLOCK_SIZE);
	if (!block) {
		toro_printf("no 504 GiB block\n");
		return 1;
	}
	volatile uint64_t *top = (volatile uint64_t *)(block + BLOCK_SIZE - PAGE_BYTES);
	for (int i = 0; i < 512; i++)
		top[i] = 0x5a5a000000000000ull + (uint64_t)i;
	for (int i = 0; i < 512; i++) {
		if (top[i] != 0x5a5a000000000000ull + (uint64_t)i) {
			toro_printf("top page %p: read back %llx\n", (void *)top,
			            (unsigned long long)top[i]);
			return 1;
		}
	}
	toro_printf("top page %p: ok\n", (void *)top);
	return 0;
}
