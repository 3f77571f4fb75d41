/* Faults in a POSIX program: the same report as native code, through musl's frames, and the exit
 * status a Linux shell shows for the signal the fault becomes (128 + SIGFPE, 128 + SIGSEGV). */
// BUILD:
// CASE: divide | -- divide | 136 | divide error \(#DE\) && <divide_by\+0x && main\+0x
// CASE: page-fault | -- pagefault | 139 | page fault \(#PF\) && fault address 0x8000000000: write to an unmapped page && <write_unmapped\+0x
// CASE: null | -- null | 139 | page fault \(#PF\) && fault address 0: write to an unmapped page && <write_null\+0x
#include <stdio.h>
#include <string.h>

__attribute__((noinline, noclone)) static int divide_by(volatile int d)
{
	return 100 / d;
}

__attribute__((noinline, noclone)) static void write_unmapped(void)
{
	*(volatile long *)0x8000000000ul = 1;
}

__attribute__((noinline, noclone)) static void write_null(volatile int *p)
{
	*p = 42;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 1;
	printf("about to fault: %s\n", argv[1]);
	fflush(stdout);
	if (strcmp(argv[1], "divide") == 0)
		return divide_by(0) + 1; /* not a tail call: main stays on the stack */
	if (strcmp(argv[1], "null") == 0)
		write_null(NULL);
	if (strcmp(argv[1], "pagefault") == 0)
		write_unmapped();
	return 2;
}
