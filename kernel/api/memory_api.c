/* The native memory API (include/toro/memory.h) over the per-core heaps, and whole pages over the
 * page allocator: each core's heap is made on its first allocation, in pages of its own. */
#include <toro/memory.h>

#include <kernel/cpu.h>
#include <kernel/heap.h>
#include <kernel/mm.h>
#include <kernel/printk.h>

static struct heap *cpu_heap(void)
{
	struct cpu *c = this_cpu();
	if (!c->heap) {
		size_t pages = (sizeof(struct heap) + PAGE_SIZE - 1) / PAGE_SIZE;
		struct heap *h = mm_pages_alloc(pages);
		if (!h)
			return NULL;
		heap_init(h, c->id);
		c->heap = h;
	}
	return c->heap;
}

void *toro_malloc(size_t size)
{
	struct heap *h = cpu_heap();
	return h ? heap_alloc(h, size) : NULL;
}

void *toro_calloc(size_t n, size_t size)
{
	struct heap *h = cpu_heap();
	return h ? heap_zalloc(h, n, size) : NULL;
}

void *toro_realloc(void *p, size_t size)
{
	struct heap *h = cpu_heap();
	return h ? heap_realloc(h, p, size) : NULL;
}

void toro_free(void *p)
{
	if (!p)
		return;
	struct heap *h = cpu_heap();
	if (!h)
		panic("toro_free(%p): no heap on core %u", p, this_cpu()->id);
	heap_free(h, p);
}

int toro_memory_stats(unsigned core, struct toro_memory_stats *out)
{
	if (core >= cpu_count || !cpus[core])
		return -1;
	struct heap_stats hs = {0};
	if (cpus[core]->heap)
		heap_get_stats(cpus[core]->heap, &hs);
	struct mm_stats ms;
	mm_get_stats(&ms);
	*out = (struct toro_memory_stats){
	    .heap_bytes_in_use = hs.bytes_in_use,
	    .heap_bytes_held = hs.bytes_in_spans + hs.large_bytes,
	    .heap_allocs = hs.allocs,
	    .heap_frees = hs.frees,
	    .remote_frees_sent = hs.remote_sent,
	    .remote_frees_received = hs.remote_received,
	    .free_pages = ms.free_pages,
	    .total_pages = ms.total_pages,
	    .largest_free_pages = ms.largest_free,
	    .ram_top = mm_ram_top & ~(PAGE_SIZE - 1), /* a partial last page is not managed */
	};
	return 0;
}

void toro_memory_collect(void)
{
	struct heap *h = this_cpu()->heap;
	if (h)
		heap_collect(h);
}

_Static_assert(TORO_PAGE_SIZE == PAGE_SIZE, "toro_pages_alloc counts the allocator's pages");

void *toro_pages_alloc(size_t pages)
{
	return mm_pages_alloc(pages);
}

/* The page allocator checks alignment and double frees; a range outside RAM is refused here
 * before it could enter the free list. */
void toro_pages_free(void *p, size_t pages)
{
	uintptr_t start = (uintptr_t)p;
	if (p && (start >= mm_ram_top || pages > (mm_ram_top - start) / PAGE_SIZE))
		panic("toro_pages_free(%p, %zu): not RAM", p, pages);
	mm_pages_free(p, pages);
}
