/* memset for the kernel and native applications (POSIX images use musl's). */
#include <kernel/string.h>

void *memset(void *dst, int c, size_t n)
{
	void *ret = dst;
	__asm__ volatile("rep stosb" : "+D"(dst), "+c"(n) : "a"(c) : "memory");
	return ret;
}
