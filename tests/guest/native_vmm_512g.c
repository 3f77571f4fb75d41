/* The largest guest: --mem 512G on a host with far less memory (guest RAM is reserved, not
 * committed). Every GiB must reach the page allocator, and the last page of RAM, which lies
 * above 512 GiB (the second PML4 entry), must be mapped: the longest free run is the RAM above
 * 4 GiB, so taking all of it with toro_pages_alloc gives a block that ends at ram_top, and its
 * last page is written and read back. Only pages the guest touches cost host memory. */
// BUILD: --native --no-fpu
// CASE: mem-512G | --mem 512G | 0 | ^RAM: 512 GiB$ && ^last page 0x80[0-9a-f]{8}: ok$
#include <toro/console.h>
#include <toro/memory.h>

#include <stdint.h>

#define GIB        (1ull << 30)
#define PAGE_WORDS (TORO_PAGE_SIZE / sizeof(uint64_t))
#define PATTERN(i) (0x5a5a000000000000ull + (uint64_t)(i))

int main(void)
{
	struct toro_memory_stats s;
	if (toro_memory_stats(0, &s) != 0)
		return 1;
	/* Rounded up: the image and the firmware's low megabyte are not the allocator's. */
	toro_printf("RAM: %llu GiB\n",
	            (unsigned long long)((s.total_pages * TORO_PAGE_SIZE + GIB - 1) / GIB));
	uint8_t *block = toro_pages_alloc(s.largest_free_pages);
	if (!block) {
		toro_printf("no block of %llu pages\n", (unsigned long long)s.largest_free_pages);
		return 1;
	}
	uint8_t *end = block + s.largest_free_pages * TORO_PAGE_SIZE;
	if ((uintptr_t)end != s.ram_top) {
		toro_printf("block %p-%p does not end at ram_top %#llx\n", (void *)block,
		            (void *)end, (unsigned long long)s.ram_top);
		return 1;
	}
	volatile uint64_t *last = (volatile uint64_t *)(end - TORO_PAGE_SIZE);
	for (unsigned i = 0; i < PAGE_WORDS; i++)
		last[i] = PATTERN(i);
	for (unsigned i = 0; i < PAGE_WORDS; i++) {
		if (last[i] != PATTERN(i)) {
			toro_printf("last page %p: read back %llx\n", (void *)last,
			            (unsigned long long)last[i]);
			return 1;
		}
	}
	toro_printf("last page %p: ok\n", (void *)last);
	toro_pages_free(block, s.largest_free_pages);
	return 0;
}
