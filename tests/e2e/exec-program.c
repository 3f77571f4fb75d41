/* A static Linux program for tests/e2e/exec.sh, built by the system's compilers (musl-gcc and
 * gcc, see the Makefile), never by toro, and run with `toro run --exec`: it prints its C library,
 * its arguments, one environment variable, the file named by its first argument, what a second
 * thread and thread-local storage computed, what the auxiliary vector says, whether the heap and
 * the break work; then exits with
 * the status given as "exit=N". */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

static __thread int tls_value = 1;

static void *worker(void *arg)
{
	tls_value = 2;
	return (void *)((intptr_t)arg * 2 + tls_value);
}

/* A large allocation (brk or mmap, as the C library chooses), written and summed back. */
static int heap_ok(size_t bytes)
{
	unsigned char *p = malloc(bytes);
	if (!p)
		return 0;
	memset(p, 3, bytes);
	size_t sum = 0;
	for (size_t i = 0; i < bytes; i += 4096)
		sum += p[i];
	free(p);
	return sum == 3 * (bytes / 4096);
}

/* The break, moved by the system call itself (musl's sbrk refuses to move it): it grows by
 * 64 KiB of zeros that can be written, and shrinks back. */
static int brk_grows(void)
{
	long start = syscall(SYS_brk, 0), len = 64 << 10;
	if (syscall(SYS_brk, start + len) != start + len)
		return 0;
	unsigned char *p = (unsigned char *)start;
	int zeros = p[0] == 0 && p[len - 1] == 0;
	memset(p, 7, (size_t)len);
	return zeros && syscall(SYS_brk, start) == start;
}

int main(int argc, char **argv)
{
#ifdef __GLIBC__
	puts("libc=glibc");
#else
	puts("libc=musl");
#endif
	printf("argc=%d\n", argc);
	for (int i = 0; i < argc; i++)
		printf("argv[%d]=%s\n", i, argv[i]);
	const char *env = getenv("EXEC_TEST");
	printf("env EXEC_TEST=%s\n", env ? env : "(unset)");
	int status = 0;
	for (int i = 1; i < argc; i++)
		if (strncmp(argv[i], "exit=", 5) == 0)
			status = atoi(argv[i] + 5);
	if (argc > 1 && argv[1][0] == '/') {
		FILE *f = fopen(argv[1], "r");
		if (!f) {
			perror(argv[1]);
			return 3;
		}
		char line[256];
		while (fgets(line, sizeof(line), f))
			printf("file: %s", line);
		fclose(f);
	}
	pthread_t t;
	void *result;
	if (pthread_create(&t, NULL, worker, (void *)20) || pthread_join(t, &result))
		return 4;
	printf("thread: %ld tls %d\n", (long)(intptr_t)result, tls_value);
	const char *execfn = (const char *)getauxval(AT_EXECFN);
	printf("auxv: pagesz %lu execfn %s random %s\n", getauxval(AT_PAGESZ),
	       execfn ? execfn : "(none)", getauxval(AT_RANDOM) ? "yes" : "no");
	printf("heap: %s\n", heap_ok(8 << 20) && heap_ok(100 << 10) ? "ok" : "bad");
	printf("brk: %s\n", brk_grows() ? "grows" : "fixed");
	fflush(stdout);
	return status;
}
