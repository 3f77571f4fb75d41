/* Intel MultiProcessor Specification 1.4 tables: the floating pointer and the configuration
 * table (header and base entries) through which a monitor tells the kernel its CPUs, buses and
 * IOAPIC. Written by our monitor (and Firecracker, QEMU microvm), read by the kernel. */
#ifndef TORO_ABI_MPTABLE_H
#define TORO_ABI_MPTABLE_H

#include <stdint.h>

#define MP_FLOATING_SIGNATURE "_MP_"
#define MP_CONFIG_SIGNATURE   "PCMP"
#define MP_SPEC_REV_1_4       4

/* §4.1: found on a 16-byte boundary in the last KiB of base memory, the EBDA or the BIOS ROM. */
struct mp_floating_pointer {
	char signature[4];
	uint32_t config_paddr; /* physical address of the configuration table */
	uint8_t length;        /* in 16-byte units: 1 */
	uint8_t spec_rev;
	uint8_t checksum; /* all 16 bytes sum to 0 */
	uint8_t feature1; /* 0: a configuration table is present */
	uint8_t feature2; /* bit 7: IMCR present (PIC mode); 0: virtual wire mode */
	uint8_t feature_reserved[3];
} __attribute__((packed));

/* §4.2: followed by entry_count entries, each starting with its type byte. */
struct mp_config_header {
	char signature[4];
	uint16_t base_table_length; /* header and entries, bytes */
	uint8_t spec_rev;
	uint8_t checksum; /* base table sums to 0 */
	char oem_id[8];
	char product_id[12];
	uint32_t oem_table_paddr;
	uint16_t oem_table_size;
	uint16_t entry_count;
	uint32_t lapic_paddr;
	uint16_t ext_table_length;
	uint8_t ext_table_checksum;
	uint8_t reserved;
} __attribute__((packed));

enum mp_entry_type {
	MP_ENTRY_PROCESSOR = 0,
	MP_ENTRY_BUS = 1,
	MP_ENTRY_IOAPIC = 2,
	MP_ENTRY_IO_INTERRUPT = 3,
	MP_ENTRY_LOCAL_INTERRUPT = 4,
};

#define MP_CPU_ENABLED 0x01
#define MP_CPU_BSP     0x02

struct mp_processor_entry {
	uint8_t type;
	uint8_t lapic_id;
	uint8_t lapic_version;
	uint8_t cpu_flags;      /* MP_CPU_* */
	uint32_t cpu_signature; /* CPUID.1:EAX */
	uint32_t feature_flags; /* CPUID.1:EDX */
	uint32_t reserved[2];
} __attribute__((packed));

#define MP_BUS_TYPE_ISA "ISA   "

struct mp_bus_entry {
	uint8_t type;
	uint8_t bus_id;
	char bus_type[6]; /* space-padded */
} __attribute__((packed));

#define MP_IOAPIC_ENABLED 0x01

struct mp_ioapic_entry {
	uint8_t type;
	uint8_t ioapic_id;
	uint8_t ioapic_version;
	uint8_t flags; /* MP_IOAPIC_ENABLED */
	uint32_t ioapic_paddr;
} __attribute__((packed));

enum mp_interrupt_type {
	MP_INT_VECTORED = 0,
	MP_INT_NMI = 1,
	MP_INT_SMI = 2,
	MP_INT_EXTINT = 3,
};

/* Polarity (bits 0-1) and trigger mode (bits 2-3); 0 for both: as the source bus says (ISA:
 * active high, edge). */
#define MP_IRQ_FLAGS_CONFORMING 0x0000
#define MP_IRQ_ALL_LAPICS       0xff

/* Used for both I/O interrupt entries (type 3, dest = IOAPIC id and pin) and local interrupt
 * entries (type 4, dest = LAPIC id or MP_IRQ_ALL_LAPICS and LINTIN pin). */
struct mp_interrupt_entry {
	uint8_t type;
	uint8_t irq_type; /* enum mp_interrupt_type */
	uint16_t irq_flags;
	uint8_t src_bus_id;
	uint8_t src_bus_irq;
	uint8_t dst_apic_id;
	uint8_t dst_pin;
} __attribute__((packed));

_Static_assert(sizeof(struct mp_floating_pointer) == 16, "MP floating pointer layout");
_Static_assert(sizeof(struct mp_config_header) == 44, "MP configuration header layout");
_Static_assert(sizeof(struct mp_processor_entry) == 20, "MP processor entry layout");
_Static_assert(sizeof(struct mp_bus_entry) == 8, "MP bus entry layout");
_Static_assert(sizeof(struct mp_ioapic_entry) == 8, "MP IOAPIC entry layout");
_Static_assert(sizeof(struct mp_interrupt_entry) == 8, "MP interrupt entry layout");

#endif
