/* The monitor's guest memory and boot structures: the checked guest-address translation
 * (overflow, boundaries, zero length, the hole below 4 GiB) and what the PVH loader writes
 * (start_info, memory map, command line, MP table), parsed back as a kernel would. */
// SOURCES: common/image.c vmm/kvm/pvh.c vmm/kvm/guest.c vmm/kvm/mptable.c common/error.c common/cmdline.c
#include <stdlib.h>
#include <string.h>

#include <toro/abi/mptable.h>
#include <toro/abi/start_info.h>

#include "check.h"
#include "image.h"
#include "kvm/guest.h"
#include "kvm/layout.h"
#include "kvm/pvh.h"

static void test_guest_ptr_low(void)
{
	struct guest_mem m;
	guest_mem_layout(&m, 16ull << 20);
	static uint8_t fake;
	guest_mem_set_host(&m, &fake); /* only compared, never dereferenced */
	uint64_t end = 16ull << 20;
	CHECK(guest_ptr(&m, 0, 1) == m.regions[0].host);
	CHECK(guest_ptr(&m, end - 1, 1) == m.regions[0].host + end - 1);
	CHECK(guest_ptr(&m, 0, end) == m.regions[0].host);
	CHECK(guest_ptr(&m, end - 4, 4) != NULL);
	CHECK(guest_ptr(&m, end - 4, 5) == NULL); /* one byte past the end */
	CHECK(guest_ptr(&m, end, 1) == NULL);     /* first byte past the end */
	CHECK(guest_ptr(&m, 0x1000, 0) == NULL);  /* zero length */
	CHECK(guest_ptr(&m, end, 0) == NULL);
	CHECK(guest_ptr(&m, 1, UINT64_MAX) == NULL); /* gpa + len wraps */
	CHECK(guest_ptr(&m, UINT64_MAX, 2) == NULL);
	CHECK(guest_ptr(&m, UINT64_MAX - 1, 1) == NULL);
	CHECK(guest_ptr(&m, 0x100000000ull, 1) == NULL); /* no high RAM */
	CHECK(guest_range_ok(&m, 0, end) && !guest_range_ok(&m, 0, end + 1));
	CHECK(m.nregions == 1 && m.regions[0].gpa == 0 && m.regions[0].size == end);
}

static void test_guest_ptr_high(void)
{
	struct guest_mem m;
	guest_mem_layout(&m, 5ull << 30); /* 3 GiB low, 2 GiB from 4 GiB */
	static uint8_t fake;
	guest_mem_set_host(&m, &fake);
	const uint64_t low = 0xc0000000ull, high = 0x100000000ull;
	CHECK(m.nregions == 2 && m.regions[0].size == low && m.regions[1].gpa == high &&
	      m.regions[1].size == (2ull << 30));
	CHECK(guest_ptr(&m, low - 1, 1) == m.regions[0].host + low - 1);
	CHECK(guest_ptr(&m, low - 1, 2) == NULL);    /* runs into the hole */
	CHECK(guest_ptr(&m, low, 1) == NULL);        /* the hole */
	CHECK(guest_ptr(&m, 0xfee00000, 4) == NULL); /* the LAPIC */
	CHECK(guest_ptr(&m, high - 1, 2) == NULL);   /* spans hole and high RAM */
	CHECK(guest_ptr(&m, high, 1) == m.regions[0].host + low);
	CHECK(guest_ptr(&m, high + (2ull << 30) - 8, 8) == m.regions[0].host + low + (2ull << 30) - 8);
	CHECK(guest_ptr(&m, high + (2ull << 30) - 8, 9) == NULL);
	CHECK(guest_ptr(&m, high + (2ull << 30), 1) == NULL);
	CHECK(guest_ptr(&m, high, UINT64_MAX) == NULL);
	CHECK(guest_ptr(&m, high + 8, UINT64_MAX - 8) == NULL);
	/* 512 GiB: the largest guest. */
	guest_mem_layout(&m, 512ull << 30);
	guest_mem_set_host(&m, &fake);
	CHECK(guest_ptr(&m, high + (509ull << 30) - 4096, 4096) != NULL);
	CHECK(guest_ptr(&m, high + (509ull << 30), 1) == NULL);
	/* Sizes are whole pages. */
	guest_mem_layout(&m, (2ull << 20) + 123);
	CHECK(m.size == (2ull << 20));
}

/* The region table itself: regions added in any order are kept sorted, overlaps, wrapping
 * ranges, empty regions and a full table are refused, a range never spans two regions (not even
 * adjacent ones), and a region without host memory translates to nothing. */
static void test_guest_region_table(void)
{
	struct guest_mem m;
	memset(&m, 0, sizeof(m));
	static uint8_t a[0x2000], b[0x1000];
	CHECK(guest_mem_add(&m, 0x10000, sizeof(a), a) == 0);
	CHECK(guest_mem_add(&m, 0x4000, sizeof(b), b) == 0);
	CHECK(m.nregions == 2 && m.regions[0].gpa == 0x4000 && m.regions[1].gpa == 0x10000);
	CHECK(m.size == sizeof(a) + sizeof(b));
	CHECK(guest_ptr(&m, 0x4000, 0x1000) == b);
	CHECK(guest_ptr(&m, 0x10fff, 2) == a + 0xfff);
	CHECK(guest_ptr(&m, 0x3fff, 1) == NULL && guest_ptr(&m, 0x5000, 1) == NULL);
	CHECK(guest_ptr(&m, 0x11fff, 2) == NULL);
	/* Refused: overlapping either side, inside, around; zero size; wrapping. */
	CHECK(guest_mem_add(&m, 0x3000, 0x1001, b) == -1);
	CHECK(guest_mem_add(&m, 0x11fff, 0x10, b) == -1);
	CHECK(guest_mem_add(&m, 0x10800, 0x10, b) == -1);
	CHECK(guest_mem_add(&m, 0x0, 0x100000, b) == -1);
	CHECK(guest_mem_add(&m, 0x200000, 0, b) == -1);
	CHECK(guest_mem_add(&m, UINT64_MAX - 0xfff, 0x2000, b) == -1);
	/* Adjacent to a region is fine, but no range spans the seam. */
	CHECK(guest_mem_add(&m, 0x5000, sizeof(b), b) == 0);
	CHECK(guest_ptr(&m, 0x4fff, 1) == b + 0xfff && guest_ptr(&m, 0x5000, 1) == b);
	CHECK(guest_ptr(&m, 0x4fff, 2) == NULL);
	CHECK(guest_range_ok(&m, 0x4000, 0x1000) && !guest_range_ok(&m, 0x4000, 0x1001));
	/* A region whose end would be 2^64 is refused: its end does not fit in 64 bits. */
	CHECK(guest_mem_add(&m, UINT64_MAX - 0xfff, 0x1000, b) == -1);
	CHECK(guest_ptr(&m, UINT64_MAX, 1) == NULL);
	/* A layout region with no host memory yet: in range, but no pointer. */
	CHECK(guest_mem_add(&m, 0x100000, 0x1000, NULL) == 0);
	CHECK(guest_range_ok(&m, 0x100000, 8) && guest_ptr(&m, 0x100000, 8) == NULL);
	while (m.nregions < GUEST_REGIONS_MAX)
		CHECK(guest_mem_add(&m, 0x1000000ull * m.nregions, 0x1000, b) == 0);
	CHECK(guest_mem_add(&m, 0x7000000000ull, 0x1000, b) == -1); /* full */
	for (unsigned i = 1; i < m.nregions; i++)
		CHECK(m.regions[i - 1].gpa + m.regions[i - 1].size <= m.regions[i].gpa);
}

static uint8_t mp_sum(const void *p, size_t len)
{
	uint8_t s = 0;
	for (size_t i = 0; i < len; i++)
		s = (uint8_t)(s + ((const uint8_t *)p)[i]);
	return s;
}

/* Parses the MP table the way a kernel does: find "_MP_", follow it, walk the entries. */
static void check_mptable(const uint8_t *ram, int cpus)
{
	const struct mp_floating_pointer *fp = (const void *)(ram + LAYOUT_MPTABLE_ADDR);
	CHECK(memcmp(fp->signature, "_MP_", 4) == 0);
	CHECK(fp->length == 1 && fp->spec_rev == 4 && fp->feature1 == 0);
	CHECK(mp_sum(fp, sizeof(*fp)) == 0);
	CHECK(fp->config_paddr >= LAYOUT_MPTABLE_ADDR && fp->config_paddr < LAYOUT_MPTABLE_END);
	const struct mp_config_header *h = (const void *)(ram + fp->config_paddr);
	CHECK(memcmp(h->signature, "PCMP", 4) == 0);
	CHECK(mp_sum(h, h->base_table_length) == 0);
	CHECK(h->lapic_paddr == 0xfee00000u);
	CHECK(fp->config_paddr + h->base_table_length <= LAYOUT_MPTABLE_END);
	const uint8_t *p = (const uint8_t *)(h + 1),
	              *end = (const uint8_t *)h + h->base_table_length;
	int ncpu = 0, nbsp = 0, nbus = 0, nioapic = 0, nioint = 0, nlocal = 0, ioapic_id = -1;
	uint32_t pins_seen = 0;
	for (unsigned i = 0; i < h->entry_count && p < end; i++) {
		switch (*p) {
		case MP_ENTRY_PROCESSOR: {
			const struct mp_processor_entry *e = (const void *)p;
			CHECK(e->lapic_id == ncpu);
			CHECK(e->cpu_flags & MP_CPU_ENABLED);
			CHECK(e->cpu_signature == 0x806f8);
			nbsp += (e->cpu_flags & MP_CPU_BSP) != 0;
			CHECK(!(e->cpu_flags & MP_CPU_BSP) || e->lapic_id == 0);
			ncpu++;
			p += sizeof(*e);
			break;
		}
		case MP_ENTRY_BUS:
			CHECK(memcmp(((const struct mp_bus_entry *)p)->bus_type, "ISA   ", 6) == 0);
			nbus++;
			p += 8;
			break;
		case MP_ENTRY_IOAPIC: {
			const struct mp_ioapic_entry *e = (const void *)p;
			CHECK(e->ioapic_paddr == 0xfec00000u && (e->flags & MP_IOAPIC_ENABLED));
			ioapic_id = e->ioapic_id;
			nioapic++;
			p += 8;
			break;
		}
		case MP_ENTRY_IO_INTERRUPT: {
			const struct mp_interrupt_entry *e = (const void *)p;
			CHECK(e->dst_apic_id == ioapic_id && e->src_bus_irq == e->dst_pin);
			CHECK(e->irq_type == MP_INT_VECTORED);
			pins_seen |= 1u << e->dst_pin;
			nioint++;
			p += 8;
			break;
		}
		case MP_ENTRY_LOCAL_INTERRUPT:
			nlocal++;
			p += 8;
			break;
		default:
			CHECK(!"unknown MP entry type");
			p = end;
		}
	}
	CHECK(p == end);
	CHECK(ncpu == cpus && nbsp == 1 && nbus == 1 && nioapic == 1 && nlocal == 2);
	CHECK(nioint == 24 && pins_seen == 0xffffff);
	CHECK(ioapic_id >= cpus); /* no clash with a LAPIC id */
}

static void load_and_check(uint64_t mem, int cpus)
{
	/* A hand-made image: 16 bytes of code at 1 MiB, BSS to 1 MiB + 64 KiB. */
	static const uint8_t code[16] = {0xf4};
	struct image img;
	memset(&img, 0, sizeof(img));
	img.data = code;
	img.size = sizeof(code);
	img.pvh_entry = 0x100000;
	img.nsegments = 1;
	img.segments[0] = (struct image_segment){0x100000, 0, sizeof(code), 0x10000};
	/* Only the first 2 MiB are backed here: all the loader writes lies below (ASan would
	 * catch a write past them). */
	struct guest_mem m;
	guest_mem_layout(&m, mem);
	uint8_t *ram = calloc(1, 2 << 20);
	guest_mem_set_host(&m, ram);
	struct mptable_cpu_info info = {0x806f8, 0x178bfbff};
	char err[256] = "";
	const char *cmdline = "toro.argv0=x virtio_mmio.device=4K@0xd0000000:5 -- a";
	CHECK(pvh_load(&img, &m, cmdline, cpus, &info, err, sizeof(err)) == 0);
	CHECK_STR(err, "");

	const struct hvm_start_info *si = (const void *)(ram + LAYOUT_START_INFO_ADDR);
	CHECK(si->magic == HVM_START_MAGIC && si->version == 1);
	CHECK(si->cmdline_paddr == LAYOUT_CMDLINE_ADDR);
	CHECK_STR((const char *)ram + si->cmdline_paddr, cmdline);
	CHECK(si->memmap_paddr >= LAYOUT_START_INFO_ADDR + sizeof(*si));
	CHECK(si->memmap_paddr % 8 == 0);
	CHECK(memcmp(ram + 0x100000, code, sizeof(code)) == 0);
	CHECK(si->rsdp_paddr == 0 && si->nr_modules == 0);

	/* The memory map: sorted, not overlapping, RAM adding up to what we asked for, the MP
	 * table reserved, nothing in the hole below 4 GiB. */
	const struct hvm_memmap_table_entry *map = (const void *)(ram + si->memmap_paddr);
	uint64_t ram_total = 0, prev_end = 0;
	int mp_reserved = 0;
	for (uint32_t i = 0; i < si->memmap_entries; i++) {
		CHECK(map[i].addr >= prev_end);
		prev_end = map[i].addr + map[i].size;
		if (map[i].type == HVM_MEMMAP_RAM) {
			ram_total += map[i].size;
			CHECK(prev_end <= 0xc0000000ull || map[i].addr >= 0x100000000ull);
		}
		if (map[i].type == HVM_MEMMAP_RESERVED && map[i].addr <= LAYOUT_MPTABLE_ADDR &&
		    prev_end >= LAYOUT_MPTABLE_END)
			mp_reserved = 1;
	}
	CHECK(ram_total == mem - (LAYOUT_MPTABLE_END - 0x9fc00));
	CHECK(mp_reserved);
	CHECK(si->memmap_entries == (mem > 0xc0000000ull ? 4u : 3u));
	check_mptable(ram, cpus);
	free(ram);
}

int main(void)
{
	test_guest_region_table();
	test_guest_ptr_low();
	test_guest_ptr_high();
	load_and_check(128ull << 20, 1);
	load_and_check(2ull << 20, 2);
	load_and_check(512ull << 30, 64);
	return check_summary("vmm_boot");
}
