/* The guest-physical memory map our monitor builds (chosen to match Firecracker's).
 * Everything the monitor writes before the first instruction lives below 1 MiB; the image loads
 * at 1 MiB or above.
 *
 *   0x000500  GDT for the PVH entry (null, code32, data32, TSS)
 *   0x006000  struct hvm_start_info, the memory map right after it, then the module list
 *   0x020000  kernel command line (at most LAYOUT_CMDLINE_MAX bytes with its NUL)
 *   0x09fc00  MP floating pointer, then the MP configuration table (reserved up to 1 MiB)
 *   0x100000  the image's PT_LOAD segments
 *   ...       RAM up to min(size, 3 GiB); an argument module, if any, in its last pages
 *   0xd0000000 virtio-mmio devices, 4 KiB apart, IRQ 5 upwards
 *   0xfec00000 IOAPIC, 0xfee00000 LAPIC (in-kernel), 0xfffbc000 KVM identity map + TSS pages
 *   4 GiB     the rest of RAM when size > 3 GiB
 */
#ifndef VMM_KVM_LAYOUT_H
#define VMM_KVM_LAYOUT_H

#define LAYOUT_GDT_ADDR        0x500ull
#define LAYOUT_START_INFO_ADDR 0x6000ull
#define LAYOUT_MEMMAP_ADDR     0x6038ull /* start_info (56 bytes) rounded up to 8 */
#define LAYOUT_MEMMAP_MAX      8
#define LAYOUT_MODLIST_ADDR    0x6100ull /* after the memory map's 8 entries; one module */
#define LAYOUT_CMDLINE_ADDR    0x20000ull
#define LAYOUT_CMDLINE_MAX     0x10000ull
#define LAYOUT_MPTABLE_ADDR    0x9fc00ull
#define LAYOUT_MPTABLE_END     0x100000ull
#define LAYOUT_KERNEL_ADDR     0x100000ull

#define LAYOUT_LOW_RAM_MAX    0xc0000000ull /* RAM below the 32-bit device hole */
#define LAYOUT_HIGH_RAM_START 0x100000000ull

#define LAYOUT_VIRTIO_MMIO_BASE 0xd0000000ull
#define LAYOUT_VIRTIO_MMIO_SIZE 0x1000ull
#define LAYOUT_VIRTIO_IRQ_BASE  5
#define LAYOUT_VIRTIO_MAX       16

#define LAYOUT_IOAPIC_ADDR       0xfec00000ull
#define LAYOUT_LAPIC_ADDR        0xfee00000ull
#define LAYOUT_IOAPIC_PINS       24
#define LAYOUT_KVM_IDENTITY_ADDR 0xfffbc000ull /* one page, then three for the TSS */
#define LAYOUT_KVM_TSS_ADDR      0xfffbd000ull

#endif
