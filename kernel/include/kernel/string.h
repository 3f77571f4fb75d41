/* The C string functions the kernel uses. Each is in its own file under kernel/lib so that a POSIX
 * image links exactly one definition of each: musl's where musl provides it. */
#ifndef KERNEL_STRING_H
#define KERNEL_STRING_H

#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

/* Clears n bytes at dst eight at a time, inline: for structures cleared on a fast path (a signal's
 * frame). memset stays a byte-wise `rep stosb`, the smallest code for native images, but that is
 * one instruction a byte to QEMU's TCG and its instruction count. */
static inline void memzero(void *dst, size_t n)
{
	size_t words = n / 8, tail = n % 8;
	__asm__ volatile("rep stosq" : "+D"(dst), "+c"(words) : "a"(0ull) : "memory");
	if (tail)
		__asm__ volatile("rep stosb" : "+D"(dst), "+c"(tail) : "a"(0ull) : "memory");
}

#endif
