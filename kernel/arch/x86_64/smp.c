/* Finding and starting the other CPUs. The Intel MultiProcessor Specification 1.4 table comes
 * first (our monitor, Firecracker and QEMU's qboot all write one), the ACPI MADT where there is
 * none. Each AP gets INIT-SIPI-SIPI with the real-mode trampoline copied below 1 MiB, and is
 * started one at a time: the boot CPU waits for it to come online before the next. */
#include <kernel/arch.h>

#include <kernel/cmdline.h>
#include <kernel/cpu.h>
#include <kernel/mm.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/string.h>
#include <kernel/time.h>
#include <toro/abi/mptable.h>

#include "apic.h"
#include "io.h"

#define TRAMPOLINE_ADDR     0x8000
#define AP_STACK_SIZE       (16ul << 10)
/* Generous: an emulated AP on a busy host (QEMU TCG, more vCPUs than host cores) can take a good
 * part of a second to be scheduled, and a healthy one never makes us wait this long. */
#define AP_START_TIMEOUT_NS (2000ull * 1000 * 1000)
#define SIPI_RETRY_NS       (1ull * 1000 * 1000)

#define BIOS_ROM_START   0xf0000
#define BIOS_ROM_END     0x100000
#define BASE_MEM_TOP_KB  0x9fc00

struct acpi_rsdp {
	char signature[8];
	uint8_t checksum;
	char oem[6];
	uint8_t revision;
	uint32_t rsdt;
	uint32_t length;
	uint64_t xsdt;
	uint8_t ext_checksum;
	uint8_t reserved[3];
} __attribute__((packed));

struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem[6];
	char oem_table[8];
	uint32_t oem_revision;
	uint32_t creator;
	uint32_t creator_revision;
} __attribute__((packed));

#define MADT_LAPIC   0
#define MADT_IOAPIC  1
#define MADT_X2APIC  9
#define MADT_ENABLED 1

_Static_assert(sizeof(struct acpi_header) == 36, "ACPI table header layout");

/* trampoline.S: the code copied to TRAMPOLINE_ADDR, and in that copy the words the AP reads
 * once in long mode (ap_start's argument, its stack, ap_start itself), written before each
 * start. */
struct trampoline_params {
	uint64_t cpu, stack, entry;
};
extern char trampoline_start[], trampoline_end[];
extern struct trampoline_params trampoline_params_copy;

static uint64_t acpi_rsdp_paddr;

static uint32_t found_apic_ids[CPU_MAX];
static unsigned found_count;

/* The byte sum of [p, p + n) modulo 256 (tables are valid when it is 0). Eight bytes at a time,
 * in 16-bit lanes folded every 64 words before a lane can overflow (64 * 2 * 255 < 65536): the
 * MP configuration table is summed at every boot. */
static uint8_t checksum(const void *p, size_t n)
{
	const uint8_t *b = p;
	const uint64_t low_bytes = 0x00ff00ff00ff00ffull;
	uint32_t sum = 0;
	size_t i = 0;
	while (i + 8 <= n) {
		uint64_t lanes = 0;
		for (int k = 0; k < 64 && i + 8 <= n; k++, i += 8) {
			uint64_t w;
			memcpy(&w, b + i, 8);
			lanes += (w & low_bytes) + ((w >> 8) & low_bytes);
		}
		sum += (uint32_t)((lanes & 0xffff) + (lanes >> 16 & 0xffff) + (lanes >> 32 & 0xffff) +
		                  (lanes >> 48));
	}
	for (; i < n; i++)
		sum += b[i];
	return (uint8_t)sum;
}

static void cpu_found(uint32_t apic)
{
	for (unsigned i = 0; i < found_count; i++)
		if (found_apic_ids[i] == apic)
			return;
	if (found_count == CPU_MAX) {
		printk("toro: more than %d CPUs; CPU with APIC id %u not used\n", CPU_MAX, apic);
		return;
	}
	found_apic_ids[found_count++] = apic;
}

static const struct mp_floating_pointer *mp_scan(uintptr_t start, uintptr_t end)
{
	for (uintptr_t p = start; p + sizeof(struct mp_floating_pointer) <= end; p += 16) {
		const struct mp_floating_pointer *f = (const void *)p;
		if (memcmp(f->signature, MP_FLOATING_SIGNATURE, 4) == 0 && f->length == 1 &&
		    checksum(f, sizeof(*f)) == 0)
			return f;
	}
	return NULL;
}

/* The places the MP specification §4 names: the last KiB of base memory (where our monitor and
 * Firecracker put it), the EBDA, and the BIOS ROM area. */
static const struct mp_floating_pointer *mp_find(void)
{
	const struct mp_floating_pointer *f = mp_scan(BASE_MEM_TOP_KB, BASE_MEM_TOP_KB + 1024);
	if (f)
		return f;
	extern uint16_t bda_ebda_segment; /* read by arch_cpu_init while page 0 was mapped */
	uintptr_t ebda = (uintptr_t)bda_ebda_segment << 4;
	if (ebda >= 0x80000 && ebda < 0xa0000 && (f = mp_scan(ebda, ebda + 1024)))
		return f;
	return mp_scan(BIOS_ROM_START, BIOS_ROM_END);
}

static int mp_parse(void)
{
	const struct mp_floating_pointer *f = mp_find();
	if (!f || f->config_paddr == 0)
		return -1;
	const struct mp_config_header *c = (const void *)(uintptr_t)f->config_paddr;
	if (memcmp(c->signature, MP_CONFIG_SIGNATURE, 4) != 0 ||
	    checksum(c, c->base_table_length) != 0) {
		printk("toro: MP configuration table at %#x is corrupt; ignored\n",
		       f->config_paddr);
		return -1;
	}
	const uint8_t *p = (const uint8_t *)(c + 1),
	              *end = (const uint8_t *)c + c->base_table_length;
	/* Walked by length, as Linux does: some firmware (qboot) leaves the entry count 0. */
	while (p < end) {
		switch (*p) {
		case MP_ENTRY_PROCESSOR: {
			const struct mp_processor_entry *e = (const void *)p;
			if (e->cpu_flags & MP_CPU_ENABLED)
				cpu_found(e->lapic_id);
			p += sizeof(*e);
			break;
		}
		case MP_ENTRY_IOAPIC:
			ioapic_base = ((const struct mp_ioapic_entry *)p)->ioapic_paddr;
			p += sizeof(struct mp_ioapic_entry);
			break;
		case MP_ENTRY_BUS:
		case MP_ENTRY_IO_INTERRUPT:
		case MP_ENTRY_LOCAL_INTERRUPT:
			p += sizeof(struct mp_bus_entry);
			break;
		default:
			printk("toro: unknown MP table entry type %u; rest ignored\n", *p);
			return 0;
		}
	}
	return 0;
}

#define ACPI_RSDP_AREA_START 0xe0000
#define ACPI_RSDP_AREA_END   0x100000
#define ACPI_RSDP_V1_LENGTH  20

/* The RSDP: from start_info, else found where ACPI §5.2.5.1 says a BIOS puts it (the first
 * 20 bytes sum to 0). */
static const struct acpi_rsdp *acpi_find_rsdp(void)
{
	if (acpi_rsdp_paddr)
		return (const void *)(uintptr_t)acpi_rsdp_paddr;
	for (uintptr_t p = ACPI_RSDP_AREA_START; p < ACPI_RSDP_AREA_END; p += 16) {
		const struct acpi_rsdp *r = (const void *)p;
		if (memcmp(r->signature, "RSD PTR ", 8) == 0 &&
		    checksum(r, ACPI_RSDP_V1_LENGTH) == 0)
			return r;
	}
	return NULL;
}

static const struct acpi_header *acpi_find_table(const char *sig)
{
	const struct acpi_rsdp *r = acpi_find_rsdp();
	if (!r || memcmp(r->signature, "RSD PTR ", 8) != 0)
		return NULL;
	int xsdt = r->revision >= 2 && r->xsdt;
	const struct acpi_header *root =
	    (const void *)(uintptr_t)(xsdt ? r->xsdt : (uint64_t)r->rsdt);
	size_t width = xsdt ? 8 : 4;
	size_t n = (root->length - sizeof(*root)) / width;
	const uint8_t *entries = (const uint8_t *)(root + 1);
	for (size_t i = 0; i < n; i++) {
		uint64_t addr = 0;
		memcpy(&addr, entries + i * width, width);
		const struct acpi_header *h = (const void *)(uintptr_t)addr;
		if (memcmp(h->signature, sig, 4) == 0 && checksum(h, h->length) == 0)
			return h;
	}
	return NULL;
}

/* ACPI MADT (ACPI 6.x §5.2.12): local APIC and x2APIC entries, IOAPIC address. */
static int madt_parse(void)
{
	const struct acpi_header *h = acpi_find_table("APIC");
	if (!h)
		return -1;
	const uint8_t *p = (const uint8_t *)h + sizeof(*h) + 8,
	              *end = (const uint8_t *)h + h->length;
	while (p + 2 <= end && p[1] >= 2) {
		uint32_t flags;
		if (p[0] == MADT_LAPIC) {
			memcpy(&flags, p + 4, 4);
			if (flags & MADT_ENABLED)
				cpu_found(p[3]);
		} else if (p[0] == MADT_X2APIC) {
			uint32_t id;
			memcpy(&id, p + 4, 4);
			memcpy(&flags, p + 8, 4);
			if (flags & MADT_ENABLED)
				cpu_found(id);
		} else if (p[0] == MADT_IOAPIC) {
			uint32_t addr;
			memcpy(&addr, p + 4, 4);
			ioapic_base = addr;
		}
		p += p[1];
	}
	return 0;
}

/* Called on the AP by the trampoline, on its boot stack. */
static _Noreturn void ap_start(struct cpu *c)
{
	extern int arch_cpu_init_ap(struct cpu * c);
	if (arch_cpu_init_ap(c))
		panic("out of memory starting CPU %u", c->id);
	/* Records what the LAPIC itself says, which is what IPIs to this core must name. */
	apic_ensure();
	if (arch_ap_syscall_init)
		arch_ap_syscall_init();
	sched_ap_main();
}

static int ap_boot(struct cpu *c)
{
	char *stack = mm_pages_alloc(AP_STACK_SIZE / PAGE_SIZE);
	if (!stack)
		return -1;
	struct trampoline_params *p = &trampoline_params_copy;
	p->stack = (uintptr_t)(stack + AP_STACK_SIZE);
	p->entry = (uintptr_t)ap_start;
	__atomic_store_n(&p->cpu, (uintptr_t)c, __ATOMIC_RELEASE);
	apic_send_init(c->apic_id);
	apic_send_sipi(c->apic_id, TRAMPOLINE_ADDR >> 12);
	uint64_t start = time_monotonic_ns(), resent = 0;
	while (!__atomic_load_n(&c->online, __ATOMIC_ACQUIRE)) {
		uint64_t waited = time_monotonic_ns() - start;
		if (waited > AP_START_TIMEOUT_NS)
			return -1;
		if (!resent && waited > SIPI_RETRY_NS) {
			apic_send_sipi(c->apic_id, TRAMPOLINE_ADDR >> 12);
			resent = 1;
		}
		__builtin_ia32_pause();
	}
	return 0;
}

void (*arch_ap_syscall_init)(void);

unsigned arch_smp_init(uint64_t rsdp_paddr)
{
	struct cpu *boot = this_cpu();
	acpi_rsdp_paddr = rsdp_paddr;
	cpus[0] = boot;
	boot->online = 1;
	/* toro.madt (a diagnostic) takes the CPUs from the ACPI MADT even when an MP table exists. */
	if ((cmdline_option_given("toro.madt") || mp_parse() != 0) && madt_parse() != 0)
		return 1;
	/* One CPU: its LAPIC waits for its first use (a timer), sparing a short program the
	 * set-up. */
	if (found_count <= 1)
		return 1;
	apic_ensure();
	memcpy((void *)TRAMPOLINE_ADDR, trampoline_start,
	       (size_t)((uintptr_t)trampoline_end - (uintptr_t)trampoline_start));
	for (unsigned i = 0; i < found_count; i++) {
		if (found_apic_ids[i] == boot->apic_id)
			continue;
		struct cpu *c = mm_pages_zalloc(1);
		if (!c) {
			printk("toro: out of memory for CPU %u\n", cpu_count);
			break;
		}
		c->id = cpu_count;
		c->apic_id = found_apic_ids[i];
		cpus[cpu_count] = c;
		if (ap_boot(c) != 0) {
			/* It may still start late and read the trampoline's words, so they are not
			 * reused for another CPU, and its struct cpu stays allocated. */
			printk("toro: CPU with APIC id %u did not start\n", c->apic_id);
			cpus[cpu_count] = NULL;
			break;
		}
		cpu_count++;
	}
	return cpu_count;
}
