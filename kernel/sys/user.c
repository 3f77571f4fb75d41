/* Checks on memory the application hands the kernel, shared by every system call that takes a
 * pointer. Kept out of the dispatcher so that the handlers depend on it and not on the table
 * that depends on them. */
#include "syscall.h"

#include <kernel/mm.h>

/* The first page is never mapped (NULL dereferences fault), so a pointer into it is refused
 * like any other address outside RAM rather than faulting in the kernel. */
int sys_range_ok(uint64_t p, uint64_t len)
{
	return p >= PAGE_SIZE && p + len >= p && p + len <= mm_ram_top;
}
