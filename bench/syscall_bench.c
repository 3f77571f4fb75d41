/* System-call and signal round trips in a POSIX image, between marker functions that
 * bench/syscalls.sh counts guest instructions between: ROUNDS getppid() calls, ROUNDS raise() of
 * a signal whose handler runs and returns through rt_sigreturn, and the same loop calling an
 * empty function instead, the baseline both are measured against. */
#include <signal.h>
#include <unistd.h>

#define ROUNDS 1000

#define MARKER(name)                                                                               \
	__attribute__((noinline)) void name(void)                                                  \
	{                                                                                          \
		__asm__ volatile("");                                                              \
	}
MARKER(bench_empty_begin)
MARKER(bench_empty_end)
MARKER(bench_getppid_begin)
MARKER(bench_getppid_end)
MARKER(bench_raise_begin)
MARKER(bench_raise_end)

static volatile int handled;

static void on_usr1(int sig)
{
	(void)sig;
	handled++;
}

__attribute__((noinline)) static void nothing(void)
{
	__asm__ volatile("");
}

int main(void)
{
	signal(SIGUSR1, on_usr1);
	getppid();
	raise(SIGUSR1); /* warm up: the first delivery maps nothing, but keep the loops alike */

	bench_empty_begin();
	for (int i = 0; i < ROUNDS; i++)
		nothing();
	bench_empty_end();

	bench_getppid_begin();
	for (int i = 0; i < ROUNDS; i++)
		getppid();
	bench_getppid_end();

	bench_raise_begin();
	for (int i = 0; i < ROUNDS; i++)
		raise(SIGUSR1);
	bench_raise_end();
	return handled == ROUNDS + 1 ? 0 : 1;
}
