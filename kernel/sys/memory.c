/* Memory system calls over the page allocator. All RAM is identity-mapped, so an anonymous
 * mapping is a run of free pages, cleared. Protections (PROT_NONE, read-only, read-write) are
 * enforced on the pages of recorded mappings, by mmap and mprotect (musl's thread stacks get
 * their guard pages this way); mprotect of other memory (the image, the heap) succeeds and
 * changes nothing, so the kernel's own memory stays writable. Execute permission is not
 * separate. The mappings handed out are recorded, and munmap frees only pages of recorded mappings: as on
 * Linux, unmapping what is not mapped does nothing, so a wild munmap cannot give away the
 * kernel's or another thread's memory. The break of a POSIX image never grows (as on Linux when
 * the range above the break is taken: musl falls back to mmap); that of an --exec program grows
 * within the range its loader reserved above it (kernel/app/exec.c). */
#include "syscall.h"

#include <kernel/arch.h>
#include <kernel/mm.h>
#include <kernel/sched.h>
#include <kernel/spinlock.h>
#include <kernel/string.h>
#include <toro/abi/linux.h>
#include <toro/memory.h>

extern char _end[];

/* A mapping [start, end), page aligned; the list is sorted by address and never overlaps. */
struct mapping {
	uint64_t start, end;
	struct mapping *next;
};

static struct mapping *mappings;
static struct spinlock mappings_lock;

static void mapping_add(struct mapping *m)
{
	spin_lock(&mappings_lock);
	struct mapping **link = &mappings;
	while (*link && (*link)->start < m->start)
		link = &(*link)->next;
	m->next = *link;
	*link = m;
	spin_unlock(&mappings_lock);
}

/* The part of [start, end) that the calling thread runs on (its own stack, which musl unmaps
 * just before a detached thread exits) is kept until its core has switched away from it. */
static void pages_release(uint64_t start, uint64_t end, uintptr_t sp)
{
	struct thread *t = thread_current();
	/* Free pages must be writable (the page allocator writes into them). */
	arch_protect(start, end - start, ARCH_PROT_RW);
	if (sp >= start && sp < end && !t->unmap_len) {
		t->unmap_addr = start;
		t->unmap_len = end - start;
		return;
	}
	mm_pages_free((void *)(uintptr_t)start, (end - start) / PAGE_SIZE);
}

/* Removes [start, end) from the recorded mappings and frees what was mapped in it. spare is a
 * node for splitting a mapping in two; returns it unused, or NULL if it was used. */
static struct mapping *mapping_remove(uint64_t start, uint64_t end, struct mapping *spare,
                                      uintptr_t sp)
{
	struct mapping *dead = NULL;
	spin_lock(&mappings_lock);
	for (struct mapping **link = &mappings; *link;) {
		struct mapping *m = *link;
		if (m->end <= start || m->start >= end) {
			link = &m->next;
			continue;
		}
		uint64_t from = m->start > start ? m->start : start;
		uint64_t to = m->end < end ? m->end : end;
		pages_release(from, to, sp);
		if (from == m->start && to == m->end) {
			*link = m->next;
			m->next = dead;
			dead = m;
			continue;
		}
		if (from == m->start) {
			m->start = to;
		} else if (to == m->end) {
			m->end = from;
		} else {
			/* The middle: the tail becomes a mapping of its own. */
			spare->start = to;
			spare->end = m->end;
			spare->next = m->next;
			m->end = from;
			m->next = spare;
			spare = NULL;
		}
		link = &m->next;
	}
	spin_unlock(&mappings_lock);
	while (dead) {
		struct mapping *next = dead->next;
		toro_free(dead);
		dead = next;
	}
	return spare;
}

static uint64_t pages_of(uint64_t len)
{
	return (len + PAGE_SIZE - 1) / PAGE_SIZE;
}

/* The break: [brk_start, brk_limit) reserved for it, brk_current where it is; brk_limit 0 when
 * there is no such range, and the break is the image's end. */
static uint64_t brk_start, brk_current, brk_limit;
static struct spinlock brk_lock;

void sys_brk_area_set(uint64_t start, uint64_t limit)
{
	brk_start = brk_current = start;
	brk_limit = limit;
}

long sys_brk(const struct syscall_args *a)
{
	if (!brk_limit)
		return (long)(((uintptr_t)_end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1));
	uint64_t want = a->arg[0];
	spin_lock(&brk_lock);
	if (want >= brk_start && want <= brk_limit) {
		/* Pages the break reaches again read as zeros, as Linux's fresh pages do. */
		uint64_t from = (brk_current + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
		uint64_t to = (want + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
		if (to > from)
			memset((void *)(uintptr_t)from, 0, to - from);
		brk_current = want;
	}
	uint64_t now = brk_current;
	spin_unlock(&brk_lock);
	return (long)now;
}

/* mmap of a file: the file calls' (kernel/sys/fs.c), referred to weakly, so that an image that
 * opens no file links none of kernel/fs; there a file mapping fails with -ENODEV, as one of a
 * file that cannot be mapped does. */
__attribute__((weak)) long sys_mmap_file(const struct syscall_args *a);

/* PROT_* to what the page tables can say: no access, read, or read and write. */
static unsigned prot_of(uint64_t prot)
{
	if (prot & LINUX_PROT_WRITE)
		return ARCH_PROT_RW;
	return prot & (LINUX_PROT_READ | LINUX_PROT_EXEC) ? ARCH_PROT_READ : ARCH_PROT_NONE;
}

long sys_mmap(const struct syscall_args *a)
{
	uint64_t len = a->arg[1], prot = a->arg[2], flags = a->arg[3];
	if (len == 0 || len > mm_ram_top)
		return len ? -LINUX_ENOMEM : -LINUX_EINVAL;
	if (!(flags & LINUX_MAP_ANONYMOUS))
		return sys_mmap_file ? sys_mmap_file(a) : -LINUX_ENODEV;
	if (flags & LINUX_MAP_FIXED)
		return -LINUX_EINVAL; /* one identity-mapped address space: nothing can be moved */
	uint64_t pages = pages_of(len);
	struct mapping *m = toro_malloc(sizeof(*m));
	void *p = m ? mm_pages_alloc(pages) : NULL;
	if (!p) {
		toro_free(m);
		return -LINUX_ENOMEM;
	}
	memset(p, 0, pages * PAGE_SIZE);
	m->start = (uintptr_t)p;
	m->end = m->start + pages * PAGE_SIZE;
	if (prot_of(prot) != ARCH_PROT_RW && arch_protect(m->start, m->end - m->start, prot_of(prot))) {
		arch_protect(m->start, m->end - m->start, ARCH_PROT_RW);
		mm_pages_free(p, pages);
		toro_free(m);
		return -LINUX_ENOMEM;
	}
	mapping_add(m);
	return (long)(uintptr_t)p;
}

long sys_munmap(const struct syscall_args *a)
{
	uint64_t addr = a->arg[0], len = a->arg[1];
	if ((addr & (PAGE_SIZE - 1)) || len == 0 || addr + len < addr)
		return -LINUX_EINVAL;
	struct mapping *spare = toro_malloc(sizeof(*spare));
	if (!spare)
		return -LINUX_ENOMEM;
	/* The system call runs on the caller's stack: the frame a points into it. */
	spare = mapping_remove(addr, addr + pages_of(len) * PAGE_SIZE, spare, (uintptr_t)a);
	toro_free(spare);
	return 0;
}

long sys_mprotect(const struct syscall_args *a)
{
	uint64_t addr = a->arg[0], len = a->arg[1], prot = a->arg[2];
	if ((addr & (PAGE_SIZE - 1)) || addr + len < addr)
		return -LINUX_EINVAL;
	if (prot & ~(uint64_t)(LINUX_PROT_READ | LINUX_PROT_WRITE | LINUX_PROT_EXEC))
		return -LINUX_EINVAL;
	uint64_t end = addr + pages_of(len) * PAGE_SIZE;
	/* Only the parts of [addr, end) that recorded mappings cover change. */
	int err = 0;
	spin_lock(&mappings_lock);
	for (struct mapping *m = mappings; m && m->start < end && !err; m = m->next) {
		uint64_t from = m->start > addr ? m->start : addr;
		uint64_t to = m->end < end ? m->end : end;
		if (from < to)
			err = arch_protect(from, to - from, prot_of(prot));
	}
	spin_unlock(&mappings_lock);
	return err;
}

long sys_madvise(const struct syscall_args *a)
{
	(void)a;
	return 0;
}
