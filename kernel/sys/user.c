/* Checks on memory the application hands the kernel, shared by every system call that takes a
 * pointer. Kept out of the dispatcher so that the handlers depend on it and not on the table
 * that depends on them. */
#include "syscall.h"

#include <kernel/mm.h>

int sys_range_ok(uint64_t p, uint64_t len)
{
	return p != 0 && p + len >= p && p + len <= mm_ram_top;
}
