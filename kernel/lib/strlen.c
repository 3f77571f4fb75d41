/* strlen for the kernel and native applications (POSIX images link this one too). Eight bytes a
 * step once aligned (an aligned load never crosses into the next page, so it reads nothing the
 * string's own page does not hold): the path walk measures every path and name it is given. */
#include <kernel/string.h>

#include <stdint.h>

typedef uint64_t __attribute__((may_alias)) word_alias;

#define ONES  0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

size_t strlen(const char *s)
{
	const char *p = s;
	for (; (uintptr_t)p % 8; p++)
		if (!*p)
			return (size_t)(p - s);
	const word_alias *w = (const word_alias *)p;
	while (!((*w - ONES) & ~*w & HIGHS)) /* no zero byte in *w */
		w++;
	for (p = (const char *)w; *p; p++)
		;
	return (size_t)(p - s);
}
