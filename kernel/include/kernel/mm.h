/* Physical memory: a page allocator over the RAM ranges of the boot memory map. All RAM is
 * identity-mapped, so a physical address is also the pointer to use. */
#ifndef KERNEL_MM_H
#define KERNEL_MM_H

#include <stddef.h>
#include <stdint.h>

#define PAGE_SIZE  4096ul
#define PAGE_SHIFT 12

/* Makes [start, end) available; the range is shrunk inward to whole pages. Boot only, and for
 * memory the boot kept back (the --exec program's copy in the boot module, kernel/app/exec.c). */
void mm_add_range(uint64_t start, uint64_t end);

/* Allocates npages contiguous pages, or returns NULL. The memory is not cleared. */
void *mm_pages_alloc(size_t npages);

/* Allocates and clears. */
void *mm_pages_zalloc(size_t npages);

/* Returns npages pages starting at p (which came from mm_pages_alloc, in whole or in part). */
void mm_pages_free(void *p, size_t npages);

struct mm_stats {
	uint64_t total_pages; /* pages handed to the allocator at boot */
	uint64_t free_pages;
	uint64_t free_extents;
	uint64_t largest_free; /* pages in the largest free extent */
};
void mm_get_stats(struct mm_stats *out);

/* Highest RAM address + 1 (identity map limit), set at boot. */
extern uint64_t mm_ram_top;

#endif
