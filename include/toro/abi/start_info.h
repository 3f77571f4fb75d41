/* The PVH boot ABI: the structure the monitor hands the kernel in %ebx and the ELF note that names
 * the 32-bit entry point. Shared by the kernel and the monitor; self-contained (see Xen's
 * arch-x86/hvm/start_info.h, version 1, and Firecracker's docs/pvh.md). */
#ifndef TORO_ABI_START_INFO_H
#define TORO_ABI_START_INFO_H

#include <stdint.h>

#define HVM_START_MAGIC          0x336ec578u
#define HVM_START_VERSION_MEMMAP 1u

/* ELF note (owner "Xen") whose descriptor holds the 32-bit physical entry address. */
#define XEN_ELFNOTE_PHYS32_ENTRY 18u

/* The longest command line the kernel takes, with its NUL: it copies the line into a buffer of
 * this size before any memory is set up. Hosts refuse a longer line rather than let it be cut. */
#define TORO_CMDLINE_MAX 4096u

/* Arguments and environment too long for the command line travel in a boot module (QEMU's
 * -initrd gives one too): the text starts with the eight bytes "toroargs", then words quoted as
 * on the command line (the application's NAME=value words, "--", its arguments), then a NUL.
 * The kernel reads them after the command line's words, as if they followed it. A program for
 * `toro run --exec` (a static Linux executable, include/toro/abi/elf.h) may follow the NUL: zero
 * bytes up to the next multiple of TORO_ARGS_PROGRAM_ALIGN from the module's start, the
 * program's ELF file, and a last NUL, so that the module still ends with one (the text may then
 * be empty: the arguments can be on the command line). */
#define TORO_ARGS_MAGIC         0x736772616f726f74ull /* "toroargs", little-endian */
#define TORO_ARGS_MAGIC_LEN     8u
#define TORO_ARGS_PROGRAM_ALIGN 4096u

/* Memory map entry types, as in the e820 convention. */
#define HVM_MEMMAP_RAM      1u
#define HVM_MEMMAP_RESERVED 2u
#define HVM_MEMMAP_ACPI     3u
#define HVM_MEMMAP_NVS      4u
#define HVM_MEMMAP_UNUSABLE 5u

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	/* Version 1 and later. */
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};

/* A module (modlist_paddr points at nr_modules of these). */
struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

_Static_assert(sizeof(struct hvm_modlist_entry) == 32, "modlist entry layout");
_Static_assert(sizeof(struct hvm_start_info) == 56, "hvm_start_info layout");
_Static_assert(sizeof(struct hvm_memmap_table_entry) == 24, "memmap entry layout");

#endif
