/* Per-core heaps: small blocks from per-core size classes carved out of aligned spans
 * of pages, large blocks straight from the page allocator (kernel/include/kernel/mm.h). No locks:
 * a block freed by another core goes back to its owner through a lock-free remote-free stack. */
#ifndef KERNEL_HEAP_H
#define KERNEL_HEAP_H

#include <stddef.h>
#include <stdint.h>

/* Spans are HEAP_SPAN_SIZE bytes aligned to HEAP_SPAN_SIZE, so heap_free finds a block's span
 * header, owner and size class by masking the pointer: no global table. 64 KiB keeps the tail
 * lost at the end of a span to at most 1/8 of it, even for the biggest class (bench/RESULTS.md). */
#define HEAP_SPAN_SHIFT 16
#define HEAP_SPAN_SIZE  (1ul << HEAP_SPAN_SHIFT)

/* Every block is aligned to HEAP_ALIGN bytes (like malloc on x86-64). */
#define HEAP_ALIGN 16

/* Requests above HEAP_MAX_CLASS_SIZE bytes are large blocks: whole pages of their own. */
#define HEAP_MAX_CLASS_SIZE 8192
#define HEAP_NUM_CLASSES    32

struct heap_block;
struct heap_span;

/* One size class of one heap: a LIFO free list of blocks and the spans they come from. */
struct heap_class {
	struct heap_block *free; /* blocks ready to hand out */
	uint64_t allocs;         /* blocks handed out since heap_init */
	uint64_t frees;          /* blocks returned (local frees and drained remote frees) */
	struct heap_span *spans; /* every span of this class owned by the heap */
	uint64_t span_count;
};

/* A core's heap. Lives in the core's own data (the lead puts one in each CPU structure).
 * Only remote_free and the large-block counters are touched by other cores, always atomically. */
struct heap {
	struct heap_class classes[HEAP_NUM_CLASSES];
	unsigned owner_id;        /* the core id, for reports */
	uint64_t remote_sent;     /* blocks this core freed into other cores' heaps */
	uint64_t remote_received; /* remote frees drained from remote_free */
	uint64_t large_allocs;    /* large blocks allocated by this heap */
	/* Written by any core, with __atomic operations only. A cache line of its own, so that
	 * remote frees do not bounce the line holding the owner's free lists. remote_free is a
	 * stack with many producers (any core's heap_free) and one consumer (the owner). */
	struct heap_block *remote_free __attribute__((aligned(64)));
	uint64_t large_frees; /* large blocks of this heap freed (by any core) */
	uint64_t large_bytes; /* bytes of pages held by live large blocks, headers included */
};

struct heap_stats {
	uint64_t bytes_in_use;   /* usable bytes of live blocks (class sizes; pages for large) */
	uint64_t bytes_in_spans; /* bytes of spans held (HEAP_SPAN_SIZE each) */
	uint64_t spans;
	uint64_t large_blocks;    /* live large blocks */
	uint64_t large_bytes;     /* pages held by them, in bytes */
	uint64_t allocs;          /* all allocations, small and large */
	uint64_t frees;           /* all frees seen by this heap, small and large */
	uint64_t remote_sent;     /* small blocks sent to other heaps' remote stacks */
	uint64_t remote_received; /* blocks other cores freed here, drained so far */
};

/* Prepares h for the core named owner_id. h must stay at the same address for as long as any
 * block it handed out is live (spans point at it). Boot or core start, before any other call. */
void heap_init(struct heap *h, unsigned owner_id);

/* Returns a block of at least size bytes aligned to HEAP_ALIGN (size 0 gives a distinct minimal
 * block), or NULL when the page allocator is out of memory. The contents are not cleared.
 * Only the core that owns h may call it, in thread context (never from an interrupt handler). */
void *heap_alloc(struct heap *h, size_t size);

/* heap_alloc, then the block is cleared. NULL if n * size overflows. Same contract. */
void *heap_zalloc(struct heap *h, size_t n, size_t size);

/* Resizes p (from any heap) to size bytes, keeping the contents up to the smaller size; moves it
 * into h when it must move. p == NULL is heap_alloc; size == 0 gives a minimal block, as musl
 * does. Returns NULL, leaving p untouched, when out of memory. Same contract as heap_alloc. */
void *heap_realloc(struct heap *h, void *p, size_t size);

/* Frees p (NULL is ignored). local is the heap of the calling core, which must own local. When
 * p came from another core's heap it is pushed onto that heap's remote-free stack, without
 * locks; large blocks go straight back to the page allocator. Double frees, frees of pointers
 * that no heap handed out, and writes into freed blocks found on reuse end in panic().
 * Thread context only. */
void heap_free(struct heap *local, void *p);

/* The start of the block that contains p (a pointer into a small block, or into the first
 * HEAP_SPAN_SIZE - 64 bytes of a large one), or NULL if p lies in no heap span. Any core. */
void *heap_block_start(const void *p);

/* The bytes p may use (>= the size asked for). Any core. */
size_t heap_usable_size(const void *p);

/* A snapshot of h's counters. Exact when called by the owner; from another core the per-class
 * counters may be a moment old. */
void heap_get_stats(struct heap *h, struct heap_stats *out);

/* Drains h's remote frees and returns every span that has no live block to the page allocator
 * (no empty span is kept cached), so after everything is freed the pages return to their level
 * before the heap was used. O(free blocks + spans). Owner core only, thread context; meant for
 * idle time and for tests, never needed for correctness. */
void heap_collect(struct heap *h);

#endif
