/* Application memory as the system-call layer sees it: the range checks every pointer gets, and
 * the copies through which every handler reads or writes the application's memory. The copies
 * run in arch code whose faults return -EFAULT (arch/x86_64/usercopy.S, trap.c), so a pointer
 * the checks let through and that still faults cannot bring the kernel down. */
#include "syscall.h"

#include <kernel/arch.h>
#include <kernel/mm.h>
#include <toro/abi/linux.h>

/* From the linker script (kernel/toro.ld). */
extern char __ehdr_start[], __readonly_end[];
extern char __bss_start[], __pagetables_end[], __noinit_start[], __noinit_end[];

static int overlaps(uint64_t p, uint64_t len, const char *start, const char *end)
{
	return p < (uintptr_t)end && p + len > (uintptr_t)start;
}

/* The first page is never mapped (NULL dereferences fault), so a pointer into it is refused like
 * any other address outside RAM. The boot page tables and the never-cleared kernel data (boot and
 * exception stacks, the IDT, per-core tables) share the image with the application but are never
 * the application's: a pointer into them is a bad pointer, not a request to read the kernel. */
/* Inline in both checks: a buffer a read fills passes one function, not two. */
static inline __attribute__((always_inline)) int range_ok(uint64_t p, uint64_t len, int writable)
{
	if (p < PAGE_SIZE || p + len < p || p + len > mm_ram_top)
		return 0;
	/* Writes are refused in the image's read-only segment (headers, code, constants), as
	 * Linux refuses them in a read-only mapping; nothing maps it read-only here, so the check
	 * is all that keeps a bad pointer from rewriting code. */
	if (writable && overlaps(p, len, __ehdr_start, __readonly_end))
		return 0;
	return !overlaps(p, len, __bss_start, __pagetables_end) &&
	       !overlaps(p, len, __noinit_start, __noinit_end);
}

int sys_range_ok(uint64_t p, uint64_t len)
{
	return range_ok(p, len, 0);
}

int sys_range_writable(uint64_t p, uint64_t len)
{
	return range_ok(p, len, 1);
}

int sys_range_probe(uint64_t p, uint64_t len)
{
	return len ? (int)arch_user_probe((const void *)(uintptr_t)p, len) : 0;
}

int copy_from_user(void *dst, uint64_t src, size_t len)
{
	if (len == 0)
		return 0;
	if (!sys_range_ok(src, len))
		return -LINUX_EFAULT;
	return (int)arch_user_copy(dst, (const void *)(uintptr_t)src, len);
}

int copy_to_user(uint64_t dst, const void *src, size_t len)
{
	if (len == 0)
		return 0;
	if (!sys_range_writable(dst, len))
		return -LINUX_EFAULT;
	return (int)arch_user_copy((void *)(uintptr_t)dst, src, len);
}

int clear_user(uint64_t dst, size_t len)
{
	if (len == 0)
		return 0;
	if (!sys_range_writable(dst, len))
		return -LINUX_EFAULT;
	return (int)arch_user_fill((void *)(uintptr_t)dst, 0, len);
}

int load_user_u32(uint64_t src, uint32_t *out)
{
	if ((src & 3) || !sys_range_ok(src, sizeof(uint32_t)))
		return -LINUX_EFAULT;
	return (int)arch_user_load32((const uint32_t *)(uintptr_t)src, out);
}
