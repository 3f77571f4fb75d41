/* Per-core heaps (API and contracts in kernel/include/kernel/heap.h). Small blocks come
 * from 32 size classes, each a LIFO free list carved from 64 KiB spans aligned to their size;
 * large blocks are pages of their own behind the same header. Nothing here takes a lock. */
#include <kernel/heap.h>

#include <stdbool.h>

#include <kernel/mm.h>
#include <kernel/printk.h>
#include <kernel/string.h>

/* Every span and large block starts with this header, at a HEAP_SPAN_SIZE-aligned address.
 * magic sits past the first 16 bytes because the page allocator writes its free-extent header
 * there when the pages go back: a freed header keeps HEAP_DEAD_MAGIC, which names double frees. */
struct heap_span {
	struct heap_span *next; /* next span of the same class and heap */
	uint64_t pages;         /* large blocks: pages held, header included */
	uint32_t magic;         /* HEAP_SPAN_MAGIC, HEAP_LARGE_MAGIC or HEAP_DEAD_MAGIC */
	uint32_t class;         /* size-class index (spans only) */
	struct heap *owner;     /* the heap that allocated it */
	/* Block index from a pointer without a division: for block size d = 2^shift * odd,
	 * ror(offset * odd_inverse, shift) equals offset / d when d divides offset and is
	 * larger than any block count otherwise (Granlund and Montgomery's exact division). */
	uint64_t odd_inverse;
	uint32_t shift;
	uint32_t capacity;   /* blocks in the span */
	uint32_t free_count; /* scratch of heap_collect */
};

/* Header room before the first block: a cache line, which also keeps blocks HEAP_ALIGN-aligned. */
#define HEAP_HEADER_SIZE 64
_Static_assert(sizeof(struct heap_span) <= HEAP_HEADER_SIZE, "span header too big");
_Static_assert(HEAP_HEADER_SIZE % HEAP_ALIGN == 0, "blocks must stay aligned");

#define HEAP_SPAN_PAGES (HEAP_SPAN_SIZE / PAGE_SIZE)
#define HEAP_SPAN_MASK  (HEAP_SPAN_SIZE - 1)

#define HEAP_SPAN_MAGIC  0x6e617053u /* "Span" */
#define HEAP_LARGE_MAGIC 0x6772614cu /* "Larg" */
#define HEAP_DEAD_MAGIC  0x64616544u /* "Dead" */

/* A free block: the list link, then a canary that says "free" (the address mixed with a
 * constant, so a copy of a freed block elsewhere does not look free). */
struct heap_block {
	struct heap_block *next;
	uintptr_t canary;
};
_Static_assert(sizeof(struct heap_block) <= HEAP_ALIGN, "the smallest class holds a free block");
#define HEAP_FREE_CANARY 0xa5e1f4ee0b10c4edull

/* The class sizes: multiples of 16 up to 128, then four classes per doubling (at most 25% lost
 * to rounding), all multiples of HEAP_ALIGN. */
static const uint32_t heap_class_size[HEAP_NUM_CLASSES] = {
    16,  32,  48,  64,   80,   96,   112,  128,  160,  192,  224,  256,  320,  384,  448,  512,
    640, 768, 896, 1024, 1280, 1536, 1792, 2048, 2560, 3072, 3584, 4096, 5120, 6144, 7168, 8192,
};
_Static_assert(HEAP_MAX_CLASS_SIZE == 8192, "heap_class_size ends at HEAP_MAX_CLASS_SIZE");

/* Size to class without a search: up to HEAP_SMALL_LIMIT bytes by 16-byte granules, above it by
 * 128-byte granules. Each entry is the smallest class that holds the granule's largest size. */
/* clang-format off */
#define HEAP_SMALL_LIMIT  1024
#define HEAP_SMALL_SHIFT  4
#define HEAP_MEDIUM_SHIFT 7
static const uint8_t heap_small_index[(HEAP_SMALL_LIMIT >> HEAP_SMALL_SHIFT) + 1] = {
	[0 ... 1] = 0,    [2] = 1,          [3] = 2,          [4] = 3,          [5] = 4,
	[6] = 5,          [7] = 6,          [8] = 7,          [9 ... 10] = 8,   [11 ... 12] = 9,
	[13 ... 14] = 10, [15 ... 16] = 11, [17 ... 20] = 12, [21 ... 24] = 13, [25 ... 28] = 14,
	[29 ... 32] = 15, [33 ... 40] = 16, [41 ... 48] = 17, [49 ... 56] = 18, [57 ... 64] = 19,
};
static const uint8_t heap_medium_index[(HEAP_MAX_CLASS_SIZE >> HEAP_MEDIUM_SHIFT) + 1] = {
	[9 ... 10] = 20,  [11 ... 12] = 21, [13 ... 14] = 22, [15 ... 16] = 23,
	[17 ... 20] = 24, [21 ... 24] = 25, [25 ... 28] = 26, [29 ... 32] = 27,
	[33 ... 40] = 28, [41 ... 48] = 29, [49 ... 56] = 30, [57 ... 64] = 31,
};
/* clang-format on */

static inline struct heap_span *heap_span_of(const void *p)
{
	return (struct heap_span *)((uintptr_t)p & ~HEAP_SPAN_MASK);
}

static inline uintptr_t heap_canary(const struct heap_block *b)
{
	return (uintptr_t)b ^ HEAP_FREE_CANARY;
}

/* The block index of p in small span s, or a value >= s->capacity when p is not the start of
 * one of its blocks. */
static inline uint64_t heap_block_index(const struct heap_span *s, const void *p)
{
	uint64_t offset = ((uintptr_t)p & HEAP_SPAN_MASK) - HEAP_HEADER_SIZE;
	uint64_t q = offset * s->odd_inverse;
	return (q >> s->shift) | (q << ((64 - s->shift) & 63));
}

void heap_init(struct heap *h, unsigned owner_id)
{
	memset(h, 0, sizeof(*h));
	h->owner_id = owner_id;
}

/* HEAP_SPAN_SIZE-aligned pages: over-allocates by one span less a page and gives back the
 * misaligned head and the tail. The page allocator carves from the top of an extent, so when
 * that top is aligned the head merges straight back and nothing is left fragmented. */
static void *heap_pages_alloc_aligned(size_t pages)
{
	size_t extra = HEAP_SPAN_PAGES - 1;
	if (pages > SIZE_MAX / PAGE_SIZE - extra)
		return NULL;
	uintptr_t raw = (uintptr_t)mm_pages_alloc(pages + extra);
	if (!raw)
		return NULL;
	uintptr_t start = (raw + HEAP_SPAN_MASK) & ~HEAP_SPAN_MASK;
	size_t head = (start - raw) >> PAGE_SHIFT;
	if (head)
		mm_pages_free((void *)raw, head);
	if (extra - head)
		mm_pages_free((void *)(start + pages * PAGE_SIZE), extra - head);
	return (void *)start;
}

static void heap_span_release(struct heap_span *s)
{
	s->magic = HEAP_DEAD_MAGIC;
	mm_pages_free(s, HEAP_SPAN_PAGES);
}

/* Moves every block other cores freed into h back onto h's class lists. Owner only: the single
 * consumer takes the whole stack with one exchange, so pushes never see ABA. */
static void heap_drain_remote(struct heap *h)
{
	/* Acquire pairs with the pushers' release: their writes to b->next are visible. */
	struct heap_block *b = __atomic_exchange_n(&h->remote_free, NULL, __ATOMIC_ACQUIRE);
	while (b) {
		struct heap_block *next = b->next;
		struct heap_class *cls = &h->classes[heap_span_of(b)->class];
		b->next = cls->free;
		cls->free = b;
		cls->frees++;
		h->remote_received++;
		b = next;
	}
}

/* Carves a new span for class c onto its free list, lowest address first. */
static bool heap_add_span(struct heap *h, unsigned c)
{
	struct heap_span *s = heap_pages_alloc_aligned(HEAP_SPAN_PAGES);
	if (!s)
		return false;
	uint32_t size = heap_class_size[c];
	uint32_t shift = (uint32_t)__builtin_ctz(size);
	uint64_t odd = size >> shift, inverse = odd;
	/* Newton's iteration doubles the correct low bits; odd * odd == 1 mod 8 gives the first 3.
	 */
	for (int i = 0; i < 5; i++)
		inverse *= 2 - odd * inverse;
	*s = (struct heap_span){
	    .magic = HEAP_SPAN_MAGIC,
	    .class = c,
	    .owner = h,
	    .odd_inverse = inverse,
	    .shift = shift,
	    .capacity = (uint32_t)((HEAP_SPAN_SIZE - HEAP_HEADER_SIZE) / size),
	};
	struct heap_class *cls = &h->classes[c];
	s->next = cls->spans;
	cls->spans = s;
	cls->span_count++;
	char *first = (char *)s + HEAP_HEADER_SIZE;
	for (uint32_t i = s->capacity; i-- > 0;) {
		struct heap_block *b = (struct heap_block *)(first + (size_t)i * size);
		b->next = cls->free;
		b->canary = heap_canary(b);
		cls->free = b;
	}
	return true;
}

static __attribute__((noinline, cold)) void heap_report_corrupt(struct heap *h,
                                                                struct heap_block *b)
{
	panic("heap %u: free block %p was written after free (canary %#lx, next %p)", h->owner_id,
	      (void *)b, (unsigned long)b->canary, (void *)b->next);
}

/* Takes the first block of a non-empty class list; the canary check catches a write into a
 * free block (whose list link may then be garbage) before the link is followed. */
static inline void *heap_pop(struct heap *h, struct heap_class *cls)
{
	struct heap_block *b = cls->free;
	if (__builtin_expect(b->canary != heap_canary(b), 0))
		heap_report_corrupt(h, b);
	cls->free = b->next;
	b->canary = 0;
	cls->allocs++;
	return b;
}

/* The slow path of heap_alloc: class c's list is empty. Remote frees first, then a new span;
 * when the pages are gone, this heap's own empty spans go back first and the span is retried.
 * Kept out of line (and tail-called) so that the fast path needs no stack frame. */
static __attribute__((noinline)) void *heap_alloc_refill(struct heap *h, unsigned c)
{
	struct heap_class *cls = &h->classes[c];
	heap_drain_remote(h);
	if (!cls->free && !heap_add_span(h, c)) {
		heap_collect(h);
		if (!heap_add_span(h, c))
			return NULL;
	}
	return heap_pop(h, cls);
}

static __attribute__((noinline)) void *heap_large_alloc(struct heap *h, size_t size)
{
	if (size > SIZE_MAX - HEAP_HEADER_SIZE - PAGE_SIZE)
		return NULL;
	size_t pages = (size + HEAP_HEADER_SIZE + PAGE_SIZE - 1) >> PAGE_SHIFT;
	struct heap_span *s = heap_pages_alloc_aligned(pages);
	if (!s) {
		heap_collect(h);
		s = heap_pages_alloc_aligned(pages);
		if (!s)
			return NULL;
	}
	*s = (struct heap_span){.magic = HEAP_LARGE_MAGIC, .pages = pages, .owner = h};
	h->large_allocs++;
	__atomic_add_fetch(&h->large_bytes, pages * PAGE_SIZE, __ATOMIC_RELAXED);
	return (char *)s + HEAP_HEADER_SIZE;
}

void *heap_alloc(struct heap *h, size_t size)
{
	unsigned c;
	if (size <= HEAP_SMALL_LIMIT)
		c = heap_small_index[(size + (1u << HEAP_SMALL_SHIFT) - 1) >> HEAP_SMALL_SHIFT];
	else if (size <= HEAP_MAX_CLASS_SIZE)
		c = heap_medium_index[(size + (1u << HEAP_MEDIUM_SHIFT) - 1) >> HEAP_MEDIUM_SHIFT];
	else
		return heap_large_alloc(h, size);
	struct heap_class *cls = &h->classes[c];
	if (__builtin_expect(!cls->free, 0))
		return heap_alloc_refill(h, c);
	return heap_pop(h, cls);
}

void *heap_zalloc(struct heap *h, size_t n, size_t size)
{
	size_t bytes;
	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	void *p = heap_alloc(h, bytes);
	if (p)
		memset(p, 0, bytes);
	return p;
}

/* Pushes b onto owner's remote stack. Any core; lock-free (a compare-exchange loop). */
static void heap_remote_push(struct heap *owner, struct heap_block *b)
{
	b->canary = heap_canary(b);
	struct heap_block *head = __atomic_load_n(&owner->remote_free, __ATOMIC_RELAXED);
	do
		b->next = head;
	while (!__atomic_compare_exchange_n(&owner->remote_free, &head, b, true, __ATOMIC_RELEASE,
	                                    __ATOMIC_RELAXED));
}

/* heap_free for everything but a live small block: large blocks, and the reports. */
static __attribute__((noinline)) void heap_free_slow(struct heap *local, void *p,
                                                     struct heap_span *s)
{
	if (s->magic == HEAP_LARGE_MAGIC && (char *)p == (char *)s + HEAP_HEADER_SIZE) {
		struct heap *owner = s->owner;
		size_t pages = s->pages;
		s->magic = HEAP_DEAD_MAGIC;
		__atomic_add_fetch(&owner->large_frees, 1, __ATOMIC_RELAXED);
		__atomic_sub_fetch(&owner->large_bytes, pages * PAGE_SIZE, __ATOMIC_RELAXED);
		mm_pages_free(s, pages);
		return;
	}
	if (s->magic == HEAP_DEAD_MAGIC)
		panic("heap %u: double free of %p (its pages were already released)",
		      local->owner_id, p);
	if (s->magic == HEAP_SPAN_MAGIC && heap_block_index(s, p) < s->capacity)
		panic("heap %u: double free of %p (heap %u, %u-byte block)", local->owner_id, p,
		      s->owner->owner_id, heap_class_size[s->class]);
	panic("heap %u: free of %p, which no heap handed out", local->owner_id, p);
}

void heap_free(struct heap *local, void *p)
{
	if (!p)
		return;
	struct heap_span *s = heap_span_of(p);
	struct heap_block *b = p;
	/* One test covers "not a small span", a pointer inside a block and a double free; the
	 * slow path tells them apart. */
	if (__builtin_expect(s->magic != HEAP_SPAN_MAGIC || heap_block_index(s, p) >= s->capacity ||
	                         b->canary == heap_canary(b),
	                     0)) {
		heap_free_slow(local, p, s);
		return;
	}
	if (__builtin_expect(s->owner != local, 0)) {
		local->remote_sent++;
		heap_remote_push(s->owner, b);
		return;
	}
	struct heap_class *cls = &local->classes[s->class];
	b->next = cls->free;
	b->canary = heap_canary(b);
	cls->free = b;
	cls->frees++;
}

void *heap_block_start(const void *p)
{
	struct heap_span *s = heap_span_of(p);
	if (s->magic == HEAP_LARGE_MAGIC)
		return (char *)s + HEAP_HEADER_SIZE;
	if (s->magic != HEAP_SPAN_MAGIC)
		return NULL;
	uint64_t offset = ((uintptr_t)p & HEAP_SPAN_MASK) - HEAP_HEADER_SIZE;
	uint32_t size = heap_class_size[s->class];
	return (char *)s + HEAP_HEADER_SIZE + offset / size * size;
}

size_t heap_usable_size(const void *p)
{
	const struct heap_span *s = heap_span_of(p);
	if (s->magic == HEAP_LARGE_MAGIC)
		return s->pages * PAGE_SIZE - HEAP_HEADER_SIZE;
	return heap_class_size[s->class];
}

void *heap_realloc(struct heap *h, void *p, size_t size)
{
	if (!p)
		return heap_alloc(h, size);
	size_t old = heap_usable_size(p);
	/* Stay in place unless the block would be more than half empty. */
	if (size <= old && size >= old / 2)
		return p;
	void *q = heap_alloc(h, size);
	if (!q)
		return NULL;
	memcpy(q, p, size < old ? size : old);
	heap_free(h, p);
	return q;
}

/* Returns class c's spans that hold no live block to the page allocator, and drops their
 * blocks from the free list. Owner only, remote stack already drained. */
static void heap_collect_class(struct heap_class *cls)
{
	for (struct heap_span *s = cls->spans; s; s = s->next)
		s->free_count = 0;
	for (struct heap_block *b = cls->free; b; b = b->next)
		heap_span_of(b)->free_count++;

	struct heap_block **link = &cls->free, *next;
	for (struct heap_block *b = cls->free; b; b = next) {
		next = b->next;
		struct heap_span *s = heap_span_of(b);
		if (s->free_count != s->capacity) {
			*link = b;
			link = &b->next;
		}
	}
	*link = NULL;

	struct heap_span **span_link = &cls->spans, *s;
	while ((s = *span_link)) {
		if (s->free_count == s->capacity) {
			*span_link = s->next;
			cls->span_count--;
			heap_span_release(s);
		} else {
			span_link = &s->next;
		}
	}
}

void heap_collect(struct heap *h)
{
	heap_drain_remote(h);
	for (unsigned c = 0; c < HEAP_NUM_CLASSES; c++)
		if (h->classes[c].spans)
			heap_collect_class(&h->classes[c]);
}

void heap_get_stats(struct heap *h, struct heap_stats *out)
{
	*out = (struct heap_stats){
	    .remote_sent = h->remote_sent,
	    .remote_received = h->remote_received,
	};
	for (unsigned c = 0; c < HEAP_NUM_CLASSES; c++) {
		const struct heap_class *cls = &h->classes[c];
		out->bytes_in_use += (cls->allocs - cls->frees) * heap_class_size[c];
		out->spans += cls->span_count;
		out->allocs += cls->allocs;
		out->frees += cls->frees;
	}
	out->bytes_in_spans = out->spans * HEAP_SPAN_SIZE;
	uint64_t large_frees = __atomic_load_n(&h->large_frees, __ATOMIC_RELAXED);
	out->large_bytes = __atomic_load_n(&h->large_bytes, __ATOMIC_RELAXED);
	out->large_blocks = h->large_allocs - large_frees;
	out->bytes_in_use += out->large_bytes;
	out->allocs += h->large_allocs;
	out->frees += large_frees;
}
