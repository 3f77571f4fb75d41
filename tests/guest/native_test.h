/* Small helpers for native test images, which have no libc: string compare and number parse
 * for their arguments. Included by tests/guest/native_*.c. */
#ifndef TESTS_GUEST_NATIVE_TEST_H
#define TESTS_GUEST_NATIVE_TEST_H

static inline int streq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

/* Decimal digits at the start of s; 0 if there are none. */
static inline int to_int(const char *s)
{
	int v = 0;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	return v;
}

#endif
