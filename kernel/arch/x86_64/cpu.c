/* Boot CPU setup: the TSS (interrupt stacks), the IDT for the 32 exception vectors, the rest of
 * the identity map, and small CPU services (random, time stamp). */
#include <kernel/arch.h>

#include <kernel/cpu.h>
#include <kernel/irq.h>
#include <kernel/mm.h>
#include <kernel/printk.h>
#include <kernel/string.h>

#include "arch_cpu.h"
#include "io.h"
#include "x86.h"

#define IDT_EXCEPTIONS   32
#define IDT_ENTRIES      IRQ_VECTOR_COUNT
#define IDT_TYPE_INTGATE 0x8e /* present, DPL 0, 64-bit interrupt gate */
#define TSS_TYPE_AVAIL   0x89 /* present, 64-bit TSS available */
#define VEC_NMI           2
#define VEC_DOUBLE_FAULT  8
#define VEC_MACHINE_CHECK 18

/* A PML4 entry maps 512 GiB, a PDPT entry 1 GiB; PTE_ADDR is the address field of an entry. */
#define PML4_SHIFT 39
#define PDPT_SHIFT 30
#define PTE_ADDR   0x000ffffffffff000ull

struct idt_entry {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;
	uint8_t type;
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
};
_Static_assert(sizeof(struct idt_entry) == 16, "IDT entry layout");

struct descriptor_pointer {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

#define GDT_CODE64 0x00af9a000000ffffull
#define GDT_DATA   0x00cf92000000ffffull

extern uint64_t boot_pml4[512];
extern uint64_t boot_pdpt[512];
extern uint64_t boot_pd[4 * 512]; /* boot.S: the 2 MiB-page tables of 0..4 GiB, when used */

/* The firmware's EBDA segment (BIOS data area word at 0x40e), read before page 0 is unmapped;
 * smp.c searches the EBDA for an MP table. */
#define BDA_EBDA_SEGMENT 0x40e
uint16_t bda_ebda_segment;

/* Tables that take the first 2 MiB down to 4 KiB pages so that page 0 can be left unmapped.
 * Fully written before use, so never cleared. */
static uint64_t low_pd[512] __attribute__((section(".noinit.pagetables"), aligned(4096)));
static uint64_t low_pt[512] __attribute__((section(".noinit.pagetables"), aligned(4096)));
/* entry.S: one 16-byte stub per vector, in vector order. */
#define STUB_SIZE 16
extern const char trap_stubs[], irq_stubs[];

/* Every entry the IDT limit covers is written, so the table needs no clearing. The boot CPU's
 * arch data is never cleared either: arch_cpu_load writes every field it uses. */
static struct idt_entry idt[IDT_ENTRIES] __attribute__((section(".noinit.idt"), aligned(16)));
static struct arch_cpu boot_arch __attribute__((section(".noinit.arch"), aligned(64)));

static void idt_set(int vector, uintptr_t handler, int ist)
{
	idt[vector] = (struct idt_entry){
	    .offset_low = (uint16_t)handler,
	    .selector = GDT_KERNEL_CS,
	    .ist = (uint8_t)ist,
	    .type = IDT_TYPE_INTGATE,
	    .offset_mid = (uint16_t)(handler >> 16),
	    .offset_high = (uint32_t)(handler >> 32),
	};
}

/* Every vector runs on an IST stack: application code (musl, POSIX programs) keeps data in the
 * 128-byte red zone below %rsp, which an interrupt taken on the same stack would overwrite. */
static void idt_fill(void)
{
	for (int v = 0; v < IDT_EXCEPTIONS; v++) {
		int critical = v == VEC_NMI || v == VEC_DOUBLE_FAULT || v == VEC_MACHINE_CHECK;
		idt_set(v, (uintptr_t)trap_stubs + STUB_SIZE * (uintptr_t)v,
		        critical ? IST_CRITICAL : IST_EXCEPTION);
	}
	for (int v = IDT_EXCEPTIONS; v < IDT_ENTRIES; v++)
		idt_set(v, (uintptr_t)irq_stubs + STUB_SIZE * (uintptr_t)(v - IDT_EXCEPTIONS),
		        IST_IRQ);
}

/* Loads a's GDT (reloading every segment register), its TSS and the shared IDT, and points
 * GS at c. */
static void arch_cpu_load(struct arch_cpu *a, struct cpu *c)
{
	struct tss *t = &a->tss;
	memset(t, 0, sizeof(*t));
	t->ist[IST_EXCEPTION - 1] = (uintptr_t)(a->exception_stack + EXCEPTION_STACK);
	t->ist[IST_CRITICAL - 1] = (uintptr_t)(a->critical_stack + CRITICAL_STACK);
	t->ist[IST_IRQ - 1] = (uintptr_t)(a->irq_stack + IRQ_STACK);
	t->iomap_base = sizeof(*t);
	uint64_t base = (uintptr_t)t, limit = sizeof(*t) - 1;
	a->gdt[0] = 0;
	a->gdt[GDT_KERNEL_CS / 8] = GDT_CODE64;
	a->gdt[GDT_KERNEL_DS / 8] = GDT_DATA;
	a->gdt[GDT_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
	                      ((uint64_t)TSS_TYPE_AVAIL << 40) | ((limit >> 16 & 0xf) << 48) |
	                      ((base >> 24 & 0xff) << 56);
	a->gdt[GDT_TSS / 8 + 1] = base >> 32;

	struct descriptor_pointer g = {sizeof(a->gdt) - 1, (uintptr_t)a->gdt};
	__asm__ volatile("lgdt %0\n\t"
	                 "pushq %1\n\t"
	                 "leaq 1f(%%rip), %%rax\n\t"
	                 "pushq %%rax\n\t"
	                 "lretq\n"
	                 "1:\tmov %2, %%eax\n\t"
	                 "mov %%eax, %%ds\n\t"
	                 "mov %%eax, %%es\n\t"
	                 "mov %%eax, %%ss"
	                 :
	                 : "m"(g), "i"(GDT_KERNEL_CS), "i"(GDT_KERNEL_DS)
	                 : "rax", "memory");
	__asm__ volatile("ltr %w0" : : "r"(GDT_TSS));
	struct descriptor_pointer p = {sizeof(idt) - 1, (uintptr_t)idt};
	__asm__ volatile("lidt %0" : : "m"(p));
	c->self = c;
	c->arch = a;
	wrmsr(MSR_GS_BASE, (uintptr_t)c);
}

void arch_cpu_init(struct cpu *boot)
{
	/* Through asm: the compiler refuses a plain load from a constant low address. */
	__asm__ volatile("movw (%1), %0" : "=r"(bda_ebda_segment) : "r"((uintptr_t)BDA_EBDA_SEGMENT));
	idt_fill();
	arch_cpu_load(&boot_arch, boot);
}

/* An application processor's setup, from ap_start: its own GDT, TSS and stacks. */
int arch_cpu_init_ap(struct cpu *c)
{
	size_t pages = (sizeof(struct arch_cpu) + PAGE_SIZE - 1) / PAGE_SIZE;
	struct arch_cpu *a = mm_pages_alloc(pages);
	if (!a)
		return -1;
	arch_cpu_load(a, c);
	return 0;
}

static int cpu_has_1g_pages(void)
{
	uint32_t r[4];
	cpuid(0x80000001, 0, r);
	return (r[3] >> 26) & 1;
}

/* Leaves page 0 unmapped, so that a NULL pointer dereference faults instead of reading or
 * corrupting low memory: the first GiB goes to 2 MiB pages (a PD of its own unless the boot
 * already uses 2 MiB pages), and its first 2 MiB to 4 KiB pages (a page table). */
/* Fills table[0..511] with first, first + step, ...: four entries a round, about two
 * instructions each (1,024 entries are written on every boot). */
void fill_table(uint64_t *table, uint64_t first, uint64_t step)
{
	for (uint64_t *p = table; p < table + 512; p += 4, first += 4 * step) {
		p[0] = first;
		p[1] = first + step;
		p[2] = first + 2 * step;
		p[3] = first + 3 * step;
	}
}

static void guard_null_page(int huge)
{
	fill_table(low_pt, PTE_P | PTE_W, PAGE_SIZE);
	low_pt[0] = 0;
	uint64_t *pd = huge ? low_pd : boot_pd;
	if (huge)
		fill_table(pd, PTE_P | PTE_W | PTE_PS, 1ull << 21);
	pd[0] = (uintptr_t)low_pt | PTE_P | PTE_W;
	if (huge)
		boot_pdpt[0] = (uintptr_t)pd | PTE_P | PTE_W;
	/* No mapping is global, so reloading CR3 drops the old translation of page 0. */
	uint64_t cr3;
	__asm__ volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3) : : "memory");
}

/* The PDPT that maps address a: boot.S's for the first 512 GiB; the next one comes from the page
 * allocator the first time it is needed, so only a guest with RAM above 512 GiB pays its page. */
static uint64_t *pdpt_for(uint64_t a)
{
	uint64_t *entry = &boot_pml4[a >> PML4_SHIFT];
	if (!(*entry & PTE_P)) {
		uint64_t *pdpt = mm_pages_zalloc(1);
		if (!pdpt)
			panic("out of memory for page tables mapping %#llx", (unsigned long long)a);
		*entry = (uintptr_t)pdpt | PTE_P | PTE_W;
	}
	return (uint64_t *)(uintptr_t)(*entry & PTE_ADDR);
}

void arch_map_ram(uint64_t top)
{
	const uint64_t gib = 1ull << 30, boot_mapped = 4 * gib;
	if (top > ARCH_MAX_RAM)
		top = ARCH_MAX_RAM;
	int huge = cpu_has_1g_pages();
	guard_null_page(huge);
	for (uint64_t a = boot_mapped; a < top; a += gib) {
		uint64_t *entry = &pdpt_for(a)[(a >> PDPT_SHIFT) % 512];
		if (huge) {
			*entry = a | PTE_P | PTE_W | PTE_PS;
			continue;
		}
		uint64_t *pd = mm_pages_alloc(1);
		if (!pd)
			panic("out of memory for page tables mapping %#llx", (unsigned long long)a);
		for (int i = 0; i < 512; i++)
			pd[i] = (a + ((uint64_t)i << 21)) | PTE_P | PTE_W | PTE_PS;
		*entry = (uintptr_t)pd | PTE_P | PTE_W;
	}
}

uint64_t arch_hwcap(void)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	return r[3];
}

uint64_t arch_timestamp(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

uint64_t arch_tsc_hz(void)
{
	uint32_t r[4];
	cpuid(0, 0, r);
	uint32_t max_leaf = r[0];
	if (max_leaf >= 0x15) {
		cpuid(0x15, 0, r);
		if (r[0] && r[1] && r[2])
			return (uint64_t)r[2] * r[1] / r[0];
	}
	if (max_leaf >= 0x16) {
		cpuid(0x16, 0, r);
		if (r[0])
			return (uint64_t)r[0] * 1000000;
	}
	cpuid(0x40000000, 0, r);
	if (r[0] >= 0x40000010) {
		cpuid(0x40000010, 0, r);
		if (r[0])
			return (uint64_t)r[0] * 1000;
	}
	return 0;
}

static int cpu_has_rdrand(void)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	return (r[2] >> 30) & 1;
}

/* RDRAND where present; always mixed with the TSC through a splitmix64 step so that a CPU
 * without it still gets distinct values per call. */
void arch_random(void *buf, size_t len)
{
	static uint64_t state;
	int rdrand = cpu_has_rdrand();
	unsigned char *out = buf;
	while (len > 0) {
		uint64_t v = 0;
		if (rdrand) {
			unsigned char ok = 0;
			for (int tries = 0; tries < 10 && !ok; tries++)
				__asm__ volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(ok));
		}
		state += 0x9e3779b97f4a7c15ull ^ arch_timestamp();
		uint64_t z = state;
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		v ^= z ^ (z >> 31);
		size_t n = len < sizeof(v) ? len : sizeof(v);
		memcpy(out, &v, n);
		out += n;
		len -= n;
	}
}

/* Here rather than in syscall.c, which only POSIX images need: the scheduler sets every thread's
 * TLS pointer, and a call into syscall.c would pull it, and through it the whole Linux layer,
 * into native images (the linker drops the code, but not the virtio drivers that layer names). */
void arch_set_fs_base(uint64_t base)
{
	wrmsr(MSR_FS_BASE, base);
}
