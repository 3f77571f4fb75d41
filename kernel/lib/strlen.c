/* strlen for the kernel and native applications (POSIX images use musl's). */
#include <kernel/string.h>

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}
