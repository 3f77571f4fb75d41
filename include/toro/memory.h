/* Native API: memory. Each core has its own heap: toro_malloc takes from the calling core's heap
 * without locks, and toro_free of a block another core allocated hands it back to that core
 * (through a lock-free list it drains itself). Blocks are 16-byte aligned. */
#ifndef TORO_MEMORY_H
#define TORO_MEMORY_H

#include <stddef.h>
#include <stdint.h>

void *toro_malloc(size_t size);           /* NULL when memory runs out */
void *toro_calloc(size_t n, size_t size); /* cleared; NULL on overflow too */
void *toro_realloc(void *p, size_t size);
void toro_free(void *p);

struct toro_memory_stats {
	uint64_t heap_bytes_in_use; /* live blocks of this core's heap */
	uint64_t heap_bytes_held;   /* spans and large blocks it holds */
	uint64_t heap_allocs, heap_frees;
	uint64_t remote_frees_sent, remote_frees_received;
	uint64_t free_pages, total_pages; /* the whole machine's page allocator */
	uint64_t largest_free_pages;      /* its longest run of free pages */
	uint64_t ram_top;                 /* where the highest page of RAM it manages ends */
};

/* Statistics of core `core`'s heap (exact for the calling core) and of the page allocator.
 * Returns -1 if the core does not exist. */
int toro_memory_stats(unsigned core, struct toro_memory_stats *out);

/* Returns this core's unused heap memory to the page allocator. */
void toro_memory_collect(void);

/* Whole pages straight from the page allocator, for big buffers: no header, so a run of n free
 * pages (largest_free_pages above) gives a block of exactly n pages, the lowest run that fits.
 * Page-aligned, not cleared; NULL when no run is long enough. toro_pages_free takes back any
 * part of such a block, from any core. */
#define TORO_PAGE_SIZE 4096
void *toro_pages_alloc(size_t pages);
void toro_pages_free(void *p, size_t pages);

#endif
