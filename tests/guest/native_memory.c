/* Per-core heaps through the native API: a stress of random sizes checked by pattern, frees of
 * blocks another core allocated, and memory back to its starting level afterwards; and whole
 * pages from toro_pages_alloc. */
// BUILD: --native --no-fpu
// CASE: stress-1 | --cpus 1 -- stress | 0 | ^stress: 1000000 operations ok$ && ^pages back: yes$
// CASE: remote-2 | --cpus 2 -- remote | 0 | ^remote: 20000 blocks freed on core 1, checksum ok$ && ^received on core 0: 20000$ && ^pages back: yes$
// CASE: remote-4 | --cpus 4 -- remote | 0 | ^remote: 20000 blocks freed on core 1, checksum ok$ && ^pages back: yes$
// CASE: oom | --mem 16M -- oom | 0 | ^oom: NULL after [0-9]+ MiB, then small blocks still work$
// CASE: pages | --mem 16M -- pages | 0 | ^pages: aligned, exact fit, NULL beyond, freed in parts$
#include <toro/console.h>
#include <toro/memory.h>
#include <toro/thread.h>

#include "native_test.h"

static uint64_t rng = 88172645463325252ull;
static uint64_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* The first call also makes this core's heap (one page that stays), and the sleeps its idle
 * thread (made the first time the core has nothing to run): both before measuring. A sleep
 * whose time has passed before the thread blocks (a slow emulator, a busy host) never idles,
 * so there are two, long enough that both passing unslept is unlikely. */
static uint64_t free_pages(void)
{
	toro_free(toro_malloc(1));
	toro_sleep_ms(10);
	toro_sleep_ms(10);
	toro_memory_collect();
	struct toro_memory_stats s;
	toro_memory_stats(toro_core_id(), &s);
	return s.free_pages;
}

#define SLOTS 512
static unsigned char *slot[SLOTS];
static size_t slot_size[SLOTS];

static int check(unsigned i)
{
	for (size_t k = 0; k < slot_size[i]; k++)
		if (slot[i][k] != (unsigned char)(i + k))
			return 0;
	return 1;
}

static int test_stress(void)
{
	uint64_t before = free_pages();
	const unsigned ops = 1000000;
	for (unsigned n = 0; n < ops; n++) {
		unsigned i = (unsigned)(next_random() % SLOTS);
		if (slot[i]) {
			if (!check(i))
				return 1;
			toro_free(slot[i]);
			slot[i] = 0;
			continue;
		}
		size_t size = next_random() % 4 == 0 ? next_random() % 20000 : next_random() % 300;
		slot[i] = toro_malloc(size);
		if (!slot[i])
			return 2;
		slot_size[i] = size;
		for (size_t k = 0; k < size; k++)
			slot[i][k] = (unsigned char)(i + k);
	}
	for (unsigned i = 0; i < SLOTS; i++) {
		if (slot[i] && !check(i))
			return 3;
		toro_free(slot[i]);
		slot[i] = 0;
	}
	toro_printf("stress: %u operations ok\n", ops);
	toro_memory_collect();
	toro_printf("pages back: %s\n", free_pages() == before ? "yes" : "no");
	return 0;
}

#define REMOTE_BLOCKS 20000
static unsigned long *blocks[REMOTE_BLOCKS];

static void *free_them(void *arg)
{
	(void)arg;
	unsigned long sum = 0;
	for (unsigned i = 0; i < REMOTE_BLOCKS; i++) {
		sum += *blocks[i];
		toro_free(blocks[i]);
	}
	struct toro_memory_stats s;
	toro_memory_stats(toro_core_id(), &s);
	return (void *)(sum + (s.remote_frees_sent == REMOTE_BLOCKS ? 0 : 1));
}

static void *warm_heap(void *arg)
{
	(void)arg;
	free_pages();
	return 0;
}

static int test_remote(void)
{
	toro_thread_join(toro_thread_create(1, warm_heap, 0, 0));
	uint64_t before = free_pages();
	unsigned long want = 0;
	for (unsigned i = 0; i < REMOTE_BLOCKS; i++) {
		blocks[i] = toro_malloc(16 + (i % 7) * 16);
		if (!blocks[i])
			return 1;
		*blocks[i] = i * 3 + 1;
		want += i * 3 + 1;
	}
	toro_thread *t = toro_thread_create(1, free_them, 0, 0);
	if (!t)
		return 2;
	unsigned long got = (unsigned long)toro_thread_join(t);
	toro_printf("remote: %d blocks freed on core 1, checksum %s\n", REMOTE_BLOCKS,
		    got == want ? "ok" : "WRONG");
	toro_memory_collect();
	struct toro_memory_stats s;
	toro_memory_stats(0, &s);
	toro_printf("received on core 0: %lu\n", (unsigned long)s.remote_frees_received);
	toro_printf("pages back: %s\n", free_pages() == before ? "yes" : "no");
	return got == want ? 0 : 3;
}

static int test_oom(void)
{
	void *list = 0;
	unsigned long mib = 0;
	for (;;) {
		void **p = toro_malloc(1 << 20);
		if (!p)
			break;
		*p = list;
		list = p;
		mib++;
	}
	while (list) {
		void *next = *(void **)list;
		toro_free(list);
		list = next;
	}
	void *small = toro_malloc(100);
	toro_printf("oom: NULL after %lu MiB, then small blocks %s\n", mib,
		    small ? "still work" : "FAIL");
	toro_free(small);
	return small ? 0 : 1;
}

/* The longest free run comes back whole (one more page is refused), and freeing it in two parts
 * returns every page. */
static int test_pages(void)
{
	uint64_t before = free_pages();
	struct toro_memory_stats s;
	toro_memory_stats(toro_core_id(), &s);
	size_t run = s.largest_free_pages;
	if (toro_pages_alloc(run + 1))
		return 1;
	unsigned char *p = toro_pages_alloc(run);
	if (!p || (uintptr_t)p % TORO_PAGE_SIZE)
		return 2;
	p[0] = 1;
	p[run * TORO_PAGE_SIZE - 1] = 2;
	toro_memory_stats(toro_core_id(), &s);
	if (s.free_pages != before - run)
		return 3;
	toro_pages_free(p, 1);
	toro_pages_free(p + TORO_PAGE_SIZE, run - 1);
	if (free_pages() != before)
		return 4;
	toro_printf("pages: aligned, exact fit, NULL beyond, freed in parts\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 1;
	if (streq(argv[1], "stress"))
		return test_stress();
	if (streq(argv[1], "remote"))
		return test_remote();
	if (streq(argv[1], "oom"))
		return test_oom();
	if (streq(argv[1], "pages"))
		return test_pages();
	return 1;
}
