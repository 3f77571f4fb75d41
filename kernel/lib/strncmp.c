/* strncmp for the kernel and native applications (POSIX images use musl's). */
#include <kernel/string.h>

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n > 0; n--, a++, b++) {
		if (*a != *b || !*a)
			return (unsigned char)*a - (unsigned char)*b;
	}
	return 0;
}
