/* The page allocator: a list of free extents sorted by address, each described by a header kept
 * in its own first page. No metadata grows with RAM: a 512 GiB guest costs one header per memory
 * map range until pages are freed into fragments. Allocation carves from the low end of the
 * first extent that fits (first fit, lowest addresses first). */
#include <kernel/mm.h>

#include <kernel/printk.h>
#include <kernel/spinlock.h>
#include <kernel/string.h>

struct free_extent {
	uint64_t pages;
	struct free_extent *next;
};

static struct free_extent *free_list;
static struct spinlock free_lock;
static uint64_t total_pages, free_pages;
uint64_t mm_ram_top;

static uint64_t page_round_up(uint64_t a)
{
	return (a + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
}

/* Inserts [p, p + pages) into the sorted list, merging with neighbours. Called with the lock. */
static void free_list_insert(uintptr_t p, uint64_t pages)
{
	struct free_extent **link = &free_list, *prev = NULL;
	while (*link && (uintptr_t)*link < p) {
		prev = *link;
		link = &(*link)->next;
	}
	struct free_extent *next = *link;
	uintptr_t end = p + pages * PAGE_SIZE;
	if (prev && (uintptr_t)prev + prev->pages * PAGE_SIZE > p)
		panic("mm: double free of page %#lx", (unsigned long)p);
	if (next && end > (uintptr_t)next)
		panic("mm: double free of page %#lx", (unsigned long)p);

	if (prev && (uintptr_t)prev + prev->pages * PAGE_SIZE == p) {
		prev->pages += pages;
		if (next && end == (uintptr_t)next) {
			prev->pages += next->pages;
			prev->next = next->next;
		}
		return;
	}
	struct free_extent *e = (struct free_extent *)p;
	e->pages = pages;
	e->next = next;
	if (next && end == (uintptr_t)next) {
		e->pages += next->pages;
		e->next = next->next;
	}
	*link = e;
}

void mm_add_range(uint64_t start, uint64_t end)
{
	start = page_round_up(start);
	end &= ~(PAGE_SIZE - 1);
	if (end <= start)
		return;
	uint64_t pages = (end - start) / PAGE_SIZE;
	spin_lock(&free_lock);
	free_list_insert(start, pages);
	total_pages += pages;
	free_pages += pages;
	spin_unlock(&free_lock);
}

void *mm_pages_alloc(size_t npages)
{
	if (npages == 0)
		return NULL;
	spin_lock(&free_lock);
	struct free_extent **link = &free_list;
	while (*link && (*link)->pages < npages)
		link = &(*link)->next;
	struct free_extent *e = *link;
	void *p = NULL;
	if (e) {
		if (e->pages == npages) {
			*link = e->next;
			p = e;
		} else {
			/* From the low end: early allocations stay next to the kernel, in memory the
			 * host has already backed (under QEMU each fresh 2 MiB region costs the host
			 * a huge-page clear, ~0.25 ms here), and the header moves up past them. */
			struct free_extent *rest = (struct free_extent *)((char *)e + npages * PAGE_SIZE);
			rest->pages = e->pages - npages;
			rest->next = e->next;
			*link = rest;
			p = e;
		}
		free_pages -= npages;
	}
	spin_unlock(&free_lock);
	return p;
}

void *mm_pages_zalloc(size_t npages)
{
	void *p = mm_pages_alloc(npages);
	if (p)
		memset(p, 0, npages * PAGE_SIZE);
	return p;
}

void mm_pages_free(void *p, size_t npages)
{
	if (!p || npages == 0)
		return;
	if ((uintptr_t)p & (PAGE_SIZE - 1))
		panic("mm: free of unaligned address %p", p);
	spin_lock(&free_lock);
	free_list_insert((uintptr_t)p, npages);
	free_pages += npages;
	spin_unlock(&free_lock);
}

void mm_get_stats(struct mm_stats *out)
{
	spin_lock(&free_lock);
	out->total_pages = total_pages;
	out->free_pages = free_pages;
	out->free_extents = 0;
	out->largest_free = 0;
	for (struct free_extent *e = free_list; e; e = e->next) {
		out->free_extents++;
		if (e->pages > out->largest_free)
			out->largest_free = e->pages;
	}
	spin_unlock(&free_lock);
}
