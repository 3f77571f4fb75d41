/* The symbol table `toro build` embeds in an image (section .toro.symtab) so that fault reports
 * name functions. Written by tools/, read by the kernel. Entries are sorted by address; names
 * are NUL-terminated strings after the entries. */
#ifndef TORO_ABI_SYMTAB_H
#define TORO_ABI_SYMTAB_H

#include <stdint.h>

#define TORO_SYMTAB_MAGIC 0x6d79536fu /* "oSym" */

struct toro_symtab_header {
	uint32_t magic;
	uint32_t count;
};

struct toro_symtab_entry {
	uint64_t addr;
	uint32_t size;
	uint32_t name; /* offset of the name from the end of the entries */
};

_Static_assert(sizeof(struct toro_symtab_header) == 8, "symtab header layout");
_Static_assert(sizeof(struct toro_symtab_entry) == 16, "symtab entry layout");

#endif
