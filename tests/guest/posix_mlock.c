/* Memory residency calls (the `compat` group): mlock, munlock, mlock2, mlockall, munlockall and
 * mincore succeed on the program's memory and answer Linux's errors for bad flags, a range that
 * is not mapped (the first page, far above RAM), an unaligned address or a bad vector. Passes on
 * Linux too (as root). */
// BUILD:
// CASE: lock | -- lock | 0 | ^lock: ok$
// CASE: mincore | -- mincore | 0 | ^mincore: ok$
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096

/* Three pages, touched. */
static unsigned char *pages(void)
{
	unsigned char *p =
	    mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	memset(p, 1, 3 * PAGE);
	return p;
}

/* Never mapped: the first page, and an address far above any RAM. */
static unsigned char *const nowhere[] = {(unsigned char *)16, (unsigned char *)(1ul << 46)};

static int failed(int r, int err)
{
	return r != -1 || errno != err;
}

static int test_lock(void)
{
	static char buffer[10000];
	unsigned char *p = pages();
	if (!p)
		return 1;
	if (mlock(buffer + 100, 5000) || munlock(buffer + 100, 5000) || mlock(p, 0))
		return 2;
	if (mlock2(p, 3 * PAGE, MLOCK_ONFAULT) || munlock(p, 3 * PAGE))
		return 3;
	if (failed(mlock2(p, PAGE, 0x10), EINVAL))
		return 4;
	for (int i = 0; i < 2; i++)
		if (failed(mlock(nowhere[i], 10), ENOMEM) ||
		    failed(munlock(nowhere[i], PAGE), ENOMEM))
			return 5;
	if (mlockall(MCL_CURRENT | MCL_FUTURE) || munlockall())
		return 6;
	if (failed(mlockall(0), EINVAL) || failed(mlockall(MCL_ONFAULT), EINVAL) ||
	    failed(mlockall(0x100), EINVAL))
		return 7;
	printf("lock: ok\n");
	return 0;
}

static int test_mincore(void)
{
	unsigned char *p = pages();
	unsigned char vec[3] = {0};
	if (!p)
		return 1;
	if (mincore(p, 3 * PAGE - 100, vec) || !(vec[0] & vec[1] & vec[2] & 1))
		return 2;
	if (failed(mincore(p + 1, PAGE, vec), EINVAL))
		return 3;
	if (failed(mincore(nowhere[0] - 16, PAGE, vec), ENOMEM) ||
	    failed(mincore(nowhere[1], PAGE, vec), ENOMEM))
		return 4;
	if (failed(mincore(p, PAGE, (unsigned char *)8), EFAULT))
		return 5;
	printf("mincore: ok\n");
	return 0;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	if (!strcmp(what, "lock"))
		return test_lock();
	if (!strcmp(what, "mincore"))
		return test_mincore();
	return 100;
}
