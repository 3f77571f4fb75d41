/* malloc through musl onto the kernel's mmap: a 100 MiB block works in a 256 MiB guest (all of
 * it writable, and freed back) and fails cleanly with NULL in a 32 MiB guest. */
// BUILD:
// CASE: big-fits | --mem 256M | 0 | ^malloc 100 MiB: ok, filled and checked$ && ^again after free: ok$
// CASE: big-fails | --mem 32M | 0 | ^malloc 100 MiB: NULL \(Out of memory\)$ && ^small still works$
// CASE: api | -- api | 0 | ^aligned: ok$ && ^realloc: ok$ && ^usable: ok$ && ^calloc: ok$ && ^cross-thread free: ok$
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdint.h>

#define BIG (100u << 20)

static void *free_all(void *arg)
{
	void **blocks = arg;
	for (int i = 0; i < 1000; i++)
		free(blocks[i]);
	return NULL;
}

/* The allocator entry points musl programs use, on the kernel's per-core heaps. */
static int test_api(void)
{
	int ok = 1;
	for (size_t align = 16; align <= 32768; align *= 2) {
		void *p = aligned_alloc(align, 100);
		void *q = NULL;
		ok &= p && ((uintptr_t)p % align) == 0 && posix_memalign(&q, align, 5000) == 0 &&
		      ((uintptr_t)q % align) == 0 && malloc_usable_size(p) >= 100;
		memset(p, 1, 100);
		memset(q, 2, 5000);
		char *r = realloc(p, 300); /* an aligned block moved to an ordinary one */
		ok &= r && r[99] == 1;
		free(r);
		free(q);
	}
	void *bad = NULL;
	ok &= posix_memalign(&bad, 24, 10) == EINVAL && aligned_alloc(65536, 10) == NULL;
	printf("aligned: %s\n", ok ? "ok" : "WRONG");

	char *g = malloc(10);
	strcpy(g, "123456789");
	for (size_t n = 10; n < 200000; n = n * 3 + 1) {
		g = realloc(g, n);
		if (!g || strcmp(g, "123456789") != 0)
			return 1;
	}
	g = realloc(g, 5);
	printf("realloc: %s\n", g && memcmp(g, "12345", 5) == 0 ? "ok" : "WRONG");
	free(g);

	int usable = 1;
	for (size_t n = 0; n < 20000; n += 37) {
		void *p = malloc(n);
		usable &= p && malloc_usable_size(p) >= n;
		free(p);
	}
	printf("usable: %s\n", usable ? "ok" : "WRONG");

	unsigned char *c = calloc(1000, 17);
	int zero = c != NULL;
	for (int i = 0; c && i < 17000; i++)
		zero &= c[i] == 0;
	free(c);
	volatile size_t huge = (size_t)-1 / 2; /* n * size overflows */
	zero &= calloc(huge, 4) == NULL && errno == ENOMEM;
	printf("calloc: %s\n", zero ? "ok" : "WRONG");

	void *blocks[1000];
	for (int i = 0; i < 1000; i++)
		blocks[i] = malloc(24 + i % 200);
	pthread_t t;
	pthread_create(&t, NULL, free_all, blocks);
	pthread_join(t, NULL);
	printf("cross-thread free: ok\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "api") == 0)
		return test_api();
	errno = 0;
	unsigned char *p = malloc(BIG);
	if (!p) {
		printf("malloc 100 MiB: NULL (%s)\n", strerror(errno));
		char *q = malloc(1000);
		if (!q)
			return 1;
		memset(q, 1, 1000);
		printf("small still works\n");
		free(q);
		return 0;
	}
	for (size_t i = 0; i < BIG; i += 4096)
		p[i] = (unsigned char)(i >> 12);
	for (size_t i = 0; i < BIG; i += 4096)
		if (p[i] != (unsigned char)(i >> 12))
			return 2;
	printf("malloc 100 MiB: ok, filled and checked\n");
	free(p);
	p = malloc(BIG);
	printf("again after free: %s\n", p ? "ok" : "NULL");
	free(p);
	return p ? 0 : 3;
}
