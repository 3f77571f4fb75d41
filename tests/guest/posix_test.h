/* What the POSIX test images that print a line per check share (tests/guest/posix_epoll.c,
 * posix_socket.c): "NAME ok", or "NAME FAIL (got RC, errno E)", counted; and the closing line
 * "checks: N passed, N failed", whose failed count is the image's exit status. */
#ifndef TESTS_GUEST_POSIX_TEST_H
#define TESTS_GUEST_POSIX_TEST_H

#include <errno.h>
#include <stdio.h>

static int passed, failed;

static inline void check(const char *name, int ok, long rc)
{
	if (ok)
		printf("%s ok\n", name);
	else
		printf("%s FAIL (got %ld, errno %d)\n", name, rc, errno);
	ok ? passed++ : failed++;
}

/* rc is -1 with errno e. */
static inline void check_err(const char *name, long rc, int e)
{
	check(name, rc == -1 && errno == e, rc);
}

/* Prints the tally; returns the exit status, the number of failed checks. */
static inline int checks_done(void)
{
	printf("checks: %d passed, %d failed\n", passed, failed);
	return failed;
}

#endif
