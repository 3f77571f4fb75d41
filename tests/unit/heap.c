/* The per-core heap (kernel/core/heap.c) on the host, over a page-allocator double that counts
 * pages outstanding and poisons free pages for ASan: every size, 1M random operations with
 * content checks, remote frees between real threads, memory returning to its start, bad frees. */
// SOURCES: kernel/core/heap.c
#include <kernel/heap.h>
#include <kernel/mm.h>
#include <kernel/printk.h>

#include <pthread.h>
#include <sanitizer/asan_interface.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"

/* --- Page allocator double: next-fit over a page map of one aligned arena ------------------- */

#define ARENA_PAGES (64 * 1024) /* 256 MiB of address space, touched only as used */

static char *arena;
static uint8_t page_used[ARENA_PAGES];
static size_t page_cursor;
static size_t pages_outstanding;
static size_t pages_limit = ARENA_PAGES; /* mm_pages_alloc fails past this many outstanding */
static bool pages_poison = true;         /* poison free pages so ASan reports stray accesses */
static bool pages_bad_free;              /* a free of pages not allocated happened */
static pthread_mutex_t pages_lock = PTHREAD_MUTEX_INITIALIZER;

static void pages_init(void)
{
	arena = aligned_alloc(HEAP_SPAN_SIZE, ARENA_PAGES * PAGE_SIZE);
	if (!arena) {
		perror("heap test: arena");
		exit(2);
	}
	ASAN_POISON_MEMORY_REGION(arena, ARENA_PAGES * PAGE_SIZE);
}

static bool pages_run_free(size_t first, size_t npages)
{
	for (size_t i = 0; i < npages; i++)
		if (page_used[first + i])
			return false;
	return true;
}

void *mm_pages_alloc(size_t npages)
{
	void *p = NULL;
	pthread_mutex_lock(&pages_lock);
	if (npages && npages <= ARENA_PAGES && pages_outstanding + npages <= pages_limit) {
		for (size_t tried = 0; tried < ARENA_PAGES; tried++) {
			size_t first = (page_cursor + tried) % ARENA_PAGES;
			if (first + npages > ARENA_PAGES || !pages_run_free(first, npages))
				continue;
			memset(page_used + first, 1, npages);
			page_cursor = first + npages;
			pages_outstanding += npages;
			p = arena + first * PAGE_SIZE;
			ASAN_UNPOISON_MEMORY_REGION(p, npages * PAGE_SIZE);
			break;
		}
	}
	pthread_mutex_unlock(&pages_lock);
	return p;
}

void mm_pages_free(void *p, size_t npages)
{
	if (!p || !npages)
		return;
	size_t first = (size_t)((char *)p - arena) / PAGE_SIZE;
	pthread_mutex_lock(&pages_lock);
	if ((char *)p < arena || ((uintptr_t)p & (PAGE_SIZE - 1)) || first + npages > ARENA_PAGES) {
		pages_bad_free = true;
	} else {
		for (size_t i = 0; i < npages; i++) {
			if (!page_used[first + i])
				pages_bad_free = true;
			page_used[first + i] = 0;
		}
		pages_outstanding -= npages;
		if (pages_poison)
			ASAN_POISON_MEMORY_REGION(p, npages * PAGE_SIZE);
	}
	pthread_mutex_unlock(&pages_lock);
}

/* --- panic double: a test that expects a report jumps back; any other panic fails the run --- */

static jmp_buf *panic_expected;
static char panic_message[256];

_Noreturn void panic(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(panic_message, sizeof(panic_message), fmt, ap);
	va_end(ap);
	if (panic_expected)
		longjmp(*panic_expected, 1);
	fprintf(stderr, "heap test: unexpected panic: %s\n", panic_message);
	abort();
}

/* Runs stmt and checks that it panics with a message containing want. */
#define CHECK_PANICS(stmt, want)                                                                   \
	do {                                                                                       \
		jmp_buf env_;                                                                      \
		panic_message[0] = 0;                                                              \
		if (!setjmp(env_)) {                                                               \
			panic_expected = &env_;                                                    \
			stmt;                                                                      \
			panic_expected = NULL;                                                     \
			CHECK(!"no panic from " #stmt);                                            \
		} else {                                                                           \
			panic_expected = NULL;                                                     \
			CHECK(strstr(panic_message, want) != NULL);                                \
		}                                                                                  \
	} while (0)

/* --- helpers ---------------------------------------------------------------------------------- */

/* Deterministic, fast random numbers (xorshift64*), one state per thread. */
static uint64_t rng_next(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 2685821657736338717ull;
}

/* Fills / verifies the first n bytes of p with a pattern unique to tag; a prefix of a filled
 * block verifies as a block of the prefix's size. */
static uint64_t pattern_word(uint64_t tag, size_t i)
{
	return (tag * 0x9e3779b97f4a7c15ull) ^ (i * 0xbf58476d1ce4e5b9ull);
}

static void pattern_fill(void *p, size_t n, uint64_t tag)
{
	unsigned char *c = p;
	size_t words = n / 8;
	for (size_t i = 0; i < words; i++) {
		uint64_t w = pattern_word(tag, i);
		memcpy(c + i * 8, &w, 8);
	}
	uint64_t w = pattern_word(tag, words);
	memcpy(c + words * 8, &w, n % 8);
}

static bool pattern_ok(const void *p, size_t n, uint64_t tag)
{
	const unsigned char *c = p;
	size_t words = n / 8;
	for (size_t i = 0; i < words; i++) {
		uint64_t w;
		memcpy(&w, c + i * 8, 8);
		if (w != pattern_word(tag, i))
			return false;
	}
	uint64_t want = pattern_word(tag, words), got = want;
	memcpy(&got, c + words * 8, n % 8);
	return got == want;
}

static bool aligned16(const void *p)
{
	return ((uintptr_t)p & (HEAP_ALIGN - 1)) == 0;
}

/* A heap with no live block and no span left after a collect. */
static bool heap_is_empty(struct heap *h)
{
	struct heap_stats st;
	heap_collect(h);
	heap_get_stats(h, &st);
	return st.bytes_in_use == 0 && st.spans == 0 && st.large_blocks == 0 &&
	       st.large_bytes == 0 && st.allocs == st.frees;
}

/* --- tests ------------------------------------------------------------------------------------ */

#define SIZES_LIMIT (HEAP_MAX_CLASS_SIZE + 4 * PAGE_SIZE)
#define LARGE_STEP  97 /* large sizes kept live at once, sampled to bound memory */

/* Every size from 0 past the largest class: aligned, big enough, not much bigger, and all
 * small ones live at once without overlapping. */
static void test_every_size(void)
{
	struct heap h;
	heap_init(&h, 0);
	size_t start = pages_outstanding;
	static void *live[SIZES_LIMIT + 1];
	size_t prev_usable = 0, large_count = 0;
	bool sizes_ok = true, monotonic = true, tight = true;
	for (size_t size = 0; size <= SIZES_LIMIT; size++) {
		if (size > HEAP_MAX_CLASS_SIZE && size % LARGE_STEP)
			continue;
		void *p = heap_alloc(&h, size);
		if (!p || !aligned16(p)) {
			sizes_ok = false;
			fprintf(stderr, "size %zu: %p\n", size, p);
			continue;
		}
		size_t usable = heap_usable_size(p);
		if (usable < size)
			sizes_ok = false;
		if (usable < prev_usable)
			monotonic = false;
		/* Classes are at most 25% apart (16 bytes below 128); large blocks round to pages.
		 */
		if (size <= HEAP_MAX_CLASS_SIZE && usable > size + size / 4 + HEAP_ALIGN)
			tight = false;
		if (size > HEAP_MAX_CLASS_SIZE && usable >= size + PAGE_SIZE)
			tight = false;
		prev_usable = usable;
		pattern_fill(p, usable, size);
		live[size] = p;
		large_count += size > HEAP_MAX_CLASS_SIZE;
	}
	CHECK(sizes_ok);
	CHECK(monotonic);
	CHECK(tight);
	bool intact = true;
	for (size_t size = 0; size <= SIZES_LIMIT; size++)
		if (live[size] && !pattern_ok(live[size], heap_usable_size(live[size]), size))
			intact = false;
	CHECK(intact);

	struct heap_stats st;
	heap_get_stats(&h, &st);
	uint64_t expected = 0;
	for (size_t size = 0; size <= SIZES_LIMIT; size++)
		if (size <= HEAP_MAX_CLASS_SIZE && live[size])
			expected += heap_usable_size(live[size]);
	CHECK(st.bytes_in_use - st.large_bytes == expected);
	CHECK(st.bytes_in_spans == st.spans * HEAP_SPAN_SIZE);
	CHECK(st.large_blocks == large_count);
	CHECK(st.allocs - st.frees == HEAP_MAX_CLASS_SIZE + 1 + st.large_blocks);

	for (size_t size = 0; size <= SIZES_LIMIT; size++)
		heap_free(&h, live[size]);
	CHECK(heap_is_empty(&h));
	CHECK(pages_outstanding == start);
}

/* realloc keeps the contents through every growth and shrink, and NULL/0 behave as documented. */
static void test_realloc(void)
{
	struct heap h;
	heap_init(&h, 0);
	size_t start = pages_outstanding;
	const uint64_t tag = 77;
	char *p = heap_realloc(&h, NULL, 1);
	CHECK(p != NULL);
	size_t have = 1;
	pattern_fill(p, have, tag);
	bool kept = true;
	for (size_t size = 2; size <= SIZES_LIMIT; size += size / 8 + 1) {
		p = heap_realloc(&h, p, size);
		if (!p || !aligned16(p) || !pattern_ok(p, have, tag)) {
			fprintf(stderr, "grow to %zu: %p\n", size, (void *)p);
			kept = false;
		}
		pattern_fill(p, size, tag);
		have = size;
	}
	for (size_t size = have; size > 0; size /= 3) {
		p = heap_realloc(&h, p, size);
		if (!p || heap_usable_size(p) < size || !pattern_ok(p, size, tag)) {
			fprintf(stderr, "shrink to %zu: %p\n", size, (void *)p);
			kept = false;
		}
		have = size;
	}
	CHECK(kept);
	/* Shrinking a large block to a small size moves it into a size class. */
	char *small = heap_realloc(&h, p, 0);
	CHECK(small != NULL && heap_usable_size(small) == HEAP_ALIGN);
	heap_free(&h, small);

	/* zalloc clears a reused block, and refuses an overflowing n * size. */
	char *dirty = heap_alloc(&h, 200);
	memset(dirty, 0xee, 200);
	heap_free(&h, dirty);
	char *z = heap_zalloc(&h, 10, 20);
	CHECK(z == dirty);
	bool zero = true;
	for (int i = 0; i < 200; i++)
		zero &= z[i] == 0;
	CHECK(zero);
	heap_free(&h, z);
	CHECK(heap_zalloc(&h, SIZE_MAX / 2, 3) == NULL);
	CHECK(heap_alloc(&h, SIZE_MAX) == NULL);
	CHECK(heap_alloc(&h, SIZE_MAX - PAGE_SIZE) == NULL);
	CHECK(heap_is_empty(&h));
	CHECK(pages_outstanding == start);
}

/* Sizes for the random runs: mostly small, some up to the biggest class, a few large. */
static size_t random_size(uint64_t *rng)
{
	uint64_t r = rng_next(rng);
	switch (r % 100) {
	case 0:
		return HEAP_MAX_CLASS_SIZE + (r >> 8) % (8 * PAGE_SIZE);
	case 1 ... 10:
		return (r >> 8) % (HEAP_MAX_CLASS_SIZE + 1);
	default:
		return (r >> 8) % 1025;
	}
}

#define STRESS_OPS   1000000
#define STRESS_SLOTS 4096

/* 1,000,000 random allocations and frees on one heap; each live block carries a pattern that
 * is checked when it is freed (so nothing handed out overlaps a live block), and the stats
 * agree with the test's own count of live bytes at every collect. */
static void test_random_stress(void)
{
	struct heap h;
	heap_init(&h, 1);
	size_t start = pages_outstanding;
	static struct {
		void *p;
		size_t size;
		uint64_t tag;
	} slot[STRESS_SLOTS];
	uint64_t rng = 0x1234567887654321ull, live_bytes = 0, tag = 0;
	bool intact = true, aligned = true, stats_agree = true, all_allocated = true;
	for (int op = 0; op < STRESS_OPS; op++) {
		size_t i = rng_next(&rng) % STRESS_SLOTS;
		if (slot[i].p) {
			if (!pattern_ok(slot[i].p, slot[i].size, slot[i].tag))
				intact = false;
			live_bytes -= heap_usable_size(slot[i].p);
			heap_free(&h, slot[i].p);
			slot[i].p = NULL;
		} else {
			size_t size = random_size(&rng);
			void *p = heap_alloc(&h, size);
			if (!p) {
				all_allocated = false;
				continue;
			}
			aligned &= aligned16(p);
			pattern_fill(p, size, ++tag);
			live_bytes += heap_usable_size(p);
			slot[i].p = p;
			slot[i].size = size;
			slot[i].tag = tag;
		}
		if (op % (STRESS_OPS / 8) == 0) {
			struct heap_stats st;
			heap_collect(&h);
			heap_get_stats(&h, &st);
			/* Large blocks count whole pages, their header included. */
			uint64_t large_usable = 0, large_count = 0;
			for (size_t k = 0; k < STRESS_SLOTS; k++)
				if (slot[k].p &&
				    heap_usable_size(slot[k].p) > HEAP_MAX_CLASS_SIZE) {
					large_usable += heap_usable_size(slot[k].p);
					large_count++;
				}
			uint64_t small_bytes = live_bytes - large_usable;
			stats_agree &= st.large_blocks == large_count;
			stats_agree &= st.bytes_in_use - st.large_bytes == small_bytes;
			stats_agree &= st.large_bytes >= large_usable;
		}
	}
	CHECK(intact);
	CHECK(aligned);
	CHECK(all_allocated);
	CHECK(stats_agree);
	for (size_t i = 0; i < STRESS_SLOTS; i++)
		if (slot[i].p) {
			if (!pattern_ok(slot[i].p, slot[i].size, slot[i].tag))
				intact = false;
			heap_free(&h, slot[i].p);
		}
	CHECK(intact);
	struct heap_stats st;
	heap_get_stats(&h, &st);
	CHECK(st.allocs >= STRESS_OPS / 3 && st.allocs == st.frees);
	CHECK(heap_is_empty(&h));
	CHECK(pages_outstanding == start);
}

/* Remote frees in one thread, step by step: the block waits on the owner's stack (still counted
 * in use), the owner's next refill or collect takes it back, and the counts match. */
static void test_remote_single_thread(void)
{
	struct heap a, b;
	heap_init(&a, 0);
	heap_init(&b, 1);
	size_t start = pages_outstanding;
	void *pin = heap_alloc(&a, 100); /* keeps the span alive through the collects */
	void *p = heap_alloc(&a, 100);
	heap_free(&b, p);
	struct heap_stats sa, sb;
	heap_get_stats(&a, &sa);
	heap_get_stats(&b, &sb);
	CHECK(sb.remote_sent == 1 && sb.frees == 0);
	CHECK(sa.remote_received == 0 && sa.bytes_in_use == 2 * heap_usable_size(p));
	/* A remote double free is caught by the sender, before it reaches the owner. */
	CHECK_PANICS(heap_free(&b, p), "double free");
	heap_collect(&a);
	heap_get_stats(&a, &sa);
	CHECK(sa.remote_received == 1 && sa.bytes_in_use == heap_usable_size(pin));
	/* The drained block is reused by the owner. */
	CHECK(heap_alloc(&a, 100) == p);
	heap_free(&a, p);
	heap_free(&a, pin);

	/* A refill drains the stack: exhaust class 16 of heap a while b frees its blocks. */
	enum { N = 10000 };
	static void *blocks[N];
	for (int i = 0; i < N; i++)
		blocks[i] = heap_alloc(&a, 16);
	heap_get_stats(&a, &sa);
	uint64_t spans_before = sa.spans;
	for (int i = 0; i < N; i++)
		heap_free(&b, blocks[i]);
	for (int i = 0; i < N; i++)
		blocks[i] = heap_alloc(&a, 16);
	heap_get_stats(&a, &sa);
	CHECK(sa.spans == spans_before); /* reused the drained blocks, no new span */
	CHECK(sa.remote_received == 1 + N);
	for (int i = 0; i < N; i++)
		heap_free(&a, blocks[i]);

	/* A large block freed by another heap goes straight back to the pages. */
	void *big = heap_alloc(&a, 3 * HEAP_MAX_CLASS_SIZE);
	heap_free(&b, big);
	heap_get_stats(&a, &sa);
	CHECK(sa.large_blocks == 0 && sa.large_bytes == 0);
	CHECK(heap_is_empty(&a) && heap_is_empty(&b));
	CHECK(pages_outstanding == start);
}

/* --- remote frees between real threads -------------------------------------------------------- */

#define RING_THREADS  4
#define RING_BLOCKS   200000
#define RING_CAPACITY 1024

/* A single-producer single-consumer queue of block pointers between two test threads (the
 * test's own plumbing; the heap itself shares nothing but its remote stacks). */
struct ring {
	void *slot[RING_CAPACITY];
	size_t head; /* written by the consumer */
	size_t tail; /* written by the producer */
};

struct ring_thread {
	struct heap heap;
	unsigned id;
	struct ring *out, *in;
	uint64_t sent_sum, received_sum, received, bad_blocks;
};

static pthread_barrier_t ring_barrier;

static bool ring_push(struct ring *r, void *p)
{
	size_t tail = __atomic_load_n(&r->tail, __ATOMIC_RELAXED);
	if (tail - __atomic_load_n(&r->head, __ATOMIC_ACQUIRE) == RING_CAPACITY)
		return false;
	r->slot[tail % RING_CAPACITY] = p;
	__atomic_store_n(&r->tail, tail + 1, __ATOMIC_RELEASE);
	return true;
}

static void *ring_pop(struct ring *r)
{
	size_t head = __atomic_load_n(&r->head, __ATOMIC_RELAXED);
	if (head == __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE))
		return NULL;
	void *p = r->slot[head % RING_CAPACITY];
	__atomic_store_n(&r->head, head + 1, __ATOMIC_RELEASE);
	return p;
}

/* A block sent between threads: its serial, its size and a pattern derived from both. */
struct ring_block {
	uint64_t serial;
	uint64_t size;
};

static void ring_receive(struct ring_thread *t, void *p)
{
	struct ring_block *rb = p;
	if (!pattern_ok(rb + 1, rb->size - sizeof(*rb), rb->serial))
		t->bad_blocks++;
	t->received_sum += rb->serial;
	t->received++;
	heap_free(&t->heap, p);
}

/* Each thread allocates RING_BLOCKS blocks from its own heap and sends them to the next thread,
 * which checks and frees them into its own heap: every free is a remote free. Each thread also
 * frees half of what it allocates locally, so local and remote frees race on the same lists. */
static void *ring_thread_main(void *arg)
{
	struct ring_thread *t = arg;
	uint64_t rng = 0x9e3779b97f4a7c15ull * (t->id + 1);
	void *keep = NULL;
	for (uint64_t n = 0; n < RING_BLOCKS; n++) {
		size_t size = sizeof(struct ring_block) + rng_next(&rng) % 600;
		struct ring_block *rb = heap_alloc(&t->heap, size);
		if (!rb) {
			t->bad_blocks++;
			break;
		}
		rb->serial = ((uint64_t)t->id << 32) + n + 1;
		rb->size = size;
		pattern_fill(rb + 1, size - sizeof(*rb), rb->serial);
		t->sent_sum += rb->serial;
		while (!ring_push(t->out, rb)) {
			void *p = ring_pop(t->in);
			if (p)
				ring_receive(t, p);
		}
		void *p = ring_pop(t->in);
		if (p)
			ring_receive(t, p);
		heap_free(&t->heap, keep);
		keep = heap_alloc(&t->heap, size);
	}
	heap_free(&t->heap, keep);
	while (t->received < RING_BLOCKS) {
		void *p = ring_pop(t->in);
		if (p)
			ring_receive(t, p);
	}
	/* Every thread has freed everything it received; now each owner takes its blocks back. */
	pthread_barrier_wait(&ring_barrier);
	heap_collect(&t->heap);
	return NULL;
}

static void test_remote_threads(void)
{
	static struct ring rings[RING_THREADS];
	static struct ring_thread threads[RING_THREADS];
	pthread_t tid[RING_THREADS];
	size_t start = pages_outstanding;
	pthread_barrier_init(&ring_barrier, NULL, RING_THREADS);
	for (unsigned i = 0; i < RING_THREADS; i++) {
		heap_init(&threads[i].heap, i);
		threads[i].id = i;
		threads[i].out = &rings[i];
		threads[i].in = &rings[(i + RING_THREADS - 1) % RING_THREADS];
	}
	for (unsigned i = 0; i < RING_THREADS; i++)
		CHECK(pthread_create(&tid[i], NULL, ring_thread_main, &threads[i]) == 0);
	for (unsigned i = 0; i < RING_THREADS; i++)
		pthread_join(tid[i], NULL);
	pthread_barrier_destroy(&ring_barrier);

	uint64_t sent = 0, received = 0, remote_sent = 0, remote_received = 0;
	for (unsigned i = 0; i < RING_THREADS; i++) {
		struct ring_thread *t = &threads[i];
		struct ring_thread *sender = &threads[(i + RING_THREADS - 1) % RING_THREADS];
		struct heap_stats st;
		heap_get_stats(&t->heap, &st);
		CHECK(t->bad_blocks == 0);
		CHECK(t->received == RING_BLOCKS);
		CHECK(t->received_sum == sender->sent_sum); /* nothing lost, nothing duplicated */
		CHECK(st.remote_received == RING_BLOCKS);
		CHECK(st.remote_sent == RING_BLOCKS);
		CHECK(st.allocs == st.frees && st.bytes_in_use == 0 && st.spans == 0);
		sent += t->sent_sum;
		received += t->received_sum;
		remote_sent += st.remote_sent;
		remote_received += st.remote_received;
	}
	CHECK(sent == received && remote_sent == remote_received);
	CHECK(pages_outstanding == start);
}

/* --- out of memory and bad frees -------------------------------------------------------------- */

static void test_out_of_memory(void)
{
	struct heap h;
	heap_init(&h, 0);
	size_t start = pages_outstanding;
	/* An empty span of one class is reclaimed when another class needs pages. */
	void *p = heap_alloc(&h, 32);
	heap_free(&h, p);
	pages_limit = pages_outstanding + HEAP_SPAN_SIZE / PAGE_SIZE - 1;
	void *q = heap_alloc(&h, 64);
	CHECK(q != NULL);
	pages_limit = pages_outstanding;
	/* The class-64 span still has blocks; the class-128 span and large blocks find no pages. */
	void *r = heap_alloc(&h, 64);
	CHECK(r != NULL);
	CHECK(heap_alloc(&h, 128) == NULL);
	CHECK(heap_alloc(&h, 4 * HEAP_MAX_CLASS_SIZE) == NULL);
	CHECK(heap_realloc(&h, r, 4 * HEAP_MAX_CLASS_SIZE) == NULL); /* r stays valid */
	heap_free(&h, r);
	heap_free(&h, q);
	pages_limit = ARENA_PAGES;
	CHECK(heap_is_empty(&h));
	CHECK(pages_outstanding == start);
}

static void test_bad_frees(void)
{
	struct heap h;
	heap_init(&h, 3);
	size_t start = pages_outstanding;
	char *p = heap_alloc(&h, 64);
	char *keep = heap_alloc(&h, 64); /* keeps the span alive after p is freed */
	heap_free(&h, p);
	CHECK_PANICS(heap_free(&h, p), "double free");
	CHECK_PANICS(heap_free(&h, keep + HEAP_ALIGN), "no heap handed out");
	CHECK_PANICS(heap_free(&h, keep + 1), "no heap handed out");

	heap_free(&h, keep);

	/* A write into a freed block is reported when the block would be handed out again. That
	 * heap's free list is then garbage, so it is abandoned (its span is never returned). */
	struct heap wrecked;
	heap_init(&wrecked, 4);
	char *victim = heap_alloc(&wrecked, 64);
	heap_free(&wrecked, victim);
	memset(victim, 0x41, 64);
	CHECK_PANICS(heap_alloc(&wrecked, 64), "written after free");

	/* Inside a large block, and a large double free (its header survives in released pages,
	 * which the double therefore leaves readable). */
	char *big = heap_alloc(&h, 5 * HEAP_MAX_CLASS_SIZE);
	CHECK_PANICS(heap_free(&h, big + PAGE_SIZE), "no heap handed out");
	pages_poison = false;
	heap_free(&h, big);
	CHECK_PANICS(heap_free(&h, big), "double free");
	pages_poison = true;
	CHECK(heap_is_empty(&h));
	CHECK(pages_outstanding == start + HEAP_SPAN_SIZE / PAGE_SIZE); /* the abandoned span */
}

int main(void)
{
	pages_init();
	test_every_size();
	test_realloc();
	test_random_stress();
	test_remote_single_thread();
	test_remote_threads();
	test_out_of_memory();
	test_bad_frees();
	CHECK(!pages_bad_free);
	return check_summary("heap");
}
