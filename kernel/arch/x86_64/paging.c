/* Page protections inside the identity map: guard pages below stacks and the application's
 * mprotect. The boot map uses 1 GiB (or 2 MiB) pages; protecting a page splits the large pages
 * above it down to 4 KiB ones, with tables from the page allocator (4 KiB per 2 MiB region ever
 * touched, never merged back). Only images that protect memory link this file. */
#include <kernel/arch.h>
#include <kernel/cpu.h>
#include <kernel/kernel.h>
#include <kernel/mm.h>
#include <kernel/spinlock.h>
#include <toro/abi/linux.h>

#include "x86.h"

#define PTE_ADDR   0x000ffffffffff000ull
#define LARGE_ADDR 0x000fffffffe00000ull /* a 2 MiB or 1 GiB page's frame, PAT bit excluded */

extern uint64_t boot_pml4[512];

/* Bumped whenever access is taken away; the wake-up IPI makes the other cores reload CR3 when
 * they have not seen the latest (kernel/arch/x86_64/irq.c). */
extern uint64_t paging_generation;

/* Replaces the large page at *entry (of size step * 512) by a table of 512 pages of size step,
 * each with the large page's access bits. 0, or -ENOMEM. */
static int split(uint64_t *entry, uint64_t step)
{
	uint64_t *table = mm_pages_alloc(1);
	if (!table)
		return -LINUX_ENOMEM;
	uint64_t bits = *entry & (PTE_P | PTE_W);
	fill_table(table, (*entry & LARGE_ADDR) | bits | (step > PAGE_SIZE ? PTE_PS : 0), step);
	*entry = (uintptr_t)table | PTE_P | PTE_W;
	return 0;
}

static const unsigned level_shift[] = {39, 30, 21, 12};

/* The entry that maps addr with access bits, walking from the PML4: a large page already
 * giving exactly bits is returned as it is (*size says how much it covers); one that does not is
 * split on the way down to a 4 KiB entry. NULL if addr is not mapped or a table cannot be had. */
static uint64_t *entry_for(uint64_t addr, uint64_t bits, uint64_t *size)
{
	uint64_t *table = boot_pml4;
	for (int level = 0;; level++) {
		uint64_t *e = &table[(addr >> level_shift[level]) & 511];
		*size = 1ull << level_shift[level];
		if (level == 3)
			return e;
		if (!(*e & PTE_P))
			return NULL;
		if (*e & PTE_PS) {
			if ((*e & (PTE_P | PTE_W)) == bits)
				return e;
			if (split(e, 1ull << level_shift[level + 1]))
				return NULL;
		}
		table = (uint64_t *)(uintptr_t)(*e & PTE_ADDR);
	}
}

static int protect(uint64_t addr, uint64_t len, unsigned prot);

/* Two cores splitting the same large page would each install a table. */
static struct spinlock paging_lock;

int arch_protect(uint64_t addr, uint64_t len, unsigned prot)
{
	spin_lock(&paging_lock);
	int r = protect(addr, len, prot);
	spin_unlock(&paging_lock);
	return r;
}

static int protect(uint64_t addr, uint64_t len, unsigned prot)
{
	uint64_t bits = prot == ARCH_PROT_NONE ? 0 : prot == ARCH_PROT_READ ? PTE_P : PTE_P | PTE_W;
	int taken = 0;
	uint64_t size;
	for (uint64_t a = addr & ~(uint64_t)(PAGE_SIZE - 1); a < addr + len;
	     a = (a & ~(size - 1)) + size) {
		uint64_t *e = entry_for(a, bits, &size);
		if (!e)
			return -LINUX_ENOMEM;
		uint64_t old = *e;
		if ((old & (PTE_P | PTE_W)) == bits)
			continue;
		/* The frame stays in the entry while it is not present, so it can come back. */
		*e = (old & ~(uint64_t)(PTE_P | PTE_W)) | bits;
		taken |= (old & ~bits & (PTE_P | PTE_W)) != 0;
		__asm__ volatile("invlpg (%0)" : : "r"(a) : "memory");
	}
	if (taken) {
		/* Other cores may hold the old translation: they drop it at their next wake-up
		 * IPI, which this sends. Until then (microseconds), one of them could still reach
		 * the page; a new thread's stack guard is safe regardless, since the thread first
		 * runs after its core switched to it. */
		__atomic_fetch_add(&paging_generation, 1, __ATOMIC_RELEASE);
		this_cpu()->paging_seen = paging_generation;
		for (unsigned i = 0; i < cpu_count; i++)
			if (cpus[i] && cpus[i] != this_cpu() && cpus[i]->online)
				arch_send_wake(cpus[i]);
	}
	return 0;
}

int arch_accessible(uint64_t addr, uint64_t len, int write)
{
	uint64_t want = write ? PTE_P | PTE_W : PTE_P;
	for (uint64_t a = addr & ~(uint64_t)(PAGE_SIZE - 1); a < addr + len; a += PAGE_SIZE) {
		uint64_t *table = boot_pml4;
		for (int level = 0;; level++) {
			uint64_t e = table[(a >> level_shift[level]) & 511];
			if ((e & want) != want)
				return 0;
			if (level == 3 || (e & PTE_PS))
				break;
			table = (uint64_t *)(uintptr_t)(e & PTE_ADDR);
		}
	}
	return 1;
}
