/* Native faults: each must print the report (exception, registers, a backtrace naming the
 * function) and end the VM with 128 + vector. */
// BUILD: --native --no-fpu
// CASE: divide | -- divide | 128 | divide error \(#DE\) && <divide_by\+0x && RAX [0-9a-f]{16} && #1 .* main\+0x
// CASE: page-fault | -- pagefault | 142 | page fault \(#PF\) && CR2 0x8000000000 && fault address 0x8000000000: read from an unmapped page && <read_unmapped\+0x
// CASE: null-read | -- null | 142 | page fault \(#PF\) && fault address 0x8: read from an unmapped page && <read_null\+0x
// CASE: null-write-high | -- nullwrite | 142 | fault address 0xff8: write to an unmapped page
// CASE: invalid-opcode | -- ud2 | 134 | invalid opcode \(#UD\) && <invalid_instruction\+0x
#include <toro/console.h>

#include "native_test.h"

/* noinline and volatile keep the faulting instruction in the named function. */
__attribute__((noinline, noclone)) static int divide_by(volatile int d)
{
	return 100 / d;
}

__attribute__((noinline, noclone)) static long read_unmapped(void)
{
	/* The identity map ends at 512 GiB: this address has no page table at all. */
	volatile long *p = (volatile long *)0x8000000000ul;
	return *p;
}

/* Page 0 is unmapped: a NULL pointer (plus a small offset) faults instead of reading low memory. */
__attribute__((noinline, noclone)) static long read_null(volatile long *p)
{
	return p[1];
}

__attribute__((noinline, noclone)) static void write_null(volatile long *p)
{
	p[511] = 1; /* the last word of page 0 */
}

__attribute__((noinline, noclone)) static void invalid_instruction(void)
{
	__asm__ volatile("ud2");
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 1;
	toro_printf("about to fault: %s\n", argv[1]);
	if (streq(argv[1], "divide"))
		return divide_by(0) + 1; /* not a tail call: main stays on the stack */
	if (streq(argv[1], "pagefault"))
		return (int)read_unmapped() + 1;
	if (streq(argv[1], "null"))
		return (int)read_null((volatile long *)0) + 1;
	if (streq(argv[1], "nullwrite")) {
		write_null((volatile long *)0);
		return 3;
	}
	if (streq(argv[1], "ud2"))
		invalid_instruction();
	return 2;
}
