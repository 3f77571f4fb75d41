/* The ELF64 structures the kernel reads about its own image (the System V gABI); the host tools
 * use the system's <elf.h>. */
#ifndef TORO_ABI_ELF_H
#define TORO_ABI_ELF_H

#include <stdint.h>

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

#endif
