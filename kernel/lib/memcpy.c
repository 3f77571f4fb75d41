/* memcpy for the kernel and native applications (POSIX images use musl's). */
#include <kernel/string.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	void *ret = dst;
	__asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
	return ret;
}
