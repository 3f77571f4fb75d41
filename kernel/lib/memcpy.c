/* memcpy for the kernel and native applications (POSIX images use musl's). Eight bytes a step,
 * then the tail: `rep movsb` is one instruction per byte to QEMU's TCG and to its
 * instruction-count plugin, and the vsock data path copies every packet through here. */
#include <kernel/string.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	void *ret = dst;
	size_t words = n / 8, tail = n % 8;
	__asm__ volatile("rep movsq" : "+D"(dst), "+S"(src), "+c"(words) : : "memory");
	__asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(tail) : : "memory");
	return ret;
}
