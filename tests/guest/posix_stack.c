/* Stack guards and memory protections in a POSIX image: a main-thread or pthread stack overflow
 * ends with SIGSEGV (139) and a fault report, never a silent run into other memory; a SIGSEGV
 * handler on an alternate stack catches an overflow; mprotect and mmap's protections are
 * enforced on mapped pages, and a system call handed a protected buffer gets EFAULT. */
// BUILD:
// CASE: main-overflow | -- main-overflow | 139 | CPU exception: page fault && guard page below the stack
// CASE: thread-overflow | -- thread-overflow | 139 | CPU exception: page fault
// CASE: altstack | -- altstack | 0 | ^altstack: caught the overflow at depth [0-9]+$
// CASE: mprotect | -- mprotect | 0 | ^mprotect: read-only write caught, none read caught, rw again ok$
// CASE: efault | -- efault | 0 | ^efault: write EFAULT, read EFAULT, ok after mprotect$
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf jump;
static volatile int depth;
static volatile uintptr_t fault_addr;

/* 1 KiB frames that the compiler cannot fold: each level writes its buffer and uses it after
 * the call. */
static int recurse(int n)
{
	volatile char buf[1024];
	buf[0] = (char)n;
	buf[sizeof(buf) - 1] = (char)n;
	depth = n;
	if (n > 100000000)
		return buf[0];
	return recurse(n + 1) + buf[sizeof(buf) - 1];
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	fault_addr = (uintptr_t)si->si_addr;
	siglongjmp(jump, 1);
}

static void catch_segv(int onstack)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO | (onstack ? SA_ONSTACK : 0);
	sigaction(SIGSEGV, &sa, NULL);
}

static void *overflow_thread(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)recurse(0);
}

static int thread_overflow(void)
{
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 128 << 10);
	pthread_t t;
	if (pthread_create(&t, &attr, overflow_thread, NULL))
		return 1;
	pthread_join(t, NULL);
	printf("thread-overflow: the thread returned\n");
	return 1;
}

static int altstack(void)
{
	static char alt[64 << 10];
	stack_t ss = {.ss_sp = alt, .ss_size = sizeof(alt), .ss_flags = 0};
	if (sigaltstack(&ss, NULL))
		return 1;
	catch_segv(1);
	if (sigsetjmp(jump, 1) == 0) {
		recurse(0);
		printf("altstack: no fault\n");
		return 1;
	}
	printf("altstack: caught the overflow at depth %d\n", depth);
	return 0;
}

static int mprotect_case(void)
{
	long page = sysconf(_SC_PAGESIZE);
	volatile char *p = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE,
	                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	p[0] = 1;
	catch_segv(0);
	int caught = 0;
	if (mprotect((void *)p, (size_t)page, PROT_READ))
		return 1;
	if (sigsetjmp(jump, 1) == 0)
		p[0] = 2;
	else if (fault_addr == (uintptr_t)p && p[0] == 1)
		caught++;
	if (mprotect((void *)p, (size_t)page, PROT_NONE))
		return 1;
	if (sigsetjmp(jump, 1) == 0)
		(void)p[0];
	else if (fault_addr == (uintptr_t)p)
		caught++;
	p[page] = 3; /* the second page kept its protection */
	if (mprotect((void *)p, (size_t)page, PROT_READ | PROT_WRITE))
		return 1;
	p[0] = 4;
	if (caught != 2 || p[0] != 4 || p[page] != 3) {
		printf("mprotect: caught %d\n", caught);
		return 1;
	}
	/* A mapping made without access faults too, and munmap gives it back whole. */
	volatile char *q = mmap(NULL, (size_t)page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q == MAP_FAILED)
		return 1;
	if (sigsetjmp(jump, 1) == 0) {
		(void)q[0];
		return 1;
	}
	munmap((void *)q, (size_t)page);
	munmap((void *)p, (size_t)page * 2);
	printf("mprotect: read-only write caught, none read caught, rw again ok\n");
	return 0;
}

static int efault(void)
{
	long page = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	               -1, 0);
	if (p == MAP_FAILED)
		return 1;
	memcpy(p, "hello\n", 6);
	int fds[2];
	if (pipe(fds))
		return 1;
	if (mprotect(p, (size_t)page, PROT_NONE))
		return 1;
	errno = 0;
	int w = (int)write(fds[1], p, 6) == -1 && errno == EFAULT;
	if (mprotect(p, (size_t)page, PROT_READ))
		return 1;
	if (write(fds[1], p, 6) != 6)
		return 1;
	errno = 0;
	int r = (int)read(fds[0], p, 6) == -1 && errno == EFAULT;
	if (mprotect(p, (size_t)page, PROT_READ | PROT_WRITE) || read(fds[0], p, 6) != 6 ||
	    memcmp(p, "hello\n", 6) != 0)
		return 1;
	printf("efault: write %s, read %s, ok after mprotect\n", w ? "EFAULT" : "worked",
	       r ? "EFAULT" : "worked");
	return !(w && r);
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	if (!strcmp(what, "main-overflow")) {
		recurse(0);
		printf("main-overflow: returned\n");
		return 1;
	}
	if (!strcmp(what, "thread-overflow"))
		return thread_overflow();
	if (!strcmp(what, "altstack"))
		return altstack();
	if (!strcmp(what, "mprotect"))
		return mprotect_case();
	if (!strcmp(what, "efault"))
		return efault();
	fprintf(stderr, "unknown case '%s'\n", what);
	return 2;
}
