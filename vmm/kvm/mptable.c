/* The MP table (Intel MultiProcessor Specification 1.4, §4): floating pointer, configuration
 * header, one processor entry per vCPU, the ISA bus, the IOAPIC, one I/O interrupt entry per
 * IOAPIC pin (ISA IRQ n → pin n) and the two local interrupts of virtual wire mode. */
#include "mptable.h"

#include <string.h>

#include <toro/abi/mptable.h>

#include "layout.h"

#define MP_LAPIC_VERSION  0x14 /* integrated APIC */
#define MP_IOAPIC_VERSION 0x11
#define MP_ISA_BUS_ID     0
#define MP_OEM_ID         "TORO    "
#define MP_PRODUCT_ID     "TORO VMM    "

static uint8_t mp_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;
	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + b[i]);
	return (uint8_t)-sum;
}

static size_t mptable_entry_count(int cpus)
{
	return (size_t)cpus + 2 + LAYOUT_IOAPIC_PINS + 2;
}

size_t mptable_size(int cpus)
{
	return sizeof(struct mp_floating_pointer) + sizeof(struct mp_config_header) +
	       (size_t)cpus * sizeof(struct mp_processor_entry) + sizeof(struct mp_bus_entry) +
	       sizeof(struct mp_ioapic_entry) +
	       (LAYOUT_IOAPIC_PINS + 2) * sizeof(struct mp_interrupt_entry);
}

static uint8_t *mp_put(uint8_t *p, const void *entry, size_t len)
{
	memcpy(p, entry, len);
	return p + len;
}

size_t mptable_write(void *buf, size_t cap, uint32_t paddr, int cpus,
                     const struct mptable_cpu_info *info)
{
	if (cpus < 1 || cpus > 255 || cap < mptable_size(cpus))
		return 0;
	size_t size = mptable_size(cpus);
	memset(buf, 0, size);
	uint8_t ioapic_id = (uint8_t)cpus;

	struct mp_floating_pointer *fp = buf;
	memcpy(fp->signature, MP_FLOATING_SIGNATURE, 4);
	fp->config_paddr = paddr + (uint32_t)sizeof(*fp);
	fp->length = 1;
	fp->spec_rev = MP_SPEC_REV_1_4;
	fp->checksum = mp_checksum(fp, sizeof(*fp));

	struct mp_config_header *h = (struct mp_config_header *)(fp + 1);
	uint8_t *p = (uint8_t *)(h + 1);
	for (int i = 0; i < cpus; i++) {
		struct mp_processor_entry e = {
		    .type = MP_ENTRY_PROCESSOR,
		    .lapic_id = (uint8_t)i,
		    .lapic_version = MP_LAPIC_VERSION,
		    .cpu_flags = MP_CPU_ENABLED | (i == 0 ? MP_CPU_BSP : 0),
		    .cpu_signature = info->signature,
		    .feature_flags = info->features,
		};
		p = mp_put(p, &e, sizeof(e));
	}
	struct mp_bus_entry bus = {.type = MP_ENTRY_BUS, .bus_id = MP_ISA_BUS_ID};
	memcpy(bus.bus_type, MP_BUS_TYPE_ISA, sizeof(bus.bus_type));
	p = mp_put(p, &bus, sizeof(bus));
	struct mp_ioapic_entry ioapic = {
	    .type = MP_ENTRY_IOAPIC,
	    .ioapic_id = ioapic_id,
	    .ioapic_version = MP_IOAPIC_VERSION,
	    .flags = MP_IOAPIC_ENABLED,
	    .ioapic_paddr = (uint32_t)LAYOUT_IOAPIC_ADDR,
	};
	p = mp_put(p, &ioapic, sizeof(ioapic));
	for (int pin = 0; pin < LAYOUT_IOAPIC_PINS; pin++) {
		struct mp_interrupt_entry e = {
		    .type = MP_ENTRY_IO_INTERRUPT,
		    .irq_type = MP_INT_VECTORED,
		    .irq_flags = MP_IRQ_FLAGS_CONFORMING,
		    .src_bus_id = MP_ISA_BUS_ID,
		    .src_bus_irq = (uint8_t)pin,
		    .dst_apic_id = ioapic_id,
		    .dst_pin = (uint8_t)pin,
		};
		p = mp_put(p, &e, sizeof(e));
	}
	/* Virtual wire mode: LINT0 takes ExtINT, LINT1 NMI, on every LAPIC. */
	static const uint8_t lint_types[2] = {MP_INT_EXTINT, MP_INT_NMI};
	for (int lint = 0; lint < 2; lint++) {
		struct mp_interrupt_entry e = {
		    .type = MP_ENTRY_LOCAL_INTERRUPT,
		    .irq_type = lint_types[lint],
		    .irq_flags = MP_IRQ_FLAGS_CONFORMING,
		    .src_bus_id = MP_ISA_BUS_ID,
		    .src_bus_irq = 0,
		    .dst_apic_id = MP_IRQ_ALL_LAPICS,
		    .dst_pin = (uint8_t)lint,
		};
		p = mp_put(p, &e, sizeof(e));
	}

	memcpy(h->signature, MP_CONFIG_SIGNATURE, 4);
	h->base_table_length = (uint16_t)(p - (uint8_t *)h);
	h->spec_rev = MP_SPEC_REV_1_4;
	memcpy(h->oem_id, MP_OEM_ID, sizeof(h->oem_id));
	memcpy(h->product_id, MP_PRODUCT_ID, sizeof(h->product_id));
	h->entry_count = (uint16_t)mptable_entry_count(cpus);
	h->lapic_paddr = (uint32_t)LAYOUT_LAPIC_ADDR;
	h->checksum = mp_checksum(h, h->base_table_length);
	return size;
}
