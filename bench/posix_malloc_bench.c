/* musl's malloc/free fast path in a POSIX image, between two marker functions that
 * bench/sched.sh counts guest instructions between (compare with toro_malloc). */
#include <stdlib.h>

#define ROUNDS 2000

__attribute__((noinline)) void bench_posix_malloc_begin(void)
{
	__asm__ volatile("");
}

__attribute__((noinline)) void bench_posix_malloc_end(void)
{
	__asm__ volatile("");
}

int main(void)
{
	free(malloc(64)); /* warm up: musl's first allocation maps its arena */
	bench_posix_malloc_begin();
	for (int i = 0; i < ROUNDS; i++) {
		void *volatile p = malloc(64);
		free(p);
	}
	bench_posix_malloc_end();
	return 0;
}
