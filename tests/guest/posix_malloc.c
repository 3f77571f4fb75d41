/* malloc through musl onto the kernel's mmap: a 100 MiB block works in a 256 MiB guest (all of
 * it writable, and freed back) and fails cleanly with NULL in a 32 MiB guest. */
// BUILD:
// CASE: big-fits | --mem 256M | 0 | ^malloc 100 MiB: ok, filled and checked$ && ^again after free: ok$
// CASE: big-fails | --mem 32M | 0 | ^malloc 100 MiB: NULL \(Out of memory\)$ && ^small still works$
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BIG (100u << 20)

int main(void)
{
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
