/* The POSIX program tests/e2e/gdb.sh debugs for x87 and SSE registers (built with -g, which
 * links the gdb stub; without toro.gdb=com2 it runs as the cases below). A thread, on the last
 * core, holds fp_seed * 4 in xmm7 across a read that blocks; main then calls fp_scale (a
 * double in xmm0) and fp_extended (a long double, returned in st0), and wakes the thread, which
 * prints what xmm7 holds then: gdb reads and writes these registers of both threads while they
 * are stopped or blocked. */
// BUILD: -g
// CASE: fp-1 | --cpus 1 | 0 | ^scaled 3.75$ && ^extended 7.5$ && ^held 5$
// CASE: fp-2 | --cpus 2 | 0 | ^scaled 3.75$ && ^extended 7.5$ && ^held 5$
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

volatile double fp_seed = 1.25;
volatile long double fp_long = 2.5L;
static volatile int held_ready;
static int wake[2];

__attribute__((noinline, noipa)) double fp_scale(double x)
{
	return x * 3.0;
}

__attribute__((noinline, noipa)) long double fp_extended(long double x)
{
	return x * 3.0L;
}

/* v stays in xmm7 across the read: the raw system call touches no vector register, and the
 * kernel switches the thread's FP state out and back in around the block. */
static double hold_in_xmm7(double v, int fd)
{
	double out;
	char byte;
	long nr = SYS_read;
	__asm__ volatile("movsd %[v], %%xmm7\n\t"
	                 "movl $1, %[ready]\n\t"
	                 "syscall\n\t"
	                 "movsd %%xmm7, %[out]"
	                 : [out] "=m"(out), [ready] "=m"(held_ready), "+a"(nr)
	                 : [v] "m"(v), "D"((long)fd), "S"(&byte), "d"(1L)
	                 : "rcx", "r11", "xmm7", "memory");
	return out;
}

static void *holder(void *arg)
{
	(void)arg;
	printf("held %g\n", hold_in_xmm7(fp_seed * 4, wake[0]));
	return NULL;
}

int main(void)
{
	pthread_t t;
	if (pipe(wake) || pthread_create(&t, NULL, holder, NULL))
		return 1;
	while (!held_ready)
		sched_yield();
	printf("scaled %g\n", fp_scale(fp_seed));
	printf("extended %Lg\n", fp_extended(fp_long));
	if (write(wake[1], "x", 1) != 1 || pthread_join(t, NULL))
		return 1;
	return 0;
}
