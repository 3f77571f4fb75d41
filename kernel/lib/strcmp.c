/* strcmp for the kernel and native applications (POSIX images use musl's). */
#include <kernel/string.h>

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}
