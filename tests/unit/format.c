/* The kernel's printf formatting (kernel/lib/format.c), compared with the C library's printf for
 * every conversion it supports, and snprintf truncation. */
// SOURCES: kernel/lib/format.c
#include <kernel/format.h>

#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include "check.h"

#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat-security"

/* Formats with both implementations and checks they agree, including the returned length. */
#define SAME(...)                                                                               \
	do {                                                                                    \
		char ours[256], libc[256];                                                      \
		size_t n = format_snprintf(ours, sizeof(ours), __VA_ARGS__);                    \
		int m = snprintf(libc, sizeof(libc), __VA_ARGS__);                              \
		CHECK_STR(ours, libc);                                                          \
		CHECK(n == (size_t)m);                                                          \
	} while (0)

int main(void)
{
	SAME("plain text");
	SAME("%d %d %d %d", 0, 1, -1, INT_MAX);
	SAME("%d", INT_MIN);
	SAME("%ld %ld", LONG_MAX, LONG_MIN);
	SAME("%lld %llu", LLONG_MIN, ULLONG_MAX);
	SAME("%u %x %X %o", 4000000000u, 0xdeadbeefu, 0xdeadbeefu, 0777u);
	SAME("%hhd %hhu %hd %hu", 300, 300, 70000, 70000);
	SAME("%zu %zd %td %jd", (size_t)123, (ssize_t)-5, (ptrdiff_t)-7, (intmax_t)99);
	SAME("[%5d] [%-5d] [%05d] [%+d] [% d] [%+d]", 42, 42, 42, 42, 42, -42);
	SAME("[%.3d] [%8.3d] [%-8.3d]", 7, 7, 7);
	SAME("[%.0d] [%.0x] [%#.0x]", 0, 0, 0);
	SAME("[%#x] [%#X] [%#o] [%#x] [%#o]", 255, 255, 8, 0, 0);
	SAME("[%#018lx]", 0x1234ul);
	SAME("[%*d] [%-*d] [%.*d] [%*d]", 6, 1, 6, 1, 4, 1, -6, 1);
	SAME("[%s] [%10s] [%-10s] [%.2s] [%.*s]", "abc", "abc", "abc", "abc", 1, "abc");
	SAME("[%c] [%3c] [%-3c]", 'x', 'y', 'z');
	SAME("100%% sure");
	SAME("%p", (void *)0x1000);
	SAME("%s=%d, %s=%#lx", "a", 1, "b", 0xfful);

	/* %s of NULL prints "(null)" rather than faulting. */
	char buf[32];
	const char *volatile null_string = NULL;
	format_snprintf(buf, sizeof(buf), "%s", null_string);
	CHECK_STR(buf, "(null)");

	/* Truncation: at most size-1 characters and a NUL; the full length is returned. */
	char small[8];
	size_t n = format_snprintf(small, sizeof(small), "%s", "0123456789");
	CHECK_STR(small, "0123456");
	CHECK(n == 10);
	CHECK(format_snprintf(small, 0, "abc") == 3);
	char one[1] = {'x'};
	format_snprintf(one, 1, "abc");
	CHECK(one[0] == '\0');

	/* An unknown conversion is shown as written, not skipped. */
	const char *volatile unknown = "a%yb";
	format_snprintf(buf, sizeof(buf), unknown);
	CHECK_STR(buf, "a%yb");
	return check_summary("format");
}
