/* Memory system calls over the page allocator. All RAM is identity-mapped read-write, so an
 * anonymous mapping is a run of free pages, cleared; protections are accepted and not enforced.
 * brk never grows (as on Linux when the range above the break is taken): musl's malloc then
 * uses mmap. */
#include "syscall.h"

#include <kernel/mm.h>
#include <kernel/sched.h>
#include <kernel/string.h>
#include <toro/abi/linux.h>

extern char _end[];

static uint64_t pages_of(uint64_t len)
{
	return (len + PAGE_SIZE - 1) / PAGE_SIZE;
}

long sys_brk(const struct syscall_args *a)
{
	(void)a;
	return (long)(((uintptr_t)_end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1));
}

long sys_mmap(const struct syscall_args *a)
{
	uint64_t len = a->arg[1], flags = a->arg[3];
	if (len == 0 || len > mm_ram_top)
		return len ? -LINUX_ENOMEM : -LINUX_EINVAL;
	if (!(flags & LINUX_MAP_ANONYMOUS))
		return -LINUX_ENODEV;
	if (flags & LINUX_MAP_FIXED)
		return -LINUX_EINVAL; /* one identity-mapped address space: nothing can be moved */
	uint64_t pages = pages_of(len);
	void *p = mm_pages_alloc(pages);
	if (!p)
		return -LINUX_ENOMEM;
	memset(p, 0, pages * PAGE_SIZE);
	return (long)(uintptr_t)p;
}

long sys_munmap(const struct syscall_args *a)
{
	uint64_t addr = a->arg[0], len = a->arg[1];
	if ((addr & (PAGE_SIZE - 1)) || len == 0)
		return -LINUX_EINVAL;
	if (addr < (uintptr_t)_end || !sys_range_ok(addr, len))
		return -LINUX_EINVAL;
	/* The system call itself runs on the caller's stack (the frame a points to). A thread
	 * unmapping its own stack (musl's detached threads do, right before exit) keeps it until
	 * its core has switched away from it for good. */
	uintptr_t sp = (uintptr_t)a;
	struct thread *t = thread_current();
	if (sp >= addr && sp - addr < len && !t->unmap_len) {
		t->unmap_addr = addr;
		t->unmap_len = len;
		return 0;
	}
	mm_pages_free((void *)(uintptr_t)addr, pages_of(len));
	return 0;
}

long sys_mprotect(const struct syscall_args *a)
{
	if (a->arg[0] & (PAGE_SIZE - 1))
		return -LINUX_EINVAL;
	return 0;
}

long sys_madvise(const struct syscall_args *a)
{
	(void)a;
	return 0;
}
