/* The ELF64 structures the kernel reads (the System V gABI and its x86-64 supplement): its own
 * image's header, and the static Linux executable `toro run --exec` hands it, whose checks
 * (kernel/lib/elf_program.c) the host tool makes too. Other host code uses the system's <elf.h>;
 * the names here are prefixed so that both can be included. */
#ifndef TORO_ABI_ELF_H
#define TORO_ABI_ELF_H

#include <stddef.h>
#include <stdint.h>

#define ELF_MAGIC          0x464c457fu /* "\177ELF", little-endian */
#define ELF_CLASS_64       2           /* e_ident[4] */
#define ELF_DATA_LSB       1           /* e_ident[5] */
#define ELF_VERSION_1      1
#define ELF_TYPE_EXEC      2
#define ELF_TYPE_DYN       3
#define ELF_MACHINE_X86_64 62

#define ELF_PT_LOAD    1
#define ELF_PT_DYNAMIC 2
#define ELF_PT_INTERP  3
#define ELF_PT_PHDR    6
#define ELF_PF_W       2

struct elf64_ehdr {
	unsigned char e_ident[16];
	uint16_t e_type;
	uint16_t e_machine;
	uint32_t e_version;
	uint64_t e_entry;
	uint64_t e_phoff;
	uint64_t e_shoff;
	uint32_t e_flags;
	uint16_t e_ehsize;
	uint16_t e_phentsize;
	uint16_t e_phnum;
	uint16_t e_shentsize;
	uint16_t e_shnum;
	uint16_t e_shstrndx;
};
_Static_assert(sizeof(struct elf64_ehdr) == 64, "ELF64 header layout");

struct elf64_phdr {
	uint32_t p_type;
	uint32_t p_flags;
	uint64_t p_offset;
	uint64_t p_vaddr;
	uint64_t p_paddr;
	uint64_t p_filesz;
	uint64_t p_memsz;
	uint64_t p_align;
};
_Static_assert(sizeof(struct elf64_phdr) == 56, "ELF64 program header layout");

/* A static x86-64 Linux executable as its loader sees it: ET_EXEC, run at its link addresses, or
 * ET_DYN without an interpreter (static PIE), run at a base of the loader's choosing and
 * relocated by its own start code. Addresses are link-time ones; add the load bias. */
struct elf_program {
	const struct elf64_phdr *phdrs; /* inside the file */
	uint16_t phnum;
	int pie;         /* ET_DYN */
	uint64_t lo, hi; /* the PT_LOAD segments' span, rounded out to whole pages */
	uint64_t entry;
	uint64_t phdr_vaddr; /* where the program headers are once loaded, or 0: in no segment */
};

/* The most program headers a program may have, and the largest span its segments may cover. */
#define ELF_PROGRAM_PHNUM_MAX 64
#define ELF_PROGRAM_SPAN_MAX  (64ull << 30)
/* Where a static PIE goes when the kernel ends below it (as Linux's ELF_ET_DYN_BASE leaves the
 * low addresses to ET_EXEC programs, which start at 4 MiB). */
#define ELF_PROGRAM_PIE_BASE 0x400000ull
#define ELF_PROGRAM_PAGE     4096ull

/* Checks the size bytes of file as a static x86-64 Linux executable and fills p: NULL, or a
 * phrase saying what is wrong ("dynamically linked: ...", "not an ELF file"...), to follow the
 * program's name. */
const char *elf_program_check(const void *file, uint64_t size, struct elf_program *p);

/* Where p goes in memory whose free part is [floor, limit): the load bias (0 for ET_EXEC; a
 * static PIE goes at ELF_PROGRAM_PIE_BASE or the first 2 MiB boundary above floor) into *bias.
 * NULL, or a phrase saying why it does not fit. */
const char *elf_program_place(const struct elf_program *p, uint64_t floor, uint64_t limit,
                              uint64_t *bias);

#endif
