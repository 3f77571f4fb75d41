/* PVH boot (Xen's hvm_start_info version 1, Firecracker's docs/pvh.md): the image's segments
 * and the structures the kernel reads at its 32-bit entry, all placed by layout.h. */
#include "pvh.h"
#include "cmdline.h"
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "layout.h"

#define PVH_EBDA_START 0x9fc00ull /* RAM below it is free for the guest; above, reserved */

struct pvh_region {
	uint64_t start, end;
	const char *what;
};

/* What the monitor writes below the image; segments must stay clear of all of it. */
static const struct pvh_region pvh_boot_regions[] = {
    {LAYOUT_GDT_ADDR, LAYOUT_GDT_ADDR + PVH_GDT_ENTRIES * 8, "the boot GDT"},
    {LAYOUT_START_INFO_ADDR, LAYOUT_MODLIST_ADDR + sizeof(struct hvm_modlist_entry),
     "the start_info, memory map and module list"},
    {LAYOUT_CMDLINE_ADDR, LAYOUT_CMDLINE_ADDR + LAYOUT_CMDLINE_MAX, "the command line"},
    {LAYOUT_MPTABLE_ADDR, LAYOUT_MPTABLE_END, "the MP table"},
};

static void format_size(char *buf, size_t len, uint64_t bytes)
{
	if (bytes >= (1ull << 30) && bytes % (1ull << 30) == 0)
		snprintf(buf, len, "%llu GiB", (unsigned long long)(bytes >> 30));
	else
		snprintf(buf, len, "%llu MiB", (unsigned long long)(bytes >> 20));
}

int pvh_check(const struct image *img, const struct guest_mem *m, const char *cmdline, int cpus,
              char *err, size_t errlen)
{
	char ram[32];
	format_size(ram, sizeof(ram), m->size);
	for (int i = 0; i < img->nsegments; i++) {
		const struct image_segment *s = &img->segments[i];
		for (size_t r = 0; r < sizeof(pvh_boot_regions) / sizeof(pvh_boot_regions[0]);
		     r++) {
			const struct pvh_region *b = &pvh_boot_regions[r];
			if (s->paddr < b->end &&
			    (b->start < s->paddr || b->start - s->paddr < s->memsz))
				return error_set(err, errlen, "segment at %#llx overlaps %s at %#llx",
				            (unsigned long long)s->paddr, b->what,
				            (unsigned long long)b->start);
		}
		if (!guest_range_ok(m, s->paddr, s->memsz))
			return error_set(
			    err, errlen,
			    "segment at %#llx of %llu bytes does not fit in %s of guest RAM "
			    "(try a larger --mem)",
			    (unsigned long long)s->paddr, (unsigned long long)s->memsz, ram);
	}
	/* The kernel takes less than the slot holds; a longer line would be cut, so refuse it. */
	_Static_assert(TORO_CMDLINE_MAX <= LAYOUT_CMDLINE_MAX, "the kernel's line fits its slot");
	if (cmdline_check(cmdline, err, errlen))
		return -1;
	if (mptable_size(cpus) > LAYOUT_MPTABLE_END - LAYOUT_MPTABLE_ADDR)
		return error_set(err, errlen, "MP table for %d CPUs does not fit", cpus);
	if (!guest_range_ok(m, 0, LAYOUT_KERNEL_ADDR))
		return error_set(err, errlen, "guest RAM of %s is below 1 MiB", ram);
	return 0;
}

uint32_t pvh_memmap(const struct guest_mem *m, struct hvm_memmap_table_entry *map, uint32_t max)
{
	uint32_t n = 0;
	for (unsigned i = 0; i < m->nregions; i++) {
		const struct guest_region *r = &m->regions[i];
		/* The region at 0 holds the boot data: the EBDA/MP table area up to 1 MiB is
		 * reserved (pvh_check made sure the region reaches 1 MiB). */
		struct hvm_memmap_table_entry parts[3] = {{r->gpa, r->size, HVM_MEMMAP_RAM, 0}};
		size_t nparts = 1;
		if (r->gpa == 0 && r->size >= LAYOUT_KERNEL_ADDR) {
			parts[0].size = PVH_EBDA_START;
			parts[1] = (struct hvm_memmap_table_entry){
			    PVH_EBDA_START, LAYOUT_KERNEL_ADDR - PVH_EBDA_START, HVM_MEMMAP_RESERVED, 0};
			parts[2] = (struct hvm_memmap_table_entry){
			    LAYOUT_KERNEL_ADDR, r->size - LAYOUT_KERNEL_ADDR, HVM_MEMMAP_RAM, 0};
			nparts = 3;
		}
		for (size_t j = 0; j < nparts && n < max; j++)
			if (parts[j].size)
				map[n++] = parts[j];
	}
	return n;
}

/* Flat 4 GiB code and data segments and a TSS, as the PVH entry's segment registers describe
 * them (the kernel loads its own GDT first thing). */
static void pvh_write_gdt(uint64_t *gdt)
{
	gdt[0] = 0;
	gdt[1] = 0x00cf9b000000ffffull; /* code: base 0, limit 4 GiB, execute/read, 32-bit */
	gdt[2] = 0x00cf93000000ffffull; /* data: base 0, limit 4 GiB, read/write, 32-bit */
	gdt[3] = 0x00008b0000000067ull; /* TSS: base 0, limit 0x67, busy */
}

int pvh_load(const struct image *img, const struct guest_mem *m, const char *cmdline, int cpus,
             const struct mptable_cpu_info *cpu, char *err, size_t errlen)
{
	if (pvh_check(img, m, cmdline, cpus, err, errlen))
		return -1;
	for (int i = 0; i < img->nsegments; i++) {
		const struct image_segment *s = &img->segments[i];
		if (s->filesz == 0)
			continue;
		uint8_t *dst = guest_ptr(m, s->paddr, s->filesz);
		if (!dst)
			return error_set(err, errlen, "segment at %#llx is outside guest RAM",
			            (unsigned long long)s->paddr);
		memcpy(dst, img->data + s->offset, s->filesz);
	}

	pvh_write_gdt(guest_ptr(m, LAYOUT_GDT_ADDR, PVH_GDT_ENTRIES * 8));

	size_t cmdline_len = strlen(cmdline) + 1;
	memcpy(guest_ptr(m, LAYOUT_CMDLINE_ADDR, cmdline_len), cmdline, cmdline_len);

	struct hvm_memmap_table_entry *map = guest_ptr(
	    m, LAYOUT_MEMMAP_ADDR, LAYOUT_MEMMAP_MAX * sizeof(struct hvm_memmap_table_entry));
	struct hvm_start_info *si = guest_ptr(m, LAYOUT_START_INFO_ADDR, sizeof(*si));
	*si = (struct hvm_start_info){
	    .magic = HVM_START_MAGIC,
	    .version = HVM_START_VERSION_MEMMAP,
	    .cmdline_paddr = LAYOUT_CMDLINE_ADDR,
	    .memmap_paddr = LAYOUT_MEMMAP_ADDR,
	    .memmap_entries = pvh_memmap(m, map, LAYOUT_MEMMAP_MAX),
	};

	size_t cap = LAYOUT_MPTABLE_END - LAYOUT_MPTABLE_ADDR;
	if (!mptable_write(guest_ptr(m, LAYOUT_MPTABLE_ADDR, cap), cap,
	                   (uint32_t)LAYOUT_MPTABLE_ADDR, cpus, cpu))
		return error_set(err, errlen, "MP table for %d CPUs does not fit", cpus);
	return 0;
}

/* The module goes in the last whole pages of the RAM below the device hole, where the kernel's
 * page allocator (lowest pages first) reaches last; the kernel keeps those pages. */
static uint64_t pvh_module_addr(const struct guest_mem *m, size_t len)
{
	uint64_t top = m->regions[0].size;
	return (top - len) & ~0xfffull;
}

int pvh_check_module(const struct image *img, const struct guest_mem *m, size_t len, char *err,
                     size_t errlen)
{
	if (cmdline_check_module(len, m->regions[0].size, err, errlen))
		return -1;
	char ram[32];
	format_size(ram, sizeof(ram), m->size);
	uint64_t at = pvh_module_addr(m, len);
	for (int i = 0; i < img->nsegments; i++)
		if (img->segments[i].paddr + img->segments[i].memsz > at)
			return error_set(
			    err, errlen,
			    "arguments and environment (%zu bytes) do not fit above the "
			    "image in %s of RAM (give it more with --mem)",
			    len, ram);
	return 0;
}

void pvh_load_module(const struct guest_mem *m, const void *data, size_t len)
{
	uint64_t at = pvh_module_addr(m, len);
	memcpy(guest_ptr(m, at, len), data, len);
	struct hvm_modlist_entry *mod =
	    guest_ptr(m, LAYOUT_MODLIST_ADDR, sizeof(struct hvm_modlist_entry));
	*mod = (struct hvm_modlist_entry){.paddr = at, .size = len};
	struct hvm_start_info *si = guest_ptr(m, LAYOUT_START_INFO_ADDR, sizeof(*si));
	si->nr_modules = 1;
	si->modlist_paddr = LAYOUT_MODLIST_ADDR;
}
