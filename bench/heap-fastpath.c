/* Host benchmark of the per-core heap (kernel/core/heap.c), run by bench/heap.sh: the
 * loops below are what callgrind counts (bench_* functions only, deterministic); run directly it
 * also prints wall time, and the fraction of each span that holds blocks, per size class. */
#include <kernel/heap.h>
#include <kernel/mm.h>
#include <kernel/printk.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Page allocator double: a bump arena. Frees are dropped, which only matters for memory the
 * benchmark never reuses (it allocates a bounded number of spans). */
#define ARENA_BYTES (512ul << 20)
static char *arena_next, *arena_end;

void *mm_pages_alloc(size_t npages)
{
	if ((size_t)(arena_end - arena_next) < npages * PAGE_SIZE)
		return NULL;
	void *p = arena_next;
	arena_next += npages * PAGE_SIZE;
	return p;
}

void mm_pages_free(void *p, size_t npages)
{
	(void)p;
	(void)npages;
}

_Noreturn void panic(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("heap bench: panic: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

/* Sizes the fast-path loop cycles through: both lookup tables, small and medium classes. */
static const size_t bench_sizes[] = {16, 24, 100, 500, 1000, 2000, 5000, 8000};
#define BENCH_SIZE_MASK (sizeof(bench_sizes) / sizeof(bench_sizes[0]) - 1)
_Static_assert((BENCH_SIZE_MASK & (BENCH_SIZE_MASK + 1)) == 0, "a power of two of sizes");

#define BENCH_PAIRS  1000000
#define BENCH_REMOTE 100000

static void *remote_blocks[BENCH_REMOTE];

static void local_pairs(struct heap *h, long n)
{
	for (long i = 0; i < n; i++) {
		void *p = heap_alloc(h, bench_sizes[i & BENCH_SIZE_MASK]);
		heap_free(h, p);
	}
}

/* Takes one span per class, outside what is counted. */
__attribute__((noinline)) void bench_warm_up(struct heap *h)
{
	local_pairs(h, BENCH_SIZE_MASK + 1);
}

/* The fast path: every class list already holds blocks, so nothing refills. */
__attribute__((noinline)) void bench_local_pairs(struct heap *h, long n)
{
	local_pairs(h, n);
}

/* Frees of another heap's blocks: each a push onto the owner's remote stack. */
__attribute__((noinline)) void bench_remote_frees(struct heap *local, long n)
{
	for (long i = 0; i < n; i++)
		heap_free(local, remote_blocks[i]);
}

/* The owner allocating them again: the first allocation drains the whole stack. */
__attribute__((noinline)) void bench_drain_allocs(struct heap *owner, long n)
{
	for (long i = 0; i < n; i++)
		remote_blocks[i] = heap_alloc(owner, 64);
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Blocks per span for each class, found by allocating until the heap takes a second span. */
static void print_span_use(void)
{
	static struct heap h;
	unsigned worst_size = 0;
	double worst = 1;
	for (size_t size = HEAP_ALIGN; size <= HEAP_MAX_CLASS_SIZE; size += HEAP_ALIGN) {
		heap_init(&h, 9);
		void *first = heap_alloc(&h, size);
		if (heap_usable_size(first) != size)
			continue;
		struct heap_stats st;
		unsigned blocks = 1;
		for (;; blocks++) {
			heap_alloc(&h, size);
			heap_get_stats(&h, &st);
			if (st.spans > 1)
				break;
		}
		double use = (double)blocks * size / HEAP_SPAN_SIZE;
		if (use < worst) {
			worst = use;
			worst_size = size;
		}
	}
	printf("heap spans: %lu KiB; worst span use %.1f%% (%u-byte class); classes up to %d "
	       "bytes\n",
	       HEAP_SPAN_SIZE / 1024, worst * 100, worst_size, HEAP_MAX_CLASS_SIZE);
}

int main(void)
{
	arena_next = aligned_alloc(HEAP_SPAN_SIZE, ARENA_BYTES);
	if (!arena_next)
		return 1;
	arena_end = arena_next + ARENA_BYTES;

	static struct heap a, b;
	heap_init(&a, 0);
	heap_init(&b, 1);
	bench_warm_up(&a);
	double t0 = now_ns();
	bench_local_pairs(&a, BENCH_PAIRS);
	double t1 = now_ns();

	for (long i = 0; i < BENCH_REMOTE; i++)
		remote_blocks[i] = heap_alloc(&a, 64);
	bench_remote_frees(&b, BENCH_REMOTE);
	bench_drain_allocs(&a, BENCH_REMOTE);

	struct heap_stats st;
	heap_get_stats(&a, &st);
	if (st.remote_received != BENCH_REMOTE) {
		fprintf(stderr, "heap bench: %lu remote frees received, want %d\n",
		        (unsigned long)st.remote_received, BENCH_REMOTE);
		return 1;
	}
	printf("heap bench: %d alloc+free pairs, %d remote frees; %.1f ns per pair (this host)\n",
	       BENCH_PAIRS, BENCH_REMOTE, (t1 - t0) / BENCH_PAIRS);
	print_span_use();
	return 0;
}
