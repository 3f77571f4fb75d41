/* memset for the kernel and native applications (POSIX images link this one too). Eight bytes
 * a step, then the tail, as memcpy.c: `rep stosb` is one instruction per byte to QEMU's TCG and
 * its instruction-count plugin, and a signal frame alone is cleared with ~450 of them. */
#include <kernel/string.h>

#include <stdint.h>

void *memset(void *dst, int c, size_t n)
{
	void *ret = dst;
	uint64_t pattern = (uint8_t)c * 0x0101010101010101ull;
	size_t words = n / 8, tail = n % 8;
	__asm__ volatile("rep stosq" : "+D"(dst), "+c"(words) : "a"(pattern) : "memory");
	__asm__ volatile("rep stosb" : "+D"(dst), "+c"(tail) : "a"(pattern) : "memory");
	return ret;
}
